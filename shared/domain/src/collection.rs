//! Self-service collection (SPEC §4a): a one-time link with which an employee gives their
//! own and their family's numbers from a phone. The link's token is a bearer secret: it
//! is shown once, in the creating response, and the store keeps only its SHA-256 (a
//! 244-bit random value cannot be found from its hash, unlike a 12-digit number).

pub use crate::ids::CollectionId;
use crate::ids::{EmployeeId, Subject, TenantId};
use crate::purpose::PurposeSet;
use crate::record::timestamp;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// Invalid submissions a link survives; the fifth locks it.
pub const MAX_INVALID_ATTEMPTS: u32 = 5;
pub use crate::record::REVIEW_DAYS;
/// Dependants one submission may carry.
pub const MAX_DEPENDENTS: usize = 10;

/// The link's secret: 64 lower-case hex characters (two UUIDv4s, 244 random bits),
/// URL-safe. Zeroed on drop and never shown by `Debug`.
pub struct CollectionToken(Zeroizing<String>);

impl CollectionToken {
    pub fn new_random() -> Self {
        let mut s = Zeroizing::new(String::with_capacity(64));
        s.push_str(uuid::Uuid::new_v4().simple().encode_lower(&mut [0; 32]));
        s.push_str(uuid::Uuid::new_v4().simple().encode_lower(&mut [0; 32]));
        CollectionToken(s)
    }

    /// `None` for anything that is not a token's shape; the caller answers it exactly as
    /// an unknown token, so the shape check tells an attacker nothing.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| CollectionToken(Zeroizing::new(s.to_owned())))
    }

    /// The text that goes into the link, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The employee's link: the form at `base`, the token in the fragment (never sent to
    /// a server by the browser, so never in an access log).
    pub fn url(&self, base: &str) -> String {
        format!("{}/collect#{}", base.trim_end_matches('/'), self.expose())
    }

    pub fn digest(&self) -> TokenDigest {
        use fmt::Write;
        let d = Sha256::digest(self.0.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in d {
            let _ = write!(hex, "{b:02x}");
        }
        TokenDigest(hex)
    }
}

impl fmt::Debug for CollectionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CollectionToken(…)")
    }
}

/// What a request to the employee's routes carries: no link credential at all (401), a
/// `Collection` credential that is no token's shape (answered as an unknown token), or a
/// token.
#[derive(Debug)]
pub enum LinkCredential {
    Missing,
    Malformed,
    Token(CollectionToken),
}

/// What the store keeps of a token, and looks it up by.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenDigest(String);

impl TokenDigest {
    /// From stored text; `None` unless 64 hex characters.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| TokenDigest(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(…)")
    }
}

crate::words::vocabulary! {
    /// What is stored. `expired` is not stored: an open collection past its expiry is
    /// expired for every read.
    pub enum CollectionState {
        Open = "open",
        Submitted = "submitted",
        Cancelled = "cancelled",
        Locked = "locked",
    }
}

crate::words::vocabulary! {
    /// What a reader sees (SPEC §4a).
    pub enum CollectionStatus {
        Open = "open",
        Submitted = "submitted",
        Cancelled = "cancelled",
        Expired = "expired",
        Locked = "locked",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub collection_id: CollectionId,
    pub tenant_id: TenantId,
    pub employee_id: EmployeeId,
    pub purposes: PurposeSet,
    pub include_family: bool,
    pub state: CollectionState,
    /// Invalid submissions so far.
    pub attempts: u32,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Subject,
    pub token: TokenDigest,
    /// The document photos uploaded through the link (at most `MAX_DOCUMENTS`); adding
    /// one does not change `version`, so a form's upload never races its submission.
    pub document_ids: Vec<crate::ids::DocumentId>,
    /// Where the link was emailed (SPEC §4d): kept only while the collection is open, for
    /// the reminders; every change of state removes it.
    pub email: Option<crate::notification::EmailAddress>,
    /// When the link was last emailed (created with an address, or reminded).
    pub mailed_at: Option<DateTime<Utc>>,
    /// The digests of the reminders' tokens: each reminder carries a link of its own, and
    /// every link the employee was sent opens the collection while it is open.
    pub reminder_tokens: Vec<TokenDigest>,
    /// What the submission left to send: the receipt, HR's review notice.
    pub outbox: Option<crate::notification::Outbox>,
    /// Bumped on every change; conditional writes compare it.
    pub version: u64,
}

impl Collection {
    /// Whether a link with this token's digest opens the collection: its first or a
    /// reminder's.
    pub fn opens_with(&self, digest: &TokenDigest) -> bool {
        self.token == *digest || self.reminder_tokens.contains(digest)
    }

    /// The mail of this link at `url`: the first, a reminder or a resend.
    pub fn link_mail<'a>(
        &'a self,
        to: &'a crate::notification::EmailAddress,
        sender: &'a crate::notification::SenderName,
        url: &'a str,
    ) -> crate::notification::LinkMail<'a> {
        crate::notification::LinkMail {
            to,
            sender,
            employee_id: &self.employee_id,
            purposes: &self.purposes,
            include_family: self.include_family,
            expires_at: self.expires_at,
            url,
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> CollectionStatus {
        match self.state {
            // The count reached the limit but the lock's write was lost (a retried count, a
            // failed second write): the link is as locked as if it had been written.
            CollectionState::Open if self.attempts >= MAX_INVALID_ATTEMPTS => {
                CollectionStatus::Locked
            }
            CollectionState::Open if now >= self.expires_at => CollectionStatus::Expired,
            CollectionState::Open => CollectionStatus::Open,
            CollectionState::Submitted => CollectionStatus::Submitted,
            CollectionState::Cancelled => CollectionStatus::Cancelled,
            CollectionState::Locked => CollectionStatus::Locked,
        }
    }

    /// Whether its link still works.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.status(now) == CollectionStatus::Open
    }

    pub fn view(&self, now: DateTime<Utc>) -> CollectionView {
        CollectionView {
            collection_id: self.collection_id.clone(),
            employee_id: self.employee_id.clone(),
            status: self.status(now),
            purposes: self.purposes.clone(),
            include_family: self.include_family,
            expires_at: timestamp(self.expires_at),
            created_at: timestamp(self.created_at),
            created_by: self.created_by.clone(),
        }
    }

    /// What the employee's form is told: whose link it is and what it asks for.
    pub fn form_view(&self) -> FormView {
        FormView {
            employee_id: self.employee_id.clone(),
            purposes: self.purposes.clone(),
            include_family: self.include_family,
            expires_at: timestamp(self.expires_at),
        }
    }
}

/// A collection as the registrar's API shows it: never a token (the response that creates
/// one adds its link).
#[derive(Debug, Clone, Serialize)]
pub struct CollectionView {
    pub collection_id: CollectionId,
    pub employee_id: EmployeeId,
    pub status: CollectionStatus,
    pub purposes: PurposeSet,
    pub include_family: bool,
    pub expires_at: String,
    pub created_at: String,
    pub created_by: Subject,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormView {
    pub employee_id: EmployeeId,
    pub purposes: PurposeSet,
    pub include_family: bool,
    pub expires_at: String,
}

/// `POST /v1/collections`, parsed.
#[derive(Debug, Clone)]
pub struct CollectionRequest {
    pub employee_id: EmployeeId,
    pub purposes: PurposeSet,
    pub include_family: bool,
    /// 1–30.
    pub expires_in_days: u32,
    /// Email the link there at once (SPEC §4d).
    pub email: Option<crate::notification::EmailAddress>,
}

impl CollectionRequest {
    pub const DEFAULT_DAYS: u32 = 14;
    pub const MAX_DAYS: u32 = 30;

    pub fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::days(i64::from(self.expires_in_days))
    }
}

/// `GET /v1/collections` filters.
#[derive(Debug, Clone, Default)]
pub struct CollectionFilter {
    pub status: Option<CollectionStatus>,
    pub employee_id: Option<EmployeeId>,
}

impl CollectionFilter {
    pub fn admits(&self, c: &Collection, now: DateTime<Utc>) -> bool {
        self.status.is_none_or(|s| c.status(now) == s)
            && self
                .employee_id
                .as_ref()
                .is_none_or(|e| *e == c.employee_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_never_shown() {
        let a = CollectionToken::new_random();
        let b = CollectionToken::new_random();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
        assert!(CollectionToken::parse(a.expose()).is_some());
        assert_eq!(format!("{a:?}"), "CollectionToken(…)");
        assert_eq!(
            CollectionToken::parse(a.expose()).unwrap().digest(),
            a.digest()
        );
        assert_ne!(a.digest(), b.digest());
        assert!(!format!("{:?}", a.digest()).contains(a.digest().as_str()));
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"0".repeat(65)] {
            assert!(CollectionToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn an_open_collection_past_its_expiry_is_expired() {
        let now = Utc::now();
        let mut c = Collection {
            collection_id: CollectionId::new_random(),
            tenant_id: TenantId::parse("t").unwrap(),
            employee_id: EmployeeId::parse("E1").unwrap(),
            purposes: PurposeSet::new(vec![crate::Purpose::WithholdingTax]).unwrap(),
            include_family: false,
            state: CollectionState::Open,
            attempts: 0,
            document_ids: Vec::new(),
            email: None,
            mailed_at: None,
            reminder_tokens: Vec::new(),
            outbox: None,
            expires_at: now + Duration::days(1),
            created_at: now,
            created_by: Subject::parse("u").unwrap(),
            token: CollectionToken::new_random().digest(),
            version: 1,
        };
        assert!(c.is_open(now));
        assert_eq!(c.status(now + Duration::days(1)), CollectionStatus::Expired);
        c.state = CollectionState::Locked;
        assert_eq!(c.status(now), CollectionStatus::Locked);
        // A count that reached the limit locks the link even if the lock's write was lost.
        c.state = CollectionState::Open;
        c.attempts = MAX_INVALID_ATTEMPTS;
        assert_eq!(c.status(now), CollectionStatus::Locked);
        assert!(!c.is_open(now));
        c.attempts = MAX_INVALID_ATTEMPTS - 1;
        assert!(c.is_open(now));
    }
}

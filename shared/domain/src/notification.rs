//! Email (SPEC §4d): the addresses the vault writes to, the tenant's notification settings,
//! the messages themselves and the sent log. A message never holds a number, a MAC, another
//! person's address or a token other than the employee's own link.

mod template;

pub use template::{
    Email, LINK, LinkMail, RECEIPT, REMINDER, REVIEW_NOTICE, ReceiptMail, ReviewNoticeMail,
    Template, jst, render,
};

use crate::ids::CollectionId;
use crate::ids::{RecordId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address, checked on the way in. Its `Debug` is masked: an address is personal
/// information, and it is never in a log line or an audit event.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// Why an address was refused; `code()` is the API's field `rule`. The value is never
/// echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressRule {
    #[error("empty or longer than an address may be")]
    Length,
    #[error("not an email address")]
    Format,
}

impl AddressRule {
    pub fn code(self) -> &'static str {
        match self {
            AddressRule::Length => "length",
            AddressRule::Format => "email",
        }
    }
}

impl EmailAddress {
    /// A deliverable address (RFC 5321's sizes, the dot-atom form SES accepts): ASCII, one
    /// `@`, a local part without a leading, trailing or doubled dot, and a domain of at
    /// least two labels of letters, digits and inner hyphens. The domain is lowercased.
    pub fn parse(s: &str) -> Result<Self, AddressRule> {
        if s.is_empty() || s.len() > 254 {
            return Err(AddressRule::Length);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(AddressRule::Format)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !(local_ok && domain_ok) {
            return Err(AddressRule::Format);
        }
        Ok(EmailAddress(format!(
            "{local}@{}",
            domain.to_ascii_lowercase()
        )))
    }

    /// The address itself: for the mailer and the store only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `t***@example.co.jp`: what the sent log, the audit trail and the console show.
    pub fn masked(&self) -> MaskedAddress {
        let (local, domain) = self.0.rsplit_once('@').expect("checked at parse");
        let first = local.chars().next().expect("checked at parse");
        MaskedAddress(format!("{first}***@{domain}"))
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked().0)
    }
}

/// An address as the sent log shows it: its first character and its domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MaskedAddress(String);

impl<'de> Deserialize<'de> for MaskedAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MaskedAddress::parse(&s).ok_or_else(|| serde::de::Error::custom("not a masked address"))
    }
}

impl MaskedAddress {
    /// Reads back a masked address the store kept: it must still look masked.
    pub fn parse(s: &str) -> Option<Self> {
        let (local, domain) = s.split_once('@')?;
        let masked = local.chars().count() == 4 && local.ends_with("***") && !domain.is_empty();
        masked.then(|| MaskedAddress(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::words::vocabulary! {
    /// What an email was (SPEC §4d).
    pub enum NotificationKind {
        /// The link, when the registrar creates it.
        Link = "link",
        Reminder = "reminder",
        /// What the employee submitted, after the submission.
        Receipt = "receipt",
        /// To HR: submissions await review.
        ReviewNotice = "review_notice",
        /// To HR: the weekly digest.
        Digest = "digest",
    }
}

crate::words::vocabulary! {
    /// What became of an email: `sent` or `failed` when it was handed to the provider,
    /// `bounced` or `complained` when the provider reports back.
    pub enum DeliveryStatus {
        Sent = "sent",
        Failed = "failed",
        Bounced = "bounced",
        Complained = "complained",
    }
}

/// The provider's id of a sent message (SES's `MessageId`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageId(String);

impl MessageId {
    pub fn parse(s: &str) -> Option<Self> {
        let ok =
            !s.is_empty() && s.len() <= 256 && s.chars().all(|c| c.is_ascii_graphic() && c != '"');
        ok.then(|| MessageId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One line of the sent log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationEntry {
    pub notification_id: RecordId,
    #[serde(skip)]
    pub tenant_id: TenantId,
    pub kind: NotificationKind,
    pub to: MaskedAddress,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<CollectionId>,
    #[serde(serialize_with = "rfc3339")]
    pub sent_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::record::timestamp(*t))
}

/// What the 201 of a link sent by email adds (SPEC §4d).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub notification_id: RecordId,
    pub status: DeliveryStatus,
}

/// `GET /v1/notifications`' filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub collection_id: Option<CollectionId>,
    pub kind: Option<NotificationKind>,
    pub since: Option<DateTime<Utc>>,
}

impl NotificationFilter {
    pub fn matches(&self, e: &NotificationEntry) -> bool {
        self.collection_id
            .as_ref()
            .is_none_or(|c| e.collection_id.as_ref() == Some(c))
            && self.kind.is_none_or(|k| e.kind == k)
            && self.since.is_none_or(|s| e.sent_at >= s)
    }
}

/// The name mail is sent under (`株式会社サンプル 人事部`): 1–64 characters, no line break or
/// other control character (it goes into a header). Taken as given, like an address: the
/// API's document states exactly what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SenderName(String);

impl SenderName {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty() && s.chars().count() <= 64 && !s.chars().any(char::is_control);
        ok.then(|| SenderName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When the employee is reminded of an open link: `after_days` (1–30) after the last email,
/// at most `max` (0–5) times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReminderRule {
    pub after_days: u32,
    pub max: u32,
}

impl ReminderRule {
    pub const DAYS: std::ops::RangeInclusive<u32> = 1..=30;
    pub const MAX: std::ops::RangeInclusive<u32> = 0..=5;
}

crate::words::vocabulary! {
    /// The day of the weekly digest.
    pub enum Weekday {
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
        Saturday = "saturday",
        Sunday = "sunday",
    }
}

/// `{"digest": {"weekday": …}}`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DigestRule {
    pub weekday: Weekday,
}

/// A tenant's notification settings (SPEC §4d), as stored and as `GET` answers them. The HR
/// addresses are the admin's to read, so they are answered in full here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationSettings {
    pub sender_name: SenderName,
    #[serde(serialize_with = "exposed")]
    pub hr_recipients: Vec<EmailAddress>,
    pub reminders: ReminderRule,
    pub digest: DigestRule,
}

fn exposed<S: serde::Serializer>(a: &[EmailAddress], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(a.iter().map(EmailAddress::expose))
}

impl NotificationSettings {
    pub const MAX_HR_RECIPIENTS: usize = 10;
}

impl Default for NotificationSettings {
    /// What a tenant that never saved settings gets: mail signed by "人事部", no HR
    /// recipients (so no HR mail), two reminders three days apart, the digest on Mondays.
    fn default() -> Self {
        NotificationSettings {
            sender_name: SenderName("人事部".to_owned()),
            hr_recipients: Vec::new(),
            reminders: ReminderRule {
                after_days: 3,
                max: 2,
            },
            digest: DigestRule {
                weekday: Weekday::Monday,
            },
        }
    }
}

/// Deserialises the stored form only (the API's input is parsed field by field by the
/// handler, for field-level reasons).
impl<'de> Deserialize<'de> for NotificationSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            sender_name: String,
            hr_recipients: Vec<String>,
            reminders: RawReminders,
            digest: RawDigest,
        }
        #[derive(Deserialize)]
        struct RawReminders {
            after_days: u32,
            max: u32,
        }
        #[derive(Deserialize)]
        struct RawDigest {
            weekday: Weekday,
        }
        use serde::de::Error;
        let raw = Raw::deserialize(d)?;
        Ok(NotificationSettings {
            sender_name: SenderName::parse(&raw.sender_name)
                .ok_or_else(|| D::Error::custom("sender_name"))?,
            hr_recipients: raw
                .hr_recipients
                .iter()
                .map(|a| EmailAddress::parse(a).map_err(|_| D::Error::custom("hr_recipients")))
                .collect::<Result<_, _>>()?,
            reminders: ReminderRule {
                after_days: raw.reminders.after_days,
                max: raw.reminders.max,
            },
            digest: DigestRule {
                weekday: raw.digest.weekday,
            },
        })
    }
}

/// What a submission leaves for the notify function to send (SPEC §4d), kept on the
/// submitted collection until it is sent: the employee's receipt (while it is owed, the
/// collection keeps the address it needs) and HR's notice that a submission awaits review.
/// The collect function holds a KMS key, so it sends no mail itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    pub submitted_at: DateTime<Utc>,
    /// Owed when the link had an address.
    pub receipt: Option<Received>,
    /// A record of the submission awaits review and HR has not been told yet.
    pub review: bool,
}

impl Outbox {
    /// What is left once the receipt (`receipt_sent`) and the review notice
    /// (`review_noticed`) are dealt with; `None` when nothing is.
    pub fn after(&self, receipt_sent: bool, review_noticed: bool) -> Option<Outbox> {
        let left = Outbox {
            submitted_at: self.submitted_at,
            receipt: self.receipt.clone().filter(|_| !receipt_sent),
            review: self.review && !review_noticed,
        };
        (left.receipt.is_some() || left.review).then_some(left)
    }
}

/// What the employee submitted, as the receipt tells it: never a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// `true`: the employee's own number; `false`: a refusal to give it.
    pub own_number: bool,
    pub spouse: bool,
    pub dependents: u32,
    pub photos: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_masked() {
        for ok in [
            "hr@example.co.jp",
            "taro.yamada+mynumber@Example.JP",
            "a@b.io",
        ] {
            let a = EmailAddress::parse(ok).unwrap();
            assert_eq!(
                format!("{a:?}"),
                format!("EmailAddress({})", a.masked().as_str())
            );
        }
        assert_eq!(
            EmailAddress::parse("Taro@Example.CO.JP").unwrap().expose(),
            "Taro@example.co.jp"
        );
        assert_eq!(
            EmailAddress::parse("taro@example.co.jp")
                .unwrap()
                .masked()
                .as_str(),
            "t***@example.co.jp"
        );
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.jp",
            "taro@example",
            "ta ro@example.jp",
            ".taro@example.jp",
            "taro.@example.jp",
            "ta..ro@example.jp",
            "taro@-ex.jp",
            "taro@example.j",
            "太郎@example.jp",
            "taro@example.jp\r\nBcc: x@y.jp",
            "a@b@example.jp",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            EmailAddress::parse(&format!("{}@example.jp", "a".repeat(250))),
            Err(AddressRule::Length)
        );
    }

    #[test]
    fn stored_settings_read_back_and_refuse_what_the_api_would() {
        let s = NotificationSettings::default();
        let json = serde_json::to_value(&s).unwrap();
        let back: NotificationSettings = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, s);
        let mut bad = json;
        bad["hr_recipients"] = serde_json::json!(["not an address"]);
        assert!(serde_json::from_value::<NotificationSettings>(bad).is_err());
    }
}

//! Strict identifiers. Every id ends up in DynamoDB keys, KMS encryption contexts (which
//! CloudTrail logs in plaintext) and audit events, so each is a short, plain charset that
//! can hold no key separator, no markup and no My Number.

use crate::number::holds_digit_run;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why an id was refused; `code()` is the stable API `rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdRule {
    #[error("empty or too long")]
    Length,
    #[error("holds a character outside the allowed set")]
    Charset,
    #[error("looks like a My Number, which may not be used as an id")]
    LooksLikeNumber,
    #[error("not a record id")]
    Format,
}

impl IdRule {
    pub fn code(self) -> &'static str {
        match self {
            IdRule::Length => "length",
            IdRule::Charset => "charset",
            IdRule::LooksLikeNumber => "contains_number",
            IdRule::Format => "format",
        }
    }
}

fn check_plain(s: &str, max: usize, extra: &[char]) -> Result<(), IdRule> {
    if s.is_empty() || s.len() > max {
        return Err(IdRule::Length);
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    {
        return Err(IdRule::Charset);
    }
    if holds_digit_run(s) {
        return Err(IdRule::LooksLikeNumber);
    }
    Ok(())
}

macro_rules! plain_id {
    ($(#[$doc:meta])* $name:ident, $max:expr, $extra:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdRule> {
                check_plain(s, $max, $extra)?;
                Ok(Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        /// Read back (audit review) under the same rules as `parse`.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(|e| {
                    serde::de::Error::custom(format!("{} {s:?}: {e}", stringify!($name)))
                })
            }
        }
    };
}

plain_id!(
    /// One legal entity (事業者): `[A-Za-z0-9_-]{1,64}`.
    TenantId, 64, &['_', '-']
);
plain_id!(
    /// The employer's own employee id (never a personnel file): `[A-Za-z0-9._-]{1,64}`.
    EmployeeId, 64, &['_', '-', '.']
);
plain_id!(
    /// A principal's `sub`: `[A-Za-z0-9._@:+-]{1,128}`.
    Subject, 128, &['_', '-', '.', '@', ':', '+']
);
/// A client's `Idempotency-Key`: `[A-Za-z0-9._:-]{1,128}`, or any UUID (whose last group
/// may be 12 digits without being a number).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, IdRule> {
        if uuid::Uuid::try_parse(s)
            .is_ok_and(|u| u.hyphenated().to_string() == s.to_ascii_lowercase())
        {
            return Ok(Self(s.to_owned()));
        }
        check_plain(s, 128, &['_', '-', '.', ':'])?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client chose the key, and a key may hold anything a UUID can — 12 digits that are a
/// My Number among them — so it is never shown.
impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdempotencyKey(…)")
    }
}

/// What the store keeps of an `Idempotency-Key`: a keyed MAC of the tenant and the key,
/// in hex, never the key itself (a plain hash could be reversed by trying every number).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyDigest(String);

impl KeyDigest {
    pub fn from_mac(mac: &[u8]) -> Self {
        use fmt::Write;
        let mut hex = String::with_capacity(mac.len() * 2);
        for b in mac {
            let _ = write!(hex, "{b:02x}");
        }
        KeyDigest(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyDigest({})", self.0)
    }
}
/// The duplicate index's name for a number (SPEC §4b): a keyed MAC of the tenant and the
/// number, in hex. Equal numbers in one tenant have equal keys; without the MAC key no
/// number can be found from it (a plain hash of 12 digits could be reversed by trying
/// every number).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NumberKey(String);

impl NumberKey {
    pub fn from_mac(mac: &[u8]) -> Self {
        NumberKey(KeyDigest::from_mac(mac).0)
    }

    /// As the store kept it: 64 lower-case hex digits, or nothing.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| NumberKey(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NumberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NumberKey({}…)", &self.0[..8.min(self.0.len())])
    }
}

plain_id!(
    /// A request id from Lambda or API Gateway, for audit correlation.
    RequestId, 128, &['_', '-', '.', ':', '=', '+', '/']
);

/// A record id: a random UUIDv4 in lower-case hyphenated form, never derived from the number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RecordId(String);

impl RecordId {
    pub fn new_random() -> Self {
        RecordId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    pub fn parse(s: &str) -> Result<Self, IdRule> {
        if s.len() != 36 {
            return Err(IdRule::Format);
        }
        let ok = s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        });
        if ok {
            Ok(RecordId(s.to_owned()))
        } else {
            Err(IdRule::Format)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.0)
    }
}

/// Read back (audit review) under the same rules as `parse`.
impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|e| serde::de::Error::custom(format!("RecordId {s:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_plain_values() {
        assert!(EmployeeId::parse("E0001").is_ok());
        assert!(EmployeeId::parse("emp.2024-001_x").is_ok());
        assert!(TenantId::parse("acme-jp").is_ok());
        assert!(Subject::parse("7f3c2a90-1111-4b4b-9c9c-0123456789ab").is_ok());
    }

    #[test]
    fn ids_refuse_by_rule() {
        assert_eq!(EmployeeId::parse("").unwrap_err(), IdRule::Length);
        assert_eq!(
            EmployeeId::parse(&"a".repeat(65)).unwrap_err(),
            IdRule::Length
        );
        assert_eq!(EmployeeId::parse("E#1").unwrap_err(), IdRule::Charset);
        assert_eq!(EmployeeId::parse("社員1").unwrap_err(), IdRule::Charset);
        assert_eq!(TenantId::parse("a.b").unwrap_err(), IdRule::Charset);
        assert_eq!(
            EmployeeId::parse("123456789018").unwrap_err(),
            IdRule::LooksLikeNumber
        );
    }

    #[test]
    fn uuid_idempotency_keys_are_accepted_even_with_a_digit_tail() {
        assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert!(IdempotencyKey::parse("550E8400-E29B-41D4-A716-446655440000").is_ok());
        assert_eq!(
            IdempotencyKey::parse("1234-5678-9018").unwrap_err(),
            IdRule::LooksLikeNumber
        );
        assert!(IdempotencyKey::parse("order-2026-11-24-7").is_ok());
    }

    #[test]
    fn record_ids_are_random_uuids() {
        let a = RecordId::new_random();
        let b = RecordId::new_random();
        assert_ne!(a, b);
        assert_eq!(RecordId::parse(a.as_str()).unwrap(), a);
        assert_eq!(RecordId::parse("not-a-uuid").unwrap_err(), IdRule::Format);
        assert!(RecordId::parse("7F3C2A90-1111-4B4B-9C9C-0123456789AB").is_err());
    }
}

/// A collection id: a random UUID, like a record id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CollectionId(RecordId);

impl CollectionId {
    pub fn new_random() -> Self {
        CollectionId(RecordId::new_random())
    }

    pub fn parse(s: &str) -> Result<Self, IdRule> {
        RecordId::parse(s).map(CollectionId)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// As the store's listings position it (a UUID, like a record's).
    pub fn as_record_id(&self) -> &RecordId {
        &self.0
    }
}

impl fmt::Display for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollectionId({})", self.as_str())
    }
}

impl<'de> Deserialize<'de> for CollectionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|e| serde::de::Error::custom(format!("CollectionId: {e}")))
    }
}

/// A document id: a random UUID, like a record id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DocumentId(RecordId);

impl DocumentId {
    pub fn new_random() -> Self {
        DocumentId(RecordId::new_random())
    }

    pub fn parse(s: &str) -> Result<Self, IdRule> {
        RecordId::parse(s).map(DocumentId)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DocumentId::parse(&s).map_err(|_| serde::de::Error::custom("not a document id"))
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({})", self.as_str())
    }
}

/// An id that is a random UUID whose first 48 bits are the time in milliseconds (the
/// layout of a UUIDv7), so that a tenant's items of one kind sort by when they were made.
macro_rules! time_sorted_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(RecordId);

        impl $name {
            pub fn new_at(at: DateTime<Utc>) -> Self {
                let random = RecordId::new_random();
                let ms = at.timestamp_millis().clamp(0, (1 << 48) - 1);
                let hex = format!("{ms:012x}");
                let id = format!("{}-{}{}", &hex[..8], &hex[8..], &random.as_str()[13..]);
                $name(RecordId::parse(&id).expect("a UUID's shape"))
            }

            pub fn parse(s: &str) -> Result<Self, IdRule> {
                RecordId::parse(s).map($name)
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// As the store's listings position it (a UUID, like a record's).
            pub fn as_record_id(&self) -> &RecordId {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(|e| {
                    serde::de::Error::custom(format!(concat!(stringify!($name), ": {}"), e))
                })
            }
        }
    };
}

time_sorted_id! {
    /// An export id (SPEC §4b).
    ExportId
}

time_sorted_id! {
    /// A deletion certificate's id (SPEC §4e).
    CertificateId
}

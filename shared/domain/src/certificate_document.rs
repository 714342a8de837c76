//! The deletion certificate as a document (SPEC §4e): what it states, its summary, the
//! digest that is signed, and the words the PDF prints. No port: the use case that issues
//! certificates is `certificate`.
//!
//! The signature: ECDSA P-256 with SHA-256 over the 32 bytes of SHA-256 of the document's
//! canonical JSON (RFC 8785) without its `signature` member. Signing the digest as the
//! message (rather than handing KMS a digest to sign as is) keeps one construction for
//! documents of any size — KMS signs at most 4,096 bytes of message — that the emulator
//! and AWS sign alike (moto ignores `MessageType=DIGEST`).

pub use crate::ids::CertificateId;
use crate::ids::{EmployeeId, Subject, TenantId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The document's format, written into it.
pub const FORMAT: &str = "mynumber-vault.deletion-certificate/1";
/// The signature's algorithm, as KMS names it.
pub const SIGNATURE_ALGORITHM: &str = "ECDSA_SHA_256";
/// Disposals one certificate may hold; a longer period is split by the issuer. At most
/// about 450 bytes a row, the signed document stays under the 4 MB one transaction stores.
pub const MAX_DISPOSALS: usize = 5_000;
/// The first day a My Number existed (番号の通知, 2015-10-05): the start of an employee's
/// certificate when no period is given.
pub fn numbers_began() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 10, 5).expect("a date")
}

/// What `POST /v1/certificates` asks for: a period (both days in JST, inclusive), or one
/// employee's disposals (the period then defaults to all of them up to today).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub employee: Option<EmployeeId>,
}

/// One disposal as the certificate states it: ids, dates and words, never a number or MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedDisposal {
    pub record_id: String,
    pub employee_id: String,
    pub relation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependent_label: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<NaiveDate>,
    pub disposed_at: String,
    /// `schedule`, `dynamodb_ttl` or `principal:{sub}`.
    pub disposed_by: String,
    pub backup_expires_at: String,
    pub documents_deleted: u64,
}

/// What listings and the issue answer show of a certificate (SPEC §4e's header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSummary {
    pub certificate_id: CertificateId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<EmployeeId>,
    pub disposal_count: u64,
    pub issued_at: String,
    pub issued_by: Subject,
    pub key_id: String,
}

/// The signed document (`GET /v1/certificates/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub format: String,
    #[serde(flatten)]
    pub summary: CertificateSummary,
    pub tenant_id: TenantId,
    /// The tenant's display name when it set one (`PUT /v1/settings/organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    pub statement: String,
    /// When the last backup copy of any listed record expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups_expire_by: Option<String>,
    pub signature_algorithm: String,
    /// The signing key's public half: DER SubjectPublicKeyInfo, base64.
    pub public_key: String,
    /// `SHA256:` and the hex SHA-256 of that DER: what the PDF prints and the published
    /// key is compared by.
    pub key_fingerprint: String,
    pub disposals: Vec<CertifiedDisposal>,
    /// The DER ECDSA signature, base64; absent only while the document is being signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The certificate's statement of deletion, in the words the PDF prints.
pub fn statement(from: NaiveDate, to: NaiveDate) -> String {
    format!(
        "{}から{}までに削除した下記の個人番号は、行政手続における特定の個人を識別するための番号の\
         利用等に関する法律及び個人情報保護委員会のガイドラインに従い、復元できない方法で削除\
         したことを証明します。削除した記録を含むバックアップの写しは、各行のバックアップ消滅\
         日に消滅します。",
        date_ja(from),
        date_ja(to)
    )
}

/// `2026年12月7日`
pub fn date_ja(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// `SHA256:` and the hex SHA-256 of a DER public key.
pub fn fingerprint(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("SHA256:{hex}")
}

/// The canonical JSON (RFC 8785) of `document` without its `signature` member: the bytes
/// whose SHA-256 is signed.
pub fn unsigned_canonical(document: &serde_json::Value) -> Result<Vec<u8>, serde_json::Error> {
    let mut unsigned = document.clone();
    if let Some(map) = unsigned.as_object_mut() {
        map.remove("signature");
    }
    serde_jcs::to_vec(&unsigned)
}

/// The 32 bytes that are signed: SHA-256 of `unsigned_canonical`.
pub fn signed_digest(document: &serde_json::Value) -> Result<[u8; 32], serde_json::Error> {
    Ok(Sha256::digest(unsigned_canonical(document)?).into())
}

/// The tenant's name as documents print it: 1–100 characters, no control characters, no
/// My Number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        crate::relation::plain_text(s, 100)
            .map(|s| OrganizationName(s.to_owned()))
            .map_err(crate::relation::LabelRule::code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `GET|PUT /v1/settings/organization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub display_name: Option<OrganizationName>,
}

/// Standard base64 with padding, as PEM and the document carry keys and signatures.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The PEM text of a DER public key (`GET /v1/certificates/public-key`).
pub fn public_key_pem(spki_der: &[u8]) -> String {
    let b64 = base64(spki_der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_digest_ignores_the_signature_and_member_order() {
        let a = serde_json::json!({"b": 1, "a": "x", "signature": "AAAA"});
        let b = serde_json::json!({"a": "x", "b": 1});
        assert_eq!(signed_digest(&a).unwrap(), signed_digest(&b).unwrap());
        let c = serde_json::json!({"a": "y", "b": 1});
        assert_ne!(signed_digest(&a).unwrap(), signed_digest(&c).unwrap());
    }

    #[test]
    fn an_organization_name_holds_no_number_and_no_control_character() {
        assert!(OrganizationName::parse("株式会社サンプル").is_ok());
        assert_eq!(OrganizationName::parse(" "), Err("length"));
        assert_eq!(OrganizationName::parse("a\u{7}"), Err("charset"));
        assert_eq!(
            OrganizationName::parse("会社 123456789018"),
            Err("contains_number")
        );
    }
}

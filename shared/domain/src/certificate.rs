//! Deletion certificates (個人番号削除証明書, SPEC §4e): the disposal records of a period,
//! or of one employee, as a document signed by a KMS key whose public half anyone can
//! have, so that whoever holds the document can check it without trusting the vault.
//!
//! The signature: ECDSA P-256 with SHA-256 over the 32 bytes of SHA-256 of the document's
//! canonical JSON (RFC 8785) without its `signature` member. Signing the digest as the
//! message (rather than handing KMS a digest to sign as is) keeps one construction for
//! documents of any size — KMS signs at most 4,096 bytes of message — that the emulator
//! and AWS sign alike (moto ignores `MessageType=DIGEST`).

use crate::error::{FieldError, VaultError};
pub use crate::ids::CertificateId;
use crate::ids::{EmployeeId, Subject, TenantId};
use crate::ports::{CertificateSigner, Certificates, Page, PageRequest};
use crate::record::timestamp;
use crate::retention::{jst_midnight, jst_today};
use crate::usecase::{Authorised, Core};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

crate::usecase::operations! {
    IssueCertificate = (CertificateIssued, IssueCertificate);
    ListCertificates = (ListCertificates, ReadCertificates);
    /// The signed document, as JSON or as its PDF.
    GetCertificate = (CertificateDownloaded, ReadCertificates);
    ReadOrganization = (ReadOrganization, ReadCertificates);
    SetOrganization = (OrganizationChanged, ManageOrganization);
}

/// The document's format, written into it.
pub const FORMAT: &str = "mynumber-vault.deletion-certificate/1";
/// The signature's algorithm, as KMS names it.
pub const SIGNATURE_ALGORITHM: &str = "ECDSA_SHA_256";
/// Disposals one certificate may hold; a longer period is split by the issuer.
pub const MAX_DISPOSALS: usize = 10_000;
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

/// The 32 bytes that are signed: SHA-256 of the canonical JSON (RFC 8785) of `document`
/// without its `signature` member.
pub fn signed_digest(document: &serde_json::Value) -> Result<[u8; 32], serde_json::Error> {
    let mut unsigned = document.clone();
    if let Some(map) = unsigned.as_object_mut() {
        map.remove("signature");
    }
    let canonical = serde_jcs::to_vec(&unsigned)?;
    Ok(Sha256::digest(&canonical).into())
}

/// The tenant's name as documents print it: 1–100 characters, no control characters, no
/// My Number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        let n = s.chars().count();
        if n == 0 || n > 100 {
            return Err("length");
        }
        if s.chars().any(char::is_control) {
            return Err("charset");
        }
        if crate::number::holds_my_number(s) {
            return Err("contains_number");
        }
        Ok(OrganizationName(s.to_owned()))
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

pub struct CertificateService {
    core: Core,
    store: Arc<dyn Certificates>,
    signer: Arc<dyn CertificateSigner>,
}

impl CertificateService {
    pub fn new(
        core: Core,
        store: Arc<dyn Certificates>,
        signer: Arc<dyn CertificateSigner>,
    ) -> Self {
        CertificateService {
            core,
            store,
            signer,
        }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// `POST /v1/certificates`: every disposal record of the period (or of the employee),
    /// signed and stored for good.
    pub async fn issue(
        &self,
        auth: Authorised<'_, ops::IssueCertificate>,
        input: CertificateRequest,
    ) -> Result<CertificateSummary, VaultError> {
        auth.run(async |event, principal, now| {
            let today = jst_today(now);
            event.employee_id = input.employee.clone();
            let (from, to) = period(&input, today)?;
            let tenant = &principal.tenant;
            // From the first moment of `from` to the last of `to`, in Japan.
            let since = jst_midnight(from);
            let until = jst_midnight(to + Duration::days(1));
            let disposals = self
                .store
                .disposals_between(
                    tenant,
                    since,
                    until,
                    input.employee.as_ref(),
                    MAX_DISPOSALS + 1,
                )
                .await?;
            if disposals.len() > MAX_DISPOSALS {
                return Err(VaultError::invalid("to", "too_many_disposals"));
            }
            let public_key = self.signer.public_key().await?;
            let id = CertificateId::new_at(now);
            event.certificate_id = Some(id.clone());
            event.count = Some(disposals.len() as u64);
            let backups_expire_by = disposals.iter().map(|d| d.backup_expires_at).max();
            let summary = CertificateSummary {
                certificate_id: id.clone(),
                from,
                to,
                employee_id: input.employee.clone(),
                disposal_count: disposals.len() as u64,
                issued_at: timestamp(now),
                issued_by: principal.sub.clone(),
                key_id: self.signer.key_id().to_owned(),
            };
            let mut document = Certificate {
                format: FORMAT.to_owned(),
                summary: summary.clone(),
                tenant_id: tenant.clone(),
                tenant_name: self
                    .store
                    .organization_name(tenant)
                    .await?
                    .map(|n| n.as_str().to_owned()),
                statement: statement(from, to),
                backups_expire_by: backups_expire_by.map(timestamp),
                signature_algorithm: SIGNATURE_ALGORITHM.to_owned(),
                public_key: base64(&public_key),
                key_fingerprint: fingerprint(&public_key),
                disposals: disposals.iter().map(certified).collect(),
                signature: None,
            };
            let value = serde_json::to_value(&document).expect("a certificate serialises");
            let digest = signed_digest(&value).expect("a certificate canonicalises");
            let signature = self.signer.sign(&digest).await?;
            document.signature = Some(base64(&signature));
            let json = serde_json::to_string(&document).expect("a certificate serialises");
            self.store.put_certificate(tenant, &summary, &json).await?;
            Ok(summary)
        })
        .await
    }

    /// `GET /v1/certificates`: the tenant's certificates, newest first.
    pub async fn list(
        &self,
        auth: Authorised<'_, ops::ListCertificates>,
        page: PageRequest,
    ) -> Result<Page<CertificateSummary>, VaultError> {
        auth.run(async |event, principal, _| {
            let page = self
                .store
                .list_certificates(&principal.tenant, &page)
                .await?;
            event.count = Some(page.items.len() as u64);
            Ok(page)
        })
        .await
    }

    /// `GET /v1/certificates/{id}` and its PDF: the stored document, byte for byte as
    /// signed; another tenant's is 404.
    pub async fn get(
        &self,
        auth: Authorised<'_, ops::GetCertificate>,
        id: CertificateId,
    ) -> Result<(String, Certificate), VaultError> {
        auth.run(async |event, principal, _| {
            event.certificate_id = Some(id.clone());
            let json = self
                .store
                .get_certificate(&principal.tenant, &id)
                .await?
                .ok_or(VaultError::NotFound)?;
            let document: Certificate = serde_json::from_str(&json).map_err(|_| {
                VaultError::from(crate::ports::Unavailable(
                    "a stored certificate does not parse".into(),
                ))
            })?;
            event.employee_id = document.summary.employee_id.clone();
            event.count = Some(document.summary.disposal_count);
            Ok((json, document))
        })
        .await
    }

    /// `GET /v1/certificates/public-key`: DER SubjectPublicKeyInfo (anyone may have it).
    pub async fn public_key(&self) -> Result<Vec<u8>, VaultError> {
        Ok(self.signer.public_key().await?)
    }

    pub async fn organization(
        &self,
        auth: Authorised<'_, ops::ReadOrganization>,
    ) -> Result<Organization, VaultError> {
        auth.run(async |_, principal, _| {
            Ok(Organization {
                display_name: self.store.organization_name(&principal.tenant).await?,
            })
        })
        .await
    }

    pub async fn set_organization(
        &self,
        auth: Authorised<'_, ops::SetOrganization>,
        name: OrganizationName,
    ) -> Result<Organization, VaultError> {
        auth.run(async |_, principal, _| {
            self.store
                .put_organization_name(&principal.tenant, &name)
                .await?;
            Ok(Organization {
                display_name: Some(name),
            })
        })
        .await
    }
}

/// The period a request covers, checked against today (JST).
fn period(
    input: &CertificateRequest,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), VaultError> {
    let mut errors = Vec::new();
    let (from, to) = match (input.from, input.to, &input.employee) {
        (Some(f), Some(t), _) => (f, t),
        (None, None, Some(_)) => (numbers_began(), today),
        (f, t, _) => {
            for (name, v) in [("from", f), ("to", t)] {
                if v.is_none() {
                    errors.push(FieldError::new(name, "required"));
                }
            }
            return Err(VaultError::Invalid(errors));
        }
    };
    if to > today {
        errors.push(FieldError::new("to", "future"));
    }
    if from > to {
        errors.push(FieldError::new("from", "after_to"));
    }
    if errors.is_empty() {
        Ok((from, to))
    } else {
        Err(VaultError::Invalid(errors))
    }
}

fn certified(d: &crate::disposal::DisposalRecord) -> CertifiedDisposal {
    use crate::disposal::Disposer;
    CertifiedDisposal {
        record_id: d.record_id.as_str().to_owned(),
        employee_id: d.employee_id.as_str().to_owned(),
        relation: d.relation.code().to_owned(),
        dependent_label: d.dependent_label.as_ref().map(|l| l.as_str().to_owned()),
        reason: d.reason.code().to_owned(),
        due_at: d.due_at,
        disposed_at: timestamp(d.disposed_at),
        disposed_by: match &d.disposed_by {
            Disposer::Principal(p) => format!("principal:{p}"),
            Disposer::Schedule => "schedule".to_owned(),
            Disposer::DynamodbTtl => "dynamodb_ttl".to_owned(),
        },
        backup_expires_at: timestamp(d.backup_expires_at),
        documents_deleted: d.documents_deleted,
    }
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
    fn a_period_is_both_days_or_an_employee_and_never_ends_after_today() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-07");
        let req = |from, to, e: Option<&str>| CertificateRequest {
            from,
            to,
            employee: e.map(|e| EmployeeId::parse(e).unwrap()),
        };
        assert_eq!(
            period(&req(Some(d("2026-01-01")), Some(today), None), today).unwrap(),
            (d("2026-01-01"), today)
        );
        assert_eq!(
            period(&req(None, None, Some("E1")), today).unwrap(),
            (numbers_began(), today)
        );
        let fields = |r| match period(&r, today) {
            Err(VaultError::Invalid(f)) => f
                .iter()
                .map(|f| format!("{}:{}", f.field, f.rule))
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(req(None, Some(today), None)), ["from:required"]);
        assert_eq!(
            fields(req(Some(d("2026-12-08")), Some(d("2026-12-09")), None)),
            ["to:future"]
        );
        assert_eq!(
            fields(req(Some(d("2026-12-02")), Some(d("2026-12-01")), None)),
            ["from:after_to"]
        );
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

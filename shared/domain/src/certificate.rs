//! Deletion certificates (個人番号削除証明書, SPEC §4e): the disposal records of a period,
//! or of one employee, as a document signed by a KMS key whose public half anyone can
//! have, so that whoever holds the document can check it without trusting the vault.
//!
//! The document itself, and what is signed, is `certificate_document`.

use crate::error::{FieldError, VaultError};
use crate::ports::{CertificateSigner, Certificates, Page, PageRequest};
use crate::record::timestamp;
use crate::retention::{jst_midnight, jst_today};
use crate::usecase::{Authorised, Core};
use chrono::{Duration, NaiveDate};
use std::sync::Arc;

crate::usecase::operations! {
    IssueCertificate = (CertificateIssued, IssueCertificate);
    ListCertificates = (ListCertificates, ReadCertificates);
    /// The signed document, as JSON or as its PDF.
    GetCertificate = (CertificateDownloaded, ReadCertificates);
    ReadOrganization = (ReadOrganization, ReadCertificates);
    SetOrganization = (OrganizationChanged, ManageOrganization);
}

pub use crate::certificate_document::*;

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
        errors.push(FieldError::new("to", "future_date"));
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
    CertifiedDisposal {
        record_id: d.record_id.as_str().to_owned(),
        employee_id: d.employee_id.as_str().to_owned(),
        relation: d.relation.code().to_owned(),
        dependent_label: d.dependent_label.as_ref().map(|l| l.as_str().to_owned()),
        reason: d.reason.code().to_owned(),
        due_at: d.due_at,
        disposed_at: timestamp(d.disposed_at),
        disposed_by: d.disposed_by.stored(),
        backup_expires_at: timestamp(d.backup_expires_at),
        documents_deleted: d.documents_deleted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EmployeeId;

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
            ["to:future_date"]
        );
        assert_eq!(
            fields(req(Some(d("2026-12-02")), Some(d("2026-12-01")), None)),
            ["from:after_to"]
        );
    }
}

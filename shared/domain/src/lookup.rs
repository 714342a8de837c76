//! The lookup function's use case: listings, the disposal log and the reveal. The only
//! use case that may decrypt, and only after the reveal's trail item is stored.

mod exports;
mod handling;
mod summary;

pub use handling::{HandlingFilter, MAX_PERIOD_DAYS};
pub use summary::Summary;

use crate::audit::{AuditKind, Outcome};
use crate::disposal::DisposalRecord;
use crate::error::{Conflict, Forbidden, VaultError};
use crate::ids::{EmployeeId, RecordId};
use crate::number::MyNumber;
use crate::ports::{
    AuditTrail, CollectionCounts, DisposalLog, ExportTrail, Exports, LastPurgeRun, NumberDecryptor,
    Page, PageRequest, RecordReads, RevealTrail, TrailReads,
};
use crate::purpose::Purpose;
use crate::record::{Content, Record, RecordView};
use crate::retention::jst_today;
use crate::usecase::Authorised;
use crate::usecase::{Core, live_record};
use std::sync::Arc;

crate::usecase::operations! {
    ListRecords = (List, ListRecords);
    /// One record's metadata: audited as a listing of one.
    GetRecord = (List, ListRecords);
    ListDisposals = (ListDisposals, ListDisposals);
    Reveal = (Reveal, RevealNumber);
}

/// The store ports lookup's role allows: reads, the reveal trail and quota (refused reveals
/// too), the log, exports with their trail, the trail read back for auditors, and the
/// home page's counts of links and the purge's last run.
pub trait LookupStore:
    RecordReads
    + RevealTrail
    + AuditTrail
    + TrailReads
    + DisposalLog
    + Exports
    + ExportTrail
    + CollectionCounts
    + LastPurgeRun
{
}
impl<T> LookupStore for T where
    T: RecordReads
        + RevealTrail
        + AuditTrail
        + TrailReads
        + DisposalLog
        + Exports
        + ExportTrail
        + CollectionCounts
        + LastPurgeRun
{
}

#[derive(Debug)]
pub struct Revealed {
    pub record_id: RecordId,
    pub purpose: Purpose,
    pub number: MyNumber,
}

pub struct LookupService {
    pub(crate) core: Core,
    pub(crate) store: Arc<dyn LookupStore>,
    pub(crate) decryptor: Arc<dyn NumberDecryptor>,
}

impl LookupService {
    pub fn new(
        core: Core,
        store: Arc<dyn LookupStore>,
        decryptor: Arc<dyn NumberDecryptor>,
    ) -> Self {
        LookupService {
            core,
            store,
            decryptor,
        }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// `GET /v1/records?employee_id=…`: metadata only, past-due records left out.
    pub async fn list_records(
        &self,
        auth: Authorised<'_, ops::ListRecords>,
        input: (EmployeeId, PageRequest),
    ) -> Result<Page<RecordView>, VaultError> {
        auth.run(async |event, principal, now| {
            let (employee, page) = input;
            event.employee_id = Some(employee.clone());
            let page = self
                .store
                .list_records(&principal.tenant, &employee, &page)
                .await?;
            let today = jst_today(now);
            let items: Vec<RecordView> = page
                .items
                .iter()
                .filter(|r| !r.is_gone(today))
                .map(Record::view)
                .collect();
            event.count = Some(items.len() as u64);
            Ok(Page {
                items,
                next_cursor: page.next_cursor,
            })
        })
        .await
    }

    /// `GET /v1/records/{id}`: one record's metadata (never its number), as the listing
    /// shows it; a past-due or another tenant's record is 404.
    pub async fn get_record(
        &self,
        auth: Authorised<'_, ops::GetRecord>,
        input: RecordId,
    ) -> Result<RecordView, VaultError> {
        auth.run(async |event, principal, now| {
            let record_id = input;
            event.record_id = Some(record_id.clone());
            let record = live_record(&*self.store, &principal.tenant, &record_id, now).await?;
            event.employee_id = Some(record.employee_id.clone());
            event.relation = Some(record.relation.kind());
            event.count = Some(1);
            Ok(record.view())
        })
        .await
    }

    /// `GET /v1/disposals`: the disposal log, newest first, optionally for one employee.
    pub async fn list_disposals(
        &self,
        auth: Authorised<'_, ops::ListDisposals>,
        input: (Option<EmployeeId>, PageRequest),
    ) -> Result<Page<DisposalRecord>, VaultError> {
        auth.run(async |event, principal, _now| {
            let (employee, page) = input;
            event.employee_id = employee.clone();
            let page = self
                .store
                .list_disposals(&principal.tenant, employee.as_ref(), &page)
                .await?;
            event.count = Some(page.items.len() as u64);
            Ok(page)
        })
        .await
    }

    /// `POST /v1/records/{id}/reveal`: handler only, purpose bound, and the number only
    /// after the reveal's audit record is durably stored.
    pub async fn reveal(
        &self,
        auth: Authorised<'_, ops::Reveal>,
        input: (RecordId, Purpose),
    ) -> Result<Revealed, VaultError> {
        auth.run(async |event, principal, now| {
            let (record_id, purpose) = input;
            event.record_id = Some(record_id.clone());
            event.purpose = Some(purpose);
            let record = live_record(&*self.store, &principal.tenant, &record_id, now).await?;
            event.employee_id = Some(record.employee_id.clone());
            event.relation = Some(record.relation.kind());
            if !record.purposes.permits(purpose) {
                // A refused reveal is in the durable trail too (the record of handling
                // shows attempts); if that write fails, the caller learns nothing more
                // than from the refusal.
                let refused = VaultError::Forbidden(Forbidden::PurposeNotStated);
                let mut trail = event.clone();
                trail.event = AuditKind::Denied;
                trail.outcome = Outcome::Denied;
                trail.reason = Some((&refused).into());
                self.store
                    .append_audit(&trail, now + self.core.config.audit_retention)
                    .await?;
                return Err(refused);
            }
            let ciphertext = match &record.content {
                Content::Active { ciphertext, .. } => ciphertext,
                // Not until a registrar has checked the identity documents.
                Content::Pending { .. } => {
                    return Err(VaultError::Conflict(Conflict::PendingReview));
                }
                Content::Refused { .. } => {
                    return Err(VaultError::Conflict(Conflict::NoNumber));
                }
            };
            let hour = crate::usecase::hour_of(now);
            let config = &self.core.config;
            // Fail closed: no durable trail, no number; the quota and the trail
            // are one write, so neither is counted without the other.
            let mut trail = event.clone();
            trail.outcome = Outcome::Authorized;
            if !self
                .store
                .record_reveal(
                    &principal.tenant,
                    &principal.sub,
                    hour,
                    config.reveal_limit_per_hour,
                    &trail,
                    now + config.audit_retention,
                )
                .await?
            {
                return Err(VaultError::Throttled);
            }
            let number = self
                .decryptor
                .decrypt(&principal.tenant, &record_id, ciphertext)
                .await?;
            Ok(Revealed {
                record_id,
                purpose,
                number,
            })
        })
        .await
    }
}

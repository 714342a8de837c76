//! The duplicate index's one-off backfill (SPEC §4b): records registered before the index
//! existed have no `number_key`, so a duplicate of them goes unnoticed. The backfill opens
//! each such number once (the only way to MAC it), files the record under its key with
//! its entry, and claims the number for an employee's own record. Idempotent: a record
//! already filed is skipped, so a run cut off is simply run again.
//!
//! Two employees whose own records already hold one number (a duplicate the vault could not
//! see before) are reported, not resolved: both records stay, the first one filed holds the
//! claim, and HR decides which is wrong.

use crate::audit::{AuditEvent, AuditKind, AuditSink, Caller, Outcome};
use crate::ids::{EmployeeId, NumberKey, RecordId, Subject, TenantId};
use crate::ports::{
    AuditTrail, CipherError, Clock, Cursor, Exports, NumberDecryptor, NumberMac, Unavailable,
};
use crate::record::{Content, Record};
use async_trait::async_trait;
use futures::StreamExt;
use serde::Serialize;
use std::sync::Arc;

/// KMS calls in flight at once.
const CONCURRENCY: usize = 8;

/// How filing one record went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// Filed (and, for an own number, claimed).
    Filed,
    /// Filed, but another employee's own record claims the same number.
    ClaimedBy(EmployeeId),
    /// The record changed or went since it was read (a concurrent write); left for the
    /// next run.
    Changed,
}

/// Filing a record under its number's key: one write, conditional on the record being as
/// read and still unfiled.
#[async_trait]
pub trait NumberFiling: Send + Sync {
    async fn file_number(&self, record: &Record, key: &NumberKey) -> Result<Filed, Unavailable>;
}

/// What one tenant's run did. Never a number.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BackfillReport {
    pub tenant_id: String,
    /// Records read from the tenant index.
    pub records: u64,
    /// Filed by this run.
    pub filed: u64,
    /// Filed before (by intake or an earlier run), or without a number (a refusal).
    pub skipped: u64,
    /// Changed while the run read them; run again.
    pub changed: u64,
    /// Could not be opened or filed (KMS or DynamoDB failed); run again.
    pub failed: u64,
    /// Own records whose number another employee's own record already claims.
    pub duplicates: Vec<Duplicate>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Duplicate {
    pub record_id: RecordId,
    pub employee_id: EmployeeId,
    pub same_number_as: EmployeeId,
}

pub struct Backfill {
    pub records: Arc<dyn Exports>,
    pub filing: Arc<dyn NumberFiling>,
    pub decryptor: Arc<dyn NumberDecryptor>,
    pub mac: Arc<dyn NumberMac>,
    /// Each number opened is in the vault's durable trail before its Decrypt, as a reveal
    /// is, and in the audit log after.
    pub trail: Arc<dyn AuditTrail>,
    pub audit: Arc<dyn AuditSink>,
    pub clock: Arc<dyn Clock>,
    /// Who runs it (the operator's own name, beside the role CloudTrail records).
    pub operator: Subject,
    /// How long the durable trail keeps an event (the functions' `audit_retention`).
    pub audit_retention: chrono::Duration,
}

impl Backfill {
    /// Files every unfiled numbered record of `tenant`; stops only when the tenant index
    /// cannot be read.
    pub async fn run(&self, tenant: &TenantId) -> Result<BackfillReport, Unavailable> {
        let mut report = BackfillReport {
            tenant_id: tenant.as_str().to_owned(),
            ..BackfillReport::default()
        };
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self.records.tenant_records(tenant, cursor.as_ref()).await?;
            report.records += page.items.len() as u64;
            // Refusals hold no number. The tenant index does not carry `number_key`, so
            // whether a record is filed is read from the record itself below.
            let numbered: Vec<RecordId> = page
                .items
                .iter()
                .filter(|r| !matches!(r.content, Content::Refused { .. }))
                .map(|r| r.record_id.clone())
                .collect();
            report.skipped += (page.items.len() - numbered.len()) as u64;
            for ids in numbered.chunks(100) {
                let read = self.records.records_with_numbers(tenant, ids).await?;
                // Gone since the index was read: nothing left to file.
                report.changed += (ids.len() - read.len()) as u64;
                let (filed, records): (Vec<_>, Vec<_>) =
                    read.into_iter().partition(|r| r.number_key.is_some());
                report.skipped += filed.len() as u64;
                let outcomes: Vec<_> = futures::stream::iter(records)
                    .map(|r| async move {
                        let outcome = self.file(&r).await;
                        (r, outcome)
                    })
                    .buffer_unordered(CONCURRENCY)
                    .collect()
                    .await;
                for (r, outcome) in outcomes {
                    match outcome {
                        Ok(Filed::Filed) => report.filed += 1,
                        Ok(Filed::ClaimedBy(other)) => {
                            report.filed += 1;
                            report.duplicates.push(Duplicate {
                                record_id: r.record_id.clone(),
                                employee_id: r.employee_id.clone(),
                                same_number_as: other,
                            });
                        }
                        Ok(Filed::Changed) => report.changed += 1,
                        Err(_) => report.failed += 1,
                    }
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        report
            .duplicates
            .sort_by(|a, b| a.employee_id.as_str().cmp(b.employee_id.as_str()));
        Ok(report)
    }

    async fn file(&self, r: &Record) -> Result<Filed, BackfillError> {
        let ciphertext = match &r.content {
            Content::Active { ciphertext, .. } | Content::Pending { ciphertext, .. } => ciphertext,
            // Read as unfiled a moment ago; a refusal has no number to file.
            Content::Refused { .. } => return Ok(Filed::Changed),
        };
        // Fail closed, as a reveal: no durable trail, no Decrypt.
        let now = self.clock.now();
        let mut event = AuditEvent::new(AuditKind::BackfillOpened, None, &Caller::default(), now);
        event.actor = Some(self.operator.clone());
        event.tenant_id = Some(r.tenant_id.clone());
        event.record_id = Some(r.record_id.clone());
        event.employee_id = Some(r.employee_id.clone());
        event.relation = Some(r.relation.kind());
        event.outcome = Outcome::Authorized;
        self.trail
            .append_audit(&event, now + self.audit_retention)
            .await?;
        let opened = self
            .decryptor
            .decrypt(&r.tenant_id, &r.record_id, ciphertext)
            .await;
        event.outcome = if opened.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failed
        };
        self.audit.emit(&event);
        let number = opened?;
        let mac = self.mac.fingerprint(&r.tenant_id, &number).await?;
        drop(number);
        Ok(self
            .filing
            .file_number(r, &NumberKey::from_mac(&mac))
            .await?)
    }
}

#[derive(Debug, thiserror::Error)]
enum BackfillError {
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error("store unavailable: {0:?}")]
    Store(Unavailable),
}

impl From<Unavailable> for BackfillError {
    fn from(u: Unavailable) -> Self {
        BackfillError::Store(u)
    }
}

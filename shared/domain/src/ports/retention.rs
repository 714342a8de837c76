//! Departures, due dates, disposal and the disposal log (the retention clock).

use super::*;
use crate::disposal::DisposalRecord;
use crate::error::VaultError;
use crate::ids::{EmployeeId, TenantId};
use crate::record::Record;
use async_trait::async_trait;

/// A change of one record's departure, conditional on the version it was read at.
#[derive(Debug, Clone)]
pub struct DepartureChange {
    pub record: Record<()>,
    /// `None` cancels the departure (re-hire).
    pub departure: Option<crate::retention::Departure>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("a record changed meanwhile")]
    Concurrent,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// How a disposal attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposed {
    Now,
    /// Someone else (another purge, an early disposal) got there first.
    AlreadyGone,
}

/// Records whose retention has ended, across tenants, for the schedule only.
#[derive(Debug, Clone)]
pub struct DuePage {
    pub items: Vec<Record<()>>,
    /// Items the store read to find them (for the purge's cost figures).
    pub read: u64,
    pub next: Option<Cursor>,
}

/// An employee's records with the employee's revision: every intake for the employee
/// changes it, so a write conditioned on it cannot miss a record registered after this read.
#[derive(Debug, Clone, Default)]
pub struct EmployeeRecords {
    pub records: Vec<Record<()>>,
    pub revision: u64,
    /// The employee's own departure item, read consistently with the revision.
    pub departure: Option<crate::retention::Departure>,
}

/// How a departure reads an employee's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmployeeRead {
    /// In one round trip: which records there are and the revision are read consistently,
    /// their contents may come from an index that lags; a record that lagged has an older
    /// version, so the write, conditioned on the version of every record read (changed or
    /// not), refuses it.
    Quick,
    /// Every record by a consistent read: after a write was refused.
    Consistent,
}

/// Departures and re-hires: an employee's records read, and their due dates changed all at
/// once on condition that the read still holds.
#[async_trait]
pub trait Departures: Send + Sync {
    /// Every record of an employee, metadata only, and the employee's revision.
    async fn employee_records(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        read: EmployeeRead,
    ) -> Result<EmployeeRecords, Unavailable>;

    /// Sets (or, with `None`, clears) the employee's departure and the departures of
    /// their records, all or nothing, on condition that `read` still holds: every record
    /// read (changed or left alone) at its version, and the employee's revision unchanged
    /// (no record registered since).
    async fn set_departures(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        departure: Option<crate::retention::Departure>,
        changes: &[DepartureChange],
        read: &EmployeeRecords,
    ) -> Result<(), UpdateError>;
}

/// Deleting a record for good.
#[async_trait]
pub trait RecordDisposal: Send + Sync {
    /// Deletes the record (its ciphertext with it), frees its slot and writes the
    /// disposal record, all at once; `AlreadyGone` when the record no longer exists at
    /// the version read.
    async fn dispose(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable>;
}

/// The due-date index, across tenants, for the schedule only.
#[async_trait]
pub trait DueIndex: Send + Sync {
    /// Records gone by `today` (due before it), oldest first, from `cursor`.
    async fn due_records(
        &self,
        today: chrono::NaiveDate,
        cursor: Option<&Cursor>,
        limit: u16,
    ) -> Result<DuePage, Unavailable>;

    /// How many records are gone by `today` and not yet disposed of.
    async fn due_count(&self, today: chrono::NaiveDate) -> Result<u64, Unavailable>;

    /// Records due (last day of retention) from `from` through `until`, per tenant.
    async fn upcoming(
        &self,
        from: chrono::NaiveDate,
        until: chrono::NaiveDate,
    ) -> Result<Vec<(TenantId, u64)>, Unavailable>;
}

/// Reading the disposal records (the log of what was deleted, when and why).
#[async_trait]
pub trait DisposalLog: Send + Sync {
    async fn list_disposals(
        &self,
        tenant: &TenantId,
        employee: Option<&EmployeeId>,
        page: &PageRequest,
    ) -> Result<Page<DisposalRecord>, ListError>;
}

/// Recording what DynamoDB TTL deleted behind the vault's back (the backstop).
#[async_trait]
pub trait TtlDisposals: Send + Sync {
    /// Records a disposal that DynamoDB TTL has already carried out (the record item is
    /// gone): writes the disposal record and removes the record's membership entry and the
    /// slot that still names it. `AlreadyGone` when the disposal record exists already (a
    /// stream record delivered again).
    async fn record_ttl_disposal(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable>;
}

impl From<UpdateError> for VaultError {
    fn from(e: UpdateError) -> Self {
        match e {
            UpdateError::Concurrent => VaultError::Conflict(crate::error::Conflict::Concurrent),
            UpdateError::Unavailable(e) => e.into(),
        }
    }
}

/// How the purge's last run ended (no counts: the run serves every tenant), kept for the
/// console's home page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurgeRunRecord {
    #[serde(serialize_with = "crate::record::serialize_timestamp")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub outcome: crate::audit::Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::audit::Reason>,
}

/// The purge's side: it files how each run ended.
#[async_trait]
pub trait PurgeRunLog: Send + Sync {
    /// Keeps `run` unless a later run is already kept.
    async fn record_purge_run(&self, run: &PurgeRunRecord) -> Result<(), Unavailable>;
}

/// The reader's side (lookup, for the home page).
#[async_trait]
pub trait LastPurgeRun: Send + Sync {
    async fn last_purge_run(&self) -> Result<Option<PurgeRunRecord>, Unavailable>;
}

//! Registering and reading records, and the duplicate index.

use super::*;
use crate::disposal::DisposalRecord;
use crate::ids::{EmployeeId, KeyDigest, RecordId, TenantId};
use crate::record::{Record, Slot};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A stored idempotent response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyEntry {
    pub key: KeyDigest,
    pub fingerprint: Vec<u8>,
    /// The created record's metadata as JSON (never a number): the replayed answer.
    pub body: String,
    pub expires_at: DateTime<Utc>,
}

/// How a new record relates to the employee's slot for its relation.
#[derive(Debug, Clone)]
pub enum SlotChange {
    /// Dependants have no slot.
    None,
    /// Take a free slot; fails with `SlotTaken` if someone holds it.
    Claim,
    /// Take over a slot whose record no longer exists (TTL deleted it before the purge
    /// could); fails with `SlotTaken` if the slot changed meanwhile.
    Reclaim { missing: RecordId },
    /// Take over the slot from `old` (explicit replace, or `old` is past due), deleting
    /// `old` and writing its disposal record in the same transaction.
    Replace {
        old: Box<Record>,
        disposal: Box<DisposalRecord>,
        /// Whether `old`'s claim on its number goes with it: false once another employee's
        /// record has taken the claim over (after `old` fell past due).
        free_claim: bool,
    },
}

impl SlotChange {
    /// Whether the replaced record's claim on its number is deleted with it.
    pub fn frees_old_claim(&self) -> bool {
        matches!(
            self,
            SlotChange::Replace {
                free_claim: true,
                ..
            }
        )
    }

    /// The same change, leaving a replaced record's claim where it is now.
    pub fn keeping_old_claim(mut self) -> Self {
        if let SlotChange::Replace { free_claim, .. } = &mut self {
            *free_claim = false;
        }
        self
    }
}

impl NewRecord {
    /// The same write, leaving a replaced record's claim where it is now.
    pub fn keeping_old_claim(self) -> Self {
        NewRecord {
            slot: self.slot.keeping_old_claim(),
            ..self
        }
    }
}

/// What a new record does to its number's claim in the duplicate index (SPEC §4b): one
/// employee's live `self` record holds each number of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberClaim {
    /// Not a `self` number: its index entry is written, no claim.
    None,
    /// Take the claim if no one holds it or this employee does; fails with
    /// `DuplicateNumber` if another employee's record holds it.
    Take,
    /// Take over the claim from a record found gone (past due, or deleted by TTL);
    /// fails with `DuplicateNumber` if the claim changed meanwhile.
    TakeOver { gone: RecordId },
}

/// A record filed under a number in the duplicate index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHolder {
    pub record_id: RecordId,
    pub employee_id: EmployeeId,
    pub relation: crate::record::RelationKind,
}

/// What the duplicate index holds for one number: the records filed under it, and the
/// `self` record that claims it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberHolders {
    pub own_number: Option<NumberHolder>,
    pub records: Vec<NumberHolder>,
}

#[derive(Debug, Clone)]
pub struct NewRecord {
    pub record: Record,
    pub slot: SlotChange,
    /// The claim on the record's number (`record.number_key`); `None` without a key.
    pub claim: NumberClaim,
    pub idempotency: Option<IdempotencyEntry>,
    /// The employee's departure as intake read it; the write fails with
    /// `DepartureChanged` if it changed meanwhile, so no record misses a due date.
    pub employee_departure: Option<crate::retention::Departure>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    #[error("the slot is taken")]
    SlotTaken,
    /// Another employee's `self` record claims the number.
    #[error("the number is another employee's")]
    DuplicateNumber,
    #[error("the idempotency key was used meanwhile")]
    IdempotencyKeyUsed,
    #[error("the replaced record changed meanwhile")]
    ReplacedChanged,
    #[error("the employee's departure changed meanwhile")]
    DepartureChanged,
    /// A submission's collection changed meanwhile (a twin submission spent the link).
    #[error("the collection changed meanwhile")]
    CollectionChanged,
    /// The replaced record's claim on its number is another record's now: write again
    /// with `NewRecord::keeping_old_claim`.
    #[error("the replaced record's claim moved meanwhile")]
    OldClaimMoved,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Reading records. Every method of every store port is scoped by tenant: an adapter
/// builds every key from the tenant id, so one tenant's request can never address
/// another's items.
#[async_trait]
pub trait RecordReads: Send + Sync {
    async fn get_record(
        &self,
        tenant: &TenantId,
        record: &RecordId,
    ) -> Result<Option<Record>, Unavailable>;

    /// An employee's records, oldest first. Never reads another employee's items.
    async fn list_records(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        page: &PageRequest,
    ) -> Result<Page<Record<()>>, ListError>;
}

/// The duplicate index, read by the number's key: never by decrypting (SPEC §4b).
#[async_trait]
pub trait NumberIndex: Send + Sync {
    /// Every record filed under `key` in the tenant, and the claim, strongly consistent.
    async fn number_holders(
        &self,
        tenant: &TenantId,
        key: &crate::ids::NumberKey,
    ) -> Result<NumberHolders, Unavailable>;
}

/// Registering records: the record, its slot and its idempotency entry.
#[async_trait]
pub trait RecordWrites: Send + Sync {
    /// Writes the record, its slot change and idempotency entry all at once, or nothing.
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError>;

    /// The employee's recorded departure, read consistently.
    async fn employee_departure(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
    ) -> Result<Option<crate::retention::Departure>, Unavailable>;

    /// The record holding an employee's `self` or `spouse` slot.
    async fn slot_holder(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        slot: Slot,
    ) -> Result<Option<RecordId>, Unavailable>;

    /// The unexpired entry for a key, if any.
    async fn idempotency(
        &self,
        tenant: &TenantId,
        key: &KeyDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyEntry>, Unavailable>;
}

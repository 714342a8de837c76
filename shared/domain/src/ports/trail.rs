//! The durable trail written before a number, a photo or an export's file is handed out.

use super::*;
use crate::audit::AuditEvent;
use crate::ids::{Subject, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What a reveal must write before it may answer: the quota count and the durable trail,
/// in one write (a reveal costs one round trip between reading the record and Decrypt).
#[async_trait]
pub trait RevealTrail: Send + Sync {
    /// Counts one reveal against the principal's quota for the hour starting at `hour`
    /// and durably stores `trail`, both or neither; `false` (nothing written) when `limit`
    /// reveals were already made. Fails rather than count without the trail.
    async fn record_reveal(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        hour: DateTime<Utc>,
        limit: u32,
        trail: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, Unavailable>;
}

/// The reveals of an export's file, written before the file is produced.
#[async_trait]
pub trait ExportTrail: Send + Sync {
    /// Durably stores every event (one per number in the file), or fails: an event that
    /// did not reach the table fails the whole call, so no file is produced without it.
    async fn record_reveals(
        &self,
        trail: &[AuditEvent],
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable>;
}

/// The durable audit trail in the table, written before a number or a document photo is
/// handed out.
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Durably stores an audit event (the reveal trail); must fail rather than drop it.
    async fn append_audit(
        &self,
        event: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable>;
}

/// One event of the trail read back, with the position just after it.
#[derive(Debug, Clone)]
pub struct TrailEntry {
    pub event: AuditEvent,
    pub position: Cursor,
}

/// The durable trail read back, one UTC day at a time (the record of handling, 取扱状況).
#[async_trait]
pub trait TrailReads: Send + Sync {
    /// The tenant's events of `day` (the UTC day of their time), newest first: at most
    /// `limit` of them, after `after` (a position this gave); `more` when the day holds
    /// events past the last one given.
    async fn trail_of_day(
        &self,
        tenant: &TenantId,
        day: chrono::NaiveDate,
        after: Option<&Cursor>,
        limit: u16,
    ) -> Result<TrailDay, ListError>;
}

/// A part of one day of the trail.
#[derive(Debug, Clone, Default)]
pub struct TrailDay {
    pub entries: Vec<TrailEntry>,
    pub more: bool,
}

//! What every use case shares: the audit sink, the clock and the configuration, and the
//! one way a use case runs (authorise, do the work, emit exactly one audit event).

use crate::access::{Action, Principal};
use crate::audit::{AuditEvent, AuditKind, AuditSink, Caller};
use crate::error::{Forbidden, VaultError};
use crate::ports::Clock;
use crate::retention::RetentionRule;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct VaultConfig {
    pub retention: RetentionRule,
    /// How long an `Idempotency-Key` answers with the first response.
    pub idempotency_ttl: Duration,
    /// How long the durable reveal trail is kept in the table.
    pub audit_retention: Duration,
    /// The table's point-in-time-recovery window, stated in disposal records.
    pub backup_window_days: u32,
    /// Reveals one principal may make in an hour before getting 429 (bulk reading).
    pub reveal_limit_per_hour: u32,
    /// Stored numbers one principal may see matched in an hour (import rows `unchanged`
    /// or `duplicate_number`, a link's `duplicate_number`) before getting 429.
    pub match_limit_per_hour: u32,
    /// Requests one client address may make to the employee's API routes in a minute
    /// before getting 429 (a company's employees may share one address).
    pub client_limit_per_minute: u32,
    /// DynamoDB TTL (the backstop) deletes a record this long after it is gone.
    pub ttl_grace: Duration,
    /// How long disposal records are kept.
    pub disposal_retention: Duration,
    /// Disposals the purge runs at once.
    pub purge_concurrency: usize,
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            retention: RetentionRule::default(),
            idempotency_ttl: Duration::hours(24),
            audit_retention: Duration::days(3 * 365),
            backup_window_days: 35,
            reveal_limit_per_hour: 200,
            match_limit_per_hour: 2_000,
            client_limit_per_minute: 300,
            ttl_grace: Duration::days(7),
            disposal_retention: Duration::days(3650),
            purge_concurrency: 8,
        }
    }
}

/// The audit sink, clock and configuration of one function's use case.
#[derive(Clone)]
pub struct Core {
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: VaultConfig,
}

impl Core {
    pub fn new(audit: Arc<dyn AuditSink>, clock: Arc<dyn Clock>, config: VaultConfig) -> Self {
        Core {
            audit,
            clock,
            config,
        }
    }

    pub fn config(&self) -> &VaultConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn emit(&self, event: &AuditEvent) {
        self.audit.emit(event);
    }

    fn authorize<'c>(
        &self,
        caller: &'c Caller,
        action: Action,
    ) -> Result<&'c Principal, VaultError> {
        let principal = caller
            .principal
            .as_ref()
            .ok_or(VaultError::Unauthenticated)?;
        if principal.may(action) {
            Ok(principal)
        } else {
            Err(VaultError::Forbidden(Forbidden::WrongRole))
        }
    }

    /// Runs one use case for `caller`: authorises `action`, runs `body` with the audit
    /// event to fill in, the principal and the time, and emits the event however it ends.
    pub(crate) async fn audited<T>(
        &self,
        kind: AuditKind,
        action: Action,
        caller: &Caller,
        body: impl AsyncFnOnce(&mut AuditEvent, &Principal, DateTime<Utc>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let now = self.clock.now();
        let mut event = AuditEvent::new(kind, Some(action), caller, now);
        let result = match self.authorize(caller, action) {
            Ok(principal) => body(&mut event, principal, now).await,
            Err(e) => Err(e),
        };
        self.finish(event, &result);
        result
    }

    fn finish<T>(&self, mut event: AuditEvent, result: &Result<T, VaultError>) {
        if let Err(e) = result {
            event.outcome = e.into();
            event.reason = Some(e.into());
            if event.outcome == crate::audit::Outcome::Denied {
                event.event = AuditKind::Denied;
            }
        }
        self.audit.emit(&event);
    }
}

/// The hour `now` falls in, which hourly counts are kept by.
pub(crate) fn hour_of(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::DurationRound;
    now.duration_trunc(Duration::hours(1))
        .expect("an hour divides any timestamp")
}

/// The record as every read sees it: absent, another tenant's and past due are all
/// `NotFound`.
pub(crate) async fn live_record(
    reads: &(impl crate::ports::RecordReads + ?Sized),
    tenant: &crate::ids::TenantId,
    record_id: &crate::ids::RecordId,
    now: DateTime<Utc>,
) -> Result<crate::record::Record, VaultError> {
    reads
        .get_record(tenant, record_id)
        .await?
        .filter(|r| !r.is_gone(crate::retention::jst_today(now)))
        .ok_or(VaultError::NotFound)
}

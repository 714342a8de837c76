//! What every use case shares: the audit sink, the clock and the configuration, and the
//! one way a use case runs (authorise, do the work, emit exactly one audit event).

use crate::access::{Action, Principal};
use crate::audit::{AuditEvent, AuditKind, AuditSink, Caller, Outcome, Reason};
use crate::error::{Forbidden, VaultError};
use crate::ports::Clock;
use crate::retention::RetentionRule;
use chrono::{DateTime, Duration, Utc};
use std::marker::PhantomData;
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

    /// Authorises operation `O` for `caller`, then parses its input with `parse`: the
    /// request is parsed only once the caller may make it, and a refusal or a parse
    /// failure is audited here, as `O`'s event. What comes back is the use case's plain
    /// input and the guard it runs under.
    pub fn admit<'a, O: Operation, I, E: Refusal + From<VaultError>>(
        &'a self,
        caller: &'a Caller,
        parse: impl FnOnce() -> Result<I, E>,
    ) -> Result<(Authorised<'a, O>, I), E> {
        let now = self.clock.now();
        let event = AuditEvent::new(O::KIND, Some(O::ACTION), caller, now);
        let principal = match self.authorize(caller, O::ACTION) {
            Ok(principal) => principal,
            Err(e) => return Err(E::from(self.refused(event, e))),
        };
        let guard = Authorised {
            core: self,
            caller,
            principal,
            now,
            event: Some(event),
            op: PhantomData,
        };
        match parse() {
            Ok(input) => Ok((guard, input)),
            Err(e) => Err(guard.refuse(e)),
        }
    }

    /// Emits `event` as ended by `e`, and gives `e` back.
    pub(crate) fn refused<E: Refusal>(&self, event: AuditEvent, e: E) -> E {
        self.finish(event, Some(&e));
        e
    }

    /// Emits `event`, as a success or as ended by `error`.
    pub(crate) fn finish(&self, mut event: AuditEvent, error: Option<&dyn Refusal>) {
        if let Some(e) = error {
            event.outcome = e.outcome();
            event.reason = Some(e.reason());
            if event.outcome == crate::audit::Outcome::Denied {
                event.event = AuditKind::Denied;
            }
        }
        self.audit.emit(&event);
    }
}

/// How an error ends an audit event: its outcome and its reason. The domain's errors are
/// one kind; the HTTP layer's refusals of a request itself (a method, a body too large, a
/// media type) are another, defined there.
pub trait Refusal {
    fn outcome(&self) -> Outcome;
    fn reason(&self) -> Reason;
}

impl Refusal for VaultError {
    fn outcome(&self) -> Outcome {
        self.into()
    }

    fn reason(&self) -> Reason {
        self.into()
    }
}

/// One operation of a use case: the audit event it emits and the action its caller needs,
/// written once (`ops`).
pub trait Operation {
    const KIND: AuditKind;
    const ACTION: Action;
}

/// Declares a use case's operations beside it, each a type in the module's `ops`, so that
/// a use case takes only a guard for its own operation: `Name = (AuditKind, Action);`.
macro_rules! operations {
    ($($(#[$doc:meta])* $name:ident = ($kind:ident, $action:ident);)*) => {
        /// This use case's operations.
        pub mod ops {
            use crate::usecase::Operation;
            use crate::access::Action;
            use crate::audit::AuditKind;
            $(
                $(#[$doc])*
                pub struct $name;
                impl Operation for $name {
                    const KIND: AuditKind = AuditKind::$kind;
                    const ACTION: Action = Action::$action;
                }
            )*
        }
    };
}

pub(crate) use operations;

/// Proof that a caller may make operation `O`, and `O`'s audit event, which goes out
/// exactly once however the call ends: refused at parsing, run to its end, or dropped
/// half-way (a cancelled request is audited as failed).
pub struct Authorised<'a, O: Operation> {
    core: &'a Core,
    caller: &'a Caller,
    principal: &'a Principal,
    now: DateTime<Utc>,
    event: Option<AuditEvent>,
    op: PhantomData<fn() -> O>,
}

impl<'a, O: Operation> Authorised<'a, O> {
    /// Who makes the call (its request id and address, for what the work writes).
    pub fn caller(&self) -> &'a Caller {
        self.caller
    }

    /// Audits `e` (a parse failure) as the operation's outcome, and gives it back.
    pub fn refuse<E: Refusal>(mut self, e: E) -> E {
        let event = self.event.take().expect("emitted once");
        self.core.refused(event, e)
    }

    /// Runs the operation's work with the event to fill in, the principal and the time,
    /// and emits the event however the work ends.
    pub(crate) async fn run<T>(
        mut self,
        body: impl AsyncFnOnce(&mut AuditEvent, &Principal, DateTime<Utc>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        // The event stays in the guard while the work runs: a request dropped half-way
        // is still audited (as failed) by `Drop`.
        let result = {
            let event = self.event.as_mut().expect("run once");
            body(event, self.principal, self.now).await
        };
        let event = self.event.take().expect("run once");
        self.core
            .finish(event, result.as_ref().err().map(|e| e as &dyn Refusal));
        result
    }
}

impl<O: Operation> Drop for Authorised<'_, O> {
    fn drop(&mut self) {
        if let Some(event) = self.event.take() {
            self.core.refused(event, VaultError::Unavailable);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::audit::Outcome;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Events(Mutex<Vec<AuditEvent>>);

    impl AuditSink for Events {
        fn emit(&self, event: &AuditEvent) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    struct Now;

    impl Clock for Now {
        fn now(&self) -> DateTime<Utc> {
            DateTime::parse_from_rfc3339("2026-12-01T03:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
        }
    }

    operations! {
        Probe = (Reveal, RevealNumber);
    }

    #[test]
    fn a_request_dropped_while_its_work_runs_is_audited_once_as_failed() {
        use futures::FutureExt;
        let events = Arc::new(Events::default());
        let core = Core::new(events.clone(), Arc::new(Now), VaultConfig::default());
        let caller = Caller {
            principal: Some(Principal {
                sub: crate::Subject::parse("hr-1").unwrap(),
                tenant: crate::TenantId::parse("acme").unwrap(),
                roles: [Role::Handler].into(),
            }),
            request_id: None,
            source_ip: None,
        };
        let (guard, ()) = core
            .admit::<ops::Probe, (), VaultError>(&caller, || Ok(()))
            .unwrap();
        let work = guard.run(async |event, _, _| {
            event.count = Some(1);
            std::future::pending::<Result<(), VaultError>>().await
        });
        // Polled once (the work is under way), then dropped, as a cancelled request is.
        assert!(work.now_or_never().is_none());
        let events = events.0.lock().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].outcome, Outcome::Failed);
        assert_eq!(events[0].count, Some(1), "what the work had named is kept");
    }
}

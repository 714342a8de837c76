//! The purge function: on the EventBridge schedule, dispose of every record whose retention
//! has ended, report what falls due within 30 days, and publish both as CloudWatch
//! Embedded Metric Format lines.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Duration, Utc};
use lambda_runtime::LambdaEvent;
use mynumber_domain::purge::PurgeService;
use mynumber_domain::purge::PurgeSummary;
use mynumber_domain::{Caller, RequestId};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};

pub const METRIC_NAMESPACE: &str = "MyNumberVault";

/// The run's budget when the invocation carries no deadline.
pub const NO_DEADLINE_BUDGET: Duration = Duration::minutes(5);

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    /// Anything but the schedule's event is refused: the purge deletes data.
    #[error("not a scheduled event")]
    NotScheduled,
    /// Some disposals failed; the run is reported failed so the schedule's retry and the
    /// failure alarm see it. Disposals are idempotent, so a retry is safe.
    #[error("{0} disposals failed; they stay due for the next run")]
    Failures(u64),
}

/// Where EMF lines go: stdout in Lambda (CloudWatch Logs turns them into metrics).
pub type MetricsOut = Arc<Mutex<dyn Write + Send>>;

pub struct Purge {
    vault: PurgeService,
    /// Stop starting disposals this long before the Lambda deadline.
    margin: Duration,
    metrics: MetricsOut,
}

impl Purge {
    pub fn new(vault: PurgeService, margin: Duration) -> Self {
        Self::with_metrics(vault, margin, Arc::new(Mutex::new(std::io::stdout())))
    }

    pub fn with_metrics(vault: PurgeService, margin: Duration, metrics: MetricsOut) -> Self {
        Purge {
            vault,
            margin,
            metrics,
        }
    }

    pub async fn handle(&self, event: LambdaEvent<EventBridgeEvent>) -> Result<Value, PurgeError> {
        let (event, ctx) = event.into_parts();
        if event.detail_type != "Scheduled Event" {
            tracing::warn!(detail_type = %event.detail_type, "refused a non-scheduled invocation");
            return Err(PurgeError::NotScheduled);
        }
        // Lambda sends the deadline in epoch milliseconds; cargo-lambda's emulator sends a
        // small relative number (about 3000). Anything before 2000-01-01 is no deadline: the
        // run then gets a bounded budget rather than stopping at once.
        let deadline: DateTime<Utc> = if ctx.deadline < 946_684_800_000 {
            self.vault.core().now() + NO_DEADLINE_BUDGET
        } else {
            ctx.deadline().into()
        };
        let caller = Caller {
            principal: None,
            request_id: RequestId::parse(&ctx.request_id).ok(),
            source_ip: None,
        };
        // A fixed margin would leave no time at all under a short timeout (3 s locally).
        let remaining = deadline - self.vault.core().now();
        let margin = self.margin.min(remaining / 5);
        tracing::info!(remaining_ms = remaining.num_milliseconds(), "purge started");
        let summary = self.vault.purge(&caller, deadline, margin).await;
        if let Ok(mut out) = self.metrics.lock() {
            emit_metrics(&summary, self.vault.core().now(), &mut *out);
        }
        let report = serde_json::to_value(&summary).expect("a summary serializes");
        tracing::info!(summary = %report, "purge finished");
        if summary.failed > 0 {
            return Err(PurgeError::Failures(summary.failed));
        }
        Ok(report)
    }
}

/// One EMF line per tenant (disposals and advance notice, dimension `TenantId`) and one
/// for the whole run (no dimension), which the alarms watch.
pub fn emit_metrics(summary: &PurgeSummary, now: DateTime<Utc>, out: &mut dyn Write) {
    let ts = now.timestamp_millis();
    for (tenant, t) in &summary.tenants {
        let line = mynumber_logging::emf_line(
            METRIC_NAMESPACE,
            ts,
            &[("TenantId", tenant.as_str())],
            &[
                ("RecordsDisposed", t.disposed),
                ("RecordsDueWithin30Days", t.due_within_30_days),
            ],
        );
        let _ = writeln!(out, "{line}");
    }
    let line = mynumber_logging::emf_line(
        METRIC_NAMESPACE,
        ts,
        &[],
        &[
            ("PurgeDisposed", summary.disposed),
            ("PurgeFailures", summary.failed),
            ("PurgeLeftForNextRun", summary.left_for_next_run),
            ("PurgeItemsRead", summary.items_read),
            ("RecordsDueWithin30Days", summary.due_within_30_days),
        ],
    );
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

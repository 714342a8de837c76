//! The TTL backstop: DynamoDB TTL deletes a record only when the purge has not disposed of
//! it within `TTL_GRACE_DAYS` of its due date — the purge failed. The record is then gone
//! with no 削除・廃棄の記録, and gone from the due index too. This function reads the
//! table's stream (filtered in the template to TTL deletions of records) and writes the
//! missing disposal record (reason `ttl_backstop`), an audit event and the metric
//! `TtlBackstopDisposals`, which alarms.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use chrono::{DateTime, Utc};
use lambda_runtime::LambdaEvent;
use mynumber_domain::backstop::BackstopService;
use mynumber_domain::ports::Disposed;
use mynumber_domain::{Caller, RequestId};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

pub const METRIC_NAMESPACE: &str = "MyNumberVault";

#[derive(Debug, thiserror::Error)]
pub enum BackstopError {
    /// The batch is retried (and bisected) by the event source mapping, then sent to its
    /// dead-letter queue; recording is idempotent, so a retry writes nothing twice.
    #[error("{0} TTL deletions could not be recorded")]
    Failures(u64),
}

/// Where EMF lines go: stdout in Lambda.
pub type MetricsOut = Arc<Mutex<dyn Write + Send>>;

pub struct Backstop {
    vault: BackstopService,
    metrics: MetricsOut,
}

/// Whether a stream record is DynamoDB's TTL process deleting an item (not a delete made
/// through the API, whose identity is absent).
pub fn is_ttl_deletion(r: &EventRecord) -> bool {
    r.event_name == "REMOVE"
        && r.user_identity
            .as_ref()
            .is_some_and(|u| u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com")
}

impl Backstop {
    pub fn new(vault: BackstopService) -> Self {
        Self::with_metrics(vault, Arc::new(Mutex::new(std::io::stdout())))
    }

    pub fn with_metrics(vault: BackstopService, metrics: MetricsOut) -> Self {
        Backstop { vault, metrics }
    }

    pub async fn handle(&self, event: LambdaEvent<Event>) -> Result<Value, BackstopError> {
        let (event, ctx) = event.into_parts();
        let caller = Caller {
            principal: None,
            request_id: RequestId::parse(&ctx.request_id).ok(),
            source_ip: None,
        };
        let (mut recorded, mut replayed, mut ignored, mut failed) = (0u64, 0u64, 0u64, 0u64);
        for r in event.records {
            if !is_ttl_deletion(&r) {
                ignored += 1;
                continue;
            }
            let deleted_at: DateTime<Utc> = r.change.approximate_creation_date_time;
            let image: HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
                r.change.old_image.into();
            if image
                .get("kind")
                .and_then(|k| k.as_s().ok())
                .map(String::as_str)
                != Some("record")
            {
                ignored += 1;
                continue;
            }
            let record = match mynumber_aws::record_from_image(&image) {
                Ok(record) => record,
                Err(e) => {
                    tracing::error!(error = %e, "a TTL-deleted record's image could not be read");
                    failed += 1;
                    continue;
                }
            };
            match self
                .vault
                .record_ttl_deletion(&caller, &record, deleted_at)
                .await
            {
                Ok(Disposed::Now) => {
                    tracing::warn!(
                        tenant_id = %record.tenant_id,
                        record_id = %record.record_id,
                        "DynamoDB TTL deleted a record the purge had not disposed of"
                    );
                    recorded += 1;
                }
                Ok(Disposed::AlreadyGone) => replayed += 1,
                Err(e) => {
                    tracing::error!(error = %e, record_id = %record.record_id, "recording a TTL deletion failed");
                    failed += 1;
                }
            }
        }
        if let Ok(mut out) = self.metrics.lock() {
            emit_metrics(recorded, failed, self.vault.core().now(), &mut *out);
        }
        let summary = json!({
            "recorded": recorded,
            "already_recorded": replayed,
            "ignored": ignored,
            "failed": failed,
        });
        tracing::info!(summary = %summary, "backstop batch done");
        if failed > 0 {
            return Err(BackstopError::Failures(failed));
        }
        Ok(summary)
    }
}

/// One EMF line per batch; the alarm fires on any `TtlBackstopDisposals`.
pub fn emit_metrics(recorded: u64, failed: u64, now: DateTime<Utc>, out: &mut dyn Write) {
    let line = mynumber_logging::emf_line(
        METRIC_NAMESPACE,
        now.timestamp_millis(),
        &[],
        &[
            ("TtlBackstopDisposals", recorded),
            ("TtlBackstopFailures", failed),
        ],
    );
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

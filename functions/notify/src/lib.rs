//! The notify function: the email the vault sends on its own (SPEC §4d). On the daily
//! EventBridge schedule it reminds employees of their open links and sends HR's weekly
//! digest to the tenants whose day it is; every few minutes
//! (`{"job": "outbox"}`) it sends what submissions left: the employee's receipt and HR's
//! notice that submissions await review (at most one an hour a tenant); from the mail events
//! topic (SNS, fed by the SES configuration set) it marks the sent log's entries SES
//! reports bounced or complained of. Its role sends from the stack's identity only and
//! reads and writes links and the sent log: no KMS key, no S3, no HTTP route.

use mynumber_domain::digest::DigestService;
use mynumber_domain::notification::{DeliveryStatus, MessageId};
use mynumber_domain::notify::Notifier;
use mynumber_domain::remind::ReminderService;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Neither the schedule's event nor the topic's: refused, since a reminder run sends
    /// mail.
    #[error("neither a scheduled event nor a mail event")]
    Unrecognised,
    #[error("the store or the mailer failed: {0}")]
    Failed(String),
}

pub struct Notify {
    reminders: ReminderService,
    digests: DigestService,
    notifier: Notifier,
}

impl Notify {
    pub fn new(reminders: ReminderService, digests: DigestService, notifier: Notifier) -> Self {
        Notify {
            reminders,
            digests,
            notifier,
        }
    }

    pub async fn handle(&self, event: Value) -> Result<Value, NotifyError> {
        if let Some(records) = event.get("Records").and_then(Value::as_array) {
            return self.mail_events(records).await;
        }
        // The frequent schedule's input: what submissions left to send.
        if event.get("job").and_then(Value::as_str) == Some("outbox") {
            let report = self
                .reminders
                .send_outbox()
                .await
                .map_err(|e| NotifyError::Failed(e.to_string()))?;
            tracing::info!(
                receipts = report.receipts,
                review_notices = report.review_notices,
                failed = report.failed,
                "outbox"
            );
            return Ok(json!({
                "receipts_sent": report.receipts,
                "review_notices_sent": report.review_notices,
                "failed": report.failed,
            }));
        }
        if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
            let report = self
                .reminders
                .run()
                .await
                .map_err(|e| NotifyError::Failed(e.to_string()))?;
            tracing::info!(
                sent = report.sent,
                failed = report.failed,
                forgotten = report.forgotten,
                "reminders"
            );
            // The tenants whose digest day it is (JST) get their weekly digest.
            let digests = self
                .digests
                .run()
                .await
                .map_err(|e| NotifyError::Failed(e.to_string()))?;
            tracing::info!(sent = digests.sent, failed = digests.failed, "digests");
            return Ok(json!({
                "reminders_sent": report.sent,
                "reminders_failed": report.failed,
                "addresses_forgotten": report.forgotten,
                "digests_sent": digests.sent,
                "digests_failed": digests.failed,
            }));
        }
        tracing::warn!("refused an invocation that is neither the schedule nor a mail event");
        Err(NotifyError::Unrecognised)
    }

    /// SES event publishing through SNS: each record's `Message` is the event, with
    /// `eventType` (`Bounce`, `Complaint`) and `mail.messageId`. Other events are ignored.
    async fn mail_events(&self, records: &[Value]) -> Result<Value, NotifyError> {
        let now = self.reminders.core().now();
        let mut marked = 0u64;
        for record in records {
            let Some(message) = record["Sns"]["Message"].as_str() else {
                return Err(NotifyError::Unrecognised);
            };
            let Ok(event) = serde_json::from_str::<Value>(message) else {
                tracing::warn!("a mail event that is not JSON");
                continue;
            };
            let status = match event["eventType"].as_str() {
                Some("Bounce") => DeliveryStatus::Bounced,
                Some("Complaint") => DeliveryStatus::Complained,
                _ => continue,
            };
            let Some(id) = event["mail"]["messageId"]
                .as_str()
                .and_then(MessageId::parse)
            else {
                tracing::warn!("a mail event without a message id");
                continue;
            };
            if self
                .notifier
                .report(self.reminders.core(), &id, status, now)
                .await
                .map_err(|e| NotifyError::Failed(e.to_string()))?
            {
                marked += 1;
            }
        }
        Ok(json!({ "marked": marked }))
    }
}

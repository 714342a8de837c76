//! The reveal side: each principal's hourly reveal quota and the durable audit trail.

use super::transaction::Transaction;
use super::{ABSENT, DynamoStore, unavailable};
use crate::item::{audit_to_item, n};
use crate::keys::{client_rate_key, matches_key, quota_key};
use aws_sdk_dynamodb::types::{Put, Update};
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::ids::{Subject, TenantId};
use mynumber_domain::ports::Unavailable;

/// The two items of a reveal's one write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RevealItem {
    Quota,
    Trail,
}

/// The hour's count and the trail item in one transaction: a reveal over the quota writes
/// neither, and a count is never taken without its trail.
pub(crate) async fn record_reveal(
    store: &DynamoStore,
    t: &TenantId,
    sub: &Subject,
    hour: DateTime<Utc>,
    limit: u32,
    trail: &AuditEvent,
    expires_at: DateTime<Utc>,
) -> Result<bool, Unavailable> {
    let item = audit_to_item(trail, expires_at).map_err(|e| Unavailable(e.to_string()))?;
    let mut tx = Transaction::new(store);
    tx.update(
        RevealItem::Quota,
        Update::builder()
            .set_key(Some(quota_key(t, sub, hour)))
            .update_expression("ADD used :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(used) OR used < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            // The hour's count outlives the hour a little, then TTL removes it.
            .expression_attribute_values(
                ":exp",
                n((hour + chrono::Duration::hours(2)).timestamp()),
            ),
    )
    .put(
        RevealItem::Trail,
        Put::builder()
            .set_item(Some(item))
            .condition_expression(ABSENT),
    );
    match tx.commit().await {
        Ok(()) => Ok(true),
        Err(e) if e.failed_guards() == [RevealItem::Quota] => Ok(false),
        Err(e) => Err(e.unavailable()),
    }
}

pub(crate) async fn append_audit(
    store: &DynamoStore,
    event: &AuditEvent,
    expires_at: DateTime<Utc>,
) -> Result<(), Unavailable> {
    let item = audit_to_item(event, expires_at).map_err(|e| Unavailable(e.to_string()))?;
    store
        .client
        .put_item()
        .table_name(&store.table)
        .set_item(Some(item))
        .condition_expression(ABSENT)
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Adds `add` to the hour's count of matched numbers unless it had reached `limit`.
pub(crate) async fn count_matches(
    store: &DynamoStore,
    t: &TenantId,
    sub: &Subject,
    hour: DateTime<Utc>,
    add: u32,
    limit: u32,
) -> Result<bool, Unavailable> {
    // An absent count is 0, which a limit of 0 has already reached.
    if limit == 0 {
        return Ok(false);
    }
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(matches_key(t, sub, hour)))
        .update_expression("ADD used :n SET expires_at = :exp")
        .condition_expression("attribute_not_exists(used) OR used < :limit")
        .expression_attribute_values(":n", n(add))
        .expression_attribute_values(":limit", n(limit))
        .expression_attribute_values(":exp", n((hour + chrono::Duration::hours(2)).timestamp()))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
    }
}

/// Counts one request of `client` in its minute unless `limit` were made.
pub(crate) async fn count_client_request(
    store: &DynamoStore,
    client: &str,
    minute: DateTime<Utc>,
    limit: u32,
) -> Result<bool, Unavailable> {
    if limit == 0 {
        return Ok(false);
    }
    let sent = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(client_rate_key(client, minute)))
        .update_expression("ADD used :one SET expires_at = :exp")
        .condition_expression("attribute_not_exists(used) OR used < :limit")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":limit", n(limit))
        // TTL removes the minute's count a little after it.
        .expression_attribute_values(
            ":exp",
            n((minute + chrono::Duration::minutes(5)).timestamp()),
        )
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
    }
}

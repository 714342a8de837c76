//! The reveal side: each principal's hourly reveal quota and the durable audit trail.

use super::{ABSENT, DynamoStore, unavailable};
use crate::item::{audit_to_item, n};
use crate::keys::quota_key;
use aws_sdk_dynamodb::error::SdkError;
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::ids::{Subject, TenantId};
use mynumber_domain::ports::Unavailable;

pub(crate) async fn take_reveal_quota(
    store: &DynamoStore,
    t: &TenantId,
    sub: &Subject,
    hour: DateTime<Utc>,
    limit: u32,
) -> Result<bool, Unavailable> {
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(quota_key(t, sub, hour)))
        .update_expression("ADD used :one SET expires_at = :exp")
        .condition_expression("attribute_not_exists(used) OR used < :limit")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":limit", n(limit))
        // The hour's count outlives the hour a little, then TTL removes it.
        .expression_attribute_values(":exp", n((hour + chrono::Duration::hours(2)).timestamp()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
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

//! The reveal side: each principal's hourly reveal quota and the durable audit trail.

use super::transaction::Transaction;
use super::{ABSENT, DynamoStore, get_consistent, unavailable, update_alone};
use crate::item::{audit_to_item, n, n as n_value};
use crate::keys::s;
use crate::keys::{Item, client_rate_key, quota_key};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, Update};
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::ids::{Subject, TenantId};
use mynumber_domain::ports::Unavailable;
use mynumber_domain::ports::UpdateError;
use mynumber_domain::ports::*;

/// The two items of a reveal's one write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RevealItem {
    Quota,
    Trail,
}

/// Adds `n` to the count `key` holds unless it would then pass `limit` (an absent count is
/// 0), and sets when TTL removes it; `false`, nothing added, past the limit.
async fn add_within(
    store: &DynamoStore,
    key: Item,
    n: u32,
    limit: u32,
    expires_at: DateTime<Utc>,
) -> Result<bool, Unavailable> {
    let Some(bound) = limit.checked_sub(n) else {
        return Ok(false);
    };
    let update = Update::builder()
        .set_key(Some(key))
        .update_expression("ADD used :n SET expires_at = :exp")
        .condition_expression("attribute_not_exists(used) OR used <= :bound")
        .expression_attribute_values(":n", n_value(n))
        .expression_attribute_values(":bound", n_value(bound))
        .expression_attribute_values(":exp", n_value(expires_at.timestamp()));
    match update_alone(store, update).await {
        Ok(()) => Ok(true),
        Err(UpdateError::Concurrent) => Ok(false),
        Err(UpdateError::Unavailable(u)) => Err(u),
    }
}

/// Adds `n` to the hour's count of matched numbers unless it would pass `limit` (`n = 0`:
/// unless it has reached it).
pub(crate) async fn reserve_matches(
    store: &DynamoStore,
    key: Item,
    hour: DateTime<Utc>,
    n: u32,
    limit: u32,
) -> Result<bool, Unavailable> {
    // To ask (`n` 0) is a read, so a refused or failed request writes nothing.
    if n == 0 {
        let used = get_consistent(store, key, |i| {
            Ok(i.get("used")
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0))
        })
        .await?
        .unwrap_or(0);
        return Ok(used < i64::from(limit));
    }
    // The hour's count outlives the hour a little, then TTL removes it.
    add_within(store, key, n, limit, hour + chrono::Duration::hours(2)).await
}

/// Takes `n` back from the hour's count of matched numbers.
pub(crate) async fn release_matches(
    store: &DynamoStore,
    key: Item,
    n: u32,
) -> Result<(), Unavailable> {
    let update = Update::builder()
        .set_key(Some(key))
        .update_expression("ADD used :n")
        .expression_attribute_values(":n", n_value(-i64::from(n)));
    update_alone(store, update).await.map_err(|e| match e {
        UpdateError::Concurrent => Unavailable("an unconditional update failed a condition".into()),
        UpdateError::Unavailable(u) => u,
    })
}

/// Counts one request of `client` in its minute unless `limit` were made.
pub(crate) async fn count_client_request(
    store: &DynamoStore,
    client: &str,
    minute: DateTime<Utc>,
    limit: u32,
) -> Result<bool, Unavailable> {
    // TTL removes the minute's count a little after it.
    add_within(
        store,
        client_rate_key(client, minute),
        1,
        limit,
        minute + chrono::Duration::minutes(5),
    )
    .await
}

#[async_trait]
impl RevealTrail for DynamoStore {
    /// The hour's count and the trail item in one transaction: a reveal over the quota writes
    /// neither, and a count is never taken without its trail.
    async fn record_reveal(
        &self,
        t: &TenantId,
        sub: &Subject,
        hour: DateTime<Utc>,
        limit: u32,
        trail: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let item = audit_to_item(trail, expires_at).map_err(|e| Unavailable(e.to_string()))?;
        let mut tx = Transaction::new(self);
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
}

#[async_trait]
impl MatchCounter for DynamoStore {
    async fn reserve_matches(
        &self,
        t: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        let key = crate::keys::matches_key(t, sub, scope, hour);
        reserve_matches(self, key, hour, n, limit).await
    }

    async fn release_matches(
        &self,
        t: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
    ) -> Result<(), Unavailable> {
        release_matches(self, crate::keys::matches_key(t, sub, scope, hour), n).await
    }
}

#[async_trait]
impl ClientRequests for DynamoStore {
    async fn count_client_request(
        &self,
        client: &ClientAddress,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        count_client_request(self, client.as_str(), minute, limit).await
    }
}

#[async_trait]
impl AuditTrail for DynamoStore {
    async fn append_audit(
        &self,
        event: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let item = audit_to_item(event, expires_at).map_err(|e| Unavailable(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(ABSENT)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// A trail event's position in its day: its sort key (time, `#`, a random id) in hex, the
/// cursor's alphabet.
fn trail_position(sk: &str) -> Option<Cursor> {
    let hex: String = sk.bytes().map(|b| format!("{b:02x}")).collect();
    Cursor::parse(&hex)
}

fn trail_sk(position: &Cursor) -> Option<String> {
    let hex = position.as_str().as_bytes();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes = hex
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[async_trait]
impl TrailReads for DynamoStore {
    async fn trail_of_day(
        &self,
        t: &TenantId,
        day: chrono::NaiveDate,
        after: Option<&Cursor>,
        limit: u16,
    ) -> Result<TrailDay, ListError> {
        let day = day.format("%Y-%m-%d").to_string();
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(crate::keys::audit_pk(t.as_str(), &day)))
            .scan_index_forward(false)
            .limit(i32::from(limit));
        if let Some(after) = after {
            let sk = trail_sk(after).ok_or(ListError::BadCursor)?;
            query = query.set_exclusive_start_key(Some(crate::keys::audit_event_key(t, &day, sk)));
        }
        let out = query
            .send()
            .await
            .map_err(|e| ListError::Unavailable(unavailable(e)))?;
        let corrupt =
            |what: &str| ListError::Unavailable(Unavailable(format!("a trail item: {what}")));
        let mut entries = Vec::with_capacity(out.items().len());
        for item in out.items() {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| corrupt("sk"))?;
            let text = item
                .get("event")
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| corrupt("event"))?;
            let event: AuditEvent =
                serde_json::from_str(text).map_err(|_| corrupt("an event that does not parse"))?;
            let position = trail_position(sk).ok_or_else(|| corrupt("sk"))?;
            entries.push(TrailEntry { event, position });
        }
        Ok(TrailDay {
            entries,
            more: out.last_evaluated_key().is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_positions_read_back() {
        let sk = "2026-04-01T09:00:00.000Z#3f2b6c1e-0000-4000-8000-000000000001";
        let p = trail_position(sk).unwrap();
        assert_eq!(trail_sk(&p).as_deref(), Some(sk));
        assert_eq!(trail_sk(&Cursor::parse("abc").unwrap()), None);
        assert_eq!(trail_sk(&Cursor::parse("zz").unwrap()), None);
    }
}

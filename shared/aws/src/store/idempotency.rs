//! Idempotency entries: read here; written by intake's create transaction (`records`).

use super::{DynamoStore, corrupt, unavailable};
use crate::item::idempotency_from_item;
use crate::keys::idempotency_key;
use chrono::{DateTime, Utc};
use mynumber_domain::ids::{KeyDigest, TenantId};
use mynumber_domain::ports::{IdempotencyEntry, Unavailable};

pub(crate) async fn idempotency(
    store: &DynamoStore,
    t: &TenantId,
    key: &KeyDigest,
    now: DateTime<Utc>,
) -> Result<Option<IdempotencyEntry>, Unavailable> {
    let out = store
        .client
        .get_item()
        .table_name(&store.table)
        .set_key(Some(idempotency_key(t, key.as_str())))
        .consistent_read(true)
        .send()
        .await
        .map_err(unavailable)?;
    match out.item() {
        Some(item) => idempotency_from_item(key, item, now).map_err(corrupt),
        None => Ok(None),
    }
}

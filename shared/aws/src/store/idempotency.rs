//! Idempotency entries: read here; written by intake's create transaction (`records`).

use super::{DynamoStore, get_consistent};
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
    // An expired entry reads as none.
    get_consistent(store, idempotency_key(t, key.as_str()), |item| {
        idempotency_from_item(key, item, now)
    })
    .await
    .map(Option::flatten)
}

//! Items a request leaves besides records: idempotency entries and the reveal trail.

use super::{Corrupt, EXPIRES_AT, Item, n, s};
use crate::keys::*;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::ids::{KeyDigest, TenantId};
use mynumber_domain::ports::IdempotencyEntry;

pub fn idempotency_to_item(t: &TenantId, e: &IdempotencyEntry) -> Item {
    let mut item = idempotency_key(t, e.key.as_str());
    item.extend([
        ("kind".into(), s("idempotency")),
        (
            "fp".into(),
            AttributeValue::B(Blob::new(e.fingerprint.clone())),
        ),
        ("body".into(), s(e.body.clone())),
        // No longer read (a replay is always the 201 it recorded), but the previous release
        // requires it: kept so that a rollback does not take live entries for corrupt.
        ("status".into(), n(201)),
        (EXPIRES_AT.into(), n(e.expires_at.timestamp())),
    ]);
    item
}

/// The entry stored for `key`; `None` once it has expired at `now` (TTL deletes lazily,
/// so an expired item may still be there).
pub fn idempotency_from_item(
    key: &KeyDigest,
    item: &Item,
    now: DateTime<Utc>,
) -> Result<Option<IdempotencyEntry>, Corrupt> {
    let expires_at = item
        .get(EXPIRES_AT)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|v| DateTime::from_timestamp(v, 0))
        .ok_or(Corrupt(EXPIRES_AT))?;
    if expires_at <= now {
        return Ok(None);
    }
    Ok(Some(IdempotencyEntry {
        key: key.clone(),
        fingerprint: item
            .get("fp")
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
            .ok_or(Corrupt("fp"))?,
        body: item
            .get("body")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or(Corrupt("body"))?,
        expires_at,
    }))
}

/// One event of the reveal trail, under a fresh key.
pub fn audit_to_item(
    event: &AuditEvent,
    expires_at: DateTime<Utc>,
) -> Result<Item, serde_json::Error> {
    let mut item = audit_key(event.tenant_id.as_ref(), &event.time);
    item.extend([
        ("kind".into(), s("audit")),
        ("event".into(), s(serde_json::to_string(event)?)),
        (EXPIRES_AT.into(), n(expires_at.timestamp())),
    ]);
    Ok(item)
}

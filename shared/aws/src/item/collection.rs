//! Collection items (SPEC §4a): the collection, the token's lookup entry and the
//! employee's pointer to their latest collection.

use super::{Corrupt, DUE_PK, DUE_SK, EXPIRES_AT, GSI1PK, GSI1SK, Item, PK, SK, get_s, n, s};
use crate::keys::*;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use mynumber_domain::collection::{Collection, CollectionId, CollectionState, TokenDigest};
use mynumber_domain::document::DocumentId;
use mynumber_domain::ids::{EmployeeId, Subject, TenantId};
use mynumber_domain::notification::EmailAddress;
use mynumber_domain::record::timestamp;
use std::collections::HashMap;

/// Collections stay listable this long after their link expires.
pub const COLLECTION_KEPT: Duration = Duration::days(400);

/// The attribute holding the address the link was emailed to, while it is open.
pub const EMAIL: &str = "email";

pub fn collection_to_item(c: &Collection) -> Item {
    let t = &c.tenant_id;
    let mut item = HashMap::from([
        (PK.into(), s(collection_pk(t, &c.collection_id))),
        (SK.into(), s(COLLECTION_SK)),
        (GSI1PK.into(), s(collections_pk(t))),
        (
            GSI1SK.into(),
            s(listing_sk(
                c.created_at.timestamp_millis(),
                c.collection_id.as_record_id(),
            )),
        ),
        ("kind".into(), s("collection")),
        ("tenant_id".into(), s(t.as_str())),
        ("collection_id".into(), s(c.collection_id.as_str())),
        ("employee_id".into(), s(c.employee_id.as_str())),
        (
            "purposes".into(),
            AttributeValue::L(c.purposes.iter().map(|p| s(p.code())).collect()),
        ),
        (
            "include_family".into(),
            AttributeValue::Bool(c.include_family),
        ),
        ("status".into(), s(c.state.code())),
        ("attempts".into(), n(c.attempts)),
        ("link_expires_at".into(), s(timestamp(c.expires_at))),
        ("created_at".into(), s(timestamp(c.created_at))),
        ("created_by".into(), s(c.created_by.as_str())),
        ("token_digest".into(), s(c.token.as_str())),
        ("version".into(), n(c.version)),
        (
            EXPIRES_AT.into(),
            n((c.expires_at + COLLECTION_KEPT).timestamp()),
        ),
    ]);
    if let Some(a) = &c.email {
        item.insert(EMAIL.into(), s(a.expose()));
        if c.state == mynumber_domain::collection::CollectionState::Open {
            let mailed = c.mailed_at.unwrap_or(c.created_at);
            item.insert(DUE_PK.into(), s(REMIND_PK));
            item.insert(
                DUE_SK.into(),
                s(remind_sk(
                    mynumber_domain::retention::jst_today(mailed),
                    t,
                    &c.collection_id,
                )),
            );
        }
    }
    if let Some(at) = c.mailed_at {
        item.insert(MAILED_AT.into(), s(timestamp(at)));
    }
    if let Some(o) = &c.outbox {
        item.insert(OUTBOX.into(), s(outbox_json(o)));
        item.insert(DUE_PK.into(), s(OUTBOX_PK));
        item.insert(
            DUE_SK.into(),
            s(outbox_sk(o.submitted_at, t, &c.collection_id)),
        );
    }
    if !c.reminder_tokens.is_empty() {
        item.insert(
            REMINDER_DIGESTS.into(),
            AttributeValue::Ss(
                c.reminder_tokens
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect(),
            ),
        );
    }
    item
}

/// What a submission left to send (JSON): the receipt, HR's review notice.
pub const OUTBOX: &str = "outbox";

pub fn outbox_json(o: &mynumber_domain::notification::Outbox) -> String {
    serde_json::to_string(o).expect("an outbox serialises")
}

/// When the link was last emailed.
pub const MAILED_AT: &str = "mailed_at";
/// The reminders' token digests (a string set).
pub const REMINDER_DIGESTS: &str = "reminder_digests";

/// The attribute holding the ids of the link's document photos (a string set, absent
/// while there are none).
pub const DOCUMENT_IDS: &str = "document_ids";

pub fn collection_from_item(item: &Item) -> Result<Collection, Corrupt> {
    let ts = |k: &'static str| -> Result<DateTime<Utc>, Corrupt> {
        DateTime::parse_from_rfc3339(get_s(item, k)?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Corrupt(k))
    };
    let num = |k: &'static str| -> Result<u64, Corrupt> {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or(Corrupt(k))
    };
    Ok(Collection {
        collection_id: CollectionId::parse(get_s(item, "collection_id")?)
            .map_err(|_| Corrupt("collection_id"))?,
        tenant_id: TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        employee_id: EmployeeId::parse(get_s(item, "employee_id")?)
            .map_err(|_| Corrupt("employee_id"))?,
        purposes: super::purposes_from(item)?,
        include_family: item
            .get("include_family")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .ok_or(Corrupt("include_family"))?,
        state: CollectionState::parse(get_s(item, "status")?).ok_or(Corrupt("status"))?,
        attempts: u32::try_from(num("attempts")?).map_err(|_| Corrupt("attempts"))?,
        expires_at: ts("link_expires_at")?,
        created_at: ts("created_at")?,
        created_by: Subject::parse(get_s(item, "created_by")?)
            .map_err(|_| Corrupt("created_by"))?,
        token: TokenDigest::parse(get_s(item, "token_digest")?).ok_or(Corrupt("token_digest"))?,
        document_ids: match item.get(DOCUMENT_IDS) {
            None => Vec::new(),
            Some(v) => v
                .as_ss()
                .map_err(|_| Corrupt(DOCUMENT_IDS))?
                .iter()
                .map(|d| DocumentId::parse(d).map_err(|_| Corrupt(DOCUMENT_IDS)))
                .collect::<Result<_, _>>()?,
        },
        email: match item.get(EMAIL) {
            None => None,
            Some(v) => Some(
                v.as_s()
                    .ok()
                    .and_then(|a| EmailAddress::parse(a).ok())
                    .ok_or(Corrupt(EMAIL))?,
            ),
        },
        mailed_at: match item.get(MAILED_AT) {
            None => None,
            Some(_) => Some(ts(MAILED_AT)?),
        },
        reminder_tokens: match item.get(REMINDER_DIGESTS) {
            None => Vec::new(),
            Some(v) => v
                .as_ss()
                .map_err(|_| Corrupt(REMINDER_DIGESTS))?
                .iter()
                .map(|d| TokenDigest::parse(d).ok_or(Corrupt(REMINDER_DIGESTS)))
                .collect::<Result<_, _>>()?,
        },
        outbox: match item.get(OUTBOX) {
            None => None,
            Some(v) => Some(
                v.as_s()
                    .ok()
                    .and_then(|j| serde_json::from_str(j).ok())
                    .ok_or(Corrupt(OUTBOX))?,
            ),
        },
        version: num("version")?,
    })
}

/// The token's entry: the only item whose key has no tenant, because on the employee's
/// routes the token is all there is. It names the collection, nothing else.
pub fn token_item(c: &Collection) -> Item {
    token_item_for(c, &c.token)
}

/// A token's entry for `c`: its first token's, or a reminder's.
pub fn token_item_for(c: &Collection, digest: &TokenDigest) -> Item {
    let mut item = token_key(digest);
    item.extend([
        ("kind".into(), s("collection_token")),
        ("tenant_id".into(), s(c.tenant_id.as_str())),
        ("collection_id".into(), s(c.collection_id.as_str())),
        (
            EXPIRES_AT.into(),
            n((c.expires_at + Duration::days(1)).timestamp()),
        ),
    ]);
    item
}

pub fn token_target(item: &Item) -> Result<(TenantId, CollectionId), Corrupt> {
    Ok((
        TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        CollectionId::parse(get_s(item, "collection_id")?).map_err(|_| Corrupt("collection_id"))?,
    ))
}

/// The employee's pointer to their latest collection.
pub fn latest_collection_item(c: &Collection) -> Item {
    let mut item = latest_collection_key(&c.tenant_id, &c.employee_id);
    item.extend([
        ("kind".into(), s("latest_collection")),
        ("collection_id".into(), s(c.collection_id.as_str())),
    ]);
    item
}

pub fn latest_collection_from_item(item: &Item) -> Result<CollectionId, Corrupt> {
    CollectionId::parse(get_s(item, "collection_id")?).map_err(|_| Corrupt("collection_id"))
}

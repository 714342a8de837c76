//! The single-table layout. Every key starts with `T#{tenant}`, so no request built from
//! one principal's tenant can address another tenant's items.
//!
//! | item        | pk                            | sk         | by_owner index (gsi1pk / gsi1sk)          |
//! |-------------|-------------------------------|------------|-------------------------------------------|
//! | record      | `T#t#R#{record_id}`           | `RECORD`   | `T#t#E#{employee}#R` / `{ms:013}#{rid}`   |
//! | slot        | `T#t#E#{employee}`            | `SLOT#self`, `SLOT#spouse` | –                         |
//! | departure   | `T#t#E#{employee}`            | `DEPARTURE` | –                                        |
//! | membership  | `T#t#E#{employee}`            | `REC#{record_id}` | –                                  |
//! | revision    | `T#t#E#{employee}`            | `REV`      | –                                         |
//! | idempotency | `T#t#I#{key}`                 | `IDEM`     | –                                         |
//! | reveal trail| `T#t#A#{yyyy-mm-dd}`          | `{time}#{uuid}` | –                                    |
//! | disposal    | `T#t#D`                       | `{ms:013}#{rid}` | `T#t#E#{employee}#D` / `{ms:013}#{rid}` |
//!
//! Departed records also carry the sparse `by_due` index keys: `due_pk` = `DUE#{0..7}` (a
//! shard from the random record id, so no index partition runs hot) and `due_sk` =
//! `{first day gone}#{tenant}#{record_id}`. Finding what is due is then one range Query per
//! shard that reads only due items, whatever the table's size.
//!
//! Only `ct` (the KMS ciphertext) is secret; `expires_at` is the TTL attribute.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::disposal::{DisposalReason, DisposalRecord, Disposer};
use mynumber_domain::ids::{EmployeeId, RecordId, Subject, TenantId};
use mynumber_domain::purpose::{Purpose, PurposeSet};
use mynumber_domain::record::{
    Ciphertext, Content, DependentLabel, Record, Relation, Slot, timestamp,
};
use mynumber_domain::retention::Departure;
use mynumber_domain::verification::{IdentityCheck, NumberCheck, Refusal, Verification};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
pub const BY_OWNER: &str = "by_owner";
pub const EXPIRES_AT: &str = "expires_at";
pub const CT: &str = "ct";

/// Attributes the by_owner index carries besides its keys: everything but `ct`, so a
/// listing never reads a ciphertext.
#[cfg(feature = "bootstrap")]
pub const OWNER_PROJECTION: &[&str] = &[
    "kind",
    "tenant_id",
    "record_id",
    "employee_id",
    "relation",
    "dependent_label",
    "purposes",
    "status",
    "verification",
    "refusal",
    "created_at",
    "created_by",
    "left_on",
    "last_declaration_year",
    "due_on",
    "version",
    "reason",
    "disposed_at",
    "disposed_by",
    "backup_expires_at",
];

pub fn record_pk(t: &TenantId, r: &RecordId) -> String {
    format!("T#{t}#R#{r}")
}
pub const RECORD_SK: &str = "RECORD";

/// The primary key of a record's item.
pub fn record_key(t: &TenantId, r: &RecordId) -> Item {
    HashMap::from([(PK.into(), s(record_pk(t, r))), (SK.into(), s(RECORD_SK))])
}

pub fn slot_pk(t: &TenantId, e: &EmployeeId) -> String {
    format!("T#{t}#E#{e}")
}
pub fn slot_sk(slot: Slot) -> String {
    format!("SLOT#{}", slot.code())
}

/// A record's entry in its employee's partition, written and deleted in the same
/// transactions as the record: a strongly consistent Query of the partition lists the
/// employee's records, which the eventually consistent `by_owner` index cannot promise.
pub fn member_sk(r: &RecordId) -> String {
    format!("REC#{r}")
}
pub const MEMBER_PREFIX: &str = "REC#";

pub fn member_item(r: &Record) -> Item {
    HashMap::from([
        (PK.into(), s(slot_pk(&r.tenant_id, &r.employee_id))),
        (SK.into(), s(member_sk(&r.record_id))),
        ("kind".into(), s("member")),
        ("record_id".into(), s(r.record_id.as_str())),
    ])
}
/// The employee's revision (`rev`): every intake adds one, and a departure's transaction
/// is conditioned on the value it read.
pub const REVISION_SK: &str = "REV";

pub fn idem_pk(t: &TenantId, key: &str) -> String {
    format!("T#{t}#I#{key}")
}
pub const IDEM_SK: &str = "IDEM";

pub fn owner_records_pk(t: &TenantId, e: &EmployeeId) -> String {
    format!("T#{t}#E#{e}#R")
}
pub fn owner_sk(at: DateTime<Utc>, r: &RecordId) -> String {
    format!("{:013}#{r}", at.timestamp_millis())
}

pub fn disposals_pk(t: &TenantId) -> String {
    format!("T#{t}#D")
}

pub const BY_DUE: &str = "by_due";
pub const DUE_PK: &str = "due_pk";
pub const DUE_SK: &str = "due_sk";
pub const DUE_SHARDS: u8 = 8;

pub fn due_pk(r: &RecordId) -> String {
    let shard = u8::from_str_radix(&r.as_str()[..2], 16).unwrap_or(0) % DUE_SHARDS;
    format!("DUE#{shard}")
}

/// `{first day gone}#{tenant}#{record}`: sorts by the day a record becomes gone.
pub fn due_sk(d: &Departure, t: &TenantId, r: &RecordId) -> String {
    let gone_on = d.due_on.succ_opt().expect("a next day exists");
    format!("{gone_on}#{t}#{r}")
}

/// The tenant and record named by a `due_sk`.
pub fn parse_due_sk(sk: &str) -> Option<(TenantId, RecordId)> {
    let mut parts = sk.splitn(3, '#');
    let _day = parts.next()?;
    let t = TenantId::parse(parts.next()?).ok()?;
    let r = RecordId::parse(parts.next()?).ok()?;
    Some((t, r))
}
pub fn owner_disposals_pk(t: &TenantId, e: &EmployeeId) -> String {
    format!("T#{t}#E#{e}#D")
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The employee's departure item: beside the slots, read consistently by intake.
pub const DEPARTURE_SK: &str = "DEPARTURE";

pub fn departure_to_item(
    t: &TenantId,
    e: &EmployeeId,
    d: &Departure,
    ttl_grace: chrono::Duration,
) -> Item {
    let mut item: Item = HashMap::from([
        (PK.into(), s(slot_pk(t, e))),
        (SK.into(), s(DEPARTURE_SK)),
        ("kind".into(), s("departure")),
        ("left_on".into(), s(d.left_on.to_string())),
        ("due_on".into(), s(d.due_on.to_string())),
        (EXPIRES_AT.into(), n((d.gone_at() + ttl_grace).timestamp())),
    ]);
    if let Some(y) = d.last_declaration_year {
        item.insert("last_declaration_year".into(), n(y));
    }
    item
}

pub fn departure_from_item(item: &Item) -> Result<Departure, Corrupt> {
    Ok(Departure {
        left_on: date(get_s(item, "left_on")?, "left_on")?,
        due_on: date(get_s(item, "due_on")?, "due_on")?,
        last_declaration_year: item
            .get("last_declaration_year")
            .and_then(|v| v.as_n().ok())
            .map(|v| v.parse().map_err(|_| Corrupt("last_declaration_year")))
            .transpose()?,
    })
}

/// A record's item; a departed record also gets its due-index keys and TTL.
pub fn record_to_item(r: &Record, ttl_grace: chrono::Duration) -> Item {
    let t = &r.tenant_id;
    let mut item: Item = HashMap::from([
        (PK.into(), s(record_pk(t, &r.record_id))),
        (SK.into(), s(RECORD_SK)),
        (GSI1PK.into(), s(owner_records_pk(t, &r.employee_id))),
        (GSI1SK.into(), s(owner_sk(r.created_at, &r.record_id))),
        ("kind".into(), s("record")),
        ("tenant_id".into(), s(t.as_str())),
        ("record_id".into(), s(r.record_id.as_str())),
        ("employee_id".into(), s(r.employee_id.as_str())),
        ("relation".into(), s(r.relation.code())),
        (
            "purposes".into(),
            AttributeValue::L(r.purposes.iter().map(|p| s(p.code())).collect()),
        ),
        ("created_at".into(), s(timestamp(r.created_at))),
        ("created_by".into(), s(r.created_by.as_str())),
        ("version".into(), n(r.version)),
    ]);
    if let Some(label) = r.relation.label() {
        item.insert("dependent_label".into(), s(label.as_str()));
    }
    match &r.content {
        Content::Active {
            verification: v,
            ciphertext,
        } => {
            item.insert("status".into(), s("active"));
            item.insert(
                "verification".into(),
                AttributeValue::M(HashMap::from([
                    ("number_check".into(), s(v.number_check.code())),
                    ("identity_check".into(), s(v.identity_check.code())),
                    ("verified_by".into(), s(v.verified_by.as_str())),
                    ("verified_on".into(), s(v.verified_on.to_string())),
                ])),
            );
            item.insert(
                CT.into(),
                AttributeValue::B(Blob::new(ciphertext.0.clone())),
            );
        }
        Content::Refused { refusal } => {
            item.insert("status".into(), s("refused"));
            item.insert(
                "refusal".into(),
                AttributeValue::M(HashMap::from([
                    ("reason".into(), s(refusal.reason())),
                    ("requested_on".into(), s(refusal.requested_on().to_string())),
                ])),
            );
        }
    }
    if let Some(d) = &r.departure {
        item.insert("left_on".into(), s(d.left_on.to_string()));
        item.insert("due_on".into(), s(d.due_on.to_string()));
        if let Some(y) = d.last_declaration_year {
            item.insert("last_declaration_year".into(), n(y));
        }
        item.insert(DUE_PK.into(), s(due_pk(&r.record_id)));
        item.insert(DUE_SK.into(), s(due_sk(d, t, &r.record_id)));
        item.insert(EXPIRES_AT.into(), n((d.gone_at() + ttl_grace).timestamp()));
    }
    item
}

pub fn disposal_to_item(d: &DisposalRecord, expires_at: DateTime<Utc>) -> Item {
    let t = &d.tenant_id;
    let mut item: Item = HashMap::from([
        (PK.into(), s(disposals_pk(t))),
        (SK.into(), s(owner_sk(d.disposed_at, &d.record_id))),
        (GSI1PK.into(), s(owner_disposals_pk(t, &d.employee_id))),
        (GSI1SK.into(), s(owner_sk(d.disposed_at, &d.record_id))),
        ("kind".into(), s("disposal")),
        ("tenant_id".into(), s(t.as_str())),
        ("record_id".into(), s(d.record_id.as_str())),
        ("employee_id".into(), s(d.employee_id.as_str())),
        ("relation".into(), s(d.relation)),
        ("reason".into(), s(d.reason.code())),
        ("disposed_at".into(), s(timestamp(d.disposed_at))),
        (
            "backup_expires_at".into(),
            s(timestamp(d.backup_expires_at)),
        ),
        (
            "disposed_by".into(),
            s(match &d.disposed_by {
                Disposer::Principal(p) => format!("principal:{p}"),
                Disposer::Schedule => "schedule".to_owned(),
                Disposer::DynamodbTtl => "dynamodb_ttl".to_owned(),
            }),
        ),
        (EXPIRES_AT.into(), n(expires_at.timestamp())),
    ]);
    if let Some(label) = &d.dependent_label {
        item.insert("dependent_label".into(), s(label.as_str()));
    }
    item
}

/// An item that does not parse as the domain expects; names the attribute, never a value.
#[derive(Debug, thiserror::Error)]
#[error("stored item has a bad or missing attribute `{0}`")]
pub struct Corrupt(pub &'static str);

fn get_s<'a>(item: &'a Item, k: &'static str) -> Result<&'a str, Corrupt> {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or(Corrupt(k))
}

fn opt_s<'a>(item: &'a Item, k: &'static str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn date(v: &str, k: &'static str) -> Result<NaiveDate, Corrupt> {
    v.parse().map_err(|_| Corrupt(k))
}

/// Parses a record item; `load_ct` says whether the caller read the ciphertext.
pub fn record_from_item<S>(
    item: &Item,
    ciphertext: impl FnOnce(&Item) -> Result<S, Corrupt>,
) -> Result<Record<S>, Corrupt> {
    let relation = match get_s(item, "relation")? {
        "self" => Relation::OwnNumber,
        "spouse" => Relation::Spouse,
        "dependent" => Relation::Dependent(
            DependentLabel::parse(get_s(item, "dependent_label")?)
                .map_err(|_| Corrupt("dependent_label"))?,
        ),
        _ => return Err(Corrupt("relation")),
    };
    let purposes = item
        .get("purposes")
        .and_then(|v| v.as_l().ok())
        .ok_or(Corrupt("purposes"))?
        .iter()
        .map(|v| {
            v.as_s()
                .ok()
                .and_then(|p| Purpose::parse(p))
                .ok_or(Corrupt("purposes"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let purposes = PurposeSet::new(purposes).map_err(|_| Corrupt("purposes"))?;
    let content = match get_s(item, "status")? {
        "active" => {
            let m = item
                .get("verification")
                .and_then(|v| v.as_m().ok())
                .ok_or(Corrupt("verification"))?;
            let verification = Verification {
                number_check: NumberCheck::parse(get_s(m, "number_check")?)
                    .map_err(|_| Corrupt("number_check"))?,
                identity_check: IdentityCheck::parse(get_s(m, "identity_check")?)
                    .map_err(|_| Corrupt("identity_check"))?,
                verified_by: Subject::parse(get_s(m, "verified_by")?)
                    .map_err(|_| Corrupt("verified_by"))?,
                verified_on: date(get_s(m, "verified_on")?, "verified_on")?,
            };
            Content::Active {
                verification,
                ciphertext: ciphertext(item)?,
            }
        }
        "refused" => {
            let m = item
                .get("refusal")
                .and_then(|v| v.as_m().ok())
                .ok_or(Corrupt("refusal"))?;
            let requested_on = date(get_s(m, "requested_on")?, "requested_on")?;
            // Stored refusals passed validation; re-check against their own date only.
            let refusal = Refusal::new(get_s(m, "reason")?, requested_on, requested_on)
                .map_err(|_| Corrupt("refusal"))?;
            Content::Refused { refusal }
        }
        _ => return Err(Corrupt("status")),
    };
    let departure = match (opt_s(item, "left_on"), opt_s(item, "due_on")) {
        (Some(l), Some(d)) => Some(Departure {
            left_on: date(l, "left_on")?,
            due_on: date(d, "due_on")?,
            last_declaration_year: item
                .get("last_declaration_year")
                .and_then(|v| v.as_n().ok())
                .map(|v| v.parse().map_err(|_| Corrupt("last_declaration_year")))
                .transpose()?,
        }),
        _ => None,
    };
    Ok(Record {
        record_id: RecordId::parse(get_s(item, "record_id")?).map_err(|_| Corrupt("record_id"))?,
        tenant_id: TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        employee_id: EmployeeId::parse(get_s(item, "employee_id")?)
            .map_err(|_| Corrupt("employee_id"))?,
        relation,
        purposes,
        content,
        created_at: DateTime::parse_from_rfc3339(get_s(item, "created_at")?)
            .map_err(|_| Corrupt("created_at"))?
            .with_timezone(&Utc),
        created_by: Subject::parse(get_s(item, "created_by")?)
            .map_err(|_| Corrupt("created_by"))?,
        departure,
        version: item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or(Corrupt("version"))?,
    })
}

pub fn ciphertext(item: &Item) -> Result<Ciphertext, Corrupt> {
    item.get(CT)
        .and_then(|v| v.as_b().ok())
        .map(|b| Ciphertext(b.as_ref().to_vec()))
        .ok_or(Corrupt(CT))
}

pub fn no_ciphertext(_: &Item) -> Result<(), Corrupt> {
    Ok(())
}

pub fn disposal_from_item(item: &Item) -> Result<DisposalRecord, Corrupt> {
    let ts = |k: &'static str| -> Result<DateTime<Utc>, Corrupt> {
        DateTime::parse_from_rfc3339(get_s(item, k)?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Corrupt(k))
    };
    let relation = match get_s(item, "relation")? {
        "self" => "self",
        "spouse" => "spouse",
        "dependent" => "dependent",
        _ => return Err(Corrupt("relation")),
    };
    let disposed_by = match get_s(item, "disposed_by")? {
        "schedule" => Disposer::Schedule,
        "dynamodb_ttl" => Disposer::DynamodbTtl,
        other => Disposer::Principal(
            other
                .strip_prefix("principal:")
                .and_then(|p| Subject::parse(p).ok())
                .ok_or(Corrupt("disposed_by"))?,
        ),
    };
    Ok(DisposalRecord {
        record_id: RecordId::parse(get_s(item, "record_id")?).map_err(|_| Corrupt("record_id"))?,
        tenant_id: TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        employee_id: EmployeeId::parse(get_s(item, "employee_id")?)
            .map_err(|_| Corrupt("employee_id"))?,
        relation,
        dependent_label: opt_s(item, "dependent_label")
            .map(|l| DependentLabel::parse(l).map_err(|_| Corrupt("dependent_label")))
            .transpose()?,
        reason: DisposalReason::parse(get_s(item, "reason")?).ok_or(Corrupt("reason"))?,
        disposed_at: ts("disposed_at")?,
        disposed_by,
        backup_expires_at: ts("backup_expires_at")?,
    })
}

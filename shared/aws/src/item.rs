//! Every item conversion: domain values to and from DynamoDB items (keys come from
//! `keys`), and the attribute and index names the table is created with. Only `ct` (the
//! KMS ciphertext) is secret; `expires_at` is the TTL attribute.

use crate::keys::*;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::Update;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::collection::CollectionId;
use mynumber_domain::disposal::{DisposalNote, DisposalReason, DisposalRecord, Disposer};
use mynumber_domain::ids::{EmployeeId, NumberKey, RecordId, Subject, TenantId};
use mynumber_domain::purpose::{Purpose, PurposeSet};
use mynumber_domain::record::{
    Ciphertext, Content, DependentLabel, Record, Relation, RelationKind, Source, Status, Submitted,
    timestamp,
};
use mynumber_domain::retention::{Departure, jst_midnight};
use mynumber_domain::verification::{IdentityCheck, NumberCheck, Refusal, Verification};
use std::collections::HashMap;

mod collection;
mod document;
mod employee;
mod export;
mod number;
mod request;
pub use collection::*;
pub use document::*;
pub use employee::*;
pub use export::*;
pub use number::*;
pub use request::*;

pub use crate::keys::{
    BY_DUE, BY_OWNER, BY_TENANT, DUE_PK, DUE_SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, Item, PK, SK, s,
};

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
    "note",
    "documents_deleted",
    "source",
    "submitted",
    "collection_id",
    "include_family",
    "attempts",
    "link_expires_at",
    "token_digest",
];

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The update that sets (or, with `None`, clears) a record's departure and its due-index
/// keys and TTL, as `record_to_item` writes them, conditional on the version read. An
/// unconfirmed submission keeps its review deadline in the index either way.
pub fn departure_update(
    r: &Record<()>,
    departure: Option<&Departure>,
    ttl_grace: chrono::Duration,
) -> UpdateBuilder {
    let mut u = Update::builder()
        .set_key(Some(record_key(&r.tenant_id, &r.record_id)))
        .condition_expression("version = :v")
        .expression_attribute_values(":v", n(r.version))
        .expression_attribute_values(":nv", n(r.version + 1));
    let mut set = vec!["version = :nv"];
    let mut remove = Vec::new();
    match departure {
        Some(d) => {
            u = u
                .expression_attribute_values(":l", s(d.left_on.to_string()))
                .expression_attribute_values(":d", s(d.due_on.to_string()));
            set.extend(["left_on = :l", "due_on = :d"]);
            match d.last_declaration_year {
                Some(y) => {
                    u = u.expression_attribute_values(":y", n(y));
                    set.push("last_declaration_year = :y");
                }
                None => remove.push("last_declaration_year"),
            }
        }
        None => remove.extend(["left_on", "due_on", "last_declaration_year"]),
    }
    let (u, due) = due_keys_update(u, r, r.first_day_gone_with(departure), ttl_grace);
    let (due_set, due_remove) = due;
    set.extend(due_set);
    remove.extend(due_remove);
    let mut expr = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    u.update_expression(expr)
}

type Clauses = (Vec<&'static str>, Vec<&'static str>);

/// The due-index keys and TTL for a record gone from `gone_on`, or their removal.
fn due_keys_update<S>(
    u: UpdateBuilder,
    r: &Record<S>,
    gone_on: Option<NaiveDate>,
    ttl_grace: chrono::Duration,
) -> (UpdateBuilder, Clauses) {
    match gone_on {
        Some(day) => (
            u.expression_attribute_values(":dp", s(due_pk(&r.record_id)))
                .expression_attribute_values(":ds", s(due_sk(day, &r.tenant_id, &r.record_id)))
                .expression_attribute_values(
                    ":exp",
                    n((jst_midnight(day) + ttl_grace).timestamp()),
                ),
            (
                vec!["due_pk = :dp", "due_sk = :ds", "expires_at = :exp"],
                vec![],
            ),
        ),
        None => (u, (vec![], vec!["due_pk", "due_sk", "expires_at"])),
    }
}

/// The update that confirms a pending record: active with its verification, the
/// submission's claims gone, the review deadline out of the due index.
pub fn confirm_update(
    r: &Record<()>,
    v: &Verification,
    ttl_grace: chrono::Duration,
) -> UpdateBuilder {
    let u = Update::builder()
        .set_key(Some(record_key(&r.tenant_id, &r.record_id)))
        .condition_expression("version = :v AND #s = :pending")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":v", n(r.version))
        .expression_attribute_values(":nv", n(r.version + 1))
        .expression_attribute_values(":pending", s(Status::PendingReview.code()))
        .expression_attribute_values(":active", s(Status::Active.code()))
        .expression_attribute_values(":ver", verification_value(v));
    let gone_on = r
        .departure
        .as_ref()
        .map(|d| d.due_on.succ_opt().expect("a next day exists"));
    let (u, (set, remove)) = due_keys_update(u, r, gone_on, ttl_grace);
    let mut expr = String::from("SET #s = :active, verification = :ver, version = :nv");
    for c in set {
        expr.push_str(", ");
        expr.push_str(c);
    }
    expr.push_str(" REMOVE submitted");
    for c in remove {
        expr.push_str(", ");
        expr.push_str(c);
    }
    u.update_expression(expr)
}

fn verification_value(v: &Verification) -> AttributeValue {
    let mut m = HashMap::from([
        ("number_check".into(), s(v.number_check.code())),
        ("identity_check".into(), s(v.identity_check.code())),
        ("verified_by".into(), s(v.verified_by.as_str())),
        ("verified_on".into(), s(v.verified_on.to_string())),
    ]);
    if let Some(at) = v.confirmed_at {
        m.insert("confirmed_at".into(), s(timestamp(at)));
    }
    AttributeValue::M(m)
}

/// The items intake leaves behind for a record: the record, its membership entry and, for
/// `self` or `spouse`, the slot it holds. For loading fixtures and benchmarks without
/// intake; the employee's revision is not among them.
pub fn registered_items(r: &Record, ttl_grace: chrono::Duration) -> Vec<Item> {
    let mut items = vec![record_to_item(r, ttl_grace), member_item(r)];
    if let Some(slot) = r.relation.slot() {
        items.push(slot_item(&r.tenant_id, &r.employee_id, slot, &r.record_id));
    }
    items.extend(number_entry_item(r));
    if r.relation == Relation::OwnNumber {
        items.extend(number_claim_item(r));
    }
    items
}

/// A record's item; a departed record also gets its due-index keys and TTL.
pub fn record_to_item(r: &Record, ttl_grace: chrono::Duration) -> Item {
    let t = &r.tenant_id;
    let mut item: Item = HashMap::from([
        (PK.into(), s(record_pk(t, &r.record_id))),
        (SK.into(), s(RECORD_SK)),
        (GSI1PK.into(), s(owner_records_pk(t, &r.employee_id))),
        (GSI1SK.into(), s(owner_sk(r.created_at, &r.record_id))),
        (GSI2PK.into(), s(tenant_records_pk(t))),
        (GSI2SK.into(), s(owner_sk(r.created_at, &r.record_id))),
        ("kind".into(), s("record")),
        ("tenant_id".into(), s(t.as_str())),
        ("record_id".into(), s(r.record_id.as_str())),
        ("employee_id".into(), s(r.employee_id.as_str())),
        ("relation".into(), s(r.relation.code())),
        (
            "purposes".into(),
            AttributeValue::L(r.purposes.iter().map(|p| s(p.code())).collect()),
        ),
        ("status".into(), s(r.status().code())),
        ("source".into(), s(r.source.code())),
        ("created_at".into(), s(timestamp(r.created_at))),
        ("created_by".into(), s(r.created_by.as_str())),
        ("version".into(), n(r.version)),
    ]);
    if let Some(label) = r.relation.label() {
        item.insert("dependent_label".into(), s(label.as_str()));
    }
    if let Some(key) = &r.number_key {
        item.insert(NUMBER_KEY.into(), s(key.as_str()));
    }
    match &r.content {
        Content::Active {
            verification: v,
            ciphertext,
        } => {
            item.insert("verification".into(), verification_value(v));
            item.insert(
                CT.into(),
                AttributeValue::B(Blob::new(ciphertext.0.clone())),
            );
        }
        Content::Pending {
            submitted,
            ciphertext,
        } => {
            let mut m =
                HashMap::from([("collection_id".into(), s(submitted.collection_id.as_str()))]);
            if let Some(d) = submitted.number_document {
                m.insert("number_document".into(), s(d.code()));
            }
            if let Some(d) = submitted.identity_document {
                m.insert("identity_document".into(), s(d.code()));
            }
            item.insert("submitted".into(), AttributeValue::M(m));
            item.insert(
                CT.into(),
                AttributeValue::B(Blob::new(ciphertext.0.clone())),
            );
        }
        Content::Refused { refusal } => {
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
    }
    if let Some(day) = r.first_day_gone() {
        item.insert(DUE_PK.into(), s(due_pk(&r.record_id)));
        item.insert(DUE_SK.into(), s(due_sk(day, t, &r.record_id)));
        item.insert(
            EXPIRES_AT.into(),
            n((jst_midnight(day) + ttl_grace).timestamp()),
        );
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
        ("relation".into(), s(d.relation.code())),
        ("reason".into(), s(d.reason.code())),
        ("disposed_at".into(), s(timestamp(d.disposed_at))),
        (
            "backup_expires_at".into(),
            s(timestamp(d.backup_expires_at)),
        ),
        ("disposed_by".into(), s(d.disposed_by.stored())),
        (EXPIRES_AT.into(), n(expires_at.timestamp())),
    ]);
    if let Some(label) = &d.dependent_label {
        item.insert("dependent_label".into(), s(label.as_str()));
    }
    if let Some(note) = &d.note {
        item.insert("note".into(), s(note.as_str()));
    }
    if let Some(due) = d.due_at {
        item.insert("due_on".into(), s(due.to_string()));
    }
    if d.documents_deleted > 0 {
        item.insert("documents_deleted".into(), n(d.documents_deleted));
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
    let kind = RelationKind::parse(get_s(item, "relation")?).ok_or(Corrupt("relation"))?;
    let label = match kind {
        RelationKind::Dependent => Some(
            DependentLabel::stored(get_s(item, "dependent_label")?)
                .map_err(|_| Corrupt("dependent_label"))?,
        ),
        _ => None,
    };
    let relation = Relation::from_parts(kind, label).ok_or(Corrupt("relation"))?;
    let purposes = purposes_from(item)?;
    let content = match get_s(item, "status")? {
        "active" => {
            let m = item
                .get("verification")
                .and_then(|v| v.as_m().ok())
                .ok_or(Corrupt("verification"))?;
            let verification = Verification {
                number_check: NumberCheck::parse(get_s(m, "number_check")?)
                    .ok_or(Corrupt("number_check"))?,
                identity_check: IdentityCheck::parse(get_s(m, "identity_check")?)
                    .ok_or(Corrupt("identity_check"))?,
                verified_by: Subject::parse(get_s(m, "verified_by")?)
                    .map_err(|_| Corrupt("verified_by"))?,
                verified_on: date(get_s(m, "verified_on")?, "verified_on")?,
                confirmed_at: match m.get("confirmed_at") {
                    Some(_) => Some(
                        DateTime::parse_from_rfc3339(get_s(m, "confirmed_at")?)
                            .map_err(|_| Corrupt("confirmed_at"))?
                            .with_timezone(&Utc),
                    ),
                    None => None,
                },
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
        "pending_review" => {
            let m = item
                .get("submitted")
                .and_then(|v| v.as_m().ok())
                .ok_or(Corrupt("submitted"))?;
            let submitted = Submitted {
                collection_id: CollectionId::parse(get_s(m, "collection_id")?)
                    .map_err(|_| Corrupt("collection_id"))?,
                number_document: opt_s(m, "number_document")
                    .map(|d| NumberCheck::parse(d).ok_or(Corrupt("number_document")))
                    .transpose()?,
                identity_document: opt_s(m, "identity_document")
                    .map(|d| IdentityCheck::parse(d).ok_or(Corrupt("identity_document")))
                    .transpose()?,
            };
            Content::Pending {
                submitted,
                ciphertext: ciphertext(item)?,
            }
        }
        _ => return Err(Corrupt("status")),
    };
    // Records written before self-service existed carry no source: HR put them in.
    let source = match opt_s(item, "source") {
        None => Source::Registrar,
        Some(v) => Source::parse(v).ok_or(Corrupt("source"))?,
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
        source,
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
        number_key: opt_s(item, NUMBER_KEY)
            .map(|k| NumberKey::parse(k).ok_or(Corrupt(NUMBER_KEY)))
            .transpose()?,
    })
}

/// The `purposes` list of a record or a collection.
pub fn purposes_from(item: &Item) -> Result<PurposeSet, Corrupt> {
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
    PurposeSet::new(purposes).map_err(|_| Corrupt("purposes"))
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
    let relation = RelationKind::parse(get_s(item, "relation")?).ok_or(Corrupt("relation"))?;
    let disposed_by =
        Disposer::parse_stored(get_s(item, "disposed_by")?).ok_or(Corrupt("disposed_by"))?;
    Ok(DisposalRecord {
        record_id: RecordId::parse(get_s(item, "record_id")?).map_err(|_| Corrupt("record_id"))?,
        tenant_id: TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        employee_id: EmployeeId::parse(get_s(item, "employee_id")?)
            .map_err(|_| Corrupt("employee_id"))?,
        relation,
        dependent_label: opt_s(item, "dependent_label")
            .map(|l| DependentLabel::stored(l).map_err(|_| Corrupt("dependent_label")))
            .transpose()?,
        reason: DisposalReason::parse(get_s(item, "reason")?).ok_or(Corrupt("reason"))?,
        due_at: opt_s(item, "due_on")
            .map(|d| d.parse().map_err(|_| Corrupt("due_on")))
            .transpose()?,
        note: opt_s(item, "note")
            .map(|v| DisposalNote::parse(v).map_err(|_| Corrupt("note")))
            .transpose()?,
        disposed_at: ts("disposed_at")?,
        disposed_by,
        backup_expires_at: ts("backup_expires_at")?,
        documents_deleted: match item.get("documents_deleted") {
            None => 0,
            Some(v) => v
                .as_n()
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or(Corrupt("documents_deleted"))?,
        },
    })
}

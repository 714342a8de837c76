//! The items of an employee's partition besides records: the departure, membership
//! entries, slots and the revision.

use super::{Corrupt, EXPIRES_AT, Item, SK, date, get_s, n, s};
use crate::keys::*;
use aws_sdk_dynamodb::types::Update;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use mynumber_domain::ids::{EmployeeId, RecordId, TenantId};
use mynumber_domain::record::{Record, Slot};
use mynumber_domain::retention::Departure;

/// The employee's departure item: beside the slots, read consistently by intake.
pub fn departure_to_item(
    t: &TenantId,
    e: &EmployeeId,
    d: &Departure,
    ttl_grace: chrono::Duration,
) -> Item {
    let mut item = departure_key(t, e);
    item.extend([
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

/// A record's entry in its employee's partition.
pub fn member_item(r: &Record) -> Item {
    let mut item = member_key(&r.tenant_id, &r.employee_id, &r.record_id);
    item.extend([
        ("kind".into(), s("member")),
        ("record_id".into(), s(r.record_id.as_str())),
    ]);
    item
}

/// The employee's `slot` (`self` or `spouse`), held by `holder`.
pub fn slot_item(t: &TenantId, e: &EmployeeId, slot: Slot, holder: &RecordId) -> Item {
    let mut item = slot_key(t, e, slot);
    item.extend([
        ("kind".into(), s("slot")),
        ("record_id".into(), s(holder.as_str())),
    ]);
    item
}

pub fn slot_holder_from_item(item: &Item) -> Result<RecordId, Corrupt> {
    item.get("record_id")
        .and_then(|v| v.as_s().ok())
        .and_then(|v| RecordId::parse(v).ok())
        .ok_or(Corrupt("record_id"))
}

/// The update that adds one to the employee's revision, creating its item if need be.
pub fn bump_revision(t: &TenantId, e: &EmployeeId) -> UpdateBuilder {
    Update::builder()
        .set_key(Some(revision_key(t, e)))
        .update_expression("SET kind = :k ADD rev :one")
        .expression_attribute_values(":k", s("revision"))
        .expression_attribute_values(":one", n(1))
}

/// An item of the employee's partition as a departure reads it.
pub enum PartitionEntry {
    Revision(u64),
    Member(RecordId),
    Departure(Result<Departure, Corrupt>),
}

/// `None` for the partition's other items (slots) and for a membership entry that names
/// no record.
pub fn partition_entry(item: &Item) -> Option<PartitionEntry> {
    let sk = item.get(SK).and_then(|v| v.as_s().ok())?;
    if sk == DEPARTURE_SK {
        return Some(PartitionEntry::Departure(departure_from_item(item)));
    }
    if sk == REVISION_SK {
        let rev = item
            .get("rev")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        return Some(PartitionEntry::Revision(rev));
    }
    let id = sk.strip_prefix(MEMBER_PREFIX)?;
    RecordId::parse(id).ok().map(PartitionEntry::Member)
}

//! The duplicate index's items (SPEC §4b): one entry per record that holds a number, and
//! one claim per number held as an employee's own. Both hold ids only: the partition is
//! named by the number's keyed MAC, never by the number.

use super::{Corrupt, Item, SK, get_s, s};
use crate::keys::*;
use mynumber_domain::ids::{EmployeeId, RecordId};
use mynumber_domain::ports::{NumberHolder, NumberHolders};
use mynumber_domain::record::{Record, RelationKind};

fn holder_attributes(item: &mut Item, r: &Record) {
    item.extend([
        ("record_id".into(), s(r.record_id.as_str())),
        ("employee_id".into(), s(r.employee_id.as_str())),
        ("relation".into(), s(r.relation.code())),
    ]);
}

/// The record's entry under its number; none for a record without a key.
pub fn number_entry_item(r: &Record) -> Option<Item> {
    let k = r.number_key.as_ref()?;
    let mut item = number_entry_key(&r.tenant_id, k, &r.record_id);
    item.insert("kind".into(), s("number_entry"));
    holder_attributes(&mut item, r);
    Some(item)
}

/// The claim of a `self` record on its number.
pub fn number_claim_item(r: &Record) -> Option<Item> {
    let k = r.number_key.as_ref()?;
    let mut item = number_claim_key(&r.tenant_id, k);
    item.insert("kind".into(), s("number_claim"));
    holder_attributes(&mut item, r);
    Some(item)
}

fn holder_from_item(item: &Item) -> Result<NumberHolder, Corrupt> {
    Ok(NumberHolder {
        record_id: RecordId::parse(get_s(item, "record_id")?).map_err(|_| Corrupt("record_id"))?,
        employee_id: EmployeeId::parse(get_s(item, "employee_id")?)
            .map_err(|_| Corrupt("employee_id"))?,
        relation: RelationKind::parse(get_s(item, "relation")?).ok_or(Corrupt("relation"))?,
    })
}

/// A number's partition read back: its claim and its entries.
pub fn number_holders_from_items(items: &[Item]) -> Result<NumberHolders, Corrupt> {
    let mut holders = NumberHolders::default();
    for item in items {
        let holder = holder_from_item(item)?;
        if get_s(item, SK)? == NUMBER_CLAIM_SK {
            holders.own_number = Some(holder);
        } else {
            holders.records.push(holder);
        }
    }
    Ok(holders)
}

//! Retention: an employee's records read consistently, departures set on them, disposals
//! (the purge's, and those DynamoDB TTL carried out) and the disposal listing.

use super::transaction::{Transaction, TransactionError};
use super::{
    DynamoStore, new_disposal, page_of, parse_cursor, query_all, records, timed, unavailable,
};
use crate::describe;
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put};
use mynumber_domain::disposal::DisposalRecord;
use mynumber_domain::ids::{EmployeeId, RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::{Record, Relation};
use mynumber_domain::retention::Departure;

/// What each item of a retention transaction guards.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guard {
    /// The record, at the version read.
    Record,
    /// The disposal record, which must not exist yet.
    Disposal,
    Membership,
    /// The slot, while it still names the record.
    Slot,
    /// The number's claim, while it still names the record.
    Claim,
    /// The record's entry in the duplicate index.
    NumberEntry,
    /// The employee's departure item.
    Departure,
    /// The employee's revision, unchanged since the read.
    Revision,
}

/// The employee's partition, strongly consistent: membership entries, revision, departure.
struct Partition {
    members: Vec<RecordId>,
    revision: u64,
    departure: Option<Departure>,
}

async fn employee_partition(
    store: &DynamoStore,
    t: &TenantId,
    e: &EmployeeId,
) -> Result<Partition, Unavailable> {
    let items = query_all(
        store
            .client
            .query()
            .table_name(&store.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(employee_pk(t, e)))
            .consistent_read(true),
    )
    .await?;
    let mut partition = Partition {
        members: Vec::new(),
        revision: 0,
        departure: None,
    };
    for entry in items.iter().filter_map(partition_entry) {
        match entry {
            PartitionEntry::Revision(rev) => partition.revision = rev,
            PartitionEntry::Member(id) => partition.members.push(id),
            PartitionEntry::Departure(d) => {
                partition.departure = Some(d.map_err(super::corrupt)?);
            }
        }
    }
    Ok(partition)
}

/// The employee's records as the owner index shows them (metadata only, possibly behind).
async fn owner_index(
    store: &DynamoStore,
    t: &TenantId,
    e: &EmployeeId,
) -> Result<Vec<Record<()>>, Unavailable> {
    let items = query_all(
        store
            .client
            .query()
            .table_name(&store.table)
            .index_name(BY_OWNER)
            .key_condition_expression("gsi1pk = :o")
            .expression_attribute_values(":o", s(owner_records_pk(t, e))),
    )
    .await?;
    // A copy the index cannot give whole is read from the table instead.
    Ok(items
        .iter()
        .filter_map(|item| record_from_item(item, no_ciphertext).ok())
        .collect())
}

/// The members' records the index holds, and the members it does not show. A record the
/// index still shows after its disposal is no member, and is left out.
fn members_from_index(
    members: &[RecordId],
    mut indexed: Vec<Record<()>>,
) -> (Vec<Record<()>>, Vec<RecordId>) {
    let mut found = Vec::with_capacity(members.len());
    let mut missing = Vec::new();
    for id in members {
        match indexed.iter().position(|r| &r.record_id == id) {
            Some(i) => found.push(indexed.swap_remove(i)),
            None => missing.push(id.clone()),
        }
    }
    (found, missing)
}

pub(crate) async fn dispose(
    store: &DynamoStore,
    record: &Record<()>,
    disposal: &DisposalRecord,
) -> Result<Disposed, Unavailable> {
    match dispose_once(store, record, disposal, true, true).await {
        Ok(d) => Ok(d),
        // The slot or the number's claim names another record (re-registered, or taken
        // over after this one fell past due): dispose without what is no longer its own.
        Err(Some(failed)) if failed.contains(&Guard::Slot) || failed.contains(&Guard::Claim) => {
            let (slot, claim) = (
                !failed.contains(&Guard::Slot),
                !failed.contains(&Guard::Claim),
            );
            dispose_once(store, record, disposal, slot, claim)
                .await
                .map_err(|_| Unavailable("disposal failed twice".into()))
        }
        Err(_) => {
            // A conflicting transaction (say, a concurrent purge) may have won.
            let current = records::get_record(store, &record.tenant_id, &record.record_id).await?;
            match current {
                Some(r) if r.version == record.version => Err(Unavailable(
                    "disposal transaction failed; the record is still there".into(),
                )),
                _ => Ok(Disposed::AlreadyGone),
            }
        }
    }
}

/// One disposal transaction; on failure, the guards that failed if it was cancelled.
async fn dispose_once(
    store: &DynamoStore,
    record: &Record<()>,
    disposal: &DisposalRecord,
    free_slot: bool,
    free_claim: bool,
) -> Result<Disposed, Option<Vec<Guard>>> {
    let (t, e, r) = (&record.tenant_id, &record.employee_id, &record.record_id);
    let mut tx = Transaction::new(store);
    tx.delete(
        Guard::Record,
        Delete::builder()
            .set_key(Some(record_key(t, r)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(record.version)),
    )
    .put(Guard::Disposal, new_disposal(store, disposal))
    .delete(
        Guard::Membership,
        Delete::builder().set_key(Some(member_key(t, e, r))),
    );
    if let (true, Some(slot)) = (free_slot, record.relation.slot()) {
        tx.delete(
            Guard::Slot,
            Delete::builder()
                .set_key(Some(slot_key(t, e, slot)))
                .condition_expression("record_id = :r")
                .expression_attribute_values(":r", s(r.as_str())),
        );
    }
    // The index entry goes with the record; so does its claim on the number, if its own.
    if let Some(k) = &record.number_key {
        tx.delete(
            Guard::NumberEntry,
            Delete::builder().set_key(Some(number_entry_key(t, k, r))),
        );
        if free_claim && record.relation == Relation::OwnNumber {
            tx.delete(
                Guard::Claim,
                Delete::builder()
                    .set_key(Some(number_claim_key(t, k)))
                    .condition_expression("attribute_not_exists(pk) OR record_id = :r")
                    .expression_attribute_values(":r", s(r.as_str())),
            );
        }
    }
    match tx.commit().await {
        Ok(()) => Ok(Disposed::Now),
        Err(e) if e.failed(Guard::Record) => Ok(Disposed::AlreadyGone),
        Err(TransactionError::Cancelled { failed, .. }) => Err(Some(failed)),
        Err(e) => {
            tracing::warn!(error = %describe(e.sdk_error()), "disposal transaction failed");
            Err(None)
        }
    }
}

#[async_trait]
impl Departures for DynamoStore {
    async fn employee_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        read: EmployeeRead,
    ) -> Result<EmployeeRecords, Unavailable> {
        let (partition, indexed) = match read {
            // The index's copies beside the partition, in the same round trip.
            EmployeeRead::Quick => {
                let (partition, indexed) =
                    futures::try_join!(employee_partition(self, t, e), owner_index(self, t, e))?;
                (partition, indexed)
            }
            EmployeeRead::Consistent => (employee_partition(self, t, e).await?, Vec::new()),
        };
        let (mut records, missing) = members_from_index(&partition.members, indexed);
        // A member the index does not show yet (or every member, read consistently) by a
        // consistent GetItem; an entry whose record TTL removed is skipped.
        let read = futures::future::try_join_all(
            missing.iter().map(|id| records::get_record(self, t, id)),
        )
        .await?;
        records.extend(read.into_iter().flatten().map(|r| r.metadata()));
        Ok(EmployeeRecords {
            records,
            revision: partition.revision,
            departure: partition.departure,
        })
    }

    async fn set_departures(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        departure: Option<mynumber_domain::retention::Departure>,
        changes: &[DepartureChange],
        read: &EmployeeRecords,
    ) -> Result<(), UpdateError> {
        if read.records.len() > 98 {
            // One transaction holds at most 100 items (the records, the employee's departure
            // and revision); no employee has that many records.
            return Err(UpdateError::Unavailable(Unavailable(
                "more than 100 records for one employee".into(),
            )));
        }
        let mut tx = Transaction::new(self);
        for c in changes {
            tx.update(
                Guard::Record,
                departure_update(&c.record, c.departure.as_ref(), self.ttl_grace),
            );
        }
        // A record the plan left alone was left alone for what the read showed (no departure
        // to cancel, gone already): it must still be as read, or the plan is made again.
        for r in read
            .records
            .iter()
            .filter(|r| !changes.iter().any(|c| c.record.record_id == r.record_id))
        {
            tx.check(
                Guard::Record,
                ConditionCheck::builder()
                    .set_key(Some(record_key(t, &r.record_id)))
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", n(r.version)),
            );
        }
        let revision = read.revision;
        match &departure {
            Some(d) => tx.put(
                Guard::Departure,
                Put::builder().set_item(Some(departure_to_item(t, e, d, self.ttl_grace))),
            ),
            None => tx.delete(
                Guard::Departure,
                Delete::builder().set_key(Some(departure_key(t, e))),
            ),
        };
        // No intake for this employee since the records were read.
        let check = ConditionCheck::builder().set_key(Some(revision_key(t, e)));
        tx.check(
            Guard::Revision,
            if revision == 0 {
                check.condition_expression("attribute_not_exists(rev)")
            } else {
                check
                    .condition_expression("rev = :rev")
                    .expression_attribute_values(":rev", n(revision))
            },
        );
        match tx.commit().await {
            Ok(()) => Ok(()),
            Err(e) if !e.failed_guards().is_empty() => Err(UpdateError::Concurrent),
            Err(e) => Err(UpdateError::Unavailable(e.unavailable())),
        }
    }
}

#[async_trait]
impl RecordDisposal for DynamoStore {
    async fn dispose(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        dispose(self, record, disposal).await
    }
}

#[async_trait]
impl TtlDisposals for DynamoStore {
    async fn record_ttl_disposal(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        let (t, e, r) = (&record.tenant_id, &record.employee_id, &record.record_id);
        let mut tx = Transaction::new(self);
        tx.put(Guard::Disposal, new_disposal(self, disposal))
            .delete(
                Guard::Membership,
                Delete::builder().set_key(Some(member_key(t, e, r))),
            );
        if let Some(k) = &record.number_key {
            tx.delete(
                Guard::NumberEntry,
                Delete::builder().set_key(Some(number_entry_key(t, k, r))),
            );
        }
        match tx.commit().await {
            Ok(()) => {}
            Err(e) if e.failed(Guard::Disposal) => return Ok(Disposed::AlreadyGone),
            Err(e) => return Err(e.unavailable()),
        }
        // The slot and the number's claim, unless intake has already given them to a new
        // record.
        let slot = record.relation.slot().map(|slot| slot_key(t, e, slot));
        let claim = match (&record.number_key, &record.relation) {
            (Some(k), Relation::OwnNumber) => Some(number_claim_key(t, k)),
            _ => None,
        };
        for key in [slot, claim].into_iter().flatten() {
            let freed = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression("record_id = :r")
                .expression_attribute_values(":r", s(r.as_str()))
                .send()
                .await;
            if let Err(e) = freed
                && !e
                    .as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception())
            {
                return Err(unavailable(e));
            }
        }
        Ok(Disposed::Now)
    }
}

#[async_trait]
impl DisposalLog for DynamoStore {
    async fn list_disposals(
        &self,
        t: &TenantId,
        employee: Option<&EmployeeId>,
        page: &PageRequest,
    ) -> Result<Page<DisposalRecord>, ListError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .scan_index_forward(false)
            .limit(i32::from(page.limit));
        let mut query = match employee {
            Some(e) => query
                .index_name(BY_OWNER)
                .key_condition_expression("gsi1pk = :o")
                .expression_attribute_values(":o", s(owner_disposals_pk(t, e))),
            None => query
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s(disposals_pk(t))),
        };
        if let Some(cursor) = &page.cursor {
            let (ms, rid) = parse_cursor(cursor).ok_or(ListError::BadCursor)?;
            query =
                query.set_exclusive_start_key(Some(disposals_listing_start(t, employee, ms, &rid)));
        }
        page_of(query, disposal_from_item, |d| {
            timed(d.disposed_at, &d.record_id)
        })
        .await
    }
}

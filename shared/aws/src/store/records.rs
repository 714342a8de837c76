//! Records: intake's create transaction, reads by id, the slot holder and the employee's
//! departure, and the employee's listing.

use super::transaction::{Transaction, TransactionError};
use super::update_alone;
use super::{
    ABSENT, DynamoStore, corrupt, get_consistent, new_disposal, page_of, parse_cursor, query_all,
    timed,
};
use crate::item::confirm_update;
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put};
use chrono::{DateTime, Utc};
use mynumber_domain::ids::KeyDigest;
use mynumber_domain::ids::{EmployeeId, NumberKey, RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::{Record, Relation, Slot};
use mynumber_domain::retention::Departure;
use mynumber_domain::verification::Verification;

/// What each item of a create transaction guards, to name the condition that failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guard {
    NewRecord,
    Slot,
    ReplacedRecord,
    Disposal,
    Idempotency,
    Departure,
    Membership,
    Collection,
    Document,
    /// The number's claim, for a `self` record.
    Claim,
    /// A replaced record's claim on its (other) number, while it still holds it.
    OldClaim,
    /// Index entries: new (must not exist) or the replaced record's (deleted).
    NumberEntry,
}

/// A number's partition, strongly consistent: its claim and one entry per record.
pub(crate) async fn number_holders(
    store: &DynamoStore,
    t: &TenantId,
    k: &NumberKey,
) -> Result<NumberHolders, Unavailable> {
    let items = query_all(
        store
            .client
            .query()
            .table_name(&store.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(number_pk(t, k)))
            .consistent_read(true),
    )
    .await?;
    number_holders_from_items(&items).map_err(corrupt)
}

/// Writes one employee's new records all at once: each record with its membership entry
/// and slot change, then once for the employee the departure check and the revision, and
/// the idempotency entry or the submission's collection update if there is one.
pub(crate) async fn create_records(
    store: &DynamoStore,
    news: &[NewRecord],
    collection: Option<aws_sdk_dynamodb::types::builders::UpdateBuilder>,
    documents: &[DocumentChange],
) -> Result<(), CreateError> {
    let first = news.first().expect("at least one record");
    let (t, e) = (&first.record.tenant_id, &first.record.employee_id);
    let mut tx = Transaction::new(store);
    for new in news {
        add_record(store, &mut tx, new);
    }
    // The departure intake read must still be the employee's departure.
    let departure = ConditionCheck::builder().set_key(Some(departure_key(t, e)));
    tx.check(
        Guard::Departure,
        match &first.employee_departure {
            None => departure.condition_expression(ABSENT),
            Some(d) => departure
                .condition_expression("due_on = :d")
                .expression_attribute_values(":d", s(d.due_on.to_string())),
        },
    );
    // The employee's revision, which a departure read before this intake will find
    // changed.
    tx.update(Guard::Membership, bump_revision(t, e));
    if let Some(entry) = &first.idempotency {
        // An expired entry (TTL deletes lazily) may be overwritten.
        tx.put(
            Guard::Idempotency,
            Put::builder()
                .set_item(Some(idempotency_to_item(t, entry)))
                .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
                .expression_attribute_values(":now", n(first.record.created_at.timestamp())),
        );
    }
    if let Some(update) = collection {
        tx.update(Guard::Collection, update);
    }
    for change in documents {
        tx.update(Guard::Document, super::documents::document_change(change));
    }

    let error = match tx.commit().await {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    if let TransactionError::Failed(_) = error {
        return Err(CreateError::Unavailable(Unavailable(error.service_text())));
    }
    if error.failed(Guard::OldClaim) {
        return Err(CreateError::OldClaimMoved);
    }
    // A twin request that committed fails both the slot and the key: the key decides, so
    // the retry is answered with the first response; so does a twin submission's link.
    let decisive = if error.failed(Guard::Idempotency) {
        Some(Guard::Idempotency)
    } else if error.failed(Guard::Collection) {
        Some(Guard::Collection)
    } else {
        error.failed_guards().first().copied()
    };
    Err(match decisive {
        Some(Guard::Slot) => CreateError::SlotTaken,
        Some(Guard::Claim) => CreateError::DuplicateNumber,
        Some(Guard::ReplacedRecord) => CreateError::ReplacedChanged,
        Some(Guard::OldClaim) => CreateError::OldClaimMoved,
        Some(Guard::Departure) => CreateError::DepartureChanged,
        Some(Guard::Idempotency) => CreateError::IdempotencyKeyUsed,
        // An entry withdrawn meanwhile: the link is no longer as read.
        Some(Guard::Collection | Guard::Document) => CreateError::CollectionChanged,
        // A random record id or a disposal id that exists: a bug or a collision; nothing
        // was written either way.
        Some(Guard::NewRecord | Guard::Disposal | Guard::Membership | Guard::NumberEntry)
        | None => CreateError::Unavailable(Unavailable(format!(
            "transaction cancelled: {}",
            error.service_text()
        ))),
    })
}

/// One new record's items: the record, its membership entry, its slot change, and its
/// number's index entry and claim.
fn add_record(store: &DynamoStore, tx: &mut Transaction<'_, Guard>, new: &NewRecord) {
    let r = &new.record;
    let (t, e) = (&r.tenant_id, &r.employee_id);
    tx.put(
        Guard::NewRecord,
        Put::builder()
            .set_item(Some(record_to_item(r, store.ttl_grace)))
            .condition_expression(ABSENT),
    );
    // The slot naming the new record, on condition of what it named before.
    let slot = || {
        let slot = r
            .relation
            .slot()
            .expect("only slotted relations change slots");
        Put::builder().set_item(Some(slot_item(t, e, slot, &r.record_id)))
    };
    let held_by = |old: &RecordId| {
        slot()
            .condition_expression("record_id = :old")
            .expression_attribute_values(":old", s(old.as_str()))
    };
    match &new.slot {
        SlotChange::None => {}
        SlotChange::Reclaim { missing } => {
            tx.put(Guard::Slot, held_by(missing));
        }
        SlotChange::Claim => {
            tx.put(Guard::Slot, slot().condition_expression(ABSENT));
        }
        SlotChange::Replace {
            old,
            disposal,
            free_claim,
        } => {
            tx.put(Guard::Slot, held_by(&old.record_id))
                .delete(
                    Guard::ReplacedRecord,
                    Delete::builder()
                        .set_key(Some(record_key(t, &old.record_id)))
                        .condition_expression("version = :v")
                        .expression_attribute_values(":v", n(old.version)),
                )
                .delete(
                    Guard::Membership,
                    Delete::builder().set_key(Some(member_key(t, e, &old.record_id))),
                )
                .put(Guard::Disposal, new_disposal(store, disposal));
            if let Some(old_key) = &old.number_key {
                tx.delete(
                    Guard::NumberEntry,
                    Delete::builder().set_key(Some(number_entry_key(t, old_key, &old.record_id))),
                );
                // The old number's claim goes with it, unless the new record claims the
                // same number (one item may appear once in a transaction; the claim's put
                // below overwrites it).
                let same_number = r.number_key.as_ref() == Some(old_key);
                if old.relation == Relation::OwnNumber && !same_number && *free_claim {
                    tx.delete(
                        Guard::OldClaim,
                        Delete::builder()
                            .set_key(Some(number_claim_key(t, old_key)))
                            .condition_expression("attribute_not_exists(pk) OR record_id = :old")
                            .expression_attribute_values(":old", s(old.record_id.as_str())),
                    );
                }
            }
        }
    }
    tx.put(
        Guard::Membership,
        Put::builder()
            .set_item(Some(member_item(r)))
            .condition_expression(ABSENT),
    );
    if let Some(entry) = number_entry_item(r) {
        tx.put(
            Guard::NumberEntry,
            Put::builder()
                .set_item(Some(entry))
                .condition_expression(ABSENT),
        );
    }
    let claim = || Put::builder().set_item(number_claim_item(r));
    match &new.claim {
        NumberClaim::None => {}
        // Free, or this employee's own (a stale claim of a record TTL removed, or the
        // record this one replaces): one employee has one live `self` record.
        NumberClaim::Take => {
            tx.put(
                Guard::Claim,
                claim()
                    .condition_expression("attribute_not_exists(pk) OR employee_id = :e")
                    .expression_attribute_values(":e", s(e.as_str())),
            );
        }
        NumberClaim::TakeOver { gone } => {
            tx.put(
                Guard::Claim,
                claim()
                    .condition_expression("record_id = :gone")
                    .expression_attribute_values(":gone", s(gone.as_str())),
            );
        }
    }
}

pub(crate) async fn get_record(
    store: &DynamoStore,
    t: &TenantId,
    id: &RecordId,
) -> Result<Option<Record>, Unavailable> {
    get_consistent(store, record_key(t, id), |item| {
        record_from_item(item, ciphertext)
    })
    .await
}

pub(crate) async fn employee_departure(
    store: &DynamoStore,
    t: &TenantId,
    e: &EmployeeId,
) -> Result<Option<Departure>, Unavailable> {
    get_consistent(store, departure_key(t, e), departure_from_item).await
}

#[async_trait]
impl RecordWrites for DynamoStore {
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError> {
        create_records(self, std::slice::from_ref(&new), None, &[]).await
    }

    async fn employee_departure(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<mynumber_domain::retention::Departure>, Unavailable> {
        employee_departure(self, t, e).await
    }

    async fn slot_holder(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        slot: Slot,
    ) -> Result<Option<RecordId>, Unavailable> {
        get_consistent(self, slot_key(t, e, slot), slot_holder_from_item).await
    }

    async fn idempotency(
        &self,
        t: &TenantId,
        key: &KeyDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyEntry>, Unavailable> {
        super::idempotency::idempotency(self, t, key, now).await
    }
}

#[async_trait]
impl RecordReads for DynamoStore {
    async fn get_record(&self, t: &TenantId, id: &RecordId) -> Result<Option<Record>, Unavailable> {
        get_record(self, t, id).await
    }

    async fn list_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        page: &PageRequest,
    ) -> Result<Page<Record<()>>, ListError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_OWNER)
            .key_condition_expression("gsi1pk = :o")
            .expression_attribute_values(":o", s(owner_records_pk(t, e)))
            .limit(i32::from(page.limit));
        if let Some(cursor) = &page.cursor {
            // The cursor names a position only; the keys around it are rebuilt from the
            // caller's own tenant and employee.
            let (ms, rid) = parse_cursor(cursor).ok_or(ListError::BadCursor)?;
            query = query.set_exclusive_start_key(Some(records_listing_start(t, e, ms, &rid)));
        }
        page_of(
            query,
            |i| record_from_item(i, no_ciphertext),
            |r| timed(r.created_at, &r.record_id),
        )
        .await
    }
}

#[async_trait]
impl NumberIndex for DynamoStore {
    async fn number_holders(
        &self,
        t: &TenantId,
        k: &mynumber_domain::ids::NumberKey,
    ) -> Result<NumberHolders, Unavailable> {
        number_holders(self, t, k).await
    }
}

#[async_trait]
impl RecordReview for DynamoStore {
    /// A pending submission made active, conditional on its version and its status.
    async fn confirm_record(&self, r: &Record<()>, v: &Verification) -> Result<(), UpdateError> {
        update_alone(self, confirm_update(r, v, self.ttl_grace)).await
    }
}

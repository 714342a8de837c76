//! The store contract: every port's promises, checked once and run on both adapters, the
//! DynamoDB store against moto and the in-memory store that the fast use-case tests use.
//! A memory store that drifts from DynamoDB's conditions fails here, not in a use case's
//! test that trusted it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mynumber_domain::collection::{Collection, CollectionFilter, CollectionState, CollectionToken};
use mynumber_domain::disposal::{DisposalReason, DisposalRecord, Disposer};
use mynumber_domain::document::{Document, DocumentKind, DocumentType, MAX_DOCUMENTS};
use mynumber_domain::export::{Approval, Export, ExportId, Selection, Stage};
use mynumber_domain::ids::{CollectionId, DocumentId, KeyDigest, NumberKey};
use mynumber_domain::ports::*;
use mynumber_domain::record::{
    Ciphertext, Content, DependentLabel, Record, Relation, Slot, Source, Submitted,
};
use mynumber_domain::retention::Departure;
use mynumber_domain::verification::{IdentityCheck, NumberCheck, Verification};
use mynumber_domain::{EmployeeId, Purpose, PurposeSet, RecordId, Subject, TenantId};
use mynumber_tests::memory::MemoryStore;

/// Every port a store implements.
trait Store:
    RecordReads
    + RecordWrites
    + NumberIndex
    + Departures
    + RecordDisposal
    + DueIndex
    + DisposalLog
    + RevealTrail
    + MatchCounter
    + ClientRequests
    + AuditTrail
    + CollectionWrites
    + CollectionAccess
    + RecordReview
    + DocumentEntries
    + RecordDocuments
    + DueDocuments
    + Exports
{
}
impl<T> Store for T where
    T: RecordReads
        + RecordWrites
        + NumberIndex
        + Departures
        + RecordDisposal
        + DueIndex
        + DisposalLog
        + RevealTrail
        + MatchCounter
        + ClientRequests
        + AuditTrail
        + CollectionWrites
        + CollectionAccess
        + RecordReview
        + DocumentEntries
        + RecordDocuments
        + DueDocuments
        + Exports
{
}

/// Each contract, once on each store.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&mynumber_tests::memory::MemoryStore::default()).await;
                }
            )*
        }
        mod on_dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&mynumber_tests::table_store().await).await;
                }
            )*
        }
    };
}

contract!(
    a_slot_and_a_number_are_claimed_once,
    an_employee_s_records_are_listed_page_by_page,
    an_idempotency_key_holds_until_it_expires,
    a_departure_changes_every_record_on_condition_nothing_changed,
    a_disposal_deletes_once_and_is_logged,
    records_fall_due_the_day_after_their_last_day,
    quotas_and_counts_hold_their_limits,
    a_link_replaces_the_last_one_and_locks_after_five_invalid_attempts,
    documents_fill_an_open_link_and_follow_its_submission,
    exports_change_on_condition_of_their_version,
    a_pending_record_is_confirmed_once,
);

fn now() -> DateTime<Utc> {
    mynumber_tests::epoch()
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn employee(e: &str) -> EmployeeId {
    EmployeeId::parse(e).unwrap()
}

fn by() -> Subject {
    Subject::parse("hr-a").unwrap()
}

fn key(n: u8) -> NumberKey {
    NumberKey::from_mac(&[n; 32])
}

fn verification() -> Verification {
    Verification {
        number_check: NumberCheck::MyNumberCard,
        identity_check: IdentityCheck::MyNumberCard,
        verified_by: by(),
        verified_on: today(),
        confirmed_at: None,
    }
}

/// A live record of employee `e`, its number filed under `number`.
fn record(t: &TenantId, e: &str, relation: Relation, number: Option<u8>) -> Record {
    Record {
        record_id: RecordId::new_random(),
        tenant_id: t.clone(),
        employee_id: employee(e),
        relation,
        purposes: PurposeSet::new([Purpose::WithholdingTax]).unwrap(),
        source: Source::Registrar,
        content: Content::Active {
            verification: verification(),
            ciphertext: Ciphertext(vec![7; 20]),
        },
        created_at: now(),
        created_by: by(),
        departure: None,
        version: 1,
        number_key: number.map(key),
    }
}

fn own(e: &str, number: u8) -> Record {
    record(&tenant(), e, Relation::OwnNumber, Some(number))
}

fn child(e: &str, number: u8) -> Record {
    let label = DependentLabel::parse("長男").unwrap();
    record(&tenant(), e, Relation::Dependent(label), Some(number))
}

/// The write intake makes for a record no one held the slot or the number of.
fn new(record: Record) -> NewRecord {
    let slot = if record.relation.slot().is_some() {
        SlotChange::Claim
    } else {
        SlotChange::None
    };
    let claim = match record.relation {
        Relation::OwnNumber => NumberClaim::Take,
        _ => NumberClaim::None,
    };
    NewRecord {
        record,
        slot,
        claim,
        idempotency: None,
        employee_departure: None,
    }
}

fn departure(due_on: NaiveDate) -> Departure {
    Departure {
        left_on: due_on - Duration::days(7 * 365),
        last_declaration_year: None,
        due_on,
    }
}

fn disposal(r: &Record<()>) -> DisposalRecord {
    DisposalRecord::for_record(
        r,
        DisposalReason::NoLongerNeeded,
        Disposer::Principal(by()),
        now(),
        35,
    )
}

fn page(limit: u16, cursor: Option<Cursor>) -> PageRequest {
    PageRequest { limit, cursor }
}

async fn a_slot_and_a_number_are_claimed_once(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let first = own("E1", 1);
    store.create_record(new(first.clone())).await.unwrap();
    // The employee's own slot holds one record; the number one employee.
    let again = own("E1", 2);
    assert_eq!(
        store.create_record(new(again.clone())).await,
        Err(CreateError::SlotTaken)
    );
    let other = own("E2", 1);
    assert_eq!(
        store.create_record(new(other.clone())).await,
        Err(CreateError::DuplicateNumber)
    );
    // A dependant's record is filed under its number without claiming it.
    let dependant = child("E2", 1);
    store.create_record(new(dependant.clone())).await.unwrap();

    for refused in [&again, &other] {
        assert_eq!(
            store.get_record(&t, &refused.record_id).await.unwrap(),
            None
        );
    }
    let read = store
        .get_record(&t, &first.record_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.employee_id, first.employee_id);
    assert_eq!(read.number_key, Some(key(1)));
    let elsewhere = TenantId::parse("other").unwrap();
    assert_eq!(
        store
            .get_record(&elsewhere, &first.record_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .slot_holder(&t, &employee("E1"), Slot::OwnNumber)
            .await
            .unwrap(),
        Some(first.record_id.clone())
    );
    let holders = store.number_holders(&t, &key(1)).await.unwrap();
    assert_eq!(
        holders.own_number.map(|h| h.record_id),
        Some(first.record_id.clone())
    );
    let mut filed: Vec<_> = holders.records.into_iter().map(|h| h.record_id).collect();
    filed.sort();
    let mut expected = vec![first.record_id, dependant.record_id];
    expected.sort();
    assert_eq!(filed, expected);
    assert_eq!(
        store.number_holders(&elsewhere, &key(1)).await.unwrap(),
        NumberHolders::default()
    );
}

async fn an_employee_s_records_are_listed_page_by_page(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let mut written = Vec::new();
    for n in 1..=3 {
        let r = child("E1", n);
        written.push(r.record_id.clone());
        store.create_record(new(r)).await.unwrap();
    }
    store.create_record(new(child("E2", 9))).await.unwrap();
    let first = store
        .list_records(&t, &employee("E1"), &page(2, None))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.expect("a third record");
    let second = store
        .list_records(&t, &employee("E1"), &page(2, Some(cursor)))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    let mut listed: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|r| r.record_id.clone())
        .collect();
    listed.sort();
    written.sort();
    assert_eq!(listed, written);
}

async fn an_idempotency_key_holds_until_it_expires(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let digest = KeyDigest::from_mac(&[3; 32]);
    let entry = IdempotencyEntry {
        key: digest.clone(),
        fingerprint: vec![1, 2, 3],
        body: "{\"record_id\":\"x\"}".into(),
        expires_at: now() + Duration::hours(24),
    };
    let mut first = new(own("E1", 1));
    first.idempotency = Some(entry.clone());
    store.create_record(first).await.unwrap();
    let held = store
        .idempotency(&t, &digest, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (held.fingerprint, held.body),
        (entry.fingerprint.clone(), entry.body.clone())
    );
    // A second request under the key is refused, whatever it writes; nothing is written.
    let mut twin = new(own("E2", 2));
    twin.idempotency = Some(entry.clone());
    let twin_id = twin.record.record_id.clone();
    assert_eq!(
        store.create_record(twin).await,
        Err(CreateError::IdempotencyKeyUsed)
    );
    assert_eq!(store.get_record(&t, &twin_id).await.unwrap(), None);
    let later = now() + Duration::hours(25);
    assert_eq!(store.idempotency(&t, &digest, later).await.unwrap(), None);
    // An expired entry no longer holds the key.
    let mut after = new(own("E3", 3));
    after.record.created_at = later;
    after.idempotency = Some(IdempotencyEntry {
        expires_at: later + Duration::hours(24),
        ..entry
    });
    store.create_record(after).await.unwrap();
}

async fn a_departure_changes_every_record_on_condition_nothing_changed(
    store: &(impl Store + ?Sized),
) {
    let (t, e) = (tenant(), employee("E1"));
    let mine = own("E1", 1);
    let theirs = child("E1", 2);
    store.create_record(new(mine.clone())).await.unwrap();
    store.create_record(new(theirs.clone())).await.unwrap();
    let read = store
        .employee_records(&t, &e, EmployeeRead::Consistent)
        .await
        .unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.departure, None);
    let left = departure(today() + Duration::days(400));
    let changes: Vec<_> = read
        .records
        .iter()
        .map(|r| DepartureChange {
            record: r.clone(),
            departure: Some(left),
        })
        .collect();
    store
        .set_departures(&t, &e, Some(left), &changes, &read)
        .await
        .unwrap();
    assert_eq!(store.employee_departure(&t, &e).await.unwrap(), Some(left));
    for r in [&mine, &theirs] {
        let now_held = store.get_record(&t, &r.record_id).await.unwrap().unwrap();
        assert_eq!(now_held.departure, Some(left));
        assert!(now_held.version > r.version);
    }
    // The read is stale now: the same change again is refused.
    assert_eq!(
        store.set_departures(&t, &e, None, &changes, &read).await,
        Err(UpdateError::Concurrent)
    );
    // A record registered as if the employee had not left is refused too.
    assert_eq!(
        store.create_record(new(child("E1", 3))).await,
        Err(CreateError::DepartureChanged)
    );
    let mut knowing = new(child("E1", 3));
    knowing.employee_departure = Some(left);
    knowing.record.departure = Some(left);
    store.create_record(knowing).await.unwrap();
    // A record registered after the read makes the read stale.
    let reread = store
        .employee_records(&t, &e, EmployeeRead::Consistent)
        .await
        .unwrap();
    assert_eq!(reread.records.len(), 3);
    let mut late = new(child("E1", 4));
    late.employee_departure = Some(left);
    late.record.departure = Some(left);
    store.create_record(late).await.unwrap();
    let back: Vec<_> = reread
        .records
        .iter()
        .map(|r| DepartureChange {
            record: r.clone(),
            departure: None,
        })
        .collect();
    assert_eq!(
        store.set_departures(&t, &e, None, &back, &reread).await,
        Err(UpdateError::Concurrent)
    );
}

async fn a_disposal_deletes_once_and_is_logged(store: &(impl Store + ?Sized)) {
    let (t, e) = (tenant(), employee("E1"));
    let r = own("E1", 1);
    store.create_record(new(r.clone())).await.unwrap();
    let d = disposal(&r.metadata());
    assert_eq!(
        store.dispose(&r.metadata(), &d).await.unwrap(),
        Disposed::Now
    );
    assert_eq!(store.get_record(&t, &r.record_id).await.unwrap(), None);
    assert_eq!(
        store.slot_holder(&t, &e, Slot::OwnNumber).await.unwrap(),
        None
    );
    assert_eq!(
        store.number_holders(&t, &key(1)).await.unwrap(),
        NumberHolders::default()
    );
    assert_eq!(
        store.dispose(&r.metadata(), &d).await.unwrap(),
        Disposed::AlreadyGone
    );
    let log = store
        .list_disposals(&t, Some(&e), &page(10, None))
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].record_id, r.record_id);
    assert_eq!(log.items[0].reason, DisposalReason::NoLongerNeeded);
    let all = store
        .list_disposals(&t, None, &page(10, None))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
    // The slot and the number are free again.
    store.create_record(new(own("E1", 1))).await.unwrap();
}

async fn records_fall_due_the_day_after_their_last_day(store: &(impl Store + ?Sized)) {
    let last_day = today() + Duration::days(30);
    let mut due = Vec::new();
    for t in ["acme", "globex"] {
        let t = TenantId::parse(t).unwrap();
        let e = employee("E1");
        let r = record(&t, "E1", Relation::OwnNumber, Some(1));
        due.push(r.record_id.clone());
        store.create_record(new(r)).await.unwrap();
        let read = store
            .employee_records(&t, &e, EmployeeRead::Consistent)
            .await
            .unwrap();
        let changes: Vec<_> = read
            .records
            .iter()
            .map(|r| DepartureChange {
                record: r.clone(),
                departure: Some(departure(last_day)),
            })
            .collect();
        store
            .set_departures(&t, &e, Some(departure(last_day)), &changes, &read)
            .await
            .unwrap();
    }
    store.create_record(new(own("E2", 2))).await.unwrap();
    assert!(
        store
            .due_records(last_day, None, 100)
            .await
            .unwrap()
            .items
            .is_empty(),
        "not due on its last day"
    );
    assert_eq!(store.due_count(last_day).await.unwrap(), 0);
    let day_after = last_day + Duration::days(1);
    let mut found = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .due_records(day_after, cursor.as_ref(), 100)
            .await
            .unwrap();
        found.extend(page.items.into_iter().map(|r| r.record_id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    found.sort();
    due.sort();
    assert_eq!(found, due);
    assert_eq!(store.due_count(day_after).await.unwrap(), 2);
    let mut upcoming = store.upcoming(today(), last_day).await.unwrap();
    upcoming.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(
        upcoming,
        vec![
            (TenantId::parse("acme").unwrap(), 1),
            (TenantId::parse("globex").unwrap(), 1)
        ]
    );
    assert!(
        store
            .upcoming(today(), last_day - Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn quotas_and_counts_hold_their_limits(store: &(impl Store + ?Sized)) {
    let (t, sub) = (tenant(), by());
    let hour = now();
    let caller = mynumber_domain::audit::Caller {
        principal: Some(mynumber_domain::access::Principal {
            sub: sub.clone(),
            tenant: t.clone(),
            roles: [mynumber_domain::access::Role::Admin].into(),
        }),
        request_id: None,
        source_ip: None,
    };
    let event = mynumber_domain::audit::AuditEvent::new(
        mynumber_domain::audit::AuditKind::Reveal,
        Some(mynumber_domain::access::Action::RevealNumber),
        &caller,
        now(),
    );
    let expires = now() + Duration::days(400);
    let reveals: Vec<bool> = futures::future::join_all(
        (0..3).map(|_| store.record_reveal(&t, &sub, hour, 2, &event, expires)),
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    assert_eq!(reveals.iter().filter(|ok| **ok).count(), 2, "{reveals:?}");
    let next_hour = hour + Duration::hours(1);
    assert!(
        store
            .record_reveal(&t, &sub, next_hour, 2, &event, expires)
            .await
            .unwrap()
    );
    store.append_audit(&event, expires).await.unwrap();

    let scope = MatchScope::Intake;
    let reserve = |n| store.reserve_matches(&t, &sub, scope, hour, n, 3);
    assert!(reserve(2).await.unwrap());
    assert!(!reserve(2).await.unwrap(), "2 + 2 > 3");
    assert!(reserve(0).await.unwrap(), "2 < 3 still admits");
    assert!(reserve(1).await.unwrap());
    assert!(!reserve(0).await.unwrap(), "3 of 3");
    store
        .release_matches(&t, &sub, scope, hour, 2)
        .await
        .unwrap();
    assert!(reserve(2).await.unwrap());
    assert!(
        store
            .reserve_matches(&t, &sub, MatchScope::Links, hour, 3, 3)
            .await
            .unwrap(),
        "another scope counts apart"
    );

    let client = ClientAddress::of("192.0.2.7".parse().unwrap());
    let minute = now();
    for _ in 0..2 {
        assert!(
            store
                .count_client_request(&client, minute, 2)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .count_client_request(&client, minute, 2)
            .await
            .unwrap()
    );
    let other = ClientAddress::of("192.0.2.8".parse().unwrap());
    assert!(store.count_client_request(&other, minute, 2).await.unwrap());
    let next = minute + Duration::minutes(1);
    assert!(store.count_client_request(&client, next, 2).await.unwrap());
}

fn link(e: &str, created_at: DateTime<Utc>) -> Collection {
    Collection {
        collection_id: CollectionId::new_random(),
        tenant_id: tenant(),
        employee_id: employee(e),
        purposes: PurposeSet::new([Purpose::WithholdingTax]).unwrap(),
        include_family: true,
        state: CollectionState::Open,
        attempts: 0,
        expires_at: created_at + Duration::days(14),
        created_at,
        created_by: by(),
        token: CollectionToken::new_random().digest(),
        document_ids: Vec::new(),
        version: 1,
    }
}

async fn a_link_replaces_the_last_one_and_locks_after_five_invalid_attempts(
    store: &(impl Store + ?Sized),
) {
    let (t, e) = (tenant(), employee("E1"));
    let first = link("E1", now());
    store.open_collection(&first, None, None).await.unwrap();
    let second = link("E1", now() + Duration::minutes(1));
    assert_eq!(
        store.open_collection(&second, None, None).await,
        Err(UpdateError::Concurrent),
        "the pointer names the first link now"
    );
    assert_eq!(
        store.latest_collection(&t, &e).await.unwrap(),
        Some(first.collection_id.clone())
    );
    let opened = store.collection_by_token(&first.token).await.unwrap();
    assert_eq!(
        opened.map(|c| c.collection_id),
        Some(first.collection_id.clone())
    );
    let unknown = CollectionToken::new_random().digest();
    assert!(store.collection_by_token(&unknown).await.unwrap().is_none());

    store
        .open_collection(&second, Some(&first.collection_id), Some(&first))
        .await
        .unwrap();
    let replaced = store
        .get_collection(&t, &first.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.state, CollectionState::Cancelled);
    assert_eq!(
        store.cancel_collection(&first).await,
        Err(UpdateError::Concurrent),
        "cancelled already: the version read is stale"
    );

    for n in 1..=4 {
        store.count_invalid_attempt(&second).await.unwrap();
        let c = store
            .get_collection(&t, &second.collection_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((c.attempts, c.state), (n, CollectionState::Open));
    }
    store.count_invalid_attempt(&second).await.unwrap();
    let locked = store
        .get_collection(&t, &second.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(locked.state, CollectionState::Locked);
    assert!(locked.version > second.version);
    assert_eq!(
        store.count_invalid_attempt(&second).await,
        Err(UpdateError::Concurrent)
    );

    let all = CollectionFilter::default();
    let first_page = store
        .list_collections(&t, &all, now(), &page(1, None))
        .await
        .unwrap();
    assert_eq!(first_page.items.len(), 1);
    assert_eq!(
        first_page.items[0].collection_id, second.collection_id,
        "newest first"
    );
    let rest = store
        .list_collections(&t, &all, now(), &page(1, first_page.next_cursor))
        .await
        .unwrap();
    assert_eq!(
        rest.items
            .iter()
            .map(|c| &c.collection_id)
            .collect::<Vec<_>>(),
        vec![&first.collection_id]
    );
}

fn document(c: &Collection, kind: DocumentKind) -> Document {
    Document {
        document_id: DocumentId::new_random(),
        tenant_id: c.tenant_id.clone(),
        collection_id: c.collection_id.clone(),
        kind,
        content_type: DocumentType::Jpeg,
        bytes: 1_000,
        created_at: now(),
        record_id: None,
        due_on: c.expires_at.date_naive(),
    }
}

async fn documents_fill_an_open_link_and_follow_its_submission(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let c = link("E1", now());
    store.open_collection(&c, None, None).await.unwrap();
    let mut docs = Vec::new();
    for _ in 0..MAX_DOCUMENTS {
        let d = document(&c, DocumentKind::PhotoId);
        store.add_document(&c, &d, now()).await.unwrap();
        docs.push(d);
    }
    let extra = document(&c, DocumentKind::Other);
    assert_eq!(
        store.add_document(&c, &extra, now()).await,
        Err(AddDocumentError::Limit)
    );
    let withdrawn = docs.pop().unwrap();
    store
        .withdraw_document(&withdrawn.reference())
        .await
        .unwrap();
    assert!(
        DocumentEntries::get_document(store, &withdrawn.reference())
            .await
            .unwrap()
            .is_none()
    );
    store.add_document(&c, &extra, now()).await.unwrap();
    docs.push(extra);
    assert_eq!(
        store
            .get_collection(&t, &c.collection_id)
            .await
            .unwrap()
            .unwrap()
            .document_ids
            .len(),
        MAX_DOCUMENTS
    );

    // The submission: one pending record, the first photo attached to it, the rest released.
    let mut pending = child("E1", 1);
    pending.source = Source::SelfService;
    pending.content = Content::Pending {
        submitted: Submitted {
            collection_id: c.collection_id.clone(),
            number_document: Some(NumberCheck::MyNumberCard),
            identity_document: Some(IdentityCheck::MyNumberCard),
        },
        ciphertext: Ciphertext(vec![7; 20]),
    };
    let review_due = today() + Duration::days(30);
    let released_on = today();
    let changes: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| match i {
            0 => DocumentChange::Attach {
                document: d.reference(),
                record_id: pending.record_id.clone(),
                due_on: review_due,
            },
            _ => DocumentChange::Release {
                document: d.reference(),
                due_on: released_on,
            },
        })
        .collect();
    store
        .submit(&c, vec![new(pending.clone())], changes.clone())
        .await
        .unwrap();
    let submitted = store
        .get_collection(&t, &c.collection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(submitted.state, CollectionState::Submitted);
    assert!(
        store
            .get_record(&t, &pending.record_id)
            .await
            .unwrap()
            .is_some()
    );
    let attached = store
        .record_documents(&t, &c.collection_id, &pending.record_id)
        .await
        .unwrap();
    assert_eq!(
        attached.iter().map(|d| &d.document_id).collect::<Vec<_>>(),
        vec![&docs[0].document_id]
    );
    assert_eq!(attached[0].due_on, review_due);

    // Once is all: the link read before is no longer as it was.
    let mut twice = child("E1", 2);
    twice.source = Source::SelfService;
    assert_eq!(
        store.submit(&c, vec![new(twice.clone())], Vec::new()).await,
        Err(CreateError::CollectionChanged)
    );
    assert_eq!(store.get_record(&t, &twice.record_id).await.unwrap(), None);
    assert_eq!(
        store
            .add_document(&c, &document(&c, DocumentKind::Other), now())
            .await,
        Err(AddDocumentError::Closed)
    );

    // The purge finds the released photos due, and the attached one when its day comes.
    let mut due: Vec<_> = store
        .due_documents(released_on, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.document_id)
        .collect();
    due.sort();
    let mut released: Vec<_> = docs[1..].iter().map(|d| d.document_id.clone()).collect();
    released.sort();
    assert_eq!(due, released);
    for d in &docs[1..] {
        DueDocuments::forget_document(store, &d.reference())
            .await
            .unwrap();
    }
    assert!(
        store
            .due_documents(released_on, 100)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .document_due(&docs[0].reference(), released_on)
        .await
        .unwrap();
    assert_eq!(
        store.due_documents(released_on, 100).await.unwrap().len(),
        1
    );
}

fn export(at: DateTime<Utc>) -> Export {
    Export {
        tenant_id: tenant(),
        export_id: ExportId::new_at(at),
        purpose: Purpose::WithholdingTax,
        selection: Selection::All,
        record_count: 2,
        requested_by: by(),
        requested_at: at,
        stage: Stage::PendingApproval,
        version: 1,
    }
}

async fn exports_change_on_condition_of_their_version(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let e = export(now());
    store.put_export(&e).await.unwrap();
    assert_eq!(
        store.get_export(&t, &e.export_id).await.unwrap(),
        Some(e.clone())
    );
    let approval = Approval {
        by: Subject::parse("hr-b").unwrap(),
        at: now() + Duration::minutes(5),
    };
    let approved = e.with_stage(Stage::Approved(approval));
    store.update_export(&approved).await.unwrap();
    assert_eq!(
        store.update_export(&approved).await,
        Err(UpdateError::Concurrent),
        "the second approval read the first version"
    );
    assert_eq!(
        store.get_export(&t, &e.export_id).await.unwrap(),
        Some(approved)
    );
    let later = export(now() + Duration::hours(1));
    store.put_export(&later).await.unwrap();
    let first = store.list_exports(&t, &page(1, None)).await.unwrap();
    assert_eq!(first.items[0].export_id, later.export_id, "newest first");
    let rest = store
        .list_exports(&t, &page(1, first.next_cursor))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].export_id, e.export_id);

    let a = own("E1", 1);
    let b = child("E2", 2);
    store.create_record(new(a.clone())).await.unwrap();
    store.create_record(new(b.clone())).await.unwrap();
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.tenant_records(&t, cursor.as_ref()).await.unwrap();
        all.extend(page.items.into_iter().map(|r| r.record_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    all.sort();
    let mut expected = vec![a.record_id.clone(), b.record_id.clone()];
    expected.sort();
    assert_eq!(all, expected);
    let with_numbers = store
        .records_with_numbers(&t, std::slice::from_ref(&a.record_id))
        .await
        .unwrap();
    assert_eq!(with_numbers.len(), 1);
    assert!(matches!(
        &with_numbers[0].content,
        Content::Active { ciphertext, .. } if ciphertext.0 == vec![7; 20]
    ));
}

async fn a_pending_record_is_confirmed_once(store: &(impl Store + ?Sized)) {
    let t = tenant();
    let c = link("E1", now());
    store.open_collection(&c, None, None).await.unwrap();
    let mut pending = own("E1", 1);
    pending.source = Source::SelfService;
    pending.content = Content::Pending {
        submitted: Submitted {
            collection_id: c.collection_id.clone(),
            number_document: Some(NumberCheck::MyNumberCard),
            identity_document: Some(IdentityCheck::MyNumberCard),
        },
        ciphertext: Ciphertext(vec![7; 20]),
    };
    store
        .submit(&c, vec![new(pending.clone())], Vec::new())
        .await
        .unwrap();
    let read = store
        .get_record(&t, &pending.record_id)
        .await
        .unwrap()
        .unwrap();
    store
        .confirm_record(&read.metadata(), &verification())
        .await
        .unwrap();
    let confirmed = store
        .get_record(&t, &pending.record_id)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(confirmed.content, Content::Active { .. }));
    assert!(confirmed.version > read.version);
    assert_eq!(
        store
            .confirm_record(&read.metadata(), &verification())
            .await,
        Err(UpdateError::Concurrent)
    );
}

#[test]
fn both_stores_are_under_contract() {
    // The memory store implements every port the DynamoDB store does (a compile-time
    // fact: `Store` is implemented by both).
    fn assert_store<S: Store>() {}
    assert_store::<MemoryStore>();
    assert_store::<mynumber_aws::DynamoStore>();
}

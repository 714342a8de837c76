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

mod exports;
mod limits;
mod links;
mod records;
mod retention;

use exports::*;
use limits::*;
use links::*;
use records::*;
use retention::*;

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
    + MailOutbox
    + LinkReminders
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
        + MailOutbox
        + LinkReminders
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
    a_replaced_record_s_moved_claim_is_left_where_it_is,
    a_replace_of_a_slot_that_moved_finds_it_taken,
    a_departure_changes_every_record_on_condition_nothing_changed,
    a_disposal_deletes_once_and_is_logged,
    records_fall_due_the_day_after_their_last_day,
    quotas_and_counts_hold_their_limits,
    a_link_replaces_the_last_one_and_locks_after_five_invalid_attempts,
    documents_fill_an_open_link_and_follow_its_submission,
    a_submission_s_mail_waits_in_the_outbox_with_its_address_until_settled,
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
        email: None,
        mailed_at: None,
        reminder_tokens: Vec::new(),
        outbox: None,
        version: 1,
    }
}

#[test]
fn both_stores_are_under_contract() {
    // The memory store implements every port the DynamoDB store does (a compile-time
    // fact: `Store` is implemented by both).
    fn assert_store<S: Store>() {}
    assert_store::<MemoryStore>();
    assert_store::<mynumber_aws::DynamoStore>();
}

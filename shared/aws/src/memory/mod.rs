//! The in-memory adapter: every port the DynamoDB store implements, with the same
//! conditions, for fast use-case tests (feature `memory`). Never the only test of a
//! store: the contract suite (`tests/tests/suite/store_contract/`) runs the same
//! checks on this store and on the DynamoDB store against moto.

mod cipher;
mod collections;
mod documents;
mod exports;
mod notifications;
mod records;
mod retention;
mod trail;

pub use cipher::LocalCipher;
pub use documents::MemoryObjects;
pub use notifications::MemoryMailer;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::collection::{Collection, CollectionId, CollectionState};
use mynumber_domain::ids::{EmployeeId, RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::{Record, Slot};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Default, Clone)]
struct State {
    records: BTreeMap<(String, String), Record>,
    slots: HashMap<(String, String, Slot), RecordId>,
    /// The duplicate index's claims: (tenant, number key) → the claiming `self` record.
    claims: HashMap<(String, String), (EmployeeId, RecordId)>,
    idempotency: HashMap<(String, String), IdempotencyEntry>,
    audit: Vec<AuditEvent>,
    quota: HashMap<(String, String, i64), u32>,
    matches: HashMap<(String, String, i64), u32>,
    client_requests: HashMap<(String, i64), u32>,
    departures: HashMap<(String, String), mynumber_domain::retention::Departure>,
    /// Per employee: how many records intake has created (the revision).
    revisions: HashMap<(String, String), u64>,
    disposals: Vec<mynumber_domain::disposal::DisposalRecord>,
    last_purge_run: Option<mynumber_domain::ports::PurgeRunRecord>,
    collections: BTreeMap<(String, String), Collection>,
    latest_collection: HashMap<(String, String), CollectionId>,
    exports: BTreeMap<(String, String), mynumber_domain::export::Export>,
    /// Document entries by (tenant, collection, document).
    documents: BTreeMap<(String, String, String), mynumber_domain::document::Document>,
    notifications: Vec<mynumber_domain::notification::NotificationEntry>,
    notification_settings: HashMap<String, mynumber_domain::notification::NotificationSettings>,
    /// Each tenant's last review notice.
    review_notices: HashMap<String, chrono::DateTime<chrono::Utc>>,
    /// Each tenant's last digest day.
    digest_days: HashMap<String, chrono::NaiveDate>,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Makes every call fail as if the table were throttled.
    pub fail_all: AtomicBool,
    /// Makes only the durable trail's writes (`record_reveal`, `append_audit`) fail.
    pub fail_audit: AtomicBool,
    /// Makes departure updates lose a race (someone changed a record meanwhile).
    pub lose_update_race: AtomicBool,
    /// Makes disposals lose a race (the record changed meanwhile, but still exists).
    pub lose_dispose_race: AtomicBool,
}

impl State {
    /// Frees a record's claim on its number, if it still holds it.
    fn free_claim<S>(&mut self, r: &Record<S>) {
        if let Some(k) = &r.number_key {
            let ck = key(&r.tenant_id, k.as_str());
            if self.claims.get(&ck).map(|(_, id)| id) == Some(&r.record_id) {
                self.claims.remove(&ck);
            }
        }
    }
}

impl MemoryStore {
    fn check(&self) -> Result<(), Unavailable> {
        if self.fail_all.load(Ordering::SeqCst) {
            Err(Unavailable("simulated throttling".into()))
        } else {
            Ok(())
        }
    }

    pub fn audit_trail(&self) -> Vec<AuditEvent> {
        self.state.lock().unwrap().audit.clone()
    }

    pub fn record_count(&self) -> usize {
        self.state.lock().unwrap().records.len()
    }

    pub fn disposals(&self) -> Vec<mynumber_domain::disposal::DisposalRecord> {
        self.state.lock().unwrap().disposals.clone()
    }
}

impl MemoryStore {
    /// Puts records in as stored, without claims or slots: for selections larger than a
    /// test could register (see `crate::bulk::record`).
    pub fn insert_records(&self, records: impl IntoIterator<Item = Record>) {
        let mut s = self.state.lock().unwrap();
        for r in records {
            s.records.insert(key(&r.tenant_id, r.record_id.as_str()), r);
        }
    }

    /// Takes a record out, whatever tenant holds it.
    pub fn remove_record(&self, id: &RecordId) {
        self.state
            .lock()
            .unwrap()
            .records
            .retain(|_, r| r.record_id != *id);
    }
}

fn key(t: &TenantId, s: &str) -> (String, String) {
    (t.as_str().to_owned(), s.to_owned())
}

/// Collects audit events in memory.
#[derive(Default)]
pub struct MemoryAudit(pub Mutex<Vec<AuditEvent>>);

impl mynumber_domain::audit::AuditSink for MemoryAudit {
    fn emit(&self, event: &AuditEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

/// A clock tests can set.
pub struct FixedClock(pub Mutex<DateTime<Utc>>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(t))
    }

    pub fn now_plus(&self, d: chrono::Duration) -> DateTime<Utc> {
        *self.0.lock().unwrap() + d
    }

    pub fn advance(&self, d: chrono::Duration) {
        *self.0.lock().unwrap() += d;
    }
}

/// One page of `items` (already in listing order) after the item `page.cursor` names:
/// the store's cursors are opaque, so the memory store's are simply the last item's id.
fn page_after<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    page: &PageRequest,
) -> Result<Page<T>, ListError> {
    let start = match &page.cursor {
        None => 0,
        Some(c) => {
            1 + items
                .iter()
                .position(|i| id(i) == c.as_str())
                .ok_or(ListError::BadCursor)?
        }
    };
    let rest = items.len().saturating_sub(start);
    let items: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(usize::from(page.limit))
        .collect();
    let next_cursor = (rest > items.len())
        .then(|| items.last().and_then(|i| Cursor::parse(id(i))))
        .flatten();
    Ok(Page { items, next_cursor })
}

//! In-process adapters for fast handler tests (`handlers_memory`, the OpenAPI contract
//! test). Never the only test of a store or a cipher: `mynumber-aws` is tested against
//! moto by the whole suite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::collection::{Collection, CollectionFilter, CollectionId, CollectionState};
use mynumber_domain::ids::{EmployeeId, IdempotencyKey, KeyDigest, RecordId, TenantId};
use mynumber_domain::number::MyNumber;
use mynumber_domain::ports::*;
use mynumber_domain::record::{Ciphertext, Record, Slot};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Default)]
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
    collections: BTreeMap<(String, String), Collection>,
    latest_collection: HashMap<(String, String), CollectionId>,
    exports: BTreeMap<(String, String), mynumber_domain::export::Export>,
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

#[async_trait]
impl NumberIndex for MemoryStore {
    async fn number_holders(
        &self,
        t: &TenantId,
        k: &mynumber_domain::ids::NumberKey,
    ) -> Result<NumberHolders, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let holder = |r: &Record| NumberHolder {
            record_id: r.record_id.clone(),
            employee_id: r.employee_id.clone(),
            relation: r.relation.kind(),
        };
        let own_number = s.claims.get(&key(t, k.as_str())).map(|(e, id)| {
            s.records
                .get(&key(t, id.as_str()))
                .map(holder)
                .unwrap_or(NumberHolder {
                    record_id: id.clone(),
                    employee_id: e.clone(),
                    relation: mynumber_domain::record::RelationKind::OwnNumber,
                })
        });
        let records = s
            .records
            .values()
            .filter(|r| &r.tenant_id == t && r.number_key.as_ref() == Some(k))
            .map(holder)
            .collect();
        Ok(NumberHolders {
            own_number,
            records,
        })
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

#[async_trait]
impl RecordWrites for MemoryStore {
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let r = &new.record;
        let t = &r.tenant_id;
        if let Some(e) = &new.idempotency
            && s.idempotency.contains_key(&key(t, e.key.as_str()))
        {
            return Err(CreateError::IdempotencyKeyUsed);
        }
        let slot_key = r.relation.slot().map(|slot| {
            (
                t.as_str().to_owned(),
                r.employee_id.as_str().to_owned(),
                slot,
            )
        });
        match (&new.slot, &slot_key) {
            (SlotChange::Claim, Some(k)) if s.slots.contains_key(k) => {
                return Err(CreateError::SlotTaken);
            }
            (SlotChange::Reclaim { missing }, Some(k)) if s.slots.get(k) != Some(missing) => {
                return Err(CreateError::SlotTaken);
            }
            (SlotChange::Replace { old, .. }, Some(k))
                if s.slots.get(k) != Some(&old.record_id)
                    || s.records
                        .get(&key(t, old.record_id.as_str()))
                        .map(|o| o.version)
                        != Some(old.version) =>
            {
                return Err(CreateError::ReplacedChanged);
            }
            _ => {}
        }
        if s.departures.get(&key(t, r.employee_id.as_str())) != new.employee_departure.as_ref() {
            return Err(CreateError::DepartureChanged);
        }
        let claim_key = r.number_key.as_ref().map(|k| key(t, k.as_str()));
        if let Some(ck) = &claim_key {
            let held = s.claims.get(ck);
            let refused = match &new.claim {
                NumberClaim::None => false,
                NumberClaim::Take => held.is_some_and(|(e, _)| e != &r.employee_id),
                NumberClaim::TakeOver { gone } => held.map(|(_, id)| id) != Some(gone),
            };
            if refused {
                return Err(CreateError::DuplicateNumber);
            }
        }
        if let SlotChange::Replace { old, disposal } = &new.slot {
            s.records.remove(&key(t, old.record_id.as_str()));
            s.free_claim(old);
            s.disposals.push((**disposal).clone());
        }
        if let (Some(ck), false) = (claim_key, new.claim == NumberClaim::None) {
            s.claims
                .insert(ck, (r.employee_id.clone(), r.record_id.clone()));
        }
        if let Some(k) = slot_key {
            s.slots.insert(k, r.record_id.clone());
        }
        if let Some(e) = new.idempotency.clone() {
            s.idempotency.insert(key(t, e.key.as_str()), e);
        }
        *s.revisions
            .entry(key(t, r.employee_id.as_str()))
            .or_default() += 1;
        s.records.insert(key(t, r.record_id.as_str()), new.record);
        Ok(())
    }

    async fn employee_departure(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<mynumber_domain::retention::Departure>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .departures
            .get(&key(t, e.as_str()))
            .copied())
    }

    async fn slot_holder(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        slot: Slot,
    ) -> Result<Option<RecordId>, Unavailable> {
        self.check()?;
        let k = (t.as_str().to_owned(), e.as_str().to_owned(), slot);
        Ok(self.state.lock().unwrap().slots.get(&k).cloned())
    }

    async fn idempotency(
        &self,
        t: &TenantId,
        k: &KeyDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyEntry>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        Ok(s.idempotency
            .get(&key(t, k.as_str()))
            .filter(|e| e.expires_at > now)
            .cloned())
    }
}

#[async_trait]
impl RecordReads for MemoryStore {
    async fn get_record(&self, t: &TenantId, id: &RecordId) -> Result<Option<Record>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .records
            .get(&key(t, id.as_str()))
            .cloned())
    }

    async fn list_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        page: &PageRequest,
    ) -> Result<Page<Record<()>>, ListError> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut all: Vec<&Record> = s
            .records
            .values()
            .filter(|r| &r.tenant_id == t && &r.employee_id == e)
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.record_id).cmp(&(b.created_at, &b.record_id)));
        let start = match &page.cursor {
            None => 0,
            Some(c) => {
                let pos = all
                    .iter()
                    .position(|r| r.record_id.as_str() == c.as_str())
                    .ok_or(ListError::BadCursor)?;
                pos + 1
            }
        };
        let items: Vec<Record<()>> = all
            .iter()
            .skip(start)
            .take(page.limit as usize)
            .map(|r| r.metadata())
            .collect();
        let next_cursor = (start + items.len() < all.len())
            .then(|| {
                items
                    .last()
                    .and_then(|r| Cursor::parse(r.record_id.as_str()))
            })
            .flatten();
        Ok(Page { items, next_cursor })
    }
}

#[async_trait]
impl RevealTrail for MemoryStore {
    async fn record_reveal(
        &self,
        t: &TenantId,
        sub: &mynumber_domain::ids::Subject,
        hour: DateTime<Utc>,
        limit: u32,
        trail: &AuditEvent,
        _: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        // Both or neither, as the table's transaction.
        if self.fail_audit.load(Ordering::SeqCst) {
            return Err(Unavailable("simulated audit write failure".into()));
        }
        let mut s = self.state.lock().unwrap();
        let used = s
            .quota
            .entry((
                t.as_str().to_owned(),
                sub.as_str().to_owned(),
                hour.timestamp(),
            ))
            .or_default();
        if *used >= limit {
            return Ok(false);
        }
        *used += 1;
        s.audit.push(trail.clone());
        Ok(true)
    }
}

/// A principal's count of one scope of matched numbers for an hour.
fn match_key(
    t: &TenantId,
    sub: &mynumber_domain::ids::Subject,
    scope: mynumber_domain::ports::MatchScope,
    hour: DateTime<Utc>,
) -> (String, String, i64) {
    (
        t.as_str().to_owned(),
        format!("{}#{scope}", sub.as_str()),
        hour.timestamp(),
    )
}

#[async_trait]
impl mynumber_domain::ports::MatchCounter for MemoryStore {
    async fn reserve_matches(
        &self,
        t: &TenantId,
        sub: &mynumber_domain::ids::Subject,
        scope: mynumber_domain::ports::MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let used = s.matches.entry(match_key(t, sub, scope, hour)).or_default();
        let room = if n == 0 {
            *used < limit
        } else {
            limit.checked_sub(n).is_some_and(|most| *used <= most)
        };
        if room {
            *used += n;
        }
        Ok(room)
    }

    async fn release_matches(
        &self,
        t: &TenantId,
        sub: &mynumber_domain::ids::Subject,
        scope: mynumber_domain::ports::MatchScope,
        hour: DateTime<Utc>,
        n: u32,
    ) -> Result<(), Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let used = s.matches.entry(match_key(t, sub, scope, hour)).or_default();
        *used = used.saturating_sub(n);
        Ok(())
    }
}

#[async_trait]
impl mynumber_domain::ports::ClientRequests for MemoryStore {
    async fn count_client_request(
        &self,
        client: &mynumber_domain::ports::ClientAddress,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let used = s
            .client_requests
            .entry((client.as_str().to_owned(), minute.timestamp()))
            .or_default();
        if *used >= limit {
            return Ok(false);
        }
        *used += 1;
        Ok(true)
    }
}

#[async_trait]
impl mynumber_domain::ports::AuditTrail for MemoryStore {
    async fn append_audit(&self, event: &AuditEvent, _: DateTime<Utc>) -> Result<(), Unavailable> {
        self.check()?;
        if self.fail_audit.load(Ordering::SeqCst) {
            return Err(Unavailable("simulated audit write failure".into()));
        }
        self.state.lock().unwrap().audit.push(event.clone());
        Ok(())
    }
}

#[async_trait]
impl mynumber_domain::ports::ExportTrail for MemoryStore {
    async fn record_reveals(
        &self,
        trail: &[AuditEvent],
        _: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        self.check()?;
        if self.fail_audit.load(Ordering::SeqCst) {
            return Err(Unavailable("simulated audit write failure".into()));
        }
        self.state
            .lock()
            .unwrap()
            .audit
            .extend(trail.iter().cloned());
        Ok(())
    }
}

#[async_trait]
impl mynumber_domain::ports::Exports for MemoryStore {
    async fn put_export(&self, e: &mynumber_domain::export::Export) -> Result<(), Unavailable> {
        self.check()?;
        let k = key(&e.tenant_id, e.export_id.as_str());
        let mut s = self.state.lock().unwrap();
        if s.exports.contains_key(&k) {
            return Err(Unavailable("the export exists".into()));
        }
        s.exports.insert(k, e.clone());
        Ok(())
    }

    async fn get_export(
        &self,
        t: &TenantId,
        id: &mynumber_domain::export::ExportId,
    ) -> Result<Option<mynumber_domain::export::Export>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .exports
            .get(&key(t, id.as_str()))
            .cloned())
    }

    async fn update_export(&self, e: &mynumber_domain::export::Export) -> Result<(), UpdateError> {
        self.check()?;
        let k = key(&e.tenant_id, e.export_id.as_str());
        let mut s = self.state.lock().unwrap();
        match s.exports.get(&k) {
            Some(old) if old.version + 1 == e.version => {
                s.exports.insert(k, e.clone());
                Ok(())
            }
            _ => Err(UpdateError::Concurrent),
        }
    }

    async fn list_exports(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::export::Export>, ListError> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut all: Vec<_> = s
            .exports
            .values()
            .filter(|e| &e.tenant_id == t)
            .cloned()
            .collect();
        all.sort_by_key(|e| std::cmp::Reverse(e.requested_at));
        all.truncate(page.limit as usize);
        Ok(Page {
            items: all,
            next_cursor: None,
        })
    }

    async fn tenant_records(
        &self,
        t: &TenantId,
        _: Option<&Cursor>,
    ) -> Result<Page<Record<()>>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let items = s
            .records
            .values()
            .filter(|r| &r.tenant_id == t)
            .map(|r| r.metadata())
            .collect();
        Ok(Page {
            items,
            next_cursor: None,
        })
    }

    async fn records_with_numbers(
        &self,
        t: &TenantId,
        ids: &[RecordId],
    ) -> Result<Vec<Record>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| s.records.get(&key(t, id.as_str())).cloned())
            .collect())
    }
}

/// A toy cipher bound to (tenant, record) like the KMS one: a context tag followed by the
/// digits XORed with a context-derived keystream. Only for tests.
pub struct LocalCipher {
    secret: [u8; 32],
}

impl Default for LocalCipher {
    fn default() -> Self {
        LocalCipher {
            secret: Sha256::digest(uuid::Uuid::new_v4().as_bytes()).into(),
        }
    }
}

impl LocalCipher {
    fn stream(&self, t: &TenantId, r: &RecordId) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(t.as_str());
        h.update([0]);
        h.update(r.as_str());
        h.finalize().into()
    }
}

#[async_trait]
impl NumberEncryptor for LocalCipher {
    async fn encrypt(
        &self,
        t: &TenantId,
        r: &RecordId,
        n: &MyNumber,
    ) -> Result<Ciphertext, CipherError> {
        let ks = self.stream(t, r);
        let mut out = ks[..8].to_vec();
        out.extend(n.expose_digits().bytes().zip(&ks[8..]).map(|(b, k)| b ^ k));
        Ok(Ciphertext(out))
    }
}

#[async_trait]
impl NumberDecryptor for LocalCipher {
    async fn decrypt(
        &self,
        t: &TenantId,
        r: &RecordId,
        c: &Ciphertext,
    ) -> Result<MyNumber, CipherError> {
        let ks = self.stream(t, r);
        if c.0.len() != 20 || c.0[..8] != ks[..8] {
            return Err(CipherError::Rejected);
        }
        let plain: Vec<u8> = c.0[8..].iter().zip(&ks[8..]).map(|(b, k)| b ^ k).collect();
        MyNumber::from_decrypted(plain).map_err(|_| CipherError::Rejected)
    }
}

#[async_trait]
impl NumberMac for LocalCipher {
    async fn fingerprint(&self, t: &TenantId, n: &MyNumber) -> Result<Vec<u8>, CipherError> {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(t.as_str());
        h.update(n.expose_digits());
        Ok(h.finalize().to_vec())
    }

    async fn key_digest(&self, t: &TenantId, k: &IdempotencyKey) -> Result<KeyDigest, CipherError> {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(b"idempotency-key\n");
        h.update(t.as_str());
        h.update(b"\n");
        h.update(k.as_str());
        Ok(KeyDigest::from_mac(&h.finalize()))
    }
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
    pub fn now_plus(&self, d: chrono::Duration) -> DateTime<Utc> {
        *self.0.lock().unwrap() + d
    }
}

#[async_trait]
impl Departures for MemoryStore {
    async fn employee_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        _: mynumber_domain::ports::EmployeeRead,
    ) -> Result<mynumber_domain::ports::EmployeeRecords, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        Ok(mynumber_domain::ports::EmployeeRecords {
            records: s
                .records
                .values()
                .filter(|r| &r.tenant_id == t && &r.employee_id == e)
                .map(Record::metadata)
                .collect(),
            revision: s.revisions.get(&key(t, e.as_str())).copied().unwrap_or(0),
            departure: s.departures.get(&key(t, e.as_str())).copied(),
        })
    }

    async fn set_departures(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        departure: Option<mynumber_domain::retention::Departure>,
        changes: &[DepartureChange],
        read: &mynumber_domain::ports::EmployeeRecords,
    ) -> Result<(), UpdateError> {
        let revision = read.revision;
        self.check()?;
        if self.lose_update_race.load(Ordering::SeqCst) {
            return Err(UpdateError::Concurrent);
        }
        let mut s = self.state.lock().unwrap();
        if s.revisions.get(&key(t, e.as_str())).copied().unwrap_or(0) != revision {
            return Err(UpdateError::Concurrent);
        }
        let current = |s: &State, r: &Record<()>| {
            s.records
                .get(&key(&r.tenant_id, r.record_id.as_str()))
                .map(|x| x.version)
        };
        if read
            .records
            .iter()
            .any(|r| current(&s, r) != Some(r.version))
        {
            return Err(UpdateError::Concurrent);
        }
        match departure {
            Some(d) => s.departures.insert(key(t, e.as_str()), d),
            None => s.departures.remove(&key(t, e.as_str())),
        };
        for c in changes {
            let r = s
                .records
                .get_mut(&key(&c.record.tenant_id, c.record.record_id.as_str()))
                .expect("checked above");
            r.departure = c.departure;
            r.version += 1;
        }
        Ok(())
    }
}

#[async_trait]
impl TtlDisposals for MemoryStore {
    async fn record_ttl_disposal(
        &self,
        record: &Record<()>,
        disposal: &mynumber_domain::disposal::DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        if s.disposals.iter().any(|d| d == disposal) {
            return Ok(Disposed::AlreadyGone);
        }
        s.records
            .remove(&key(&record.tenant_id, record.record_id.as_str()));
        if let Some(slot) = record.relation.slot() {
            let sk = (
                record.tenant_id.as_str().to_owned(),
                record.employee_id.as_str().to_owned(),
                slot,
            );
            if s.slots.get(&sk) == Some(&record.record_id) {
                s.slots.remove(&sk);
            }
        }
        s.free_claim(record);
        s.disposals.push(disposal.clone());
        Ok(Disposed::Now)
    }
}

#[async_trait]
impl RecordDisposal for MemoryStore {
    async fn dispose(
        &self,
        record: &Record<()>,
        disposal: &mynumber_domain::disposal::DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let k = key(&record.tenant_id, record.record_id.as_str());
        if self.lose_dispose_race.load(Ordering::SeqCst)
            || s.records.get(&k).map(|r| r.version) != Some(record.version)
        {
            return Ok(Disposed::AlreadyGone);
        }
        s.records.remove(&k);
        if let Some(slot) = record.relation.slot() {
            let sk = (
                record.tenant_id.as_str().to_owned(),
                record.employee_id.as_str().to_owned(),
                slot,
            );
            if s.slots.get(&sk) == Some(&record.record_id) {
                s.slots.remove(&sk);
            }
        }
        s.free_claim(record);
        s.disposals.push(disposal.clone());
        Ok(Disposed::Now)
    }
}

#[async_trait]
impl DueIndex for MemoryStore {
    async fn due_records(
        &self,
        today: chrono::NaiveDate,
        _: Option<&Cursor>,
        _: u16,
    ) -> Result<DuePage, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let items: Vec<Record<()>> = s
            .records
            .values()
            .filter(|r| r.is_gone(today))
            .map(Record::metadata)
            .collect();
        Ok(DuePage {
            read: items.len() as u64,
            items,
            next: None,
        })
    }

    async fn due_count(&self, today: chrono::NaiveDate) -> Result<u64, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .records
            .values()
            .filter(|r| r.is_gone(today))
            .count() as u64)
    }

    async fn upcoming(
        &self,
        from: chrono::NaiveDate,
        until: chrono::NaiveDate,
    ) -> Result<Vec<(TenantId, u64)>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut counts: BTreeMap<TenantId, u64> = BTreeMap::new();
        for r in s.records.values() {
            if let Some(d) = &r.departure
                && (from..=until).contains(&d.due_on)
            {
                *counts.entry(r.tenant_id.clone()).or_default() += 1;
            }
        }
        Ok(counts.into_iter().collect())
    }
}

#[async_trait]
impl DisposalLog for MemoryStore {
    async fn list_disposals(
        &self,
        t: &TenantId,
        e: Option<&EmployeeId>,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::disposal::DisposalRecord>, ListError> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let items = s
            .disposals
            .iter()
            .rev()
            .filter(|d| &d.tenant_id == t && e.is_none_or(|e| &d.employee_id == e))
            .take(page.limit as usize)
            .cloned()
            .collect();
        Ok(Page {
            items,
            next_cursor: None,
        })
    }
}

#[async_trait]
impl CollectionWrites for MemoryStore {
    async fn get_collection(
        &self,
        t: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .collections
            .get(&key(t, id.as_str()))
            .cloned())
    }

    async fn latest_collection(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<CollectionId>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .latest_collection
            .get(&key(t, e.as_str()))
            .cloned())
    }

    async fn open_collection(
        &self,
        new: &Collection,
        latest: Option<&CollectionId>,
        previous: Option<&Collection>,
    ) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let pointer = key(&new.tenant_id, new.employee_id.as_str());
        if self.lose_update_race.load(Ordering::SeqCst)
            || s.latest_collection.get(&pointer) != latest
        {
            return Err(UpdateError::Concurrent);
        }
        if let Some(p) = previous.filter(|p| p.state == CollectionState::Open) {
            let mut cancelled = p.clone();
            cancelled.state = CollectionState::Cancelled;
            cancelled.version += 1;
            s.collections
                .insert(key(&p.tenant_id, p.collection_id.as_str()), cancelled);
        }
        s.latest_collection
            .insert(pointer, new.collection_id.clone());
        s.collections
            .insert(key(&new.tenant_id, new.collection_id.as_str()), new.clone());
        Ok(())
    }

    async fn cancel_collection(&self, c: &Collection) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let stored = s
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|s| s.version == c.version)
            .ok_or(UpdateError::Concurrent)?;
        stored.state = CollectionState::Cancelled;
        stored.version += 1;
        Ok(())
    }

    async fn list_collections(
        &self,
        t: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Collection>, ListError> {
        self.check()?;
        if page.cursor.is_some() {
            return Err(ListError::BadCursor);
        }
        let s = self.state.lock().unwrap();
        let mut items: Vec<Collection> = s
            .collections
            .values()
            .filter(|c| c.tenant_id == *t && filter.admits(c, now))
            .cloned()
            .collect();
        items.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        items.truncate(usize::from(page.limit));
        Ok(Page {
            items,
            next_cursor: None,
        })
    }
}

#[async_trait]
impl RecordReview for MemoryStore {
    async fn confirm_record(
        &self,
        record: &Record<()>,
        verification: &mynumber_domain::verification::Verification,
    ) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let stored = s
            .records
            .get_mut(&key(&record.tenant_id, record.record_id.as_str()))
            .filter(|r| r.version == record.version)
            .ok_or(UpdateError::Concurrent)?;
        let mynumber_domain::record::Content::Pending { ciphertext, .. } = &stored.content else {
            return Err(UpdateError::Concurrent);
        };
        stored.content = mynumber_domain::record::Content::Active {
            verification: verification.clone(),
            ciphertext: ciphertext.clone(),
        };
        stored.version += 1;
        Ok(())
    }
}

/// The registrar's review use case on a memory store.
pub fn review_on(
    core: mynumber_domain::Core,
    store: std::sync::Arc<MemoryStore>,
) -> mynumber_domain::review::ReviewService {
    mynumber_domain::review::ReviewService::new(
        core,
        store,
        std::sync::Arc::new(NoObjects),
        crate::PUBLIC_BASE_URL,
    )
}

/// The memory store holds no document photos: only the collect function uploads them,
/// and it runs against moto only.
#[async_trait]
impl RecordDocuments for MemoryStore {
    async fn record_documents(
        &self,
        _: &TenantId,
        _: &CollectionId,
        _: &RecordId,
    ) -> Result<Vec<mynumber_domain::document::Document>, Unavailable> {
        self.check()?;
        Ok(Vec::new())
    }

    async fn get_document(
        &self,
        _: &DocumentRef,
    ) -> Result<Option<mynumber_domain::document::Document>, Unavailable> {
        self.check()?;
        Ok(None)
    }

    async fn forget_document(&self, _: &DocumentRef) -> Result<(), Unavailable> {
        self.check()
    }

    async fn document_due(&self, _: &DocumentRef, _: chrono::NaiveDate) -> Result<(), Unavailable> {
        self.check()
    }
}

/// Object storage with no objects (see `RecordDocuments for MemoryStore`).
pub struct NoObjects;

#[async_trait]
impl DocumentViews for NoObjects {
    async fn presign_view(
        &self,
        _: &mynumber_domain::document::ObjectKey,
        _: u64,
    ) -> Result<mynumber_domain::document::SignedUrl, Unavailable> {
        Err(Unavailable("no objects in memory".into()))
    }
}

#[async_trait]
impl DocumentErasure for NoObjects {
    async fn delete_object(
        &self,
        _: &mynumber_domain::document::ObjectKey,
    ) -> Result<(), Unavailable> {
        Ok(())
    }
}

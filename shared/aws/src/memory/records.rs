//! Records, their slots and the duplicate index, in memory.

use super::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mynumber_domain::ids::{EmployeeId, KeyDigest, RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::{Record, Slot};

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

#[async_trait]
impl RecordWrites for MemoryStore {
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError> {
        self.check()?;
        self.state.lock().unwrap().create(new)
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

impl State {
    /// One record's write with every condition of the DynamoDB transaction; nothing is
    /// changed when a condition fails.
    pub(super) fn create(&mut self, new: NewRecord) -> Result<(), CreateError> {
        let r = &new.record;
        let t = &r.tenant_id;
        // An expired entry (TTL deletes lazily) may be overwritten, as in DynamoDB.
        if let Some(e) = &new.idempotency
            && self
                .idempotency
                .get(&key(t, e.key.as_str()))
                .is_some_and(|held| held.expires_at >= r.created_at)
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
            (SlotChange::Claim, Some(k)) if self.slots.contains_key(k) => {
                return Err(CreateError::SlotTaken);
            }
            (SlotChange::Reclaim { missing }, Some(k)) if self.slots.get(k) != Some(missing) => {
                return Err(CreateError::SlotTaken);
            }
            // As DynamoDB's transaction: the slot's guard comes first, then the old record's.
            (SlotChange::Replace { old, .. }, Some(k))
                if self.slots.get(k) != Some(&old.record_id) =>
            {
                return Err(CreateError::SlotTaken);
            }
            (SlotChange::Replace { old, .. }, Some(_))
                if self
                    .records
                    .get(&key(t, old.record_id.as_str()))
                    .map(|o| o.version)
                    != Some(old.version) =>
            {
                return Err(CreateError::ReplacedChanged);
            }
            _ => {}
        }
        if self.departures.get(&key(t, r.employee_id.as_str())) != new.employee_departure.as_ref() {
            return Err(CreateError::DepartureChanged);
        }
        let claim_key = r.number_key.as_ref().map(|k| key(t, k.as_str()));
        if let Some(ck) = &claim_key {
            let held = self.claims.get(ck);
            let refused = match &new.claim {
                NumberClaim::None => false,
                NumberClaim::Take => held.is_some_and(|(e, _)| e != &r.employee_id),
                NumberClaim::TakeOver { gone } => held.map(|(_, id)| id) != Some(gone),
            };
            if refused {
                return Err(CreateError::DuplicateNumber);
            }
        }
        // As DynamoDB's transaction: a replaced own number's claim is deleted on condition
        // that it is still the replaced record's (or gone), unless the write keeps it.
        if let SlotChange::Replace {
            old,
            free_claim: true,
            ..
        } = &new.slot
            && old.relation == mynumber_domain::record::Relation::OwnNumber
            && old.number_key.is_some()
            && old.number_key != r.number_key
        {
            let old_key = key(t, old.number_key.as_ref().expect("checked").as_str());
            if self
                .claims
                .get(&old_key)
                .is_some_and(|(_, id)| *id != old.record_id)
            {
                return Err(CreateError::OldClaimMoved);
            }
        }
        if let SlotChange::Replace {
            old,
            disposal,
            free_claim,
        } = &new.slot
        {
            self.records.remove(&key(t, old.record_id.as_str()));
            if *free_claim {
                self.free_claim(old);
            }
            self.disposals.push((**disposal).clone());
        }
        if let (Some(ck), false) = (claim_key, new.claim == NumberClaim::None) {
            self.claims
                .insert(ck, (r.employee_id.clone(), r.record_id.clone()));
        }
        if let Some(k) = slot_key {
            self.slots.insert(k, r.record_id.clone());
        }
        if let Some(e) = new.idempotency.clone() {
            self.idempotency.insert(key(t, e.key.as_str()), e);
        }
        *self
            .revisions
            .entry(key(t, r.employee_id.as_str()))
            .or_default() += 1;
        self.records
            .insert(key(t, r.record_id.as_str()), new.record);
        Ok(())
    }
}

//! Departures, disposals, the due index and the disposal log, in memory.

use super::*;
use async_trait::async_trait;
use mynumber_domain::ids::{EmployeeId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::Record;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

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
        s.dispose(record, disposal);
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
        s.dispose(record, disposal);
        Ok(Disposed::Now)
    }
}

#[async_trait]
impl DueIndex for MemoryStore {
    async fn due_records(
        &self,
        today: chrono::NaiveDate,
        cursor: Option<&Cursor>,
        limit: u16,
    ) -> Result<DuePage, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let due: Vec<Record<()>> = s
            .records
            .values()
            .filter(|r| r.is_gone(today))
            .map(Record::metadata)
            .collect();
        let request = PageRequest {
            limit,
            cursor: cursor.cloned(),
        };
        let page = page_after(due, |r| r.record_id.as_str(), &request)
            .map_err(|_| Unavailable("a cursor from elsewhere".into()))?;
        Ok(DuePage {
            read: page.items.len() as u64,
            items: page.items,
            next: page.next_cursor,
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
        let items: Vec<_> = s
            .disposals
            .iter()
            .rev()
            .filter(|d| &d.tenant_id == t && e.is_none_or(|e| &d.employee_id == e))
            .cloned()
            .collect();
        page_after(items, |d| d.record_id.as_str(), page)
    }
}

impl State {
    /// A record deleted for good, with its slot and claim where it still holds them, and
    /// its disposal record written: what a disposal and a TTL deletion both leave.
    fn dispose(
        &mut self,
        record: &Record<()>,
        disposal: &mynumber_domain::disposal::DisposalRecord,
    ) {
        self.records
            .remove(&key(&record.tenant_id, record.record_id.as_str()));
        if let Some(slot) = record.relation.slot() {
            let sk = (
                record.tenant_id.as_str().to_owned(),
                record.employee_id.as_str().to_owned(),
                slot,
            );
            if self.slots.get(&sk) == Some(&record.record_id) {
                self.slots.remove(&sk);
            }
        }
        self.free_claim(record);
        self.disposals.push(disposal.clone());
    }
}

#[async_trait]
impl PurgeRunLog for MemoryStore {
    async fn record_purge_run(&self, run: &PurgeRunRecord) -> Result<(), Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        if s.last_purge_run
            .as_ref()
            .is_none_or(|kept| kept.at <= run.at)
        {
            s.last_purge_run = Some(run.clone());
        }
        Ok(())
    }
}

#[async_trait]
impl LastPurgeRun for MemoryStore {
    async fn last_purge_run(&self) -> Result<Option<PurgeRunRecord>, Unavailable> {
        self.check()?;
        Ok(self.state.lock().unwrap().last_purge_run.clone())
    }
}

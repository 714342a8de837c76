//! Exports and the records they select, in memory.

use super::*;
use async_trait::async_trait;
use mynumber_domain::ids::{RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::Record;

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
        all.sort_by_key(|e| std::cmp::Reverse(e.export_id.clone()));
        page_after(all, |e| e.export_id.as_str(), page)
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

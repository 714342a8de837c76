//! Collection links and the review's confirmation, in memory.

use super::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mynumber_domain::collection::{
    Collection, CollectionFilter, CollectionId, CollectionState, MAX_INVALID_ATTEMPTS, TokenDigest,
};
use mynumber_domain::ids::{EmployeeId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::Record;
use std::sync::atomic::Ordering;

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
            cancelled.email = None;
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
        stored.email = None;
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
        let s = self.state.lock().unwrap();
        let mut items: Vec<Collection> = s
            .collections
            .values()
            .filter(|c| c.tenant_id == *t && filter.admits(c, now))
            .cloned()
            .collect();
        items.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.collection_id.clone())));
        page_after(items, |c| c.collection_id.as_str(), page)
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

#[async_trait]
impl CollectionAccess for MemoryStore {
    async fn collection_by_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Collection>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        Ok(s.collections
            .values()
            .find(|c| c.opens_with(digest))
            .cloned())
    }

    async fn count_invalid_attempt(&self, c: &Collection) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let stored = s
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|s| s.state == c.state && s.attempts < MAX_INVALID_ATTEMPTS)
            .ok_or(UpdateError::Concurrent)?;
        stored.attempts += 1;
        if stored.attempts >= MAX_INVALID_ATTEMPTS {
            stored.state = CollectionState::Locked;
            stored.email = None;
            stored.version += 1;
        }
        Ok(())
    }

    async fn submit(
        &self,
        c: &Collection,
        records: Vec<NewRecord>,
        documents: Vec<DocumentChange>,
        outbox: Option<&mynumber_domain::notification::Outbox>,
    ) -> Result<(), CreateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        // All or nothing: every condition is checked on a copy, which replaces the state
        // only when all of them held.
        let mut draft = s.clone();
        // The link decides first, as in DynamoDB: a twin submission that spent it finds it
        // changed, whatever its records would say.
        let stored = draft
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|s| s.version == c.version && s.state == CollectionState::Open)
            .ok_or(CreateError::CollectionChanged)?;
        stored.state = CollectionState::Submitted;
        stored.outbox = outbox.cloned();
        if outbox.is_none_or(|o| o.receipt.is_none()) {
            stored.email = None;
        }
        stored.version += 1;
        for new in records {
            draft.create(new)?;
        }
        for change in documents {
            let (d, due_on, record) = match change {
                DocumentChange::Attach {
                    document,
                    record_id,
                    due_on,
                } => (document, due_on, Some(record_id)),
                DocumentChange::Release { document, due_on } => (document, due_on, None),
            };
            let entry = draft
                .documents
                .get_mut(&super::documents::doc_key(&d))
                .ok_or(CreateError::CollectionChanged)?;
            entry.due_on = due_on;
            if record.is_some() {
                entry.record_id = record;
            }
        }
        *s = draft;
        Ok(())
    }
}

#[async_trait]
impl LinkReminders for MemoryStore {
    async fn links_to_remind(
        &self,
        before: chrono::NaiveDate,
    ) -> Result<Vec<(TenantId, CollectionId)>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut due: Vec<_> = s
            .collections
            .values()
            .filter(|c| c.email.is_some() && c.state == CollectionState::Open)
            .map(|c| {
                let day =
                    mynumber_domain::retention::jst_today(c.mailed_at.unwrap_or(c.created_at));
                (day, c.tenant_id.clone(), c.collection_id.clone())
            })
            .filter(|(day, _, _)| *day < before)
            .collect();
        due.sort_by(|a, b| {
            (a.0, a.1.as_str(), a.2.as_str()).cmp(&(b.0, b.1.as_str(), b.2.as_str()))
        });
        Ok(due.into_iter().map(|(_, t, c)| (t, c)).collect())
    }

    async fn reminder_link(
        &self,
        t: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable> {
        CollectionWrites::get_collection(self, t, id).await
    }

    async fn forget_address(&self, c: &Collection) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let stored = s
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|s| s.version == c.version)
            .ok_or(UpdateError::Concurrent)?;
        stored.email = None;
        stored.version += 1;
        Ok(())
    }
}

#[async_trait]
impl MailOutbox for MemoryStore {
    async fn outbox(&self) -> Result<Vec<(TenantId, CollectionId)>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut queued: Vec<_> = s
            .collections
            .values()
            .filter_map(|c| {
                let o = c.outbox.as_ref()?;
                Some((o.submitted_at, c.tenant_id.clone(), c.collection_id.clone()))
            })
            .collect();
        queued.sort_by(|a, b| (a.0, a.2.as_str()).cmp(&(b.0, b.2.as_str())));
        Ok(queued.into_iter().map(|(_, t, c)| (t, c)).collect())
    }

    async fn settle_outbox(
        &self,
        c: &Collection,
        left: Option<&mynumber_domain::notification::Outbox>,
    ) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let stored = s
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|s| s.version == c.version)
            .ok_or(UpdateError::Concurrent)?;
        stored.outbox = left.cloned();
        if left.is_none_or(|o| o.receipt.is_none()) {
            stored.email = None;
        }
        stored.version += 1;
        Ok(())
    }

    async fn review_notice_turn(
        &self,
        t: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let last = s.review_notices.get(t.as_str()).copied();
        if last.is_some_and(|at| now - at < chrono::Duration::hours(1)) {
            return Ok(false);
        }
        s.review_notices.insert(t.as_str().to_owned(), now);
        Ok(true)
    }
}

#[async_trait]
impl LinkTokens for MemoryStore {
    async fn add_reminder(
        &self,
        c: &Collection,
        token: &TokenDigest,
        at: DateTime<Utc>,
    ) -> Result<(), UpdateError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let stored = s
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|s| s.version == c.version && s.state == CollectionState::Open)
            .ok_or(UpdateError::Concurrent)?;
        stored.reminder_tokens.push(token.clone());
        stored.mailed_at = Some(at);
        stored.version += 1;
        Ok(())
    }
}

#[async_trait]
impl CollectionCounts for MemoryStore {
    async fn count_collections(
        &self,
        t: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
    ) -> Result<u64, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        Ok(s.collections
            .values()
            .filter(|c| c.tenant_id == *t && filter.admits(c, now))
            .count() as u64)
    }
}

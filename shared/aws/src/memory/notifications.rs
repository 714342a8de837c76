//! The sent log and the notification settings in memory, and a mailer that keeps what it
//! was given.

use super::*;
use mynumber_domain::notification::*;

#[async_trait]
impl NotificationLog for MemoryStore {
    async fn record_notification(&self, e: &NotificationEntry) -> Result<(), Unavailable> {
        self.check()?;
        self.state.lock().unwrap().notifications.push(e.clone());
        Ok(())
    }

    async fn list_notifications(
        &self,
        t: &TenantId,
        filter: &NotificationFilter,
        page: &PageRequest,
    ) -> Result<Page<NotificationEntry>, ListError> {
        self.check()?;
        let mut items: Vec<NotificationEntry> = self
            .state
            .lock()
            .unwrap()
            .notifications
            .iter()
            .filter(|e| e.tenant_id == *t && filter.matches(e))
            .cloned()
            .collect();
        items.sort_by(|a, b| {
            (b.sent_at, b.notification_id.as_str()).cmp(&(a.sent_at, a.notification_id.as_str()))
        });
        page_after(items, |e| e.notification_id.as_str(), page)
    }

    async fn mark_delivery(
        &self,
        id: &MessageId,
        status: DeliveryStatus,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let entry = s
            .notifications
            .iter_mut()
            .find(|e| e.message_id.as_ref() == Some(id));
        Ok(entry.map(|e| e.status = status).is_some())
    }
}

#[async_trait]
impl NotificationSettingsStore for MemoryStore {
    async fn notification_settings(
        &self,
        t: &TenantId,
    ) -> Result<Option<NotificationSettings>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .notification_settings
            .get(t.as_str())
            .cloned())
    }

    async fn put_notification_settings(
        &self,
        t: &TenantId,
        settings: &NotificationSettings,
    ) -> Result<(), Unavailable> {
        self.check()?;
        self.state
            .lock()
            .unwrap()
            .notification_settings
            .insert(t.as_str().to_owned(), settings.clone());
        Ok(())
    }
}

#[async_trait]
impl DigestReads for MemoryStore {
    async fn digest_tenants(
        &self,
        weekday: mynumber_domain::notification::Weekday,
    ) -> Result<Vec<TenantId>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut tenants: Vec<TenantId> = s
            .notification_settings
            .iter()
            .filter(|(_, n)| n.digest.weekday == weekday && !n.hr_recipients.is_empty())
            .filter_map(|(t, _)| TenantId::parse(t).ok())
            .collect();
        tenants.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(tenants)
    }

    async fn digest_records(
        &self,
        t: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<mynumber_domain::record::Record<()>>, Unavailable> {
        Exports::tenant_records(self, t, cursor).await
    }

    async fn digest_links(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::collection::Collection>, ListError> {
        CollectionWrites::list_collections(
            self,
            t,
            &Default::default(),
            chrono::DateTime::UNIX_EPOCH,
            page,
        )
        .await
    }

    async fn digest_disposals(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::disposal::DisposalRecord>, ListError> {
        DisposalLog::list_disposals(self, t, None, page).await
    }

    async fn digest_turn(&self, t: &TenantId, day: chrono::NaiveDate) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        Ok(s.digest_days.insert(t.as_str().to_owned(), day) != Some(day))
    }
}

/// Keeps every message it is given; `fail` makes it refuse them all.
#[derive(Default)]
pub struct MemoryMailer {
    pub sent: Mutex<Vec<Email>>,
    pub fail: AtomicBool,
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, email: &Email) -> Result<MessageId, NotSent> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(NotSent("simulated provider failure".into()));
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(email.clone());
        Ok(MessageId::parse(&format!("memory-{}", sent.len())).expect("a message id's shape"))
    }
}

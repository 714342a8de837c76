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

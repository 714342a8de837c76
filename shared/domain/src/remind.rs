//! Reminders (SPEC §4d), run by the notify function on the daily schedule: every open link
//! with an address whose last email is the tenant's `after_days` old is emailed again, at
//! most `max` times, never after it expired or was submitted. Each reminder carries a link
//! of its own (a new token filed beside the first: the store keeps only tokens' digests,
//! so an earlier link cannot be written again), and every link the employee was sent keeps
//! working until the collection closes. An expired link's address is forgotten.

use crate::audit::{AuditEvent, AuditKind, Caller};
use crate::collection::{CollectionStatus, CollectionToken};
use crate::error::VaultError;
use crate::ids::TenantId;
use crate::notification::{LinkMail, NotificationKind, NotificationSettings, REMINDER};
use crate::notify::{About, Notifier};
use crate::ports::{LinkReminders, UpdateError};
use crate::retention::jst_today;
use crate::usecase::Core;
use chrono::Duration;
use std::collections::HashMap;
use std::sync::Arc;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemindReport {
    /// Reminders handed to the provider.
    pub sent: u64,
    /// Reminders the provider refused (the link works; the next run does not retry it).
    pub failed: u64,
    /// Addresses forgotten because their link had closed.
    pub forgotten: u64,
}

pub struct ReminderService {
    core: Core,
    store: Arc<dyn LinkReminders>,
    notifier: Notifier,
}

impl ReminderService {
    pub fn new(core: Core, store: Arc<dyn LinkReminders>, notifier: Notifier) -> Self {
        ReminderService {
            core,
            store,
            notifier,
        }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    pub async fn run(&self) -> Result<RemindReport, VaultError> {
        let now = self.core.now();
        let today = jst_today(now);
        let mut report = RemindReport::default();
        let mut settings: HashMap<TenantId, NotificationSettings> = HashMap::new();
        for (tenant, id) in self.store.links_to_remind(today).await? {
            let Some(c) = self.store.reminder_link(&tenant, &id).await? else {
                continue;
            };
            let Some(to) = c.email.clone() else { continue };
            if c.status(now) != CollectionStatus::Open {
                match self.store.forget_address(&c).await {
                    Ok(()) => report.forgotten += 1,
                    Err(UpdateError::Concurrent) => {}
                    Err(UpdateError::Unavailable(e)) => return Err(e.into()),
                }
                continue;
            }
            if !settings.contains_key(&tenant) {
                let s = self.notifier.settings(&tenant).await?;
                settings.insert(tenant.clone(), s);
            }
            let s = &settings[&tenant];
            let last = c.mailed_at.unwrap_or(c.created_at);
            let due_on = jst_today(last) + Duration::days(i64::from(s.reminders.after_days));
            if c.reminder_tokens.len() >= s.reminders.max as usize || due_on > today {
                continue;
            }
            let token = CollectionToken::new_random();
            match self.store.add_reminder(&c, &token.digest(), now).await {
                Ok(()) => {}
                // Submitted, cancelled or reminded meanwhile: nothing to send.
                Err(UpdateError::Concurrent) => continue,
                Err(UpdateError::Unavailable(e)) => return Err(e.into()),
            }
            let email = LinkMail {
                to: &to,
                sender: &s.sender_name,
                employee_id: &c.employee_id,
                purposes: &c.purposes,
                include_family: c.include_family,
                expires_at: c.expires_at,
                url: &token.url(self.notifier.public_base_url()),
            }
            .render(&REMINDER);
            let mut like =
                AuditEvent::new(AuditKind::NotificationSent, None, &Caller::default(), now);
            like.tenant_id = Some(tenant.clone());
            let about = About {
                tenant: &tenant,
                kind: NotificationKind::Reminder,
                collection_id: Some(&c.collection_id),
                employee_id: Some(&c.employee_id),
            };
            let delivery = self
                .notifier
                .deliver(&self.core, &like, about, &email, now)
                .await;
            match delivery.status {
                crate::notification::DeliveryStatus::Sent => report.sent += 1,
                _ => report.failed += 1,
            }
        }
        Ok(report)
    }
}

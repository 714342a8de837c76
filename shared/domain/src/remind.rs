//! Reminders (SPEC §4d), run by the notify function on the daily schedule: every open link
//! with an address whose last email is the tenant's `after_days` old is emailed again, at
//! most `max` times, never after it expired or was submitted. Each reminder carries a link
//! of its own (a new token filed beside the first: the store keeps only tokens' digests,
//! so an earlier link cannot be written again), and every link the employee was sent keeps
//! working until the collection closes. An expired link's address is forgotten.

use crate::audit::{AuditEvent, AuditKind, Caller};
use crate::collection::Collection;
use crate::collection::{CollectionStatus, CollectionToken};
use crate::error::VaultError;
use crate::ids::TenantId;
use crate::notification::{
    NotificationKind, NotificationSettings, REMINDER, ReceiptMail, ReviewNoticeMail,
};
use crate::notify::{About, Notifier};
use crate::ports::{LinkReminders, LinkTokens, MailOutbox, UpdateError};
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

/// What one run of the outbox did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutboxReport {
    pub receipts: u64,
    pub review_notices: u64,
    /// Sends the provider refused (not retried: the entry says `failed`).
    pub failed: u64,
}

/// The store ports of the notify function's role.
pub trait NotifyStore: LinkReminders + LinkTokens + MailOutbox {}
impl<T: LinkReminders + LinkTokens + MailOutbox> NotifyStore for T {}

pub struct ReminderService {
    core: Core,
    store: Arc<dyn NotifyStore>,
    notifier: Notifier,
}

impl ReminderService {
    pub fn new(core: Core, store: Arc<dyn NotifyStore>, notifier: Notifier) -> Self {
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
            let url = token.url(self.notifier.public_base_url());
            let email = c.link_mail(&to, &s.sender_name, &url).render(&REMINDER);
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

impl ReminderService {
    /// Sends what submissions left (run every few minutes): each employee's receipt, then
    /// each tenant's review notice, at most one an hour, naming every submission that
    /// waited for it. A receipt's address is removed before the mail goes, so it is sent
    /// at most once and the address is gone whatever the provider answers.
    pub async fn send_outbox(&self) -> Result<OutboxReport, VaultError> {
        let now = self.core.now();
        let mut report = OutboxReport::default();
        let mut by_tenant: Vec<(TenantId, Vec<Collection>)> = Vec::new();
        for (tenant, id) in self.store.outbox().await? {
            let Some(c) = self.store.reminder_link(&tenant, &id).await? else {
                continue;
            };
            if c.outbox.is_none() {
                continue;
            }
            match by_tenant.iter_mut().find(|(t, _)| *t == tenant) {
                Some((_, cs)) => cs.push(c),
                None => by_tenant.push((tenant, vec![c])),
            }
        }
        for (tenant, collections) in by_tenant {
            let settings = self.notifier.settings(&tenant).await?;
            let waiting: Vec<&Collection> = collections
                .iter()
                .filter(|c| c.outbox.as_ref().is_some_and(|o| o.review))
                .collect();
            // With nobody to tell, the flags are cleared without taking a turn.
            let notice = !waiting.is_empty()
                && (settings.hr_recipients.is_empty()
                    || self.store.review_notice_turn(&tenant, now).await?);
            let mut noticed = Vec::new();
            for c in &collections {
                let outbox = c.outbox.as_ref().expect("filtered above");
                let receipt = outbox.receipt.as_ref().zip(c.email.as_ref());
                let left = outbox.after(true, notice);
                if receipt.is_none() && left.as_ref() == Some(outbox) {
                    continue;
                }
                match self.store.settle_outbox(c, left.as_ref()).await {
                    Ok(()) => {}
                    // Changed meanwhile: the next run reads it again.
                    Err(UpdateError::Concurrent) => continue,
                    Err(UpdateError::Unavailable(e)) => return Err(e.into()),
                }
                if notice && outbox.review {
                    noticed.push((c.employee_id.clone(), outbox.submitted_at));
                }
                let Some((received, to)) = receipt else {
                    continue;
                };
                let email = ReceiptMail {
                    to,
                    sender: &settings.sender_name,
                    employee_id: &c.employee_id,
                    received,
                    submitted_at: outbox.submitted_at,
                }
                .render();
                let about = About {
                    tenant: &tenant,
                    kind: NotificationKind::Receipt,
                    collection_id: Some(&c.collection_id),
                    employee_id: Some(&c.employee_id),
                };
                self.count(&mut report, about, &email, now).await;
            }
            let Some(oldest) = noticed.iter().map(|(_, at)| *at).min() else {
                continue;
            };
            let employees: Vec<_> = noticed.into_iter().map(|(e, _)| e).collect();
            let url = format!("{}/console#/review", self.notifier.public_base_url());
            for to in &settings.hr_recipients {
                let email = ReviewNoticeMail {
                    to,
                    sender: &settings.sender_name,
                    employees: &employees,
                    oldest,
                    url: &url,
                }
                .render();
                let about = About {
                    tenant: &tenant,
                    kind: NotificationKind::ReviewNotice,
                    collection_id: None,
                    employee_id: None,
                };
                self.count(&mut report, about, &email, now).await;
            }
        }
        Ok(report)
    }

    async fn count(
        &self,
        report: &mut OutboxReport,
        about: About<'_>,
        email: &crate::notification::Email,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let mut like = AuditEvent::new(AuditKind::NotificationSent, None, &Caller::default(), now);
        like.tenant_id = Some(about.tenant.clone());
        let kind = about.kind;
        let delivery = self
            .notifier
            .deliver(&self.core, &like, about, email, now)
            .await;
        match (delivery.status, kind) {
            (crate::notification::DeliveryStatus::Sent, NotificationKind::Receipt) => {
                report.receipts += 1
            }
            (crate::notification::DeliveryStatus::Sent, _) => report.review_notices += 1,
            _ => report.failed += 1,
        }
    }
}

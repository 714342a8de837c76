//! Sending (one message: send, log, audit) and the admin's and auditor's operations on
//! notifications: the settings and the sent log (SPEC §4d).

use crate::audit::{AuditEvent, AuditKind, Outcome, Reason};
use crate::error::VaultError;
use crate::ids::CollectionId;
use crate::ids::{EmployeeId, RecordId, TenantId};
use crate::notification::{
    Delivery, DeliveryStatus, Email, NotificationEntry, NotificationFilter, NotificationKind,
    NotificationSettings,
};
use crate::ports::{Mailer, NotificationLog, NotificationSettingsStore, Page, PageRequest};
use crate::usecase::{Authorised, Core};
use chrono::{DateTime, Utc};
use std::sync::Arc;

crate::usecase::operations! {
    ReadSettings = (ReadNotificationSettings, ManageNotifications);
    ChangeSettings = (NotificationSettingsChanged, ManageNotifications);
    ListNotifications = (ListNotifications, ListNotifications);
}

/// What sending needs: the mailer, the sent log, the tenant's settings, and where the
/// employee's form is served (links in mail are `{base}/collect#{token}`).
#[derive(Clone)]
pub struct Notifier {
    mailer: Arc<dyn Mailer>,
    log: Arc<dyn NotificationLog>,
    settings: Arc<dyn NotificationSettingsStore>,
    public_base_url: String,
}

/// Whom and what one message concerns, for its log entry and its audit event.
pub struct About<'a> {
    pub tenant: &'a TenantId,
    pub kind: NotificationKind,
    pub collection_id: Option<&'a CollectionId>,
    pub employee_id: Option<&'a EmployeeId>,
}

impl Notifier {
    pub fn new(
        mailer: Arc<dyn Mailer>,
        log: Arc<dyn NotificationLog>,
        settings: Arc<dyn NotificationSettingsStore>,
        public_base_url: &str,
    ) -> Self {
        Notifier {
            mailer,
            log,
            settings,
            public_base_url: public_base_url.to_owned(),
        }
    }

    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    /// The tenant's settings, or the defaults when it never saved any.
    pub async fn settings(&self, tenant: &TenantId) -> Result<NotificationSettings, VaultError> {
        Ok(self
            .settings
            .notification_settings(tenant)
            .await?
            .unwrap_or_default())
    }

    /// Sends `email`, writes its sent-log entry and its audit event. A failed send is a
    /// `failed` entry, never an error: what the mail was about has happened either way.
    /// A sent-log write that fails leaves the audit event as the record of the send.
    pub async fn deliver(
        &self,
        core: &Core,
        like: &AuditEvent,
        about: About<'_>,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Delivery {
        let sent = self.mailer.send(email).await;
        let entry = NotificationEntry {
            notification_id: RecordId::new_random(),
            tenant_id: about.tenant.clone(),
            kind: about.kind,
            to: email.to.masked(),
            collection_id: about.collection_id.cloned(),
            sent_at: now,
            status: if sent.is_ok() {
                DeliveryStatus::Sent
            } else {
                DeliveryStatus::Failed
            },
            message_id: sent.ok(),
        };
        // Who and where from, as the operation that sent it.
        let mut event = AuditEvent {
            event: AuditKind::NotificationSent,
            action: None,
            outcome: Outcome::Success,
            reason: None,
            count: None,
            ..like.clone()
        };
        event.tenant_id = Some(about.tenant.clone());
        event.collection_id = about.collection_id.cloned();
        event.employee_id = about.employee_id.cloned();
        event.notification = Some(about.kind);
        event.recipient = Some(entry.to.clone());
        if entry.status == DeliveryStatus::Failed {
            event.outcome = Outcome::Failed;
            event.reason = Some(Reason::DependencyFailed);
        }
        core.emit(&event);
        // The entry is the console's view; losing it loses no mail and no audit.
        let _ = self.log.record_notification(&entry).await;
        Delivery {
            notification_id: entry.notification_id,
            status: entry.status,
        }
    }
}

impl Notifier {
    /// A bounce or a complaint SES reported for the message `id`: marks its entry and
    /// audits the report (`not_found` when no entry has that id). `true` when marked.
    pub async fn report(
        &self,
        core: &Core,
        id: &crate::notification::MessageId,
        status: DeliveryStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, VaultError> {
        let marked = self.log.mark_delivery(id, status).await?;
        let mut event = AuditEvent::new(
            AuditKind::DeliveryReported,
            None,
            &crate::audit::Caller::default(),
            now,
        );
        event.outcome = if marked {
            Outcome::Failed
        } else {
            Outcome::NotFound
        };
        core.emit(&event);
        Ok(marked)
    }
}

/// The settings and the sent log (SPEC §4d).
pub struct NotificationService {
    core: Core,
    notifier: Notifier,
}

impl NotificationService {
    pub fn new(core: Core, notifier: Notifier) -> Self {
        NotificationService { core, notifier }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// `GET /v1/settings/notifications`
    pub async fn read_settings(
        &self,
        auth: Authorised<'_, ops::ReadSettings>,
    ) -> Result<NotificationSettings, VaultError> {
        auth.run(async |_event, principal, _now| self.notifier.settings(&principal.tenant).await)
            .await
    }

    /// `PUT /v1/settings/notifications`: replaces them whole.
    pub async fn change_settings(
        &self,
        auth: Authorised<'_, ops::ChangeSettings>,
        input: NotificationSettings,
    ) -> Result<NotificationSettings, VaultError> {
        auth.run(async |event, principal, _now| {
            event.count = Some(input.hr_recipients.len() as u64);
            self.notifier
                .settings
                .put_notification_settings(&principal.tenant, &input)
                .await?;
            Ok(input)
        })
        .await
    }

    /// `GET /v1/notifications`: the sent log, newest first, addresses masked.
    pub async fn list(
        &self,
        auth: Authorised<'_, ops::ListNotifications>,
        input: (NotificationFilter, PageRequest),
    ) -> Result<Page<NotificationEntry>, VaultError> {
        auth.run(async |event, principal, _now| {
            let (filter, page) = input;
            event.collection_id = filter.collection_id.clone();
            let page = self
                .notifier
                .log
                .list_notifications(&principal.tenant, &filter, &page)
                .await?;
            event.count = Some(page.items.len() as u64);
            Ok(page)
        })
        .await
    }
}

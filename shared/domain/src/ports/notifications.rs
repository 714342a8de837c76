//! Email (SPEC §4d): sending, the sent log and the tenant's settings.

use super::*;
use crate::ids::TenantId;
use crate::notification::{
    DeliveryStatus, Email, MessageId, NotificationEntry, NotificationFilter, NotificationSettings,
};
use async_trait::async_trait;

/// Why a message was not sent. The text is for operators' logs and never holds an address
/// or a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotSent(pub String);

/// Sends one message from the deployment's sender identity (SES). Nothing else.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<MessageId, NotSent>;
}

/// The sent log: one entry per message.
#[async_trait]
pub trait NotificationLog: Send + Sync {
    async fn record_notification(&self, entry: &NotificationEntry) -> Result<(), Unavailable>;

    /// The tenant's entries, newest first.
    async fn list_notifications(
        &self,
        tenant: &TenantId,
        filter: &NotificationFilter,
        page: &PageRequest,
    ) -> Result<Page<NotificationEntry>, ListError>;

    /// Marks the entry of the provider's message `id` (a bounce or a complaint reported
    /// back); `false` when no entry has that id.
    async fn mark_delivery(
        &self,
        id: &MessageId,
        status: DeliveryStatus,
    ) -> Result<bool, Unavailable>;
}

/// A tenant's notification settings.
#[async_trait]
pub trait NotificationSettingsStore: Send + Sync {
    /// The stored settings, or `None` when the tenant never saved any.
    async fn notification_settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<NotificationSettings>, Unavailable>;

    async fn put_notification_settings(
        &self,
        tenant: &TenantId,
        settings: &NotificationSettings,
    ) -> Result<(), Unavailable>;
}

/// What the weekly digest reads (the notify function's role): listings of metadata only,
/// never a ciphertext, and the turn that keeps a tenant to one digest a day.
#[async_trait]
pub trait DigestReads: Send + Sync {
    /// The tenants whose digest day is `weekday` and who named HR recipients.
    async fn digest_tenants(
        &self,
        weekday: crate::notification::Weekday,
    ) -> Result<Vec<TenantId>, Unavailable>;

    /// The tenant's records, metadata only, a page at a time.
    async fn digest_records(
        &self,
        tenant: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<crate::record::Record<()>>, Unavailable>;

    /// The tenant's collection links, newest first.
    async fn digest_links(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<crate::collection::Collection>, ListError>;

    /// The tenant's disposal records, newest first.
    async fn digest_disposals(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<crate::disposal::DisposalRecord>, ListError>;

    /// The tenant's digest for `day` (JST): `true` (and taken) the first time only, so a
    /// schedule delivered twice sends one digest.
    async fn digest_turn(
        &self,
        tenant: &TenantId,
        day: chrono::NaiveDate,
    ) -> Result<bool, Unavailable>;
}

//! Collection links: the registrar's side, the employee's side, and the review.

use super::*;
use crate::collection::{Collection, CollectionFilter, CollectionId, TokenDigest};
use crate::ids::{EmployeeId, TenantId};
use crate::record::Record;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The registrar's side of collection links (the review role).
#[async_trait]
pub trait CollectionWrites: Send + Sync {
    async fn get_collection(
        &self,
        tenant: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable>;

    /// The employee's latest collection, read consistently.
    async fn latest_collection(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
    ) -> Result<Option<CollectionId>, Unavailable>;

    /// Writes `new` (and its token's entry) as the employee's latest collection, on
    /// condition that `latest` still is; an open `previous` is cancelled at once.
    /// `Concurrent` when another link for the employee was opened meanwhile.
    async fn open_collection(
        &self,
        new: &Collection,
        latest: Option<&CollectionId>,
        previous: Option<&Collection>,
    ) -> Result<(), UpdateError>;

    /// Cancels `c`, conditional on the version read.
    async fn cancel_collection(&self, c: &Collection) -> Result<(), UpdateError>;

    /// The tenant's collections, newest first.
    async fn list_collections(
        &self,
        tenant: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Collection>, ListError>;
}

/// The employee's side of a link (the collect function's role).
#[async_trait]
pub trait CollectionAccess: Send + Sync {
    /// The collection whose token has this digest, whatever its state.
    async fn collection_by_token(
        &self,
        token: &TokenDigest,
    ) -> Result<Option<Collection>, Unavailable>;

    /// Counts an invalid submission atomically; the fifth locks the link. `Concurrent` when
    /// it was not counted: the limit was reached (by attempts in parallel) or the link is
    /// no longer in the state read.
    async fn count_invalid_attempt(&self, c: &Collection) -> Result<(), UpdateError>;

    /// Writes every record of a submission (with their slots, membership entries and
    /// the employee's revision) and marks the collection submitted, all at once or not
    /// at all, with what becomes of each uploaded document (`documents`); `CollectionChanged`
    /// when the collection is no longer as read.
    /// `outbox`, when given, stays on the collection for the notify function (with the
    /// address, when a receipt is owed); otherwise the address goes at once.
    async fn submit(
        &self,
        c: &Collection,
        records: Vec<NewRecord>,
        documents: Vec<DocumentChange>,
        outbox: Option<&crate::notification::Outbox>,
    ) -> Result<(), CreateError>;
}

/// Reminders of open links (the notify function's role).
#[async_trait]
pub trait LinkReminders: Send + Sync {
    /// Open links with an address that were last emailed before `day` (JST), oldest first.
    async fn links_to_remind(
        &self,
        before: chrono::NaiveDate,
    ) -> Result<Vec<(TenantId, CollectionId)>, Unavailable>;

    /// The link, read consistently.
    async fn reminder_link(
        &self,
        tenant: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable>;

    /// Removes a closed link's address, and the link from those to remind.
    async fn forget_address(&self, c: &Collection) -> Result<(), UpdateError>;
}

/// A further link for an open collection (a reminder's, or a registrar's resend): the
/// store keeps only tokens' digests, so an earlier mail's link cannot be written again.
#[async_trait]
pub trait LinkTokens: Send + Sync {
    /// Files a new token beside the link's others (with its lookup entry) and the time it
    /// was mailed, on condition that the link is still open at the version read;
    /// `Concurrent` otherwise.
    async fn add_reminder(
        &self,
        c: &Collection,
        token: &TokenDigest,
        at: DateTime<Utc>,
    ) -> Result<(), UpdateError>;
}

/// What submissions left to send (the notify function's role): receipts and review notices.
#[async_trait]
pub trait MailOutbox: Send + Sync {
    /// Submitted collections with something left to send, oldest first.
    async fn outbox(&self) -> Result<Vec<(TenantId, CollectionId)>, Unavailable>;

    /// Writes what is left of `c`'s outbox (`None`: nothing, and it leaves the queue); the
    /// address goes once no receipt is owed. Conditional on the version read.
    async fn settle_outbox(
        &self,
        c: &Collection,
        left: Option<&crate::notification::Outbox>,
    ) -> Result<(), UpdateError>;

    /// The tenant's turn for a review notice: `true` (and the turn taken) when its last one
    /// is at least an hour old, or there was none.
    async fn review_notice_turn(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<bool, Unavailable>;
}

/// Confirming a self-service submission.
#[async_trait]
pub trait RecordReview: Send + Sync {
    /// Makes a pending record active with `verification`, conditional on its version.
    async fn confirm_record(
        &self,
        record: &Record<()>,
        verification: &crate::verification::Verification,
    ) -> Result<(), UpdateError>;
}

impl Collection {
    /// The document `id` uploaded through this link.
    pub fn document(&self, id: &crate::document::DocumentId) -> DocumentRef {
        DocumentRef {
            tenant_id: self.tenant_id.clone(),
            collection_id: self.collection_id.clone(),
            document_id: id.clone(),
        }
    }
}

/// How many of the tenant's collections a filter admits (the home page's counts).
#[async_trait]
pub trait CollectionCounts: Send + Sync {
    async fn count_collections(
        &self,
        tenant: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
    ) -> Result<u64, Unavailable>;
}

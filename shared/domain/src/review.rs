//! The registrar's side of self-service collection (SPEC §4a), run by the review
//! function: opening, listing and cancelling links, and reviewing what employees
//! submitted (confirm with the verification used, or reject). It holds no cipher.

use crate::audit::{AuditKind, Caller};
use crate::collection::{
    Collection, CollectionFilter, CollectionId, CollectionRequest, CollectionState,
    CollectionToken, CollectionView,
};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::document::{Deleted, Document, DocumentId, DocumentLink, DocumentView, VIEW_SECONDS};
use crate::error::{Conflict, VaultError};
use crate::ids::{RecordId, Subject};
use crate::notification::{LINK, LinkMail, NotificationKind};
use crate::notify::{About, Notifier};
use crate::ports::{
    AuditTrail, CollectionWrites, Disposed, DocumentErasure, DocumentRef, DocumentViews,
    LinkTokens, Page, PageRequest, RecordDisposal, RecordDocuments, RecordReads, RecordReview,
    UpdateError,
};
use crate::record::{Content, Record, RecordView};
use crate::retention::jst_today;
use crate::usecase::Authorised;
use crate::usecase::{Core, live_record};
use crate::verification::{IdentityCheck, NumberCheck, Verification};
use chrono::NaiveDate;
use std::sync::Arc;

crate::usecase::operations! {
    CreateCollection = (CollectionCreated, CreateCollection);
    ListCollections = (ListCollections, ListCollections);
    CancelCollection = (CollectionCancelled, CancelCollection);
    ResendLink = (LinkResent, ResendLink);
    Confirm = (Confirmed, ConfirmRecord);
    Reject = (Disposal, RejectRecord);
    ListDocuments = (ListDocuments, ReviewDocuments);
    ViewDocument = (ViewDocument, ReviewDocuments);
}

/// The store ports review needs; all within the review role, which has no KMS key.
pub trait ReviewStore:
    RecordReads
    + RecordDisposal
    + RecordReview
    + CollectionWrites
    + LinkTokens
    + RecordDocuments
    + AuditTrail
{
}
impl<
    T: RecordReads
        + RecordDisposal
        + RecordReview
        + CollectionWrites
        + LinkTokens
        + RecordDocuments
        + AuditTrail,
> ReviewStore for T
{
}

/// The object storage review may use: hand a registrar a short-lived download, delete.
pub trait ReviewStorage: DocumentViews + DocumentErasure {}
impl<T: DocumentViews + DocumentErasure> ReviewStorage for T {}

/// The verification a registrar confirms a submission with.
#[derive(Debug, Clone)]
pub struct ConfirmInput {
    pub record_id: RecordId,
    pub number_check: NumberCheck,
    pub identity_check: IdentityCheck,
    pub verified_by: Option<Subject>,
    pub verified_on: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct RejectInput {
    pub record_id: RecordId,
    pub reason: String,
}

/// Tries a new link makes before it answers 409 when other links for the same employee
/// keep being opened meanwhile.
const OPEN_ATTEMPTS: usize = 3;

/// A new link: what the registrar's API shows of it, and its token, which the handler
/// puts into the link's URL once and which is never stored.
#[derive(Debug)]
pub struct OpenedLink {
    pub view: CollectionView,
    pub token: crate::collection::CollectionToken,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// When the link was emailed: the sent log's entry and how the send went.
    pub delivery: Option<crate::notification::Delivery>,
}

pub struct ReviewService {
    core: Core,
    store: Arc<dyn ReviewStore>,
    objects: Arc<dyn ReviewStorage>,
    mail: Option<Notifier>,
}

impl ReviewService {
    pub fn new(core: Core, store: Arc<dyn ReviewStore>, objects: Arc<dyn ReviewStorage>) -> Self {
        ReviewService {
            core,
            store,
            objects,
            mail: None,
        }
    }

    /// Links given an address are emailed through `mail`.
    pub fn with_mail(mut self, mail: Notifier) -> Self {
        self.mail = Some(mail);
        self
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// `POST /v1/collections`: a new link, which cancels the employee's open one.
    pub async fn create_collection(
        &self,
        auth: Authorised<'_, ops::CreateCollection>,
        input: CollectionRequest,
    ) -> Result<OpenedLink, VaultError> {
        auth.run(async |event, principal, now| {
            let input = input;
            event.employee_id = Some(input.employee_id.clone());
            let mut attempt = 0;
            loop {
                attempt += 1;
                match self.open_once(&input, principal, now, event).await {
                    // Another link for the employee was opened meanwhile: read
                    // again, so that the newest request's link is the one that works.
                    Err(VaultError::Conflict(Conflict::Concurrent)) if attempt < OPEN_ATTEMPTS => {}
                    Ok(mut opened) => {
                        if let (Some(to), Some(mail)) = (&input.email, &self.mail) {
                            opened.delivery =
                                Some(self.email_link(mail, to, &opened, event, now).await?);
                        }
                        return Ok(opened);
                    }
                    other => return other,
                }
            }
        })
        .await
    }

    /// Emails a new link; a failed send leaves the link as it is (the registrar can still
    /// hand it over) and says so in the delivery.
    async fn email_link(
        &self,
        mail: &Notifier,
        to: &crate::notification::EmailAddress,
        opened: &OpenedLink,
        event: &crate::audit::AuditEvent,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::notification::Delivery, VaultError> {
        let tenant = event
            .tenant_id
            .as_ref()
            .expect("an authorised event names its tenant");
        let settings = mail.settings(tenant).await?;
        let v = &opened.view;
        let email = LinkMail {
            to,
            sender: &settings.sender_name,
            employee_id: &v.employee_id,
            purposes: &v.purposes,
            include_family: v.include_family,
            expires_at: opened.expires_at,
            url: &opened.token.url(mail.public_base_url()),
        }
        .render(&LINK);
        let about = About {
            tenant,
            kind: NotificationKind::Link,
            collection_id: Some(&v.collection_id),
            employee_id: Some(&v.employee_id),
        };
        Ok(mail.deliver(&self.core, event, about, &email, now).await)
    }

    /// Reads the employee's latest link and writes the new one in its place.
    async fn open_once(
        &self,
        input: &CollectionRequest,
        principal: &crate::access::Principal,
        now: chrono::DateTime<chrono::Utc>,
        event: &mut crate::audit::AuditEvent,
    ) -> Result<OpenedLink, VaultError> {
        let tenant = &principal.tenant;
        let latest = self
            .store
            .latest_collection(tenant, &input.employee_id)
            .await?;
        let previous = match &latest {
            Some(id) => self.store.get_collection(tenant, id).await?,
            None => None,
        };
        let token = CollectionToken::new_random();
        let collection = Collection {
            collection_id: CollectionId::new_random(),
            tenant_id: tenant.clone(),
            employee_id: input.employee_id.clone(),
            purposes: input.purposes.clone(),
            include_family: input.include_family,
            state: CollectionState::Open,
            attempts: 0,
            document_ids: Vec::new(),
            email: input.email.clone(),
            mailed_at: input.email.as_ref().map(|_| now),
            reminder_tokens: Vec::new(),
            outbox: None,
            expires_at: input.expires_at(now),
            created_at: now,
            created_by: principal.sub.clone(),
            token: token.digest(),
            version: 1,
        };
        event.collection_id = Some(collection.collection_id.clone());
        self.store
            .open_collection(&collection, latest.as_ref(), previous.as_ref())
            .await?;
        Ok(OpenedLink {
            view: collection.view(now),
            expires_at: collection.expires_at,
            token,
            delivery: None,
        })
    }

    /// `GET /v1/collections`: newest first; never a token or a link.
    pub async fn list_collections(
        &self,
        auth: Authorised<'_, ops::ListCollections>,
        input: (CollectionFilter, PageRequest),
    ) -> Result<Page<CollectionView>, VaultError> {
        auth.run(async |event, principal, now| {
            let (filter, page) = input;
            event.employee_id = filter.employee_id.clone();
            let page = self
                .store
                .list_collections(&principal.tenant, &filter, now, &page)
                .await?;
            event.count = Some(page.items.len() as u64);
            Ok(Page {
                items: page.items.iter().map(|c| c.view(now)).collect(),
                next_cursor: page.next_cursor,
            })
        })
        .await
    }

    /// `DELETE /v1/collections/{id}`: the link stops working. Cancelling a cancelled or
    /// expired link is harmless; a submitted or locked one is a conflict.
    pub async fn cancel_collection(
        &self,
        auth: Authorised<'_, ops::CancelCollection>,
        input: CollectionId,
    ) -> Result<CollectionView, VaultError> {
        auth.run(async |event, principal, now| {
            let id = input;
            event.collection_id = Some(id.clone());
            let mut c = self
                .store
                .get_collection(&principal.tenant, &id)
                .await?
                .ok_or(VaultError::NotFound)?;
            event.employee_id = Some(c.employee_id.clone());
            match c.state {
                CollectionState::Cancelled => return Ok(c.view(now)),
                CollectionState::Submitted | CollectionState::Locked => {
                    return Err(VaultError::Conflict(Conflict::CollectionClosed));
                }
                CollectionState::Open => {}
            }
            self.store.cancel_collection(&c).await?;
            c.state = CollectionState::Cancelled;
            c.version += 1;
            Ok(c.view(now))
        })
        .await
    }

    /// `POST /v1/collections/{id}/resend`: emails an open link again to the address it was
    /// sent to, with a link of its own (filed beside the others, as a reminder's is: every
    /// link the employee holds keeps working). 409 `collection_closed` when the link no
    /// longer opens; 409 `not_emailed` when it was never emailed.
    pub async fn resend_link(
        &self,
        auth: Authorised<'_, ops::ResendLink>,
        input: CollectionId,
    ) -> Result<crate::notification::Delivery, VaultError> {
        auth.run(async |event, principal, now| {
            event.collection_id = Some(input.clone());
            let c = self
                .store
                .get_collection(&principal.tenant, &input)
                .await?
                .ok_or(VaultError::NotFound)?;
            event.employee_id = Some(c.employee_id.clone());
            if c.status(now) != crate::collection::CollectionStatus::Open {
                return Err(VaultError::Conflict(Conflict::CollectionClosed));
            }
            let (Some(to), Some(mail)) = (&c.email, &self.mail) else {
                return Err(VaultError::Conflict(Conflict::NotEmailed));
            };
            let token = CollectionToken::new_random();
            match self.store.add_reminder(&c, &token.digest(), now).await {
                Ok(()) => {}
                Err(UpdateError::Concurrent) => {
                    return Err(VaultError::Conflict(Conflict::Concurrent));
                }
                Err(UpdateError::Unavailable(e)) => return Err(e.into()),
            }
            let settings = mail.settings(&principal.tenant).await?;
            let url = token.url(mail.public_base_url());
            let email = c.link_mail(to, &settings.sender_name, &url).render(&LINK);
            let about = About {
                tenant: &principal.tenant,
                kind: NotificationKind::Link,
                collection_id: Some(&c.collection_id),
                employee_id: Some(&c.employee_id),
            };
            Ok(mail.deliver(&self.core, event, about, &email, now).await)
        })
        .await
    }

    /// A live record awaiting review, or 404 / 409 `not_pending`.
    async fn pending(
        &self,
        tenant: &crate::ids::TenantId,
        id: &RecordId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Record, VaultError> {
        let record = live_record(self.store.as_ref(), tenant, id, now).await?;
        match record.content {
            Content::Pending { .. } => Ok(record),
            _ => Err(VaultError::Conflict(Conflict::NotPending)),
        }
    }

    /// `POST /v1/records/{id}/confirm`: the registrar states how they verified the
    /// submission (the §2.2 rules apply as at intake); the record becomes active.
    pub async fn confirm(
        &self,
        auth: Authorised<'_, ops::Confirm>,
        input: ConfirmInput,
    ) -> Result<RecordView, VaultError> {
        let caller = auth.caller();
        auth.run(async |event, principal, now| {
            let input = input;
            event.record_id = Some(input.record_id.clone());
            let record = self
                .pending(&principal.tenant, &input.record_id, now)
                .await?;
            event.employee_id = Some(record.employee_id.clone());
            event.relation = Some(record.relation.kind());
            let verification = Verification::check(
                &record.relation,
                &record.purposes,
                input.number_check,
                input.identity_check,
                input.verified_by.unwrap_or_else(|| principal.sub.clone()),
                input.verified_on,
                jst_today(now),
            )
            .map_err(|(field, rule)| VaultError::invalid(field, rule.code()))
            .map(|v| Verification {
                confirmed_at: Some(now),
                ..v
            })?;
            let metadata = record.metadata();
            self.store
                .confirm_record(&metadata, &verification)
                .await
                .map_err(|e| match e {
                    UpdateError::Concurrent => VaultError::Conflict(Conflict::Concurrent),
                    UpdateError::Unavailable(u) => u.into(),
                })?;
            let mut confirmed = metadata;
            confirmed.content = Content::Active {
                verification,
                ciphertext: (),
            };
            confirmed.version += 1;
            self.delete_documents(caller, &record, now).await;
            Ok(confirmed.view())
        })
        .await
    }

    /// `POST /v1/records/{id}/reject`: the submission is deleted, number and all, and a
    /// disposal record (reason `rejected`) keeps the registrar's note.
    pub async fn reject(
        &self,
        auth: Authorised<'_, ops::Reject>,
        input: RejectInput,
    ) -> Result<DisposalRecord, VaultError> {
        let caller = auth.caller();
        auth.run(async |event, principal, now| {
            let input = input;
            event.record_id = Some(input.record_id.clone());
            let note = crate::disposal::DisposalNote::parse(&input.reason)
                .map_err(|rule| VaultError::invalid("reason", rule.code()))?;
            let record = self
                .pending(&principal.tenant, &input.record_id, now)
                .await?;
            event.employee_id = Some(record.employee_id.clone());
            event.relation = Some(record.relation.kind());
            event.reason = Some(DisposalReason::Rejected.into());
            let mut disposal = DisposalRecord::for_record(
                &record,
                DisposalReason::Rejected,
                Disposer::Principal(principal.sub.clone()),
                now,
                self.core.config.backup_window_days,
            );
            disposal.note = Some(note);
            let documents = self.record_documents(&record).await?;
            disposal.documents_deleted = documents.len() as u64;
            match self.store.dispose(&record.metadata(), &disposal).await? {
                Disposed::Now => {
                    self.delete(caller, &record, documents, now).await;
                    Ok(disposal)
                }
                Disposed::AlreadyGone => Err(VaultError::NotFound),
            }
        })
        .await
    }

    /// `GET /v1/records/{id}/documents`: the photos a submission attached, while it awaits
    /// review. Any other record (another tenant's, confirmed, gone) is 404.
    pub async fn list_documents(
        &self,
        auth: Authorised<'_, ops::ListDocuments>,
        input: RecordId,
    ) -> Result<Vec<DocumentView>, VaultError> {
        auth.run(async |event, principal, now| {
            let record_id = input;
            event.record_id = Some(record_id.clone());
            let record = self.reviewable(&principal.tenant, &record_id, now).await?;
            event.employee_id = Some(record.employee_id.clone());
            let documents = self.record_documents(&record).await?;
            event.count = Some(documents.len() as u64);
            Ok(documents.iter().map(Document::view).collect())
        })
        .await
    }

    /// `GET /v1/records/{id}/documents/{doc}`: a download valid `VIEW_SECONDS`, handed out
    /// only once the durable trail holds who asked for which photo (fail closed).
    pub async fn view_document(
        &self,
        auth: Authorised<'_, ops::ViewDocument>,
        input: (RecordId, DocumentId),
    ) -> Result<DocumentLink, VaultError> {
        auth.run(async |event, principal, now| {
            let (record_id, document_id) = input;
            event.record_id = Some(record_id.clone());
            event.document_id = Some(document_id.clone());
            let record = self.reviewable(&principal.tenant, &record_id, now).await?;
            event.employee_id = Some(record.employee_id.clone());
            let document = self
                .store
                .get_document(&DocumentRef {
                    tenant_id: principal.tenant.clone(),
                    collection_id: submitted_through(&record)?.clone(),
                    document_id,
                })
                .await?
                .filter(|d| d.record_id.as_ref() == Some(&record_id))
                .ok_or(VaultError::NotFound)?;
            event.collection_id = Some(document.collection_id.clone());
            let mut trail = event.clone();
            trail.outcome = crate::audit::Outcome::Authorized;
            self.store
                .append_audit(&trail, now + self.core.config.audit_retention)
                .await?;
            let url = self
                .objects
                .presign_view(&document.object_key(), VIEW_SECONDS)
                .await?;
            Ok(DocumentLink {
                url,
                expires_in: VIEW_SECONDS,
            })
        })
        .await
    }

    /// A record pending review; anything else is 404 on the document routes (their
    /// photos exist only for the review).
    async fn reviewable(
        &self,
        tenant: &crate::ids::TenantId,
        id: &RecordId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Record, VaultError> {
        self.pending(tenant, id, now).await.map_err(|e| match e {
            VaultError::Conflict(Conflict::NotPending) => VaultError::NotFound,
            other => other,
        })
    }

    async fn record_documents(&self, record: &Record) -> Result<Vec<Document>, VaultError> {
        Ok(self
            .store
            .record_documents(
                &record.tenant_id,
                submitted_through(record)?,
                &record.record_id,
            )
            .await?)
    }

    /// After a confirmation: the photos are no longer needed.
    async fn delete_documents(
        &self,
        caller: &Caller,
        record: &Record,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        match self.record_documents(record).await {
            Ok(documents) => self.delete(caller, record, documents, now).await,
            // The entries stay due on the review deadline: the purge deletes them then.
            Err(e) => tracing::warn!(error = %e, "document photos not listed after review"),
        }
    }

    /// Deletes each photo (object, then entry). A failure makes the entry due today, so the
    /// next purge retries it; the `documents_deleted` event counts both.
    async fn delete(
        &self,
        caller: &Caller,
        record: &Record,
        documents: Vec<Document>,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        if documents.is_empty() {
            return;
        }
        let mut result = Deleted::default();
        for document in documents {
            let reference = document.reference();
            let gone = match self.objects.delete_object(&document.object_key()).await {
                Ok(()) => self.store.forget_document(&reference).await,
                Err(e) => Err(e),
            };
            match gone {
                Ok(()) => result.deleted += 1,
                Err(e) => {
                    result.failed += 1;
                    tracing::warn!(error = %e.0, "a document photo was not deleted; the purge retries");
                    if let Err(e) = self.store.document_due(&reference, jst_today(now)).await {
                        tracing::warn!(error = %e.0, "a failed deletion was not rescheduled; the review deadline still applies");
                    }
                }
            }
        }
        let mut event =
            crate::audit::AuditEvent::new(AuditKind::DocumentsDeleted, None, caller, now);
        event.tenant_id = Some(record.tenant_id.clone());
        event.record_id = Some(record.record_id.clone());
        event.employee_id = Some(record.employee_id.clone());
        event.count = Some(result.deleted);
        event.remaining = Some(result.failed);
        if result.failed > 0 {
            event.outcome = crate::audit::Outcome::Failed;
        }
        self.core.emit(&event);
    }
}

/// The link a pending record was submitted through.
fn submitted_through(record: &Record) -> Result<&CollectionId, VaultError> {
    match &record.content {
        Content::Pending { submitted, .. } => Ok(&submitted.collection_id),
        _ => Err(VaultError::NotFound),
    }
}

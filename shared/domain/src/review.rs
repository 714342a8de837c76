//! The registrar's side of self-service collection (SPEC §4a), run by the intake
//! function: opening, listing and cancelling links, and reviewing what employees
//! submitted (confirm with the verification used, or reject). It holds no cipher.

use crate::access::Action;
use crate::audit::{AuditKind, Caller};
use crate::collection::{
    Collection, CollectionFilter, CollectionId, CollectionRequest, CollectionState,
    CollectionToken, CollectionView,
};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::error::{Conflict, VaultError};
use crate::ids::{RecordId, Subject};
use crate::ports::{
    CollectionWrites, Disposed, Page, PageRequest, RecordDisposal, RecordReads, RecordReview,
    UpdateError,
};
use crate::record::{Content, Record, RecordView};
use crate::retention::jst_today;
use crate::usecase::{Core, live_record};
use crate::verification::{IdentityCheck, NumberCheck, Verification};
use chrono::NaiveDate;
use std::sync::Arc;

/// The store ports review needs; all within intake's role.
pub trait ReviewStore: RecordReads + RecordDisposal + RecordReview + CollectionWrites {}
impl<T: RecordReads + RecordDisposal + RecordReview + CollectionWrites> ReviewStore for T {}

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

pub struct ReviewService {
    core: Core,
    store: Arc<dyn ReviewStore>,
    /// Where the employee's form is served (`{base}/collect`).
    public_base_url: String,
}

impl ReviewService {
    pub fn new(
        core: Core,
        store: Arc<dyn ReviewStore>,
        public_base_url: impl Into<String>,
    ) -> Self {
        ReviewService {
            core,
            store,
            public_base_url: public_base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// `POST /v1/collections`: a new link, which cancels the employee's open one.
    pub async fn create_collection(
        &self,
        caller: &Caller,
        input: Result<CollectionRequest, VaultError>,
    ) -> Result<CollectionView, VaultError> {
        self.core
            .audited(
                AuditKind::CollectionCreated,
                Action::CreateCollection,
                caller,
                async |event, principal, now| {
                    let input = input?;
                    event.employee_id = Some(input.employee_id.clone());
                    let mut attempt = 0;
                    loop {
                        attempt += 1;
                        match self.open_once(&input, principal, now, event).await {
                            // Another link for the employee was opened meanwhile: read
                            // again, so that the newest request's link is the one that works.
                            Err(VaultError::Conflict(Conflict::Concurrent))
                                if attempt < OPEN_ATTEMPTS => {}
                            other => return other,
                        }
                    }
                },
            )
            .await
    }

    /// Reads the employee's latest link and writes the new one in its place.
    async fn open_once(
        &self,
        input: &CollectionRequest,
        principal: &crate::access::Principal,
        now: chrono::DateTime<chrono::Utc>,
        event: &mut crate::audit::AuditEvent,
    ) -> Result<CollectionView, VaultError> {
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
        let mut view = collection.view(now);
        view.url = Some(format!(
            "{}/collect#{}",
            self.public_base_url,
            token.expose()
        ));
        Ok(view)
    }

    /// `GET /v1/collections`: newest first; never a token or a link.
    pub async fn list_collections(
        &self,
        caller: &Caller,
        input: Result<(CollectionFilter, PageRequest), VaultError>,
    ) -> Result<Page<CollectionView>, VaultError> {
        self.core
            .audited(
                AuditKind::ListCollections,
                Action::ListCollections,
                caller,
                async |event, principal, now| {
                    let (filter, page) = input?;
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
                },
            )
            .await
    }

    /// `DELETE /v1/collections/{id}`: the link stops working. Cancelling a cancelled or
    /// expired link is harmless; a submitted or locked one is a conflict.
    pub async fn cancel_collection(
        &self,
        caller: &Caller,
        input: Result<CollectionId, VaultError>,
    ) -> Result<CollectionView, VaultError> {
        self.core
            .audited(
                AuditKind::CollectionCancelled,
                Action::CancelCollection,
                caller,
                async |event, principal, now| {
                    let id = input?;
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
                },
            )
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
        caller: &Caller,
        input: Result<ConfirmInput, VaultError>,
    ) -> Result<RecordView, VaultError> {
        self.core
            .audited(
                AuditKind::Confirmed,
                Action::ConfirmRecord,
                caller,
                async |event, principal, now| {
                    let input = input?;
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
                    .map_err(|(field, rule)| VaultError::invalid(field, rule.code()))?;
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
                    Ok(confirmed.view())
                },
            )
            .await
    }

    /// `POST /v1/records/{id}/reject`: the submission is deleted, number and all, and a
    /// disposal record (reason `rejected`) keeps the registrar's note.
    pub async fn reject(
        &self,
        caller: &Caller,
        input: Result<RejectInput, VaultError>,
    ) -> Result<DisposalRecord, VaultError> {
        self.core
            .audited(
                AuditKind::Disposal,
                Action::RejectRecord,
                caller,
                async |event, principal, now| {
                    let input = input?;
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
                    match self.store.dispose(&record.metadata(), &disposal).await? {
                        Disposed::Now => Ok(disposal),
                        Disposed::AlreadyGone => Err(VaultError::NotFound),
                    }
                },
            )
            .await
    }
}

//! The collect function's use case: the employee's side of a collection link (SPEC §4a).
//! There is no principal: the link's token is the only credential, so every failure to
//! find an open collection is one answer (`collection_not_found`) whatever the cause. It
//! may encrypt (a submitted number is sealed exactly as at intake), never decrypt.

use crate::audit::{AuditEvent, AuditKind, Caller, Outcome};
use crate::collection::{Collection, FormView, LinkCredential, MAX_DEPENDENTS};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::document::{
    Document, DocumentId, MAX_DOCUMENTS, UPLOAD_SECONDS, UploadRequest, UploadTicket, stored_rule,
};
use crate::error::FieldError;
use crate::error::{Conflict, VaultError};
use crate::ids::{RecordId, Subject};
use crate::number::MyNumber;
use crate::ports::{
    AddDocumentError, ClientAddress, ClientRequests, CollectionAccess, CreateError, DocumentChange,
    DocumentEntries, DocumentErasure, DocumentUploads, MatchCounter, MatchScope, NewRecord,
    NumberClaim, RecordReads, RecordWrites, SlotChange, UpdateError,
};
use crate::purpose::{Purpose, PurposeSet};
use crate::record::{Content, DependentLabel, Record, Relation, Source, Submitted};
use crate::retention::{Departure, jst_today};
use crate::usecase::Core;
use crate::verification::{IdentityCheck, NumberCheck, Refusal};
use chrono::{DateTime, DurationRound, Utc};
use serde::Serialize;
use std::sync::Arc;

mod link;

pub use link::{LinkOperation, OpenLink, link_ops};

/// The store ports the collect function's role allows.
pub trait SubmissionStore:
    RecordReads + RecordWrites + CollectionAccess + DocumentEntries + MatchCounter + ClientRequests
{
}
impl<
    T: RecordReads + RecordWrites + CollectionAccess + DocumentEntries + MatchCounter + ClientRequests,
> SubmissionStore for T
{
}

/// The object storage the collect function's role allows: presign uploads, look at what
/// arrived, delete a refused upload. It cannot read an object's bytes.
pub trait UploadStorage: DocumentUploads + DocumentErasure {}
impl<T: DocumentUploads + DocumentErasure> UploadStorage for T {}

/// The employee's own part: the number with the documents they say they hold, or a
/// refusal.
#[derive(Debug)]
pub enum OwnPart {
    Number {
        number: MyNumber,
        number_document: NumberCheck,
        identity_document: IdentityCheck,
    },
    Refusal {
        reason: String,
    },
}

#[derive(Debug)]
pub struct SpousePart {
    pub number: MyNumber,
    /// 国民年金第3号: the employer verifies this spouse.
    pub national_pension_dependent_spouse: bool,
}

#[derive(Debug)]
pub struct DependentPart {
    pub label: DependentLabel,
    pub number: MyNumber,
}

/// `POST /v1/collect`, parsed field by field by the handler.
#[derive(Debug)]
pub struct SubmissionInput {
    pub own: OwnPart,
    pub spouse: Option<SpousePart>,
    pub dependents: Vec<DependentPart>,
    /// The document photos the submission relies on (uploaded through this link).
    pub documents: Vec<DocumentId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmittedRecord {
    pub record_id: RecordId,
    pub relation: &'static str,
    pub status: crate::record::Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionView {
    pub records: Vec<SubmittedRecord>,
}

/// Who registered a self-service record: the employee through a link, not a principal
/// (the link itself is named by the record's `submitted` and by the audit events; a link
/// id is a UUID, which may end in 12 digits that a subject may not hold).
fn link_subject() -> Subject {
    Subject::parse("self-service-link").expect("a plain subject")
}

pub struct SubmissionService {
    core: Core,
    store: Arc<dyn SubmissionStore>,
    cipher: Arc<dyn crate::intake::IntakeCipher>,
    objects: Arc<dyn UploadStorage>,
}

impl SubmissionService {
    pub fn new(
        core: Core,
        store: Arc<dyn SubmissionStore>,
        cipher: Arc<dyn crate::intake::IntakeCipher>,
        objects: Arc<dyn UploadStorage>,
    ) -> Self {
        SubmissionService {
            core,
            store,
            cipher,
            objects,
        }
    }

    /// `POST /v1/collect/documents`: a document entry on the link and a short-lived URL
    /// to PUT its bytes to. At most `MAX_DOCUMENTS` a link, counted by the store.
    pub async fn request_upload(
        &self,
        link: OpenLink<'_, link_ops::Upload>,
        input: UploadRequest,
    ) -> Result<UploadTicket, VaultError> {
        link.run(async |event, c, now| self.upload_steps(c, input, now, event).await)
            .await
    }

    async fn upload_steps(
        &self,
        c: &Collection,
        input: UploadRequest,
        now: DateTime<Utc>,
        event: &mut AuditEvent,
    ) -> Result<UploadTicket, VaultError> {
        if c.document_ids.len() >= MAX_DOCUMENTS {
            return Err(VaultError::Conflict(Conflict::DocumentLimit));
        }
        let document = Document {
            document_id: DocumentId::new_random(),
            tenant_id: c.tenant_id.clone(),
            collection_id: c.collection_id.clone(),
            kind: input.kind,
            content_type: input.content_type,
            bytes: input.bytes,
            created_at: now,
            record_id: None,
            // An upload no submission names is deleted once its link has expired.
            due_on: jst_today(c.expires_at) + chrono::Duration::days(1),
        };
        event.document_id = Some(document.document_id.clone());
        self.store
            .add_document(c, &document, now)
            .await
            .map_err(|e| match e {
                AddDocumentError::Limit => VaultError::Conflict(Conflict::DocumentLimit),
                AddDocumentError::Closed => VaultError::CollectionNotFound,
                AddDocumentError::Unavailable(u) => u.into(),
            })?;
        let (upload_url, upload_headers) = self
            .objects
            .presign_upload(
                &document.object_key(),
                document.content_type,
                document.bytes,
            )
            .await?;
        Ok(UploadTicket {
            document_id: document.document_id,
            upload_url,
            expires_in: UPLOAD_SECONDS,
            upload_headers,
        })
    }

    /// Each named document must be this link's, named once, uploaded, at most 5 MB and
    /// of its announced type. A refused upload is deleted at once (entry and object), so
    /// that its place on the link is free for another try.
    async fn check_documents(
        &self,
        c: &Collection,
        named: &[DocumentId],
    ) -> Result<(), VaultError> {
        let mut errors = Vec::new();
        for (i, id) in named.iter().enumerate() {
            let field = format!("documents[{i}]");
            if named[..i].contains(id) {
                errors.push(FieldError::new(field, "duplicate"));
                continue;
            }
            if !c.document_ids.contains(id) {
                errors.push(FieldError::new(field, "unknown"));
                continue;
            }
            let reference = c.document(id);
            let Some(document) = self.store.get_document(&reference).await? else {
                errors.push(FieldError::new(field, "unknown"));
                continue;
            };
            let key = document.object_key();
            let stored = self.objects.inspect(&key).await?;
            if let Some(rule) = stored_rule(&document, stored.as_ref()) {
                if stored.is_some() {
                    self.objects.delete_object(&key).await?;
                    self.store.withdraw_document(&reference).await?;
                    tracing::warn!(rule, "a named document was refused and deleted");
                }
                errors.push(FieldError::new(field, rule));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(VaultError::Invalid(errors))
        }
    }

    /// The open collection a token names, or `CollectionNotFound` for every other case
    /// (401 only when the request carries no link credential at all). First of all, the
    /// caller's address counts one request of its minute: past the limit, 429 before
    /// anything is read, so one client cannot spend what every employee shares.
    async fn open(
        &self,
        caller: &Caller,
        credential: &LinkCredential,
        now: DateTime<Utc>,
    ) -> Result<Collection, VaultError> {
        if let Some(ip) = caller.source_ip {
            let minute = now
                .duration_trunc(chrono::Duration::minutes(1))
                .expect("a minute divides any timestamp");
            let admitted = self
                .store
                .count_client_request(
                    &ClientAddress::of(ip),
                    minute,
                    self.core.config.client_limit_per_minute,
                )
                .await?;
            if !admitted {
                return Err(VaultError::Throttled);
            }
        }
        let token = match credential {
            LinkCredential::Missing => return Err(VaultError::Unauthenticated),
            LinkCredential::Malformed => return Err(VaultError::CollectionNotFound),
            LinkCredential::Token(t) => t,
        };
        self.store
            .collection_by_token(&token.digest())
            .await?
            .filter(|c| c.is_open(now))
            .ok_or(VaultError::CollectionNotFound)
    }

    /// `GET /v1/collect`: what the form asks for.
    pub async fn describe(&self, link: OpenLink<'_, link_ops::View>) -> FormView {
        link.run(async |_, c, _| Ok(c.form_view()))
            .await
            .expect("a view cannot fail")
    }

    /// `POST /v1/collect`: every record of the submission at once, or none; the token is
    /// spent by the same transaction. An invalid submission counts against the link.
    pub async fn submit(
        &self,
        link: OpenLink<'_, link_ops::Submit>,
        input: SubmissionInput,
    ) -> Result<SubmissionView, VaultError> {
        link.run(async |event, collection, now| {
            let view = self.submit_steps(collection, input, now, event).await?;
            event.count = Some(view.records.len() as u64);
            Ok(view)
        })
        .await
    }

    /// Counts an invalid attempt before it is answered. One that could not be counted (the
    /// limit reached by attempts in parallel, or the link changed) gets the answer of an
    /// unusable link, so no more than the limit of attempts learn anything.
    async fn count_invalid_attempt(&self, collection: &Collection) -> Result<(), VaultError> {
        match self.store.count_invalid_attempt(collection).await {
            Ok(()) => Ok(()),
            Err(UpdateError::Concurrent) => Err(VaultError::CollectionNotFound),
            Err(UpdateError::Unavailable(u)) => Err(u.into()),
        }
    }

    /// A `duplicate_number` answer tells that a number is a coworker's, so the answers
    /// count against the hourly matches of the registrar who made the link, as an
    /// import's matches do (in a count of their own). Past the limit, every submission
    /// through that registrar's links that parses is refused before its numbers are looked
    /// up (`add` 0), so the refusal tells nothing (one that does not parse was refused, and
    /// counted against its link, before); a match (`add` 1) has its own audit event.
    async fn count_matches(
        &self,
        collection: &Collection,
        add: u32,
        now: DateTime<Utc>,
    ) -> Result<(), VaultError> {
        self.store
            .admit_matches(
                &collection.tenant_id,
                &collection.created_by,
                MatchScope::Links,
                crate::usecase::hour_of(now),
                add,
                if add == 0 {
                    self.core.config.match_limit_per_hour
                } else {
                    u32::MAX
                },
            )
            .await
    }

    async fn submit_steps(
        &self,
        collection: &Collection,
        input: SubmissionInput,
        now: DateTime<Utc>,
        event: &mut AuditEvent,
    ) -> Result<SubmissionView, VaultError> {
        self.count_matches(collection, 0, now).await?;
        let mut input = match family_allowed(collection, input) {
            Ok(input) => input,
            Err(e @ VaultError::Invalid(_)) => {
                // Counted before answering, so a guesser gets five answers however fast.
                self.count_invalid_attempt(collection).await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let today = jst_today(now);
        let tenant = &collection.tenant_id;
        let employee = &collection.employee_id;
        let employee_departure = self.store.employee_departure(tenant, employee).await?;
        let departure = employee_departure.filter(|d| !d.is_past_due(today));
        let named = std::mem::take(&mut input.documents);
        let planned = plan(collection, input, today)?;
        // The photos support the submission's first record awaiting review: the
        // employee's own number when given, otherwise their spouse's or first dependant's.
        let reviewed = planned
            .iter()
            .position(|p| matches!(p.content, PartContent::Number { .. }));
        if !named.is_empty() && reviewed.is_none() {
            return Err(VaultError::invalid("documents", "nothing_to_review"));
        }
        self.check_documents(collection, &named).await?;
        let mut news = Vec::with_capacity(planned.len());
        for part in planned {
            let slot = self.slot_change(collection, &part.relation, now).await?;
            let record = self.seal(collection, part, departure, now).await?;
            // The employee's own number claims its place in the duplicate index.
            let claim = match (&record.relation, &record.number_key) {
                (Relation::OwnNumber, Some(_)) => NumberClaim::Take,
                _ => NumberClaim::None,
            };
            news.push(NewRecord {
                record,
                slot,
                claim,
                idempotency: None,
                employee_departure,
            });
        }
        let documents =
            document_changes(collection, &named, reviewed.map(|i| &news[i].record), today);
        let records = news
            .iter()
            .map(|n| SubmittedRecord {
                record_id: n.record.record_id.clone(),
                relation: n.record.relation.code(),
                status: n.record.status(),
            })
            .collect();
        let outbox = outbox(collection, &news, named.len(), now);
        let mut outcome = self
            .store
            .submit(collection, news.clone(), documents.clone(), outbox.as_ref())
            .await;
        if outcome == Err(CreateError::OldClaimMoved) {
            // A replaced record's claim moved to another employee's record after it fell
            // past due: replace it without freeing the claim, once.
            let news = news.into_iter().map(NewRecord::keeping_old_claim).collect();
            outcome = self
                .store
                .submit(collection, news, documents, outbox.as_ref())
                .await;
        }
        match outcome {
            Ok(()) => Ok(SubmissionView { records }),
            Err(CreateError::SlotTaken) => Err(VaultError::Conflict(Conflict::RecordExists)),
            // Another employee's own number: said as a field error, never naming whose
            // (the person at the form is not HR), and counted like any invalid attempt.
            Err(CreateError::DuplicateNumber) => {
                self.count_invalid_attempt(collection).await?;
                let mut matched = event.clone();
                matched.event = AuditKind::NumberMatched;
                matched.reason = Some(crate::audit::Reason::DuplicateNumber);
                self.core.emit(&matched);
                self.count_matches(collection, 1, now).await?;
                Err(VaultError::invalid("self.my_number", "duplicate_number"))
            }
            // A twin submission spent the token first.
            Err(CreateError::CollectionChanged) => Err(VaultError::CollectionNotFound),
            Err(
                CreateError::ReplacedChanged
                | CreateError::DepartureChanged
                | CreateError::IdempotencyKeyUsed
                | CreateError::OldClaimMoved,
            ) => Err(VaultError::Conflict(Conflict::Concurrent)),
            Err(CreateError::Unavailable(e)) => Err(e.into()),
        }
    }

    /// The slot rules of intake: a free slot is claimed, a slot whose record is gone is
    /// taken over, a live holder is a conflict (HR replaces explicitly, not the link).
    async fn slot_change(
        &self,
        c: &Collection,
        relation: &Relation,
        now: DateTime<Utc>,
    ) -> Result<SlotChange, VaultError> {
        let Some(slot) = relation.slot() else {
            return Ok(SlotChange::None);
        };
        let Some(old_id) = self
            .store
            .slot_holder(&c.tenant_id, &c.employee_id, slot)
            .await?
        else {
            return Ok(SlotChange::Claim);
        };
        let Some(old) = self.store.get_record(&c.tenant_id, &old_id).await? else {
            return Ok(SlotChange::Reclaim { missing: old_id });
        };
        if !old.is_gone(jst_today(now)) {
            return Err(VaultError::Conflict(Conflict::RecordExists));
        }
        let disposal = DisposalRecord::for_record(
            &old,
            DisposalReason::RetentionEnded,
            Disposer::Schedule,
            now,
            self.core.config.backup_window_days,
        );
        Ok(SlotChange::Replace {
            old: Box::new(old),
            disposal: Box::new(disposal),
            free_claim: true,
        })
    }

    async fn seal(
        &self,
        c: &Collection,
        part: Part,
        departure: Option<Departure>,
        now: DateTime<Utc>,
    ) -> Result<Record, VaultError> {
        let record_id = RecordId::new_random();
        let (content, number_key) = match part.content {
            PartContent::Number { number, submitted } => {
                // The ciphertext and the duplicate index's key at once.
                let (ciphertext, mac) = futures::join!(
                    self.cipher.encrypt(&c.tenant_id, &record_id, &number),
                    self.cipher.fingerprint(&c.tenant_id, &number)
                );
                (
                    Content::Pending {
                        ciphertext: ciphertext?,
                        submitted,
                    },
                    Some(crate::ids::NumberKey::from_mac(&mac?)),
                )
            }
            PartContent::Refusal(refusal) => (Content::Refused { refusal }, None),
        };
        Ok(Record {
            record_id,
            tenant_id: c.tenant_id.clone(),
            employee_id: c.employee_id.clone(),
            relation: part.relation,
            purposes: part.purposes,
            content,
            source: Source::SelfService,
            created_at: now,
            created_by: link_subject(),
            departure,
            version: 1,
            number_key,
        })
    }
}

/// What the notify function is to send for this submission: the receipt when the link
/// was emailed, HR's notice when a record awaits review.
fn outbox(
    c: &Collection,
    news: &[NewRecord],
    photos: usize,
    now: DateTime<Utc>,
) -> Option<crate::notification::Outbox> {
    let count = |kind: crate::relation::RelationKind| {
        news.iter()
            .filter(|n| n.record.relation.kind() == kind)
            .count() as u32
    };
    let own_number = news.iter().any(|n| {
        n.record.relation == Relation::OwnNumber
            && matches!(n.record.content, Content::Pending { .. })
    });
    let review = news
        .iter()
        .any(|n| matches!(n.record.content, Content::Pending { .. }));
    let receipt = c.email.as_ref().map(|_| crate::notification::Received {
        own_number,
        spouse: count(crate::relation::RelationKind::Spouse) > 0,
        dependents: count(crate::relation::RelationKind::Dependent),
        photos: photos as u32,
    });
    (receipt.is_some() || review).then_some(crate::notification::Outbox {
        submitted_at: now,
        receipt,
        review,
    })
}

/// Named documents stay for the review of `record` (at most until its review window
/// closes); the link's other uploads, and all of them when no record awaits review, are
/// released to the next purge.
fn document_changes(
    c: &Collection,
    named: &[DocumentId],
    record: Option<&Record>,
    today: chrono::NaiveDate,
) -> Vec<DocumentChange> {
    c.document_ids
        .iter()
        .map(|id| {
            let document = c.document(id);
            match record.filter(|_| named.contains(id)) {
                Some(record) => DocumentChange::Attach {
                    document,
                    record_id: record.record_id.clone(),
                    due_on: record
                        .review_due_on()
                        .map_or(today, |d| d + chrono::Duration::days(1)),
                },
                None => DocumentChange::Release {
                    document,
                    due_on: today,
                },
            }
        })
        .collect()
}

fn name_collection(event: &mut AuditEvent, c: &Collection) {
    event.tenant_id = Some(c.tenant_id.clone());
    event.employee_id = Some(c.employee_id.clone());
    event.collection_id = Some(c.collection_id.clone());
    event.outcome = Outcome::Success;
}

/// Family parts only where the collection asked for them.
fn family_allowed(c: &Collection, input: SubmissionInput) -> Result<SubmissionInput, VaultError> {
    let mut errors = Vec::new();
    if !c.include_family {
        if input.spouse.is_some() {
            errors.push(crate::FieldError::new("spouse", "not_requested"));
        }
        if !input.dependents.is_empty() {
            errors.push(crate::FieldError::new("dependents", "not_requested"));
        }
    }
    if input.dependents.len() > MAX_DEPENDENTS {
        errors.push(crate::FieldError::new("dependents", "too_many"));
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(VaultError::Invalid(errors))
    }
}

enum PartContent {
    Number {
        number: MyNumber,
        submitted: Submitted,
    },
    Refusal(Refusal),
}

struct Part {
    relation: Relation,
    purposes: PurposeSet,
    content: PartContent,
}

/// One record per part: the collection's purposes for each, and 国民年金第3号 added for a
/// spouse the employee says is one.
fn plan(
    c: &Collection,
    input: SubmissionInput,
    today: chrono::NaiveDate,
) -> Result<Vec<Part>, VaultError> {
    let submitted = |number_document, identity_document| Submitted {
        collection_id: c.collection_id.clone(),
        number_document,
        identity_document,
    };
    let mut parts = Vec::new();
    let own = match input.own {
        OwnPart::Number {
            number,
            number_document,
            identity_document,
        } => PartContent::Number {
            number,
            submitted: submitted(Some(number_document), Some(identity_document)),
        },
        OwnPart::Refusal { reason } => PartContent::Refusal(
            Refusal::new(&reason, today, today).map_err(|(field, rule)| {
                VaultError::invalid(format!("self.{field}"), rule.code())
            })?,
        ),
    };
    parts.push(Part {
        relation: Relation::OwnNumber,
        purposes: c.purposes.clone(),
        content: own,
    });
    if let Some(spouse) = input.spouse {
        let mut purposes: Vec<Purpose> = c.purposes.iter().collect();
        if spouse.national_pension_dependent_spouse
            && !purposes.contains(&Purpose::NationalPensionDependentSpouse)
        {
            purposes.push(Purpose::NationalPensionDependentSpouse);
        }
        parts.push(Part {
            relation: Relation::Spouse,
            purposes: PurposeSet::new(purposes).expect("the collection's purposes are not empty"),
            content: PartContent::Number {
                number: spouse.number,
                submitted: submitted(None, None),
            },
        });
    }
    for d in input.dependents {
        parts.push(Part {
            relation: Relation::Dependent(d.label),
            purposes: c.purposes.clone(),
            content: PartContent::Number {
                number: d.number,
                submitted: submitted(None, None),
            },
        });
    }
    Ok(parts)
}

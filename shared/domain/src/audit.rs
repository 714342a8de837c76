//! Audit events (SPEC §2.4): who did what, when, from where, to which record, for which
//! purpose, and how it ended. Every field is a typed id, an enum or a static code, so no
//! free text — and so no My Number — can be put into one.
//!
//! This is the one definition of an audit event: the functions serialise it onto their
//! logs and `mynumber-audit` deserialises it back, and `docs/audit-event.schema.json` is
//! held to it by the tests in `audit/schema_check.rs`.

use crate::access::{Action, Principal, Role};
use crate::disposal::{DisposalReason, DisposalRecord};
use crate::error::{ErrorClass, VaultError};
use crate::ids::{EmployeeId, RecordId, RequestId, Subject, TenantId};
use crate::purpose::Purpose;
use crate::record::{RelationKind, timestamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

#[cfg(test)]
mod schema_check;

use crate::words::vocabulary;

vocabulary! {
    /// Tells audit lines from diagnostics and metrics on the same log.
    pub enum LogType {
        Audit = "audit",
    }
}

vocabulary! {
    /// Version of the audit event schema; bumped on any incompatible change.
    pub enum SchemaVersion {
        V1 = "mynumber-vault.audit/1",
    }
}

/// Version of the audit event schema; bumped on any incompatible change.
pub const AUDIT_SCHEMA: &str = SchemaVersion::V1.code();

vocabulary! {
    pub enum AuditKind {
        /// A number registered by a registrar. The wire word stays `intake`: the trail's
        /// words are never renamed, so that every year's logs read alike.
        Registration = "intake",
        RefusalRecorded = "refusal_recorded",
        List = "list",
        Reveal = "reveal",
        /// An action refused by policy (no principal, wrong role, purpose not stated).
        Denied = "denied",
        Departure = "departure",
        DepartureCancelled = "departure_cancelled",
        Disposal = "disposal",
        ListDisposals = "list_disposals",
        PurgeRun = "purge_run",
        AdvanceNotice = "advance_notice",
        CollectionCreated = "collection_created",
        ListCollections = "list_collections",
        CollectionCancelled = "collection_cancelled",
        /// A registrar emailed an open link again (a new link of its own).
        LinkResent = "link_resent",
        /// The employee's form read its link.
        CollectionViewed = "collection_viewed",
        /// The employee submitted through a link.
        Submission = "submission",
        /// A registrar confirmed a submission with the verification used.
        Confirmed = "confirmed",
        /// The employee's form asked to upload a document photo.
        DocumentUpload = "document_upload",
        /// A registrar listed a pending record's document photos.
        ListDocuments = "list_documents",
        /// A registrar was handed a download of one document photo.
        ViewDocument = "view_document",
        /// Document photos deleted (after a review, by the purge, or refused at submission).
        DocumentsDeleted = "documents_deleted",
        /// A CSV import: its counts (`count` created, `unchanged`, `failed`); each created
        /// row has its own `intake` event.
        Import = "import",
        /// A handler asked for an export (`count`: the records it selects).
        ExportRequested = "export_requested",
        /// Another handler or an admin approved an export.
        ExportApproved = "export_approved",
        /// The requester downloaded an export's file (`count`: numbers in it); each
        /// number also has its own `reveal` event in the trail.
        ExportDownloaded = "export_downloaded",
        /// An export passed its approval or download deadline.
        ExportExpired = "export_expired",
        ListExports = "list_exports",
        /// A number given to an import or a link matched a stored one (`unchanged` or
        /// `duplicate_number`): whose it is, never the number. Counted per principal and
        /// hour.
        NumberMatched = "number_matched",
        /// `mynumber-backfill` opened a number to file it in the duplicate index
        /// (`actor`: the operator); in the durable trail (`authorized`) before the Decrypt.
        BackfillOpened = "backfill_opened",
        /// An email handed to the provider, or not (`outcome`): its `notification` kind and
        /// its masked `recipient`, never the address or the body.
        NotificationSent = "notification_sent",
        /// The provider reported a bounce or a complaint for a sent email.
        DeliveryReported = "delivery_reported",
        ListNotifications = "list_notifications",
        ReadNotificationSettings = "read_notification_settings",
        NotificationSettingsChanged = "notification_settings_changed",
        /// A deletion certificate signed and stored (`count`: the disposals it states).
        CertificateIssued = "certificate_issued",
        ListCertificates = "list_certificates",
        /// A certificate handed out, as its signed JSON or its PDF.
        CertificateDownloaded = "certificate_downloaded",
        ReadOrganization = "read_organization",
        OrganizationChanged = "organization_changed",
        /// An auditor read the record of handling (`count`: the events listed).
        ListHandling = "list_handling",
        /// The home page's counts read (`count`: submissions awaiting review).
        ReadSummary = "read_summary",
    }
}

vocabulary! {
    pub enum Outcome {
        Success = "success",
        /// An idempotent retry answered with the first response.
        Replayed = "replayed",
        Denied = "denied",
        Invalid = "invalid",
        NotFound = "not_found",
        Conflict = "conflict",
        Failed = "failed",
        /// Written before a decrypt: the reveal was authorised and is about to happen.
        Authorized = "authorized",
    }
}

vocabulary! {
    /// Why an event ended as it did: the error code of a failed action (the API's problem
    /// `code`), the disposal reason of a disposal, or why a purge run ended early.
    pub enum Reason {
        InvalidRequest = "invalid_request",
        Unauthenticated = "unauthenticated",
        ForbiddenRole = "forbidden_role",
        PurposeNotStated = "purpose_not_stated",
        NotFound = "not_found",
        MethodNotAllowed = "method_not_allowed",
        RecordExists = "record_exists",
        NoNumber = "no_number",
        ConcurrentChange = "concurrent_change",
        PayloadTooLarge = "payload_too_large",
        UnsupportedMediaType = "unsupported_media_type",
        IdempotencyKeyReused = "idempotency_key_reused",
        Throttled = "throttled",
        DependencyFailed = "dependency_failed",
        NoLongerNeeded = "no_longer_needed",
        Withdrawn = "withdrawn",
        /// Registered in error.
        RegisteredInError = "error",
        Replaced = "replaced",
        RetentionEnded = "retention_ended",
        /// DynamoDB TTL deleted the record before the purge did.
        TtlBackstop = "ttl_backstop",
        /// A purge run stopped short of the Lambda deadline with work left for the next.
        Deadline = "deadline",
        /// A purge run in which a disposal failed.
        DisposalFailed = "disposal_failed",
        CollectionNotFound = "collection_not_found",
        PendingReview = "pending_review",
        NotPending = "not_pending",
        CollectionClosed = "collection_closed",
        NotEmailed = "not_emailed",
        DocumentLimit = "document_limit",
        DuplicateNumber = "duplicate_number",
        FourEyes = "four_eyes",
        NotRequester = "not_requester",
        NotApproved = "not_approved",
        ExportGone = "export_gone",
        NoRecords = "no_records",
        TooManyRecords = "too_many_records",
        /// A registrar rejected a submission.
        Rejected = "rejected",
        /// A submission left unconfirmed past its review window.
        Unconfirmed = "unconfirmed",
    }
}

impl From<&VaultError> for Reason {
    fn from(e: &VaultError) -> Self {
        // Every error code is a reason (a unit test holds the vocabularies to that).
        Reason::parse(e.code()).unwrap_or(Reason::DependencyFailed)
    }
}

impl From<DisposalReason> for Reason {
    fn from(r: DisposalReason) -> Self {
        match r {
            DisposalReason::NoLongerNeeded => Reason::NoLongerNeeded,
            DisposalReason::Withdrawn => Reason::Withdrawn,
            DisposalReason::Error => Reason::RegisteredInError,
            DisposalReason::Replaced => Reason::Replaced,
            DisposalReason::RetentionEnded => Reason::RetentionEnded,
            DisposalReason::TtlBackstop => Reason::TtlBackstop,
            DisposalReason::Rejected => Reason::Rejected,
            DisposalReason::Unconfirmed => Reason::Unconfirmed,
        }
    }
}

/// When an event happened: written as RFC 3339 UTC with milliseconds, read back from any
/// RFC 3339 time. Keeps its text because the store slices the day out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTime {
    at: DateTime<Utc>,
    text: String,
}

impl AuditTime {
    pub fn new(at: DateTime<Utc>) -> Self {
        AuditTime {
            at,
            text: timestamp(at),
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::ops::Deref for AuditTime {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for AuditTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for AuditTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for AuditTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let at = DateTime::parse_from_rfc3339(&text)
            .map_err(|e| serde::de::Error::custom(format!("time {text:?}: {e}")))?
            .with_timezone(&Utc);
        Ok(AuditTime { at, text })
    }
}

/// Who is calling and from where, as the function saw it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub request_id: Option<RequestId>,
    pub source_ip: Option<IpAddr>,
}

/// One audit event, as one JSON line. Optional fields are left out when `None`; reading
/// refuses unknown fields and values, as the schema does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    pub log_type: LogType,
    pub schema: SchemaVersion,
    pub event: AuditKind,
    pub time: AuditTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Subject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeSet<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<RecordId>,
    /// On collection events: the link (never its token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_id: Option<crate::collection::CollectionId>,
    /// On document events: the document photo (never its bytes or its URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<crate::document::DocumentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<EmployeeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<RelationKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// Items listed, records disposed of, and the like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_record_id: Option<RecordId>,
    /// On `purge_run`: due records left for the next run (past due, not yet disposed of).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// On `import`: rows that were already in the vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<u64>,
    /// On `import`: rows refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    /// On `import`: whether it was a dry run (nothing written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// On export events, and on the `reveal` of each number in an export's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_id: Option<crate::export::ExportId>,
    /// On `notification_sent` and `delivery_reported`: what the email was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<crate::notification::NotificationKind>,
    /// On `notification_sent`: the masked address (`t***@example.co.jp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<crate::notification::MaskedAddress>,
    /// On certificate events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<crate::ids::CertificateId>,
}

impl AuditEvent {
    pub fn new(
        event: AuditKind,
        action: Option<Action>,
        caller: &Caller,
        now: DateTime<Utc>,
    ) -> Self {
        let principal = caller.principal.as_ref();
        AuditEvent {
            log_type: LogType::Audit,
            schema: SchemaVersion::V1,
            event,
            time: AuditTime::new(now),
            action,
            outcome: Outcome::Success,
            reason: None,
            request_id: caller.request_id.clone(),
            actor: principal.map(|p| p.sub.clone()),
            roles: principal.map(|p| p.roles.clone()),
            tenant_id: principal.map(|p| p.tenant.clone()),
            source_ip: caller.source_ip,
            record_id: None,
            collection_id: None,
            document_id: None,
            employee_id: None,
            relation: None,
            purpose: None,
            count: None,
            replaced_record_id: None,
            remaining: None,
            unchanged: None,
            failed: None,
            dry_run: None,
            export_id: None,
            notification: None,
            recipient: None,
            certificate_id: None,
        }
    }
}

/// Where audit events go besides the table: the function's log output (CloudWatch Logs).
pub trait AuditSink: Send + Sync {
    fn emit(&self, event: &AuditEvent);
}

impl AuditEvent {
    /// The event of `disposal` at `time`: the one way every disposal (early, replaced,
    /// scheduled, by TTL) is audited.
    pub fn disposal(
        disposal: &DisposalRecord,
        caller: &Caller,
        action: Option<Action>,
        time: DateTime<Utc>,
    ) -> AuditEvent {
        let mut event = AuditEvent::new(AuditKind::Disposal, action, caller, time);
        event.tenant_id = Some(disposal.tenant_id.clone());
        event.record_id = Some(disposal.record_id.clone());
        event.employee_id = Some(disposal.employee_id.clone());
        event.relation = Some(disposal.relation);
        event.reason = Some(disposal.reason.into());
        event
    }
}

/// How an action that failed with `e` ended, for its audit event.
impl From<&VaultError> for Outcome {
    fn from(e: &VaultError) -> Self {
        match e.kind().class() {
            ErrorClass::Denied => Outcome::Denied,
            ErrorClass::Invalid => Outcome::Invalid,
            ErrorClass::NotFound => Outcome::NotFound,
            ErrorClass::Conflict => Outcome::Conflict,
            ErrorClass::Failed => Outcome::Failed,
        }
    }
}

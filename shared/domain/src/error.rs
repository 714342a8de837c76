//! The errors a caller can see, each with a stable machine `code` (`mynumber-http`
//! renders them as problems with their status and title). None carries input values:
//! field errors name the field and the rule only. Port errors become `VaultError`s in
//! `ports` and nowhere else, logged once for operators.

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path of the field (`verification.identity_check`, `purposes[1]`).
    pub field: String,
    /// Stable rule code (`length`, `check_digit`, `enum`, `required`, …).
    pub rule: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &'static str) -> Self {
        FieldError {
            field: field.into(),
            rule,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    WrongRole,
    PurposeNotStated,
    /// An export's requester may not approve it (four eyes).
    FourEyes,
    /// Only an export's requester may download its file.
    NotRequester,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A second `self` or `spouse` record without `"replace": true`.
    RecordExists,
    /// The record holds a refusal, so there is no number to reveal.
    NoNumber,
    /// Someone changed the record since it was read; retry.
    Concurrent,
    /// A self-service submission not yet confirmed: no one may reveal it.
    PendingReview,
    /// Confirm or reject of a record that is not awaiting review.
    NotPending,
    /// Cancel of a link already submitted or locked.
    CollectionClosed,
    /// A link already holds the most documents it may upload.
    DocumentLimit,
    /// An export's file before its approval; approving one already approved.
    NotApproved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportSize {
    NoRecords,
    /// More than `export::MAX_EXPORT_RECORDS`.
    TooManyRecords,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    #[error("no authenticated principal")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden(Forbidden),
    #[error("no such resource")]
    NotFound,
    /// A collection token that opens nothing: unknown, used, expired, cancelled or
    /// locked, all alike.
    #[error("no open collection for this link")]
    CollectionNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// An export whose selection holds no record, or more than an export may.
    #[error("the export's size is out of bounds")]
    ExportSize(ExportSize),
    /// An export that expired or whose one download was made.
    #[error("no longer available")]
    Gone,
    #[error("conflict")]
    Conflict(Conflict),
    /// The number is another employee's own number (SPEC §4b); names that employee.
    #[error("the number is another employee's")]
    DuplicateNumber(crate::ids::EmployeeId),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    #[error("too many requests")]
    Throttled,
    #[error("a dependency failed; nothing was written")]
    Unavailable,
}

impl VaultError {
    pub fn invalid(field: impl Into<String>, rule: &'static str) -> Self {
        VaultError::Invalid(vec![FieldError::new(field, rule)])
    }

    /// The stable machine code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Invalid(_) => "invalid_request",
            VaultError::Unauthenticated => "unauthenticated",
            VaultError::Forbidden(Forbidden::WrongRole) => "forbidden_role",
            VaultError::Forbidden(Forbidden::PurposeNotStated) => "purpose_not_stated",
            VaultError::Forbidden(Forbidden::FourEyes) => "four_eyes",
            VaultError::Forbidden(Forbidden::NotRequester) => "not_requester",
            VaultError::NotFound => "not_found",
            VaultError::CollectionNotFound => "collection_not_found",
            VaultError::MethodNotAllowed => "method_not_allowed",
            VaultError::Conflict(Conflict::RecordExists) => "record_exists",
            VaultError::Conflict(Conflict::NoNumber) => "no_number",
            VaultError::Conflict(Conflict::Concurrent) => "concurrent_change",
            VaultError::Conflict(Conflict::PendingReview) => "pending_review",
            VaultError::Conflict(Conflict::NotPending) => "not_pending",
            VaultError::Conflict(Conflict::CollectionClosed) => "collection_closed",
            VaultError::Conflict(Conflict::DocumentLimit) => "document_limit",
            VaultError::Conflict(Conflict::NotApproved) => "not_approved",
            VaultError::Gone => "export_gone",
            VaultError::ExportSize(ExportSize::NoRecords) => "no_records",
            VaultError::ExportSize(ExportSize::TooManyRecords) => "too_many_records",
            VaultError::DuplicateNumber(_) => "duplicate_number",
            VaultError::PayloadTooLarge => "payload_too_large",
            VaultError::UnsupportedMediaType => "unsupported_media_type",
            VaultError::IdempotencyMismatch => "idempotency_key_reused",
            VaultError::Throttled => "throttled",
            VaultError::Unavailable => "dependency_failed",
        }
    }
}

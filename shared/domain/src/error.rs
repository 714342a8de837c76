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
    /// A resend of a link that was never emailed.
    NotEmailed,
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
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    #[error("too many requests")]
    Throttled,
    #[error("a dependency failed; nothing was written")]
    Unavailable,
}

/// The error vocabulary, written once: each code with its HTTP status, the sentence a
/// problem carries as its title (constant per code) and the class of audit outcome it ends
/// an event with. `code()`, the problem's status and title, the audit `outcome` and `reason`
/// all come from here; `VaultError::kind` is the one match over the errors.
macro_rules! error_codes {
    ( $( $(#[$m:meta])* $variant:ident = $code:literal, $status:literal, $class:ident, $title:literal; )+ ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$m])* $variant ),+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The stable machine code clients branch on.
            pub const fn code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),+ }
            }

            pub const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status),+ }
            }

            /// A sentence for people; constant per code.
            pub const fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title),+ }
            }

            pub const fn class(self) -> ErrorClass {
                match self { $(ErrorCode::$variant => ErrorClass::$class),+ }
            }
        }
    };
}

/// How an error ends an audit event (`audit::Outcome` names each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Refused by policy: no principal, a role or purpose short, a limit reached.
    Denied,
    Invalid,
    NotFound,
    Conflict,
    Failed,
}

error_codes! {
    InvalidRequest = "invalid_request", 400, Invalid,
        "The request is invalid; see errors for each field.";
    Unauthenticated = "unauthenticated", 401, Denied, "No authenticated principal.";
    ForbiddenRole = "forbidden_role", 403, Denied, "Your roles do not allow this action.";
    PurposeNotStated = "purpose_not_stated", 403, Denied,
        "The record was not collected for this purpose.";
    FourEyes = "four_eyes", 403, Denied,
        "An export must be approved by someone other than its requester.";
    NotRequester = "not_requester", 403, Denied,
        "Only the export's requester may download its file.";
    NotFound = "not_found", 404, NotFound, "No such resource.";
    CollectionNotFound = "collection_not_found", 404, NotFound,
        "This link does not work: it is unknown, used, expired, cancelled or locked.";
    RecordExists = "record_exists", 409, Conflict,
        "A record of this relation exists for the employee; send \"replace\": true to replace it.";
    NoNumber = "no_number", 409, Conflict, "The record holds a refusal and no number.";
    ConcurrentChange = "concurrent_change", 409, Conflict,
        "The record changed while this request ran; retry.";
    PendingReview = "pending_review", 409, Conflict,
        "The record awaits a registrar's review: it cannot be revealed yet, and is rejected rather than disposed of or replaced.";
    NotPending = "not_pending", 409, Conflict, "The record is not awaiting review.";
    CollectionClosed = "collection_closed", 409, Conflict,
        "The collection was already submitted or locked.";
    NotEmailed = "not_emailed", 409, Conflict,
        "The link was never emailed; create a new link with the employee's address.";
    DocumentLimit = "document_limit", 409, Conflict,
        "This link already holds the most documents it may upload.";
    NotApproved = "not_approved", 409, Conflict,
        "The export is not awaiting this step: it must be approved first, and only once.";
    ExportGone = "export_gone", 410, NotFound,
        "The export expired or its one download was made; request a new one.";
    /// Nothing to export is a state of the tenant's records, not a fault of the request.
    NoRecords = "no_records", 409, Conflict,
        "No active record of the selection states this purpose.";
    TooManyRecords = "too_many_records", 422, Conflict,
        "The selection holds more than 10,000 records; export fewer employees at a time.";
    DuplicateNumber = "duplicate_number", 409, Conflict,
        "This number is already another employee's own number; see employee_id.";
    IdempotencyKeyReused = "idempotency_key_reused", 422, Conflict,
        "This Idempotency-Key was used with a different request.";
    Throttled = "throttled", 429, Denied, "Too many of these requests for now; retry later.";
    DependencyFailed = "dependency_failed", 503, Failed,
        "A dependency failed and nothing was written; retry.";
}

impl VaultError {
    pub fn invalid(field: impl Into<String>, rule: &'static str) -> Self {
        VaultError::Invalid(vec![FieldError::new(field, rule)])
    }

    /// Which code of the vocabulary this error is: the one match over the errors.
    pub fn kind(&self) -> ErrorCode {
        match self {
            VaultError::Invalid(_) => ErrorCode::InvalidRequest,
            VaultError::Unauthenticated => ErrorCode::Unauthenticated,
            VaultError::Forbidden(Forbidden::WrongRole) => ErrorCode::ForbiddenRole,
            VaultError::Forbidden(Forbidden::PurposeNotStated) => ErrorCode::PurposeNotStated,
            VaultError::Forbidden(Forbidden::FourEyes) => ErrorCode::FourEyes,
            VaultError::Forbidden(Forbidden::NotRequester) => ErrorCode::NotRequester,
            VaultError::NotFound => ErrorCode::NotFound,
            VaultError::CollectionNotFound => ErrorCode::CollectionNotFound,
            VaultError::Conflict(Conflict::RecordExists) => ErrorCode::RecordExists,
            VaultError::Conflict(Conflict::NoNumber) => ErrorCode::NoNumber,
            VaultError::Conflict(Conflict::Concurrent) => ErrorCode::ConcurrentChange,
            VaultError::Conflict(Conflict::PendingReview) => ErrorCode::PendingReview,
            VaultError::Conflict(Conflict::NotPending) => ErrorCode::NotPending,
            VaultError::Conflict(Conflict::CollectionClosed) => ErrorCode::CollectionClosed,
            VaultError::Conflict(Conflict::NotEmailed) => ErrorCode::NotEmailed,
            VaultError::Conflict(Conflict::DocumentLimit) => ErrorCode::DocumentLimit,
            VaultError::Conflict(Conflict::NotApproved) => ErrorCode::NotApproved,
            VaultError::Gone => ErrorCode::ExportGone,
            VaultError::ExportSize(ExportSize::NoRecords) => ErrorCode::NoRecords,
            VaultError::ExportSize(ExportSize::TooManyRecords) => ErrorCode::TooManyRecords,
            VaultError::DuplicateNumber(_) => ErrorCode::DuplicateNumber,
            VaultError::IdempotencyMismatch => ErrorCode::IdempotencyKeyReused,
            VaultError::Throttled => ErrorCode::Throttled,
            VaultError::Unavailable => ErrorCode::DependencyFailed,
        }
    }

    /// The stable machine code clients branch on.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Outcome, Reason};
    use std::collections::HashSet;

    #[test]
    fn every_code_is_once_in_the_vocabulary_and_an_audit_reason() {
        let codes: HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "a code written twice");
        for c in ErrorCode::ALL {
            assert!(
                Reason::parse(c.code()).is_some(),
                "{} is no audit reason",
                c.code()
            );
            assert!((400..600).contains(&c.status()), "{}", c.code());
            assert!(c.title().ends_with('.'), "{}", c.code());
        }
    }

    #[test]
    fn errors_end_audit_events_by_their_class() {
        let cases = [
            (VaultError::Throttled, Outcome::Denied, 429),
            (VaultError::invalid("x", "required"), Outcome::Invalid, 400),
            (VaultError::Gone, Outcome::NotFound, 410),
            (VaultError::IdempotencyMismatch, Outcome::Conflict, 422),
            (VaultError::Unavailable, Outcome::Failed, 503),
        ];
        for (e, outcome, status) in cases {
            assert_eq!(Outcome::from(&e), outcome, "{e:?}");
            assert_eq!(e.kind().status(), status, "{e:?}");
            assert_eq!(Reason::from(&e).code(), e.code());
        }
    }
}

//! The errors a caller can see, each with an HTTP status and a stable machine `code`.
//! None carries input values: field errors name the field and the rule only.

use crate::audit::Outcome;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A second `self` or `spouse` record without `"replace": true`.
    RecordExists,
    /// The record holds a refusal, so there is no number to reveal.
    NoNumber,
    /// Someone changed the record since it was read; retry.
    Concurrent,
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
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict")]
    Conflict(Conflict),
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

    pub fn status(&self) -> u16 {
        match self {
            VaultError::Invalid(_) => 400,
            VaultError::Unauthenticated => 401,
            VaultError::Forbidden(_) => 403,
            VaultError::NotFound => 404,
            VaultError::MethodNotAllowed => 405,
            VaultError::Conflict(_) => 409,
            VaultError::PayloadTooLarge => 413,
            VaultError::UnsupportedMediaType => 415,
            VaultError::IdempotencyMismatch => 422,
            VaultError::Throttled => 429,
            VaultError::Unavailable => 503,
        }
    }

    /// The stable machine code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Invalid(_) => "invalid_request",
            VaultError::Unauthenticated => "unauthenticated",
            VaultError::Forbidden(Forbidden::WrongRole) => "forbidden_role",
            VaultError::Forbidden(Forbidden::PurposeNotStated) => "purpose_not_stated",
            VaultError::NotFound => "not_found",
            VaultError::MethodNotAllowed => "method_not_allowed",
            VaultError::Conflict(Conflict::RecordExists) => "record_exists",
            VaultError::Conflict(Conflict::NoNumber) => "no_number",
            VaultError::Conflict(Conflict::Concurrent) => "concurrent_change",
            VaultError::PayloadTooLarge => "payload_too_large",
            VaultError::UnsupportedMediaType => "unsupported_media_type",
            VaultError::IdempotencyMismatch => "idempotency_key_reused",
            VaultError::Throttled => "throttled",
            VaultError::Unavailable => "dependency_failed",
        }
    }

    /// A sentence for people; constant per code.
    pub fn title(&self) -> &'static str {
        match self {
            VaultError::Invalid(_) => "The request is invalid; see errors for each field.",
            VaultError::Unauthenticated => "No authenticated principal.",
            VaultError::Forbidden(Forbidden::WrongRole) => "Your roles do not allow this action.",
            VaultError::Forbidden(Forbidden::PurposeNotStated) => {
                "The record was not collected for this purpose."
            }
            VaultError::NotFound => "No such resource.",
            VaultError::MethodNotAllowed => "This method is not allowed on this resource.",
            VaultError::Conflict(Conflict::RecordExists) => {
                "A record of this relation exists for the employee; send \"replace\": true to replace it."
            }
            VaultError::Conflict(Conflict::NoNumber) => "The record holds a refusal and no number.",
            VaultError::Conflict(Conflict::Concurrent) => {
                "The record changed while this request ran; retry."
            }
            VaultError::PayloadTooLarge => "The request body is larger than 16 KiB.",
            VaultError::UnsupportedMediaType => "Send the body as application/json.",
            VaultError::IdempotencyMismatch => {
                "This Idempotency-Key was used with a different request."
            }
            VaultError::Throttled => "Too many reveals this hour; retry later.",
            VaultError::Unavailable => "A dependency failed and nothing was written; retry.",
        }
    }

    pub fn outcome(&self) -> Outcome {
        match self {
            VaultError::Unauthenticated | VaultError::Forbidden(_) | VaultError::Throttled => {
                Outcome::Denied
            }
            VaultError::NotFound => Outcome::NotFound,
            VaultError::Conflict(_) | VaultError::IdempotencyMismatch => Outcome::Conflict,
            VaultError::Unavailable => Outcome::Failed,
            VaultError::Invalid(_)
            | VaultError::MethodNotAllowed
            | VaultError::PayloadTooLarge
            | VaultError::UnsupportedMediaType => Outcome::Invalid,
        }
    }
}

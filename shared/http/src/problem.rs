//! RFC 9457 problem responses. The body holds the stable `code`, a constant title and,
//! for 400s, the fields and rules broken — never an input value.

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use lambda_http::{Body, Response};
use mynumber_domain::error::{Conflict, ExportSize, Forbidden};
use mynumber_domain::{Caller, VaultError};
use serde_json::json;

pub fn problem(err: &VaultError, caller: &Caller) -> Response<Body> {
    let mut body = json!({
        "type": format!("urn:mynumber-vault:problem:{}", err.code()),
        "title": title(err),
        "status": status(err),
        "code": err.code(),
    });
    if let Some(id) = &caller.request_id {
        body["request_id"] = json!(id);
    }
    if let VaultError::Invalid(errors) = err {
        body["errors"] = json!(errors);
    }
    if let VaultError::DuplicateNumber(employee) = err {
        body["employee_id"] = json!(employee);
    }
    let mut builder = Response::builder()
        .status(status(err))
        .header(CONTENT_TYPE, "application/problem+json")
        .header(CACHE_CONTROL, "no-store")
        .header(X_CONTENT_TYPE_OPTIONS, "nosniff");
    if matches!(err, VaultError::Unavailable | VaultError::Throttled) {
        builder = builder.header("retry-after", "1");
    }
    builder
        .body(Body::Text(body.to_string()))
        .expect("static headers are valid")
}

/// A JSON response. `no-store` everywhere: responses hold personal data at the least;
/// `nosniff` so no browser reads a body as anything but its declared type.
pub fn json_response(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json")
        .header(CACHE_CONTROL, "no-store")
        .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

/// A value as a JSON response.
pub fn json_value<T: serde::Serialize>(status: u16, value: &T) -> Response<Body> {
    json_response(
        status,
        serde_json::to_string(value).expect("response values serialize"),
    )
}

/// The one mapping from the domain's errors to HTTP statuses.
pub fn status(err: &VaultError) -> u16 {
    match err {
        VaultError::Invalid(_) => 400,
        VaultError::Unauthenticated => 401,
        VaultError::Forbidden(_) => 403,
        VaultError::NotFound | VaultError::CollectionNotFound => 404,
        VaultError::MethodNotAllowed => 405,
        VaultError::Gone => 410,
        // Nothing to export is a state of the tenant's records, not a fault of the request.
        VaultError::Conflict(_)
        | VaultError::DuplicateNumber(_)
        | VaultError::ExportSize(ExportSize::NoRecords) => 409,
        VaultError::PayloadTooLarge => 413,
        VaultError::UnsupportedMediaType => 415,
        VaultError::IdempotencyMismatch | VaultError::ExportSize(ExportSize::TooManyRecords) => 422,
        VaultError::Throttled => 429,
        VaultError::Unavailable => 503,
    }
}

/// A sentence for people; constant per code.
pub fn title(err: &VaultError) -> &'static str {
    match err {
        VaultError::Invalid(_) => "The request is invalid; see errors for each field.",
        VaultError::Unauthenticated => "No authenticated principal.",
        VaultError::Forbidden(Forbidden::WrongRole) => "Your roles do not allow this action.",
        VaultError::Forbidden(Forbidden::PurposeNotStated) => {
            "The record was not collected for this purpose."
        }
        VaultError::Forbidden(Forbidden::FourEyes) => {
            "An export must be approved by someone other than its requester."
        }
        VaultError::Forbidden(Forbidden::NotRequester) => {
            "Only the export's requester may download its file."
        }
        VaultError::Conflict(Conflict::NotApproved) => {
            "The export is not awaiting this step: it must be approved first, and only once."
        }
        VaultError::ExportSize(ExportSize::NoRecords) => {
            "No active record of the selection states this purpose."
        }
        VaultError::ExportSize(ExportSize::TooManyRecords) => {
            "The selection holds more than 10,000 records; export fewer employees at a time."
        }
        VaultError::Gone => "The export expired or its one download was made; request a new one.",
        VaultError::NotFound => "No such resource.",
        VaultError::CollectionNotFound => {
            "This link does not work: it is unknown, used, expired, cancelled or locked."
        }
        VaultError::Conflict(Conflict::PendingReview) => {
            "The record awaits a registrar's review: it cannot be revealed yet, and is rejected rather than disposed of or replaced."
        }
        VaultError::Conflict(Conflict::DocumentLimit) => {
            "This link already holds the most documents it may upload."
        }
        VaultError::Conflict(Conflict::NotPending) => "The record is not awaiting review.",
        VaultError::Conflict(Conflict::CollectionClosed) => {
            "The collection was already submitted or locked."
        }
        VaultError::MethodNotAllowed => "This method is not allowed on this resource.",
        VaultError::Conflict(Conflict::RecordExists) => {
            "A record of this relation exists for the employee; send \"replace\": true to replace it."
        }
        VaultError::Conflict(Conflict::NoNumber) => "The record holds a refusal and no number.",
        VaultError::DuplicateNumber(_) => {
            "This number is already another employee's own number; see employee_id."
        }
        VaultError::Conflict(Conflict::Concurrent) => {
            "The record changed while this request ran; retry."
        }
        VaultError::PayloadTooLarge => "The request body is larger than 16 KiB.",
        VaultError::UnsupportedMediaType => "Send the body as application/json.",
        VaultError::IdempotencyMismatch => {
            "This Idempotency-Key was used with a different request."
        }
        VaultError::Throttled => "Too many of these requests this hour; retry later.",
        VaultError::Unavailable => "A dependency failed and nothing was written; retry.",
    }
}

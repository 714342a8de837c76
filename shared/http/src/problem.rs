//! RFC 9457 problem responses. The body holds the stable `code`, a constant title and,
//! for 400s, the fields and rules broken — never an input value.

use crate::transport::ApiError;
use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use lambda_http::{Body, Response};
use mynumber_domain::{Caller, VaultError};
use serde_json::json;

pub fn problem(err: &ApiError, caller: &Caller) -> Response<Body> {
    let mut body = json!({
        "type": format!("urn:mynumber-vault:problem:{}", err.code()),
        "title": title(err),
        "status": status(err),
        "code": err.code(),
    });
    if let Some(id) = &caller.request_id {
        body["request_id"] = json!(id);
    }
    if let ApiError::Vault(VaultError::Invalid(errors)) = err {
        body["errors"] = json!(errors);
    }
    if let ApiError::Vault(VaultError::DuplicateNumber(employee)) = err {
        body["employee_id"] = json!(employee);
    }
    let mut builder = Response::builder()
        .status(status(err))
        .header(CONTENT_TYPE, "application/problem+json")
        .header(CACHE_CONTROL, "no-store")
        .header(X_CONTENT_TYPE_OPTIONS, "nosniff");
    if matches!(
        err,
        ApiError::Vault(VaultError::Unavailable | VaultError::Throttled)
    ) {
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

/// The problem's status: the error vocabulary's (`mynumber_domain::error::ErrorCode`), or
/// the HTTP layer's own (`TransportError`).
pub fn status(err: &ApiError) -> u16 {
    match err {
        ApiError::Vault(e) => e.kind().status(),
        ApiError::Transport(e) => e.status(),
    }
}

/// A sentence for people; constant per code.
pub fn title(err: &ApiError) -> &'static str {
    match err {
        ApiError::Vault(e) => e.kind().title(),
        ApiError::Transport(e) => e.title(),
    }
}

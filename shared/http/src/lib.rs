//! HTTP glue shared by the API functions: who is calling, strict JSON bodies with
//! field-level errors, RFC 9457 problem responses, and logging set-up.

pub mod assets;
pub mod body;
pub mod caller;
pub mod input;
pub mod listing;
/// Logging lives in its own crate, so that functions without HTTP need not link this one.
pub use mynumber_logging as logging;
pub mod problem;
pub mod routes;
pub mod serve;
pub mod transport;

pub use assets::{Asset, asset_response, attachment};
pub use body::{Fields, json_object, query};
pub use caller::{AuthSetupError, Authenticator, anonymous_caller};
pub use listing::{page_response, parse_page, query_param};
pub use problem::{json_response, json_value, problem};
pub use routes::{Route, route_request};
pub use serve::{Api, handle, serve};
pub use transport::{ApiError, TransportError};

/// Bodies above this are refused with 413 before parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

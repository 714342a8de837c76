//! The small traits the domain needs from the outside world, each sized to one
//! capability, so that a use case holds exactly what its function's IAM role allows
//! (`intake`, `lookup`, `purge`, `backstop`). AWS adapters implement them in `mynumber-aws`.

mod certificates;
mod cipher;
mod collections;
mod documents;
mod exports;
mod limits;
mod notifications;
mod records;
mod retention;
mod trail;

pub use certificates::*;
pub use cipher::*;
pub use collections::*;
pub use documents::*;
pub use exports::*;
pub use limits::*;
pub use notifications::*;
pub use records::*;
pub use retention::*;
pub use trail::*;

use crate::error::VaultError;
use chrono::{DateTime, Utc};

/// A store or cipher call failed for a reason the caller cannot fix (throttling, 5xx,
/// timeouts, an item that does not parse). The text is for operators' logs; adapters
/// never put item values or numbers into it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// An opaque position in a listing, made by the store; `[A-Za-z0-9._~-]{1,256}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        let ok = !s.is_empty()
            && s.len() <= 256
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-'));
        ok.then(|| Cursor(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u16,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u16 = 50;
    pub const MAX_LIMIT: u16 = 100;
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
}

/// `BadCursor` is the caller's fault (a cursor from elsewhere): a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("the cursor is not one this listing made")]
    BadCursor,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A dependency failed: logged for operators, a 503 for the caller.
impl From<Unavailable> for VaultError {
    fn from(e: Unavailable) -> Self {
        tracing::error!(error = %e, "dependency failed");
        VaultError::Unavailable
    }
}

/// A cursor from elsewhere is the caller's fault: a 400 on the `cursor` field.
impl From<ListError> for VaultError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::BadCursor => VaultError::invalid("cursor", "cursor"),
            ListError::Unavailable(e) => e.into(),
        }
    }
}

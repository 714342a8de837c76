//! The domain of mynumber-vault: pure types and rules, no AWS SDK and no Lambda types.
//! Adapters implement the traits in [`ports`]; the functions call [`service::Vault`].

pub mod access;
pub mod audit;
pub mod disposal;
pub mod error;
pub mod ids;
pub mod lifecycle;
#[cfg(feature = "memory")]
pub mod memory;
pub mod number;
pub mod ports;
pub mod purge;
pub mod purpose;
pub mod record;
pub mod retention;
pub mod service;
pub mod verification;

pub use access::{Action, Principal, Role};
pub use audit::{AuditEvent, AuditKind, AuditSink, Caller, Outcome};
pub use error::{FieldError, VaultError};
pub use ids::{EmployeeId, IdempotencyKey, KeyDigest, RecordId, RequestId, Subject, TenantId};
pub use number::MyNumber;
pub use purpose::{Purpose, PurposeSet};
pub use record::{Record, RecordView, Relation};
pub use service::{Vault, VaultConfig};

//! The domain of mynumber-vault: pure types and rules, no AWS SDK and no Lambda types.
//! Adapters implement the traits in [`ports`]. Each function runs one use case, which
//! holds only the ports its IAM role allows: [`intake::IntakeService`] (encrypts, never
//! decrypts), [`lookup::LookupService`] (the only one that decrypts),
//! [`purge::PurgeService`] and [`backstop::BackstopService`] (no cipher at all).

pub mod access;
pub mod audit;
pub mod backfill;
pub mod backstop;
pub mod certificate;
pub mod certificate_document;
pub mod collection;
pub mod corporate;
pub mod digest;
pub mod disposal;
pub mod document;
pub mod error;
pub mod export;
pub mod ids;
pub mod import;
pub mod intake;
pub mod lifecycle;
pub mod lookup;
pub mod notification;
pub mod notify;
pub mod number;
pub mod ports;
pub mod purge;
pub mod purpose;
pub mod record;
pub mod relation;
pub mod remind;
pub mod retention;
pub mod review;
pub mod spreadsheet;
pub mod submission;
pub mod usecase;
pub mod verification;
mod words;

pub use access::{Action, Principal, Role};
pub use audit::{AuditEvent, AuditKind, AuditSink, Caller, Outcome};
pub use error::{FieldError, VaultError};
pub use ids::{EmployeeId, IdempotencyKey, KeyDigest, RecordId, RequestId, Subject, TenantId};
pub use number::MyNumber;
pub use purpose::{Purpose, PurposeSet};
pub use record::{Record, RecordView, Relation};
pub use usecase::{Core, VaultConfig};

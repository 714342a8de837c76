//! Exports for filings (SPEC §4b) and the records they select.

use super::*;
use crate::ids::{RecordId, TenantId};
use crate::record::Record;
use async_trait::async_trait;

/// Exports for filings (SPEC §4b) and the records they select.
#[async_trait]
pub trait Exports: Send + Sync {
    /// Stores a new export; it never overwrites one.
    async fn put_export(&self, export: &crate::export::Export) -> Result<(), Unavailable>;

    async fn get_export(
        &self,
        tenant: &TenantId,
        id: &crate::export::ExportId,
    ) -> Result<Option<crate::export::Export>, Unavailable>;

    /// Stores `export` (its next version) on condition that the stored one is still at
    /// `export.version - 1`.
    async fn update_export(&self, export: &crate::export::Export) -> Result<(), UpdateError>;

    /// The tenant's exports, newest first.
    async fn list_exports(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<crate::export::Export>, ListError>;

    /// The tenant's records, metadata only, a page at a time (the tenant index).
    async fn tenant_records(
        &self,
        tenant: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Record<()>>, Unavailable>;

    /// The records of `ids` still there, with their ciphertexts, read consistently.
    async fn records_with_numbers(
        &self,
        tenant: &TenantId,
        ids: &[RecordId],
    ) -> Result<Vec<Record>, Unavailable>;
}

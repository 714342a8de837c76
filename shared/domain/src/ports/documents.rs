//! Identity document photos: their entries in the table and their objects in storage.

use super::*;
use crate::collection::{Collection, CollectionId};
use crate::ids::{RecordId, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Which document a store entry or an object is: tenant, link and the random id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    pub tenant_id: TenantId,
    pub collection_id: CollectionId,
    pub document_id: crate::document::DocumentId,
}

impl DocumentRef {
    pub fn object_key(&self) -> crate::document::ObjectKey {
        crate::document::ObjectKey::of(&self.tenant_id, &self.collection_id, &self.document_id)
    }
}

impl crate::document::Document {
    pub fn reference(&self) -> DocumentRef {
        DocumentRef {
            tenant_id: self.tenant_id.clone(),
            collection_id: self.collection_id.clone(),
            document_id: self.document_id.clone(),
        }
    }
}

/// What a submission does to each document its link uploaded.
#[derive(Debug, Clone)]
pub enum DocumentChange {
    /// Named by the submission: kept for the record's review, until `due_on` at most.
    Attach {
        document: DocumentRef,
        record_id: RecordId,
        due_on: chrono::NaiveDate,
    },
    /// Not named: nothing needs it, so the next purge deletes it.
    Release {
        document: DocumentRef,
        due_on: chrono::NaiveDate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddDocumentError {
    #[error("the link holds the most documents it may")]
    Limit,
    /// The link is no longer open.
    #[error("the collection changed")]
    Closed,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Document photos in object storage, as the collect function may use them: presign an
/// upload, and read what arrived (size, type; never the bytes: its role cannot decrypt).
#[async_trait]
pub trait DocumentUploads: Send + Sync {
    /// A URL to PUT the object with; the headers the PUT must carry.
    async fn presign_upload(
        &self,
        key: &crate::document::ObjectKey,
        content_type: crate::document::DocumentType,
        bytes: u64,
    ) -> Result<
        (
            crate::document::SignedUrl,
            std::collections::BTreeMap<String, String>,
        ),
        Unavailable,
    >;

    async fn inspect(
        &self,
        key: &crate::document::ObjectKey,
    ) -> Result<Option<crate::document::StoredObject>, Unavailable>;
}

/// A registrar's short-lived download of one object (intake's role).
#[async_trait]
pub trait DocumentViews: Send + Sync {
    async fn presign_view(
        &self,
        key: &crate::document::ObjectKey,
        seconds: u64,
    ) -> Result<crate::document::SignedUrl, Unavailable>;
}

/// Deleting objects: a deleted or absent object is gone either way.
#[async_trait]
pub trait DocumentErasure: Send + Sync {
    async fn delete_object(&self, key: &crate::document::ObjectKey) -> Result<(), Unavailable>;
}

/// The collect function's document entries.
#[async_trait]
pub trait DocumentEntries: Send + Sync {
    /// Writes `d` and adds it to `c`'s documents, on condition that the link is open
    /// and holds fewer than `MAX_DOCUMENTS`.
    async fn add_document(
        &self,
        c: &Collection,
        d: &crate::document::Document,
        now: DateTime<Utc>,
    ) -> Result<(), AddDocumentError>;

    async fn get_document(
        &self,
        d: &DocumentRef,
    ) -> Result<Option<crate::document::Document>, Unavailable>;

    /// Deletes the entry and takes it off its link (a refused upload frees its place).
    async fn withdraw_document(&self, d: &DocumentRef) -> Result<(), Unavailable>;
}

/// A registrar's reads of document entries, and their removal after review (the review).
#[async_trait]
pub trait RecordDocuments: Send + Sync {
    /// The documents a submission attached to `record`.
    async fn record_documents(
        &self,
        tenant: &TenantId,
        collection: &CollectionId,
        record: &RecordId,
    ) -> Result<Vec<crate::document::Document>, Unavailable>;

    async fn get_document(
        &self,
        d: &DocumentRef,
    ) -> Result<Option<crate::document::Document>, Unavailable>;

    /// Deletes the entry once its object is gone.
    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable>;

    /// Makes the entry due on `day`, so that the purge retries a failed deletion.
    async fn document_due(
        &self,
        d: &DocumentRef,
        day: chrono::NaiveDate,
    ) -> Result<(), Unavailable>;
}

/// The purge's view of document entries: those due on or before `today`.
#[async_trait]
pub trait DueDocuments: Send + Sync {
    async fn due_documents(
        &self,
        today: chrono::NaiveDate,
        limit: u16,
    ) -> Result<Vec<DocumentRef>, Unavailable>;

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable>;
}

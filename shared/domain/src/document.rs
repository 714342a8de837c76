//! Photos of identity documents (本人確認書類の写し) an employee attaches on the form (SPEC
//! §4a): uploaded straight to object storage under a presigned URL, seen by a registrar
//! only while the record they support is pending, deleted when it is confirmed or
//! rejected, and by the purge when a link expires or a deletion failed. We keep no copy.

pub use crate::ids::DocumentId;
use crate::ids::{CollectionId, RecordId, TenantId};
use crate::words::vocabulary;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::fmt;
use zeroize::Zeroize;

/// The largest document accepted (SPEC §4a).
pub const MAX_DOCUMENT_BYTES: u64 = 5 * 1024 * 1024;
/// Documents one link may upload.
pub const MAX_DOCUMENTS: usize = 6;
/// How long an upload URL works.
pub const UPLOAD_SECONDS: u64 = 300;
/// How long a registrar's download URL works.
pub const VIEW_SECONDS: u64 = 60;

vocabulary! {
    /// What the photo shows.
    pub enum DocumentKind {
        MyNumberCardFront = "my_number_card_front",
        NotificationCardFront = "notification_card_front",
        NotificationCardBack = "notification_card_back",
        PhotoId = "photo_id",
        Other = "other",
    }
}

vocabulary! {
    /// The content types the form may upload.
    pub enum DocumentType {
        Jpeg = "image/jpeg",
        Png = "image/png",
        Pdf = "application/pdf",
    }
}

/// Where a document's bytes are stored: tenant, collection and the random id, never a
/// name or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn of(t: &TenantId, c: &CollectionId, d: &DocumentId) -> Self {
        ObjectKey(format!("{t}/{c}/{d}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A presigned storage URL: whoever holds it may put or read one object for a few
/// minutes, so it is handed to its one recipient and never logged (`Debug` hides it).
#[derive(Serialize)]
#[serde(transparent)]
pub struct SignedUrl(String);

impl SignedUrl {
    pub fn new(url: String) -> Self {
        SignedUrl(url)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for SignedUrl {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignedUrl(…)")
    }
}

/// One uploaded (or announced) document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub document_id: DocumentId,
    pub tenant_id: TenantId,
    pub collection_id: CollectionId,
    pub kind: DocumentKind,
    pub content_type: DocumentType,
    /// The size the form announced; the stored object is checked against it.
    pub bytes: u64,
    pub created_at: DateTime<Utc>,
    /// The record it supports, once a submission named it.
    pub record_id: Option<RecordId>,
    /// The day from which the purge deletes it (the link's expiry, the review deadline,
    /// or at once once nothing needs it).
    pub due_on: NaiveDate,
}

impl Document {
    pub fn object_key(&self) -> ObjectKey {
        ObjectKey::of(&self.tenant_id, &self.collection_id, &self.document_id)
    }

    pub fn view(&self) -> DocumentView {
        DocumentView {
            document_id: self.document_id.clone(),
            kind: self.kind,
            content_type: self.content_type,
            bytes: self.bytes,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub document_id: DocumentId,
    pub kind: DocumentKind,
    pub content_type: DocumentType,
    pub bytes: u64,
}

/// `POST /v1/collect/documents`, parsed.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub kind: DocumentKind,
    pub content_type: DocumentType,
    pub bytes: u64,
}

/// `POST /v1/collect/documents` → 201.
#[derive(Debug, Serialize)]
pub struct UploadTicket {
    pub document_id: DocumentId,
    pub upload_url: SignedUrl,
    pub expires_in: u64,
    /// The headers the upload must carry (the signed `Content-Type`).
    pub upload_headers: std::collections::BTreeMap<String, String>,
}

/// `GET /v1/records/{id}/documents/{doc}` → 200.
#[derive(Debug, Serialize)]
pub struct DocumentLink {
    pub url: SignedUrl,
    pub expires_in: u64,
}

/// What storage holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: u64,
    pub content_type: Option<String>,
}

/// Why a named document cannot be relied on (the rule of its `documents[i]` field).
pub fn stored_rule(doc: &Document, stored: Option<&StoredObject>) -> Option<&'static str> {
    let Some(stored) = stored else {
        return Some("not_uploaded");
    };
    if stored.bytes > MAX_DOCUMENT_BYTES {
        return Some("too_large");
    }
    if stored.content_type.as_deref() != Some(doc.content_type.code()) {
        return Some("content_type");
    }
    None
}

/// Deleting documents: how many went, and how many are left for the purge to retry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Deleted {
    pub deleted: u64,
    pub failed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(t: DocumentType) -> Document {
        Document {
            document_id: DocumentId::new_random(),
            tenant_id: TenantId::parse("acme").unwrap(),
            collection_id: CollectionId::new_random(),
            kind: DocumentKind::PhotoId,
            content_type: t,
            bytes: 10,
            created_at: Utc::now(),
            record_id: None,
            due_on: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        }
    }

    #[test]
    fn the_object_key_names_no_person() {
        let d = doc(DocumentType::Png);
        let key = d.object_key();
        assert_eq!(
            key.as_str(),
            format!("acme/{}/{}", d.collection_id, d.document_id)
        );
    }

    #[test]
    fn a_stored_object_must_be_there_small_and_of_its_type() {
        let d = doc(DocumentType::Png);
        let obj = |bytes, ct: &str| StoredObject {
            bytes,
            content_type: Some(ct.into()),
        };
        assert_eq!(stored_rule(&d, None), Some("not_uploaded"));
        assert_eq!(
            stored_rule(&d, Some(&obj(MAX_DOCUMENT_BYTES + 1, "image/png"))),
            Some("too_large")
        );
        assert_eq!(
            stored_rule(&d, Some(&obj(10, "image/jpeg"))),
            Some("content_type")
        );
        assert_eq!(
            stored_rule(&d, Some(&obj(MAX_DOCUMENT_BYTES, "image/png"))),
            None
        );
    }

    #[test]
    fn a_signed_url_is_never_printed() {
        let u = SignedUrl::new("https://bucket/key?X-Amz-Signature=abc".into());
        assert_eq!(format!("{u:?}"), "SignedUrl(…)");
    }
}

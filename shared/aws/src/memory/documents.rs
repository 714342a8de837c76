//! Document entries and their objects, in memory.

use super::*;
use chrono::NaiveDate;
use mynumber_domain::document::{
    Document, DocumentType, MAX_DOCUMENTS, ObjectKey, SignedUrl, StoredObject,
};

pub(super) fn doc_key(d: &DocumentRef) -> (String, String, String) {
    (
        d.tenant_id.as_str().to_owned(),
        d.collection_id.as_str().to_owned(),
        d.document_id.as_str().to_owned(),
    )
}

#[async_trait]
impl DocumentEntries for MemoryStore {
    async fn add_document(
        &self,
        c: &Collection,
        d: &Document,
        now: DateTime<Utc>,
    ) -> Result<(), AddDocumentError> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let reference = d.reference();
        if s.documents.contains_key(&doc_key(&reference)) {
            return Err(AddDocumentError::Unavailable(Unavailable(
                "document id exists".into(),
            )));
        }
        let link = s
            .collections
            .get_mut(&key(&c.tenant_id, c.collection_id.as_str()))
            .filter(|l| l.state == CollectionState::Open && l.expires_at > now)
            .ok_or(AddDocumentError::Closed)?;
        if link.document_ids.len() >= MAX_DOCUMENTS {
            return Err(AddDocumentError::Limit);
        }
        link.document_ids.push(d.document_id.clone());
        s.documents.insert(doc_key(&reference), d.clone());
        Ok(())
    }

    async fn get_document(&self, d: &DocumentRef) -> Result<Option<Document>, Unavailable> {
        self.check()?;
        Ok(self
            .state
            .lock()
            .unwrap()
            .documents
            .get(&doc_key(d))
            .cloned())
    }

    async fn withdraw_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        s.documents.remove(&doc_key(d));
        if let Some(link) = s
            .collections
            .get_mut(&key(&d.tenant_id, d.collection_id.as_str()))
        {
            link.document_ids.retain(|id| *id != d.document_id);
        }
        Ok(())
    }
}

#[async_trait]
impl RecordDocuments for MemoryStore {
    async fn record_documents(
        &self,
        t: &TenantId,
        c: &CollectionId,
        r: &RecordId,
    ) -> Result<Vec<Document>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        Ok(s.documents
            .values()
            .filter(|d| {
                d.tenant_id == *t && d.collection_id == *c && d.record_id.as_ref() == Some(r)
            })
            .cloned()
            .collect())
    }

    async fn get_document(&self, d: &DocumentRef) -> Result<Option<Document>, Unavailable> {
        DocumentEntries::get_document(self, d).await
    }

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        self.check()?;
        self.state.lock().unwrap().documents.remove(&doc_key(d));
        Ok(())
    }

    async fn document_due(&self, d: &DocumentRef, day: NaiveDate) -> Result<(), Unavailable> {
        self.check()?;
        if let Some(entry) = self.state.lock().unwrap().documents.get_mut(&doc_key(d)) {
            entry.due_on = day;
        }
        Ok(())
    }
}

#[async_trait]
impl DueDocuments for MemoryStore {
    async fn due_documents(
        &self,
        today: NaiveDate,
        limit: u16,
    ) -> Result<Vec<DocumentRef>, Unavailable> {
        self.check()?;
        let s = self.state.lock().unwrap();
        let mut due: Vec<&Document> = s.documents.values().filter(|d| d.due_on <= today).collect();
        due.sort_by_key(|d| d.due_on);
        Ok(due
            .into_iter()
            .take(usize::from(limit))
            .map(Document::reference)
            .collect())
    }

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        RecordDocuments::forget_document(self, d).await
    }
}

/// Object storage in memory: a presigned URL names the key, and a test puts the bytes'
/// size and type with `put` as the browser's PUT would.
#[derive(Default)]
pub struct MemoryObjects {
    objects: Mutex<BTreeMap<String, StoredObject>>,
}

impl MemoryObjects {
    /// What a browser's PUT to the presigned URL leaves behind.
    pub fn put(&self, key: &ObjectKey, bytes: u64, content_type: &str) {
        self.objects.lock().unwrap().insert(
            key.as_str().to_owned(),
            StoredObject {
                bytes,
                content_type: Some(content_type.to_owned()),
            },
        );
    }

    pub fn holds(&self, key: &ObjectKey) -> bool {
        self.objects.lock().unwrap().contains_key(key.as_str())
    }
}

#[async_trait]
impl DocumentUploads for MemoryObjects {
    async fn presign_upload(
        &self,
        key: &ObjectKey,
        content_type: DocumentType,
        bytes: u64,
    ) -> Result<(SignedUrl, BTreeMap<String, String>), Unavailable> {
        let headers = BTreeMap::from([
            ("content-type".to_owned(), content_type.code().to_owned()),
            ("content-length".to_owned(), bytes.to_string()),
        ]);
        Ok((
            SignedUrl::new(format!("memory:///{}", key.as_str())),
            headers,
        ))
    }

    async fn inspect(&self, key: &ObjectKey) -> Result<Option<StoredObject>, Unavailable> {
        Ok(self.objects.lock().unwrap().get(key.as_str()).cloned())
    }
}

#[async_trait]
impl DocumentViews for MemoryObjects {
    async fn presign_view(&self, key: &ObjectKey, _: u64) -> Result<SignedUrl, Unavailable> {
        if self.holds(key) {
            Ok(SignedUrl::new(format!("memory:///{}", key.as_str())))
        } else {
            Err(Unavailable("no such object".into()))
        }
    }
}

#[async_trait]
impl DocumentErasure for MemoryObjects {
    async fn delete_object(&self, key: &ObjectKey) -> Result<(), Unavailable> {
        self.objects.lock().unwrap().remove(key.as_str());
        Ok(())
    }
}

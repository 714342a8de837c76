//! Document entries (SPEC §4a): added to an open link in one transaction with the link's
//! count, attached to a record by the submission's transaction, listed for review, and
//! found by the purge through their own partition of the `by_due` index.

use super::transaction::Transaction;
use super::{DynamoStore, corrupt, get_consistent, unavailable};
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, Update};
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::collection::{Collection, CollectionId, CollectionState};
use mynumber_domain::document::{Document, MAX_DOCUMENTS};
use mynumber_domain::ids::{RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::timestamp;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guard {
    Entry,
    Collection,
}

fn id_set(d: &DocumentRef) -> AttributeValue {
    AttributeValue::Ss(vec![d.document_id.as_str().to_owned()])
}

/// The update a submission makes to one of its link's entries (in its transaction): named
/// ones are attached to the record under review, the others released to the next purge.
pub(crate) fn document_change(change: &DocumentChange) -> UpdateBuilder {
    let (d, day, record) = match change {
        DocumentChange::Attach {
            document,
            record_id,
            due_on,
        } => (document, *due_on, Some(record_id)),
        DocumentChange::Release { document, due_on } => (document, *due_on, None),
    };
    let update = due_update(d, day);
    match record {
        Some(r) => update
            .update_expression("SET due_sk = :sk, due_on = :day, record_id = :r")
            .expression_attribute_values(":r", s(r.as_str())),
        None => update,
    }
}

/// Moves an entry's due day (it must still exist).
fn due_update(d: &DocumentRef, day: NaiveDate) -> UpdateBuilder {
    let [_, (_, sk)] = document_due_keys(d, day);
    Update::builder()
        .set_key(Some(document_ref_key(d)))
        .update_expression("SET due_sk = :sk, due_on = :day")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":sk", sk)
        .expression_attribute_values(":day", s(day.to_string()))
}

#[async_trait]
impl DocumentEntries for DynamoStore {
    /// Writes the entry and adds it to the link's set, on condition that the link is open,
    /// unexpired and holds fewer than `MAX_DOCUMENTS` (the count is the store's, so two
    /// uploads racing for the last place cannot both win).
    async fn add_document(
        &self,
        c: &Collection,
        d: &Document,
        now: DateTime<Utc>,
    ) -> Result<(), AddDocumentError> {
        let reference = d.reference();
        let mut tx = Transaction::new(self);
        tx.put(
            Guard::Entry,
            Put::builder()
                .set_item(Some(document_to_item(d)))
                .condition_expression(super::ABSENT),
        )
        .update(
            Guard::Collection,
            Update::builder()
                .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
                .update_expression("ADD #d :d")
                .condition_expression(
                    "#s = :open AND link_expires_at > :now AND \
                     (attribute_not_exists(#d) OR size(#d) < :max)",
                )
                .expression_attribute_names("#d", DOCUMENT_IDS)
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":d", id_set(&reference))
                .expression_attribute_values(":open", s(CollectionState::Open.code()))
                .expression_attribute_values(":now", s(timestamp(now)))
                .expression_attribute_values(":max", n(MAX_DOCUMENTS)),
        );
        match tx.commit().await {
            Ok(()) => Ok(()),
            Err(e) if e.failed(Guard::Collection) => {
                // Full, or no longer open: the link as it is now says which.
                let now_held =
                    super::collections::get_collection(self, &c.tenant_id, &c.collection_id)
                        .await?;
                match now_held {
                    Some(c)
                        if c.state == CollectionState::Open
                            && c.document_ids.len() >= MAX_DOCUMENTS =>
                    {
                        Err(AddDocumentError::Limit)
                    }
                    _ => Err(AddDocumentError::Closed),
                }
            }
            Err(e) => Err(AddDocumentError::Unavailable(e.unavailable())),
        }
    }

    async fn get_document(&self, d: &DocumentRef) -> Result<Option<Document>, Unavailable> {
        get_consistent(self, document_ref_key(d), document_from_item).await
    }

    /// Deletes the entry and frees its place on the link.
    async fn withdraw_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        let mut tx = Transaction::new(self);
        tx.delete(
            Guard::Entry,
            Delete::builder().set_key(Some(document_ref_key(d))),
        )
        .update(
            Guard::Collection,
            Update::builder()
                .set_key(Some(collection_key(&d.tenant_id, &d.collection_id)))
                .update_expression("DELETE #d :d")
                .expression_attribute_names("#d", DOCUMENT_IDS)
                .expression_attribute_values(":d", id_set(d)),
        );
        tx.commit().await.map_err(|e| e.unavailable())
    }
}

#[async_trait]
impl RecordDocuments for DynamoStore {
    /// The photos a submission attached to `record`: one consistent Query of the link's
    /// partition (at most six entries and the collection item).
    async fn record_documents(
        &self,
        t: &TenantId,
        c: &CollectionId,
        r: &RecordId,
    ) -> Result<Vec<Document>, Unavailable> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p AND begins_with(sk, :doc)")
            .filter_expression("record_id = :r")
            .expression_attribute_values(":p", s(collection_pk(t, c)))
            .expression_attribute_values(":doc", s(DOCUMENT_PREFIX))
            .expression_attribute_values(":r", s(r.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.items()
            .iter()
            .map(|i| document_from_item(i).map_err(corrupt))
            .collect()
    }

    async fn get_document(&self, d: &DocumentRef) -> Result<Option<Document>, Unavailable> {
        DocumentEntries::get_document(self, d).await
    }

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(document_ref_key(d)))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn document_due(&self, d: &DocumentRef, day: NaiveDate) -> Result<(), Unavailable> {
        match super::update_alone(self, due_update(d, day)).await {
            // Already gone: nothing is left to retry.
            Ok(()) | Err(UpdateError::Concurrent) => Ok(()),
            Err(UpdateError::Unavailable(u)) => Err(u),
        }
    }
}

#[async_trait]
impl DueDocuments for DynamoStore {
    /// Entries due on or before `today`, at most `limit`, read from the index only.
    async fn due_documents(
        &self,
        today: NaiveDate,
        limit: u16,
    ) -> Result<Vec<DocumentRef>, Unavailable> {
        let through = today.succ_opt().expect("a next day exists");
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_DUE)
                .key_condition_expression("due_pk = :p AND due_sk < :t")
                .expression_attribute_values(":p", s(DOCUMENTS_DUE_PK))
                .expression_attribute_values(":t", s(due_sk_gone_from(through)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                found.push(document_ref_from_due(item).map_err(corrupt)?);
                if found.len() >= usize::from(limit) {
                    return Ok(found);
                }
            }
            match out.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(found),
            }
        }
    }

    async fn forget_document(&self, d: &DocumentRef) -> Result<(), Unavailable> {
        RecordDocuments::forget_document(self, d).await
    }
}

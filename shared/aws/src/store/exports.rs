//! Exports (SPEC §4b): the export items, the tenant's records through the `by_tenant`
//! index, the records read back by id with their ciphertexts, and the reveal trail of a
//! file written in transactions that fail as a whole.

use super::transaction::Transaction;
use super::{
    ABSENT, DynamoStore, corrupt, get_consistent, page_of, parse_cursor, timed, unavailable,
};
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put};
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::export::ExportId;
use mynumber_domain::ids::{RecordId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::Record;
use std::time::Duration;

/// Puts in one TransactWriteItems (DynamoDB's limit).
const TRAIL_TRANSACTION: usize = 100;
/// Tries of a batch's unprocessed keys before the call fails.
const BATCH_TRIES: u32 = 6;

fn backoff(tries: u32) -> Duration {
    Duration::from_millis(25 << tries.min(6))
}

#[async_trait]
impl ExportTrail for DynamoStore {
    /// Every event, in transactions of 100 puts (DynamoDB's limit): each is written whole or
    /// not at all, and a failed one fails the call, so the file is then not produced. A
    /// transaction rather than BatchWriteItem: its unprocessed items need no bookkeeping, and
    /// the role needs no batch write.
    async fn record_reveals(
        &self,
        trail: &[AuditEvent],
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        for chunk in trail.chunks(TRAIL_TRANSACTION) {
            let mut tx = Transaction::new(self);
            for event in chunk {
                let item =
                    audit_to_item(event, expires_at).map_err(|e| Unavailable(e.to_string()))?;
                tx.put(
                    (),
                    Put::builder()
                        .set_item(Some(item))
                        .condition_expression(ABSENT),
                );
            }
            tx.commit().await.map_err(|e| e.unavailable())?;
        }
        Ok(())
    }
}

#[async_trait]
impl Exports for DynamoStore {
    async fn put_export(&self, e: &mynumber_domain::export::Export) -> Result<(), Unavailable> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(export_to_item(e)))
            .condition_expression(ABSENT)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_export(
        &self,
        t: &TenantId,
        id: &mynumber_domain::export::ExportId,
    ) -> Result<Option<mynumber_domain::export::Export>, Unavailable> {
        get_consistent(self, export_key(t, id), export_from_item).await
    }

    /// The whole item at its next version, on condition that the stored one is the version
    /// before: a download or approval that raced another finds it changed.
    async fn update_export(&self, e: &mynumber_domain::export::Export) -> Result<(), UpdateError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(export_to_item(e)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(e.version.saturating_sub(1)))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                if err
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception())
                {
                    UpdateError::Concurrent
                } else {
                    UpdateError::Unavailable(unavailable(err))
                }
            })
    }

    async fn list_exports(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::export::Export>, ListError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(exports_pk(t)))
            .consistent_read(true)
            .scan_index_forward(false)
            .limit(i32::from(page.limit));
        if let Some(cursor) = &page.cursor {
            let id = ExportId::parse(cursor.as_str()).map_err(|_| ListError::BadCursor)?;
            query = query.set_exclusive_start_key(Some(export_key(t, &id)));
        }
        page_of(query, export_from_item, |e| e.export_id.as_str().to_owned()).await
    }

    async fn tenant_records(
        &self,
        t: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Record<()>>, Unavailable> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_TENANT)
            .key_condition_expression("gsi2pk = :t")
            .expression_attribute_values(":t", s(tenant_records_pk(t)));
        if let Some(cursor) = cursor {
            let (ms, rid) =
                parse_cursor(cursor).ok_or_else(|| Unavailable("a tenant cursor".into()))?;
            let mut start = record_key(t, &rid);
            start.insert(GSI2PK.into(), s(tenant_records_pk(t)));
            start.insert(GSI2SK.into(), s(listing_sk(ms, &rid)));
            query = query.set_exclusive_start_key(Some(start));
        }
        page_of(
            query,
            |i| record_from_item(i, no_ciphertext),
            |r| timed(r.created_at, &r.record_id),
        )
        .await
        .map_err(|e| match e {
            ListError::BadCursor => Unavailable("a tenant cursor".into()),
            ListError::Unavailable(u) => u,
        })
    }

    /// At most 100 records by id, strongly consistent; the ones no longer there are left out.
    async fn records_with_numbers(
        &self,
        t: &TenantId,
        ids: &[RecordId],
    ) -> Result<Vec<Record>, Unavailable> {
        let mut keys: Vec<Item> = ids.iter().map(|id| record_key(t, id)).collect();
        let mut found = Vec::with_capacity(ids.len());
        let mut tries = 0;
        while !keys.is_empty() {
            tries += 1;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut keys)))
                .consistent_read(true)
                .build()
                .map_err(unavailable)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                found.push(record_from_item(item, ciphertext).map_err(corrupt)?);
            }
            if let Some(left) = out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                keys = left.keys().to_vec();
            }
            if !keys.is_empty() {
                if tries >= BATCH_TRIES {
                    return Err(Unavailable("records left unread after retries".into()));
                }
                tokio::time::sleep(backoff(tries)).await;
            }
        }
        Ok(found)
    }
}

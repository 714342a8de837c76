//! `RecordStore` on one DynamoDB table: conditional transactions for every write that
//! could race, Query and GetItem for every read, and no Scan anywhere.

use crate::describe;
use crate::item::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::ids::{EmployeeId, IdempotencyKey, RecordId, Subject, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::Record;
use std::collections::HashMap;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long disposal evidence is kept (TTL on disposal items).
    disposal_retention: chrono::Duration,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            disposal_retention: chrono::Duration::days(10 * 365),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn put(&self, item: Item, condition: &str) -> Put {
        self.put_with(item, condition, None)
    }

    fn put_with(&self, item: Item, condition: &str, value: Option<(&str, AttributeValue)>) -> Put {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(value.map(|(k, v)| HashMap::from([(k.to_owned(), v)])))
            .build()
            .expect("table, item and condition are set")
    }
}

fn unavailable<E: std::error::Error>(e: E) -> Unavailable {
    Unavailable(describe(&e))
}

fn corrupt(e: Corrupt) -> Unavailable {
    Unavailable(e.to_string())
}

/// What each item of a create transaction guards, to name the condition that failed.
#[derive(Clone, Copy)]
enum Guard {
    NewRecord,
    Slot,
    ReplacedRecord,
    Disposal,
    Idempotency,
}

#[async_trait]
impl RecordStore for DynamoStore {
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError> {
        let r = &new.record;
        let t = &r.tenant_id;
        let mut items: Vec<(Guard, TransactWriteItem)> = vec![(
            Guard::NewRecord,
            TransactWriteItem::builder()
                .put(self.put(record_to_item(r), "attribute_not_exists(pk)"))
                .build(),
        )];
        let slot_item = |rid: &RecordId| -> Item {
            let slot = r
                .relation
                .slot()
                .expect("only slotted relations change slots");
            HashMap::from([
                (PK.into(), s(slot_pk(t, &r.employee_id))),
                (SK.into(), s(slot_sk(slot))),
                ("kind".into(), s("slot")),
                ("record_id".into(), s(rid.as_str())),
            ])
        };
        match &new.slot {
            SlotChange::None => {}
            SlotChange::Claim => items.push((
                Guard::Slot,
                TransactWriteItem::builder()
                    .put(self.put(slot_item(&r.record_id), "attribute_not_exists(pk)"))
                    .build(),
            )),
            SlotChange::Replace { old, disposal } => {
                let put = self.put_with(
                    slot_item(&r.record_id),
                    "record_id = :old",
                    Some((":old", s(old.record_id.as_str()))),
                );
                items.push((Guard::Slot, TransactWriteItem::builder().put(put).build()));
                items.push((
                    Guard::ReplacedRecord,
                    TransactWriteItem::builder()
                        .delete(
                            Delete::builder()
                                .table_name(&self.table)
                                .key(PK, s(record_pk(t, &old.record_id)))
                                .key(SK, s(RECORD_SK))
                                .condition_expression("version = :v")
                                .expression_attribute_values(":v", n(old.version))
                                .build()
                                .expect("complete"),
                        )
                        .build(),
                ));
                let expires = disposal.disposed_at + self.disposal_retention;
                items.push((
                    Guard::Disposal,
                    TransactWriteItem::builder()
                        .put(self.put(
                            disposal_to_item(disposal, expires),
                            "attribute_not_exists(pk)",
                        ))
                        .build(),
                ));
            }
        }
        if let Some(e) = &new.idempotency {
            let item = HashMap::from([
                (PK.into(), s(idem_pk(t, e.key.as_str()))),
                (SK.into(), s(IDEM_SK)),
                ("kind".into(), s("idempotency")),
                (
                    "fp".into(),
                    AttributeValue::B(Blob::new(e.fingerprint.clone())),
                ),
                ("status".into(), n(e.status)),
                ("body".into(), s(e.body.clone())),
                (EXPIRES_AT.into(), n(e.expires_at.timestamp())),
            ]);
            // An expired entry (TTL deletes lazily) may be overwritten.
            let put = self.put_with(
                item,
                "attribute_not_exists(pk) OR expires_at < :now",
                Some((":now", n(r.created_at.timestamp()))),
            );
            items.push((
                Guard::Idempotency,
                TransactWriteItem::builder().put(put).build(),
            ));
        }

        let guards: Vec<Guard> = items.iter().map(|(g, _)| *g).collect();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items.into_iter().map(|(_, i)| i).collect()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) => match se.err() {
                TransactWriteItemsError::TransactionCanceledException(tc) => {
                    let failed = tc
                        .cancellation_reasons()
                        .iter()
                        .position(|reason| reason.code() == Some("ConditionalCheckFailed"));
                    match failed.map(|i| guards[i]) {
                        Some(Guard::Slot) => Err(CreateError::SlotTaken),
                        Some(Guard::ReplacedRecord) => Err(CreateError::ReplacedChanged),
                        Some(Guard::Idempotency) => Err(CreateError::IdempotencyKeyUsed),
                        // A random record id or a disposal id that exists: a bug or a
                        // collision; nothing was written either way.
                        Some(Guard::NewRecord | Guard::Disposal) | None => {
                            Err(CreateError::Unavailable(Unavailable(format!(
                                "transaction cancelled: {}",
                                describe(se.err())
                            ))))
                        }
                    }
                }
                other => Err(CreateError::Unavailable(Unavailable(describe(other)))),
            },
            Err(e) => Err(CreateError::Unavailable(unavailable(e))),
        }
    }

    async fn get_record(&self, t: &TenantId, id: &RecordId) -> Result<Option<Record>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(record_pk(t, id)))
            .key(SK, s(RECORD_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item()
            .map(|item| record_from_item(item, ciphertext).map_err(corrupt))
            .transpose()
    }

    async fn slot_holder(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        slot: &'static str,
    ) -> Result<Option<RecordId>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(slot_pk(t, e)))
            .key(SK, s(slot_sk(slot)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item()
            .map(|item| {
                item.get("record_id")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|v| RecordId::parse(v).ok())
                    .ok_or_else(|| corrupt(Corrupt("record_id")))
            })
            .transpose()
    }

    async fn list_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        page: &PageRequest,
    ) -> Result<Page<Record<()>>, ListError> {
        let owner = owner_records_pk(t, e);
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_OWNER)
            .key_condition_expression("gsi1pk = :o")
            .expression_attribute_values(":o", s(&owner))
            .limit(i32::from(page.limit));
        if let Some(cursor) = &page.cursor {
            // The cursor names a position only; the keys around it are rebuilt from the
            // caller's own tenant and employee.
            let (ms, rid) = parse_cursor(cursor).ok_or(ListError::BadCursor)?;
            query = query
                .exclusive_start_key(PK, s(record_pk(t, &rid)))
                .exclusive_start_key(SK, s(RECORD_SK))
                .exclusive_start_key(GSI1PK, s(&owner))
                .exclusive_start_key(GSI1SK, s(format!("{ms:013}#{rid}")));
        }
        let out = query
            .send()
            .await
            .map_err(|e| ListError::Unavailable(unavailable(e)))?;
        let items = out
            .items()
            .iter()
            .map(|item| record_from_item(item, no_ciphertext))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ListError::Unavailable(corrupt(e)))?;
        let next_cursor = match out.last_evaluated_key() {
            Some(_) => items.last().and_then(|r| {
                Cursor::parse(&format!(
                    "{}.{}",
                    r.created_at.timestamp_millis(),
                    r.record_id
                ))
            }),
            None => None,
        };
        Ok(Page { items, next_cursor })
    }

    async fn idempotency(
        &self,
        t: &TenantId,
        key: &IdempotencyKey,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyEntry>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(idem_pk(t, key.as_str())))
            .key(SK, s(IDEM_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let expires_at = item
            .get(EXPIRES_AT)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|v| DateTime::from_timestamp(v, 0))
            .ok_or_else(|| corrupt(Corrupt(EXPIRES_AT)))?;
        if expires_at <= now {
            return Ok(None);
        }
        Ok(Some(IdempotencyEntry {
            key: key.clone(),
            fingerprint: item
                .get("fp")
                .and_then(|v| v.as_b().ok())
                .map(|b| b.as_ref().to_vec())
                .ok_or_else(|| corrupt(Corrupt("fp")))?,
            status: item
                .get("status")
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| corrupt(Corrupt("status")))?,
            body: item
                .get("body")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .ok_or_else(|| corrupt(Corrupt("body")))?,
            expires_at,
        }))
    }

    async fn take_reveal_quota(
        &self,
        t: &TenantId,
        sub: &Subject,
        hour: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(
                PK,
                s(format!("T#{t}#Q#{sub}#{}", hour.format("%Y-%m-%dT%H"))),
            )
            .key(SK, s("QUOTA"))
            .update_expression("ADD used :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(used) OR used < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":exp", n((hour + chrono::Duration::hours(2)).timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn append_audit(
        &self,
        event: &AuditEvent,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        let tenant = event
            .tenant_id
            .as_ref()
            .map(TenantId::as_str)
            .unwrap_or("-");
        let day = event.time.get(..10).unwrap_or("0000-00-00");
        let item = HashMap::from([
            (PK.into(), s(format!("T#{tenant}#A#{day}"))),
            (
                SK.into(),
                s(format!("{}#{}", event.time, RecordId::new_random())),
            ),
            ("kind".into(), s("audit")),
            (
                "event".into(),
                s(serde_json::to_string(event).map_err(|e| Unavailable(e.to_string()))?),
            ),
            (EXPIRES_AT.into(), n(expires_at.timestamp())),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn parse_cursor(c: &Cursor) -> Option<(i64, RecordId)> {
    let (ms, rid) = c.as_str().split_once('.')?;
    if ms.is_empty() || ms.len() > 13 || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((ms.parse().ok()?, RecordId::parse(rid).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_checked() {
        let rid = RecordId::new_random();
        let c = Cursor::parse(&format!("1700000000000.{rid}")).unwrap();
        assert_eq!(parse_cursor(&c), Some((1_700_000_000_000, rid)));
        for bad in ["x.y", "1700000000000", "12345678901234.0", "1.not-a-record"] {
            assert_eq!(parse_cursor(&Cursor::parse(bad).unwrap()), None, "{bad}");
        }
    }
}

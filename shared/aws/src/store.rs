//! The store ports on one DynamoDB table: conditional transactions for every write that
//! could race, Query and GetItem for every read, and no Scan anywhere.

use crate::describe;
use crate::item::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use chrono::{DateTime, NaiveDate, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::disposal::DisposalRecord;
use mynumber_domain::ids::{EmployeeId, KeyDigest, RecordId, Subject, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::{Record, Slot};
use std::collections::HashMap;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long disposal evidence is kept (TTL on disposal items).
    disposal_retention: chrono::Duration,
    /// TTL on a departed record: this long after it is gone (the purge's backstop).
    ttl_grace: chrono::Duration,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let defaults = mynumber_domain::VaultConfig::default();
        DynamoStore {
            client,
            table: table.into(),
            disposal_retention: defaults.disposal_retention,
            ttl_grace: defaults.ttl_grace,
        }
    }

    /// Takes the retention periods of the deployment's configuration.
    pub fn with_config(mut self, config: &mynumber_domain::VaultConfig) -> Self {
        self.disposal_retention = config.disposal_retention;
        self.ttl_grace = config.ttl_grace;
        self
    }

    /// Writes whole records (and their due-index keys) in batches of 25, unconditionally:
    /// for loading benchmarks and test fixtures, never a request path.
    pub async fn bulk_load(&self, records: &[Record]) -> Result<(), Unavailable> {
        // At most 24 writes per batch: a record, its membership entry and, for
        // self/spouse, its slot.
        for chunk in records.chunks(8) {
            let put = |item: Item| {
                aws_sdk_dynamodb::types::WriteRequest::builder()
                    .put_request(
                        aws_sdk_dynamodb::types::PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("complete"),
                    )
                    .build()
            };
            let mut pending = Vec::new();
            for r in chunk {
                let item = record_to_item(r, self.ttl_grace);
                pending.push(put(item));
                pending.push(put(member_item(r)));
                // The slot intake would have claimed for a self or spouse record.
                if let Some(slot) = r.relation.slot() {
                    pending.push(put(HashMap::from([
                        (PK.into(), s(slot_pk(&r.tenant_id, &r.employee_id))),
                        (SK.into(), s(slot_sk(slot))),
                        ("kind".into(), s("slot")),
                        ("record_id".into(), s(r.record_id.as_str())),
                    ])));
                }
            }
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(unavailable)?;
                pending = out
                    .unprocessed_items()
                    .and_then(|m| m.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
            }
        }
        Ok(())
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Deletes a record's entry in its employee's partition.
    fn member_delete(&self, t: &TenantId, e: &EmployeeId, r: &RecordId) -> Delete {
        Delete::builder()
            .table_name(&self.table)
            .key(PK, s(slot_pk(t, e)))
            .key(SK, s(member_sk(r)))
            .build()
            .expect("complete")
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
    Departure,
    Membership,
}

#[async_trait]
impl RecordWrites for DynamoStore {
    async fn create_record(&self, new: NewRecord) -> Result<(), CreateError> {
        let r = &new.record;
        let t = &r.tenant_id;
        let mut items: Vec<(Guard, TransactWriteItem)> = vec![(
            Guard::NewRecord,
            TransactWriteItem::builder()
                .put(self.put(
                    record_to_item(r, self.ttl_grace),
                    "attribute_not_exists(pk)",
                ))
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
            SlotChange::Reclaim { missing } => items.push((
                Guard::Slot,
                TransactWriteItem::builder()
                    .put(self.put_with(
                        slot_item(&r.record_id),
                        "record_id = :old",
                        Some((":old", s(missing.as_str()))),
                    ))
                    .build(),
            )),
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
                                .set_key(Some(record_key(t, &old.record_id)))
                                .condition_expression("version = :v")
                                .expression_attribute_values(":v", n(old.version))
                                .build()
                                .expect("complete"),
                        )
                        .build(),
                ));
                items.push((
                    Guard::Membership,
                    TransactWriteItem::builder()
                        .delete(self.member_delete(t, &r.employee_id, &old.record_id))
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
        // The departure intake read must still be the employee's departure.
        let departure_check = aws_sdk_dynamodb::types::ConditionCheck::builder()
            .table_name(&self.table)
            .key(PK, s(slot_pk(t, &r.employee_id)))
            .key(SK, s(DEPARTURE_SK));
        let departure_check = match &new.employee_departure {
            None => departure_check.condition_expression("attribute_not_exists(pk)"),
            Some(d) => departure_check
                .condition_expression("due_on = :d")
                .expression_attribute_values(":d", s(d.due_on.to_string())),
        };
        items.push((
            Guard::Departure,
            TransactWriteItem::builder()
                .condition_check(departure_check.build().expect("complete"))
                .build(),
        ));
        // The record's entry in its employee's partition, and the employee's revision,
        // which a departure read before this intake will find changed.
        items.push((
            Guard::Membership,
            TransactWriteItem::builder()
                .put(self.put(member_item(r), "attribute_not_exists(pk)"))
                .build(),
        ));
        items.push((
            Guard::Membership,
            TransactWriteItem::builder()
                .update(
                    aws_sdk_dynamodb::types::Update::builder()
                        .table_name(&self.table)
                        .key(PK, s(slot_pk(t, &r.employee_id)))
                        .key(SK, s(REVISION_SK))
                        .update_expression("SET kind = :k ADD rev :one")
                        .expression_attribute_values(":k", s("revision"))
                        .expression_attribute_values(":one", n(1))
                        .build()
                        .expect("complete"),
                )
                .build(),
        ));
        if let Some(e) = &new.idempotency {
            let item = HashMap::from([
                (PK.into(), s(idem_pk(t, e.key.as_str()))),
                (SK.into(), s(IDEM_SK)),
                ("kind".into(), s("idempotency")),
                (
                    "fp".into(),
                    AttributeValue::B(Blob::new(e.fingerprint.clone())),
                ),
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
                    let failed: Vec<Guard> = tc
                        .cancellation_reasons()
                        .iter()
                        .zip(&guards)
                        .filter(|(reason, _)| reason.code() == Some("ConditionalCheckFailed"))
                        .map(|(_, g)| *g)
                        .collect();
                    // A twin request that committed fails both the slot and the key: the
                    // key decides, so the retry is answered with the first response.
                    let decisive = if failed.iter().any(|g| matches!(g, Guard::Idempotency)) {
                        Some(Guard::Idempotency)
                    } else {
                        failed.first().copied()
                    };
                    match decisive {
                        Some(Guard::Slot) => Err(CreateError::SlotTaken),
                        Some(Guard::ReplacedRecord) => Err(CreateError::ReplacedChanged),
                        Some(Guard::Departure) => Err(CreateError::DepartureChanged),
                        Some(Guard::Idempotency) => Err(CreateError::IdempotencyKeyUsed),
                        // A random record id or a disposal id that exists: a bug or a
                        // collision; nothing was written either way.
                        Some(Guard::NewRecord | Guard::Disposal | Guard::Membership) | None => {
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

    async fn employee_departure(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<mynumber_domain::retention::Departure>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(slot_pk(t, e)))
            .key(SK, s(DEPARTURE_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item()
            .map(|item| departure_from_item(item).map_err(corrupt))
            .transpose()
    }

    async fn slot_holder(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        slot: Slot,
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

    async fn idempotency(
        &self,
        t: &TenantId,
        key: &KeyDigest,
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
            body: item
                .get("body")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .ok_or_else(|| corrupt(Corrupt("body")))?,
            expires_at,
        }))
    }
}

#[async_trait]
impl RecordReads for DynamoStore {
    async fn get_record(&self, t: &TenantId, id: &RecordId) -> Result<Option<Record>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(record_key(t, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item()
            .map(|item| record_from_item(item, ciphertext).map_err(corrupt))
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
        page_of(
            query,
            |i| record_from_item(i, no_ciphertext),
            |r| (r.created_at, &r.record_id),
        )
        .await
    }
}

#[async_trait]
impl RevealTrail for DynamoStore {
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

/// What a cancelled transaction's reasons say about the item at `index`.
fn failed_at(
    e: &SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Option<Vec<Option<String>>> {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(tc) => Some(
                tc.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

fn condition_failed(reasons: &[Option<String>], index: usize) -> bool {
    reasons.get(index).and_then(|r| r.as_deref()) == Some("ConditionalCheckFailed")
}

/// The metadata of a record from an item image (a DynamoDB stream's `OldImage`); the
/// ciphertext, if the image holds one, is left out.
pub fn record_from_image(item: &Item) -> Result<Record<()>, Unavailable> {
    record_from_item(item, no_ciphertext).map_err(corrupt)
}

/// Where a disposal transaction holds the slot delete (after the record delete, the
/// disposal record and the membership delete).
const SLOT_ITEM: usize = 3;

impl DynamoStore {
    async fn dispose_once(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
        free_slot: bool,
    ) -> Result<Disposed, Option<Vec<Option<String>>>> {
        let mut items = vec![
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(record_key(&record.tenant_id, &record.record_id)))
                        .condition_expression("version = :v")
                        .expression_attribute_values(":v", n(record.version))
                        .build()
                        .expect("complete"),
                )
                .build(),
            TransactWriteItem::builder()
                .put(self.put(
                    disposal_to_item(disposal, disposal.disposed_at + self.disposal_retention),
                    "attribute_not_exists(pk)",
                ))
                .build(),
            TransactWriteItem::builder()
                .delete(self.member_delete(
                    &record.tenant_id,
                    &record.employee_id,
                    &record.record_id,
                ))
                .build(),
        ];
        if let (true, Some(slot)) = (free_slot, record.relation.slot()) {
            items.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .key(PK, s(slot_pk(&record.tenant_id, &record.employee_id)))
                            .key(SK, s(slot_sk(slot)))
                            .condition_expression("record_id = :r")
                            .expression_attribute_values(":r", s(record.record_id.as_str()))
                            .build()
                            .expect("complete"),
                    )
                    .build(),
            );
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Disposed::Now),
            Err(e) => match failed_at(&e) {
                Some(reasons) if condition_failed(&reasons, 0) => Ok(Disposed::AlreadyGone),
                Some(reasons) => Err(Some(reasons)),
                None => {
                    tracing::warn!(error = %describe(&e), "disposal transaction failed");
                    Err(None)
                }
            },
        }
    }

    async fn query_all(
        &self,
        build: impl Fn(
            Option<HashMap<String, AttributeValue>>,
        ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<(Vec<Item>, u64), Unavailable> {
        let mut items = Vec::new();
        let mut read = 0u64;
        let mut start = None;
        loop {
            let out = build(start).send().await.map_err(unavailable)?;
            read += out.scanned_count().max(0) as u64;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok((items, read)),
            }
        }
    }
}

#[async_trait]
impl Departures for DynamoStore {
    async fn employee_records(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<EmployeeRecords, Unavailable> {
        // The employee's partition, strongly consistent: membership entries and revision.
        let partition = slot_pk(t, e);
        let (items, _) = self
            .query_all(|start| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :p")
                    .expression_attribute_values(":p", s(&partition))
                    .consistent_read(true)
                    .set_exclusive_start_key(start)
            })
            .await?;
        let mut revision = 0u64;
        let mut ids = Vec::new();
        for item in &items {
            let sk = item.get(SK).and_then(|v| v.as_s().ok());
            match sk.map(String::as_str) {
                Some(REVISION_SK) => {
                    revision = item
                        .get("rev")
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                }
                Some(sk) if sk.starts_with(MEMBER_PREFIX) => {
                    if let Ok(id) = RecordId::parse(&sk[MEMBER_PREFIX.len()..]) {
                        ids.push(id);
                    }
                }
                _ => {}
            }
        }
        // Each record by a consistent GetItem; an entry whose record TTL removed is
        // skipped.
        let records = futures::future::try_join_all(ids.iter().map(|id| self.get_record(t, id)))
            .await?
            .into_iter()
            .flatten()
            .map(|r| r.metadata())
            .collect();
        Ok(EmployeeRecords { records, revision })
    }

    async fn set_departures(
        &self,
        t: &TenantId,
        e: &EmployeeId,
        departure: Option<mynumber_domain::retention::Departure>,
        changes: &[DepartureChange],
        revision: u64,
    ) -> Result<(), UpdateError> {
        if changes.len() > 98 {
            // One transaction holds at most 100 items (the records, the employee's
            // departure and revision); no employee has that many records.
            return Err(UpdateError::Unavailable(Unavailable(
                "more than 100 records for one employee".into(),
            )));
        }
        let mut items: Vec<TransactWriteItem> = changes
            .iter()
            .map(|c| {
                let r = &c.record;
                let mut update = aws_sdk_dynamodb::types::Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(record_key(&r.tenant_id, &r.record_id)))
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", n(r.version))
                    .expression_attribute_values(":nv", n(r.version + 1));
                update = match &c.departure {
                    Some(d) => {
                        let expires = d.gone_at() + self.ttl_grace;
                        let mut u = update
                            .expression_attribute_values(":l", s(d.left_on.to_string()))
                            .expression_attribute_values(":d", s(d.due_on.to_string()))
                            .expression_attribute_values(":dp", s(due_pk(&r.record_id)))
                            .expression_attribute_values(":ds", s(due_sk(d, &r.tenant_id, &r.record_id)))
                            .expression_attribute_values(":exp", n(expires.timestamp()));
                        let mut expr = "SET left_on = :l, due_on = :d, due_pk = :dp, due_sk = :ds, \
                                        expires_at = :exp, version = :nv"
                            .to_owned();
                        match d.last_declaration_year {
                            Some(y) => {
                                u = u.expression_attribute_values(":y", n(y));
                                expr.push_str(", last_declaration_year = :y");
                            }
                            None => expr.push_str(" REMOVE last_declaration_year"),
                        }
                        u.update_expression(expr)
                    }
                    None => update.update_expression(
                        "SET version = :nv REMOVE left_on, due_on, last_declaration_year, due_pk, due_sk, expires_at",
                    ),
                };
                TransactWriteItem::builder()
                    .update(update.build().expect("complete"))
                    .build()
            })
            .collect();
        items.push(match &departure {
            Some(d) => TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(departure_to_item(t, e, d, self.ttl_grace)))
                        .build()
                        .expect("complete"),
                )
                .build(),
            None => TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .key(PK, s(slot_pk(t, e)))
                        .key(SK, s(DEPARTURE_SK))
                        .build()
                        .expect("complete"),
                )
                .build(),
        });
        // No intake for this employee since the records were read.
        let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
            .table_name(&self.table)
            .key(PK, s(slot_pk(t, e)))
            .key(SK, s(REVISION_SK));
        let check = if revision == 0 {
            check.condition_expression("attribute_not_exists(rev)")
        } else {
            check
                .condition_expression("rev = :rev")
                .expression_attribute_values(":rev", n(revision))
        };
        items.push(
            TransactWriteItem::builder()
                .condition_check(check.build().expect("complete"))
                .build(),
        );
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match failed_at(&e) {
                Some(reasons)
                    if reasons
                        .iter()
                        .any(|r| r.as_deref() == Some("ConditionalCheckFailed")) =>
                {
                    Err(UpdateError::Concurrent)
                }
                _ => Err(UpdateError::Unavailable(unavailable(e))),
            },
        }
    }
}

#[async_trait]
impl RecordDisposal for DynamoStore {
    async fn dispose(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        match self.dispose_once(record, disposal, true).await {
            Ok(d) => Ok(d),
            // The slot names another record (it was re-registered): dispose without it.
            Err(Some(reasons)) if condition_failed(&reasons, SLOT_ITEM) => self
                .dispose_once(record, disposal, false)
                .await
                .map_err(|_| Unavailable("disposal failed twice".into())),
            Err(_) => {
                // A conflicting transaction (say, a concurrent purge) may have won.
                let current = self
                    .get_record(&record.tenant_id, &record.record_id)
                    .await?;
                match current {
                    Some(r) if r.version == record.version => Err(Unavailable(
                        "disposal transaction failed; the record is still there".into(),
                    )),
                    _ => Ok(Disposed::AlreadyGone),
                }
            }
        }
    }
}

#[async_trait]
impl TtlDisposals for DynamoStore {
    async fn record_ttl_disposal(
        &self,
        record: &Record<()>,
        disposal: &DisposalRecord,
    ) -> Result<Disposed, Unavailable> {
        let t = &record.tenant_id;
        let written = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(self.put(
                        disposal_to_item(disposal, disposal.disposed_at + self.disposal_retention),
                        "attribute_not_exists(pk)",
                    ))
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .delete(self.member_delete(t, &record.employee_id, &record.record_id))
                    .build(),
            )
            .send()
            .await;
        match written {
            Ok(_) => {}
            Err(e) => {
                return match failed_at(&e) {
                    Some(reasons) if condition_failed(&reasons, 0) => Ok(Disposed::AlreadyGone),
                    _ => Err(unavailable(e)),
                };
            }
        }
        // The slot, unless intake has already given it to a new record.
        if let Some(slot) = record.relation.slot() {
            let freed = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(slot_pk(t, &record.employee_id)))
                .key(SK, s(slot_sk(slot)))
                .condition_expression("record_id = :r")
                .expression_attribute_values(":r", s(record.record_id.as_str()))
                .send()
                .await;
            if let Err(e) = freed
                && !e
                    .as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception())
            {
                return Err(unavailable(e));
            }
        }
        Ok(Disposed::Now)
    }
}

#[async_trait]
impl DueIndex for DynamoStore {
    async fn due_records(
        &self,
        today: NaiveDate,
        cursor: Option<&Cursor>,
        limit: u16,
    ) -> Result<DuePage, Unavailable> {
        // Cursor: `{shard}` or `{shard}.{due_sk with '#' as '~'}`.
        let (shard, start_sk) = match cursor {
            None => (0u8, None),
            Some(c) => {
                let (shard, sk) = match c.as_str().split_once('.') {
                    Some((a, b)) => (a, Some(b.replace('~', "#"))),
                    None => (c.as_str(), None),
                };
                (
                    shard
                        .parse()
                        .map_err(|_| Unavailable("bad due cursor".into()))?,
                    sk,
                )
            }
        };
        let shard_pk = format!("DUE#{shard}");
        let before = today.succ_opt().expect("a next day exists").to_string();
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_DUE)
            .key_condition_expression("due_pk = :p AND due_sk < :t")
            .expression_attribute_values(":p", s(&shard_pk))
            .expression_attribute_values(":t", s(before))
            .limit(i32::from(limit));
        if let Some(sk) = &start_sk {
            let (t, r) = parse_due_sk(sk).ok_or_else(|| Unavailable("bad due cursor".into()))?;
            query = query
                .exclusive_start_key(PK, s(record_pk(&t, &r)))
                .exclusive_start_key(SK, s(RECORD_SK))
                .exclusive_start_key(DUE_PK, s(&shard_pk))
                .exclusive_start_key(DUE_SK, s(sk));
        }
        let out = query.send().await.map_err(unavailable)?;
        let items = out
            .items()
            .iter()
            .map(|i| record_from_item(i, no_ciphertext).map_err(corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        let next = match out
            .last_evaluated_key()
            .and_then(|k| k.get(DUE_SK))
            .and_then(|v| v.as_s().ok())
        {
            Some(last) => Cursor::parse(&format!("{shard}.{}", last.replace('#', "~"))),
            None if shard + 1 < DUE_SHARDS => Cursor::parse(&(shard + 1).to_string()),
            None => None,
        };
        Ok(DuePage {
            items,
            read: out.scanned_count().max(0) as u64,
            next,
        })
    }

    async fn due_count(&self, today: NaiveDate) -> Result<u64, Unavailable> {
        let before = today.succ_opt().expect("a next day exists").to_string();
        let mut total = 0u64;
        for shard in 0..DUE_SHARDS {
            let shard_pk = format!("DUE#{shard}");
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(BY_DUE)
                    .key_condition_expression("due_pk = :p AND due_sk < :t")
                    .expression_attribute_values(":p", s(&shard_pk))
                    .expression_attribute_values(":t", s(&before))
                    .select(aws_sdk_dynamodb::types::Select::Count)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(unavailable)?;
                total += out.count().max(0) as u64;
                match out.last_evaluated_key() {
                    Some(k) => start = Some(k.clone()),
                    None => break,
                }
            }
        }
        Ok(total)
    }

    async fn upcoming(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<(TenantId, u64)>, Unavailable> {
        let first_gone = from.succ_opt().expect("a next day exists").to_string();
        let last_gone = format!("{}#~", until.succ_opt().expect("a next day exists"));
        let mut counts: std::collections::BTreeMap<TenantId, u64> = Default::default();
        for shard in 0..DUE_SHARDS {
            let shard_pk = format!("DUE#{shard}");
            let (items, _) = self
                .query_all(|start| {
                    self.client
                        .query()
                        .table_name(&self.table)
                        .index_name(BY_DUE)
                        .key_condition_expression("due_pk = :p AND due_sk BETWEEN :a AND :b")
                        .expression_attribute_values(":p", s(&shard_pk))
                        .expression_attribute_values(":a", s(&first_gone))
                        .expression_attribute_values(":b", s(&last_gone))
                        .projection_expression("due_sk")
                        .set_exclusive_start_key(start)
                })
                .await?;
            for item in items {
                if let Some((t, _)) = item
                    .get(DUE_SK)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|sk| parse_due_sk(sk))
                {
                    *counts.entry(t).or_default() += 1;
                }
            }
        }
        Ok(counts.into_iter().collect())
    }
}

#[async_trait]
impl DisposalLog for DynamoStore {
    async fn list_disposals(
        &self,
        t: &TenantId,
        employee: Option<&EmployeeId>,
        page: &PageRequest,
    ) -> Result<Page<DisposalRecord>, ListError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .scan_index_forward(false)
            .limit(i32::from(page.limit));
        let tenant_pk = disposals_pk(t);
        let owner = employee.map(|e| owner_disposals_pk(t, e));
        query = match &owner {
            Some(o) => query
                .index_name(BY_OWNER)
                .key_condition_expression("gsi1pk = :o")
                .expression_attribute_values(":o", s(o)),
            None => query
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s(&tenant_pk)),
        };
        if let Some(cursor) = &page.cursor {
            let (ms, rid) = parse_cursor(cursor).ok_or(ListError::BadCursor)?;
            let sk = format!("{ms:013}#{rid}");
            query = query
                .exclusive_start_key(PK, s(&tenant_pk))
                .exclusive_start_key(SK, s(&sk));
            if let Some(o) = &owner {
                query = query
                    .exclusive_start_key(GSI1PK, s(o))
                    .exclusive_start_key(GSI1SK, s(&sk));
            }
        }
        page_of(query, disposal_from_item, |d| (d.disposed_at, &d.record_id)).await
    }
}

/// Runs one listing query; the page's cursor is the last item's position.
async fn page_of<T>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    parse: impl Fn(&Item) -> Result<T, Corrupt>,
    position: impl Fn(&T) -> (DateTime<Utc>, &RecordId),
) -> Result<Page<T>, ListError> {
    let out = query
        .send()
        .await
        .map_err(|e| ListError::Unavailable(unavailable(e)))?;
    let items = out
        .items()
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ListError::Unavailable(corrupt(e)))?;
    let next_cursor = match out.last_evaluated_key() {
        Some(_) => items.last().and_then(|item| {
            let (at, rid) = position(item);
            Cursor::parse(&format!("{}.{rid}", at.timestamp_millis()))
        }),
        None => None,
    };
    Ok(Page { items, next_cursor })
}

/// The inverse of the position `page_of` writes: `{ms}.{record_id}`.
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

//! Email (SPEC §4d): the sent log (one partition a tenant, newest first), the message's
//! pointer that a bounce or a complaint finds its entry by, and the tenant's settings.

use super::{DynamoStore, corrupt, unavailable};
use crate::item::{Corrupt, EXPIRES_AT, Item, n, s};
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Duration};
use mynumber_domain::collection::CollectionId;
use mynumber_domain::ids::{RecordId, TenantId};
use mynumber_domain::notification::*;
use mynumber_domain::ports::*;
use mynumber_domain::record::timestamp;

/// The sent log is kept as long as the collections it concerns are listable.
const KEPT: Duration = Duration::days(400);

fn entry_sk(e: &NotificationEntry) -> String {
    listing_sk(e.sent_at.timestamp_millis(), &e.notification_id)
}

fn entry_to_item(e: &NotificationEntry) -> Item {
    let mut item = Item::from([
        (PK.into(), s(notifications_pk(&e.tenant_id))),
        (SK.into(), s(entry_sk(e))),
        ("kind".into(), s("notification")),
        ("tenant_id".into(), s(e.tenant_id.as_str())),
        ("notification_id".into(), s(e.notification_id.as_str())),
        ("notification".into(), s(e.kind.code())),
        ("to".into(), s(e.to.as_str())),
        ("sent_at".into(), s(timestamp(e.sent_at))),
        ("status".into(), s(e.status.code())),
        (EXPIRES_AT.into(), n((e.sent_at + KEPT).timestamp())),
    ]);
    if let Some(c) = &e.collection_id {
        item.insert("collection_id".into(), s(c.as_str()));
    }
    if let Some(m) = &e.message_id {
        item.insert("message_id".into(), s(m.as_str()));
    }
    item
}

fn entry_from_item(item: &Item) -> Result<NotificationEntry, Corrupt> {
    let get = |k: &'static str| item.get(k).and_then(|v| v.as_s().ok()).ok_or(Corrupt(k));
    Ok(NotificationEntry {
        notification_id: RecordId::parse(get("notification_id")?)
            .map_err(|_| Corrupt("notification_id"))?,
        tenant_id: TenantId::parse(get("tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        kind: NotificationKind::parse(get("notification")?).ok_or(Corrupt("notification"))?,
        to: MaskedAddress::parse(get("to")?).ok_or(Corrupt("to"))?,
        collection_id: match item.get("collection_id") {
            None => None,
            Some(_) => Some(
                CollectionId::parse(get("collection_id")?).map_err(|_| Corrupt("collection_id"))?,
            ),
        },
        sent_at: DateTime::parse_from_rfc3339(get("sent_at")?)
            .map_err(|_| Corrupt("sent_at"))?
            .to_utc(),
        status: DeliveryStatus::parse(get("status")?).ok_or(Corrupt("status"))?,
        message_id: match item.get("message_id") {
            None => None,
            Some(_) => Some(MessageId::parse(get("message_id")?).ok_or(Corrupt("message_id"))?),
        },
    })
}

/// A listing position as a cursor: the sort key with `.` for `#` (a cursor's charset).
fn cursor_of(sk: &str) -> Option<Cursor> {
    Cursor::parse(&sk.replace('#', "."))
}

/// The position a cursor names, read as every listing's cursor is (`{ms}.{id}`).
fn sk_of(c: &Cursor) -> Option<String> {
    let (ms, id) = super::parse_cursor(c)?;
    Some(listing_sk(ms, &id))
}

#[async_trait]
impl NotificationLog for DynamoStore {
    /// The entry and, for a sent message, its pointer, together.
    async fn record_notification(&self, e: &NotificationEntry) -> Result<(), Unavailable> {
        let mut puts = vec![Put::builder().set_item(Some(entry_to_item(e)))];
        if let Some(m) = &e.message_id {
            let mut pointer = message_key(m);
            pointer.extend([
                ("kind".into(), s("message")),
                ("tenant_id".into(), s(e.tenant_id.as_str())),
                ("entry_sk".into(), s(entry_sk(e))),
                (EXPIRES_AT.into(), n((e.sent_at + KEPT).timestamp())),
            ]);
            puts.push(Put::builder().set_item(Some(pointer)));
        }
        let items = puts
            .into_iter()
            .map(|p| {
                let put = p.table_name(&self.table).build().map_err(unavailable)?;
                Ok(TransactWriteItem::builder().put(put).build())
            })
            .collect::<Result<Vec<_>, Unavailable>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn list_notifications(
        &self,
        t: &TenantId,
        filter: &NotificationFilter,
        page: &PageRequest,
    ) -> Result<Page<NotificationEntry>, ListError> {
        let mut items = Vec::new();
        let mut start = match &page.cursor {
            Some(c) => {
                let sk = sk_of(c).ok_or(ListError::BadCursor)?;
                Some(Item::from([
                    (PK.into(), s(notifications_pk(t))),
                    (SK.into(), s(sk)),
                ]))
            }
            None => None,
        };
        let since = filter
            .since
            .map(|at| format!("{:013}", at.timestamp_millis()));
        // Filtered on the client: the log is small, and a page is filled from as many
        // reads as it takes.
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":p", s(notifications_pk(t)))
                .scan_index_forward(false)
                .limit(i32::from(page.limit))
                .set_exclusive_start_key(start.take());
            query = match &since {
                Some(ms) => query
                    .key_condition_expression("pk = :p AND sk >= :since")
                    .expression_attribute_values(":since", s(ms.clone())),
                None => query.key_condition_expression("pk = :p"),
            };
            let out = query
                .send()
                .await
                .map_err(|e| ListError::Unavailable(unavailable(e)))?;
            let mut left_over = false;
            for item in out.items() {
                let e = entry_from_item(item).map_err(|e| ListError::Unavailable(corrupt(e)))?;
                if !filter.matches(&e) {
                    continue;
                }
                if items.len() < usize::from(page.limit) {
                    items.push(e);
                } else {
                    left_over = true;
                    break;
                }
            }
            let last = out.last_evaluated_key().cloned();
            if items.len() >= usize::from(page.limit) || last.is_none() {
                let more = left_over || last.is_some();
                let next_cursor = items
                    .last()
                    .filter(|_| more)
                    .and_then(|e| cursor_of(&entry_sk(e)));
                return Ok(Page { items, next_cursor });
            }
            start = last;
        }
    }

    async fn mark_delivery(
        &self,
        id: &MessageId,
        status: DeliveryStatus,
    ) -> Result<bool, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(message_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(pointer) = out.item() else {
            return Ok(false);
        };
        let get = |k: &'static str| {
            pointer
                .get(k)
                .and_then(|v| v.as_s().ok())
                .ok_or_else(|| corrupt(Corrupt(k)))
        };
        let tenant =
            TenantId::parse(get("tenant_id")?).map_err(|_| corrupt(Corrupt("tenant_id")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(notifications_pk(&tenant)))
            .key(SK, s(get("entry_sk")?))
            .update_expression("SET #s = :s")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", s(status.code()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl NotificationSettingsStore for DynamoStore {
    async fn notification_settings(
        &self,
        t: &TenantId,
    ) -> Result<Option<NotificationSettings>, Unavailable> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(notification_settings_key(t)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let json = item
            .get("settings")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt(Corrupt("settings")))?;
        serde_json::from_str(json)
            .map(Some)
            .map_err(|_| corrupt(Corrupt("settings")))
    }

    async fn put_notification_settings(
        &self,
        t: &TenantId,
        settings: &NotificationSettings,
    ) -> Result<(), Unavailable> {
        let mut item = notification_settings_key(t);
        item.extend([
            ("kind".into(), s("notification_settings")),
            (
                "settings".into(),
                AttributeValue::S(serde_json::to_string(settings).map_err(unavailable)?),
            ),
        ]);
        // Listed under its digest day when someone is to receive it.
        if !settings.hr_recipients.is_empty() {
            item.insert(DUE_PK.into(), s(digest_pk(settings.digest.weekday)));
            item.insert(DUE_SK.into(), s(t.as_str()));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl DigestReads for DynamoStore {
    async fn digest_tenants(&self, weekday: Weekday) -> Result<Vec<TenantId>, Unavailable> {
        super::due_listing(self, &digest_pk(weekday), None, |t| TenantId::parse(t).ok()).await
    }

    async fn digest_records(
        &self,
        t: &TenantId,
        cursor: Option<&Cursor>,
    ) -> Result<Page<mynumber_domain::record::Record<()>>, Unavailable> {
        Exports::tenant_records(self, t, cursor).await
    }

    async fn digest_links(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::collection::Collection>, ListError> {
        // Unfiltered: the time only serves a status filter.
        CollectionWrites::list_collections(self, t, &Default::default(), DateTime::UNIX_EPOCH, page)
            .await
    }

    async fn digest_disposals(
        &self,
        t: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<mynumber_domain::disposal::DisposalRecord>, ListError> {
        DisposalLog::list_disposals(self, t, None, page).await
    }

    async fn digest_turn(&self, t: &TenantId, day: chrono::NaiveDate) -> Result<bool, Unavailable> {
        let turn = aws_sdk_dynamodb::types::Update::builder()
            .set_key(Some(digest_turn_key(t)))
            .update_expression("SET #d = :d, #x = :gone")
            .condition_expression("attribute_not_exists(#d) OR #d <> :d")
            .expression_attribute_names("#d", "day")
            .expression_attribute_names("#x", EXPIRES_AT)
            .expression_attribute_values(":d", s(day.to_string()))
            .expression_attribute_values(
                ":gone",
                n((chrono::Utc::now() + Duration::days(8)).timestamp()),
            );
        super::turn_taken(super::update_alone(self, turn).await)
    }
}

//! Collections (SPEC §4a): opening a link (and cancelling the employee's previous one in
//! the same transaction), reading by id or by the token's digest, counting invalid
//! attempts, cancelling, and the tenant's listing. The submission itself is a records
//! transaction (`records::create_records`).

use super::transaction::Transaction;
use super::{
    ABSENT, DynamoStore, corrupt, get_consistent, parse_cursor, unavailable, update_alone,
    update_alone_returning,
};
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{Put, Update};
use chrono::{DateTime, Utc};
use mynumber_domain::collection::{
    Collection, CollectionFilter, CollectionId, CollectionState, CollectionStatus,
    MAX_INVALID_ATTEMPTS, TokenDigest,
};
use mynumber_domain::ids::{EmployeeId, TenantId};
use mynumber_domain::ports::*;
use mynumber_domain::record::timestamp;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guard {
    New,
    Token,
    Latest,
    Previous,
}

pub(crate) async fn get_collection(
    store: &DynamoStore,
    t: &TenantId,
    id: &CollectionId,
) -> Result<Option<Collection>, Unavailable> {
    get_consistent(store, collection_key(t, id), collection_from_item).await
}

pub(crate) async fn latest_collection(
    store: &DynamoStore,
    t: &TenantId,
    e: &EmployeeId,
) -> Result<Option<CollectionId>, Unavailable> {
    get_consistent(
        store,
        latest_collection_key(t, e),
        latest_collection_from_item,
    )
    .await
}

/// The update that moves `c` to `state`, conditional on the version it was read at.
pub(crate) fn state_change(
    c: &Collection,
    state: CollectionState,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
        // The address is kept only while the link is open (SPEC §4d).
        .update_expression("SET #s = :s, version = :nv REMOVE email, due_pk, due_sk")
        .condition_expression("version = :v")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s(state.code()))
        .expression_attribute_values(":v", n(c.version))
        .expression_attribute_values(":nv", n(c.version + 1))
}

/// The submission's update of its collection: spent, on condition that it is still open
/// at the version read.
/// With an `outbox`, the collection joins the notify function's queue and keeps its
/// address while a receipt is owed.
pub(crate) fn submitted(
    c: &Collection,
    outbox: Option<&mynumber_domain::notification::Outbox>,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    let update = state_change(c, CollectionState::Submitted)
        .condition_expression("version = :v AND #s = :open")
        .expression_attribute_values(":open", s(CollectionState::Open.code()));
    match outbox {
        None => update,
        Some(o) => update
            .update_expression(format!(
                "SET #s = :s, version = :nv, {OUTBOX} = :o, due_pk = :q, due_sk = :qs{}",
                if o.receipt.is_some() {
                    ""
                } else {
                    " REMOVE email"
                }
            ))
            .expression_attribute_values(":o", s(outbox_json(o)))
            .expression_attribute_values(":q", s(OUTBOX_PK))
            .expression_attribute_values(
                ":qs",
                s(outbox_sk(o.submitted_at, &c.tenant_id, &c.collection_id)),
            ),
    }
}

#[async_trait]
impl CollectionWrites for DynamoStore {
    async fn get_collection(
        &self,
        t: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable> {
        get_collection(self, t, id).await
    }

    async fn latest_collection(
        &self,
        t: &TenantId,
        e: &EmployeeId,
    ) -> Result<Option<CollectionId>, Unavailable> {
        latest_collection(self, t, e).await
    }

    /// Writes the new collection, its token entry and the employee's pointer, on condition
    /// that the pointer still names `latest` (what the caller read); an open `previous` is
    /// cancelled in the same transaction.
    async fn open_collection(
        &self,
        new: &Collection,
        latest: Option<&CollectionId>,
        previous: Option<&Collection>,
    ) -> Result<(), UpdateError> {
        let mut tx = Transaction::new(self);
        tx.put(
            Guard::New,
            Put::builder()
                .set_item(Some(collection_to_item(new)))
                .condition_expression(ABSENT),
        )
        .put(
            Guard::Token,
            Put::builder()
                .set_item(Some(token_item(new)))
                .condition_expression(ABSENT),
        );
        let pointer = Put::builder().set_item(Some(latest_collection_item(new)));
        tx.put(
            Guard::Latest,
            match latest {
                None => pointer.condition_expression(ABSENT),
                Some(id) => pointer
                    .condition_expression("collection_id = :old")
                    .expression_attribute_values(":old", s(id.as_str())),
            },
        );
        if let Some(p) = previous.filter(|p| p.state == CollectionState::Open) {
            tx.update(Guard::Previous, state_change(p, CollectionState::Cancelled));
        }
        match tx.commit().await {
            Ok(()) => Ok(()),
            Err(e) if e.failed(Guard::Latest) || e.failed(Guard::Previous) => {
                Err(UpdateError::Concurrent)
            }
            Err(e) => Err(UpdateError::Unavailable(e.unavailable())),
        }
    }

    async fn cancel_collection(&self, c: &Collection) -> Result<(), UpdateError> {
        update_alone(self, state_change(c, CollectionState::Cancelled)).await
    }

    /// The tenant's collections, newest first, filtered on the server.
    async fn list_collections(
        &self,
        t: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Collection>, ListError> {
        let query = collections_query(self, t, filter, now).limit(i32::from(page.limit));
        let start = match &page.cursor {
            Some(cursor) => {
                let (ms, rid) = parse_cursor(cursor).ok_or(ListError::BadCursor)?;
                Some(collections_listing_start(t, ms, &rid))
            }
            None => None,
        };
        // One query a page, so a page costs what its limit says however few items the
        // filter keeps: a filtered page may hold fewer items than `limit`, even none, and
        // still name where the listing goes on (the position of the last item read).
        let out = query
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| ListError::Unavailable(unavailable(e)))?;
        let items = out
            .items()
            .iter()
            .map(collection_from_item)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ListError::Unavailable(corrupt(e)))?;
        let next_cursor = out
            .last_evaluated_key()
            .and_then(|k| k.get(GSI1SK))
            .and_then(|v| v.as_s().ok())
            .and_then(|sk| {
                let (ms, id) = sk.split_once('#')?;
                Cursor::parse(&format!("{ms}.{id}"))
            });
        Ok(Page { items, next_cursor })
    }
}

#[async_trait]
impl CollectionAccess for DynamoStore {
    /// The collection a token opens, read consistently: the token entry, then the collection.
    async fn collection_by_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Collection>, Unavailable> {
        let Some((t, id)) = get_consistent(self, token_key(digest), token_target).await? else {
            return Ok(None);
        };
        // The collection must name the same digest: the entry cannot open another one.
        Ok(get_collection(self, &t, &id)
            .await?
            .filter(|c| c.opens_with(digest)))
    }

    /// One more invalid submission; the fifth locks the link.
    async fn count_invalid_attempt(&self, c: &Collection) -> Result<(), UpdateError> {
        // ADD is atomic: every invalid attempt counts, however many arrive at once (a SET of
        // the count read before lets parallel attempts overwrite each other's). One past the
        // limit, or on a link no longer in the state read, is not counted (`Concurrent`), and
        // the caller answers as for an unusable link: at most the limit of attempts are answered.
        let counted = Update::builder()
            .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
            .update_expression("ADD attempts :one")
            .condition_expression("#s = :s AND (attribute_not_exists(attempts) OR attempts < :max)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":s", s(c.state.code()))
            .expression_attribute_values(":max", n(MAX_INVALID_ATTEMPTS));
        let attempts = update_alone_returning(
            self,
            counted,
            aws_sdk_dynamodb::types::ReturnValue::UpdatedNew,
        )
        .await?
        .get("attempts")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_INVALID_ATTEMPTS);
        if attempts < MAX_INVALID_ATTEMPTS {
            return Ok(());
        }
        // The attempt that reached the limit locks the link (a version change, so a submission
        // that read the link before fails).
        let lock = Update::builder()
            .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
            .update_expression("SET #s = :locked REMOVE email, due_pk, due_sk ADD version :one")
            .condition_expression("#s = :s")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":locked", s(CollectionState::Locked.code()))
            .expression_attribute_values(":s", s(c.state.code()))
            .expression_attribute_values(":one", n(1));
        match update_alone(self, lock).await {
            // Submitted or cancelled meanwhile: nothing left to lock.
            Ok(()) | Err(UpdateError::Concurrent) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn submit(
        &self,
        c: &Collection,
        records: Vec<NewRecord>,
        changes: Vec<DocumentChange>,
        outbox: Option<&mynumber_domain::notification::Outbox>,
    ) -> Result<(), CreateError> {
        super::records::create_records(self, &records, Some(submitted(c, outbox)), &changes).await
    }
}

#[async_trait]
impl LinkReminders for DynamoStore {
    async fn links_to_remind(
        &self,
        before: chrono::NaiveDate,
    ) -> Result<Vec<(TenantId, CollectionId)>, Unavailable> {
        super::due_listing(self, REMIND_PK, Some(before.to_string()), parse_remind_sk).await
    }

    async fn reminder_link(
        &self,
        t: &TenantId,
        id: &CollectionId,
    ) -> Result<Option<Collection>, Unavailable> {
        get_collection(self, t, id).await
    }

    async fn forget_address(&self, c: &Collection) -> Result<(), UpdateError> {
        update_alone(
            self,
            Update::builder()
                .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
                .update_expression("SET version = :nv REMOVE email, due_pk, due_sk")
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(c.version))
                .expression_attribute_values(":nv", n(c.version + 1)),
        )
        .await
    }
}

#[async_trait]
impl MailOutbox for DynamoStore {
    async fn outbox(&self) -> Result<Vec<(TenantId, CollectionId)>, Unavailable> {
        super::due_listing(self, OUTBOX_PK, None, parse_remind_sk).await
    }

    async fn settle_outbox(
        &self,
        c: &Collection,
        left: Option<&mynumber_domain::notification::Outbox>,
    ) -> Result<(), UpdateError> {
        let update = Update::builder()
            .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", n(c.version))
            .expression_attribute_values(":nv", n(c.version + 1));
        let update = match left {
            None => update.update_expression(format!(
                "SET version = :nv REMOVE email, {OUTBOX}, due_pk, due_sk"
            )),
            Some(o) => update
                .update_expression(format!(
                    "SET version = :nv, {OUTBOX} = :o{}",
                    if o.receipt.is_some() {
                        ""
                    } else {
                        " REMOVE email"
                    }
                ))
                .expression_attribute_values(":o", s(outbox_json(o))),
        };
        update_alone(self, update).await
    }

    /// One conditional write: the turn is taken only when the last notice is an hour old.
    async fn review_notice_turn(
        &self,
        t: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let turn = Update::builder()
            .set_key(Some(review_notice_key(t)))
            .update_expression("SET last_sent = :now, #x = :gone")
            .expression_attribute_names("#x", EXPIRES_AT)
            .condition_expression("attribute_not_exists(last_sent) OR last_sent <= :ago")
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":ago", n((now - chrono::Duration::hours(1)).timestamp()))
            // Of no use once the hour is over; the TTL tidies it away.
            .expression_attribute_values(":gone", n((now + chrono::Duration::days(2)).timestamp()));
        super::turn_taken(update_alone(self, turn).await)
    }
}

#[async_trait]
impl LinkTokens for DynamoStore {
    /// The reminder's token entry and the link's new mailing time, together: a token is
    /// never filed for a link that closed meanwhile, and a link is never marked mailed
    /// without the token its mail carries.
    async fn add_reminder(
        &self,
        c: &Collection,
        token: &TokenDigest,
        at: DateTime<Utc>,
    ) -> Result<(), UpdateError> {
        let mut tx = Transaction::new(self);
        tx.put(
            Guard::Token,
            Put::builder()
                .set_item(Some(token_item_for(c, token)))
                .condition_expression(super::ABSENT),
        );
        tx.update(
            Guard::Previous,
            Update::builder()
                .set_key(Some(collection_key(&c.tenant_id, &c.collection_id)))
                .update_expression(
                    "SET mailed_at = :at, due_sk = :sk, version = :nv ADD reminder_digests :d",
                )
                .condition_expression("version = :v AND #s = :open")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":at", s(timestamp(at)))
                .expression_attribute_values(
                    ":sk",
                    s(remind_sk(
                        mynumber_domain::retention::jst_today(at),
                        &c.tenant_id,
                        &c.collection_id,
                    )),
                )
                .expression_attribute_values(
                    ":d",
                    aws_sdk_dynamodb::types::AttributeValue::Ss(vec![token.as_str().to_owned()]),
                )
                .expression_attribute_values(":v", n(c.version))
                .expression_attribute_values(":nv", n(c.version + 1))
                .expression_attribute_values(":open", s(CollectionState::Open.code())),
        );
        match tx.commit().await {
            Ok(()) => Ok(()),
            Err(e) if e.failed(Guard::Previous) || e.failed(Guard::Token) => {
                Err(UpdateError::Concurrent)
            }
            Err(e) => Err(UpdateError::Unavailable(e.unavailable())),
        }
    }
}

/// The query of the tenant's collections (newest first) that `filter` admits at `now`.
fn collections_query(
    store: &DynamoStore,
    t: &TenantId,
    filter: &CollectionFilter,
    now: DateTime<Utc>,
) -> QueryFluentBuilder {
    let mut query = store
        .client
        .query()
        .table_name(&store.table)
        .index_name(BY_OWNER)
        .key_condition_expression("gsi1pk = :o")
        .expression_attribute_values(":o", s(collections_pk(t)))
        .scan_index_forward(false);
    let mut conditions = Vec::new();
    if let Some(status) = filter.status {
        query = query.expression_attribute_names("#s", "status");
        let now = s(timestamp(now));
        query = match status {
            CollectionStatus::Open => {
                conditions.push("#s = :open AND link_expires_at > :now");
                query
                    .expression_attribute_values(":open", s(CollectionState::Open.code()))
                    .expression_attribute_values(":now", now)
            }
            CollectionStatus::Expired => {
                conditions.push("#s = :open AND link_expires_at <= :now");
                query
                    .expression_attribute_values(":open", s(CollectionState::Open.code()))
                    .expression_attribute_values(":now", now)
            }
            other => {
                conditions.push("#s = :state");
                query.expression_attribute_values(":state", s(other.code()))
            }
        };
    }
    if let Some(e) = &filter.employee_id {
        conditions.push("employee_id = :e");
        query = query.expression_attribute_values(":e", s(e.as_str()));
    }
    if !conditions.is_empty() {
        query = query.filter_expression(conditions.join(" AND "));
    }
    query
}

#[async_trait]
impl CollectionCounts for DynamoStore {
    async fn count_collections(
        &self,
        t: &TenantId,
        filter: &CollectionFilter,
        now: DateTime<Utc>,
    ) -> Result<u64, Unavailable> {
        let mut total = 0u64;
        let mut start = None;
        loop {
            let out = collections_query(self, t, filter, now)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            total += out.count().max(0) as u64;
            match out.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(total),
            }
        }
    }
}

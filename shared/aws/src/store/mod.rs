//! The domain's store ports on one DynamoDB table: conditional transactions for
//! every write that could race, Query and GetItem for every read, and no Scan anywhere.
//!
//! Each file implements the domain's ports of its concern: `records` (intake's create,
//! reads by id, slot and departure, the employee's listing, the duplicate index, a
//! review's confirmation), `retention` (departures, disposals, the disposal log),
//! `due_index` (what is due), `collections` and `documents` (links and their photos),
//! `exports`, `trail` (the reveal quota, the audit trail and the hourly counters) and
//! `backfill`; `idempotency` and `transaction` are how intake's entries and every
//! transaction are written. Keys come from `crate::keys`, items from `crate::item`.

mod backfill;
mod certificates;
mod collections;
mod documents;
mod due_index;
mod exports;
mod idempotency;
mod notifications;
mod purge_run;
mod records;
mod retention;
mod trail;
mod transaction;

use crate::describe;
use crate::item::{Corrupt, Item, no_ciphertext, record_from_item};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use chrono::{DateTime, Utc};
use mynumber_domain::ids::RecordId;
use mynumber_domain::ports::{Cursor, ListError, Page, Unavailable, UpdateError};
use mynumber_domain::record::Record;

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

    /// When a disposal written at `disposed_at` may be deleted by TTL.
    fn disposal_expires(&self, disposed_at: DateTime<Utc>) -> DateTime<Utc> {
        disposed_at + self.disposal_retention
    }
}

/// The condition that no item has the key yet: a put that overwrites nothing.
const ABSENT: &str = "attribute_not_exists(pk)";

/// The put of a disposal record, which must not exist yet: one per disposed record, however
/// many disposals race for it (replace, early disposal, purge, backstop).
fn new_disposal(
    store: &DynamoStore,
    disposal: &mynumber_domain::disposal::DisposalRecord,
) -> aws_sdk_dynamodb::types::builders::PutBuilder {
    aws_sdk_dynamodb::types::Put::builder()
        .set_item(Some(crate::item::disposal_to_item(
            disposal,
            store.disposal_expires(disposal.disposed_at),
        )))
        .condition_expression(ABSENT)
}

/// One item by its key, read strongly consistently and parsed; `None` when absent.
async fn get_consistent<T>(
    store: &DynamoStore,
    key: Item,
    parse: impl FnOnce(&Item) -> Result<T, Corrupt>,
) -> Result<Option<T>, Unavailable> {
    let out = store
        .client
        .get_item()
        .table_name(&store.table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(unavailable)?;
    out.item()
        .map(|item| parse(item).map_err(corrupt))
        .transpose()
}

/// A conditional update of one item on its own, built as a transaction's update item is
/// (`item.rs` builds both kinds the same way); a condition that does not hold is
/// `Concurrent`.
async fn update_alone(
    store: &DynamoStore,
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
) -> Result<(), UpdateError> {
    update_alone_returning(store, update, aws_sdk_dynamodb::types::ReturnValue::None)
        .await
        .map(|_| ())
}

/// A once-per-period turn taken by a conditional update: `true` when it was taken, `false`
/// when its condition said another had it.
fn turn_taken(result: Result<(), UpdateError>) -> Result<bool, Unavailable> {
    match result {
        Ok(()) => Ok(true),
        Err(UpdateError::Concurrent) => Ok(false),
        Err(UpdateError::Unavailable(u)) => Err(u),
    }
}

/// As `update_alone`, answering the item's attributes that `values` asks for.
async fn update_alone_returning(
    store: &DynamoStore,
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    values: aws_sdk_dynamodb::types::ReturnValue,
) -> Result<Item, UpdateError> {
    store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(update.get_key().clone())
        .set_update_expression(update.get_update_expression().clone())
        .set_condition_expression(update.get_condition_expression().clone())
        .set_expression_attribute_names(update.get_expression_attribute_names().clone())
        .set_expression_attribute_values(update.get_expression_attribute_values().clone())
        .return_values(values)
        .send()
        .await
        .map(|out| out.attributes.unwrap_or_default())
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception())
            {
                UpdateError::Concurrent
            } else {
                UpdateError::Unavailable(unavailable(e))
            }
        })
}

fn unavailable<E: std::error::Error>(e: E) -> Unavailable {
    Unavailable(describe(&e))
}

/// The sort keys of one `by_due` partition (`due_pk`), all of them or those before
/// `before`, each read by `parse`: the queues the notify function works through (links to
/// remind, the mail outbox, the tenants of a digest day).
async fn due_listing<T>(
    store: &DynamoStore,
    pk: &str,
    before: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, Unavailable> {
    let mut query = store
        .client
        .query()
        .table_name(&store.table)
        .index_name(crate::keys::BY_DUE)
        .expression_attribute_values(":p", crate::keys::s(pk));
    query = match before {
        Some(b) => query
            .key_condition_expression("due_pk = :p AND due_sk < :before")
            .expression_attribute_values(":before", crate::keys::s(b)),
        None => query.key_condition_expression("due_pk = :p"),
    };
    query_all(query)
        .await?
        .iter()
        .map(|item| {
            item.get(crate::keys::DUE_SK)
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| parse(sk))
                .ok_or_else(|| corrupt(Corrupt(crate::keys::DUE_SK)))
        })
        .collect()
}

/// Every item `query` matches, page after page (the SDK's paginator).
async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, Unavailable> {
    query
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(unavailable)
}

fn corrupt(e: Corrupt) -> Unavailable {
    Unavailable(e.to_string())
}

/// The metadata of a record from an item image (a DynamoDB stream's `OldImage`); the
/// ciphertext, if the image holds one, is left out.
pub fn record_from_image(item: &Item) -> Result<Record<()>, Unavailable> {
    record_from_item(item, no_ciphertext).map_err(corrupt)
}

/// Runs one listing query; the page's cursor is the last item's position, as `position`
/// writes it (`timed` for listings by time, an id for listings by time-ordered id).
async fn page_of<T>(
    query: QueryFluentBuilder,
    parse: impl Fn(&Item) -> Result<T, Corrupt>,
    position: impl Fn(&T) -> String,
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
        Some(_) => items.last().and_then(|item| Cursor::parse(&position(item))),
        None => None,
    };
    Ok(Page { items, next_cursor })
}

/// A listing position by time, then record id: `{ms}.{record_id}`.
fn timed(at: DateTime<Utc>, rid: &RecordId) -> String {
    format!("{}.{rid}", at.timestamp_millis())
}

/// The inverse of `timed`.
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

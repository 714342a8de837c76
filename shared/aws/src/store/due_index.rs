//! The sparse `by_due` index: what is gone and due for disposal, how much, and what falls
//! due soon. Every read of it is built by `query`.

use super::{DynamoStore, corrupt, unavailable};
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::Select;
use chrono::NaiveDate;
use mynumber_domain::ids::TenantId;
use mynumber_domain::ports::*;
use mynumber_domain::ports::{Cursor, DuePage, Unavailable};
use std::collections::BTreeMap;

/// Which entries of the index a query reads, by the day their records become gone.
#[derive(Clone, Copy)]
enum Gone {
    /// Gone on or before this day.
    By(NaiveDate),
    /// Gone on a day from the first through the second.
    Between(NaiveDate, NaiveDate),
}

impl Gone {
    /// Records due (their last day of retention) before `today`.
    fn due_before(today: NaiveDate) -> Gone {
        Gone::By(today)
    }

    /// Records due from `from` through `until`: gone the day after each.
    fn due_between(from: NaiveDate, until: NaiveDate) -> Gone {
        Gone::Between(next_day(from), next_day(until))
    }
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().expect("a next day exists")
}

/// The one query of the due index: one shard's entries `gone` covers, in `due_sk` order.
fn query(store: &DynamoStore, shard: u8, gone: Gone) -> QueryFluentBuilder {
    let query = store
        .client
        .query()
        .table_name(&store.table)
        .index_name(BY_DUE)
        .expression_attribute_values(":p", s(due_shard_pk(shard)));
    match gone {
        Gone::By(day) => query
            .key_condition_expression("due_pk = :p AND due_sk < :t")
            .expression_attribute_values(":t", s(due_sk_gone_from(next_day(day)))),
        Gone::Between(first, last) => query
            .key_condition_expression("due_pk = :p AND due_sk BETWEEN :a AND :b")
            .expression_attribute_values(":a", s(due_sk_gone_from(first)))
            .expression_attribute_values(":b", s(due_sk_gone_through(last))),
    }
}

/// Every page of every shard's entries `gone` covers, each query shaped by `shape`.
async fn each_page(
    store: &DynamoStore,
    gone: Gone,
    shape: impl Fn(QueryFluentBuilder) -> QueryFluentBuilder,
    mut each: impl FnMut(&QueryOutput),
) -> Result<(), Unavailable> {
    for shard in 0..DUE_SHARDS {
        let mut start = None;
        loop {
            let out = shape(query(store, shard, gone))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            each(&out);
            match out.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
    }
    Ok(())
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
        let mut page = query(self, shard, Gone::due_before(today)).limit(i32::from(limit));
        if let Some(sk) = &start_sk {
            let start = due_start(shard, sk).ok_or_else(|| Unavailable("bad due cursor".into()))?;
            page = page.set_exclusive_start_key(Some(start));
        }
        let out = page.send().await.map_err(unavailable)?;
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
        let mut total = 0u64;
        each_page(
            self,
            Gone::due_before(today),
            |q| q.select(Select::Count),
            |out| total += out.count().max(0) as u64,
        )
        .await?;
        Ok(total)
    }

    async fn upcoming(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<(TenantId, u64)>, Unavailable> {
        let mut counts: BTreeMap<TenantId, u64> = BTreeMap::new();
        each_page(
            self,
            Gone::due_between(from, until),
            |q| q.projection_expression(DUE_SK),
            |out| {
                for (t, _) in out
                    .items()
                    .iter()
                    .filter_map(|item| item.get(DUE_SK).and_then(|v| v.as_s().ok()))
                    .filter_map(|sk| parse_due_sk(sk))
                {
                    *counts.entry(t).or_default() += 1;
                }
            },
        )
        .await?;
        Ok(counts.into_iter().collect())
    }
}

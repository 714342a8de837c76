//! How the purge's last run ended: one item, written by the purge, read by the home page.

use super::{DynamoStore, get_consistent, unavailable};
use crate::item::{Corrupt, Item};
use crate::keys::{purge_run_key, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use mynumber_domain::audit::{Outcome, Reason};
use mynumber_domain::ports::{LastPurgeRun, PurgeRunLog, PurgeRunRecord, Unavailable};
use mynumber_domain::record::timestamp;

fn run_from_item(item: &Item) -> Result<PurgeRunRecord, Corrupt> {
    let text = |k: &'static str| item.get(k).and_then(|v| v.as_s().ok()).ok_or(Corrupt(k));
    let at = chrono::DateTime::parse_from_rfc3339(text("at")?)
        .map_err(|_| Corrupt("at"))?
        .with_timezone(&chrono::Utc);
    let outcome = Outcome::parse(text("outcome")?).ok_or(Corrupt("outcome"))?;
    let reason = match item.get("reason") {
        None => None,
        Some(_) => Some(Reason::parse(text("reason")?).ok_or(Corrupt("reason"))?),
    };
    Ok(PurgeRunRecord {
        at,
        outcome,
        reason,
    })
}

#[async_trait]
impl PurgeRunLog for DynamoStore {
    async fn record_purge_run(&self, run: &PurgeRunRecord) -> Result<(), Unavailable> {
        let mut item = purge_run_key();
        // ISO 8601 in UTC with milliseconds sorts as time does.
        item.insert("at".into(), s(timestamp(run.at)));
        item.insert("outcome".into(), s(run.outcome.code()));
        if let Some(r) = run.reason {
            item.insert("reason".into(), s(r.code()));
        }
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#at) OR #at <= :at")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":at", s(timestamp(run.at)))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            // A later run is kept already: nothing to do.
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl LastPurgeRun for DynamoStore {
    async fn last_purge_run(&self) -> Result<Option<PurgeRunRecord>, Unavailable> {
        get_consistent(self, purge_run_key(), run_from_item).await
    }
}

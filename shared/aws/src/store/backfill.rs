//! The duplicate index's backfill (`mynumber_domain::backfill`): a record named by its
//! number's key, its entry filed and its claim taken, all at once or not at all.

use super::transaction::{Transaction, TransactionError};
use super::{ABSENT, DynamoStore};
use crate::item::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, Update};
use mynumber_domain::backfill::Filed;
use mynumber_domain::ports::Unavailable;
use mynumber_domain::record::{Record, Relation};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Guard {
    Record,
    Entry,
    Claim,
}

/// `Some(guard)` names the condition that did not hold.
async fn file_once(
    store: &DynamoStore,
    r: &Record,
    claim: bool,
) -> Result<Option<Guard>, Unavailable> {
    let t = &r.tenant_id;
    let k = r.number_key.as_ref().expect("named");
    let mut tx = Transaction::new(store);
    // The version moves, so a disposal that read the record unfiled (and would leave its
    // entry behind) fails its own condition and reads it again.
    tx.update(
        Guard::Record,
        Update::builder()
            .set_key(Some(record_key(t, &r.record_id)))
            .update_expression("SET #k = :k, version = version + :one")
            .condition_expression("version = :v AND attribute_not_exists(#k)")
            .expression_attribute_names("#k", NUMBER_KEY)
            .expression_attribute_values(":k", s(k.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(r.version)),
    );
    tx.put(
        Guard::Entry,
        Put::builder()
            .set_item(number_entry_item(r))
            .condition_expression(ABSENT),
    );
    if claim {
        tx.put(
            Guard::Claim,
            Put::builder()
                .set_item(number_claim_item(r))
                .condition_expression("attribute_not_exists(pk) OR employee_id = :e")
                .expression_attribute_values(":e", s(r.employee_id.as_str())),
        );
    }
    match tx.commit().await {
        Ok(()) => Ok(None),
        Err(TransactionError::Failed(e)) => Err(Unavailable(crate::describe(&e))),
        Err(e) if e.failed(Guard::Record) => Ok(Some(Guard::Record)),
        Err(e) => match e.failed_guards().first() {
            Some(g) => Ok(Some(*g)),
            None => Err(e.unavailable()),
        },
    }
}

#[async_trait]
impl mynumber_domain::backfill::NumberFiling for DynamoStore {
    async fn file_number(
        &self,
        record: &mynumber_domain::record::Record,
        key: &mynumber_domain::ids::NumberKey,
    ) -> Result<mynumber_domain::backfill::Filed, Unavailable> {
        let mut named = record.clone();
        named.number_key = Some(key.clone());
        let own = record.relation == Relation::OwnNumber;
        match file_once(self, &named, own).await? {
            Some(Guard::Claim) => {
                // Another employee's own record claims the number: file this one without the
                // claim, and say whose it is.
                let holders = super::records::number_holders(self, &record.tenant_id, key).await?;
                match file_once(self, &named, false).await? {
                    None => Ok(match holders.own_number {
                        Some(h) if h.employee_id != record.employee_id => {
                            Filed::ClaimedBy(h.employee_id)
                        }
                        _ => Filed::Filed,
                    }),
                    Some(_) => Ok(Filed::Changed),
                }
            }
            Some(_) => Ok(Filed::Changed),
            None => Ok(Filed::Filed),
        }
    }
}

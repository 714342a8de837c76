//! The one way the store writes a transaction and reads why it was cancelled. Each item is
//! added under a guard (a name of the caller's own type); DynamoDB's cancellation reasons
//! come back by position, and are mapped back to those guards here, so no caller counts
//! items.

use super::DynamoStore;
use crate::describe;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_sdk_dynamodb::types::builders::{
    ConditionCheckBuilder, DeleteBuilder, PutBuilder, UpdateBuilder,
};
use mynumber_domain::ports::Unavailable;

type WriteError = SdkError<TransactWriteItemsError, HttpResponse>;

/// A TransactWriteItems call being built; the table is filled in for every item.
pub(crate) struct Transaction<'a, G> {
    store: &'a DynamoStore,
    items: Vec<TransactWriteItem>,
    guards: Vec<G>,
}

/// Why a transaction wrote nothing.
pub(crate) enum TransactionError<G> {
    /// DynamoDB cancelled it. `failed` holds the guards whose condition did not hold, in
    /// the order they were added; it is empty when something else cancelled it (a
    /// conflicting transaction, throttling).
    Cancelled { failed: Vec<G>, error: WriteError },
    /// The call failed before or without a cancellation (network, timeout, validation).
    Failed(WriteError),
}

impl<'a, G: Copy + PartialEq> Transaction<'a, G> {
    pub(crate) fn new(store: &'a DynamoStore) -> Self {
        Transaction {
            store,
            items: Vec::new(),
            guards: Vec::new(),
        }
    }

    pub(crate) fn put(&mut self, guard: G, put: PutBuilder) -> &mut Self {
        let put = put.table_name(&self.store.table).build().expect("complete");
        self.push(guard, TransactWriteItem::builder().put(put).build())
    }

    pub(crate) fn delete(&mut self, guard: G, delete: DeleteBuilder) -> &mut Self {
        let delete = delete
            .table_name(&self.store.table)
            .build()
            .expect("complete");
        self.push(guard, TransactWriteItem::builder().delete(delete).build())
    }

    pub(crate) fn update(&mut self, guard: G, update: UpdateBuilder) -> &mut Self {
        let update = update
            .table_name(&self.store.table)
            .build()
            .expect("complete");
        self.push(guard, TransactWriteItem::builder().update(update).build())
    }

    pub(crate) fn check(&mut self, guard: G, check: ConditionCheckBuilder) -> &mut Self {
        let check = check
            .table_name(&self.store.table)
            .build()
            .expect("complete");
        self.push(
            guard,
            TransactWriteItem::builder().condition_check(check).build(),
        )
    }

    fn push(&mut self, guard: G, item: TransactWriteItem) -> &mut Self {
        self.items.push(item);
        self.guards.push(guard);
        self
    }

    /// Writes every item or none.
    pub(crate) async fn commit(self) -> Result<(), TransactionError<G>> {
        let sent = self
            .store
            .client
            .transact_write_items()
            .set_transact_items(Some(self.items))
            .send()
            .await;
        sent.map(|_| ()).map_err(|e| read_error(&self.guards, e))
    }
}

/// Names the items whose condition failed, from a cancellation's reasons (one per item, in
/// the order the items were sent).
fn read_error<G: Copy>(guards: &[G], error: WriteError) -> TransactionError<G> {
    let failed = match &error {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(tc) => tc
                .cancellation_reasons()
                .iter()
                .zip(guards)
                .filter(|(reason, _)| reason.code() == Some("ConditionalCheckFailed"))
                .map(|(_, g)| *g)
                .collect(),
            _ => return TransactionError::Failed(error),
        },
        _ => return TransactionError::Failed(error),
    };
    TransactionError::Cancelled { failed, error }
}

impl<G: Copy + PartialEq> TransactionError<G> {
    /// Whether DynamoDB cancelled the transaction because `guard`'s condition failed.
    pub(crate) fn failed(&self, guard: G) -> bool {
        self.failed_guards().contains(&guard)
    }

    /// The guards whose condition failed; none unless the transaction was cancelled.
    pub(crate) fn failed_guards(&self) -> &[G] {
        match self {
            TransactionError::Cancelled { failed, .. } => failed,
            TransactionError::Failed(_) => &[],
        }
    }

    pub(crate) fn sdk_error(&self) -> &WriteError {
        match self {
            TransactionError::Cancelled { error, .. } | TransactionError::Failed(error) => error,
        }
    }

    /// The error's text for operators' logs.
    pub(crate) fn unavailable(&self) -> Unavailable {
        Unavailable(describe(self.sdk_error()))
    }

    /// The service's own error text when it answered (without the SDK's wrapping).
    pub(crate) fn service_text(&self) -> String {
        match self.sdk_error() {
            SdkError::ServiceError(se) => describe(se.err()),
            other => describe(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::CancellationReason;
    use aws_sdk_dynamodb::types::error::{InternalServerError, TransactionCanceledException};
    use aws_smithy_types::body::SdkBody;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Guard {
        A,
        B,
        C,
    }

    fn service(err: TransactWriteItemsError) -> WriteError {
        SdkError::service_error(
            err,
            HttpResponse::new(400.try_into().unwrap(), SdkBody::empty()),
        )
    }

    fn cancelled(codes: &[&str]) -> WriteError {
        let reasons = codes
            .iter()
            .map(|c| CancellationReason::builder().code(*c).build())
            .collect();
        service(TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .set_cancellation_reasons(Some(reasons))
                .build(),
        ))
    }

    #[test]
    fn cancellation_reasons_come_back_as_the_guards_they_were_added_under() {
        let guards = [Guard::A, Guard::B, Guard::C, Guard::B];
        let e = read_error(
            &guards,
            cancelled(&[
                "None",
                "ConditionalCheckFailed",
                "None",
                "ConditionalCheckFailed",
            ]),
        );
        assert_eq!(e.failed_guards(), [Guard::B, Guard::B]);
        assert!(e.failed(Guard::B) && !e.failed(Guard::A) && !e.failed(Guard::C));
        // Cancelled for something else (a conflicting transaction): no guard failed.
        let e = read_error(
            &guards,
            cancelled(&["TransactionConflict", "None", "None", "None"]),
        );
        assert!(matches!(e, TransactionError::Cancelled { .. }));
        assert!(e.failed_guards().is_empty());
    }

    #[test]
    fn other_errors_name_no_guard() {
        let e = read_error(
            &[Guard::A],
            service(TransactWriteItemsError::InternalServerError(
                InternalServerError::builder().build(),
            )),
        );
        assert!(matches!(e, TransactionError::Failed(_)));
        assert!(!e.failed(Guard::A));
    }
}

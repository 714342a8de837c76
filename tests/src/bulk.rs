//! Loads records straight into a table, as intake would have left them, in batches of
//! unconditional writes: for benchmarks and fixtures that need more records than intake
//! could register in reasonable time. Never a request path, so not in `mynumber-aws`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use mynumber_domain::record::Record;

/// Writes each record, its membership entry and slot (`mynumber_aws::registered_items`),
/// retrying whatever DynamoDB leaves unprocessed. `ttl_grace` as the vault's
/// configuration has it, for departed records' TTL.
pub async fn load(
    ddb: &Client,
    table: &str,
    records: &[Record],
    ttl_grace: chrono::Duration,
) -> Result<(), aws_sdk_dynamodb::Error> {
    // A batch holds 25 writes; a record takes at most 3.
    for chunk in records.chunks(8) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .flat_map(|r| mynumber_aws::registered_items(r, ttl_grace))
            .map(|item| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("complete"),
                    )
                    .build()
            })
            .collect();
        while !pending.is_empty() {
            let out = ddb
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await?;
            pending = out
                .unprocessed_items()
                .and_then(|m| m.get(table))
                .cloned()
                .unwrap_or_default();
        }
    }
    Ok(())
}

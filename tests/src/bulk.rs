//! Loads records straight into a table, as intake would have left them, in batches of
//! unconditional writes: for benchmarks and fixtures that need more records than intake
//! could register in reasonable time. Never a request path, so not in `mynumber-aws`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use mynumber_domain::record::{Ciphertext, Content, DependentLabel, Record, Relation};
use mynumber_domain::verification::{IdentityCheck, NumberCheck, Verification};
use mynumber_domain::{EmployeeId, Purpose, PurposeSet, RecordId, Subject, TenantId};

/// A live record for `withholding_tax` of employee `E{i:06}` in `tenant` (every fourth
/// the employee's own, the rest a child's), created at `created_at`, as intake would have
/// stored it: for loads that need more records than intake could register in time. Its
/// ciphertext is 180 bytes of filler (the size of a real KMS one here): it is never
/// decrypted.
pub fn record(
    tenant: &str,
    i: usize,
    created_at: chrono::DateTime<chrono::Utc>,
    departure: Option<mynumber_domain::retention::Departure>,
) -> Record {
    Record {
        record_id: RecordId::new_random(),
        tenant_id: TenantId::parse(tenant).unwrap(),
        employee_id: EmployeeId::parse(&format!("E{i:06}")).unwrap(),
        relation: if i.is_multiple_of(4) {
            Relation::OwnNumber
        } else {
            Relation::Dependent(DependentLabel::parse("子").unwrap())
        },
        purposes: PurposeSet::new([Purpose::WithholdingTax]).unwrap(),
        source: mynumber_domain::record::Source::Registrar,
        content: Content::Active {
            verification: Verification {
                number_check: NumberCheck::MyNumberCard,
                identity_check: IdentityCheck::MyNumberCard,
                verified_by: Subject::parse("seed").unwrap(),
                verified_on: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                confirmed_at: None,
            },
            ciphertext: Ciphertext(vec![7; 180]),
        },
        created_at,
        created_by: Subject::parse("seed").unwrap(),
        departure,
        version: 1,
        number_key: None,
    }
}

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

//! `make bench`: seeds 20,000 records (200 of them due) into a moto table, runs the purge
//! once, and prints what it cost: index items read per due item, DynamoDB calls by
//! operation, and wall time. Figures, not assertions: the suite's tests check behaviour.
//!
//! It runs on the suite's moto (`scripts/moto-test-server`), which rolls a cancelled
//! transaction back item by item instead of snapshotting the whole table per transaction
//! item (O(table) time and memory, gigabytes at this size); wall time is still moto's, not
//! DynamoDB's.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use mynumber_aws::{DynamoStore, bootstrap};
use mynumber_domain::purge::PurgeService;
use mynumber_domain::record::Record;
use mynumber_domain::retention::RetentionRule;
use mynumber_domain::*;
use mynumber_tests::memory::{FixedClock, MemoryAudit};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const TOTAL: usize = 20_000;
const DUE: usize = 200;

/// Counts every request the DynamoDB client sends, by operation.
#[derive(Debug, Clone, Default)]
struct CountCalls(Arc<Mutex<BTreeMap<String, u64>>>);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_default();
        *self.0.lock().unwrap().entry(op).or_default() += 1;
        Ok(())
    }
}

fn record(i: usize, departure: Option<mynumber_domain::retention::Departure>) -> Record {
    mynumber_tests::bulk::record(["acme", "beta", "gamma"][i % 3], i, Utc::now(), departure)
}

#[tokio::main]
async fn main() {
    {
        use tracing_subscriber::Layer;
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(mynumber_http::logging::levels().filter()),
            )
            .init();
    }
    let endpoint = mynumber_tests::moto::endpoint();
    let sdk = mynumber_aws::sdk_config(Some(&endpoint)).await;
    let table = format!("bench-{}", mynumber_tests::uuid_like());
    let plain = aws_sdk_dynamodb::Client::new(&sdk);
    bootstrap::ensure_table(&plain, &table).await.unwrap();

    // Purge day 2034-06-01: 200 records due before it, the rest never departed or due
    // years later (outside the 30-day notice window too).
    let rule = RetentionRule::default();
    let due_left_on = NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
    let later_left_on = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let records: Vec<Record> = (0..TOTAL)
        .map(|i| {
            let departure = match i {
                i if i < DUE => Some(rule.departure(due_left_on, None).unwrap()),
                i if i.is_multiple_of(2) => Some(rule.departure(later_left_on, None).unwrap()),
                _ => None,
            };
            record(i, departure)
        })
        .collect();
    let seed = Instant::now();
    let ttl_grace = VaultConfig::default().ttl_grace;
    futures::future::join_all(records.chunks(TOTAL / 8).map(|c| {
        let (plain, table) = (&plain, &table);
        async move {
            mynumber_tests::bulk::load(plain, table, c, ttl_grace)
                .await
                .unwrap()
        }
    }))
    .await;
    println!(
        "seeded {TOTAL} records ({DUE} due) in {:.1} s",
        seed.elapsed().as_secs_f64()
    );

    let counter = CountCalls::default();
    // moto deep-copies a table on every TransactWriteItems (for rollback), so each one costs
    // O(table size) there; the production timeouts would cut those calls off.
    let patient = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .operation_timeout(std::time::Duration::from_secs(600))
        .operation_attempt_timeout(std::time::Duration::from_secs(600))
        .build();
    let counted = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .timeout_config(patient)
            .interceptor(counter.clone())
            .build(),
    );
    let now = chrono::FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(2034, 6, 1, 3, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let vault = PurgeService::new(
        Core::new(
            Arc::new(MemoryAudit::default()),
            Arc::new(FixedClock(Mutex::new(now))),
            // One disposal at a time: moto's transactions are not safe to run concurrently
            // on a large table (it answers HTML 500s); DynamoDB runs the default 8 at once.
            VaultConfig {
                purge_concurrency: 1,
                ..VaultConfig::default()
            },
        ),
        Arc::new(DynamoStore::new(counted, &table)),
        // No photos are due in this bench; its figure is the records' purge.
        Arc::new(mynumber_tests::memory::MemoryObjects::default()),
    );
    let started = Instant::now();
    let summary = vault
        .purge(
            &Caller::default(),
            now + Duration::minutes(15),
            Duration::seconds(10),
        )
        .await;
    let wall = started.elapsed();

    let calls = counter.0.lock().unwrap().clone();
    let total_calls: u64 = calls.values().sum();
    println!(
        "purge: disposed {} of {DUE} due; failed {}",
        summary.disposed, summary.failed
    );
    println!(
        "items read by the purge / items due = {} / {DUE} = {:.3}",
        summary.items_read,
        summary.items_read as f64 / DUE as f64
    );
    println!("DynamoDB calls: {total_calls} {calls:?}");
    println!(
        "wall time: {:.2} s ({:.1} ms per disposal)",
        wall.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 / DUE as f64
    );
    assert_eq!(
        summary.disposed as usize, DUE,
        "the bench expects every due record disposed"
    );
}

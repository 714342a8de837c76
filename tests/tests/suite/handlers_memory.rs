//! Fast handler tests on the in-memory store and local cipher, for failures moto cannot
//! be made to produce on one call only.

use super::*;
use mynumber_domain::Core;
use mynumber_domain::intake::IntakeService;
use mynumber_domain::lookup::LookupService;
use mynumber_tests::memory::{FixedClock, LocalCipher, MemoryAudit, MemoryStore};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

fn apps() -> (
    ::intake::Intake,
    ::lookup::Lookup,
    Arc<MemoryStore>,
    Arc<MemoryAudit>,
) {
    let store = Arc::new(MemoryStore::default());
    let cipher = Arc::new(LocalCipher::default());
    let audit = Arc::new(MemoryAudit::default());
    let clock = Arc::new(FixedClock(Mutex::new(mynumber_tests::epoch())));
    let core = Core::new(audit.clone(), clock, Default::default());
    let intake = IntakeService::new(core.clone(), store.clone(), cipher.clone());
    let lookup = LookupService::new(core, store.clone(), cipher);
    (
        ::intake::Intake::new(intake, mynumber_tests::jwt::authenticator()),
        ::lookup::Lookup::new(lookup, mynumber_tests::jwt::authenticator()),
        store,
        audit,
    )
}

async fn body(resp: lambda_http::Response<lambda_http::Body>) -> (u16, String) {
    let status = resp.status().as_u16();
    let text = match resp.body() {
        lambda_http::Body::Text(t) => t.clone(),
        _ => String::new(),
    };
    (status, text)
}

#[tokio::test]
async fn no_durable_audit_record_means_no_number() {
    let (intake, lookup, store, audit) = apps();
    let (status, created) = body(
        intake
            .handle(
                req("POST", "/v1/records")
                    .who(&Who::registrar("acme"))
                    .json(own_number("E1", N1))
                    .build(),
            )
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let id: Value = serde_json::from_str(&created).unwrap();
    let id = id["record_id"].as_str().unwrap();
    store.fail_audit.store(true, Ordering::SeqCst);
    let (status, text) = body(
        lookup
            .handle(
                req("POST", &format!("/v1/records/{id}/reveal"))
                    .who(&Who::handler("acme"))
                    .json(json!({"purpose": "withholding_tax"}))
                    .build(),
            )
            .await,
    )
    .await;
    assert_eq!(status, 503);
    assert!(!text.contains(N1));
    let events = audit.0.lock().unwrap();
    let last = events.last().unwrap();
    assert_eq!(serde_json::to_value(last.outcome).unwrap(), "failed");
    assert!(store.audit_trail().is_empty());
}

#[tokio::test]
async fn a_throttled_store_is_503_and_writes_nothing() {
    let (intake, _, store, _) = apps();
    store.fail_all.store(true, Ordering::SeqCst);
    let (status, text) = body(
        intake
            .handle(
                req("POST", "/v1/records")
                    .who(&Who::registrar("acme"))
                    .json(own_number("E1", N1))
                    .build(),
            )
            .await,
    )
    .await;
    assert_eq!(status, 503);
    assert!(text.contains("dependency_failed"));
    store.fail_all.store(false, Ordering::SeqCst);
    assert_eq!(store.record_count(), 0);
}

/// One record more than a file may hold is refused at the request, and nothing is written;
/// 10,000 are accepted. On the memory store: loading 10,001 records into moto takes minutes
/// (the store's paging is proven against moto by the listing and export tests).
#[tokio::test]
async fn an_export_of_more_than_10000_records_is_refused() {
    let (_, lookup, store, _) = apps();
    let limit = mynumber_domain::export::MAX_EXPORT_RECORDS;
    let records: Vec<_> = (0..=limit)
        .map(|i| mynumber_tests::bulk::record("acme", i, mynumber_tests::epoch(), None))
        .collect();
    let one_more = records[limit].record_id.clone();
    store.insert_records(records);
    let ask = || {
        req("POST", "/v1/exports")
            .who(&Who::handler("acme"))
            .json(json!({"purpose": "withholding_tax", "all": true}))
            .build()
    };
    let (status, text) = body(lookup.handle(ask()).await).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("\"too_many_records\""), "{text}");
    let (status, text) = body(
        lookup
            .handle(req("GET", "/v1/exports").who(&Who::handler("acme")).build())
            .await,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"items\":[]"), "{text}");
    // Without one record the selection fits.
    store.remove_record(&one_more);
    let (status, text) = body(lookup.handle(ask()).await).await;
    assert_eq!(status, 201, "{text}");
    assert!(
        text.contains(&format!("\"record_count\":{limit}")),
        "{text}"
    );
}

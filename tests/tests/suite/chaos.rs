//! The promises under faults: a fault proxy between the functions and moto answers
//! throttling and internal errors, delays requests and resets connections — before or
//! after moto carried a request out — while clients retry as real ones do. Afterwards the
//! table is checked item by item. Figures go to stderr; `CHAOS_SEED` reruns a seed.

use super::*;
use aws_sdk_dynamodb::types::AttributeValue as A;
use futures::StreamExt;
use mynumber_tests::faults::{Fault, FaultPlan, FaultProxy};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

type Item = HashMap<String, A>;

/// Figures for the test output (not captured by the test runner).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "chaos: {line}");
}

fn s<'a>(i: &'a Item, k: &str) -> &'a str {
    i.get(k)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or("")
}

/// Calls until the reply is not a 503 (the API's "a dependency failed, nothing written,
/// retry"), at most 40 times; counts the retries.
async fn until_not_503(
    stack: &Stack,
    retries: &AtomicU64,
    make: impl Fn() -> lambda_http::Request,
) -> Reply {
    for _ in 0..40 {
        let r = stack.call(make()).await;
        if r.status != 503 {
            return r;
        }
        retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("still 503 after 40 attempts");
}

use mynumber_tests::generated_number as number;

/// Registers `employees` employees (self + a dependant each) from 8 concurrent clients,
/// each request with its own Idempotency-Key, retried with the same key on 503.
async fn register_all(stack: &Stack, employees: usize, retries: &AtomicU64) {
    let hr = Who::registrar("acme");
    futures::stream::iter(0..employees)
        .for_each_concurrent(8, |i| {
            let hr = hr.clone();
            async move {
                let emp = format!("C{i:04}");
                let bodies = [
                    (format!("self-{emp}"), own_number(&emp, &number(i, 1))),
                    (format!("dep-{emp}"), dependent(&emp, "長男", &number(i, 2))),
                ];
                for (key, body) in bodies {
                    let key = format!("chaos-{key}");
                    let r = until_not_503(stack, retries, || {
                        req("POST", "/v1/records")
                            .who(&hr)
                            .header("idempotency-key", &key)
                            .json(body.clone())
                            .build()
                    })
                    .await;
                    assert_eq!(r.status, 201, "{emp}: {}", r.raw);
                }
            }
        })
        .await;
}

/// Every invariant of the table after a run: one self and one dependant per employee,
/// idempotency entries point at records, slots and records agree, membership entries and
/// records agree, and every ciphertext decrypts under its own context.
async fn assert_consistent(stack: &Stack, employees: usize) {
    let items = stack.all_items().await;
    let records: Vec<&Item> = items.iter().filter(|i| s(i, "kind") == "record").collect();
    let ids: HashSet<&str> = records.iter().map(|r| s(r, "record_id")).collect();
    let mut per_employee: HashMap<(&str, &str), usize> = HashMap::new();
    for r in &records {
        *per_employee
            .entry((s(r, "employee_id"), s(r, "relation")))
            .or_default() += 1;
    }
    assert_eq!(
        records.len(),
        employees * 2,
        "exactly two records per employee"
    );
    for i in 0..employees {
        let emp = format!("C{i:04}");
        assert_eq!(
            per_employee.get(&(emp.as_str(), "self")),
            Some(&1),
            "{emp} self"
        );
        assert_eq!(
            per_employee.get(&(emp.as_str(), "dependent")),
            Some(&1),
            "{emp} dependant"
        );
    }
    for e in items.iter().filter(|i| s(i, "kind") == "idempotency") {
        let body: Value = serde_json::from_str(s(e, "body")).unwrap();
        assert!(
            ids.contains(body["record_id"].as_str().unwrap()),
            "an idempotency entry names a record that does not exist"
        );
    }
    let slots: Vec<&Item> = items.iter().filter(|i| s(i, "kind") == "slot").collect();
    for slot in &slots {
        assert!(
            ids.contains(s(slot, "record_id")),
            "a slot points at nothing"
        );
    }
    let slotted: HashSet<&str> = slots.iter().map(|i| s(i, "record_id")).collect();
    for r in records.iter().filter(|r| s(r, "relation") == "self") {
        assert!(
            slotted.contains(s(r, "record_id")),
            "a self record lacks its slot"
        );
    }
    let members: HashSet<&str> = items
        .iter()
        .filter(|i| s(i, "kind") == "member")
        .map(|i| s(i, "record_id"))
        .collect();
    assert_eq!(members, ids, "membership entries and records agree");
    let kms = stack.kms();
    let failures = futures::stream::iter(records.iter())
        .map(|r| {
            let kms = kms.clone();
            let ct = r["ct"].as_b().unwrap().clone();
            let (t, id) = (s(r, "tenant_id").to_owned(), s(r, "record_id").to_owned());
            async move {
                kms.decrypt()
                    .ciphertext_blob(ct)
                    .encryption_context("tenant_id", t)
                    .encryption_context("record_id", id)
                    .send()
                    .await
                    .is_err()
            }
        })
        .buffer_unordered(8)
        .filter(|failed| futures::future::ready(*failed))
        .count()
        .await;
    assert_eq!(
        failures, 0,
        "every ciphertext decrypts under its own context"
    );
}

async fn registrations_under(rate: f64, employees: usize) {
    let seed = FaultPlan::seed_from_env();
    report(&format!(
        "registrations: seed {seed}, rate {rate}, {employees} employees"
    ));
    let moto = mynumber_tests::moto::private_endpoint();
    let proxy = FaultProxy::start(&moto, FaultPlan::new(seed, rate));
    let stack = Stack::behind(&moto, &proxy).await;
    let retries = AtomicU64::new(0);
    register_all(&stack, employees, &retries).await;
    report(&format!(
        "registrations: {}; client retries {}",
        proxy.stats.summary(),
        retries.load(Ordering::Relaxed)
    ));
    assert!(proxy.stats.total_injected() > 0, "the run injected faults");
    assert_consistent(&stack, employees).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_under_ten_percent_faults_leave_one_of_everything() {
    let employees = std::env::var("CHAOS_EMPLOYEES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    registrations_under(0.10, employees).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_under_thirty_percent_faults_leave_one_of_everything() {
    registrations_under(0.30, 60).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_number_is_revealed_without_its_trail_item() {
    let seed = FaultPlan::seed_from_env();
    // Faults on the reveal's one write of quota and trail (a TransactWriteItems, as each
    // registration is too) and on Decrypt only.
    let mut plan = FaultPlan::new(seed, 0.3);
    plan.operations = vec!["TransactWriteItems", "Decrypt"];
    let moto = mynumber_tests::moto::private_endpoint();
    let proxy = FaultProxy::start(&moto, plan);
    let stack = Stack::behind(&moto, &proxy).await;
    let hr = Who::registrar("acme");
    let retries = AtomicU64::new(0);
    let mut ids = Vec::new();
    for i in 0..10 {
        let r = until_not_503(&stack, &retries, || {
            req("POST", "/v1/records")
                .who(&hr)
                .header("idempotency-key", &format!("reveal-{i}"))
                .json(own_number(&format!("R{i:03}"), &number(i, 3)))
                .build()
        })
        .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        ids.push(r.body["record_id"].as_str().unwrap().to_owned());
    }
    let handler = Who::handler("acme");
    let mut revealed = Vec::new();
    let mut refused = 0;
    for round in 0..12 {
        for (i, id) in ids.iter().enumerate() {
            // Not built from the record id: a random UUID now and then holds a run of
            // digits the vault takes for a possible My Number, and such a request id is
            // left out of the audit event.
            let request_id = format!("reveal-{round}-{i}");
            let r = stack
                .call(
                    req("POST", &format!("/v1/records/{id}/reveal"))
                        .who(&handler)
                        .request_id(&request_id)
                        .json(json!({"purpose": "withholding_tax"}))
                        .build(),
                )
                .await;
            match r.status {
                200 => revealed.push(request_id),
                503 => refused += 1,
                other => panic!("unexpected {other}: {}", r.raw),
            }
        }
    }
    let trail: HashSet<String> = stack
        .items_of_kind("audit")
        .await
        .iter()
        .map(|i| {
            let e: Value = serde_json::from_str(s(i, "event")).unwrap();
            e["request_id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    report(&format!(
        "reveals: seed {seed}: {}; {} revealed, {} refused with 503, {} trail items",
        proxy.stats.summary(),
        revealed.len(),
        refused,
        trail.len()
    ));
    assert!(
        refused > 0 && !revealed.is_empty(),
        "both outcomes were exercised"
    );
    for id in &revealed {
        assert!(
            trail.contains(id),
            "a number was revealed without its trail item ({id})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn departures_disposals_and_overlapping_purges_dispose_of_each_due_record_once() {
    use chrono::TimeZone;
    let seed = FaultPlan::seed_from_env();
    let mut plan = FaultPlan::new(seed, 0.10);
    plan.kinds = vec![
        Fault::ErrorBefore(mynumber_tests::faults::ErrorKind::Throttled),
        Fault::ErrorBefore(mynumber_tests::faults::ErrorKind::Internal),
        Fault::ErrorAfter(mynumber_tests::faults::ErrorKind::Internal),
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Latency,
    ];
    let moto = mynumber_tests::moto::private_endpoint();
    let proxy = FaultProxy::start(&moto, plan);
    let stack = Stack::behind(&moto, &proxy).await;
    let hr = Who::registrar("acme");
    let retries = AtomicU64::new(0);
    let employees = 30;
    register_all(&stack, employees, &retries).await;
    // Employees 0..20 leave (due in 2033); of those, 0..5 also have their dependant
    // disposed of early. Employees 20..30 stay.
    let records = stack.items_of_kind("record").await;
    let mut early = 0;
    for i in 0..20 {
        let emp = format!("C{i:04}");
        let r = until_not_503(&stack, &retries, || {
            req("POST", &format!("/v1/employees/{emp}/departure"))
                .who(&hr)
                .json(json!({"left_on": "2026-03-31"}))
                .build()
        })
        .await;
        assert_eq!(r.status, 200, "{}", r.raw);
        if i < 5 {
            let dep = records
                .iter()
                .find(|r| s(r, "employee_id") == emp && s(r, "relation") == "dependent")
                .unwrap();
            let id = s(dep, "record_id").to_owned();
            // A disposal that lost a race with its own earlier, half-answered attempt is
            // a 404 on retry: count it as disposed once, which the log then shows.
            let r = until_not_503(&stack, &retries, || {
                req("DELETE", &format!("/v1/records/{id}"))
                    .who(&hr)
                    .json(json!({"reason": "no_longer_needed"}))
                    .build()
            })
            .await;
            assert!(matches!(r.status, 200 | 404), "{}", r.raw);
            early += 1;
        }
    }
    let staying: Vec<(String, String)> = stack
        .items_of_kind("record")
        .await
        .iter()
        .filter(|r| s(r, "employee_id") >= "C0020")
        .map(|r| {
            (
                s(r, "record_id").to_owned(),
                r["version"].as_n().unwrap().clone(),
            )
        })
        .collect();
    // Years later, two purges at once, again and again, until nothing due is left.
    let later = chrono::Utc.with_ymd_and_hms(2033, 6, 1, 3, 0, 0).unwrap();
    stack.set_now(later);
    let mut runs = 0;
    for _ in 0..20 {
        runs += 2;
        let (a, b) = (stack.purge(), stack.purge());
        let deadline = later + chrono::Duration::minutes(5);
        let _ = futures::join!(stack.run_purge(&a, deadline), stack.run_purge(&b, deadline));
        let due_left = stack
            .items_of_kind("record")
            .await
            .iter()
            .filter(|r| s(r, "employee_id") < "C0020")
            .count();
        if due_left == 0 {
            break;
        }
    }
    let left = stack.items_of_kind("record").await;
    let disposals = stack.items_of_kind("disposal").await;
    report(&format!(
        "retention: seed {seed}: {}; {runs} purge runs, client retries {}, {} disposal records",
        proxy.stats.summary(),
        retries.load(Ordering::Relaxed),
        disposals.len()
    ));
    assert!(
        left.iter().all(|r| s(r, "employee_id") >= "C0020"),
        "every due record is gone"
    );
    // 20 departed employees × 2 records, each disposed of exactly once.
    assert_eq!(disposals.len(), 40, "one disposal record per disposal");
    let disposed: HashSet<&str> = disposals.iter().map(|d| s(d, "record_id")).collect();
    assert_eq!(disposed.len(), 40, "no record disposed of twice");
    assert_eq!(
        disposals
            .iter()
            .filter(|d| s(d, "reason") == "no_longer_needed")
            .count(),
        early
    );
    // Nothing not yet due was touched.
    let now: Vec<(String, String)> = left
        .iter()
        .map(|r| {
            (
                s(r, "record_id").to_owned(),
                r["version"].as_n().unwrap().clone(),
            )
        })
        .collect();
    let mut before = staying.clone();
    let mut after = now.clone();
    before.sort();
    after.sort();
    assert_eq!(before, after, "records not yet due are untouched");
}

/// Collection submissions under 10% faults of every kind, each retried on 503 as the form
/// lets the employee do. A submission is all of its records or none: afterwards every
/// submitted link has exactly its three records (self and two children), every link that
/// is still open has none, and no record lacks its link.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_submission_under_faults_is_all_of_its_records_or_none() {
    let seed = FaultPlan::seed_from_env();
    let plan = FaultPlan::new(seed, 0.10);
    let moto = mynumber_tests::moto::private_endpoint();
    let proxy = FaultProxy::start(&moto, plan);
    let stack = Stack::behind(&moto, &proxy).await;
    let hr = Who::registrar("acme");
    let retries = AtomicU64::new(0);
    let employees = 40;
    let mut links = Vec::new();
    for i in 0..employees {
        let emp = format!("S{i:03}");
        let r = until_not_503(&stack, &retries, || {
            req("POST", "/v1/collections")
                .who(&hr)
                .json(json!({"employee_id": emp, "purposes": ["withholding_tax"], "include_family": true}))
                .build()
        })
        .await;
        // A retried create whose first try was carried out leaves one cancelled link
        // behind the new one: the employee has the newest.
        assert_eq!(r.status, 201, "{}", r.raw);
        let token = r.body["url"]
            .as_str()
            .unwrap()
            .split_once('#')
            .unwrap()
            .1
            .to_owned();
        links.push((
            emp,
            r.body["collection_id"].as_str().unwrap().to_owned(),
            token,
        ));
    }
    let outcomes: Vec<(String, u16)> = futures::stream::iter(links.iter().enumerate())
        .map(|(i, (emp, _, token))| {
            let stack = &stack;
            let retries = &retries;
            async move {
                let body = json!({
                    "self": {"my_number": number(i, 11), "number_document": "my_number_card", "identity_document": "my_number_card"},
                    "dependents": [
                        {"label": "長男", "my_number": number(i, 12)},
                        {"label": "長女", "my_number": number(i, 13)}
                    ]
                });
                let r = until_not_503(stack, retries, || {
                    req("POST", "/v1/collect")
                        .no_token()
                        .no_authorizer()
                        .header("authorization", &format!("Collection {token}"))
                        .json(body.clone())
                        .build()
                })
                .await;
                // 201, or 404 when a try the caller saw fail had in fact spent the link.
                assert!(matches!(r.status, 201 | 404), "{emp}: {}", r.raw);
                (emp.clone(), r.status)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let items = stack.all_items().await;
    let mut records: HashMap<&str, Vec<&Item>> = HashMap::new();
    for r in items.iter().filter(|i| s(i, "kind") == "record") {
        records.entry(s(r, "employee_id")).or_default().push(r);
    }
    let collections: HashMap<&str, &Item> = items
        .iter()
        .filter(|i| s(i, "kind") == "collection")
        .map(|c| (s(c, "collection_id"), c))
        .collect();
    let mut submitted = 0;
    for (emp, id, _) in &links {
        let state = s(collections[id.as_str()], "status");
        let held = records.get(emp.as_str()).map_or(0, Vec::len);
        match state {
            "submitted" => {
                submitted += 1;
                assert_eq!(held, 3, "{emp}: a submitted link holds all three records");
                for r in &records[emp.as_str()] {
                    assert_eq!(s(r, "status"), "pending_review");
                    let m = r["submitted"].as_m().unwrap();
                    assert_eq!(
                        m["collection_id"].as_s().unwrap(),
                        id,
                        "{emp}: the record names its link"
                    );
                }
            }
            other => panic!("{emp}: link {other} after a submission answered"),
        }
    }
    for (emp, status) in &outcomes {
        assert!(*status == 201 || records.contains_key(emp.as_str()));
    }
    report(&format!(
        "submissions: seed {seed}: {}; {} links submitted, client retries {}",
        proxy.stats.summary(),
        submitted,
        retries.load(Ordering::Relaxed)
    ));
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

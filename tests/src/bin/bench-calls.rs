//! `make bench`: the AWS calls each operation makes, counted at the fault proxy (with no
//! faults) between the real functions and the suite's moto: the sequential round trips an
//! HR user waits for, and every call. Figures, not assertions; moto answers in about a
//! millisecond, so a round trip here is a count, not a latency.

use chrono::TimeZone;
use mynumber_tests::faults::{Call, FaultPlan, FaultProxy, sequential_round_trips};
use mynumber_tests::{Reply, Stack, TEST_NUMBERS, Who, generated_number, own_number as own, req};
use serde_json::json;
use std::collections::BTreeMap;

/// One line: the operation, its sequential round trips and its calls by operation.
fn report(what: &str, minimum: Option<usize>, calls: &[Call]) {
    let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
    for c in calls {
        *by_op.entry(c.op.as_str()).or_default() += 1;
    }
    let ops: Vec<String> = by_op.iter().map(|(op, n)| format!("{n}× {op}")).collect();
    let target = minimum.map_or(String::new(), |m| format!(" (minimum {m})"));
    println!(
        "{what:<40} {:>2} sequential{target:<13} {:>3} calls: {}",
        sequential_round_trips(calls),
        calls.len(),
        ops.join(", ")
    );
}

async fn call(stack: &Stack, proxy: &FaultProxy, r: lambda_http::Request) -> (Reply, Vec<Call>) {
    proxy.stats.take_calls();
    let reply = stack.call(r).await;
    (reply, proxy.stats.take_calls())
}

fn check(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.raw);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let moto = mynumber_tests::moto::endpoint();
    let proxy = FaultProxy::start(&moto, FaultPlan::new(0, 0.0));
    let stack = Stack::behind(&moto, &proxy).await;
    let hr = Who::registrar("acme");
    let handler = Who::handler("acme");
    println!("AWS calls per operation (the functions' SDK clients, counted at the proxy to moto)");

    // Warm the clients (connections, credentials) so the figures are per operation.
    let warm = stack
        .call(
            req("POST", "/v1/records")
                .who(&hr)
                .json(own("W0", TEST_NUMBERS[4]))
                .build(),
        )
        .await;
    check(&warm, 201);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("POST", "/v1/records")
            .who(&hr)
            .json(own("B1", TEST_NUMBERS[0]))
            .build(),
    )
    .await;
    check(&r, 201);
    let record = r.body["record_id"].as_str().unwrap().to_owned();
    report("intake (self, no Idempotency-Key)", Some(2), &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("POST", "/v1/records")
            .who(&hr)
            .header("idempotency-key", "bench-1")
            .json(own("B2", TEST_NUMBERS[1]))
            .build(),
    )
    .await;
    check(&r, 201);
    report("intake (self, with Idempotency-Key)", None, &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("GET", "/v1/records")
            .who(&hr)
            .query("employee_id", "B1")
            .build(),
    )
    .await;
    check(&r, 200);
    report("listing (one page)", Some(1), &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("POST", &format!("/v1/records/{record}/reveal"))
            .who(&handler)
            .json(json!({"purpose": "withholding_tax"}))
            .build(),
    )
    .await;
    check(&r, 200);
    report("reveal", Some(3), &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("POST", "/v1/employees/B2/departure")
            .who(&hr)
            .json(json!({"left_on": "2026-03-31"}))
            .build(),
    )
    .await;
    check(&r, 200);
    report("departure (one record)", Some(2), &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("DELETE", "/v1/employees/B2/departure").who(&hr).build(),
    )
    .await;
    check(&r, 200);
    report("re-hire (one record)", Some(2), &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("DELETE", &format!("/v1/records/{record}"))
            .who(&hr)
            .json(json!({"reason": "no_longer_needed"}))
            .build(),
    )
    .await;
    check(&r, 200);
    report("early disposal", Some(2), &calls);

    let (r, calls) = call(
        &stack,
        &proxy,
        req("POST", "/v1/collections")
            .who(&hr)
            .json(json!({"employee_id": "B3", "purposes": ["withholding_tax"]}))
            .build(),
    )
    .await;
    check(&r, 201);
    report("collection link", None, &calls);
    let token = r.body["url"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned();
    let (r, calls) = call(
        &stack,
        &proxy,
        req("POST", "/v1/collect")
            .no_token()
            .no_authorizer()
            .header("authorization", &format!("Collection {token}"))
            .json(json!({"self": {"my_number": TEST_NUMBERS[2],
                "number_document": "notification_card", "identity_document": "photo_id"}}))
            .build(),
    )
    .await;
    check(&r, 201);
    report("collection submission (self)", None, &calls);

    // The purge: nothing due, then ten records past their due date.
    let purge = stack.purge();
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(5);
    stack.run_purge(&purge, deadline).await.unwrap();
    proxy.stats.take_calls();
    stack.run_purge(&purge, deadline).await.unwrap();
    report("purge, nothing due", None, &proxy.stats.take_calls());
    for i in 0..10 {
        let employee = format!("P{i}");
        let number = generated_number(1000 + i, 0);
        let r = stack
            .call(
                req("POST", "/v1/records")
                    .who(&hr)
                    .json(own(&employee, &number))
                    .build(),
            )
            .await;
        check(&r, 201);
        let r = stack
            .call(
                req("POST", &format!("/v1/employees/{employee}/departure"))
                    .who(&hr)
                    .json(json!({"left_on": "2026-03-31"}))
                    .build(),
            )
            .await;
        check(&r, 200);
    }
    // Seven years on (SPEC §2.6): every one of them is due.
    let later = chrono::Utc.with_ymd_and_hms(2033, 6, 1, 0, 0, 0).unwrap();
    stack.set_now(later);
    proxy.stats.take_calls();
    let summary = stack
        .run_purge(&purge, later + chrono::Duration::minutes(5))
        .await
        .unwrap();
    let calls = proxy.stats.take_calls();
    report("purge, 10 records due", None, &calls);
    println!("  purge summary: {summary}");

    bulk(&stack, &proxy).await;
}

/// Calls per row of a 1,000-row import and per record of an export, with the import's
/// rows per second (moto answers in about a millisecond, so the figure is this machine's
/// CPU, not DynamoDB's latency).
async fn bulk(stack: &Stack, proxy: &FaultProxy) {
    const ROWS: usize = 1000;
    let mut csv = String::from(
        "employee_id,relation,my_number,purposes,number_check,identity_check,verified_on\r\n",
    );
    for i in 0..ROWS {
        let number = generated_number(50_000 + i, 17);
        csv.push_str(&format!(
            "I{i:04},self,{number},withholding_tax,my_number_card,my_number_card,2026-04-01\r\n"
        ));
    }
    let post = |dry_run: bool| {
        let mut r = req("POST", "/v1/imports")
            .who(&Who::registrar("acme"))
            .header("content-type", "text/csv")
            .bytes_body(csv.as_bytes());
        if dry_run {
            r = r.query("dry_run", "true");
        }
        r.build()
    };
    proxy.stats.take_calls();
    let started = std::time::Instant::now();
    let r = stack.call(post(false)).await;
    let elapsed = started.elapsed();
    check(&r, 200);
    assert_eq!(r.body["created"], ROWS, "{}", r.raw);
    let calls = proxy.stats.take_calls();
    per_item("import, per row (1,000 rows)", &calls, ROWS);
    println!(
        "  import of {ROWS} rows: {:.1} s, {:.0} rows/s (API Gateway's limit is 30 s)",
        elapsed.as_secs_f64(),
        ROWS as f64 / elapsed.as_secs_f64()
    );
    let (r, calls) = call(stack, proxy, post(false)).await;
    check(&r, 200);
    per_item("import again, per row (all unchanged)", &calls, ROWS);

    // An export of every withholding-tax record (the 1,000 imported and the earlier ones).
    let requester = Who::handler("acme");
    let approver = Who::new("payroll-yamada", "acme", &["handler"]);
    let asked = stack
        .call(
            req("POST", "/v1/exports")
                .who(&requester)
                .json(json!({"purpose": "withholding_tax", "all": true}))
                .build(),
        )
        .await;
    check(&asked, 201);
    let id = asked.body["export_id"].as_str().unwrap().to_owned();
    let records = asked.body["record_count"].as_u64().unwrap() as usize;
    let approved = stack
        .call(
            req("POST", &format!("/v1/exports/{id}/approve"))
                .who(&approver)
                .json(json!({}))
                .build(),
        )
        .await;
    check(&approved, 200);
    proxy.stats.take_calls();
    let started = std::time::Instant::now();
    let file = stack
        .call(
            req("GET", &format!("/v1/exports/{id}/file"))
                .who(&requester)
                .build(),
        )
        .await;
    let elapsed = started.elapsed();
    check(&file, 200);
    let calls = proxy.stats.take_calls();
    per_item(
        &format!("export download, per record ({records})"),
        &calls,
        records,
    );
    println!(
        "  export of {records} records: {:.1} s, {:.0} records/s",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64()
    );
}

/// Calls per item of a bulk operation, by operation; the physical minimum of an import row
/// is one Encrypt, one GenerateMac and one TransactWriteItems.
fn per_item(what: &str, calls: &[Call], items: usize) {
    let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
    for c in calls {
        *by_op.entry(c.op.as_str()).or_default() += 1;
    }
    let ops: Vec<String> = by_op
        .iter()
        .map(|(op, n)| format!("{:.2}× {op}", *n as f64 / items as f64))
        .collect();
    println!(
        "{what:<40} {:>6.2} calls a row: {}",
        calls.len() as f64 / items as f64,
        ops.join(", ")
    );
}

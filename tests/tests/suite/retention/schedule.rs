//! The scheduled purge: what is due and only that, once, within its deadline, with its
//! metrics and its advance notice.

use super::*;

#[tokio::test]
async fn the_purge_disposes_of_what_is_due_and_only_that() {
    purge_on_the_due_day_at(12, 0).await;
}

/// Half an hour into the JST day the UTC date is still yesterday's: the due index, the
/// reads and the purge count days in JST.
#[tokio::test]
async fn the_purge_just_after_midnight_jst_disposes_of_what_is_due_and_only_that() {
    purge_on_the_due_day_at(0, 30).await;
}

/// Half an hour before the JST day ends the UTC date is already today's.
#[tokio::test]
async fn the_purge_just_before_midnight_jst_disposes_of_what_is_due_and_only_that() {
    purge_on_the_due_day_at(23, 30).await;
}

/// At `h:m` JST on 2033-11-02: the record due the day before is hidden and disposed of, the
/// one due that day is still readable and kept, the one due the next day too.
async fn purge_on_the_due_day_at(h: u32, m: u32) {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    // Due 2033-11-01 (yesterday on purge day), 2033-11-02 (today), 2033-11-03 (tomorrow).
    let mut ids = Vec::new();
    for (employee, left_on, n) in [
        ("E0210", "2026-11-01", N1),
        ("E0211", "2026-11-02", N2),
        ("E0212", "2026-11-03", N3),
    ] {
        let r = register(&stack, &hr, own_number(employee, n)).await;
        ids.push(r.body["record_id"].as_str().unwrap().to_owned());
        assert_eq!(
            departure(&stack, employee, json!({"left_on": left_on}))
                .await
                .status,
            200
        );
    }
    // Another tenant's due record is purged too (the schedule serves every tenant).
    let other = register(&stack, &Who::registrar("beta"), own_number("E0210", N4)).await;
    stack
        .call(
            req("POST", "/v1/employees/E0210/departure")
                .who(&Who::registrar("beta"))
                .json(json!({"left_on": "2026-10-15"}))
                .build(),
        )
        .await;

    let purge_day = jst_noon(2033, 11, 2) + Duration::minutes(i64::from(h * 60 + m) - 12 * 60);
    stack.set_now(purge_day);
    // Reads already hide the record due yesterday, before any purge.
    assert_problem(
        &reveal(&stack, &Who::handler("acme"), &ids[0], "withholding_tax").await,
        404,
        "not_found",
    );
    assert_eq!(
        reveal(&stack, &Who::handler("acme"), &ids[1], "withholding_tax")
            .await
            .status,
        200
    );

    let summary = stack
        .run_purge(&stack.purge(), purge_day + Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(summary["disposed"], 2, "{summary}");
    assert_eq!(
        summary["items_read"], 2,
        "the index read only the due records"
    );
    assert_eq!(summary["stopped_early"], false);
    assert_eq!(
        summary["tenants"]["acme"],
        json!({"disposed": 1, "due_within_30_days": 2})
    );
    assert_eq!(summary["tenants"]["beta"]["disposed"], 1);

    let items = stack.all_items().await;
    let remaining: Vec<_> = items
        .iter()
        .filter(|i| i["sk"].as_s().unwrap() == "RECORD")
        .map(|i| i["record_id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(remaining.len(), 2);
    assert!(remaining.contains(&ids[1]) && remaining.contains(&ids[2]));
    assert!(!remaining.contains(&other.body["record_id"].as_str().unwrap().to_owned()));

    // The disposal record: by the schedule, with the evidence an auditor needs, no number.
    let log = disposals(&stack, &Who::auditor("acme"), None).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["record_id"], ids[0].as_str());
    assert_eq!(items[0]["reason"], "retention_ended");
    assert_eq!(items[0]["disposed_by"], json!({"kind": "schedule"}));
    let ddb_items = stack.all_items().await;
    let disposal_item = ddb_items
        .iter()
        .find(|i| {
            i.get("kind")
                .and_then(|k| k.as_s().ok())
                .map(String::as_str)
                == Some("disposal")
                && i["tenant_id"].as_s().unwrap() == "acme"
        })
        .unwrap();
    assert!(!disposal_item.contains_key("ct"));
    let kept_until = purge_day + Duration::days(3650);
    let ttl: i64 = disposal_item["expires_at"].as_n().unwrap().parse().unwrap();
    assert!((ttl - kept_until.timestamp()).abs() < 5);
    // The slot is free again: the employee may be registered anew.
    stack.set_now(purge_day + Duration::minutes(20));
    assert_eq!(
        register(&stack, &hr, own_number("E0210", N5)).await.status,
        201
    );

    let events = stack.audit_events();
    let run = events
        .iter()
        .rev()
        .find(|e| e["event"] == "purge_run")
        .unwrap();
    assert_eq!(run["count"], 2);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "advance_notice" && e["tenant_id"] == "acme" && e["count"] == 2)
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "disposal" && e["record_id"] == ids[0].as_str())
    );

    // A second purge the same day is a no-op.
    let again = stack
        .run_purge(&stack.purge(), purge_day + Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(again["disposed"], 0);
    // The next JST day, the record due on purge day is gone from reads before any purge.
    stack.set_now(purge_day + Duration::days(1));
    assert_problem(
        &reveal(&stack, &Who::handler("acme"), &ids[1], "withholding_tax").await,
        404,
        "not_found",
    );
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

async fn seed_due(stack: &Stack, count: usize) {
    let hr = Who::registrar("acme");
    let numbers = [N1, N2, N3, N4, N5];
    join_all((0..count).map(|i| {
        let hr = hr.clone();
        async move {
            let employee = format!("E3{i:03}");
            let r = register(
                stack,
                &hr,
                dependent(&employee, "長男", numbers[i % numbers.len()]),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.raw);
            let r = departure(stack, &employee, json!({"left_on": "2026-01-31"})).await;
            assert_eq!(r.status, 200, "{}", r.raw);
        }
    }))
    .await;
}

#[tokio::test]
async fn concurrent_purges_dispose_of_each_record_exactly_once() {
    let stack = Stack::new().await;
    seed_due(&stack, 30).await;
    let day = jst_noon(2034, 1, 1);
    stack.set_now(day);
    let (a, b) = (stack.purge(), stack.purge());
    let results = join_all([
        stack.run_purge(&a, day + Duration::minutes(15)),
        stack.run_purge(&b, day + Duration::minutes(15)),
    ])
    .await;
    let summaries: Vec<Value> = results.into_iter().map(Result::unwrap).collect();
    let disposed: u64 = summaries
        .iter()
        .map(|s| s["disposed"].as_u64().unwrap())
        .sum();
    assert_eq!(disposed, 30, "{summaries:?}");
    let items = stack.all_items().await;
    assert_eq!(record_items(&items), 0);
    let disposal_records = items
        .iter()
        .filter(|i| {
            i.get("kind")
                .and_then(|k| k.as_s().ok())
                .map(String::as_str)
                == Some("disposal")
        })
        .count();
    assert_eq!(disposal_records, 30);
}

/// A clock that moves on by `step` each time it is read, so that a purge runs into its
/// deadline after a known amount of work.
struct SteppingClock {
    now: Mutex<DateTime<Utc>>,
    step: Duration,
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        let mut now = self.now.lock().unwrap();
        *now += self.step;
        *now
    }
}

#[tokio::test]
async fn the_purge_stops_before_its_deadline_and_the_next_run_resumes() {
    let stack = Stack::new().await;
    seed_due(&stack, 20).await;
    let day = jst_noon(2034, 1, 1);
    let clock = Arc::new(SteppingClock {
        now: Mutex::new(day),
        step: Duration::seconds(1),
    });
    let purge = stack.purge_with_clock(clock.clone());
    // Margin 10 s; deadline allows a few clock reads: one chunk of disposals, then stop.
    let first = stack
        .run_purge(&purge, day + Duration::seconds(15))
        .await
        .unwrap();
    assert_eq!(first["stopped_early"], true, "{first}");
    let done = first["disposed"].as_u64().unwrap();
    assert!(done > 0 && done < 20, "{first}");
    assert_eq!(
        first["left_for_next_run"].as_u64().unwrap() + done,
        20,
        "{first}"
    );
    assert_eq!(first["more_may_remain"], false);
    assert_eq!(record_items(&stack.all_items().await) as u64, 20 - done);

    let second = stack
        .run_purge(&purge, day + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(second["stopped_early"], false);
    assert_eq!(second["disposed"].as_u64().unwrap(), 20 - done);
    assert_eq!(record_items(&stack.all_items().await), 0);
}

#[tokio::test]
async fn the_purge_refuses_anything_but_the_schedule() {
    let stack = Stack::new().await;
    let mut ctx = lambda_runtime::Context::default();
    ctx.deadline = u64::try_from((Utc::now() + Duration::minutes(1)).timestamp_millis()).unwrap();
    let event: aws_lambda_events::eventbridge::EventBridgeEvent = serde_json::from_value(json!({
        "detail-type": "Object Created", "source": "aws.s3", "detail": {}
    }))
    .unwrap();
    let r = stack
        .purge()
        .handle(lambda_runtime::LambdaEvent::new(event, ctx))
        .await;
    assert!(matches!(r, Err(purge::PurgeError::NotScheduled)));
}

#[test]
fn purge_metrics_are_embedded_metric_format() {
    let mut summary = mynumber_domain::purge::PurgeSummary {
        today: NaiveDate::from_ymd_opt(2033, 11, 2).unwrap(),
        disposed: 3,
        already_gone: 0,
        failed: 0,
        items_read: 3,
        stopped_early: false,
        left_for_next_run: 0,
        more_may_remain: false,
        due_within_30_days: 5,
        documents_deleted: 0,
        documents_failed: 0,
        tenants: Default::default(),
    };
    summary.tenants.insert(
        mynumber_domain::TenantId::parse("acme").unwrap(),
        mynumber_domain::purge::TenantPurge {
            disposed: 3,
            due_within_30_days: 5,
        },
    );
    let mut out = Vec::new();
    purge::emit_metrics(&summary, Utc::now(), &mut out);
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let tenant = &lines[0];
    assert_eq!(
        tenant["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "MyNumberVault"
    );
    assert_eq!(
        tenant["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["TenantId"]])
    );
    assert_eq!(tenant["TenantId"], "acme");
    assert_eq!(tenant["RecordsDisposed"], 3);
    assert_eq!(tenant["RecordsDueWithin30Days"], 5);
    // Every metric named in the directive has a value on the line.
    for line in &lines {
        for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
        {
            assert!(line[m["Name"].as_str().unwrap()].is_u64());
        }
    }
}

/// cargo-lambda sends a relative "deadline" (about 3000); the purge must still run.
#[tokio::test]
async fn a_purge_without_a_real_deadline_runs_on_a_bounded_budget() {
    let stack = Stack::new().await;
    seed_due(&stack, 3).await;
    stack.set_now(jst_noon(2034, 1, 1));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/scheduled-event.json"
    );
    let event = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut ctx = lambda_runtime::Context::default();
    ctx.deadline = 3000;
    let summary = stack
        .purge()
        .handle(lambda_runtime::LambdaEvent::new(event, ctx))
        .await
        .unwrap();
    assert_eq!(summary["stopped_early"], false);
    assert_eq!(summary["disposed"], 3);
}

/// SPEC §2.7: the purge reports, per tenant, the records that fall due within the next 30
/// days (their last day from today through today + 30), in its summary and as an
/// `advance_notice` audit event; a tenant with nothing falling due gets no notice.
#[tokio::test]
async fn the_purge_gives_advance_notice_of_what_falls_due_within_30_days() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    // Left on D, due D + 7 years: due 2033-11-02 (purge day), 2033-12-02 (+30 days),
    // 2033-12-03 (+31 days).
    for (employee, left_on, n) in [
        ("E0310", "2026-11-02", N1),
        ("E0311", "2026-12-02", N2),
        ("E0312", "2026-12-03", N3),
    ] {
        assert_eq!(
            register(&stack, &hr, own_number(employee, n)).await.status,
            201
        );
        assert_eq!(
            departure(&stack, employee, json!({"left_on": left_on}))
                .await
                .status,
            200
        );
    }
    // Another tenant whose only record falls due later than that.
    let beta = Who::registrar("beta");
    assert_eq!(
        register(&stack, &beta, own_number("E0313", N4))
            .await
            .status,
        201
    );
    let r = stack
        .call(
            req("POST", "/v1/employees/E0313/departure")
                .who(&beta)
                .json(json!({"left_on": "2027-01-10"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200);

    let purge_day = jst_noon(2033, 11, 2);
    stack.set_now(purge_day);
    let summary = stack
        .run_purge(&stack.purge(), purge_day + Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(summary["disposed"], 0, "nothing is past due yet: {summary}");
    assert_eq!(summary["due_within_30_days"], 2, "{summary}");
    assert_eq!(summary["tenants"]["acme"]["due_within_30_days"], 2);
    let notices: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "advance_notice")
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["tenant_id"], "acme");
    assert_eq!(notices[0]["count"], 2);
}

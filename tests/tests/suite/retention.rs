//! Departure → due date → reads hide it → the scheduled purge deletes it and leaves a
//! disposal record an auditor can list; all against moto through the real functions.

use super::*;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures::future::join_all;
use mynumber_domain::ports::Clock;
use std::sync::{Arc, Mutex};

/// Noon JST on a date, as a UTC instant.
fn jst_noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn departure(stack: &Stack, employee: &str, body: Value) -> Reply {
    stack
        .call(
            req("POST", &format!("/v1/employees/{employee}/departure"))
                .who(&Who::registrar("acme"))
                .json(body)
                .build(),
        )
        .await
}

async fn rehire(stack: &Stack, employee: &str) -> Reply {
    stack
        .call(
            req("DELETE", &format!("/v1/employees/{employee}/departure"))
                .who(&Who::registrar("acme"))
                .build(),
        )
        .await
}

async fn dispose(stack: &Stack, id: &str, reason: &str) -> Reply {
    stack
        .call(
            req("DELETE", &format!("/v1/records/{id}"))
                .who(&Who::registrar("acme"))
                .json(json!({"reason": reason}))
                .build(),
        )
        .await
}

async fn disposals(stack: &Stack, who: &Who, employee: Option<&str>) -> Reply {
    let mut r = req("GET", "/v1/disposals").who(who);
    if let Some(e) = employee {
        r = r.query("employee_id", e);
    }
    stack.call(r.build()).await
}

fn record_items(
    items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
) -> usize {
    items
        .iter()
        .filter(|i| i["sk"].as_s().unwrap() == "RECORD")
        .count()
}

#[tokio::test]
async fn departure_sets_the_statutory_due_date_on_every_record() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0200", N1)).await;
    let child = register(&stack, &hr, dependent("E0200", "長男", N2)).await;
    // The 2025 declaration is kept until 2033-01-10, later than 7 years from 2026-01-05.
    let r = departure(
        &stack,
        "E0200",
        json!({"left_on": "2026-01-05", "last_declaration_year": 2025}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["employee_id"], "E0200");
    let mut records = r.body["records"].as_array().unwrap().clone();
    records.sort_by_key(|r| r["record_id"].as_str().unwrap().to_owned());
    let mut expected = vec![
        json!({"record_id": own.body["record_id"], "due_at": "2033-01-10"}),
        json!({"record_id": child.body["record_id"], "due_at": "2033-01-10"}),
    ];
    expected.sort_by_key(|r| r["record_id"].as_str().unwrap().to_owned());
    assert_eq!(records, expected);
    let listed = list(&stack, &hr, "E0200").await;
    for item in listed.body["items"].as_array().unwrap() {
        assert_eq!(item["left_on"], "2026-01-05");
        assert_eq!(item["last_declaration_year"], 2025);
        assert_eq!(item["due_at"], "2033-01-10");
    }
    // TTL backstop: 00:00 JST on 2033-01-11, plus the 7-day grace.
    let backstop = jst_noon(2033, 1, 11) - Duration::hours(12) + Duration::days(7);
    for item in stack
        .all_items()
        .await
        .iter()
        .filter(|i| i["sk"].as_s().unwrap() == "RECORD")
    {
        assert_eq!(
            item["expires_at"].as_n().unwrap(),
            &backstop.timestamp().to_string()
        );
    }
    // Without the declaration year, 7 years from the leaving date; a leap day lands on 28 Feb.
    register(&stack, &hr, own_number("E0201", N3)).await;
    let r = departure(&stack, "E0201", json!({"left_on": "2024-02-29"})).await;
    assert_eq!(r.body["records"][0]["due_at"], "2031-02-28");
    let ev = stack
        .audit_events()
        .into_iter()
        .find(|e| e["event"] == "departure")
        .unwrap();
    assert_eq!(ev["employee_id"], "E0200");
    assert_eq!(ev["count"], 2);
    stack.assert_no_plaintext(&[N1, N2, N3]).await;
}

#[tokio::test]
async fn rehire_cancels_the_departure_and_the_purge_leaves_the_records() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0202", N1)).await;
    departure(&stack, "E0202", json!({"left_on": "2026-03-31"})).await;
    let r = rehire(&stack, "E0202").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["records"],
        json!([{"record_id": own.body["record_id"], "due_at": null}])
    );
    let listed = list(&stack, &hr, "E0202").await;
    assert!(listed.body["items"][0].get("due_at").is_none());
    let item = stack
        .all_items()
        .await
        .into_iter()
        .find(|i| i["sk"].as_s().unwrap() == "RECORD")
        .unwrap();
    assert!(!item.contains_key("expires_at") && !item.contains_key("due_pk"));
    // Ten years on, the purge finds nothing to delete.
    stack.set_now(jst_noon(2036, 4, 1));
    stack
        .run_purge(&stack.purge(), jst_noon(2036, 4, 1) + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(record_items(&stack.all_items().await), 1);
    // Cancelling again: nothing to cancel.
    let again = rehire(&stack, "E0202").await;
    assert_problem(&again, 404, "not_found");
}

#[tokio::test]
async fn bad_departures_are_4xx() {
    let stack = Stack::new().await;
    register(&stack, &Who::registrar("acme"), own_number("E0203", N1)).await;
    for (body, field, rule) in [
        (json!({"left_on": "2026-02-30"}), "left_on", "date"),
        (json!({}), "left_on", "required"),
        (json!({"left_on": "2014-03-31"}), "left_on", "range"),
        (
            json!({"left_on": "2026-03-31", "last_declaration_year": 2015}),
            "last_declaration_year",
            "range",
        ),
        (
            json!({"left_on": "2026-03-31", "last_declaration_year": "2025"}),
            "last_declaration_year",
            "type",
        ),
        (
            json!({"left_on": "2026-03-31", "why": "x"}),
            "why",
            "unknown_field",
        ),
    ] {
        let r = departure(&stack, "E0203", body.clone()).await;
        assert_problem(&r, 400, "invalid_request");
        assert!(
            r.field_errors().contains(&(field.into(), rule.into())),
            "{body}: {:?}",
            r.field_errors()
        );
    }
    assert_problem(
        &departure(&stack, "E9999", json!({"left_on": "2026-03-31"})).await,
        404,
        "not_found",
    );
    assert_problem(
        &departure(&stack, "E%231", json!({"left_on": "2026-03-31"})).await,
        400,
        "invalid_request",
    );
    let r = stack
        .call(
            req("POST", "/v1/employees/E0203/departure")
                .who(&Who::handler("acme"))
                .json(json!({"left_on": "2026-03-31"}))
                .build(),
        )
        .await;
    assert_problem(&r, 403, "forbidden_role");
    // Another tenant cannot touch the employee.
    let r = stack
        .call(
            req("POST", "/v1/employees/E0203/departure")
                .who(&Who::registrar("other"))
                .json(json!({"left_on": "2026-03-31"}))
                .build(),
        )
        .await;
    assert_problem(&r, 404, "not_found");
}

#[tokio::test]
async fn early_disposal_deletes_the_number_and_leaves_a_disposal_record() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0204", N1)).await;
    let child = register(&stack, &hr, dependent("E0204", "長男", N2)).await;
    let child_id = child.body["record_id"].as_str().unwrap();
    assert_problem(
        &dispose(&stack, child_id, "bored").await,
        400,
        "invalid_request",
    );
    assert_problem(
        &dispose(&stack, child_id, "retention_ended").await,
        400,
        "invalid_request",
    );
    let r = dispose(&stack, child_id, "no_longer_needed").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["record_id"], child_id);
    assert_eq!(r.body["employee_id"], "E0204");
    assert_eq!(r.body["relation"], "dependent");
    assert_eq!(r.body["dependent_label"], "長男");
    assert_eq!(r.body["reason"], "no_longer_needed");
    assert_eq!(
        r.body["disposed_by"],
        json!({"kind": "principal", "id": "hr-sato"})
    );
    let disposed_at =
        DateTime::parse_from_rfc3339(r.body["disposed_at"].as_str().unwrap()).unwrap();
    let backup =
        DateTime::parse_from_rfc3339(r.body["backup_expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(backup - disposed_at, Duration::days(35));
    // Gone for every read, and a second disposal finds nothing.
    assert_problem(
        &reveal(&stack, &Who::handler("acme"), child_id, "withholding_tax").await,
        404,
        "not_found",
    );
    assert_problem(&dispose(&stack, child_id, "error").await, 404, "not_found");
    assert_eq!(
        list(&stack, &hr, "E0204").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Disposing of the own-number record frees the slot: no replace needed afterwards.
    stack.set_now(stack.clock.now_plus(Duration::seconds(1)));
    assert_eq!(
        dispose(&stack, own.body["record_id"].as_str().unwrap(), "error")
            .await
            .status,
        200
    );
    assert_eq!(
        register(&stack, &hr, own_number("E0204", N3)).await.status,
        201
    );
    // Auditors and registrars read the disposal log; handlers do not.
    let log = disposals(&stack, &Who::auditor("acme"), Some("E0204")).await;
    assert_eq!(log.status, 200, "{}", log.raw);
    let reasons: Vec<_> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["error", "no_longer_needed"], "newest first");
    assert_problem(
        &disposals(&stack, &Who::handler("acme"), None).await,
        403,
        "forbidden_role",
    );
    assert_eq!(
        disposals(&stack, &Who::auditor("other"), None).await.body["items"],
        json!([])
    );
    assert_problem(
        &dispose(&stack, "nope", "error").await,
        400,
        "invalid_request",
    );
    let r = stack
        .call(
            req("DELETE", &format!("/v1/records/{child_id}"))
                .who(&Who::handler("acme"))
                .json(json!({"reason": "error"}))
                .build(),
        )
        .await;
    assert_problem(&r, 403, "forbidden_role");
    stack.assert_no_plaintext(&[N1, N2, N3]).await;
}

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

#[tokio::test]
async fn records_registered_after_a_departure_share_its_due_date() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    register(&stack, &hr, own_number("E0220", N1)).await;
    departure(&stack, "E0220", json!({"left_on": "2026-03-31"})).await;
    // A dependant added later, and a typo fixed with replace: both due with the rest.
    let child = register(&stack, &hr, dependent("E0220", "長男", N2)).await;
    assert_eq!(child.body["due_at"], "2033-03-31", "{}", child.raw);
    let mut fixed = own_number("E0220", N3);
    fixed["replace"] = json!(true);
    let fixed = register(&stack, &hr, fixed).await;
    assert_eq!(fixed.body["due_at"], "2033-03-31", "{}", fixed.raw);
    // …so the purge disposes of all of them when the day comes.
    stack.set_now(jst_noon(2033, 4, 1));
    let summary = stack
        .run_purge(&stack.purge(), jst_noon(2033, 4, 1) + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(summary["disposed"], 2, "{summary}");
    assert_eq!(record_items(&stack.all_items().await), 0);
    // After a re-hire, new records are not due at all.
    stack.set_now(jst_noon(2026, 11, 24));
    register(&stack, &hr, own_number("E0221", N4)).await;
    departure(&stack, "E0221", json!({"left_on": "2026-03-31"})).await;
    rehire(&stack, "E0221").await;
    let late = register(&stack, &hr, dependent("E0221", "長女", N5)).await;
    assert!(late.body.get("due_at").is_none(), "{}", late.raw);
}

#[tokio::test]
async fn a_slot_whose_record_ttl_deleted_is_taken_over() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let first = register(&stack, &hr, own_number("E0222", N1)).await;
    // DynamoDB TTL deletes the record itself (the purge did not run): the slot stays.
    stack
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "T#acme#R#{}",
                first.body["record_id"].as_str().unwrap()
            )),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("RECORD".into()),
        )
        .send()
        .await
        .unwrap();
    let again = register(&stack, &hr, own_number("E0222", N2)).await;
    assert_eq!(again.status, 201, "{}", again.raw);
    let second = register(&stack, &hr, own_number("E0222", N3)).await;
    assert_problem(&second, 409, "record_exists");
}

/// Takes a record out of the `by_owner` index, as a GSI that has not caught up would
/// show it: its index keys are removed from the item.
async fn hide_from_owner_index(stack: &Stack, record_id: &str) {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    stack
        .ddb()
        .update_item()
        .table_name(&stack.table)
        .key("pk", A::S(format!("T#acme#R#{record_id}")))
        .key("sk", A::S("RECORD".into()))
        .update_expression("REMOVE gsi1pk, gsi1sk")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_departure_reaches_a_record_the_owner_index_has_not_caught_up_with() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0301", N1)).await;
    let child = register(&stack, &hr, dependent("E0301", "長男", N2)).await;
    let child_id = child.body["record_id"].as_str().unwrap();
    hide_from_owner_index(&stack, child_id).await;
    let r = departure(&stack, "E0301", json!({"left_on": "2026-03-31"})).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let mut got: Vec<&str> = r.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["record_id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![own.body["record_id"].as_str().unwrap(), child_id];
    want.sort();
    assert_eq!(got, want, "both records get the due date");
    let items = stack.items_of_kind("record").await;
    assert!(
        items
            .iter()
            .all(|i| i.contains_key("due_on") && i.contains_key("due_pk")),
        "every record carries the due date and the due index keys"
    );
    // And a re-hire clears it from the hidden record too.
    let r = rehire(&stack, "E0301").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2);
    let items = stack.items_of_kind("record").await;
    assert!(items.iter().all(|i| !i.contains_key("due_on")));
}

/// The owner index lags behind the table: a departure planned from the index's copy of a
/// record is refused by the record's version condition and planned again from consistent
/// reads.
#[tokio::test]
async fn a_departure_read_from_a_lagging_index_is_planned_again_from_the_table() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0303", N1)).await;
    let child = register(&stack, &hr, dependent("E0303", "長女", N2)).await;
    let ddb = stack.ddb();
    let key = |id: &Value| {
        std::collections::HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(format!("T#acme#R#{}", id.as_str().unwrap())),
            ),
            ("sk".to_owned(), AttributeValue::S("RECORD".into())),
        ])
    };
    // The own number's index copy stays one version behind: a copy of the item under
    // another key keeps its old version in the index, the record itself moves on and
    // leaves the index.
    keep_a_lagging_copy(&stack, own.body["record_id"].as_str().unwrap()).await;
    ddb.update_item()
        .table_name(&stack.table)
        .set_key(Some(key(&own.body["record_id"])))
        .update_expression("SET version = version + :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    hide_from_owner_index(&stack, own.body["record_id"].as_str().unwrap()).await;
    let r = departure(&stack, "E0303", json!({"left_on": "2026-03-31"})).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let mut due: Vec<_> = r.body["records"].as_array().unwrap().clone();
    due.sort_by_key(|r| r["record_id"].as_str().unwrap().to_owned());
    let mut expected = vec![
        json!({"record_id": own.body["record_id"], "due_at": "2033-03-31"}),
        json!({"record_id": child.body["record_id"], "due_at": "2033-03-31"}),
    ];
    expected.sort_by_key(|r| r["record_id"].as_str().unwrap().to_owned());
    assert_eq!(due, expected);
    for id in [&own.body["record_id"], &child.body["record_id"]] {
        let item = ddb
            .get_item()
            .table_name(&stack.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(item["due_on"].as_s().unwrap(), "2033-03-31");
    }
}

/// A re-hire right after a departure, while the owner index still shows the record
/// without it: the record left alone for what its copy showed must still be as read, so
/// the re-hire is planned again from the table and the record's due date is cleared.
#[tokio::test]
async fn a_rehire_read_from_an_index_that_has_not_seen_the_departure_still_clears_it() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0304", N1)).await;
    let id = own.body["record_id"].as_str().unwrap();
    // The index's copy as it was before the departure.
    keep_a_lagging_copy(&stack, id).await;
    let r = departure(&stack, "E0304", json!({"left_on": "2026-03-31"})).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    hide_from_owner_index(&stack, id).await;
    let r = rehire(&stack, "E0304").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["records"],
        json!([{"record_id": id, "due_at": null}]),
        "the record's due date is cancelled"
    );
    let record = stack
        .items_of_kind("record")
        .await
        .into_iter()
        .find(|i| i["pk"].as_s().unwrap() == &format!("T#acme#R#{id}"))
        .unwrap();
    assert!(
        !record.contains_key("due_on") && !record.contains_key("due_pk"),
        "no due date is left for the purge"
    );
}

#[tokio::test]
async fn an_intake_between_a_departures_read_and_write_makes_the_write_fail() {
    use mynumber_domain::ports::{DepartureChange, Departures, EmployeeRead, UpdateError};
    use mynumber_domain::retention::RetentionRule;
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    register(&stack, &hr, own_number("E0302", N1)).await;
    let store = mynumber_aws::DynamoStore::new(stack.ddb(), &stack.table);
    let tenant = mynumber_domain::TenantId::parse("acme").unwrap();
    let employee = mynumber_domain::EmployeeId::parse("E0302").unwrap();
    let read = store
        .employee_records(&tenant, &employee, EmployeeRead::Quick)
        .await
        .unwrap();
    assert_eq!(read.records.len(), 1);
    // Another registrar adds a dependant now.
    let late = register(&stack, &hr, dependent("E0302", "長女", N2)).await;
    assert_eq!(late.status, 201);
    let departure = RetentionRule::new(7)
        .unwrap()
        .departure(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), None)
        .unwrap();
    let changes: Vec<DepartureChange> = read
        .records
        .iter()
        .map(|r| DepartureChange {
            record: r.clone(),
            departure: Some(departure),
        })
        .collect();
    let stale = store
        .set_departures(&tenant, &employee, Some(departure), &changes, &read)
        .await;
    assert_eq!(
        stale,
        Err(UpdateError::Concurrent),
        "the stale read must not win"
    );
    assert!(
        stack
            .items_of_kind("record")
            .await
            .iter()
            .all(|i| !i.contains_key("due_on")),
        "nothing was written"
    );
    // Through the API the departure reads again and reaches both records.
    let r = departure_call(&stack, "E0302").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2);
}

async fn departure_call(stack: &Stack, employee: &str) -> Reply {
    departure(stack, employee, json!({"left_on": "2026-03-31"})).await
}

#[tokio::test]
async fn a_rehire_clears_the_departure_even_when_no_live_record_carries_it() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0303", N1)).await;
    departure(&stack, "E0303", json!({"left_on": "2026-03-31"})).await;
    // The only record is disposed of early; the employee's departure stays behind.
    let d = dispose(&stack, own.body["record_id"].as_str().unwrap(), "withdrawn").await;
    assert_eq!(d.status, 200, "{}", d.raw);
    let cancel = || async { rehire(&stack, "E0303").await };
    let r = cancel().await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["records"], json!([]));
    // Re-hired: a new record has no due date.
    let again = register(&stack, &hr, own_number("E0303", N2)).await;
    assert_eq!(again.status, 201, "{}", again.raw);
    assert!(again.body.get("due_at").is_none() || again.body["due_at"].is_null());
    let listed = list(&stack, &hr, "E0303").await;
    assert!(listed.body["items"][0].get("due_at").is_none());
    // Now there is nothing to cancel.
    assert_problem(&cancel().await, 404, "not_found");
}

/// A DynamoDB stream event with one REMOVE record per `(item, by_ttl)`: `by_ttl` says the
/// TTL process deleted it (the service identity); otherwise a delete through the API.
fn stream_event(
    removals: &[(
        &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
        bool,
    )],
) -> aws_lambda_events::dynamodb::Event {
    let records: Vec<Value> = removals
        .iter()
        .enumerate()
        .map(|(i, (item, by_ttl))| {
            let image: std::collections::HashMap<String, serde_dynamo::AttributeValue> = item
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            let image = serde_json::to_value(serde_dynamo::Item::from(image)).unwrap();
            let mut r = json!({
                "eventID": format!("ev-{i}"),
                "eventName": "REMOVE",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ap-northeast-1",
                "eventSourceARN": "arn:aws:dynamodb:ap-northeast-1:123456789012:table/t/stream/x",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_800_000_000,
                    "Keys": {"pk": image["pk"], "sk": image["sk"]},
                    "OldImage": image,
                    "SequenceNumber": format!("{}", 1000 + i),
                    "SizeBytes": 300,
                    "StreamViewType": "OLD_IMAGE"
                }
            });
            if *by_ttl {
                r["userIdentity"] =
                    json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
            }
            r
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// Keeps the record's item as it is now in the owner index: a copy under another key,
/// which the index goes on showing after the record itself changes.
async fn keep_a_lagging_copy(stack: &Stack, record_id: &str) {
    let mut copy = record_item(stack, record_id).await;
    copy.insert(
        "pk".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("LAGGING-COPY".into()),
    );
    stack
        .ddb()
        .put_item()
        .table_name(&stack.table)
        .set_item(Some(copy))
        .send()
        .await
        .unwrap();
}

async fn record_item(
    stack: &Stack,
    record_id: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    stack
        .ddb()
        .get_item()
        .table_name(&stack.table)
        .key("pk", A::S(format!("T#acme#R#{record_id}")))
        .key("sk", A::S("RECORD".into()))
        .send()
        .await
        .unwrap()
        .item()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_record_ttl_deleted_gets_its_disposal_record_from_the_stream() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0310", N1)).await;
    let own_id = own.body["record_id"].as_str().unwrap().to_owned();
    let child = register(&stack, &hr, dependent("E0310", "長男", N2)).await;
    let child_id = child.body["record_id"].as_str().unwrap().to_owned();
    departure(&stack, "E0310", json!({"left_on": "2019-03-31"})).await;
    // TTL deletes the self record (the purge was down); the purge's own delete of the
    // child arrives on the stream too, without the service identity.
    let own_item = record_item(&stack, &own_id).await;
    let child_item = record_item(&stack, &child_id).await;
    stack
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .key("pk", A::S(format!("T#acme#R#{own_id}")))
        .key("sk", A::S("RECORD".into()))
        .send()
        .await
        .unwrap();
    let metrics = Arc::new(Mutex::new(Vec::new()));
    let backstop = stack.backstop(metrics.clone());
    let event = stream_event(&[(&own_item, true), (&child_item, false)]);
    let run = |event: aws_lambda_events::dynamodb::Event| {
        let mut ctx = lambda_runtime::Context::default();
        ctx.request_id = format!("backstop-{}", mynumber_tests::uuid_like());
        backstop.handle(lambda_runtime::LambdaEvent::new(event, ctx))
    };
    let summary = run(event.clone()).await.unwrap();
    assert_eq!(summary["recorded"], 1, "{summary}");
    assert_eq!(summary["ignored"], 1, "{summary}");
    let log = disposals(&stack, &Who::auditor("acme"), Some("E0310")).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", log.raw);
    assert_eq!(items[0]["record_id"], own_id.as_str());
    assert_eq!(items[0]["reason"], "ttl_backstop");
    assert_eq!(items[0]["disposed_by"], json!({"kind": "dynamodb_ttl"}));
    assert_eq!(items[0]["disposed_at"], "2027-01-15T08:00:00.000Z");
    // The slot and the membership entry went with it: the employee's partition holds
    // only the child's entry, and a new self record needs no replace.
    let partition: Vec<String> = stack
        .all_items()
        .await
        .iter()
        .filter(|i| i["pk"].as_s().unwrap() == "T#acme#E#E0310")
        .map(|i| i["sk"].as_s().unwrap().clone())
        .collect();
    assert!(
        !partition.contains(&"SLOT#self".to_owned()),
        "{partition:?}"
    );
    assert!(
        !partition.contains(&format!("REC#{own_id}")),
        "{partition:?}"
    );
    assert!(
        partition.contains(&format!("REC#{child_id}")),
        "{partition:?}"
    );
    // Delivered again (a retry): nothing new.
    let again = run(event).await.unwrap();
    assert_eq!(again["recorded"], 0);
    assert_eq!(again["already_recorded"], 1);
    assert_eq!(stack.items_of_kind("disposal").await.len(), 1);
    // One audit event, one metric line per batch with the count.
    let audited: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["reason"] == "ttl_backstop")
        .collect();
    assert_eq!(audited.len(), 1);
    let lines = String::from_utf8(metrics.lock().unwrap().clone()).unwrap();
    let counts: Vec<u64> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["TtlBackstopDisposals"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![1, 0]);
    stack.assert_no_plaintext(&[N1, N2]).await;
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

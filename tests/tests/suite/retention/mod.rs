//! Departure → due date → reads hide it → the scheduled purge deletes it and leaves a
//! disposal record an auditor can list; all against moto through the real functions.

use super::*;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures::future::join_all;
use mynumber_domain::ports::Clock;
use std::sync::{Arc, Mutex};

pub(crate) mod races;
mod schedule;

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

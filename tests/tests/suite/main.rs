//! The integration suite: the real intake and lookup handlers against a moto server the
//! harness starts itself. One binary, so the AWS SDK is linked once.

mod accessibility;
mod adapters;
mod audit_review;
mod auth;
mod browser;
mod certificates;
mod chaos;
mod client;
mod collections;
mod console;
mod digest;
mod docs;
mod documents;
mod export_xlsx;
mod exports;
mod handlers_memory;
mod handling;
mod harness;
mod headers;
mod iam;
mod iam_notify;
mod imports;
mod intake;
mod lookup;
mod mail;
mod moto_gaps;
mod openapi;
mod pages;
mod retention;
mod routes;
mod store_contract;
mod usecases;

use mynumber_tests::Stack;
use mynumber_tests::{Reply, Who, req};
use serde_json::{Value, json};

use mynumber_tests::TEST_NUMBERS;

pub const N1: &str = TEST_NUMBERS[0];
pub const N2: &str = TEST_NUMBERS[1];
pub const N3: &str = TEST_NUMBERS[2];
pub const N4: &str = TEST_NUMBERS[3];
pub const N5: &str = TEST_NUMBERS[4];
pub const ALL_NUMBERS: &[&str] = &TEST_NUMBERS;

pub use mynumber_tests::own_number;

pub fn dependent(employee: &str, label: &str, number: &str) -> Value {
    json!({
        "employee_id": employee,
        "relation": "dependent",
        "dependent_label": label,
        "my_number": number,
        "purposes": ["dependents_declaration", "withholding_tax"],
        "verification": {
            "number_check": "notification_card",
            "identity_check": "by_employee",
            "verified_on": "2026-04-01"
        }
    })
}

pub async fn register(stack: &Stack, who: &Who, body: Value) -> Reply {
    stack
        .call(req("POST", "/v1/records").who(who).json(body).build())
        .await
}

pub async fn reveal(stack: &Stack, who: &Who, record_id: &str, purpose: &str) -> Reply {
    stack
        .call(
            req("POST", &format!("/v1/records/{record_id}/reveal"))
                .who(who)
                .json(json!({ "purpose": purpose }))
                .build(),
        )
        .await
}

pub async fn list(stack: &Stack, who: &Who, employee: &str) -> Reply {
    stack
        .call(
            req("GET", "/v1/records")
                .who(who)
                .query("employee_id", employee)
                .build(),
        )
        .await
}

/// Asserts a problem+json response with this status and code.
#[track_caller]
pub fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.raw);
    assert_eq!(
        reply.content_type, "application/problem+json",
        "{}",
        reply.raw
    );
    assert_eq!(reply.code(), code, "{}", reply.raw);
    assert_eq!(reply.body["status"], status);
    assert!(reply.body["type"].as_str().unwrap().ends_with(code));
}

/// The kinds of the tenant `acme`'s sent log, newest first.
pub async fn mail_log_kinds(stack: &Stack) -> Vec<String> {
    let r = stack
        .call(
            req("GET", "/v1/notifications")
                .who(&Who::auditor("acme"))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

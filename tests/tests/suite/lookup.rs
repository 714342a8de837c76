//! `GET /v1/records` and `POST /v1/records/{id}/reveal` against moto.

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;

async fn registered(stack: &Stack, tenant: &str, employee: &str, number: &str) -> String {
    let r = register(stack, &Who::registrar(tenant), own_number(employee, number)).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["record_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_handler_reveals_for_a_stated_purpose_after_a_durable_audit_record() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0100", N1).await;
    let r = reveal(&stack, &Who::handler("acme"), &id, "social_insurance").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({"record_id": id, "my_number": N1, "purpose": "social_insurance"})
    );
    assert_eq!(r.headers["cache-control"], "no-store");

    // The durable trail in the table, written before the decrypt.
    let items = stack.all_items().await;
    let trail: Vec<Value> = items
        .iter()
        .filter(|i| {
            i.get("kind")
                .and_then(|k| k.as_s().ok())
                .map(String::as_str)
                == Some("audit")
        })
        .map(|i| serde_json::from_str(i["event"].as_s().unwrap()).unwrap())
        .collect();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0]["event"], "reveal");
    assert_eq!(trail[0]["outcome"], "authorized");
    assert_eq!(trail[0]["actor"], "payroll-suzuki");
    assert_eq!(trail[0]["record_id"], id.as_str());
    assert_eq!(trail[0]["purpose"], "social_insurance");
    assert!(trail[0]["request_id"].as_str().unwrap().starts_with("req-"));
    let logged = stack.audit_events();
    let ev = logged.iter().find(|e| e["event"] == "reveal").unwrap();
    assert_eq!(ev["outcome"], "success");
    assert_eq!(ev["source_ip"], "203.0.113.7");
    // Reveal responses are the one place the number may appear; nowhere else.
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn a_purpose_not_stated_at_intake_is_403_and_audited() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0101", N1).await;
    let r = reveal(&stack, &Who::handler("acme"), &id, "payment_record").await;
    assert_problem(&r, 403, "purpose_not_stated");
    let denied = stack
        .audit_events()
        .into_iter()
        .find(|e| e["event"] == "denied")
        .unwrap();
    assert_eq!(denied["action"], "reveal_number");
    assert_eq!(denied["reason"], "purpose_not_stated");
    assert_eq!(denied["purpose"], "payment_record");
    assert_eq!(denied["record_id"], id.as_str());
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn only_handlers_reveal() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0102", N1).await;
    for who in [
        Who::registrar("acme"),
        Who::auditor("acme"),
        Who::admin("acme"),
    ] {
        assert_problem(
            &reveal(&stack, &who, &id, "withholding_tax").await,
            403,
            "forbidden_role",
        );
    }
    let anonymous = stack
        .call(
            req("POST", &format!("/v1/records/{id}/reveal"))
                .json(json!({"purpose": "withholding_tax"}))
                .build(),
        )
        .await;
    assert_problem(&anonymous, 401, "unauthenticated");
    assert_eq!(
        stack
            .audit_events()
            .iter()
            .filter(|e| e["event"] == "denied")
            .count(),
        4
    );
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn another_tenants_record_is_indistinguishable_from_an_absent_one() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0103", N1).await;
    let other = reveal(
        &stack,
        &Who::handler("acme-subsidiary"),
        &id,
        "withholding_tax",
    )
    .await;
    let absent = reveal(
        &stack,
        &Who::handler("acme-subsidiary"),
        &mynumber_domain::RecordId::new_random().to_string(),
        "withholding_tax",
    )
    .await;
    assert_problem(&other, 404, "not_found");
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    assert_eq!(strip(other.body.clone()), strip(absent.body.clone()));
    // Listing from the other tenant sees nothing of the employee either.
    let listed = list(&stack, &Who::auditor("acme-subsidiary"), "E0103").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"], json!([]));
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn a_refusal_has_no_number_to_reveal() {
    let stack = Stack::new().await;
    let r = register(
        &stack,
        &Who::registrar("acme"),
        json!({"employee_id": "E0104", "relation": "self", "purposes": ["withholding_tax"],
               "refusal": {"reason": "提供拒否", "requested_on": "2026-04-01"}}),
    )
    .await;
    let id = r.body["record_id"].as_str().unwrap();
    assert_problem(
        &reveal(&stack, &Who::handler("acme"), id, "withholding_tax").await,
        409,
        "no_number",
    );
}

#[tokio::test]
async fn bad_reveal_requests_are_4xx() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0105", N1).await;
    let h = Who::handler("acme");
    let r = reveal(&stack, &h, "not-a-record", "withholding_tax").await;
    assert!(
        r.field_errors()
            .contains(&("record_id".into(), "format".into()))
    );
    let r = reveal(&stack, &h, &id, "curiosity").await;
    assert!(
        r.field_errors()
            .contains(&("purpose".into(), "enum".into()))
    );
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{id}/reveal"))
                .who(&h)
                .json(json!({"purpose": "withholding_tax", "why": "x"}))
                .build(),
        )
        .await;
    assert!(
        r.field_errors()
            .contains(&("why".into(), "unknown_field".into()))
    );
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{id}/reveal"))
                .who(&h)
                .json(json!({"purpose": "x".repeat(20_000)}))
                .build(),
        )
        .await;
    assert_problem(&r, 413, "payload_too_large");
    let r = stack
        .call(
            req("GET", &format!("/v1/records/{id}/reveal"))
                .who(&h)
                .build(),
        )
        .await;
    assert_problem(&r, 405, "method_not_allowed");
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn bulk_reveals_are_throttled_per_principal_and_hour() {
    let config = mynumber_domain::VaultConfig {
        reveal_limit_per_hour: 2,
        ..Default::default()
    };
    let stack = Stack::with_config(config).await;
    let ids = [
        registered(&stack, "acme", "E0106", N1).await,
        registered(&stack, "acme", "E0107", N2).await,
        registered(&stack, "acme", "E0108", N3).await,
    ];
    let h = Who::handler("acme");
    assert_eq!(
        reveal(&stack, &h, &ids[0], "withholding_tax").await.status,
        200
    );
    assert_eq!(
        reveal(&stack, &h, &ids[1], "withholding_tax").await.status,
        200
    );
    let third = reveal(&stack, &h, &ids[2], "withholding_tax").await;
    assert_problem(&third, 429, "throttled");
    // Another handler has its own quota; the next hour the first one may go on.
    let colleague = Who::new("payroll-kato", "acme", &["handler"]);
    assert_eq!(
        reveal(&stack, &colleague, &ids[2], "withholding_tax")
            .await
            .status,
        200
    );
    stack.set_now(stack.clock.now_plus(Duration::hours(1)));
    assert_eq!(
        reveal(&stack, &h, &ids[2], "withholding_tax").await.status,
        200
    );
    let throttled = stack
        .audit_events()
        .into_iter()
        .find(|e| e["reason"] == "throttled")
        .unwrap();
    assert_eq!(throttled["event"], "denied");
}

#[tokio::test]
async fn lists_metadata_with_pagination_for_the_three_reading_roles() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    for (label, n) in [("長男", N1), ("長女", N2), ("次男", N3)] {
        stack.set_now(stack.clock.now_plus(Duration::seconds(1)));
        assert_eq!(
            register(&stack, &hr, dependent("E0110", label, n))
                .await
                .status,
            201
        );
    }
    for who in [
        Who::registrar("acme"),
        Who::handler("acme"),
        Who::auditor("acme"),
    ] {
        let first = stack
            .call(
                req("GET", "/v1/records")
                    .who(&who)
                    .query("employee_id", "E0110")
                    .query("limit", "2")
                    .build(),
            )
            .await;
        assert_eq!(first.status, 200, "{}", first.raw);
        let items = first.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(
            items
                .iter()
                .all(|i| i["status"] == "active" && i.get("my_number").is_none())
        );
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second = stack
            .call(
                req("GET", "/v1/records")
                    .who(&who)
                    .query("employee_id", "E0110")
                    .query("limit", "2")
                    .query("cursor", cursor)
                    .build(),
            )
            .await;
        let rest = second.body["items"].as_array().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(second.body["next_cursor"], Value::Null);
        let labels: Vec<_> = items
            .iter()
            .chain(rest)
            .map(|i| i["dependent_label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["長男", "長女", "次男"]);
    }
    assert_problem(
        &list(&stack, &Who::admin("acme"), "E0110").await,
        403,
        "forbidden_role",
    );
    let anonymous = stack
        .call(
            req("GET", "/v1/records")
                .query("employee_id", "E0110")
                .build(),
        )
        .await;
    assert_problem(&anonymous, 401, "unauthenticated");
    let listed = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "list")
        .count();
    assert_eq!(listed, 6);
    stack.assert_no_plaintext(&[N1, N2, N3]).await;
}

#[tokio::test]
async fn bad_list_queries_are_400() {
    let stack = Stack::new().await;
    let a = Who::auditor("acme");
    for (q, field, rule) in [
        (vec![], "employee_id", "required"),
        (vec![("employee_id", "E#1")], "employee_id", "charset"),
        (
            vec![("employee_id", "E1"), ("limit", "0")],
            "limit",
            "range",
        ),
        (
            vec![("employee_id", "E1"), ("limit", "abc")],
            "limit",
            "range",
        ),
        (
            vec![("employee_id", "E1"), ("cursor", "1700000000000.nope")],
            "cursor",
            "cursor",
        ),
        (
            vec![("employee_id", "E1"), ("cursor", "!!")],
            "cursor",
            "cursor",
        ),
        (
            vec![("employee_id", "E1"), ("sort", "x")],
            "sort",
            "unknown_field",
        ),
    ] {
        let mut r = req("GET", "/v1/records").who(&a);
        for (k, v) in q {
            r = r.query(k, v);
        }
        let reply = stack.call(r.build()).await;
        assert_problem(&reply, 400, "invalid_request");
        assert!(
            reply.field_errors().contains(&(field.into(), rule.into())),
            "{:?}",
            reply.field_errors()
        );
    }
}

#[tokio::test]
async fn a_record_past_its_due_date_is_gone_for_every_read() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0111", N1).await;
    // Retention ended yesterday (Japan time); purge has not run yet.
    let today = mynumber_domain::retention::jst_today(stack.clock.now_plus(Duration::zero()));
    let set_due = |due: chrono::NaiveDate| {
        stack
            .ddb()
            .update_item()
            .table_name(&stack.table)
            .key("pk", AttributeValue::S(format!("T#acme#R#{id}")))
            .key("sk", AttributeValue::S("RECORD".into()))
            .update_expression("SET left_on = :l, due_on = :d")
            .expression_attribute_values(":l", AttributeValue::S("2019-03-31".into()))
            .expression_attribute_values(":d", AttributeValue::S(due.to_string()))
            .send()
    };
    set_due(today).await.unwrap();
    assert_eq!(
        reveal(&stack, &Who::handler("acme"), &id, "withholding_tax")
            .await
            .status,
        200,
        "due today is still kept"
    );
    set_due(today.pred_opt().unwrap()).await.unwrap();
    assert_problem(
        &reveal(&stack, &Who::handler("acme"), &id, "withholding_tax").await,
        404,
        "not_found",
    );
    assert_eq!(
        list(&stack, &Who::auditor("acme"), "E0111").await.body["items"],
        json!([])
    );
    // Registering the employee again needs no replace flag: the old record is gone.
    let again = register(&stack, &Who::registrar("acme"), own_number("E0111", N2)).await;
    assert_eq!(again.status, 201, "{}", again.raw);
    let disposal = stack.items_of_kind("disposal").await.remove(0);
    assert_eq!(disposal["reason"].as_s().unwrap(), "retention_ended");
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_record_does_not_decrypt() {
    let stack = Stack::new().await;
    let victim = registered(&stack, "acme", "E0112", N1).await;
    let target = registered(&stack, "acme", "E0113", N2).await;
    let key = |id: &str| {
        std::collections::HashMap::from([
            ("pk".to_owned(), AttributeValue::S(format!("T#acme#R#{id}"))),
            ("sk".to_owned(), AttributeValue::S("RECORD".into())),
        ])
    };
    let ddb = stack.ddb();
    let ct = ddb
        .get_item()
        .table_name(&stack.table)
        .set_key(Some(key(&victim)))
        .send()
        .await
        .unwrap()
        .item()
        .unwrap()["ct"]
        .clone();
    ddb.update_item()
        .table_name(&stack.table)
        .set_key(Some(key(&target)))
        .update_expression("SET ct = :c")
        .expression_attribute_values(":c", ct)
        .send()
        .await
        .unwrap();
    let r = reveal(&stack, &Who::handler("acme"), &target, "withholding_tax").await;
    assert_problem(&r, 503, "dependency_failed");
    assert!(!r.raw.contains(N1) && !r.raw.contains(N2));
    stack.assert_no_plaintext(&[N1, N2]).await;
}

#[tokio::test]
async fn a_well_formed_cursor_that_points_at_nothing_is_a_page_not_an_error() {
    let stack = Stack::new().await;
    registered(&stack, "acme", "0", N1).await;
    let a = Who::auditor("acme");
    for cursor in [
        "09.ba60134b-a506-099a-9862-e63a40fc07de",
        "0.ba60134b-a506-099a-9862-e63a40fc07de",
    ] {
        let reply = stack
            .call(
                req("GET", "/v1/records")
                    .who(&a)
                    .query("employee_id", "0")
                    .query("cursor", cursor)
                    .query("limit", "81")
                    .build(),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }
}

#[tokio::test]
async fn one_record_s_metadata_is_read_by_id_as_the_listing_shows_it() {
    let stack = Stack::new().await;
    let id = registered(&stack, "acme", "E0150", N1).await;
    let get = |who: Who, id: String| {
        let stack = &stack;
        async move {
            stack
                .call(req("GET", &format!("/v1/records/{id}")).who(&who).build())
                .await
        }
    };
    let one = get(Who::auditor("acme"), id.clone()).await;
    assert_eq!(one.status, 200, "{}", one.raw);
    let listed = list(&stack, &Who::auditor("acme"), "E0150").await;
    assert_eq!(
        one.body, listed.body["items"][0],
        "the listing's item, as it is"
    );
    assert!(one.body.get("my_number").is_none());
    // Another tenant's id is not found, like an absent one; an admin may not read records.
    assert_problem(
        &get(Who::auditor("other"), id.clone()).await,
        404,
        "not_found",
    );
    assert_problem(
        &get(Who::admin("acme"), id.clone()).await,
        403,
        "forbidden_role",
    );
    let read = stack
        .audit_events()
        .into_iter()
        .find(|e| e["event"] == "list" && e["record_id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (read["count"].as_u64(), read["employee_id"].as_str()),
        (Some(1), Some("E0150"))
    );
    stack.assert_no_plaintext(&[N1]).await;
}

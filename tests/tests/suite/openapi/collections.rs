//! Self-service collection (SPEC §4a): the registrar's routes and the employee's.

use super::*;

/// Self-service collection (SPEC §4a): the registrar's routes and the employee's.
pub(super) async fn collection_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let h = Who::handler("acme");
    let link = |body: Value| req("POST", "/v1/collections").who(&hr).json(body);
    let open =
        json!({"employee_id": "C1", "purposes": ["withholding_tax"], "include_family": true});
    let created = stack.call(link(open.clone()).build()).await;
    c.check("POST", "/v1/collections", &created);
    let token = created.body["url"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned();
    let collection = created.body["collection_id"].as_str().unwrap().to_owned();
    let big =
        json!({"employee_id": "C1", "purposes": ["withholding_tax"], "x": "a".repeat(17_000)});
    for r in [
        stack
            .call(link(json!({"employee_id": "C1", "purposes": [], "expires_in_days": 31})).build())
            .await,
        stack
            .call(req("POST", "/v1/collections").json(open.clone()).build())
            .await,
        stack
            .call(
                req("POST", "/v1/collections")
                    .who(&h)
                    .json(open.clone())
                    .build(),
            )
            .await,
        stack.call(link(big).build()).await,
        stack
            .call(
                req("POST", "/v1/collections")
                    .who(&hr)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("POST", "/v1/collections", &r);
    }
    let list = |who: &Who| req("GET", "/v1/collections").who(who);
    for r in [
        stack
            .call(list(&Who::auditor("acme")).query("status", "open").build())
            .await,
        stack
            .call(list(&hr).query("status", "sideways").build())
            .await,
        stack.call(req("GET", "/v1/collections").build()).await,
        stack.call(list(&h).build()).await,
    ] {
        c.check("GET", "/v1/collections", &r);
    }

    // The employee's side, with the link's token.
    let employee = |method: &str, token: &str| {
        req(method, "/v1/collect")
            .no_token()
            .no_authorizer()
            .header("authorization", &format!("Collection {token}"))
    };
    c.check(
        "GET",
        "/v1/collect",
        &stack.call(employee("GET", &token).build()).await,
    );
    for method in ["GET", "POST"] {
        let r = stack
            .call(
                req(method, "/v1/collect")
                    .no_token()
                    .no_authorizer()
                    .json(json!({}))
                    .build(),
            )
            .await;
        c.check(method, "/v1/collect", &r);
    }
    let mut spouse = own_number("C1", N5);
    spouse["relation"] = json!("spouse");
    assert_eq!(stack.call(post_record(&hr, spouse)).await.status, 201);
    // A number no other employee holds as their own (N1 is E1's: a duplicate).
    let own_n = mynumber_tests::generated_number(1, 4242);
    let own = json!({"my_number": own_n, "number_document": "my_number_card", "identity_document": "my_number_card"});
    for r in [
        stack.call(employee("POST", &token).json(json!({"self": {"my_number": "1"}})).build()).await,
        stack
            .call(employee("POST", &token).json(json!({"self": own.clone(), "spouse": {"my_number": N2}})).build())
            .await,
        stack
            .call(employee("POST", &token).json(json!({"x": "a".repeat(17_000)})).build())
            .await,
        stack
            .call(employee("POST", &token).header("content-type", "text/plain").raw_body("x").build())
            .await,
        stack
            .call(employee("POST", &token).json(json!({"self": own.clone(), "dependents": [{"label": "長男", "my_number": N3}]})).build())
            .await,
        stack.call(employee("POST", &token).json(json!({"self": own.clone()})).build()).await,
    ] {
        c.check("POST", "/v1/collect", &r);
    }
    c.check(
        "GET",
        "/v1/collect",
        &stack.call(employee("GET", &token).build()).await,
    );
    let broken = stack.collect_on("no-such-table", mynumber_tests::MISSING_KEY);
    for method in ["GET", "POST"] {
        let r = broken
            .handle(
                employee(method, &token)
                    .json(json!({"self": own.clone()}))
                    .build(),
            )
            .await;
        c.check(
            method,
            "/v1/collect",
            &mynumber_tests::Reply::from_response(r),
        );
    }
    for path in ["/collect", "/collect/app.js", "/collect/nothing.js"] {
        let r = stack
            .call(req("GET", path).no_token().no_authorizer().build())
            .await;
        c.check("GET", path, &r);
    }
    // The console: its page, a script, its sign-in settings, a missing file, and QR codes.
    for path in [
        "/console",
        "/console/app.js",
        "/console/app.css",
        "/console/callback",
        "/console/config.json",
        "/console/nothing.js",
    ] {
        let r = stack
            .call(req("GET", path).no_token().no_authorizer().build())
            .await;
        c.check("GET", path, &r);
    }
    // Nothing draws QR codes apart from the link's creation any more.
    let r = stack
        .call(
            req("POST", "/console/qr")
                .no_token()
                .no_authorizer()
                .json(json!({"text": "https://vault.example/collect#abc"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 405, "{}", r.raw);

    // Review of what was submitted.
    let records = stack
        .call(
            req("GET", "/v1/records")
                .who(&hr)
                .query("employee_id", "C1")
                .build(),
        )
        .await;
    let pending: Vec<String> = records.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "pending_review")
        .map(|r| r["record_id"].as_str().unwrap().to_owned())
        .collect();
    let [own_id, child_id] = pending.as_slice() else {
        panic!("two pending records: {}", records.raw)
    };
    let verification = json!({"verification": {"number_check": "my_number_card", "identity_check": "my_number_card", "verified_on": "2026-04-01"}});
    let confirm = |id: &str| format!("/v1/records/{id}/confirm");
    let reject = |id: &str| format!("/v1/records/{id}/reject");
    let missing = mynumber_domain::RecordId::new_random().to_string();
    let body_of =
        |path: &str, who: &Who, body: Value| req("POST", path).who(who).json(body).build();
    for (path, r) in [
        (
            confirm(own_id),
            stack
                .call(body_of(&confirm(own_id), &hr, verification.clone()))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(body_of(&confirm(own_id), &hr, verification.clone()))
                .await,
        ),
        (
            confirm("x"),
            stack
                .call(body_of(&confirm("x"), &hr, verification.clone()))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(
                    req("POST", &confirm(own_id))
                        .json(verification.clone())
                        .build(),
                )
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(body_of(&confirm(own_id), &h, verification.clone()))
                .await,
        ),
        (
            confirm(&missing),
            stack
                .call(body_of(&confirm(&missing), &hr, verification.clone()))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(body_of(
                    &confirm(own_id),
                    &hr,
                    json!({"x": "a".repeat(17_000)}),
                ))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(
                    req("POST", &confirm(own_id))
                        .who(&hr)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
    ] {
        c.check("POST", &path, &r);
    }
    let why = json!({"reason": "写真が不鮮明"});
    for (path, r) in [
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &hr, json!({"reason": ""})))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &hr, why.clone()))
                .await,
        ),
        (
            reject(own_id),
            stack.call(body_of(&reject(own_id), &hr, why.clone())).await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &hr, why.clone()))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(req("POST", &reject(child_id)).json(why.clone()).build())
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &h, why.clone()))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(
                    &reject(child_id),
                    &hr,
                    json!({"x": "a".repeat(17_000)}),
                ))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(
                    req("POST", &reject(child_id))
                        .who(&hr)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
    ] {
        c.check("POST", &path, &r);
    }

    // Cancelling links.
    let cancel = |id: &str| format!("/v1/collections/{id}");
    let fresh = stack
        .call(link(json!({"employee_id": "C2", "purposes": ["withholding_tax"]})).build())
        .await;
    let fresh = fresh.body["collection_id"].as_str().unwrap().to_owned();
    for (path, r) in [
        (
            cancel(&fresh),
            stack
                .call(req("DELETE", &cancel(&fresh)).who(&hr).build())
                .await,
        ),
        (
            cancel(&collection),
            stack
                .call(req("DELETE", &cancel(&collection)).who(&hr).build())
                .await,
        ),
        (
            cancel("x"),
            stack
                .call(req("DELETE", &cancel("x")).who(&hr).build())
                .await,
        ),
        (
            cancel(&fresh),
            stack.call(req("DELETE", &cancel(&fresh)).build()).await,
        ),
        (
            cancel(&fresh),
            stack
                .call(req("DELETE", &cancel(&fresh)).who(&h).build())
                .await,
        ),
        (
            cancel(&missing),
            stack
                .call(req("DELETE", &cancel(&missing)).who(&hr).build())
                .await,
        ),
    ] {
        c.check("DELETE", &path, &r);
    }

    // 409: other links for the employee kept being opened meanwhile (staged in memory).
    let (memory_review, store) = racing_review();
    store
        .lose_update_race
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let r = memory_review.handle(link(open.clone()).build()).await;
    c.check(
        "POST",
        "/v1/collections",
        &mynumber_tests::Reply::from_response(r),
    );

    // 503s: the registrar's side without a table.
    let no_table_review = no_table_review(stack);
    for (method, path, r) in [
        (
            "POST",
            "/v1/collections".to_owned(),
            no_table_review.handle(link(open.clone()).build()).await,
        ),
        (
            "GET",
            "/v1/collections".to_owned(),
            no_table_review.handle(list(&hr).build()).await,
        ),
        (
            "DELETE",
            cancel(&fresh),
            no_table_review
                .handle(req("DELETE", &cancel(&fresh)).who(&hr).build())
                .await,
        ),
        (
            "POST",
            confirm(own_id),
            no_table_review
                .handle(body_of(&confirm(own_id), &hr, verification.clone()))
                .await,
        ),
        (
            "POST",
            reject(own_id),
            no_table_review
                .handle(body_of(&reject(own_id), &hr, why.clone()))
                .await,
        ),
    ] {
        c.check(method, &path, &mynumber_tests::Reply::from_response(r));
    }
}

//! The record routes: registration, listing, one record, reveal, departures, disposal.

use super::*;

pub(super) async fn record_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let h = Who::handler("acme");
    let post = |body: Value| req("POST", "/v1/records").who(&hr).json(body);

    // POST /v1/records
    let created = stack.call(post(own_number("E1", N1)).build()).await;
    c.check("POST", "/v1/records", &created);
    let id = created.body["record_id"].as_str().unwrap().to_owned();
    let refused = stack
        .call(
            post(
                json!({"employee_id": "E2", "relation": "self", "purposes": ["withholding_tax"],
                        "refusal": {"reason": "提供拒否", "requested_on": "2026-04-01"}}),
            )
            .build(),
        )
        .await;
    c.check("POST", "/v1/records", &refused);
    let refused_id = refused.body["record_id"].as_str().unwrap().to_owned();
    let mut bad = own_number("E3", N2);
    bad["my_number"] = json!("123");
    for r in [
        stack.call(post(bad).build()).await,
        stack
            .call(
                req("POST", "/v1/records")
                    .json(own_number("E3", N2))
                    .build(),
            )
            .await,
        stack
            .call(
                req("POST", "/v1/records")
                    .who(&h)
                    .json(own_number("E3", N2))
                    .build(),
            )
            .await,
        stack.call(post(own_number("E1", N2)).build()).await,
        stack
            .call(post(json!({"pad": "x".repeat(17_000)})).build())
            .await,
        stack
            .call(
                req("POST", "/v1/records")
                    .who(&hr)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
        stack.call(req("PUT", "/v1/records").who(&hr).build()).await,
        stack
            .call(
                post(dependent("E3", "長男", N3))
                    .header("Idempotency-Key", "k")
                    .build(),
            )
            .await,
        stack
            .call(
                post(dependent("E3", "長男", N4))
                    .header("Idempotency-Key", "k")
                    .build(),
            )
            .await,
    ] {
        c.check(
            if r.status == 405 { "PUT" } else { "POST" },
            "/v1/records",
            &r,
        );
    }

    // GET /v1/records
    for r in [
        list(stack, &Who::auditor("acme"), "E1").await,
        stack.call(req("GET", "/v1/records").who(&h).build()).await,
        stack
            .call(req("GET", "/v1/records").query("employee_id", "E1").build())
            .await,
        list(stack, &Who::admin("acme"), "E1").await,
    ] {
        c.check("GET", "/v1/records", &r);
    }

    // POST /v1/records/{id}/reveal
    let path = format!("/v1/records/{id}/reveal");
    let absent = format!(
        "/v1/records/{}/reveal",
        mynumber_domain::RecordId::new_random()
    );
    for (p, r) in [
        (&path, reveal(stack, &h, &id, "withholding_tax").await),
        (&path, reveal(stack, &h, &id, "payment_record").await),
        (&path, reveal(stack, &h, "nope", "withholding_tax").await),
        (
            &path,
            stack
                .call(
                    req("POST", &path)
                        .json(json!({"purpose": "withholding_tax"}))
                        .build(),
                )
                .await,
        ),
        (
            &absent,
            stack
                .call(
                    req("POST", &absent)
                        .who(&h)
                        .json(json!({"purpose": "withholding_tax"}))
                        .build(),
                )
                .await,
        ),
        (
            &path,
            reveal(stack, &h, &refused_id, "withholding_tax").await,
        ),
        (
            &path,
            stack
                .call(
                    req("POST", &path)
                        .who(&h)
                        .json(json!({"purpose": "x".repeat(17_000)}))
                        .build(),
                )
                .await,
        ),
        (
            &path,
            stack
                .call(
                    req("POST", &path)
                        .who(&h)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
        (&path, stack.call(req("GET", &path).who(&h).build()).await),
        // The quota is 3 an hour: the fourth is 429.
        (&path, reveal(stack, &h, &id, "withholding_tax").await),
        (&path, reveal(stack, &h, &id, "withholding_tax").await),
        (&path, reveal(stack, &h, &id, "withholding_tax").await),
    ] {
        let method = if r.status == 405 { "GET" } else { "POST" };
        c.check(method, p, &r);
    }

    // 503s: a key that does not exist, for both functions.
    let broken = broken_stack(stack);
    let r = mynumber_tests::Reply::from_response(
        broken
            .0
            .handle(
                req("POST", "/v1/records")
                    .who(&hr)
                    .json(own_number("E9", N5))
                    .build(),
            )
            .await,
    );
    c.check("POST", "/v1/records", &r);
    let r = mynumber_tests::Reply::from_response(
        broken
            .1
            .handle(
                req("POST", &path)
                    .who(&Who::new("h2", "acme", &["handler"]))
                    .json(json!({"purpose": "withholding_tax"}))
                    .build(),
            )
            .await,
    );
    c.check("POST", &path, &r);
    let r = mynumber_tests::Reply::from_response(
        broken
            .2
            .handle(
                req("GET", "/v1/records")
                    .who(&h)
                    .query("employee_id", "E1")
                    .build(),
            )
            .await,
    );
    c.check("GET", "/v1/records", &r);

    // Departures.
    let dep = |e: &str| format!("/v1/employees/{e}/departure");
    let body = json!({"left_on": "2026-03-31", "last_declaration_year": 2025});
    for (method, path, r) in [
        (
            "POST",
            dep("E1"),
            stack
                .call(req("POST", &dep("E1")).who(&hr).json(body.clone()).build())
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(
                    req("POST", &dep("E1"))
                        .who(&hr)
                        .json(json!({"left_on": "x"}))
                        .build(),
                )
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(req("POST", &dep("E1")).json(body.clone()).build())
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(req("POST", &dep("E1")).who(&h).json(body.clone()).build())
                .await,
        ),
        (
            "POST",
            dep("E404"),
            stack
                .call(
                    req("POST", &dep("E404"))
                        .who(&hr)
                        .json(body.clone())
                        .build(),
                )
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(
                    req("POST", &dep("E1"))
                        .who(&hr)
                        .json(json!({"pad": "x".repeat(17_000)}))
                        .build(),
                )
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(
                    req("POST", &dep("E1"))
                        .who(&hr)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).who(&hr).build()).await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).who(&hr).build()).await,
        ),
        (
            "DELETE",
            dep("E%231"),
            stack
                .call(req("DELETE", &dep("E%231")).who(&hr).build())
                .await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).build()).await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).who(&h).build()).await,
        ),
    ] {
        c.check(method, &path, &r);
    }

    // Early disposal and the disposal log.
    let child = stack.call(post(dependent("E1", "長女", N4)).build()).await;
    let child_path = format!("/v1/records/{}", child.body["record_id"].as_str().unwrap());
    let reason = json!({"reason": "no_longer_needed"});
    for r in [
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(reason.clone())
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(reason.clone())
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(json!({"reason": "bored"}))
                    .build(),
            )
            .await,
        stack
            .call(req("DELETE", &child_path).json(reason.clone()).build())
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&h)
                    .json(reason.clone())
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(json!({"pad": "x".repeat(17_000)}))
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("DELETE", &child_path, &r);
    }
    for r in [
        stack
            .call(
                req("GET", "/v1/disposals")
                    .who(&Who::auditor("acme"))
                    .build(),
            )
            .await,
        stack
            .call(
                req("GET", "/v1/disposals")
                    .who(&hr)
                    .query("employee_id", "E1")
                    .build(),
            )
            .await,
        stack
            .call(
                req("GET", "/v1/disposals")
                    .who(&hr)
                    .query("limit", "0")
                    .build(),
            )
            .await,
        stack.call(req("GET", "/v1/disposals").build()).await,
        stack
            .call(req("GET", "/v1/disposals").who(&h).build())
            .await,
    ] {
        c.check("GET", "/v1/disposals", &r);
    }
    // 503s without a table, and 409s from a lost race (staged on the in-memory store).
    let (no_table_intake, no_table_lookup) = no_table(stack);
    for (method, path, r) in [
        (
            "POST",
            dep("E1"),
            no_table_intake
                .handle(req("POST", &dep("E1")).who(&hr).json(body.clone()).build())
                .await,
        ),
        (
            "DELETE",
            dep("E1"),
            no_table_intake
                .handle(req("DELETE", &dep("E1")).who(&hr).build())
                .await,
        ),
        (
            "DELETE",
            child_path.clone(),
            no_table_intake
                .handle(
                    req("DELETE", &child_path)
                        .who(&hr)
                        .json(reason.clone())
                        .build(),
                )
                .await,
        ),
        (
            "GET",
            "/v1/disposals".into(),
            no_table_lookup
                .handle(req("GET", "/v1/disposals").who(&hr).build())
                .await,
        ),
    ] {
        c.check(method, &path, &mynumber_tests::Reply::from_response(r));
    }
    // GET /v1/records/{id}: metadata of one record; 503 without a table.
    let one = |who: &Who, id: &str| req("GET", &format!("/v1/records/{id}")).who(who);
    let absent = mynumber_domain::RecordId::new_random();
    for r in [
        stack.call(one(&Who::auditor("acme"), &id).build()).await,
        stack.call(one(&h, "nope").build()).await,
        stack
            .call(req("GET", &format!("/v1/records/{id}")).build())
            .await,
        stack.call(one(&Who::admin("acme"), &id).build()).await,
        stack.call(one(&h, absent.as_str()).build()).await,
        mynumber_tests::Reply::from_response(no_table_lookup.handle(one(&h, &id).build()).await),
    ] {
        c.check("GET", &format!("/v1/records/{id}"), &r);
    }
    let (memory_intake, store) = racing_intake();
    let e7 = mynumber_tests::Reply::from_response(
        memory_intake
            .handle(post(own_number("E7", N1)).build())
            .await,
    );
    memory_intake
        .handle(req("POST", &dep("E7")).who(&hr).json(body.clone()).build())
        .await;
    store
        .lose_update_race
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for (method, r) in [
        (
            "POST",
            memory_intake
                .handle(req("POST", &dep("E7")).who(&hr).json(body.clone()).build())
                .await,
        ),
        (
            "DELETE",
            memory_intake
                .handle(req("DELETE", &dep("E7")).who(&hr).build())
                .await,
        ),
    ] {
        c.check(method, &dep("E7"), &mynumber_tests::Reply::from_response(r));
    }
    store
        .lose_dispose_race
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e7_path = format!("/v1/records/{}", e7.body["record_id"].as_str().unwrap());
    let r = memory_intake
        .handle(
            req("DELETE", &e7_path)
                .who(&hr)
                .json(reason.clone())
                .build(),
        )
        .await;
    c.check("DELETE", &e7_path, &mynumber_tests::Reply::from_response(r));
}

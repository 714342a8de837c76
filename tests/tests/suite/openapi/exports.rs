//! Exports for filings (SPEC §4b).

use super::*;

/// `/v1/exports…`: E1's own record (withholding tax) is the export's one record.
pub(super) async fn export_routes(c: &mut Checker, stack: &Stack) {
    let h = Who::handler("acme");
    let other = Who::new("payroll-yamada", "acme", &["handler"]);
    let hr = Who::registrar("acme");
    let all = json!({"purpose": "withholding_tax", "all": true});
    let ask = |who: &Who, body: Value| req("POST", "/v1/exports").who(who).json(body).build();
    let created = stack.call(ask(&h, all.clone())).await;
    c.check("POST", "/v1/exports", &created);
    let id = created.body["export_id"].as_str().unwrap().to_owned();
    let pending = stack.call(ask(&h, all.clone())).await;
    let pending = pending.body["export_id"].as_str().unwrap().to_owned();
    for r in [
        stack.call(ask(&h, json!({"all": true}))).await,
        stack
            .call(ask(
                &h,
                json!({"purpose": "withholding_tax", "employee_ids": ["NOBODY"]}),
            ))
            .await,
        stack
            .call(req("POST", "/v1/exports").json(all.clone()).build())
            .await,
        stack.call(ask(&hr, all.clone())).await,
        stack
            .call(ask(&h, json!({"pad": "x".repeat(17_000)})))
            .await,
        stack
            .call(
                req("POST", "/v1/exports")
                    .who(&h)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
        stack.call(req("PUT", "/v1/exports").who(&h).build()).await,
    ] {
        c.check("POST", "/v1/exports", &r);
    }
    for r in [
        stack.call(req("GET", "/v1/exports").who(&h).build()).await,
        stack
            .call(
                req("GET", "/v1/exports")
                    .who(&h)
                    .query("limit", "0")
                    .build(),
            )
            .await,
        stack.call(req("GET", "/v1/exports").build()).await,
        stack.call(req("GET", "/v1/exports").who(&hr).build()).await,
    ] {
        c.check("GET", "/v1/exports", &r);
    }
    let approve = |who: Option<&Who>, id: &str| {
        let r = req("POST", &format!("/v1/exports/{id}/approve"));
        match who {
            Some(w) => r.who(w).build(),
            None => r.build(),
        }
    };
    let file = |who: Option<&Who>, id: &str| {
        let r = req("GET", &format!("/v1/exports/{id}/file"));
        match who {
            Some(w) => r.who(w).build(),
            None => r.build(),
        }
    };
    let absent = mynumber_domain::RecordId::new_random().as_str().to_owned();
    let approve_path = format!("/v1/exports/{id}/approve");
    let file_path = format!("/v1/exports/{id}/file");
    for r in [
        stack.call(approve(Some(&other), "x")).await,
        stack.call(approve(None, &id)).await,
        stack.call(approve(Some(&h), &id)).await,
        stack.call(approve(Some(&other), &absent)).await,
        stack.call(approve(Some(&other), &id)).await,
        stack.call(approve(Some(&other), &id)).await,
    ] {
        c.check("POST", &approve_path, &r);
    }
    for r in [
        stack.call(file(Some(&h), "x")).await,
        stack.call(file(None, &id)).await,
        stack.call(file(Some(&other), &id)).await,
        stack.call(file(Some(&h), &absent)).await,
        stack.call(file(Some(&h), &pending)).await,
        stack.call(file(Some(&h), &id)).await,
        stack.call(file(Some(&h), &id)).await,
    ] {
        c.check("GET", &file_path, &r);
    }
    // Seven days on, the pending one has expired; then the clock goes back.
    let now = stack.clock.now_plus(chrono::Duration::zero());
    stack.set_now(now + chrono::Duration::days(8));
    let r = stack.call(approve(Some(&other), &pending)).await;
    c.check("POST", &approve_path, &r);
    stack.set_now(now);
    // More than 10,000 records (on the memory store: the moto-backed proof, which loads
    // them into a table, is in `exports`).
    {
        let (core, store) = racing_store();
        let limit = mynumber_domain::export::MAX_EXPORT_RECORDS;
        store.insert_records(
            (0..=limit).map(|i| mynumber_tests::bulk::record("acme", i, now, None)),
        );
        let lookup = ::lookup::Lookup::new(
            mynumber_domain::lookup::LookupService::new(
                core,
                store,
                std::sync::Arc::new(mynumber_tests::memory::LocalCipher::default()),
            ),
            mynumber_tests::jwt::authenticator(),
        );
        let r = mynumber_tests::Reply::from_response(lookup.handle(ask(&h, all.clone())).await);
        assert_eq!(r.code(), "too_many_records", "{}", r.raw);
        c.check("POST", "/v1/exports", &r);
    }
    let (_, no_table_lookup) = no_table(stack);
    for (method, path, r) in [
        (
            "POST",
            "/v1/exports".to_owned(),
            no_table_lookup.handle(ask(&h, all.clone())).await,
        ),
        (
            "GET",
            "/v1/exports".to_owned(),
            no_table_lookup
                .handle(req("GET", "/v1/exports").who(&h).build())
                .await,
        ),
        (
            "POST",
            approve_path.clone(),
            no_table_lookup.handle(approve(Some(&other), &id)).await,
        ),
        (
            "GET",
            file_path.clone(),
            no_table_lookup.handle(file(Some(&h), &id)).await,
        ),
    ] {
        c.check(method, &path, &mynumber_tests::Reply::from_response(r));
    }
}

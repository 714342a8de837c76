//! Email (SPEC §4d): the admin's settings and the sent log.

use super::*;

pub(super) async fn notification_routes(c: &mut Checker, stack: &Stack) {
    let admin = Who::admin("acme");
    let settings = json!({
        "sender_name": "株式会社サンプル 人事部",
        "hr_recipients": ["hr@example.co.jp"],
        "reminders": {"after_days": 3, "max": 2},
        "digest": {"weekday": "monday"}
    });
    let put = |who: &Who, body: Value| req("PUT", "/v1/settings/notifications").who(who).json(body);
    let read = |who: &Who| req("GET", "/v1/settings/notifications").who(who);
    let log = |who: &Who| req("GET", "/v1/notifications").who(who);
    let path = "/v1/settings/notifications";
    for r in [
        stack.call(put(&admin, settings.clone()).build()).await,
        stack
            .call(put(&admin, json!({"sender_name": "", "hr_recipients": ["x"]})).build())
            .await,
        stack
            .call(req("PUT", path).json(settings.clone()).build())
            .await,
        stack
            .call(put(&Who::registrar("acme"), settings.clone()).build())
            .await,
        stack
            .call(put(&admin, json!({"sender_name": "a".repeat(17_000)})).build())
            .await,
        stack
            .call(
                req("PUT", path)
                    .who(&admin)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("PUT", path, &r);
    }
    for r in [
        stack.call(read(&admin).build()).await,
        stack.call(read(&admin).query("x", "1").build()).await,
        stack.call(req("GET", path).build()).await,
        stack.call(read(&Who::auditor("acme")).build()).await,
    ] {
        c.check("GET", path, &r);
    }
    for r in [
        stack.call(log(&Who::auditor("acme")).build()).await,
        stack
            .call(
                log(&Who::registrar("acme"))
                    .query("kind", "telegram")
                    .build(),
            )
            .await,
        stack.call(req("GET", "/v1/notifications").build()).await,
        stack.call(log(&admin).build()).await,
    ] {
        c.check("GET", "/v1/notifications", &r);
    }
    // Resending a link: 200 (sent), 400 (a bad id), 401, 403, 404, 409 (never emailed;
    // cancelled), 503.
    let hr = Who::registrar("acme");
    let hr_ref = &hr;
    let open = |body: Value| async move {
        let r = stack
            .call(
                req("POST", "/v1/collections")
                    .who(hr_ref)
                    .json(body)
                    .build(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        format!(
            "/v1/collections/{}/resend",
            r.body["collection_id"].as_str().unwrap()
        )
    };
    let emailed = open(json!({"employee_id": "R1", "purposes": ["withholding_tax"],
                              "email": "r1@example.co.jp"}))
    .await;
    let plain = open(json!({"employee_id": "R2", "purposes": ["withholding_tax"]})).await;
    let cancelled = open(json!({"employee_id": "R3", "purposes": ["withholding_tax"],
                                "email": "r3@example.co.jp"}))
    .await;
    let r = stack
        .call(
            req("DELETE", cancelled.trim_end_matches("/resend"))
                .who(&hr)
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let resend = |path: &str, who: Option<&Who>| {
        let r = req("POST", path);
        match who {
            Some(w) => r.who(w),
            None => r,
        }
        .build()
    };
    let missing = "/v1/collections/6f1c1b2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b/resend".to_owned();
    for (path, r) in [
        (&emailed, stack.call(resend(&emailed, Some(&hr))).await),
        (&plain, stack.call(resend(&plain, Some(&hr))).await),
        (
            &"/v1/collections/x/resend".to_owned(),
            stack
                .call(resend("/v1/collections/x/resend", Some(&hr)))
                .await,
        ),
        (&emailed, stack.call(resend(&emailed, None)).await),
        (&emailed, stack.call(resend(&emailed, Some(&admin))).await),
        (&missing, stack.call(resend(&missing, Some(&hr))).await),
        (&cancelled, stack.call(resend(&cancelled, Some(&hr))).await),
    ] {
        c.check("POST", path, &r);
    }
    let r = no_table_review(stack)
        .handle(resend(&emailed, Some(&hr)))
        .await;
    c.check("POST", &emailed, &mynumber_tests::Reply::from_response(r));

    // 503s: no table.
    let no_table = no_table_review(stack);
    for (method, path, r) in [
        (
            "PUT",
            path,
            no_table.handle(put(&admin, settings.clone()).build()).await,
        ),
        ("GET", path, no_table.handle(read(&admin).build()).await),
        (
            "GET",
            "/v1/notifications",
            no_table.handle(log(&Who::auditor("acme")).build()).await,
        ),
    ] {
        c.check(method, path, &mynumber_tests::Reply::from_response(r));
    }
}

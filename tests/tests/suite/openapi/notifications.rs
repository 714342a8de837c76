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

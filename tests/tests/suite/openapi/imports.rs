//! Bulk import (SPEC §4b).

use super::*;

/// Bulk import (SPEC §4b).
pub(super) async fn import_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let header =
        "employee_id,relation,my_number,purposes,number_check,identity_check,verified_on\n";
    let csv = format!(
        "{header}I1,self,{N5},withholding_tax,my_number_card,my_number_card,2026-04-01\n\
         I2,self,123,withholding_tax,my_number_card,my_number_card,2026-04-01\n"
    );
    let post = |body: &str, ct: &str| {
        req("POST", "/v1/imports")
            .who(&hr)
            .header("content-type", ct)
            .raw_body(body)
    };
    let broken = ::intake::Intake::new(
        stack.intake_without_keys(),
        mynumber_tests::jwt::authenticator(),
    );
    for r in [
        stack.call(post(&csv, "text/csv").build()).await,
        stack
            .call(post(&csv, "text/csv").query("dry_run", "true").build())
            .await,
        stack.call(post("name,x\n1,2\n", "text/csv").build()).await,
        stack
            .call(
                req("POST", "/v1/imports")
                    .header("content-type", "text/csv")
                    .raw_body(&csv)
                    .build(),
            )
            .await,
        stack
            .call(
                req("POST", "/v1/imports")
                    .who(&Who::handler("acme"))
                    .header("content-type", "text/csv")
                    .raw_body(&csv)
                    .build(),
            )
            .await,
        stack
            .call(post(&"x".repeat(6 * 1024 * 1024 + 1), "text/csv").build())
            .await,
        stack.call(post(&csv, "application/json").build()).await,
        Reply::from_response(broken.handle(post(&csv, "text/csv").build()).await),
        stack.call(req("GET", "/v1/imports").who(&hr).build()).await,
    ] {
        c.check(
            if r.status == 405 { "GET" } else { "POST" },
            "/v1/imports",
            &r,
        );
    }
    // A registrar whose hour of matched numbers is used up (a limit of none): every
    // import, and every submission through their links, is 429.
    let spent = Stack::with_config(mynumber_domain::VaultConfig {
        match_limit_per_hour: 0,
        ..Default::default()
    })
    .await;
    c.check(
        "POST",
        "/v1/imports",
        &spent.call(post(&csv, "text/csv").build()).await,
    );
    c.check(
        "POST",
        "/v1/records",
        &register(&spent, &hr, own_number("C7", N4)).await,
    );
    let (_, token) = crate::collections::open_link(&spent, "C9", false).await;
    // A client address that made its minute's requests: every employee's route is 429.
    let crowded = Stack::with_config(mynumber_domain::VaultConfig {
        client_limit_per_minute: 0,
        ..Default::default()
    })
    .await;
    let (_, crowd) = crate::collections::open_link(&crowded, "C8", false).await;
    let with = crate::collections::with_token;
    c.check(
        "GET",
        "/v1/collect",
        &crowded
            .call(with("GET", "/v1/collect", &crowd).build())
            .await,
    );
    c.check(
        "POST",
        "/v1/collect/documents",
        &crowded
            .call(
                with("POST", "/v1/collect/documents", &crowd)
                    .json(json!({"kind": "photo_id", "content_type": "image/png", "bytes": 10}))
                    .build(),
            )
            .await,
    );
    c.check(
        "POST",
        "/v1/collect",
        &crate::collections::submit(&spent, &token, json!({"self": crate::collections::own(N5)}))
            .await,
    );
}

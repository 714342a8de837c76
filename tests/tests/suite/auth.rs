//! Who is calling, as a direct invoke would try to forge it: the functions verify the
//! bearer token themselves and believe no claim the token does not sign.

use super::*;
use mynumber_tests::jwt;

async fn registered(stack: &Stack) -> String {
    let r = register(stack, &Who::registrar("acme"), own_number("E0001", N1)).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["record_id"].as_str().unwrap().to_owned()
}

fn reveal(id: &str) -> mynumber_tests::events::ReqBuilder {
    req("POST", &format!("/v1/records/{id}/reveal")).json(json!({"purpose": "withholding_tax"}))
}

#[tokio::test]
async fn bad_tokens_are_401_and_reveal_nothing() {
    let stack = Stack::new().await;
    let id = registered(&stack).await;
    let handler = Who::handler("acme");
    let with = |k: &str, v: Value| {
        let mut c = jwt::claims_for(&handler);
        c[k] = v;
        c
    };
    let now = jsonwebtoken::get_current_timestamp();
    let tokens = [
        ("expired", jwt::sign(&with("exp", json!(now - 3600)))),
        (
            "wrong issuer",
            jwt::sign(&with("iss", json!("https://idp.example"))),
        ),
        (
            "wrong audience",
            jwt::sign(&with("aud", json!("another-app"))),
        ),
        (
            "access token",
            jwt::sign(&with("token_use", json!("access"))),
        ),
        (
            "forged signature",
            jwt::sign_with(jwt::FORGER_KEY, jwt::KID, &jwt::claims_for(&handler)),
        ),
        ("not a JWT", "abc.def.ghi".to_owned()),
    ];
    for (what, token) in tokens {
        let r = stack
            .call(reveal(&id).who(&handler).bearer(&token).build())
            .await;
        assert_problem(&r, 401, "unauthenticated");
        assert!(!r.raw.contains(N1), "{what}");
    }
    // No token at all, with the authorizer's claims of a real handler: refused.
    let r = stack
        .call(reveal(&id).who(&handler).no_token().build())
        .await;
    assert_problem(&r, 401, "unauthenticated");
    let trail = stack.items_of_kind("audit").await;
    assert!(trail.is_empty(), "no reveal was attempted");
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn forged_authorizer_claims_are_refused() {
    let stack = Stack::new().await;
    let id = registered(&stack).await;
    // A direct invoke by someone holding an auditor's real token, with a handler's claims
    // in the authorizer context (of this tenant, then of another).
    let auditor = Who::auditor("acme");
    for forged in [
        Who::handler("acme"),
        Who::new("audit-tanaka", "other-co", &["auditor"]),
    ] {
        let r = stack
            .call(
                reveal(&id)
                    .who(&forged)
                    .bearer(&jwt::token_for(&auditor))
                    .build(),
            )
            .await;
        assert_problem(&r, 401, "unauthenticated");
    }
    // The same token with honest claims, or with no authorizer context at all, is the
    // auditor: 403 for a reveal, never a number.
    for request in [
        reveal(&id).who(&auditor),
        reveal(&id).who(&auditor).no_authorizer(),
    ] {
        let r = stack.call(request.build()).await;
        assert_problem(&r, 403, "forbidden_role");
    }
    // A handler's token without an authorizer context is that handler (a direct invoke
    // with a real token is no more than an API call).
    let handler = Who::handler("acme");
    let r = stack
        .call(reveal(&id).who(&handler).no_authorizer().build())
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn a_group_that_merely_contains_a_role_name_grants_nothing() {
    let stack = Stack::new().await;
    let id = registered(&stack).await;
    for groups in [
        vec!["former handler"],
        vec!["handlers"],
        vec!["not-a-handler"],
    ] {
        let who = Who::new("ex-payroll", "acme", &groups);
        let r = stack.call(reveal(&id).who(&who).build()).await;
        assert_problem(&r, 403, "forbidden_role");
    }
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn development_headers_only_without_an_authorizer_context() {
    let stack = Stack::new().await;
    let dev = ::intake::Intake::new(
        stack.intake_service(&stack.table, mynumber_tests::MISSING_KEY),
        jwt::authenticator().with_dev_headers(),
    );
    let with_headers = || {
        req("POST", "/v1/records")
            .header("x-dev-sub", "hr-sato")
            .header("x-dev-tenant", "acme")
            .header("x-dev-roles", "registrar")
            .json(json!({
                "employee_id": "E0002", "relation": "self", "purposes": ["withholding_tax"],
                "refusal": {"reason": "本人が提供を拒否", "requested_on": "2026-04-01"}
            }))
    };
    let r = Reply::from_response(dev.handle(with_headers().build()).await);
    assert_eq!(r.status, 201, "dev headers work in a dev build: {}", r.raw);
    // With an authorizer context (a deployed API), the headers are ignored: the
    // authorizer's claims without a verified token are no principal.
    let r = Reply::from_response(
        dev.handle(with_headers().who(&Who::auditor("acme")).no_token().build())
            .await,
    );
    assert_problem(&r, 401, "unauthenticated");
    // A function built for AWS ignores them whatever the request looks like.
    let r = stack.call(with_headers().build()).await;
    assert_problem(&r, 401, "unauthenticated");
}

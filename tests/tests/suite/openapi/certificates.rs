//! Deletion certificates (SPEC §4e): issuing, listing, the signed document, its PDF, the
//! public key, and the organization's display name they print.

use super::*;
use std::sync::Arc;

/// The certificate function on a table that does not exist, signing with a KMS key that
/// does not exist.
fn no_table_certify(stack: &Stack) -> ::certify::Certify {
    ::certify::Certify::new(
        mynumber_domain::certificate::CertificateService::new(
            stack.core(stack.clock.clone()),
            stack.store_on("no-such-table"),
            Arc::new(mynumber_aws::KmsSigner::new(
                stack.kms(),
                mynumber_tests::MISSING_KEY,
            )),
        ),
        mynumber_tests::jwt::authenticator(),
    )
}

pub(super) async fn certificate_routes(c: &mut Checker, stack: &Stack) {
    let auditor = Who::auditor("acme");
    let admin = Who::new("admin-ito", "acme", &["admin"]);
    let hr = Who::registrar("acme");
    let today =
        mynumber_domain::retention::jst_today(stack.clock.now_plus(chrono::Duration::zero()));
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let today = today.to_string();

    // The organization's name first, so that the certificates print it.
    let org = "/v1/settings/organization";
    let put = |who: &Who, body: Value| req("PUT", org).who(who).json(body);
    let read = |who: &Who| req("GET", org).who(who);
    let unnamed = stack.call(read(&auditor).build()).await;
    assert_eq!(
        unnamed.body,
        json!({"display_name": null}),
        "{}",
        unnamed.raw
    );
    c.check("GET", org, &unnamed);
    for r in [
        stack
            .call(put(&admin, json!({"display_name": "株式会社サンプル"})).build())
            .await,
        stack
            .call(put(&admin, json!({"display_name": "会社 123456789018"})).build())
            .await,
        stack.call(put(&admin, json!({})).build()).await,
        stack
            .call(
                req("PUT", org)
                    .json(json!({"display_name": "株式会社サンプル"}))
                    .build(),
            )
            .await,
        stack
            .call(put(&auditor, json!({"display_name": "株式会社サンプル"})).build())
            .await,
        stack
            .call(put(&admin, json!({"display_name": "a".repeat(17_000)})).build())
            .await,
        stack
            .call(
                req("PUT", org)
                    .who(&admin)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("PUT", org, &r);
    }
    for r in [
        stack.call(read(&auditor).build()).await,
        stack.call(read(&admin).build()).await,
        stack.call(req("GET", org).build()).await,
        stack.call(read(&hr).build()).await,
    ] {
        c.check("GET", org, &r);
    }

    // Issuing: every disposal the other scenarios made in this tenant, and one employee's.
    let issue = |who: &Who, body: Value| req("POST", "/v1/certificates").who(who).json(body);
    let created = stack
        .call(issue(&auditor, json!({"from": "2015-10-05", "to": today})).build())
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    assert!(
        created.body["disposal_count"].as_u64().unwrap() > 0,
        "the other scenarios disposed of records: {}",
        created.raw
    );
    c.check("POST", "/v1/certificates", &created);
    let id = created.body["certificate_id"].as_str().unwrap().to_owned();
    for r in [
        stack
            .call(issue(&admin, json!({"employee_id": "E1"})).build())
            .await,
        stack
            .call(issue(&auditor, json!({"from": today})).build())
            .await,
        stack
            .call(issue(&auditor, json!({"from": today, "to": tomorrow})).build())
            .await,
        stack
            .call(
                req("POST", "/v1/certificates")
                    .json(json!({"from": today, "to": today}))
                    .build(),
            )
            .await,
        stack
            .call(issue(&hr, json!({"from": today, "to": today})).build())
            .await,
        stack
            .call(issue(&auditor, json!({"pad": "x".repeat(17_000)})).build())
            .await,
        stack
            .call(
                req("POST", "/v1/certificates")
                    .who(&auditor)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
        stack
            .call(req("PUT", "/v1/certificates").who(&auditor).build())
            .await,
    ] {
        c.check("POST", "/v1/certificates", &r);
    }
    let list = |who: &Who| req("GET", "/v1/certificates").who(who);
    for r in [
        stack.call(list(&auditor).build()).await,
        stack.call(list(&admin).query("limit", "1").build()).await,
        stack.call(list(&auditor).query("limit", "0").build()).await,
        stack
            .call(list(&auditor).query("employee_id", "E1").build())
            .await,
        stack.call(req("GET", "/v1/certificates").build()).await,
        stack.call(list(&hr).build()).await,
    ] {
        c.check("GET", "/v1/certificates", &r);
    }

    // The public key: anyone's.
    let key = "/v1/certificates/public-key";
    let pem = stack.call(req("GET", key).no_token().build()).await;
    assert_eq!(pem.status, 200, "{}", pem.raw);
    c.check("GET", key, &pem);

    // The signed document and its PDF.
    let absent = mynumber_domain::RecordId::new_random().as_str().to_owned();
    for suffix in ["", "/pdf"] {
        let at = |id: &str| format!("/v1/certificates/{id}{suffix}");
        let get = |who: Option<&Who>, id: &str| {
            let r = req("GET", &at(id));
            match who {
                Some(w) => r.who(w).build(),
                None => r.build(),
            }
        };
        let path = at(&id);
        let ok = stack.call(get(Some(&auditor), &id)).await;
        assert_eq!(ok.status, 200, "{}", ok.raw);
        if suffix.is_empty() {
            assert_eq!(ok.body["tenant_name"], "株式会社サンプル", "{}", ok.raw);
        } else {
            assert!(ok.bytes.starts_with(b"%PDF-"));
        }
        c.check("GET", &path, &ok);
        for r in [
            stack.call(get(Some(&admin), &id)).await,
            stack.call(get(Some(&auditor), "x")).await,
            stack.call(get(None, &id)).await,
            stack.call(get(Some(&hr), &id)).await,
            stack.call(get(Some(&auditor), &absent)).await,
            stack.call(get(Some(&Who::auditor("other")), &id)).await,
        ] {
            c.check("GET", &path, &r);
        }
    }

    // 503s: no table, no key.
    let broken = no_table_certify(stack);
    for (method, path, r) in [
        (
            "POST",
            "/v1/certificates".to_owned(),
            broken
                .handle(issue(&auditor, json!({"from": today, "to": today})).build())
                .await,
        ),
        (
            "GET",
            "/v1/certificates".to_owned(),
            broken.handle(list(&auditor).build()).await,
        ),
        (
            "GET",
            key.to_owned(),
            broken.handle(req("GET", key).no_token().build()).await,
        ),
        (
            "GET",
            format!("/v1/certificates/{id}"),
            broken
                .handle(
                    req("GET", &format!("/v1/certificates/{id}"))
                        .who(&auditor)
                        .build(),
                )
                .await,
        ),
        (
            "GET",
            format!("/v1/certificates/{id}/pdf"),
            broken
                .handle(
                    req("GET", &format!("/v1/certificates/{id}/pdf"))
                        .who(&auditor)
                        .build(),
                )
                .await,
        ),
        (
            "GET",
            org.to_owned(),
            broken.handle(read(&auditor).build()).await,
        ),
        (
            "PUT",
            org.to_owned(),
            broken
                .handle(put(&admin, json!({"display_name": "株式会社サンプル"})).build())
                .await,
        ),
    ] {
        let r = mynumber_tests::Reply::from_response(r);
        assert_eq!(r.status, 503, "{method} {path}: {}", r.raw);
        c.check(method, &path, &r);
    }
}

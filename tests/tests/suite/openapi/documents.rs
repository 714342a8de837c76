//! The photo routes: the form's upload tickets, and the registrar's list and view.

use super::*;

/// The photo routes: the form's upload tickets, and the registrar's list and view.
pub(super) async fn document_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let created = stack
        .call(
            req("POST", "/v1/collections")
                .who(&hr)
                .json(json!({"employee_id": "D1", "purposes": ["withholding_tax"]}))
                .build(),
        )
        .await;
    let token = created.body["url"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned();
    let path = "/v1/collect/documents";
    let employee = |token: &str| {
        req("POST", path)
            .no_token()
            .no_authorizer()
            .header("authorization", &format!("Collection {token}"))
    };
    let photo = json!({"kind": "photo_id", "content_type": "image/png", "bytes": 8});
    let first = stack
        .call(employee(&token).json(photo.clone()).build())
        .await;
    c.check("POST", path, &first);
    let doc = first.body["document_id"].as_str().unwrap().to_owned();
    let (status, _, _) = mynumber_tests::http(
        "PUT",
        first.body["upload_url"].as_str().unwrap(),
        &[("content-type".into(), "image/png".into())],
        b"\x89PNG\r\n\x1a\n".to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    for _ in 0..5 {
        assert_eq!(
            stack
                .call(employee(&token).json(photo.clone()).build())
                .await
                .status,
            201
        );
    }
    for r in [
        stack
            .call(employee(&token).json(photo.clone()).build())
            .await,
        stack
            .call(employee(&token).json(json!({"kind": "x"})).build())
            .await,
        stack
            .call(
                req("POST", path)
                    .no_token()
                    .no_authorizer()
                    .json(photo.clone())
                    .build(),
            )
            .await,
        stack
            .call(employee(&"0".repeat(64)).json(photo.clone()).build())
            .await,
        stack
            .call(
                employee(&token)
                    .json(json!({"x": "a".repeat(17_000)}))
                    .build(),
            )
            .await,
        stack
            .call(
                employee(&token)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("POST", path, &r);
    }
    let own = json!({"my_number": N4, "number_document": "notification_card", "identity_document": "photo_id"});
    let r = stack
        .call(
            req("POST", "/v1/collect")
                .no_token()
                .no_authorizer()
                .header("authorization", &format!("Collection {token}"))
                .json(json!({"self": own, "documents": [doc]}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let record = r.body["records"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = format!("/v1/records/{record}/documents");
    let view = format!("{list}/{doc}");
    let unknown = format!("{list}/{}", mynumber_domain::RecordId::new_random());
    for (p, who) in [
        (&list, Some(&hr)),
        (&view, Some(&hr)),
        (&unknown, Some(&hr)),
        (&list, Some(&Who::handler("acme"))),
        (&view, Some(&Who::registrar("other"))),
        (&list, None),
        (&list, Some(&Who::registrar("other"))),
        (&view, None),
        (&view, Some(&Who::handler("acme"))),
        (&"/v1/records/x/documents".to_owned(), Some(&hr)),
        (&format!("{list}/x"), Some(&hr)),
    ] {
        let r = match who {
            Some(w) => stack.call(req("GET", p).who(w).build()).await,
            None => stack.call(req("GET", p).build()).await,
        };
        c.check("GET", p, &r);
    }
    let no_table_review = no_table_review(stack);
    for p in [&list, &view] {
        let r = no_table_review.handle(req("GET", p).who(&hr).build()).await;
        c.check("GET", p, &mynumber_tests::Reply::from_response(r));
    }
    let broken = stack.collect_on("no-such-table", mynumber_tests::MISSING_KEY);
    let r = broken
        .handle(employee(&token).json(photo.clone()).build())
        .await;
    c.check("POST", path, &mynumber_tests::Reply::from_response(r));
}

//! Identity document photos (SPEC §4a, last paragraph) against moto: uploaded by the form
//! under a presigned URL, checked when a submission names them, seen by a registrar while
//! the record is pending (the view audited before the URL is handed out), and deleted on
//! confirmation, rejection, and by the purge when a link expired or a deletion failed.

use super::collections::{confirm, id_of, open_link, own, records_of, submit, with_token};
use super::*;
use chrono::Duration;
use mynumber_tests::http;

/// A tiny PNG: what a shrunk photo is to storage (bytes of a known type).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 7);
    bytes
}

async fn ticket(stack: &Stack, token: &str, body: Value) -> Reply {
    stack
        .call(
            with_token("POST", "/v1/collect/documents", token)
                .json(body)
                .build(),
        )
        .await
}

/// Asks for an upload of `bytes` announced as `content_type`, and PUTs it as the form does
/// (with the ticket's headers, `put_type` for Content-Type); the document id.
pub(crate) async fn upload(
    stack: &Stack,
    token: &str,
    bytes: &[u8],
    content_type: &str,
    put_type: &str,
) -> String {
    let t = ticket(
        stack,
        token,
        json!({"kind": "notification_card_front", "content_type": content_type, "bytes": bytes.len()}),
    )
    .await;
    assert_eq!(t.status, 201, "{}", t.raw);
    assert_eq!(t.body["expires_in"], 300);
    // Only the signed Content-Type: the bucket's CORS rule allows no other header.
    assert_eq!(
        t.body["upload_headers"],
        json!({"content-type": content_type})
    );
    let url = t.body["upload_url"].as_str().unwrap();
    let (status, _, _) = http(
        "PUT",
        url,
        &[("content-type".into(), put_type.into())],
        bytes.to_vec(),
    )
    .await;
    assert_eq!(status, 200, "the presigned PUT");
    t.body["document_id"].as_str().unwrap().to_owned()
}

async fn documents_of(stack: &Stack, who: &Who, record: &str) -> Reply {
    stack
        .call(
            req("GET", &format!("/v1/records/{record}/documents"))
                .who(who)
                .build(),
        )
        .await
}

async fn view(stack: &Stack, who: &Who, record: &str, doc: &str) -> Reply {
    stack
        .call(
            req("GET", &format!("/v1/records/{record}/documents/{doc}"))
                .who(who)
                .build(),
        )
        .await
}

#[tokio::test]
async fn a_photo_is_seen_once_in_review_and_gone_from_the_bucket_after_confirmation() {
    let stack = Stack::new().await;
    let (collection, token) = open_link(&stack, "E700", false).await;
    let photo = png(2048);
    let doc = upload(&stack, &token, &photo, "image/png", "image/png").await;
    // The key names tenant, link and a random id: no name, no number.
    assert_eq!(
        stack.bucket_keys().await,
        vec![format!("acme/{collection}/{doc}")]
    );

    let r = submit(&stack, &token, json!({"self": own(N1), "documents": [doc]})).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let records = records_of(&stack, "E700").await;
    let record = id_of(&records, "self").to_owned();

    // The registrar lists and views it while the record awaits review; no one else may.
    let listed = documents_of(&stack, &Who::registrar("acme"), &record).await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(listed.body["items"][0]["document_id"], doc.as_str());
    assert_eq!(listed.body["items"][0]["kind"], "notification_card_front");
    assert_eq!(listed.body["items"][0]["bytes"], 2048);
    assert_eq!(
        documents_of(&stack, &Who::handler("acme"), &record)
            .await
            .status,
        403
    );
    assert_eq!(
        view(&stack, &Who::registrar("other"), &record, &doc)
            .await
            .status,
        404
    );
    assert_eq!(
        documents_of(&stack, &Who::registrar("other"), &record)
            .await
            .status,
        404
    );

    let link = view(&stack, &Who::registrar("acme"), &record, &doc).await;
    assert_eq!(link.status, 200, "{}", link.raw);
    assert_eq!(link.body["expires_in"], 60);
    let (status, headers, body) =
        http("GET", link.body["url"].as_str().unwrap(), &[], vec![]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body, photo,
        "the registrar sees the photo the employee took"
    );
    assert_eq!(headers["cache-control"], "no-store");
    // Who viewed which photo of which record is in the durable trail, and in the log.
    let trail: Vec<Value> = stack
        .items_of_kind("audit")
        .await
        .iter()
        .map(|i| serde_json::from_str(i["event"].as_s().unwrap()).unwrap())
        .collect();
    let viewed = trail
        .iter()
        .find(|e| e["event"] == "view_document")
        .expect("a durable view_document event");
    assert_eq!(viewed["document_id"], doc.as_str());
    assert_eq!(viewed["record_id"], record.as_str());
    assert_eq!(viewed["outcome"], "authorized");
    assert!(
        stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "view_document"
                && e["outcome"] == "success"
                && e["actor"].is_string())
    );

    // Confirmed: the photo no longer exists anywhere in the bucket, nor its entry.
    assert_eq!(confirm(&stack, &record, "photo_id").await.status, 200);
    assert!(
        stack.bucket_keys().await.is_empty(),
        "no photo is kept after review"
    );
    assert!(stack.items_of_kind("document").await.is_empty());
    assert_eq!(
        documents_of(&stack, &Who::registrar("acme"), &record)
            .await
            .status,
        404
    );
    assert_eq!(
        view(&stack, &Who::registrar("acme"), &record, &doc)
            .await
            .status,
        404
    );
    assert!(
        stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "documents_deleted" && e["count"] == 1)
    );
}

#[tokio::test]
async fn uploads_are_refused_by_type_size_and_count_and_a_refused_one_is_deleted() {
    let stack = Stack::new().await;
    let (_, token) = open_link(&stack, "E710", false).await;
    let r = ticket(
        &stack,
        &token,
        json!({"kind": "selfie", "content_type": "image/gif", "bytes": 6 * 1024 * 1024}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.raw);
    let mut errors = r.field_errors();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("bytes".to_owned(), "too_large".to_owned()),
            ("content_type".to_owned(), "enum".to_owned()),
            ("kind".to_owned(), "enum".to_owned()),
        ]
    );

    // Announced as PNG, stored as something else: the submission's field is a 400 and
    // the object is deleted; one never uploaded is `not_uploaded`.
    let wrong = upload(&stack, &token, &png(100), "image/png", "text/html").await;
    let t = ticket(
        &stack,
        &token,
        json!({"kind": "photo_id", "content_type": "image/jpeg", "bytes": 10}),
    )
    .await;
    let missing = t.body["document_id"].as_str().unwrap().to_owned();
    let r = submit(
        &stack,
        &token,
        json!({"self": own(N1), "documents": ["not-a-document"]}),
    )
    .await;
    assert_eq!(
        r.field_errors(),
        [("documents[0]".to_owned(), "format".to_owned())]
    );
    let r = submit(
        &stack,
        &token,
        json!({"self": own(N1), "documents": [wrong, missing]}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.raw);
    assert_eq!(
        r.field_errors(),
        [
            ("documents[0]".to_owned(), "content_type".to_owned()),
            ("documents[1]".to_owned(), "not_uploaded".to_owned()),
        ]
    );
    assert!(
        stack.bucket_keys().await.is_empty(),
        "the refused upload is deleted"
    );

    // Larger than announced and than 5 MB: S3 refuses the signed length, or the HEAD
    // before the submission finds it too large and deletes it.
    let big = png(5 * 1024 * 1024 + 1);
    let t = ticket(
        &stack,
        &token,
        json!({"kind": "photo_id", "content_type": "image/png", "bytes": 5 * 1024 * 1024}),
    )
    .await;
    assert_eq!(t.status, 201, "{}", t.raw);
    let big_id = t.body["document_id"].as_str().unwrap().to_owned();
    let (status, _, _) = http(
        "PUT",
        t.body["upload_url"].as_str().unwrap(),
        &[("content-type".into(), "image/png".into())],
        big,
    )
    .await;
    if status == 200 {
        let r = submit(
            &stack,
            &token,
            json!({"self": own(N1), "documents": [big_id]}),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.raw);
        assert_eq!(
            r.field_errors(),
            [("documents[0]".to_owned(), "too_large".to_owned())]
        );
    } else {
        assert!((400..500).contains(&status), "{status}");
    }
    assert!(stack.bucket_keys().await.is_empty());

    // Six documents a link, counted by the store; refused ones gave their place back.
    let (_, token) = open_link(&stack, "E711", false).await;
    for _ in 0..6 {
        let t = ticket(
            &stack,
            &token,
            json!({"kind": "other", "content_type": "image/jpeg", "bytes": 10}),
        )
        .await;
        assert_eq!(t.status, 201, "{}", t.raw);
    }
    let r = ticket(
        &stack,
        &token,
        json!({"kind": "other", "content_type": "image/jpeg", "bytes": 10}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.raw);
    assert_eq!(r.code(), "document_limit");
}

#[tokio::test]
async fn rejection_expiry_and_a_failed_deletion_all_end_with_an_empty_bucket() {
    let stack = Stack::new().await;
    let start = mynumber_tests::epoch();
    stack.set_now(start);

    // Rejected: the disposal record says how many photos went with it.
    let (_, token) = open_link(&stack, "E720", false).await;
    let doc = upload(&stack, &token, &png(300), "image/png", "image/png").await;
    assert_eq!(
        submit(&stack, &token, json!({"self": own(N1), "documents": [doc]}))
            .await
            .status,
        201
    );
    let record = id_of(&records_of(&stack, "E720").await, "self").to_owned();
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{record}/reject"))
                .who(&Who::registrar("acme"))
                .json(json!({"reason": "写真が不鮮明"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["documents_deleted"], 1);
    assert!(stack.bucket_keys().await.is_empty());

    // Uploaded, never submitted: the purge deletes it once the link has expired.
    let (_, token) = open_link(&stack, "E721", false).await;
    upload(&stack, &token, &png(300), "image/png", "image/png").await;
    // A deletion that fails after a confirmation (storage down) is left due today.
    let (_, token) = open_link(&stack, "E722", false).await;
    let doc = upload(&stack, &token, &png(300), "image/png", "image/png").await;
    assert_eq!(
        submit(&stack, &token, json!({"self": own(N2), "documents": [doc]}))
            .await
            .status,
        201
    );
    let record = id_of(&records_of(&stack, "E722").await, "self").to_owned();
    let failing = mynumber_domain::review::ReviewService::new(
        stack.core(stack.clock.clone()),
        stack.store_on(&stack.table),
        std::sync::Arc::new(mynumber_aws::S3Documents::new(
            &stack.fn_sdk,
            "no-such-bucket",
            true,
        )),
    );
    let review = ::review::Review::new(
        (failing, stack.review_service(&stack.table).1),
        mynumber_tests::jwt::authenticator(),
        mynumber_tests::PUBLIC_BASE_URL,
    );
    let r = Reply::from_response(
        review
            .handle(
                req("POST", &format!("/v1/records/{record}/confirm"))
                    .who(&Who::registrar("acme"))
                    .json(json!({"verification": {
                        "number_check": "notification_card",
                        "identity_check": "photo_id",
                        "verified_on": "2026-04-01"
                    }}))
                    .build(),
            )
            .await,
    );
    assert_eq!(r.status, 200, "the confirmation stands: {}", r.raw);
    assert!(
        stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "documents_deleted"
                && e["remaining"] == 1
                && e["outcome"] == "failed")
    );
    assert_eq!(stack.bucket_keys().await.len(), 2);

    // Today's purge retries the failed deletion; the unsubmitted upload waits for its link.
    let purge = stack.purge();
    let deadline = start + Duration::days(400);
    let summary = stack.run_purge(&purge, deadline).await.unwrap();
    assert_eq!(summary["documents_deleted"], 1, "{summary}");
    assert_eq!(summary["documents_failed"], 0, "{summary}");
    assert_eq!(stack.bucket_keys().await.len(), 1);

    // The link expired (14 days): the next purge after it deletes the last photo.
    stack.set_now(start + Duration::days(16));
    let summary = stack.run_purge(&purge, deadline).await.unwrap();
    assert_eq!(summary["documents_deleted"], 1, "{summary}");
    assert!(stack.bucket_keys().await.is_empty());
    assert!(stack.items_of_kind("document").await.is_empty());
}

#[tokio::test]
async fn a_pending_record_with_photos_is_rejected_not_disposed_of_or_replaced() {
    let stack = Stack::new().await;
    let (_, token) = open_link(&stack, "E750", false).await;
    let doc = upload(&stack, &token, &png(1024), "image/png", "image/png").await;
    let r = submit(&stack, &token, json!({"self": own(N1), "documents": [doc]})).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let record = id_of(&records_of(&stack, "E750").await, "self").to_owned();
    let hr = Who::registrar("acme");

    // Neither path that cannot delete the photo may take the record.
    let early = stack
        .call(
            req("DELETE", &format!("/v1/records/{record}"))
                .who(&hr)
                .json(json!({"reason": "error"}))
                .build(),
        )
        .await;
    assert_problem(&early, 409, "pending_review");
    let mut replace = own_number("E750", N2);
    replace["replace"] = json!(true);
    assert_problem(
        &register(&stack, &hr, replace.clone()).await,
        409,
        "pending_review",
    );
    assert_eq!(stack.bucket_keys().await.len(), 1);

    // The rejection deletes it and says so in the disposal record.
    let rejected = stack
        .call(
            req("POST", &format!("/v1/records/{record}/reject"))
                .who(&hr)
                .json(json!({"reason": "番号の誤り"}))
                .build(),
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.raw);
    assert_eq!(rejected.body["documents_deleted"], 1);
    assert!(stack.bucket_keys().await.is_empty());
    // Then the registrar registers the right number.
    replace["replace"] = json!(false);
    assert_eq!(register(&stack, &hr, replace).await.status, 201);
    stack.assert_no_plaintext(&[N1, N2]).await;
}

//! 提出の確認 in the console: a submission is one card, confirmed record by record or all at
//! once with one verification.

use super::*;

/// One photo uploaded through the link `token`, as the employee's form sends it; its id.
async fn photo(stack: &Stack, token: &str) -> String {
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(super::browser::PNG_1X1)
        .unwrap();
    super::documents::upload(stack, token, &png, "image/png", "image/png").await
}

/// What an employee submitted from a phone waits in 提出の確認; the registrar confirms it
/// with the documents the employee said they hold, and the record becomes active.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_reviews_a_submission_and_confirms_it() {
    use super::collections::{open_link, own, records_of, submit};
    let c = Console::open("review").await;
    let (_, token) = open_link(&c.stack, "E7401", false).await;
    let photo = photo(&c.stack, &token).await;
    let r = submit(
        &c.stack,
        &token,
        json!({"self": own(N5), "documents": [photo]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let record_id = r.body["records"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.as_principal("registrar").await;
    c.page("review").await;
    let item = format!(".review-item[data-record-id=\"{record_id}\"]");
    let text = c.b.text_of(".review-submission").await;
    assert!(
        text.contains("E7401") && text.contains("通知カード"),
        "{text}"
    );
    assert!(!text.contains(N5), "{text}");
    // What the employee said they hold is the starting point of the check.
    let chosen = c
        .js(&format!(
            "const i = document.querySelector('{}'); \
             return [i.querySelector('.rv-number-check').value, i.querySelector('.rv-identity-check').value]",
            item.replace('"', "\\\"")
        ))
        .await;
    assert_eq!(chosen, json!(["notification_card", "photo_id"]));
    // The photo, shown from its presigned URL (the bucket's origin is in img-src).
    // The photos are the submission's, shown once at the top of its card.
    c.click(".review-submission button.view-doc").await;
    let mut drawn = json!(0);
    for _ in polls() {
        drawn = c
            .js(
                "const i = document.querySelector('.review-submission img'); \
                 return i && i.complete ? i.naturalWidth : 0",
            )
            .await;
        if drawn != json!(0) {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(drawn, json!(1), "the 1×1 photo is drawn");
    assert!(
        c.stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "view_document"),
        "the view is audited"
    );
    c.shot("review").await;
    c.click(&format!("{item} button.confirm")).await;
    c.b.text_of(&format!("{item} .done-text")).await;
    let records = records_of(&c.stack, "E7401").await;
    assert_eq!(records[0]["status"], "active", "{records:?}");
    assert_eq!(records[0]["verification"]["identity_check"], "photo_id");
    // Confirmed: the photo is gone from the bucket.
    assert!(c.stack.bucket_keys().await.is_empty());
    c.stack.assert_no_plaintext(ALL_NUMBERS).await;
    c.close().await;
}

/// A family's submission is one card: the employee's photos once at its top, each person's
/// record inside it; one verification confirms every record the rules allow (the employee
/// checks the dependants) and leaves the 国民年金第3号 spouse, whom the employer checks, to
/// its own form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_s_submission_is_one_card_confirmed_together() {
    use super::collections::{open_link, own, records_of, submit};
    let c = Console::open("review-family").await;
    let (_, token) = open_link(&c.stack, "E7402", true).await;
    let photo = photo(&c.stack, &token).await;
    let r = submit(
        &c.stack,
        &token,
        json!({
            "self": own(N1),
            "spouse": {"my_number": N2, "national_pension_dependent_spouse": true},
            "dependents": [{"label": "長男", "my_number": N3}],
            "documents": [photo]
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    c.as_principal("registrar").await;
    c.page("review").await;
    let card = c.b.text_of(".review-submission").await;
    assert!(card.contains("E7402") && card.contains("3人分"), "{card}");
    let shape = c
        .js(
            "return [document.querySelectorAll('.review-submission').length, \
                     document.querySelectorAll('.review-submission .review-item').length, \
                     document.querySelectorAll('.review-submission .doc-list li').length]",
        )
        .await;
    assert_eq!(
        shape,
        json!([1, 3, 1]),
        "one card, three people, the photo once"
    );
    c.shot("review-family").await;

    // The one verification starts from what the employee said they hold.
    let chosen = c
        .js(
            "return [document.querySelector('.confirm-all .all-number-check').value, \
                     document.querySelector('.confirm-all .all-identity-check').value]",
        )
        .await;
    assert_eq!(chosen, json!(["notification_card", "photo_id"]));
    c.click(".review-submission .confirm-all-button").await;
    let said = c.b.text_of(".review-submission .card-error").await;
    assert!(
        said.contains("2人分を確認しました") && said.contains("国民年金第3号の配偶者（1人分）"),
        "{said}"
    );
    let records = records_of(&c.stack, "E7402").await;
    let status = |relation: &str| {
        records.iter().find(|r| r["relation"] == relation).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status("self"), "active");
    assert_eq!(status("dependent"), "active");
    assert_eq!(status("spouse"), "pending_review");
    // The employee's record decided, the photo is gone from the card and from the bucket.
    assert!(c.stack.bucket_keys().await.is_empty());
    let photos = c
        .js("return document.querySelectorAll('.review-submission .doc-list li').length")
        .await;
    assert_eq!(photos, json!(0));

    // The spouse: the registrar records the employer's own check, and confirms.
    let spouse = ".review-item:not(.decided)";
    c.choose(&format!("{spouse} .rv-number-check"), "notification_card")
        .await;
    c.choose(&format!("{spouse} .rv-identity-check"), "photo_id")
        .await;
    c.click(&format!("{spouse} button.confirm")).await;
    c.b.text_containing(".review-submission", "この記録は有効になりました")
        .await;
    for _ in polls() {
        if records_of(&c.stack, "E7402")
            .await
            .iter()
            .all(|r| r["status"] == "active")
        {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let records = records_of(&c.stack, "E7402").await;
    assert!(
        records.iter().all(|r| r["status"] == "active"),
        "{records:?}"
    );
    c.stack.assert_no_plaintext(ALL_NUMBERS).await;
    c.close().await;
}

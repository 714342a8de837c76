//! Email (SPEC §4d) against moto's SES: the link by email, a send that fails, the sent log,
//! and the admin's settings. Every message is read back from moto as sent.

use super::*;
use crate::collections::with_token;

/// An address of this test's own, so that parallel tests' mail never mixes.
fn address(stack: &Stack, who: &str) -> String {
    format!("{who}.{}@example.co.jp", stack.tag)
}

async fn open_emailed_link(stack: &Stack, employee: &str, to: &str) -> Reply {
    stack
        .call(
            req("POST", "/v1/collections")
                .who(&Who::registrar("acme"))
                .json(json!({
                    "employee_id": employee,
                    "purposes": ["withholding_tax"],
                    "include_family": true,
                    "email": to
                }))
                .build(),
        )
        .await
}

async fn sent_log(stack: &Stack, query: &[(&str, &str)]) -> Vec<Value> {
    let mut r = req("GET", "/v1/notifications").who(&Who::auditor("acme"));
    for (k, v) in query {
        r = r.query(k, v);
    }
    let r = stack.call(r.build()).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_link_sent_by_email_opens_the_form_and_the_sent_log_shows_it_masked() {
    let stack = Stack::new().await;
    let to = address(&stack, "taro");
    let r = open_emailed_link(&stack, "E901", &to).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["delivery"]["status"], "sent");
    let collection = r.body["collection_id"].as_str().unwrap().to_owned();
    let url = r.body["url"].as_str().unwrap().to_owned();
    assert!(!r.raw.contains(&to), "the address is not echoed");

    // One message, to the employee alone, from the sender identity, with the link.
    let mail = stack.sent_mail(&to).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &mail[0];
    assert_eq!(m["destinations"]["ToAddresses"], json!([to]));
    assert!(
        m["source"]
            .as_str()
            .unwrap()
            .ends_with(&format!("<{}>", mynumber_tests::MAIL_FROM))
    );
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.contains("マイナンバー") && subject.contains("まで"),
        "{subject}"
    );
    let body = m["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("<a href=\"{url}\">")),
        "the link is in the mail"
    );
    assert!(body.contains("配偶者・扶養親族"), "what is asked");
    assert!(!body.contains("<img") && !body.contains("<script") && !body.contains("http://"));

    // The employee opens the link from the mail.
    let token = body.split("collect#").nth(1).unwrap()[..64].to_owned();
    let form = stack
        .call(with_token("GET", "/v1/collect", &token).build())
        .await;
    assert_eq!(form.status, 200, "{}", form.raw);

    // The sent log: masked, with SES's message id.
    let log = sent_log(&stack, &[("collection_id", &collection)]).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["kind"], "link");
    assert_eq!(log[0]["status"], "sent");
    assert_eq!(log[0]["to"], format!("t***@example.co.jp"));
    assert_eq!(log[0]["message_id"], m["id"]);
    assert_eq!(
        log[0]["notification_id"],
        r.body["delivery"]["notification_id"]
    );
    assert!(sent_log(&stack, &[("kind", "reminder")]).await.is_empty());

    // Audited with the masked address; the address itself is on the open collection only.
    let events = stack.audit_events();
    let sent = events
        .iter()
        .find(|e| e["event"] == "notification_sent")
        .expect("the send is audited");
    assert_eq!(sent["recipient"], "t***@example.co.jp");
    assert_eq!(sent["notification"], "link");
    assert_eq!(sent["collection_id"], collection.as_str());
    assert_eq!(sent["outcome"], "success");
    assert!(
        !format!("{events:?}").contains(&to),
        "no address in the trail"
    );
    let stored = format!("{:?}", stack.items_of_kind("collection").await);
    assert!(
        stored.contains(&to),
        "kept while the link is open (for reminders)"
    );
    assert!(!format!("{:?}", stack.items_of_kind("notification").await).contains(&to));

    // Cancelled, the collection forgets the address.
    let r = stack
        .call(
            req("DELETE", &format!("/v1/collections/{collection}"))
                .who(&Who::registrar("acme"))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(!format!("{:?}", stack.all_items().await).contains(&to));
}

#[tokio::test]
async fn a_send_that_fails_leaves_the_link_valid_and_says_so() {
    let stack = Stack::new().await;
    // A sender identity moto never verified: SES refuses the message.
    let (review, notifications) = stack.review_service(&stack.table);
    let _ = review;
    let store = stack.store_on(&stack.table);
    let unverified = mynumber_domain::notify::Notifier::new(
        std::sync::Arc::new(mynumber_aws::SesMailer::new(
            &stack.fn_sdk,
            "nobody@unverified.example.test",
            None,
        )),
        store.clone(),
        store.clone(),
        mynumber_tests::PUBLIC_BASE_URL,
    );
    let refusing = ::review::Review::new(
        (
            mynumber_domain::review::ReviewService::new(
                stack.core(stack.clock.clone()),
                store,
                stack.objects.clone(),
            )
            .with_mail(unverified),
            notifications,
        ),
        mynumber_tests::jwt::authenticator(),
        mynumber_tests::PUBLIC_BASE_URL,
    );
    let to = address(&stack, "hanako");
    let r = Reply::from_response(
        refusing
            .handle(
                req("POST", "/v1/collections")
                    .who(&Who::registrar("acme"))
                    .json(json!({"employee_id": "E902", "purposes": ["withholding_tax"], "email": to}))
                    .build(),
            )
            .await,
    );
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["delivery"]["status"], "failed");
    assert!(stack.sent_mail(&to).await.is_empty());
    // The link the registrar can still hand over works.
    let url = r.body["url"].as_str().unwrap();
    let token = url.split_once('#').unwrap().1;
    let form = stack
        .call(with_token("GET", "/v1/collect", token).build())
        .await;
    assert_eq!(form.status, 200, "{}", form.raw);
    let log = sent_log(
        &stack,
        &[("collection_id", r.body["collection_id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "failed");
    assert!(log[0].get("message_id").is_none());
    let failed = stack
        .audit_events()
        .into_iter()
        .find(|e| e["event"] == "notification_sent")
        .unwrap();
    assert_eq!(failed["outcome"], "failed");
}

#[tokio::test]
async fn addresses_are_field_errors_never_echoed() {
    let stack = Stack::new().await;
    let bad = "taro@@example.co.jp";
    let r = open_emailed_link(&stack, "E903", bad).await;
    assert_eq!(r.status, 400, "{}", r.raw);
    assert_eq!(r.field_errors(), vec![("email".into(), "email".into())]);
    assert!(!r.raw.contains(bad));
    assert!(
        stack.items_of_kind("collection").await.is_empty(),
        "nothing written"
    );

    let admin = Who::admin("acme");
    let r = stack
        .call(
            req("PUT", "/v1/settings/notifications")
                .who(&admin)
                .json(json!({
                    "sender_name": "株式会社サンプル 人事部",
                    "hr_recipients": ["hr@example.co.jp", "not an address"],
                    "reminders": {"after_days": 0, "max": 2},
                    "digest": {"weekday": "someday"}
                }))
                .build(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.raw);
    let mut errors = r.field_errors();
    errors.sort();
    assert_eq!(
        errors,
        vec![
            ("digest.weekday".into(), "enum".into()),
            ("hr_recipients[1]".into(), "email".into()),
            ("reminders.after_days".into(), "range".into()),
        ]
    );
    assert!(!r.raw.contains("not an address"));
}

#[tokio::test]
async fn the_admin_sets_who_mail_comes_from_and_it_shows_in_the_next_mail() {
    let stack = Stack::new().await;
    let admin = Who::admin("acme");
    let r = stack
        .call(req("GET", "/v1/settings/notifications").who(&admin).build())
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({"sender_name": "人事部", "hr_recipients": [],
               "reminders": {"after_days": 3, "max": 2}, "digest": {"weekday": "monday"}})
    );
    let settings = json!({
        "sender_name": "株式会社サンプル 人事部",
        "hr_recipients": ["hr@example.co.jp", "payroll@example.co.jp"],
        "reminders": {"after_days": 5, "max": 1},
        "digest": {"weekday": "friday"}
    });
    let r = stack
        .call(
            req("PUT", "/v1/settings/notifications")
                .who(&admin)
                .json(settings.clone())
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let r = stack
        .call(req("GET", "/v1/settings/notifications").who(&admin).build())
        .await;
    assert_eq!(r.body, settings);
    // Settings are the admin's alone; the sent log is not theirs.
    for who in [Who::registrar("acme"), Who::auditor("acme")] {
        let r = stack
            .call(req("GET", "/v1/settings/notifications").who(&who).build())
            .await;
        assert_eq!(r.status, 403);
    }
    let r = stack
        .call(req("GET", "/v1/notifications").who(&admin).build())
        .await;
    assert_eq!(r.status, 403);
    // Another tenant keeps its defaults.
    let r = stack
        .call(
            req("GET", "/v1/settings/notifications")
                .who(&Who::admin("other"))
                .build(),
        )
        .await;
    assert_eq!(r.body["sender_name"], "人事部");

    let to = address(&stack, "jiro");
    assert_eq!(open_emailed_link(&stack, "E904", &to).await.status, 201);
    let mail = stack.sent_mail(&to).await;
    let subject = mail[0]["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("【株式会社サンプル 人事部】"),
        "{subject}"
    );
    let source = mail[0]["source"].as_str().unwrap();
    let encoded = source
        .strip_prefix("=?UTF-8?B?")
        .and_then(|s| s.split_once("?="))
        .unwrap()
        .0;
    use base64::Engine;
    let name = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(String::from_utf8(name).unwrap(), "株式会社サンプル 人事部");
}

/// The schedule's event, as EventBridge sends it.
fn scheduled() -> Value {
    json!({"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "time": "2026-12-07T00:00:00Z", "region": "ap-northeast-1",
           "resources": [], "detail": {}})
}

/// The frequent schedule's event: send what submissions left.
fn outbox() -> Value {
    json!({"job": "outbox"})
}

fn token_in(mail: &Value) -> String {
    let body = mail["body"].as_str().unwrap();
    body.split("collect#").nth(1).unwrap()[..64].to_owned()
}

async fn form_status(stack: &Stack, token: &str) -> u16 {
    stack
        .call(with_token("GET", "/v1/collect", token).build())
        .await
        .status
}

#[tokio::test]
async fn reminders_come_after_the_days_set_at_most_the_times_set_and_every_link_works() {
    let stack = Stack::new().await;
    let notify = stack.notify();
    let to = address(&stack, "saburo");
    let r = open_emailed_link(&stack, "E911", &to).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let collection = r.body["collection_id"].as_str().unwrap().to_owned();
    // Nothing due on the day or two later (the default: 3 days, at most 2).
    for _ in 0..2 {
        stack.clock.advance(chrono::Duration::days(1));
        notify.handle(scheduled()).await.unwrap();
        assert_eq!(stack.sent_mail(&to).await.len(), 1);
    }
    stack.clock.advance(chrono::Duration::days(1));
    let report = notify.handle(scheduled()).await.unwrap();
    assert_eq!(report["reminders_sent"], 1, "{report}");
    let mail = stack.sent_mail(&to).await;
    assert_eq!(mail.len(), 2);
    let subject = mail[1]["subject"].as_str().unwrap();
    assert!(subject.contains("再送"), "{subject}");
    // The first mail's link and the reminder's both open the form.
    let (first, second) = (token_in(&mail[0]), token_in(&mail[1]));
    assert_ne!(first, second);
    assert_eq!(form_status(&stack, &first).await, 200);
    assert_eq!(form_status(&stack, &second).await, 200);
    // The next run the same day sends nothing; three days later the second and last.
    notify.handle(scheduled()).await.unwrap();
    assert_eq!(stack.sent_mail(&to).await.len(), 2);
    stack.clock.advance(chrono::Duration::days(3));
    notify.handle(scheduled()).await.unwrap();
    assert_eq!(stack.sent_mail(&to).await.len(), 3);
    stack.clock.advance(chrono::Duration::days(3));
    notify.handle(scheduled()).await.unwrap();
    assert_eq!(stack.sent_mail(&to).await.len(), 3, "at most two reminders");
    let log = sent_log(
        &stack,
        &[("collection_id", &collection), ("kind", "reminder")],
    )
    .await;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|e| e["status"] == "sent" && e["to"] == "s***@example.co.jp")
    );
    let reminded = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "notification_sent" && e["notification"] == "reminder")
        .count();
    assert_eq!(reminded, 2);

    // Past its expiry (14 days): no reminder, and the address is forgotten.
    stack.clock.advance(chrono::Duration::days(6));
    let report = notify.handle(scheduled()).await.unwrap();
    assert_eq!(report["addresses_forgotten"], 1, "{report}");
    assert!(!format!("{:?}", stack.all_items().await).contains(&to));
    assert_eq!(stack.sent_mail(&to).await.len(), 3);
}

#[tokio::test]
async fn a_submitted_link_is_not_reminded_and_a_bounce_marks_its_mail() {
    let stack = Stack::new().await;
    let notify = stack.notify();
    let to = address(&stack, "shiro");
    let r = open_emailed_link(&stack, "E912", &to).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let token = token_in(&stack.sent_mail(&to).await[0]);
    let submitted =
        crate::collections::submit(&stack, &token, json!({"self": crate::collections::own(N1)}))
            .await;
    assert_eq!(submitted.status, 201, "{}", submitted.raw);
    // The address waits for the receipt, and goes with it.
    assert!(format!("{:?}", stack.items_of_kind("collection").await).contains(&to));
    let report = notify.handle(outbox()).await.unwrap();
    assert_eq!(report["receipts_sent"], 1, "{report}");
    assert!(!format!("{:?}", stack.items_of_kind("collection").await).contains(&to));
    stack.clock.advance(chrono::Duration::days(5));
    notify.handle(scheduled()).await.unwrap();
    notify.handle(outbox()).await.unwrap();
    let mail = stack.sent_mail(&to).await;
    assert_eq!(
        mail.len(),
        2,
        "the link and its receipt, no reminder after a submission: {mail:?}"
    );

    // SES reports a bounce through the topic.
    let message_id = stack.sent_mail(&to).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = json!({"Records": [{"EventSource": "aws:sns", "Sns": {
        "Type": "Notification",
        "Message": json!({"eventType": "Bounce", "mail": {"messageId": message_id},
                          "bounce": {"bounceType": "Permanent"}}).to_string()
    }}]});
    let report = notify.handle(event).await.unwrap();
    assert_eq!(report["marked"], 1);
    let log = sent_log(&stack, &[("kind", "link")]).await;
    assert_eq!(log[0]["status"], "bounced");
    assert!(
        stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "delivery_reported")
    );
    // Anything but the schedule and the topic is refused.
    assert!(notify.handle(json!({"hello": "world"})).await.is_err());
    stack.assert_no_plaintext(&[N1]).await;
}

#[tokio::test]
async fn the_employee_gets_a_receipt_and_hr_a_review_notice_at_most_once_an_hour() {
    let stack = Stack::new().await;
    let notify = stack.notify();
    let hr = address(&stack, "hr");
    let r = stack
        .call(
            req("PUT", "/v1/settings/notifications")
                .who(&Who::admin("acme"))
                .json(
                    json!({"sender_name": "株式会社サンプル 人事部", "hr_recipients": [hr],
                             "reminders": {"after_days": 3, "max": 2},
                             "digest": {"weekday": "monday"}}),
                )
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let to = address(&stack, "hanako");
    assert_eq!(open_emailed_link(&stack, "E921", &to).await.status, 201);
    let token = token_in(&stack.sent_mail(&to).await[0]);
    let submitted = crate::collections::submit(
        &stack,
        &token,
        json!({"self": crate::collections::own(N1), "spouse": {"my_number": N2}}),
    )
    .await;
    assert_eq!(submitted.status, 201, "{}", submitted.raw);
    // Nothing is sent by the submission itself: the collect function holds a KMS key.
    assert_eq!(stack.sent_mail(&to).await.len(), 1);

    let report = notify.handle(outbox()).await.unwrap();
    assert_eq!(
        (&report["receipts_sent"], &report["review_notices_sent"]),
        (&json!(1), &json!(1)),
        "{report}"
    );
    let receipt = &stack.sent_mail(&to).await[1];
    let body = receipt["body"].as_str().unwrap();
    assert!(
        receipt["subject"]
            .as_str()
            .unwrap()
            .contains("受け付けました")
    );
    for part in [
        "E921 様",
        "・ご本人の番号",
        "・配偶者の番号",
        "担当者が番号と本人確認書類を確認します",
    ] {
        assert!(
            body.contains(part),
            "{part} missing from the receipt: {body}"
        );
    }
    assert!(
        !body.contains(&token) && !body.contains("collect#"),
        "no link in a receipt"
    );
    let notice = stack.sent_mail(&hr).await;
    assert_eq!(notice.len(), 1, "{notice:?}");
    let text = notice[0]["body"].as_str().unwrap();
    assert!(
        notice[0]["subject"]
            .as_str()
            .unwrap()
            .contains("確認待ちの提出が1件")
    );
    assert!(
        text.contains("E921") && text.contains("/console#/review"),
        "{text}"
    );
    assert!(!text.contains(&to), "no other person's address");

    // A second submission within the hour waits for the next notice.
    let (_, second_token) = crate::collections::open_link(&stack, "E922", false).await;
    let second = crate::collections::submit(
        &stack,
        &second_token,
        json!({"self": crate::collections::own(N3)}),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.raw);
    stack.clock.advance(chrono::Duration::minutes(30));
    let report = notify.handle(outbox()).await.unwrap();
    assert_eq!(report["review_notices_sent"], 0, "{report}");
    assert_eq!(stack.sent_mail(&hr).await.len(), 1);
    stack.clock.advance(chrono::Duration::minutes(31));
    let report = notify.handle(outbox()).await.unwrap();
    assert_eq!(report["review_notices_sent"], 1, "{report}");
    let notice = stack.sent_mail(&hr).await;
    let text = notice[1]["body"].as_str().unwrap();
    assert!(text.contains("E922") && !text.contains("E921"), "{text}");
    // Nothing is left to send.
    let report = notify.handle(outbox()).await.unwrap();
    assert_eq!(
        report,
        json!({"receipts_sent": 0, "review_notices_sent": 0, "failed": 0})
    );

    // The sent log: the link, the receipt, two notices; addresses masked.
    let log = sent_log(&stack, &[]).await;
    let kinds: Vec<&str> = log.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "receipt").count(),
        1,
        "{log:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "review_notice").count(),
        2,
        "{log:?}"
    );
    let raw = serde_json::to_string(&log).unwrap();
    assert!(!raw.contains(&to) && !raw.contains(&hr), "masked: {raw}");
    stack.assert_no_plaintext(&[N1, N2, N3]).await;
}

/// SES failing (the fault proxy answers every SendEmail with a 500, the SDK's retries
/// included): the link is created and works, the 201 says `failed`, the sent log has one
/// `failed` entry, and nothing else is written twice or half.
#[tokio::test]
async fn ses_failing_leaves_the_link_created_and_says_the_mail_failed() {
    use mynumber_tests::faults::{ErrorKind, Fault, FaultPlan, FaultProxy};
    let moto = mynumber_tests::moto::private_endpoint();
    let mut plan = FaultPlan::new(FaultPlan::seed_from_env(), 1.0);
    plan.operations = vec!["SendEmail"];
    plan.kinds = vec![Fault::ErrorBefore(ErrorKind::Internal)];
    let proxy = FaultProxy::start(&moto, plan);
    let stack = Stack::behind(&moto, &proxy).await;
    let to = address(&stack, "goro");
    let r = open_emailed_link(&stack, "E931", &to).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["delivery"]["status"], "failed");
    let injected = proxy.stats.injected();
    assert!(
        injected.keys().any(|k| k.ends_with("SES/SendEmail")),
        "{injected:?}"
    );
    assert!(stack.sent_mail(&to).await.is_empty());
    let token = r.body["url"].as_str().unwrap().split_once('#').unwrap().1;
    assert_eq!(form_status(&stack, token).await, 200, "the link works");
    assert_eq!(stack.items_of_kind("collection").await.len(), 1);
    let log = sent_log(&stack, &[]).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "failed");
    assert!(
        log[0].get("message_id").is_none_or(Value::is_null),
        "{log:?}"
    );
}

/// A registrar resends an emailed link: a link of its own, and the first still works; a
/// link never emailed and a closed one are refused with their reasons.
#[tokio::test]
async fn a_resent_link_is_a_new_link_and_the_first_still_works() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let to = address(&stack, "rokuro");
    let r = open_emailed_link(&stack, "E941", &to).await;
    let resend = |id: &str| {
        req("POST", &format!("/v1/collections/{id}/resend"))
            .who(&hr)
            .build()
    };
    let id = r.body["collection_id"].as_str().unwrap().to_owned();
    let again = stack.call(resend(&id)).await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(again.body["delivery"]["status"], "sent");
    let mail = stack.sent_mail(&to).await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    let (first, second) = (token_in(&mail[0]), token_in(&mail[1]));
    assert_ne!(first, second);
    assert_eq!(form_status(&stack, &first).await, 200);
    assert_eq!(form_status(&stack, &second).await, 200);
    assert!(
        stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "link_resent" && e["collection_id"] == id.as_str())
    );

    let (plain, _) = crate::collections::open_link(&stack, "E942", false).await;
    assert_problem(&stack.call(resend(&plain)).await, 409, "not_emailed");
    let r = stack
        .call(
            req("DELETE", &format!("/v1/collections/{id}"))
                .who(&hr)
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_problem(&stack.call(resend(&id)).await, 409, "collection_closed");
    assert_eq!(stack.sent_mail(&to).await.len(), 2, "nothing more was sent");
}

//! HR's weekly digest (SPEC §4d) against moto's SES: what waits for review, which links are
//! open or expired, what falls due by month, last week's disposals, and a purge that did not
//! keep up — on the tenant's day, once.

use super::*;
use chrono::Datelike;
use mynumber_domain::ports::Clock;

fn scheduled() -> Value {
    json!({"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "time": "2026-12-07T00:00:00Z", "region": "ap-northeast-1",
           "resources": [], "detail": {}})
}

/// Today's weekday in Japan, as the settings name it.
fn weekday_today(stack: &Stack) -> &'static str {
    let today = mynumber_domain::retention::jst_today(stack.clock.now());
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][today.weekday().num_days_from_monday() as usize]
}

async fn digest_day(stack: &Stack, hr: &str, weekday: &str) {
    let r = stack
        .call(
            req("PUT", "/v1/settings/notifications")
                .who(&Who::admin("acme"))
                .json(json!({"sender_name": "人事部", "hr_recipients": [hr],
                             "reminders": {"after_days": 30, "max": 0},
                             "digest": {"weekday": weekday}}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
}

async fn link(stack: &Stack, employee: &str, days: u32) -> String {
    let r = stack
        .call(
            req("POST", "/v1/collections")
                .who(&Who::registrar("acme"))
                .json(
                    json!({"employee_id": employee, "purposes": ["withholding_tax"],
                             "expires_in_days": days}),
                )
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["url"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned()
}

#[tokio::test]
async fn the_weekly_digest_tells_hr_what_waits_what_falls_due_and_when_the_purge_fell_behind() {
    let stack = Stack::new().await;
    let notify = stack.notify();
    let hr = format!("hr.{}@example.co.jp", stack.tag);
    // Not today: no digest.
    let other_day = if weekday_today(&stack) == "monday" {
        "tuesday"
    } else {
        "monday"
    };
    digest_day(&stack, &hr, other_day).await;

    // A submission awaiting review, an open link, a link about to expire, a disposal.
    let token = link(&stack, "E951", 14).await;
    let submitted =
        crate::collections::submit(&stack, &token, json!({"self": crate::collections::own(N1)}))
            .await;
    assert_eq!(submitted.status, 201, "{}", submitted.raw);
    link(&stack, "E952", 14).await;
    link(&stack, "E953", 1).await;
    let registrar = Who::registrar("acme");
    let child = register(&stack, &registrar, dependent("E954", "長男", N2)).await;
    assert_eq!(child.status, 201, "{}", child.raw);
    let id = child.body["record_id"].as_str().unwrap();
    let r = stack
        .call(
            req("DELETE", &format!("/v1/records/{id}"))
                .who(&registrar)
                .json(json!({"reason": "no_longer_needed"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    stack.clock.advance(chrono::Duration::days(2));
    assert_eq!(notify.handle(scheduled()).await.unwrap()["digests_sent"], 0);

    // The tenant's day: one digest, once.
    digest_day(&stack, &hr, weekday_today(&stack)).await;
    let report = notify.handle(scheduled()).await.unwrap();
    assert_eq!(report["digests_sent"], 1, "{report}");
    assert_eq!(
        notify.handle(scheduled()).await.unwrap()["digests_sent"],
        0,
        "once a day"
    );
    let mail = stack.sent_mail(&hr).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        mail[0]["subject"]
            .as_str()
            .unwrap()
            .contains("週次のお知らせ")
    );
    let text = mail[0]["body"].as_str().unwrap();
    // The pending record falls due when its 30-day review window closes.
    let gone =
        mynumber_domain::retention::jst_today(stack.clock.now()) + chrono::Duration::days(29);
    for part in [
        "■ 確認待ちの提出<br>\n1件（最も古いもの：",
        "受付中：1名（E952）",
        "期限切れ・未提出（直近7日）：1名（E953）",
        "30日以内：1件",
        &format!("・{}年{}月：1件", gone.year(), gone.month()),
        "・不要になった：1件",
        "期限を過ぎて残っている記録はありません。",
        "/console",
    ] {
        assert!(
            text.contains(part),
            "{part:?} missing from the digest:\n{text}"
        );
    }

    // Weeks on, the submission was never reviewed and no purge ran: the digest says so.
    stack.clock.advance(chrono::Duration::days(35));
    digest_day(&stack, &hr, weekday_today(&stack)).await;
    let report = notify.handle(scheduled()).await.unwrap();
    assert_eq!(report["digests_sent"], 1, "{report}");
    let text = stack.sent_mail(&hr).await[1]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("【要確認】期限を過ぎても削除されていない記録が1件あります"),
        "{text}"
    );
    assert!(text.contains("■ 先週の削除<br>\n・ありません"), "{text}");
    assert_eq!(
        crate::mail_log_kinds(&stack)
            .await
            .iter()
            .filter(|k| *k == "digest")
            .count(),
        2
    );
    stack.assert_no_plaintext(&[N1, N2]).await;
}

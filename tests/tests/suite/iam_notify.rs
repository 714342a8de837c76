//! IAM enforced (as in `iam`): the notify function under its own role.

use super::*;
use crate::iam::{TENANT, assert_no_kms, registered, reply};
use mynumber_tests::iam::{Function, IamStack, Policies};

/// The notify function's daily run (a reminder, HR's digest over records, links and the
/// disposal log) and its outbox job, under its own role, which cannot call KMS.
#[tokio::test]
async fn notify_reminds_and_digests_under_its_own_role_which_cannot_call_kms() {
    use chrono::Datelike;
    use mynumber_domain::ports::Clock;
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let review = stack.review(&stack.identity(Function::Review, Policies::ForMoto).await);
    let hr = Who::registrar(TENANT);
    let child = registered(&intake, dependent("E0961", "長男", N2)).await;
    let disposed = reply(
        intake
            .handle(
                req("DELETE", &format!("/v1/records/{child}"))
                    .who(&hr)
                    .json(json!({"reason": "no_longer_needed"}))
                    .build(),
            )
            .await,
    );
    assert_eq!(disposed.status, 200, "{}", disposed.raw);
    registered(&intake, own_number("E0962", N1)).await;
    let opened = reply(
        review
            .handle(
                req("POST", "/v1/collections")
                    .who(&hr)
                    .json(
                        json!({"employee_id": "E0963", "purposes": ["withholding_tax"],
                                 "email": "e0963@example.co.jp"}),
                    )
                    .build(),
            )
            .await,
    );
    assert_eq!(opened.status, 201, "{}", opened.raw);
    // Three days on, on the tenant's digest day.
    stack.set_now(stack.clock.now() + chrono::Duration::days(3));
    let today = mynumber_domain::retention::jst_today(stack.clock.now());
    let weekday = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][today.weekday().num_days_from_monday() as usize];
    let saved = reply(
        review
            .handle(
                req("PUT", "/v1/settings/notifications")
                    .who(&Who::admin(TENANT))
                    .json(
                        json!({"sender_name": "人事部", "hr_recipients": ["hr@example.co.jp"],
                                 "reminders": {"after_days": 3, "max": 2},
                                 "digest": {"weekday": weekday}}),
                    )
                    .build(),
            )
            .await,
    );
    assert_eq!(saved.status, 200, "{}", saved.raw);

    let identity = stack.identity(Function::Notify, Policies::ForMoto).await;
    let (notify, mailer) = stack.notify(&identity);
    let daily = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let report = notify.handle(daily).await.unwrap();
    assert_eq!(
        (&report["reminders_sent"], &report["digests_sent"]),
        (&json!(1), &json!(1)),
        "{report}"
    );
    let report = notify.handle(json!({"job": "outbox"})).await.unwrap();
    assert_eq!(report["failed"], 0, "{report}");
    let sent = mailer.sent.lock().unwrap().clone();
    let digest = sent
        .iter()
        .find(|m| m.subject.contains("週次"))
        .expect("a digest");
    assert!(
        digest.text.contains("受付中：1名（E0963）"),
        "{}",
        digest.text
    );
    assert!(
        digest.text.contains("・不要になった：1件"),
        "{}",
        digest.text
    );
    assert_no_kms(&stack, &identity).await;
}

//! Email in the console (SPEC §4d): the admin's settings, the auditor's sent log, and the
//! whole journey of a link by mail, from the console to a phone and back.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_sets_the_mail_and_the_auditor_reads_what_was_sent() {
    let c = Console::open("mail").await;
    let to = format!("jiro.{}@example.co.jp", c.stack.tag);
    let r = c
        .stack
        .call(
            req("POST", "/v1/collections")
                .who(&Who::registrar(TENANT))
                .json(json!({"employee_id": "E7301", "purposes": ["withholding_tax"], "email": to}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);

    // The admin's page: the settings, with a field error for a bad address.
    c.as_principal("admin").await;
    assert_eq!(
        c.nav().await,
        vec![
            "home".to_owned(),
            "certificates".to_owned(),
            "exports".to_owned(),
            "mail".to_owned()
        ]
    );
    c.page("mail").await;
    c.assert_labelled("mail").await;
    let name = c.b.visible("#mail-sender-name").await;
    for _ in polls() {
        if name.prop("value").await.unwrap().as_deref() == Some("人事部") {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    c.fill("#mail-sender-name", "株式会社サンプル 人事部").await;
    c.fill("#mail-hr-recipients", "hr@example.co.jp\nnot-an-address")
        .await;
    c.choose("#mail-digest-weekday", "friday").await;
    c.click("#mail-save").await;
    let error = c.b.text_of("#err-mail-hr-recipients").await;
    assert!(error.contains("メールアドレス"), "{error}");
    c.fill("#mail-hr-recipients", "hr@example.co.jp").await;
    c.click("#mail-save").await;
    c.b.text_containing("#mail-saved", "保存しました").await;
    let r = c
        .stack
        .call(
            req("GET", "/v1/settings/notifications")
                .who(&Who::admin(TENANT))
                .build(),
        )
        .await;
    assert_eq!(r.body["sender_name"], "株式会社サンプル 人事部");
    assert_eq!(r.body["hr_recipients"], json!(["hr@example.co.jp"]));
    assert_eq!(r.body["digest"]["weekday"], "friday");
    c.shot("mail-settings").await;

    // The auditor's: what was sent, masked; no settings.
    c.as_principal("auditor").await;
    c.page("mail").await;
    let row =
        c.b.text_containing("#mail-table tbody tr", "収集リンク")
            .await;
    assert!(
        row.contains("j***@example.co.jp") && row.contains("送信済み"),
        "{row}"
    );
    assert!(!row.contains(&to));
    assert_eq!(
        c.js("return document.querySelector('#mail-settings').hidden")
            .await,
        json!(true)
    );
    c.shot("mail-log").await;
    c.close().await;
}

/// SPEC §4d's whole journey: HR emails a link from the console, the employee opens it from
/// the mail on a phone and submits, the receipt and HR's review notice arrive, and the
/// sent log shows all three, masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_goes_by_mail_comes_back_submitted_and_everyone_hears_of_it() {
    let c = Console::open("mail-journey").await;
    let hr = format!("hr.{}@example.co.jp", c.stack.tag);
    let r = c
        .stack
        .call(
            req("PUT", "/v1/settings/notifications")
                .who(&Who::admin(TENANT))
                .json(
                    json!({"sender_name": "株式会社サンプル 人事部", "hr_recipients": [hr],
                             "reminders": {"after_days": 3, "max": 2},
                             "digest": {"weekday": "monday"}}),
                )
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);

    // HR creates the link with the employee's address.
    c.as_principal("registrar").await;
    c.page("collections").await;
    let to = format!("taro.{}@example.co.jp", c.stack.tag);
    c.fill("#col-employee-ids", &format!("E7401 {to}")).await;
    c.click("#col-submit").await;
    c.b.visible("#col-created .created-link .delivery[data-status=\"sent\"]")
        .await;
    c.shot("journey-link-sent").await;

    // The employee says the mail never came: HR sends it again from the list, which shows
    // where the link went (masked).
    c.click("#col-reload").await;
    let status =
        c.b.text_containing(
            "#col-list tr[data-collection-id] .status",
            "t***@example.co.jp：送信済み",
        )
        .await;
    assert!(!status.contains(&to), "{status}");
    c.click("#col-list tr[data-collection-id] button.resend")
        .await;
    c.b.text_containing("#col-list-summary", "再送しました")
        .await;
    c.shot("journey-link-resent").await;

    // The employee opens the link from the first mail (still good), on a phone.
    let mail = c.stack.sent_mail(&to).await;
    assert_eq!(mail.len(), 2, "the link and its resend: {mail:?}");
    assert_ne!(mail[0]["body"], mail[1]["body"], "a link of its own");
    let body = mail[0]["body"].as_str().unwrap();
    let token = body
        .split("/collect#")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .expect("the mail holds the link");
    let phone = Browser::start().await;
    phone
        .client
        .goto(&format!("{}/collect#{token}", c.origin))
        .await
        .unwrap();
    phone.visible("#panel-form").await;
    phone.visible("#self-give").await.click().await.unwrap();
    phone
        .visible("[data-field=\"self.my_number\"]")
        .await
        .send_keys(N1)
        .await
        .unwrap();
    for (path, value) in [
        ("self.number_document", "notification_card"),
        ("self.identity_document", "photo_id"),
    ] {
        phone
            .visible(&format!("[data-field=\"{path}\"]"))
            .await
            .select_by_value(value)
            .await
            .unwrap();
    }
    phone.visible("#submit").await.click().await.unwrap();
    phone.visible("#panel-done").await;
    phone.close().await;

    // The schedule's next run sends the receipt and HR's notice.
    let report = c
        .stack
        .notify()
        .handle(json!({"job": "outbox"}))
        .await
        .unwrap();
    assert_eq!(report["receipts_sent"], 1, "{report}");
    let mail = c.stack.sent_mail(&to).await;
    assert_eq!(mail.len(), 3, "the link, its resend, the receipt: {mail:?}");
    let receipt = mail[2]["body"].as_str().unwrap();
    assert!(receipt.contains("・ご本人の番号"), "{receipt}");
    assert!(!receipt.contains(token) && !receipt.contains(N1));
    let notice = c.stack.sent_mail(&hr).await;
    assert_eq!(notice.len(), 1, "{notice:?}");
    assert!(notice[0]["body"].as_str().unwrap().contains("E7401"));

    // The sent log in the console: the three, masked.
    c.as_principal("auditor").await;
    c.page("mail").await;
    let mut rows: Vec<String> = Vec::new();
    for _ in polls() {
        let v = c
            .js("return [...document.querySelectorAll('#mail-table tbody tr')].map(r => r.textContent)")
            .await;
        rows = serde_json::from_value(v).unwrap();
        if rows.len() >= 3 {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    for kind in ["収集リンク", "受付の控え", "確認待ちのお知らせ（人事）"] {
        let row = rows
            .iter()
            .find(|r| r.contains(kind))
            .unwrap_or_else(|| panic!("no {kind} in {rows:?}"));
        assert!(
            row.contains("***@example.co.jp") && row.contains("送信済み"),
            "{row}"
        );
        assert!(!row.contains(&to) && !row.contains(&hr), "{row}");
    }
    c.shot("journey-sent-log").await;
    c.stack.assert_no_plaintext(&[N1]).await;
    c.close().await;
}

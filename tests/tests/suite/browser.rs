//! The employee's form in a real browser (headless Chromium, phone-sized), against the real
//! handlers served on one origin: what an employee on a phone sees and does.

use super::*;
use fantoccini::Locator;
use mynumber_tests::browser::{Browser, POLL, polls, serve};
use std::sync::Arc;

/// A collection link for `employee`, as the form's address.
pub(crate) async fn open_link(stack: &Stack, base: &str, employee: &str, family: bool) -> String {
    let r = stack
        .call(
            req("POST", "/v1/collections")
                .who(&Who::registrar("acme"))
                .json(json!({"employee_id": employee, "purposes": ["withholding_tax"], "include_family": family}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let token = r.body["url"].as_str().unwrap().split_once('#').unwrap().1;
    format!("{base}/collect#{token}")
}

async fn field(b: &Browser, path: &str) -> fantoccini::elements::Element {
    b.visible(&format!("[data-field=\"{path}\"]")).await
}

/// The employee's documents: the notification card for the number, a photo ID for who
/// they are.
pub(crate) async fn choose_documents(b: &Browser) {
    field(b, "self.number_document")
        .await
        .select_by_value("notification_card")
        .await
        .unwrap();
    field(b, "self.identity_document")
        .await
        .select_by_value("photo_id")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_submits_the_family_s_numbers_from_a_phone() {
    let stack = Arc::new(Stack::new().await);
    let base = serve(stack.clone()).await;
    let url = open_link(&stack, &base, "E900", true).await;
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-form").await;
    // The token left the address bar as soon as the page read it.
    let now = b.client.current_url().await.unwrap();
    assert!(now.fragment().is_none_or(str::is_empty), "{now}");
    let lang: String = b
        .client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(lang, "ja");

    // A wrong check digit is caught as it is typed, before anything is sent.
    b.visible("#self-give").await.click().await.unwrap();
    let own = field(&b, "self.my_number").await;
    own.send_keys("1234 5678 9010").await.unwrap();
    let check = b.text_of("[data-check-for=\"self.my_number\"]").await;
    assert!(check.contains("誤り"), "{check}");
    own.clear().await.unwrap();
    // Full-width digits, as a Japanese phone keyboard types them.
    own.send_keys("１２３４５６７８９０１８").await.unwrap();
    b.text_containing("[data-check-for=\"self.my_number\"]", "正しい")
        .await;
    let select = |path: &'static str, value: &'static str| {
        let b = &b;
        async move {
            field(b, path)
                .await
                .select_by_value(value)
                .await
                .unwrap_or_else(|e| panic!("{path}={value}: {e}"));
        }
    };
    select("self.number_document", "notification_card").await;
    select("self.identity_document", "photo_id").await;

    // The spouse under 国民年金第3号 and one child.
    b.visible("#spouse-include").await.click().await.unwrap();
    field(&b, "spouse.my_number")
        .await
        .send_keys(N2)
        .await
        .unwrap();
    b.visible("#add-dependent").await.click().await.unwrap();
    field(&b, "dependents[0].label")
        .await
        .send_keys("長男")
        .await
        .unwrap();
    field(&b, "dependents[0].my_number")
        .await
        .send_keys(N3)
        .await
        .unwrap();

    b.visible("#submit").await.click().await.unwrap();
    b.visible("#panel-done").await;

    // What HR sees: three submissions awaiting review, the numbers as typed.
    let records = list(&stack, &Who::auditor("acme"), "E900").await;
    let items = records.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", records.raw);
    assert!(items.iter().all(|r| r["status"] == "pending_review"));
    let own_id = items.iter().find(|r| r["relation"] == "self").unwrap()["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{own_id}/confirm"))
                .who(&Who::registrar("acme"))
                .json(json!({"verification": {"number_check": "notification_card", "identity_check": "photo_id", "verified_on": "2026-04-01"}}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let r = reveal(&stack, &Who::handler("acme"), &own_id, "withholding_tax").await;
    assert_eq!(r.body["my_number"], N1, "full-width digits normalised");

    // Nothing of it stays in the browser: no storage, no inputs left filled.
    let stored = b
        .client
        .execute(
            "return localStorage.length + sessionStorage.length + document.cookie.length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stored, json!(0));
    let leftovers = b
        .client
        .execute(
            "return [...document.querySelectorAll('input')].filter(i => i.type !== 'radio' && i.type !== 'checkbox' && i.value).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(leftovers, json!(0));
    // A spent link says so when opened again (from elsewhere: a fragment-only change
    // would not load the page anew).
    b.client.goto("about:blank").await.unwrap();
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-invalid").await;
    b.close().await;
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_s_field_errors_are_shown_beside_their_fields() {
    let stack = Arc::new(Stack::new().await);
    let base = serve(stack.clone()).await;
    let url = open_link(&stack, &base, "E900", false).await;
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-form").await;
    // The family sections are not offered when the link did not ask for them.
    if let Ok(spouse) = b.client.find(Locator::Css("#spouse-include")).await {
        assert!(
            !spouse.is_displayed().await.unwrap(),
            "a spouse section on a link without family"
        );
    }
    // A refusal with a reason that holds a number: the server refuses it by field.
    b.visible("#self-refuse").await.click().await.unwrap();
    field(&b, "self.refusal.reason")
        .await
        .send_keys(&format!("番号は {N4} ですが出しません"))
        .await
        .unwrap();
    b.visible("#submit").await.click().await.unwrap();
    let message = b.text_of("[data-error-for=\"self.refusal.reason\"]").await;
    assert!(message.contains("番号"), "{message}");
    // Corrected, it goes through; the link is spent.
    let reason = field(&b, "self.refusal.reason").await;
    reason.clear().await.unwrap();
    reason.send_keys("提出を希望しません").await.unwrap();
    b.visible("#submit").await.click().await.unwrap();
    b.visible("#panel-done").await;
    let records = list(&stack, &Who::auditor("acme"), "E900").await;
    assert_eq!(
        records.body["items"][0]["status"], "refused",
        "{}",
        records.raw
    );
    // A link that opens nothing shows the invalid-link panel, never the form.
    b.client.goto("about:blank").await.unwrap();
    b.client
        .goto(&format!("{base}/collect#{}", "0".repeat(64)))
        .await
        .unwrap();
    b.visible("#panel-invalid").await;
    b.close().await;
}

/// A real 1×1 PNG, as a photo the browser can decode and preview.
pub(crate) const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_the_card_is_attached_previewed_uploaded_and_gone_after_review() {
    use base64::Engine;
    let stack = Arc::new(Stack::new().await);
    let base = serve(stack.clone()).await;
    let url = open_link(&stack, &base, "E900", false).await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(PNG_1X1)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("photo-{}", mynumber_tests::uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("card.png");
    std::fs::write(&file, &png).unwrap();

    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-form").await;
    b.visible("#self-give").await.click().await.unwrap();
    field(&b, "self.my_number")
        .await
        .send_keys(N1)
        .await
        .unwrap();
    choose_documents(&b).await;
    // The phone's camera is offered; the photo is previewed and uploaded at once.
    let input = b.visible("#doc-notification_card_front").await;
    assert_eq!(
        input.attr("capture").await.unwrap().as_deref(),
        Some("environment")
    );
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    let status = "#doc-notification_card_front-status";
    let mut state = String::new();
    for _ in polls() {
        state = b
            .client
            .find(Locator::Css(status))
            .await
            .unwrap()
            .attr("data-state")
            .await
            .unwrap()
            .unwrap_or_default();
        if state == "uploaded" || state == "error" {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(state, "uploaded", "{}", b.text_of(status).await);
    let preview = b.visible("#doc-notification_card_front-preview").await;
    let src = preview.attr("src").await.unwrap().unwrap_or_default();
    assert!(src.starts_with("blob:"), "{src}");
    b.visible("#submit").await.click().await.unwrap();
    b.visible("#panel-done").await;
    b.close().await;
    std::fs::remove_dir_all(&dir).ok();

    // HR sees the photo once while reviewing, confirms, and the bucket holds nothing.
    let records = list(&stack, &Who::auditor("acme"), "E900").await;
    let own_id = records.body["items"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hr = Who::registrar("acme");
    let docs = stack
        .call(
            req("GET", &format!("/v1/records/{own_id}/documents"))
                .who(&hr)
                .build(),
        )
        .await;
    assert_eq!(docs.status, 200, "{}", docs.raw);
    assert_eq!(docs.body["items"][0]["kind"], "notification_card_front");
    let doc = docs.body["items"][0]["document_id"].as_str().unwrap();
    let link = stack
        .call(
            req("GET", &format!("/v1/records/{own_id}/documents/{doc}"))
                .who(&hr)
                .build(),
        )
        .await;
    assert_eq!(link.status, 200, "{}", link.raw);
    let (status, _, body) =
        mynumber_tests::http("GET", link.body["url"].as_str().unwrap(), &[], vec![]).await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with(b"\x89PNG") || body.starts_with(b"\xff\xd8"),
        "an image"
    );
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{own_id}/confirm"))
                .who(&hr)
                .json(json!({"verification": {"number_check": "notification_card", "identity_check": "photo_id", "verified_on": "2026-04-01"}}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(
        stack.bucket_keys().await.is_empty(),
        "the photo no longer exists"
    );
    stack.assert_no_plaintext(&[N1]).await;
}

/// What the page shows that is still Japanese (texts a person sees or hears: visible text,
/// the title, labels read out and image descriptions), the language switch's 日本語 aside.
async fn japanese_left(b: &Browser) -> Vec<String> {
    let found = b
        .client
        .execute(
            r#"const jp = /[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]/;
               const seen = [document.title, ...document.body.innerText.split('\n')];
               for (const el of document.querySelectorAll('[aria-label], [alt], [title]')) {
                 for (const a of ['aria-label', 'alt', 'title']) seen.push(el.getAttribute(a) || '');
               }
               return seen.map((s) => s.trim()).filter((s) => jp.test(s) && s !== '日本語');"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_in_english_gets_the_form_in_english_and_can_switch_to_japanese() {
    let stack = Arc::new(Stack::new().await);
    let base = serve(stack.clone()).await;
    let url = open_link(&stack, &base, "E900", true).await;
    let b = Browser::start_in("en-US").await;
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-form").await;
    // English, from the browser's language, before anything is typed.
    let lang = b
        .client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("en"));
    b.text_containing("h1", "Submit your My Number").await;
    b.text_containing("#language", "日本語").await;
    assert_eq!(japanese_left(&b).await, Vec::<String>::new());
    // Every wording the form can show from the shared labels has its English, also those
    // this journey does not meet (other purposes and documents, other field errors).
    let missing = b
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               Promise.all([import('/collect/english.js'), import('/collect/labels.js')]).then(([en, l]) => {
                 const fields = {
                   my_number: ['required', 'length', 'non_digit', 'check_digit', 'duplicate'],
                   label: ['required', 'length', 'formula', 'contains_number', 'charset'],
                   'refusal.reason': ['required', 'length', 'contains_number'],
                   number_document: ['required', 'enum'],
                   identity_document: ['required', 'enum', 'combination'],
                 };
                 const offered = ['my_number_card', 'photo_id', 'two_documents', 'jpki'];
                 const wanted = [
                   ...Object.values(l.PURPOSES), ...Object.values(l.NUMBER_CHECKS),
                   ...offered.map((k) => l.IDENTITY_CHECKS[k]), ...Object.values(l.NUMBER_CHECK_TEXT),
                   ...Object.entries(fields).flatMap(([f, rules]) => rules.map((r) => l.ruleMessage(f, r))),
                   l.GENERIC_RULE,
                 ];
                 done({ read: wanted.length, missing: wanted.filter((w) => !en.WORDS.has(w)) });
               }, (e) => done({ read: 0, missing: ['import failed: ' + e] }));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(missing["missing"], json!([]));
    assert!(missing["read"].as_u64().unwrap() > 30, "{missing}");

    // The live check, the documents' photos and a dependant's row, all in English.
    let own = field(&b, "self.my_number").await;
    own.send_keys("1234 5678 9010").await.unwrap();
    b.text_containing("[data-check-for=\"self.my_number\"]", "check digit")
        .await;
    own.clear().await.unwrap();
    own.send_keys(N1).await.unwrap();
    b.text_containing("[data-check-for=\"self.my_number\"]", "correct")
        .await;
    choose_documents(&b).await;
    b.text_containing("#docs-needed", "Notification Card").await;
    b.visible("#add-dependent").await.click().await.unwrap();
    b.text_containing("#dependents legend", "Dependant 1").await;
    field(&b, "dependents[0].label")
        .await
        .send_keys("eldest son")
        .await
        .unwrap();
    // The dependant's number left out: the error beside it is in English.
    b.visible("#submit").await.click().await.unwrap();
    b.text_containing(
        "[data-error-for=\"dependents[0].my_number\"]",
        "Please enter the My Number",
    )
    .await;
    assert_eq!(japanese_left(&b).await, Vec::<String>::new());

    field(&b, "dependents[0].my_number")
        .await
        .send_keys(N3)
        .await
        .unwrap();
    b.visible("#submit").await.click().await.unwrap();
    b.visible("#panel-done").await;
    b.text_containing("#panel-done", "HR will check it").await;
    b.text_containing("#done-count", "Records submitted: 2")
        .await;
    assert_eq!(japanese_left(&b).await, Vec::<String>::new());

    // 日本語 puts the page back in Japanese, what was drawn in English included.
    b.visible("#language").await.click().await.unwrap();
    b.text_containing("h1", "マイナンバーの提出").await;
    b.text_containing("#done-count", "提出件数：2件").await;
    b.text_containing("#language", "English").await;
    let lang = b
        .client
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("ja"));
    b.close().await;

    let records = list(&stack, &Who::auditor("acme"), "E900").await;
    assert_eq!(
        records.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        records.raw
    );
}

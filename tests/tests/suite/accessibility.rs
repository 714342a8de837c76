//! Accessibility proven by axe-core's WCAG 2.1 A and AA rules: the employee's form in every
//! state an employee reaches (loaded, filled with family, with errors, refusing, done, an
//! unusable link), at a phone's 390 px and a laptop's 1280 px, in Japanese and in English.
//! The console's pages are checked in `console` (its own harness).

use super::*;
use crate::browser::{choose_documents, open_link};
use mynumber_tests::browser::{Browser, serve};
use std::sync::Arc;

/// Fails on any violation; says how many rules ran (the run's rule count, printed).
pub(crate) async fn assert_accessible(b: &Browser, what: &str) {
    let (violations, rules) = b.axe().await;
    assert!(violations.is_empty(), "{what}: {violations:#?}");
    assert!(rules > 20, "{what}: axe ran only {rules} rules");
    println!("axe: {what}: {rules} rules, 0 violations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_has_no_axe_violation_in_any_state_at_both_widths_and_languages() {
    let stack = Arc::new(Stack::new().await);
    let base = serve(stack.clone()).await;
    let runs = [(390, "ja"), (1280, "ja"), (390, "en-US"), (1280, "en-US")];
    for (i, (width, lang)) in runs.into_iter().enumerate() {
        let b = if width == 390 {
            Browser::start_in(lang).await
        } else {
            Browser::start_desktop_in(lang).await
        };
        let at = |state: &str| format!("form {width} px {lang} {state}");

        // Loaded, with the family parts; then filled in and with a dependant's row.
        let url = open_link(&stack, &base, &format!("E80{i}"), true).await;
        b.client.goto(&url).await.unwrap();
        b.visible("#panel-form").await;
        if i == 0 {
            // The check is not blind: an input without a label is a violation.
            b.client
                .execute("const p = document.createElement('input'); p.id = 'axe-probe'; document.querySelector('main').append(p)", vec![])
                .await
                .unwrap();
            let (violations, _) = b.axe().await;
            assert!(
                violations
                    .iter()
                    .any(|v| v.starts_with("label:") && v.contains("#axe-probe")),
                "{violations:?}"
            );
            b.client
                .execute("document.querySelector('#axe-probe').remove()", vec![])
                .await
                .unwrap();
        }
        assert_accessible(&b, &at("loaded")).await;
        b.visible("#spouse-include").await.click().await.unwrap();
        b.visible("#add-dependent").await.click().await.unwrap();
        choose_documents(&b).await;
        assert_accessible(&b, &at("family and photo slots")).await;
        // Sent empty: every field's error beside it.
        b.visible("#submit").await.click().await.unwrap();
        b.visible("[data-error-for=\"self.my_number\"]").await;
        assert_accessible(&b, &at("with errors")).await;
        b.visible("#self-refuse").await.click().await.unwrap();
        assert_accessible(&b, &at("refusing")).await;

        // Done: one's own number, sent.
        let url = open_link(&stack, &base, &format!("E81{i}"), false).await;
        b.client.goto("about:blank").await.unwrap();
        b.client.goto(&url).await.unwrap();
        b.visible("[data-field=\"self.my_number\"]")
            .await
            .send_keys(TEST_NUMBERS[i])
            .await
            .unwrap();
        choose_documents(&b).await;
        b.visible("#submit").await.click().await.unwrap();
        b.visible("#panel-done").await;
        assert_accessible(&b, &at("done")).await;

        // A link that opens nothing.
        b.client.goto("about:blank").await.unwrap();
        b.client
            .goto(&format!("{base}/collect#{}", "0".repeat(64)))
            .await
            .unwrap();
        b.visible("#panel-invalid").await;
        assert_accessible(&b, &at("invalid link")).await;
        b.close().await;
    }
}

/// The form with the keyboard alone, on a phone-sized window: from the top of the page, Tab
/// reaches every control with a visible focus, arrows choose, Enter sends; then at 200% zoom
/// (a 1280 px window's 640 CSS px) nothing scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_fills_the_form_with_the_keyboard_alone_and_it_reflows_when_zoomed() {
    let stack = Arc::new(Stack::new().await);
    let base = serve(stack.clone()).await;
    let url = open_link(&stack, &base, "E8101", false).await;
    let b = Browser::start().await;
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-form").await;
    b.client
        .execute("document.activeElement.blur()", vec![])
        .await
        .unwrap();
    // 提供する is the checked choice of its group: Tab lands on it.
    b.tab_to("#self-give").await;
    b.tab_to("[data-field=\"self.my_number\"]").await;
    b.press(N1).await;
    b.tab_to("[data-field=\"self.number_document\"]").await;
    b.arrow_to("notification_card").await;
    b.tab_to("[data-field=\"self.identity_document\"]").await;
    b.arrow_to("photo_id").await;
    b.tab_to("#submit").await;
    b.press("\u{E007}").await;
    b.visible("#panel-done").await;
    let records = list(&stack, &Who::auditor("acme"), "E8101").await;
    assert_eq!(
        records.body["items"][0]["status"], "pending_review",
        "{}",
        records.raw
    );
    b.close().await;

    // Zoomed to 200% on a 1280 px screen: 640 CSS px. (Headless Chromium's windows are
    // 500 px wide at least, so 400% cannot be laid out this way; the phone's 390 px is
    // every other test's.)
    let css_px = 640;
    let b = Browser::start_sized(css_px, 900, "ja").await;
    let url = open_link(&stack, &base, &format!("E82{css_px}"), true).await;
    b.client.goto(&url).await.unwrap();
    b.visible("#panel-form").await;
    // The widest the form gets: the spouse's part and a dependant's row open.
    b.visible("#spouse-include").await.click().await.unwrap();
    b.visible("#add-dependent").await.click().await.unwrap();
    b.visible("[data-field=\"dependents[0].label\"]").await;
    let width = b
        .client
        .execute("return window.innerWidth", vec![])
        .await
        .unwrap();
    assert_eq!(width, json!(css_px), "the window is {css_px} CSS px wide");
    let sideways = b
        .client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        sideways,
        json!(0),
        "{css_px} CSS px: the page scrolls sideways"
    );
    b.close().await;
}

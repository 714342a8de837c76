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

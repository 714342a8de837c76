//! A handler's reveal in the console: for a stated purpose only, and gone at once.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_sees_a_number_for_a_stated_purpose_only_and_not_for_long() {
    let c = Console::open("handler").await;
    let record_id = register(&c.stack, "E7101", N2).await;
    c.as_principal("handler").await;
    assert_eq!(
        c.nav().await,
        vec!["home", "employees", "reveal", "exports"]
    );

    c.page("reveal").await;
    c.fill("#rev-employee-id", "E7101").await;
    c.click("#rev-find").await;
    c.b.visible(&format!("#rev-record option[value=\"{record_id}\"]"))
        .await;
    c.choose("#rev-record", &record_id).await;

    // A purpose the record was not collected for is refused (and audited).
    c.choose("#rev-purpose", "payment_record").await;
    c.click("#rev-submit").await;
    c.b
        .visible("#rev-error [data-code=\"purpose_not_stated\"], #rev-error[data-code=\"purpose_not_stated\"]")
        .await;
    c.shot("reveal-refused").await;

    // A stated purpose shows the number, and 30 seconds later it is gone from the page.
    c.choose("#rev-purpose", "withholding_tax").await;
    c.click("#rev-submit").await;
    let shown = c.b.text_of("#rev-number").await;
    assert_eq!(shown.replace([' ', '-', '\n'], ""), N2);
    c.shot("reveal").await;
    c.emptied("#rev-number", Duration::from_secs(30) + patience())
        .await;
    let body = c.js("return document.body.innerText").await;
    assert!(
        !body.as_str().unwrap().contains(N2),
        "the page still shows the number"
    );
    // Both tries are in the audit: the refusal with the purpose asked for.
    let events = c.stack.audit_events();
    let denied = events.iter().find(|e| e["event"] == "denied").unwrap();
    assert_eq!(denied["purpose"], "payment_record");
    let shown = events.iter().find(|e| e["event"] == "reveal").unwrap();
    assert_eq!(shown["actor"], "payroll-suzuki");

    // Nothing of it stays in the page's storage or the browser's cache.
    let storage = c
        .js("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
        .await;
    assert!(!storage.as_str().unwrap().contains(N2), "{storage}");
    let caches =
        c.b.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
             caches.keys().then(k => done(k.length)).catch(() => done(0));",
                vec![],
            )
            .await
            .unwrap();
    assert_eq!(caches, json!(0));
    c.b.close_then(|profile| assert_no_number_under(profile, &[N2]))
        .await;
}

/// Each way the page promises to take a number off the screen before its 30 seconds:
/// 「今すぐ隠す」, a route change, the tab hidden, and leaving the page (coming back, from
/// the back-forward cache or not, shows no number). Each wait is far shorter than the timer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revealed_number_goes_at_once_on_hide_route_change_tab_hide_and_page_leave() {
    let c = Console::open("handler-hide").await;
    let record_id = register(&c.stack, "E7102", N3).await;
    c.as_principal("handler").await;
    c.page("reveal").await;
    c.fill("#rev-employee-id", "E7102").await;
    c.click("#rev-find").await;
    c.b.visible(&format!("#rev-record option[value=\"{record_id}\"]"))
        .await;
    c.choose("#rev-record", &record_id).await;
    c.choose("#rev-purpose", "withholding_tax").await;
    let reveal = || async {
        c.click("#rev-submit").await;
        let shown = c.b.text_of("#rev-number").await;
        assert_eq!(shown.replace([' ', '-', '\n'], ""), N3);
    };
    let soon = patience();
    assert!(soon < Duration::from_secs(30));

    reveal().await;
    c.click("#rev-hide").await;
    c.emptied("#rev-number", soon).await;

    reveal().await;
    c.page("employees").await;
    c.page("reveal").await;
    c.emptied("#rev-number", soon).await;

    reveal().await;
    c.js(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});\
          document.dispatchEvent(new Event('visibilitychange'));\
          delete document.visibilityState;",
    )
    .await;
    c.emptied("#rev-number", soon).await;

    reveal().await;
    let here = c.b.client.current_url().await.unwrap();
    c.b.client
        .goto(&format!(
            "{}collect",
            here.origin().ascii_serialization() + "/"
        ))
        .await
        .unwrap();
    c.b.client.back().await.unwrap();
    c.b.visible("#page-reveal, #dev-panel").await;
    c.emptied("#rev-number", soon).await;
    let body = c.js("return document.body.innerText").await;
    assert!(
        !body
            .as_str()
            .unwrap()
            .replace([' ', '-', '\n'], "")
            .contains(N3),
        "the number is back after leaving the page"
    );
    assert_eq!(
        c.stack
            .audit_events()
            .iter()
            .filter(|e| e["event"] == "reveal")
            .count(),
        4
    );
}

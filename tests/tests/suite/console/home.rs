//! ホーム: what needs doing and the deletions ahead, for every role.

use super::*;
use chrono::Duration;
use mynumber_domain::ports::Clock;

/// The home page is where each role lands: the registrar sees a submission awaiting review
/// (with a link to review it), an open link, and the 12 months' bars with the departure's
/// month counted; the handler sees the export awaiting approval; the admin has the page too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_shows_what_needs_doing_and_the_deletions_ahead() {
    let c = Console::open("home").await;
    let s = &c.stack;
    let (_, token) = crate::collections::open_link(s, "E7801", false).await;
    let sent =
        crate::collections::submit(s, &token, json!({"self": crate::collections::own(N1)})).await;
    assert_eq!(sent.status, 201, "{}", sent.raw);
    crate::collections::open_link(s, "E7802", false).await;
    register(s, "E7803", N2).await;
    let left_on = (s.clock.now() - Duration::days(7 * 365 - 60)).date_naive();
    let departure = s
        .call(
            req("POST", "/v1/employees/E7803/departure")
                .who(&Who::registrar(TENANT))
                .json(json!({"left_on": left_on.to_string()}))
                .build(),
        )
        .await;
    assert_eq!(departure.status, 200, "{}", departure.raw);
    let due_month = departure.body["records"][0]["due_at"].as_str().unwrap()[..7].to_owned();
    request_export(s, json!({"purpose": "withholding_tax", "all": true})).await;

    s.run_purge(&s.purge(), s.clock.now() + Duration::minutes(5))
        .await
        .unwrap();

    c.as_principal("registrar").await;
    assert_eq!(c.nav().await.first().map(String::as_str), Some("home"));
    c.b.visible("#page-home").await;
    let count = |task: &str| {
        let c = &c;
        let task = task.to_owned();
        async move {
            c.b.visible(&format!("#home-tasks li[data-task=\"{task}\"]"))
                .await
                .attr("data-count")
                .await
                .unwrap()
                .unwrap()
        }
    };
    c.b.text_containing("#home-summary", "現在").await;
    assert_eq!(count("review").await, "1");
    assert_eq!(count("open-links").await, "1");
    assert_eq!(count("expired-links").await, "0");
    assert_eq!(count("exports").await, "1");
    let purge = c.b.text_containing("#home-purge", "最後の実行").await;
    assert!(purge.contains("正常に終わりました"), "{purge}");
    let review = c.b.text_of("#home-tasks li[data-task=\"review\"]").await;
    assert!(review.contains("最も古い提出"), "{review}");
    let bars = c
        .js(
            "return [...document.querySelectorAll('#home-chart svg rect.bar')]\
             .map(r => [r.dataset.month, r.dataset.count])",
        )
        .await;
    let bars = bars.as_array().unwrap();
    assert_eq!(bars.len(), 12, "{bars:?}");
    for bar in bars {
        let want = if bar[0] == due_month.as_str() {
            "1"
        } else {
            "0"
        };
        assert_eq!(bar[1], want, "{bars:?}");
    }
    c.shot("home-registrar").await;
    crate::accessibility::assert_accessible(&c.b, "console home, registrar").await;
    // The count leads to the page where it is dealt with.
    c.click("#home-tasks li[data-task=\"review\"] a").await;
    c.b.visible("#page-review").await;

    // The export is a handler's to approve; the registrar's page offers no link to it.
    c.page("home").await;
    let exports = c.b.text_of("#home-tasks li[data-task=\"exports\"]").await;
    assert!(!exports.contains("開く"), "{exports}");
    c.as_principal("handler").await;
    c.b.visible("#page-home").await;
    c.click("#home-tasks li[data-task=\"exports\"] a").await;
    c.b.visible("#page-exports").await;
    c.as_principal("admin").await;
    assert!(c.nav().await.contains(&"home".to_owned()));
    c.close().await;
}

//! 取扱状況 in the console: the auditor filters the record of handling and downloads it.

use super::*;
use mynumber_domain::ports::Clock;

/// A handler's reveal and a refused one are in the record of handling the auditor reads:
/// filtered by kind, and downloaded as CSV with every event and no number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_filters_the_record_of_handling_and_downloads_it() {
    let c = Console::open("handling").await;
    let a = register(&c.stack, "E7701", N1).await;
    let handler = Who::handler(TENANT);
    assert_eq!(
        reveal(&c.stack, &handler, &a, "withholding_tax")
            .await
            .status,
        200
    );
    c.stack
        .set_now(c.stack.clock.now_plus(chrono::Duration::seconds(1)));
    let refused = reveal(&c.stack, &handler, &a, "payment_record").await;
    assert_eq!(refused.status, 403, "{}", refused.raw);

    c.as_principal("registrar").await;
    assert!(!c.nav().await.contains(&"handling".to_owned()));
    c.as_principal("auditor").await;
    c.page("handling").await;
    // The stack's day, not the browser's today.
    let day = (c.stack.clock.now() + chrono::Duration::hours(9))
        .format("%Y-%m-%d")
        .to_string();
    c.js(&format!(
        "for (const id of ['hand-from', 'hand-to']) document.getElementById(id).value = '{day}';"
    ))
    .await;
    c.click("#hand-load").await;
    c.b.text_containing("#hand-summary", "2件").await;
    let rows = c.b.text_of("#hand-table tbody").await;
    assert!(rows.contains("番号の表示"), "{rows}");
    assert!(rows.contains("拒否された操作"), "{rows}");
    assert!(rows.contains("利用目的にない目的"), "{rows}");
    assert!(rows.contains("E7701"), "{rows}");
    c.shot("handling").await;
    crate::accessibility::assert_accessible(&c.b, "console handling, listed").await;

    c.choose("#hand-event", "denied").await;
    c.click("#hand-load").await;
    c.b.text_containing("#hand-summary", "1件").await;
    assert!(
        !c.b.text_of("#hand-table tbody")
            .await
            .contains("番号の表示")
    );

    c.choose("#hand-event", "").await;
    c.click("#hand-csv").await;
    let csv = downloaded(&c.b.downloads_dir(), "csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("日時（UTC）（time）,種類（event）"),
        "{text}"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains(",denied,") && lines[1].contains("purpose_not_stated"),
        "{text}"
    );
    assert!(
        lines[2].contains(",reveal,") && lines[2].contains(",authorized,"),
        "{text}"
    );
    assert!(!text.contains(N1), "the record of handling holds no number");
    c.close().await;
}

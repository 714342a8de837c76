//! The record of handling (取扱状況, `GET /v1/handling`) against moto: every reveal, the
//! numbers of an export's file and refused reveals, read back by an auditor, filtered and
//! paged across days, in the caller's tenant only.

use super::*;
use chrono::Duration;
use mynumber_domain::ports::Clock;

/// The auditor's listing of `query` (pairs), every page followed; the items and the
/// number of pages.
async fn handling(stack: &Stack, who: &Who, query: &[(&str, &str)]) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=50 {
        let mut r = req("GET", "/v1/handling").who(who);
        for (k, v) in query {
            r = r.query(k, v);
        }
        if let Some(c) = &cursor {
            r = r.query("cursor", c);
        }
        let reply = stack.call(r.build()).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        items.extend(reply.body["items"].as_array().unwrap().iter().cloned());
        cursor = reply.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return (items, pages);
        }
    }
    panic!("more than 50 pages");
}

fn kinds(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Two days of handling: reveals by two handlers, a refused reveal (purpose not stated),
/// an export's file. The auditor reads them newest first over the period, by person, by
/// employee, by purpose and by kind, one at a time across the day boundary; no number is
/// in any of it; a registrar may not read it and another tenant sees nothing.
#[tokio::test]
async fn an_auditor_reads_every_reveal_and_refusal_of_a_period() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let suzuki = Who::handler("acme");
    let kato = Who::new("payroll-kato", "acme", &["handler"]);
    let auditor = Who::auditor("acme");
    let a = register(&stack, &hr, own_number("E4001", TEST_NUMBERS[0])).await;
    let b = register(&stack, &hr, own_number("E4002", TEST_NUMBERS[1])).await;
    let (a, b) = (
        a.body["record_id"].as_str().unwrap().to_owned(),
        b.body["record_id"].as_str().unwrap().to_owned(),
    );
    // Day 1 (JST): suzuki reveals A; a refused reveal of A for a purpose not stated.
    let day1 = stack.clock.now();
    assert_eq!(
        reveal(&stack, &suzuki, &a, "withholding_tax").await.status,
        200
    );
    stack.set_now(day1 + Duration::seconds(1));
    let refused = reveal(&stack, &suzuki, &a, "payment_record").await;
    assert_problem(&refused, 403, "purpose_not_stated");
    // Day 2: kato reveals B, then suzuki exports everyone's, approved by kato.
    stack.set_now(day1 + Duration::days(1));
    assert_eq!(
        reveal(&stack, &kato, &b, "social_insurance").await.status,
        200
    );
    stack.set_now(day1 + Duration::days(1) + Duration::seconds(1));
    let export = stack
        .call(
            req("POST", "/v1/exports")
                .who(&suzuki)
                .json(json!({"purpose": "withholding_tax", "all": true}))
                .build(),
        )
        .await;
    let id = export.body["export_id"].as_str().unwrap().to_owned();
    let approved = stack
        .call(
            req("POST", &format!("/v1/exports/{id}/approve"))
                .who(&kato)
                .build(),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.raw);
    stack.set_now(day1 + Duration::days(1) + Duration::seconds(2));
    let file = stack
        .call(
            req("GET", &format!("/v1/exports/{id}/file"))
                .who(&suzuki)
                .build(),
        )
        .await;
    assert_eq!(file.status, 200, "{}", file.raw);

    let jst =
        |t: chrono::DateTime<chrono::Utc>| (t + Duration::hours(9)).format("%Y-%m-%d").to_string();
    let (from, to) = (jst(day1), jst(day1 + Duration::days(1)));
    let period = [("from", from.as_str()), ("to", to.as_str())];
    let (all, _) = handling(&stack, &auditor, &period).await;
    // Newest first: the export's two numbers, kato's reveal, the refusal, suzuki's reveal.
    assert_eq!(
        kinds(&all),
        [
            ("reveal", "authorized"),
            ("reveal", "authorized"),
            ("reveal", "authorized"),
            ("denied", "denied"),
            ("reveal", "authorized"),
        ]
        .map(|(k, o)| (k.to_owned(), o.to_owned())),
        "{all:#?}"
    );
    assert_eq!(all[0]["export_id"], id.as_str());
    assert_eq!(all[2]["actor"], "payroll-kato");
    assert_eq!(all[3]["reason"], "purpose_not_stated");
    assert_eq!(all[3]["purpose"], "payment_record");
    assert_eq!(all[4]["record_id"], a.as_str());
    let text = serde_json::to_string(&all).unwrap();
    for n in TEST_NUMBERS {
        assert!(!text.contains(n), "the record of handling holds a number");
    }

    // One at a time: every event once, across the day boundary, in the same order.
    let (one_by_one, pages) =
        handling(&stack, &auditor, &[period[0], period[1], ("limit", "1")]).await;
    assert_eq!(one_by_one, all);
    assert!(pages >= 5, "{pages} pages");

    // Filters.
    let by = |extra: (&'static str, &'static str)| {
        let stack = &stack;
        let auditor = &auditor;
        async move {
            handling(stack, auditor, &[period[0], period[1], extra])
                .await
                .0
        }
    };
    assert_eq!(by(("actor", "payroll-kato")).await.len(), 1);
    assert_eq!(
        by(("employee_id", "E4001")).await.len(),
        3,
        "A's reveal, refusal and export"
    );
    assert_eq!(by(("purpose", "social_insurance")).await.len(), 1);
    assert_eq!(
        kinds(&by(("event", "denied")).await),
        [("denied".to_owned(), "denied".to_owned())]
    );
    // The first day alone.
    let (first, _) = handling(&stack, &auditor, &[("from", &from), ("to", &from)]).await;
    assert_eq!(first.len(), 2);

    // Only auditors; only the caller's tenant; periods run forward and last a year at most.
    let listing = |who: &Who, q: &[(&str, &str)]| {
        let mut r = req("GET", "/v1/handling").who(who);
        for (k, v) in q {
            r = r.query(k, v);
        }
        stack.call(r.build())
    };
    assert_problem(&listing(&hr, &period).await, 403, "forbidden_role");
    assert_problem(&listing(&suzuki, &period).await, 403, "forbidden_role");
    let elsewhere = listing(&Who::auditor("globex"), &period).await;
    assert_eq!(elsewhere.body["items"], json!([]), "{}", elsewhere.raw);
    let backwards = listing(&auditor, &[("from", &to), ("to", &from)]).await;
    assert_eq!(
        backwards.field_errors(),
        [("from".to_owned(), "after_to".to_owned())]
    );
    let long = listing(&auditor, &[("from", "2025-01-01"), ("to", "2026-01-02")]).await;
    assert_eq!(long.field_errors(), [("to".to_owned(), "range".to_owned())]);
    let odd = listing(
        &auditor,
        &[("from", "2026-02-30"), ("to", &to), ("cursor", "x!")],
    )
    .await;
    assert_eq!(
        odd.field_errors(),
        [
            ("from".to_owned(), "date".to_owned()),
            ("cursor".to_owned(), "cursor".to_owned())
        ]
    );
    assert_problem(
        &listing(&auditor, &[("from", &from)]).await,
        400,
        "invalid_request",
    );
}

/// The home page's counts (`GET /v1/summary`): a submission awaiting review and when it
/// came, a link open and one expired with nothing sent, an export awaiting approval, a
/// departure's due month among the next 12; another tenant's count nothing of it.
#[tokio::test]
async fn the_home_page_counts_what_needs_doing_and_what_falls_due() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    // A link left to expire, then a month later another open one and a submission.
    crate::collections::open_link(&stack, "E5001", false).await;
    stack.set_now(stack.clock.now_plus(Duration::days(40)));
    crate::collections::open_link(&stack, "E5002", false).await;
    let (_, token) = crate::collections::open_link(&stack, "E5003", false).await;
    let submitted_at = stack.clock.now();
    let sent = crate::collections::submit(
        &stack,
        &token,
        json!({"self": crate::collections::own(TEST_NUMBERS[2])}),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.raw);
    // A number registered for someone who left seven years ago less a few months: due
    // within the year.
    assert_eq!(
        register(&stack, &hr, own_number("E5004", TEST_NUMBERS[0]))
            .await
            .status,
        201
    );
    let left_on = (stack.clock.now() - Duration::days(7 * 365 - 90)).date_naive();
    let departure = stack
        .call(
            req("POST", "/v1/employees/E5004/departure")
                .who(&hr)
                .json(json!({"left_on": left_on.to_string()}))
                .build(),
        )
        .await;
    assert_eq!(departure.status, 200, "{}", departure.raw);
    let due_month = departure.body["records"][0]["due_at"].as_str().unwrap()[..7].to_owned();
    register(&stack, &hr, own_number("E5005", TEST_NUMBERS[1])).await;
    let export = stack
        .call(
            req("POST", "/v1/exports")
                .who(&Who::handler("acme"))
                .json(json!({"purpose": "withholding_tax", "all": true}))
                .build(),
        )
        .await;
    assert_eq!(export.status, 201, "{}", export.raw);

    let read = || stack.call(req("GET", "/v1/summary").who(&Who::handler("acme")).build());
    assert_eq!(read().await.body["last_purge"], Value::Null, "no run yet");
    // The daily purge runs (nothing is due yet): its outcome is on the page.
    let ran_at = stack.clock.now();
    stack
        .run_purge(&stack.purge(), ran_at + Duration::minutes(5))
        .await
        .unwrap();
    let summary = read().await;
    assert_eq!(summary.status, 200, "{}", summary.raw);
    let s = &summary.body;
    assert_eq!(s["last_purge"]["outcome"], "success", "{s}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(s["last_purge"]["at"].as_str().unwrap()).unwrap(),
        ran_at
    );
    assert!(s["last_purge"].get("reason").is_none(), "{s}");
    assert_eq!(s["review"]["pending_records"], 1, "{s}");
    let oldest = s["review"]["oldest_submitted_at"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(oldest).unwrap(),
        submitted_at,
        "{s}"
    );
    assert_eq!(s["collections"]["open"], 1, "{s}");
    assert_eq!(s["collections"]["expired_unsubmitted"], 1, "{s}");
    assert_eq!(s["exports"]["pending_approval"], 1, "{s}");
    assert_eq!(s["complete"], true);
    let months = s["due_by_month"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    let today = s["today"].as_str().unwrap();
    assert_eq!(months[0]["month"], today[..7], "this month first");
    for m in months {
        let want = u64::from(m["month"] == due_month.as_str());
        assert_eq!(m["count"], want, "{s}");
    }
    let text = summary.raw.clone();
    for n in TEST_NUMBERS {
        assert!(!text.contains(n));
    }

    // Another tenant: nothing of acme's.
    let other = stack
        .call(
            req("GET", "/v1/summary")
                .who(&Who::auditor("globex"))
                .build(),
        )
        .await;
    assert_eq!(other.body["review"]["pending_records"], 0, "{}", other.raw);
    assert_eq!(other.body["collections"]["open"], 0);
    assert_eq!(other.body["exports"]["pending_approval"], 0);
}

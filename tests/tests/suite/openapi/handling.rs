//! The record of handling (取扱状況).

use super::*;
use mynumber_domain::ports::Clock;

/// `GET /v1/handling` over the day of the stack's clock (its reveals are in the trail).
pub(super) async fn handling_routes(c: &mut Checker, stack: &Stack) {
    let day = (stack.clock.now() + chrono::Duration::hours(9))
        .format("%Y-%m-%d")
        .to_string();
    let auditor = Who::auditor("acme");
    let list = |who: Option<&Who>, q: &[(&str, &str)]| {
        let mut r = req("GET", "/v1/handling");
        if let Some(w) = who {
            r = r.who(w);
        }
        for (k, v) in q {
            r = r.query(k, v);
        }
        r.build()
    };
    let period = [("from", day.as_str()), ("to", day.as_str())];
    let ok = stack.call(list(Some(&auditor), &period)).await;
    assert!(
        !ok.body["items"].as_array().unwrap().is_empty(),
        "{}",
        ok.raw
    );
    for r in [
        ok,
        stack
            .call(list(
                Some(&auditor),
                &[period[0], period[1], ("limit", "1")],
            ))
            .await,
        stack
            .call(list(Some(&auditor), &[("from", day.as_str())]))
            .await,
        stack.call(list(None, &period)).await,
        stack
            .call(list(Some(&Who::registrar("acme")), &period))
            .await,
    ] {
        c.check("GET", "/v1/handling", &r);
    }
    let (_, no_table_lookup) = no_table(stack);
    let r = Reply::from_response(no_table_lookup.handle(list(Some(&auditor), &period)).await);
    assert_eq!(r.status, 503, "{}", r.raw);
    c.check("GET", "/v1/handling", &r);
}

/// `GET /v1/summary`: the home page's counts, for any role.
pub(super) async fn summary_routes(c: &mut Checker, stack: &Stack) {
    let get = |who: Option<&Who>, q: &[(&str, &str)]| {
        let mut r = req("GET", "/v1/summary");
        if let Some(w) = who {
            r = r.who(w);
        }
        for (k, v) in q {
            r = r.query(k, v);
        }
        r.build()
    };
    for r in [
        stack.call(get(Some(&Who::registrar("acme")), &[])).await,
        stack
            .call(get(Some(&Who::auditor("acme")), &[("x", "1")]))
            .await,
        stack.call(get(None, &[])).await,
        stack
            .call(get(Some(&Who::new("nobody", "acme", &[])), &[]))
            .await,
    ] {
        c.check("GET", "/v1/summary", &r);
    }
    let (_, no_table_lookup) = no_table(stack);
    let r = Reply::from_response(
        no_table_lookup
            .handle(get(Some(&Who::handler("acme")), &[]))
            .await,
    );
    assert_eq!(r.status, 503, "{}", r.raw);
    c.check("GET", "/v1/summary", &r);
}

//! The harness's own promises: its leak checks find what a test sent however it is
//! written, and a leak fails the test whose stack wrote it, not another.

use super::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// `n` as a log line might carry it: full-width digits in groups.
fn disguised(n: &str) -> String {
    let wide: String = n
        .chars()
        .map(|c| char::from_u32('０' as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    format!("{}－{}－{}", &wide[..12], &wide[12..24], &wide[24..])
}

#[tokio::test]
async fn a_leaked_number_fails_the_check_of_the_stack_that_wrote_it_and_only_that() {
    let leaky = Stack::new().await;
    let other = Stack::new().await;
    // A number of no fixed list: only the record of what the stack was sent knows it.
    let n = mynumber_tests::generated_number(4242, 99);
    let r = register(&leaky, &Who::registrar("acme"), own_number("E9001", &n)).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(leaky.sent.len(), 1);
    leaky.assert_logs_clean();

    leaky
        .scoped(async {
            tracing::error!(target: "mynumber_tests", "echoed {}", disguised(&n));
        })
        .await;
    let failed = catch_unwind(AssertUnwindSafe(|| leaky.assert_logs_clean()));
    assert!(failed.is_err(), "the leak went unnoticed");
    // Split over lines, which a JSON log line writes as `\n` escapes.
    let quiet = Stack::new().await;
    let r = register(&quiet, &Who::registrar("acme"), own_number("E9002", &n)).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    quiet
        .scoped(async {
            tracing::error!(target: "mynumber_tests", "echoed {}\n{}\n{}", &n[..4], &n[4..8], &n[8..]);
        })
        .await;
    let failed = catch_unwind(AssertUnwindSafe(|| quiet.assert_logs_clean()));
    assert!(failed.is_err(), "the leak over three lines went unnoticed");
    std::mem::forget(quiet);
    // Another test's stack is not failed by it.
    other.assert_logs_clean();
    // The leak is this test's own, already proven: the stack's drop must not fail again.
    std::mem::forget(leaky);
}

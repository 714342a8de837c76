//! The command as an auditor (or cron) runs it: exit status, formats, errors.

use std::io::Write;
use std::process::{Command, Stdio};

const QUIET: &str = r#"{"log_type":"audit","schema":"mynumber-vault.audit/1","event":"reveal","time":"2026-11-24T01:00:00.000Z","outcome":"success","actor":"suzuki","record_id":"11111111-1111-4111-8111-111111111111","purpose":"withholding_tax"}"#;
const LATE: &str = r#"{"log_type":"audit","schema":"mynumber-vault.audit/1","event":"reveal","time":"2026-11-24T14:00:00.000Z","outcome":"success","actor":"suzuki","record_id":"11111111-1111-4111-8111-111111111111","purpose":"withholding_tax"}"#;

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mynumber-audit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const RANGE: [&str; 4] = ["--since", "2026-11-24", "--until", "2026-11-25"];

#[test]
fn exit_status_says_whether_anomalies_were_found() {
    let (code, out, _) = run(&[&["review", "--file", "-"][..], &RANGE].concat(), QUIET);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Reveals by handler, purpose and day"));
    assert!(out.contains("suzuki"));
    // 23:00 JST is outside business hours.
    let (code, out, _) = run(
        &[&["review", "--file", "-"][..], &RANGE].concat(),
        &format!("{QUIET}\n{LATE}\n"),
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("reveal_out_of_hours"));
    // …unless the office works until midnight.
    let (code, _, _) = run(
        &[
            &["review", "--file", "-", "--business-hours", "08:00-23:59"][..],
            &RANGE,
        ]
        .concat(),
        &format!("{QUIET}\n{LATE}\n"),
    );
    assert_eq!(code, 0);
}

#[test]
fn json_and_csv_formats() {
    let (_, out, _) = run(
        &[&["review", "--file", "-", "--format", "json"][..], &RANGE].concat(),
        QUIET,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reveals"], 1);
    assert_eq!(v["reveals_by_handler_purpose_day"][0]["day"], "2026-11-24");
    let (_, out, _) = run(
        &[&["review", "--file", "-", "--format", "csv"][..], &RANGE].concat(),
        QUIET,
    );
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("section,day_or_time,principal,purpose_or_reason,record,value")
    );
    assert_eq!(
        lines.next(),
        Some("reveals_by_handler_purpose_day,2026-11-24,suzuki,withholding_tax,,1")
    );
}

#[test]
fn bad_arguments_are_errors() {
    for args in [
        vec!["review", "--format", "xml"],
        vec!["review", "--since", "yesterday"],
        vec!["review", "--since", "2026-11-25", "--until", "2026-11-24"],
        vec!["review", "--bogus"],
        vec!["frobnicate"],
    ] {
        let (code, _, err) = run(&args, "");
        assert_eq!(code, 1, "{args:?}");
        assert!(!err.is_empty());
    }
}

#[test]
fn queries_prints_the_saved_queries() {
    let (code, out, _) = run(&["queries"], "");
    assert_eq!(code, 0);
    for name in ["reveals", "denials", "disposals", "overdue"] {
        assert!(out.contains(&format!("# {name} ")), "{out}");
    }
}

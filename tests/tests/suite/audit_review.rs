//! The audit review over a generated stream of audit events, read back from moto's
//! CloudWatch Logs (as shipped there by function) and from a JSON-lines file: the same
//! report, with figures checked exactly.

use super::*;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use mynumber_audit::report::{Report, ReviewConfig, review};
use mynumber_audit::source;

fn offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).unwrap()
}

/// Day 0 of the stream: a Tuesday 3 to 9 days before today (JST), so every event, the one
/// past the range included, is in the past and inside the 14 days CloudWatch Logs (and
/// moto) accept — the test reads the same on any day it runs.
fn tuesday() -> NaiveDate {
    // Read once: a run that crosses midnight must not move the stream between its steps.
    static DAY: std::sync::OnceLock<NaiveDate> = std::sync::OnceLock::new();
    *DAY.get_or_init(|| {
        let mut d = Utc::now().with_timezone(&offset()).date_naive() - Days::new(3);
        while d.weekday() != Weekday::Tue {
            d = d - Days::new(1);
        }
        d
    })
}

/// `day` days after the stream's Tuesday, at `h:m` JST.
fn jst(day: u64, h: u32, m: u32) -> DateTime<Utc> {
    let d = tuesday() + Days::new(day);
    offset()
        .with_ymd_and_hms(d.year(), d.month(), d.day(), h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The stream's day `day` as the report writes it.
fn day(day: u64) -> String {
    (tuesday() + Days::new(day)).to_string()
}

const R1: &str = "11111111-1111-4111-8111-111111111111";
const R2: &str = "22222222-2222-4222-8222-222222222222";
const R3: &str = "33333333-3333-4333-8333-333333333333";
const RX: &str = "99999999-9999-4999-8999-999999999999";

fn ev(time: DateTime<Utc>, event: &str, outcome: &str, extra: Value) -> Value {
    let mut v = json!({
        "log_type": "audit", "schema": "mynumber-vault.audit/1", "event": event,
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "outcome": outcome,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    mynumber_tests::schema::assert_audit_event(&v);
    v
}

fn reveal(time: DateTime<Utc>, actor: &str, record: &str, purpose: &str) -> Value {
    ev(
        time,
        "reveal",
        "success",
        json!({"action": "reveal_number", "actor": actor, "tenant_id": "acme", "record_id": record, "purpose": purpose, "source_ip": "203.0.113.7"}),
    )
}

/// Two office days (a Tuesday and the Wednesday after it, JST), with diagnostics and EMF lines
/// mixed in as the real log groups have them.
fn stream() -> Vec<String> {
    let mut v = vec![
        reveal(jst(0, 10, 0), "suzuki", R1, "withholding_tax"),
        reveal(jst(0, 10, 5), "suzuki", R2, "withholding_tax"),
        reveal(jst(0, 11, 0), "suzuki", R3, "social_insurance"),
        reveal(jst(0, 22, 30), "suzuki", R1, "withholding_tax"), // out of hours
        reveal(jst(1, 9, 30), "kato", R1, "withholding_tax"),
        reveal(jst(1, 9, 45), "ito", R1, "withholding_tax"), // R1 now by 3 principals
        ev(jst(0, 12, 0), "reveal", "failed", json!({"action": "reveal_number", "actor": "suzuki", "reason": "dependency_failed", "record_id": R2, "purpose": "withholding_tax"})),
        ev(jst(0, 13, 0), "denied", "denied", json!({"action": "reveal_number", "actor": "suzuki", "tenant_id": "acme", "reason": "purpose_not_stated", "record_id": R2, "purpose": "payment_record", "source_ip": "203.0.113.7"})),
        ev(jst(0, 14, 0), "denied", "denied", json!({"action": "register_record", "actor": "sato", "tenant_id": "acme", "reason": "forbidden_role"})),
        ev(jst(0, 15, 0), "intake", "success", json!({"action": "register_record", "actor": "sato", "tenant_id": "acme", "record_id": R3, "employee_id": "E1"})),
        ev(jst(0, 16, 0), "disposal", "success", json!({"action": "dispose_record", "actor": "sato", "tenant_id": "acme", "record_id": R2, "employee_id": "E2", "reason": "no_longer_needed"})),
        ev(jst(0, 3, 0), "disposal", "failed", json!({"tenant_id": "acme", "record_id": RX, "employee_id": "E9", "reason": "retention_ended"})),
        ev(jst(0, 3, 0), "purge_run", "failed", json!({"count": 1, "remaining": 0, "reason": "disposal_failed"})),
        ev(jst(1, 3, 0), "disposal", "success", json!({"tenant_id": "acme", "record_id": R3, "employee_id": "E1", "reason": "retention_ended"})),
        ev(jst(1, 3, 0), "purge_run", "success", json!({"count": 1, "remaining": 4, "reason": "deadline"})),
        ev(jst(1, 3, 0), "advance_notice", "success", json!({"tenant_id": "acme", "count": 7})),
        // Outside the range: must not count.
        reveal(jst(2, 10, 0), "suzuki", R1, "withholding_tax"),
    ]
    .into_iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>();
    v.push(r#"{"level":"INFO","fields":{"message":"purge finished"},"target":"purge"}"#.into());
    v.push(r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"PurgeDisposed":1}"#.into());
    v
}

fn config() -> ReviewConfig {
    let mut c = ReviewConfig::new(jst(0, 0, 0), jst(2, 0, 0));
    c.max_reveals_per_day = 2;
    c.max_principals_per_record = 2;
    c
}

fn check(r: &Report) {
    assert_eq!(r.reveals, 6);
    let by: Vec<(String, String, String, u64)> = r
        .reveals_by_handler_purpose_day
        .iter()
        .map(|c| {
            (
                c.day.to_string(),
                c.actor.clone(),
                c.purpose.clone(),
                c.count,
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            (day(0), "suzuki".into(), "social_insurance".into(), 1),
            (day(0), "suzuki".into(), "withholding_tax".into(), 3),
            (day(1), "ito".into(), "withholding_tax".into(), 1),
            (day(1), "kato".into(), "withholding_tax".into(), 1),
        ]
    );
    let r1 = r
        .reveals_per_record
        .iter()
        .find(|x| x.record_id == R1)
        .unwrap();
    assert_eq!(
        (r1.reveals, r1.principals.clone()),
        (4, vec!["ito".to_owned(), "kato".into(), "suzuki".into()])
    );
    assert_eq!(r.denials.len(), 2);
    assert_eq!(r.out_of_hours_reveals.len(), 1);
    assert_eq!(
        r.out_of_hours_reveals[0].local_time,
        format!("{} Tue 22:30:00+09:00", day(0))
    );
    assert_eq!(r.heavy_revealers.len(), 1);
    assert_eq!(
        (
            r.heavy_revealers[0].actor.as_str(),
            r.heavy_revealers[0].records
        ),
        ("suzuki", 3)
    );
    assert_eq!(r.widely_revealed_records.len(), 1);
    assert_eq!(r.disposals.len(), 2);
    assert_eq!(r.disposals_by_reason.get("no_longer_needed"), Some(&1));
    assert_eq!(r.disposals_by_reason.get("retention_ended"), Some(&1));
    assert_eq!(
        r.disposals
            .iter()
            .find(|d| d.reason.as_deref() == Some("retention_ended"))
            .unwrap()
            .by,
        "schedule"
    );
    assert_eq!(r.purge_runs.len(), 2);
    assert_eq!(r.overdue.left_by_last_purge, 4);
    assert_eq!(r.overdue.failed_disposals, [RX]);
    assert!(r.overdue.days_without_purge.is_empty());
    let mut kinds: Vec<&str> = r.anomalies.iter().map(|a| a.kind).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "denial",
            "disposal_failed",
            "many_reveals_by_one_principal",
            "overdue_records",
            "purge_failed",
            "record_revealed_by_many",
            "reveal_out_of_hours"
        ]
    );
}

#[tokio::test]
async fn review_reads_cloudwatch_logs_by_function_and_pages() {
    let stack = Stack::new().await;
    let client = aws_sdk_cloudwatchlogs::Client::new(&stack.sdk);
    let prefix = format!("/aws/lambda/audit-{}", mynumber_tests::uuid_like());
    // One event older than the 14 days CloudWatch Logs takes: refused, and said so.
    let mut input = stream();
    let stale = jst(0, 10, 0) - chrono::Duration::days(30);
    input.push(reveal(stale, "suzuki", R1, "withholding_tax").to_string());
    let shipped = source::ship(&client, &prefix, input.join("\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        shipped,
        source::Shipped {
            shipped: 17,
            refused_lines: vec![input.len()]
        },
        "diagnostics and metrics lines are not audit events; a refused event is not shipped"
    );
    let groups: Vec<String> = ["intake", "lookup", "purge"]
        .iter()
        .map(|f| format!("{prefix}-{f}"))
        .collect();
    let events = source::from_cloudwatch(&client, &groups, jst(0, 0, 0), jst(2, 0, 0), Some(2))
        .await
        .unwrap();
    assert_eq!(events.len(), 16, "the range is applied when reading");
    let report = review(&events, &config());
    check(&report);
    // A log group that does not exist is an error, not an empty report.
    let missing = source::from_cloudwatch(
        &client,
        &[format!("{prefix}-nope")],
        jst(0, 0, 0),
        jst(2, 0, 0),
        None,
    )
    .await;
    assert!(missing.is_err());
}

#[test]
fn review_reads_a_json_lines_file_the_same_way() {
    let dir = std::env::temp_dir().join(format!("audit-{}", mynumber_tests::uuid_like()));
    std::fs::write(&dir, stream().join("\n")).unwrap();
    let events =
        source::from_lines(std::io::BufReader::new(std::fs::File::open(&dir).unwrap())).unwrap();
    let report = review(&events, &config());
    check(&report);
    // Lambda's JSON log records wrap the line in `message`: read through.
    let wrapped: String = stream()
        .iter()
        .map(|l| json!({"timestamp": "x", "level": "INFO", "message": l}).to_string() + "\n")
        .collect();
    let events = source::from_lines(wrapped.as_bytes()).unwrap();
    check(&review(&events, &config()));
    let _ = std::fs::remove_file(dir);
}

#[test]
fn a_quiet_day_has_no_anomalies_but_a_missing_purge_run_is_one() {
    let lines = [
        reveal(jst(0, 10, 0), "suzuki", R1, "withholding_tax").to_string(),
        ev(
            jst(0, 3, 0),
            "purge_run",
            "success",
            json!({"count": 0, "remaining": 0}),
        )
        .to_string(),
    ];
    let events = source::from_lines(lines.join("\n").as_bytes()).unwrap();
    let one_day = ReviewConfig::new(jst(0, 0, 0), jst(1, 0, 0));
    assert!(review(&events, &one_day).anomalies.is_empty());
    let two_days = ReviewConfig::new(jst(0, 0, 0), jst(2, 0, 0));
    let r = review(&events, &two_days);
    assert_eq!(r.overdue.days_without_purge.len(), 1);
    assert_eq!(r.anomalies[0].kind, "purge_missing");
}

/// The one event type, the schema and the review agree: an event built from the type with
/// every kind, outcome, reason, action, role and purpose meets the schema (with the
/// project's validator, patterns and formats included) and reads back unchanged.
#[test]
fn every_value_of_the_event_type_meets_the_schema_and_reads_back() {
    use mynumber_domain::audit::{AuditEvent, AuditKind, Caller, Outcome, Reason};
    use mynumber_domain::{Action, Principal, Purpose, RecordId, RequestId, Role, Subject};
    let n = AuditKind::ALL.len().max(Reason::ALL.len());
    let events: Vec<AuditEvent> = (0..n)
        .map(|i| {
            let caller = Caller {
                principal: Some(Principal {
                    sub: Subject::parse("payroll-suzuki").unwrap(),
                    tenant: mynumber_domain::TenantId::parse("acme").unwrap(),
                    roles: Role::ALL[..1 + i % Role::ALL.len()]
                        .iter()
                        .copied()
                        .collect(),
                }),
                request_id: Some(RequestId::parse("req-1").unwrap()),
                source_ip: Some("2001:db8::7".parse().unwrap()),
            };
            let action = Action::ALL[i % Action::ALL.len()];
            let mut e = AuditEvent::new(
                AuditKind::ALL[i % AuditKind::ALL.len()],
                Some(action),
                &caller,
                jst(0, 10, i as u32),
            );
            e.outcome = Outcome::ALL[i % Outcome::ALL.len()];
            e.reason = Some(Reason::ALL[i % Reason::ALL.len()]);
            e.record_id = Some(RecordId::new_random());
            e.employee_id = Some(mynumber_domain::EmployeeId::parse("E1").unwrap());
            e.relation = Some(mynumber_domain::record::RelationKind::ALL[i % 3]);
            e.purpose = Some(Purpose::ALL[i % Purpose::ALL.len()]);
            e.count = Some(i as u64);
            e.replaced_record_id = Some(RecordId::new_random());
            e.remaining = Some(0);
            e
        })
        .collect();
    let lines: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    for line in &lines {
        mynumber_tests::schema::assert_audit_event(&serde_json::from_str(line).unwrap());
    }
    let read = source::from_lines(lines.join("\n").as_bytes()).unwrap();
    assert_eq!(read, events);
    // A value outside the vocabularies stops the review rather than dropping the event.
    let odd = lines[0].replacen("\"outcome\":\"success\"", "\"outcome\":\"fine\"", 1);
    assert_ne!(odd, lines[0]);
    assert!(source::from_lines(odd.as_bytes()).is_err());
}

#[test]
fn exports_are_shown_and_a_download_without_a_second_approval_is_flagged() {
    const XA: &str = "0199a000-0000-4000-8000-00000000000a";
    const XB: &str = "0199a000-0000-4000-8000-00000000000b";
    let x = |t, event: &str, actor: &str, export: &str, count: Option<u64>| {
        let action = match event {
            "export_requested" => "request_export",
            "export_approved" => "approve_export",
            _ => "download_export",
        };
        let mut extra = json!({"action": action, "actor": actor, "tenant_id": "acme",
            "export_id": export, "purpose": "withholding_tax"});
        if let Some(n) = count {
            extra["count"] = json!(n);
        }
        ev(t, event, "success", extra)
    };
    let number = |t, record: &str, export: &str| {
        ev(
            t,
            "reveal",
            "success",
            json!({"action": "download_export", "actor": "suzuki", "tenant_id": "acme",
                "record_id": record, "purpose": "withholding_tax", "export_id": export}),
        )
    };
    let lines: Vec<String> = [
        x(jst(0, 10, 0), "export_requested", "suzuki", XA, Some(2)),
        x(jst(0, 10, 30), "export_approved", "kato", XA, None),
        x(jst(0, 11, 0), "export_downloaded", "suzuki", XA, Some(2)),
        number(jst(0, 11, 0), R1, XA),
        number(jst(0, 11, 0), R2, XA),
        // A download whose only approval is the requester's own.
        x(jst(0, 12, 0), "export_requested", "suzuki", XB, Some(1)),
        x(jst(0, 12, 5), "export_approved", "suzuki", XB, None),
        x(jst(0, 12, 10), "export_downloaded", "suzuki", XB, Some(1)),
        number(jst(0, 12, 10), R3, XB),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect();
    let events = source::from_lines(lines.join("\n").as_bytes()).unwrap();
    let mut cfg = ReviewConfig::new(jst(0, 0, 0), jst(1, 0, 0));
    cfg.max_reveals_per_day = 1;
    let r = review(&events, &cfg);
    assert_eq!(r.reveals, 3, "each number in a file is a reveal");
    assert!(
        r.heavy_revealers.is_empty(),
        "approved exports are not bulk reading"
    );
    assert_eq!(r.exports.len(), 2);
    let a = &r.exports[0];
    assert_eq!(a.export_id, XA);
    assert_eq!(a.requested_by.as_deref(), Some("suzuki"));
    assert_eq!(a.approved_by.as_deref(), Some("kato"));
    assert_eq!(a.downloaded_by.as_deref(), Some("suzuki"));
    assert_eq!((a.records, a.numbers), (Some(2), Some(2)));
    let flagged: Vec<&str> = r
        .anomalies
        .iter()
        .filter(|a| a.kind == "export_without_second_approval")
        .map(|a| a.detail.as_str())
        .collect();
    assert_eq!(flagged.len(), 1, "{:?}", r.anomalies);
    assert!(flagged[0].contains(XB));
    let text = mynumber_audit::render::to_table(&r);
    assert!(
        text.contains("Exports for filings") && text.contains("kato"),
        "{text}"
    );
}

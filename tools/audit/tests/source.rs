//! Reading log lines into the domain's `AuditEvent`: which lines are audit events, how
//! Lambda's JSON wrapper is read through, and that an audit line the type cannot read
//! stops the review instead of vanishing from it.

use mynumber_audit::source::{from_lines, function_of, parse_message};
use mynumber_domain::Action;
use mynumber_domain::audit::{AuditEvent, AuditKind, Caller, Outcome, Reason};
use serde_json::json;

const DISPOSAL: &str = r#"{"log_type":"audit","schema":"mynumber-vault.audit/1","event":"disposal","time":"2026-11-24T18:00:00.000Z","outcome":"success","reason":"ttl_backstop","tenant_id":"acme","record_id":"11111111-1111-4111-8111-111111111111","employee_id":"E1","relation":"dependent"}"#;

#[test]
fn audit_lines_read_as_the_domain_type() {
    let e = parse_message(DISPOSAL).unwrap().unwrap();
    assert_eq!(
        (e.event, e.outcome, e.reason, e.relation),
        (
            AuditKind::Disposal,
            Outcome::Success,
            Some(Reason::TtlBackstop),
            Some(mynumber_domain::record::RelationKind::Dependent)
        )
    );
    assert_eq!(serde_json::to_string(&e).unwrap(), DISPOSAL);
    let wrapped = json!({"timestamp": "x", "level": "INFO", "message": DISPOSAL}).to_string();
    assert_eq!(parse_message(&wrapped).unwrap(), Some(e.clone()));
    let object: serde_json::Value = serde_json::from_str(DISPOSAL).unwrap();
    let wrapped = json!({"level": "INFO", "message": object}).to_string();
    assert_eq!(parse_message(&wrapped).unwrap(), Some(e));
}

#[test]
fn other_lines_are_not_audit_events() {
    for line in [
        "",
        "START RequestId: 1 Version: $LATEST",
        r#"{"level":"INFO","fields":{"message":"purge finished"},"target":"purge"}"#,
        r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"PurgeDisposed":1}"#,
        r#"{"log_type":"diagnostic","event":"x"}"#,
        r#"{"message":"plain text"}"#,
        r#"{"time":"2026-11-24T00:00:00Z","type":"platform.start"}"#,
    ] {
        assert_eq!(parse_message(line), Ok(None), "{line}");
    }
}

#[test]
fn an_audit_line_the_type_cannot_read_is_an_error() {
    for (field, value) in [
        ("reason", json!("refused_by_fiat")),
        ("outcome", json!("ok")),
        ("schema", json!("mynumber-vault.audit/2")),
        ("employee_id", json!("123456789018")),
        ("note", json!("free text")),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(DISPOSAL).unwrap();
        v[field] = value;
        assert!(parse_message(&v.to_string()).is_err(), "{field}");
        let input = format!("{DISPOSAL}\n{v}\n");
        let err = from_lines(input.as_bytes()).unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
    }
}

#[test]
fn events_go_to_the_function_that_writes_them() {
    let now = chrono::Utc::now();
    let event = |action| AuditEvent::new(AuditKind::Registration, action, &Caller::default(), now);
    for &action in Action::ALL {
        let function = function_of(&event(Some(action)));
        let expected = match action {
            Action::ListRecords
            | Action::RevealNumber
            | Action::ListDisposals
            | Action::RequestExport
            | Action::ApproveExport
            | Action::DownloadExport
            | Action::ListExports
            | Action::ReadHandling
            | Action::ReadSummary => "lookup",
            Action::CreateCollection
            | Action::ListCollections
            | Action::CancelCollection
            | Action::ResendLink
            | Action::ConfirmRecord
            | Action::RejectRecord
            | Action::ReviewDocuments
            | Action::ManageNotifications
            | Action::ListNotifications => "review",
            Action::IssueCertificate | Action::ReadCertificates | Action::ManageOrganization => {
                "certify"
            }
            _ => "intake",
        };
        assert_eq!(function, expected, "{action:?}");
    }
    assert_eq!(function_of(&event(None)), "purge");
    let expired = AuditEvent::new(AuditKind::ExportExpired, None, &Caller::default(), now);
    assert_eq!(function_of(&expired), "lookup");
    // The employee's side of a link has no principal, so no action.
    for kind in [AuditKind::CollectionViewed, AuditKind::Submission] {
        let e = AuditEvent::new(kind, None, &Caller::default(), now);
        assert_eq!(function_of(&e), "collect");
    }
    // A link's mail is sent by the review for a registrar.
    let registrar = Caller {
        principal: Some(mynumber_domain::Principal {
            sub: mynumber_domain::Subject::parse("hr-1").unwrap(),
            tenant: mynumber_domain::TenantId::parse("acme").unwrap(),
            roles: [mynumber_domain::Role::Registrar].into(),
        }),
        ..Caller::default()
    };
    let sent = AuditEvent::new(AuditKind::NotificationSent, None, &registrar, now);
    assert_eq!(function_of(&sent), "review");
}

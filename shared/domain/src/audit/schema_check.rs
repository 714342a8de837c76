//! `docs/audit-event.schema.json` held to [`AuditEvent`]: the schema's vocabularies are the
//! enums' wire strings, its properties and `required` are the struct's fields, its id
//! patterns are the id types' rules, and events built from the type validate against it.
//! The wire format itself is pinned byte for byte.

use super::*;
use chrono::TimeZone;
use serde_json::{Value, json};

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/audit-event.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the schema exists"))
        .expect("the schema is JSON")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap() + chrono::Duration::milliseconds(123)
}

fn caller() -> Caller {
    Caller {
        principal: Some(Principal {
            sub: Subject::parse("payroll-suzuki").unwrap(),
            tenant: TenantId::parse("acme").unwrap(),
            roles: [Role::Handler, Role::Registrar].into_iter().collect(),
        }),
        request_id: Some(RequestId::parse("c0a8-req").unwrap()),
        source_ip: Some("203.0.113.7".parse().unwrap()),
    }
}

fn wire<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v).unwrap() {
        Value::String(s) => s,
        other => panic!("{other} is not a wire string"),
    }
}

fn wires<T: Serialize + Copy>(all: &[T]) -> Vec<String> {
    all.iter().copied().map(wire).collect()
}

/// The `i`th sample, with every field set (a struct literal, so a new field must be added
/// here) and each vocabulary's `i`th value, round robin.
fn full(i: usize) -> AuditEvent {
    fn pick<T: Copy>(all: &[T], i: usize) -> T {
        all[i % all.len()]
    }
    let roles = Role::ALL.iter().copied().take(1 + i % Role::ALL.len());
    AuditEvent {
        log_type: LogType::Audit,
        schema: SchemaVersion::V1,
        event: pick(AuditKind::ALL, i),
        time: AuditTime::new(now() + chrono::Duration::minutes(i as i64)),
        action: Some(pick(Action::ALL, i)),
        outcome: pick(Outcome::ALL, i),
        reason: Some(pick(Reason::ALL, i)),
        request_id: Some(RequestId::parse("c0a8:req/1+2=").unwrap()),
        actor: Some(Subject::parse("payroll.suzuki@acme:1+x").unwrap()),
        roles: Some(roles.collect()),
        tenant_id: Some(TenantId::parse("acme_jp-1").unwrap()),
        source_ip: Some(if i.is_multiple_of(2) {
            "203.0.113.7".parse().unwrap()
        } else {
            "2001:db8::7".parse().unwrap()
        }),
        record_id: Some(RecordId::new_random()),
        collection_id: Some(crate::collection::CollectionId::new_random()),
        document_id: Some(crate::document::DocumentId::new_random()),
        employee_id: Some(EmployeeId::parse("emp.2024-001_x").unwrap()),
        relation: Some(pick(RelationKind::ALL, i)),
        purpose: Some(pick(Purpose::ALL, i)),
        count: Some(i as u64),
        replaced_record_id: Some(RecordId::new_random()),
        remaining: Some(0),
        unchanged: Some(i as u64),
        failed: Some(1),
        dry_run: Some(i.is_multiple_of(2)),
        export_id: Some(crate::export::ExportId::new_at(now())),
        notification: Some(pick(crate::notification::NotificationKind::ALL, i)),
        recipient: Some(
            crate::notification::EmailAddress::parse("taro.yamada+vault@example.co.jp")
                .unwrap()
                .masked(),
        ),
        certificate_id: Some(crate::ids::CertificateId::new_at(now())),
    }
}

/// Every optional field `None`: what is always written.
fn bare() -> AuditEvent {
    AuditEvent {
        log_type: LogType::Audit,
        schema: SchemaVersion::V1,
        event: AuditKind::PurgeRun,
        time: AuditTime::new(now()),
        action: None,
        outcome: Outcome::Success,
        reason: None,
        request_id: None,
        actor: None,
        roles: None,
        tenant_id: None,
        source_ip: None,
        record_id: None,
        collection_id: None,
        document_id: None,
        employee_id: None,
        relation: None,
        purpose: None,
        count: None,
        replaced_record_id: None,
        remaining: None,
        unchanged: None,
        failed: None,
        dry_run: None,
        export_id: None,
        notification: None,
        recipient: None,
        certificate_id: None,
    }
}

fn samples() -> Vec<AuditEvent> {
    let n = [
        AuditKind::ALL.len(),
        Outcome::ALL.len(),
        Reason::ALL.len(),
        Action::ALL.len(),
        Role::ALL.len(),
        Purpose::ALL.len(),
        RelationKind::ALL.len(),
    ]
    .into_iter()
    .max()
    .unwrap();
    let mut v: Vec<AuditEvent> = (0..n).map(full).collect();
    v.push(bare());
    v.push(AuditEvent::new(
        AuditKind::Reveal,
        Some(Action::RevealNumber),
        &caller(),
        now(),
    ));
    v
}

#[test]
fn the_wire_format_is_pinned() {
    let mut e = AuditEvent::new(
        AuditKind::Reveal,
        Some(Action::RevealNumber),
        &caller(),
        now(),
    );
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"log_type":"audit","schema":"mynumber-vault.audit/1","event":"reveal","time":"2026-11-24T01:00:00.123Z","action":"reveal_number","outcome":"success","request_id":"c0a8-req","actor":"payroll-suzuki","roles":["registrar","handler"],"tenant_id":"acme","source_ip":"203.0.113.7"}"#
    );
    e.outcome = Outcome::NotFound;
    e.reason = Some((&VaultError::NotFound).into());
    e.record_id = Some(RecordId::parse("5d62e319-f859-4aca-b36a-eb9fa2889b5e").unwrap());
    e.employee_id = Some(EmployeeId::parse("E0001").unwrap());
    e.relation = Some(RelationKind::OwnNumber);
    e.purpose = Some(Purpose::WithholdingTax);
    e.count = Some(3);
    e.replaced_record_id = Some(RecordId::parse("11111111-1111-4111-8111-111111111111").unwrap());
    e.remaining = Some(0);
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"log_type":"audit","schema":"mynumber-vault.audit/1","event":"reveal","time":"2026-11-24T01:00:00.123Z","action":"reveal_number","outcome":"not_found","reason":"not_found","request_id":"c0a8-req","actor":"payroll-suzuki","roles":["registrar","handler"],"tenant_id":"acme","source_ip":"203.0.113.7","record_id":"5d62e319-f859-4aca-b36a-eb9fa2889b5e","employee_id":"E0001","relation":"self","purpose":"withholding_tax","count":3,"replaced_record_id":"11111111-1111-4111-8111-111111111111","remaining":0}"#
    );
    let mut run = AuditEvent::new(AuditKind::PurgeRun, None, &Caller::default(), now());
    assert_eq!(
        serde_json::to_string(&run).unwrap(),
        r#"{"log_type":"audit","schema":"mynumber-vault.audit/1","event":"purge_run","time":"2026-11-24T01:00:00.123Z","outcome":"success"}"#
    );
    run.reason = Some(DisposalReason::Error.into());
    assert!(
        serde_json::to_string(&run)
            .unwrap()
            .ends_with(r#","outcome":"success","reason":"error"}"#)
    );
    assert_eq!(&run.time[..10], "2026-11-24");
    assert_eq!(run.time.to_string(), "2026-11-24T01:00:00.123Z");
}

#[test]
fn events_read_back_as_written() {
    for e in samples() {
        let line = serde_json::to_string(&e).unwrap();
        let back: AuditEvent = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e);
        assert_eq!(serde_json::to_string(&back).unwrap(), line);
    }
    // Any RFC 3339 time reads; the instant is what counts.
    let mut v = serde_json::to_value(bare()).unwrap();
    v["time"] = json!("2026-11-24T10:00:00.123+09:00");
    let e: AuditEvent = serde_json::from_value(v).unwrap();
    assert_eq!(e.time.at(), now());
}

#[test]
fn reading_refuses_what_the_schema_refuses() {
    let good = serde_json::to_value(full(0)).unwrap();
    let refused = |k: &str, v: Value| {
        let mut e = good.clone();
        e[k] = v;
        serde_json::from_value::<AuditEvent>(e).is_err()
    };
    assert!(refused("reason", json!("refused_by_fiat")));
    assert!(refused("event", json!("Reveal")));
    assert!(refused("outcome", json!("ok")));
    assert!(refused("action", json!("delete_everything")));
    assert!(refused("relation", json!("cousin")));
    assert!(refused("purpose", json!("marketing")));
    assert!(refused("roles", json!(["root"])));
    assert!(refused("schema", json!("mynumber-vault.audit/2")));
    assert!(refused("log_type", json!("diagnostic")));
    assert!(refused("time", json!("yesterday")));
    assert!(refused("record_id", json!("not-a-uuid")));
    assert!(refused("employee_id", json!("123456789018")));
    assert!(refused("actor", json!("a b")));
    assert!(refused("source_ip", json!("localhost")));
    assert!(refused("count", json!(-1)));
    assert!(refused("note", json!("free text")));
    for required in ["log_type", "schema", "event", "time", "outcome"] {
        let mut e = good.clone();
        e.as_object_mut().unwrap().remove(required);
        assert!(
            serde_json::from_value::<AuditEvent>(e).is_err(),
            "{required}"
        );
    }
}

#[test]
fn reasons_keep_the_codes_they_stand_for() {
    for c in crate::error::ErrorCode::ALL {
        assert_eq!(Reason::parse(c.code()).map(Reason::code), Some(c.code()));
    }
    for d in [
        DisposalReason::NoLongerNeeded,
        DisposalReason::Withdrawn,
        DisposalReason::Error,
        DisposalReason::Replaced,
        DisposalReason::RetentionEnded,
        DisposalReason::TtlBackstop,
    ] {
        assert_eq!(Reason::from(d).code(), d.code(), "{d:?}");
        assert_eq!(DisposalReason::parse(d.code()), Some(d));
    }
    use crate::record::{DependentLabel, Relation};
    for r in [
        Relation::OwnNumber,
        Relation::Spouse,
        Relation::Dependent(DependentLabel::parse("長男").unwrap()),
    ] {
        assert!(RelationKind::ALL.contains(&r.kind()), "{r:?}");
    }
    // `code()` is the serde wire string for every vocabulary.
    fn same<T: Serialize + Copy>(all: &[T], code: fn(T) -> &'static str) {
        for v in all {
            assert_eq!(wire(*v), code(*v));
        }
    }
    same(LogType::ALL, LogType::code);
    same(SchemaVersion::ALL, SchemaVersion::code);
    same(AuditKind::ALL, AuditKind::code);
    same(Outcome::ALL, Outcome::code);
    same(Reason::ALL, Reason::code);
    same(RelationKind::ALL, RelationKind::code);
    same(Purpose::ALL, Purpose::code);
    assert_eq!(AUDIT_SCHEMA, "mynumber-vault.audit/1");
}

/// Every `enum` in the schema, by where it is.
fn schema_enums(v: &Value, at: &str, out: &mut Vec<(String, Vec<String>)>) {
    if let Some(obj) = v.as_object() {
        for (k, x) in obj {
            let here = format!("{at}/{k}");
            if k == "enum" {
                let values = x.as_array().expect("an enum is a list");
                out.push((
                    at.to_owned(),
                    values
                        .iter()
                        .map(|s| s.as_str().expect("enums are strings").to_owned())
                        .collect(),
                ));
            } else {
                schema_enums(x, &here, out);
            }
        }
    }
}

#[test]
fn every_schema_vocabulary_is_the_types_wire_strings() {
    let expected: Vec<(&str, Vec<String>)> = vec![
        ("/properties/log_type", wires(LogType::ALL)),
        ("/properties/schema", wires(SchemaVersion::ALL)),
        ("/properties/event", wires(AuditKind::ALL)),
        ("/properties/action", wires(Action::ALL)),
        ("/properties/outcome", wires(Outcome::ALL)),
        ("/properties/reason", wires(Reason::ALL)),
        ("/properties/roles/items", wires(Role::ALL)),
        ("/properties/relation", wires(RelationKind::ALL)),
        ("/properties/purpose", wires(Purpose::ALL)),
        (
            "/properties/notification",
            wires(crate::notification::NotificationKind::ALL),
        ),
    ];
    let mut found = Vec::new();
    schema_enums(&schema(), "", &mut found);
    let found_at: BTreeSet<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
    let expected_at: BTreeSet<&str> = expected.iter().map(|(at, _)| *at).collect();
    assert_eq!(
        found_at, expected_at,
        "every schema enum is one of the type's vocabularies"
    );
    for (at, values) in &found {
        let (_, want) = expected.iter().find(|(w, _)| w == at).unwrap();
        let unique: BTreeSet<&String> = values.iter().collect();
        assert_eq!(unique.len(), values.len(), "{at} repeats a value");
        let want: BTreeSet<&String> = want.iter().collect();
        assert_eq!(unique, want, "{at}");
    }
}

fn keys(e: &AuditEvent) -> BTreeSet<String> {
    match serde_json::to_value(e).unwrap() {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => unreachable!(),
    }
}

#[test]
fn schema_properties_and_required_are_the_fields() {
    let schema = schema();
    let props: BTreeSet<String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let required: BTreeSet<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys(&full(0)), props, "every field is a schema property");
    assert_eq!(keys(&bare()), required, "the fields always written");
    assert_eq!(schema["additionalProperties"], Value::Bool(false));
}

/// A pattern of the one shape the schema uses, `^[class]{1,max}$`, read as the set of
/// ASCII characters it allows and its maximum length.
fn read_pattern(p: &str) -> (BTreeSet<char>, usize) {
    fn unreadable<T>(p: &str) -> T {
        panic!("the check reads only ^[class]{{1,n}}$ patterns, not {p}")
    }
    let rest = p.strip_prefix("^[").unwrap_or_else(|| unreadable(p));
    let (class, rest) = rest.split_once(']').unwrap_or_else(|| unreadable(p));
    let max = rest
        .strip_prefix("{1,")
        .and_then(|r| r.strip_suffix("}$"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| unreadable(p));
    let c: Vec<char> = class.chars().collect();
    let mut allowed = BTreeSet::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '\\' {
            unreadable::<()>(p);
        }
        if i + 2 < c.len() && c[i + 1] == '-' {
            allowed.extend(c[i]..=c[i + 2]);
            i += 3;
        } else {
            allowed.insert(c[i]);
            i += 1;
        }
    }
    (allowed, max)
}

#[test]
fn id_patterns_are_the_id_types_rules() {
    let schema = schema();
    type Parses = fn(&str) -> bool;
    let ids: [(&str, Parses); 4] = [
        ("request_id", |s| RequestId::parse(s).is_ok()),
        ("actor", |s| Subject::parse(s).is_ok()),
        ("tenant_id", |s| TenantId::parse(s).is_ok()),
        ("employee_id", |s| EmployeeId::parse(s).is_ok()),
    ];
    let mut with_pattern = BTreeSet::new();
    for (k, v) in schema["properties"].as_object().unwrap() {
        if v.get("pattern").is_some() {
            with_pattern.insert(k.as_str());
        }
    }
    assert_eq!(
        with_pattern,
        ids.iter().map(|(k, _)| *k).collect::<BTreeSet<_>>()
    );
    for (field, parses) in ids {
        let (allowed, max) = read_pattern(schema["properties"][field]["pattern"].as_str().unwrap());
        for c in (' '..='~').chain(['é', '１']) {
            assert_eq!(
                parses(&format!("a{c}b")),
                allowed.contains(&c),
                "{field}: {c:?}"
            );
        }
        assert!(parses(&"a".repeat(max)), "{field}: {max} characters");
        assert!(
            !parses(&"a".repeat(max + 1)),
            "{field}: {} characters",
            max + 1
        );
        assert!(!parses(""), "{field}: empty");
    }
    for field in ["record_id", "replaced_record_id"] {
        assert_eq!(schema["properties"][field]["format"], "uuid");
    }
}

/// Appends every way `v` breaks `schema` to `errors`: the `jsonschema` crate, draft 2020-12,
/// every format asserted (the tests crate also walks the schema for unknown keywords).
fn validate(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .build(schema)
        .expect("the audit event schema compiles");
    errors.extend(
        validator
            .iter_errors(v)
            .map(|e| format!("{at}{}: {e}", e.instance_path())),
    );
}

#[test]
fn events_built_from_the_type_meet_the_schema() {
    let schema = schema();
    for e in samples() {
        let v = serde_json::to_value(&e).unwrap();
        let mut errors = Vec::new();
        validate(&schema, &v, "event", &mut errors);
        assert!(errors.is_empty(), "{errors:?}\n{v}");
    }
    // The check itself catches a stray value.
    let mut v = serde_json::to_value(full(1)).unwrap();
    v["reason"] = json!("refused_by_fiat");
    v["actor"] = json!("a b");
    let mut errors = Vec::new();
    validate(&schema, &v, "event", &mut errors);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

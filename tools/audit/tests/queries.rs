//! The saved Logs Insights queries: moto ignores `filter` and `stats`, so their texts are
//! checked here — every field they name and every value they compare with belongs to the
//! documented audit schema — and `infra/template.yaml` must install exactly these texts.

use mynumber_audit::queries::ALL;
use serde_json::Value;

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/audit-event.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn queries_name_only_schema_fields_and_values() {
    let schema = schema();
    let props = schema["properties"].as_object().unwrap();
    for q in ALL {
        let fields_line = q.text.lines().next().unwrap();
        assert!(fields_line.starts_with("fields @timestamp"), "{}", q.name);
        for f in fields_line
            .trim_start_matches("fields")
            .split(',')
            .map(str::trim)
        {
            assert!(
                f == "@timestamp" || props.contains_key(f),
                "{}: unknown field {f}",
                q.name
            );
        }
        assert!(
            q.text.contains(r#"log_type = "audit""#),
            "{} must keep to audit lines",
            q.name
        );
        // `field = "value"` comparisons use the schema's vocabularies.
        let mut rest = q.text;
        while let Some(i) = rest.find(" = \"") {
            let field = rest[..i]
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap();
            let value_start = i + 4;
            let value_end = value_start + rest[value_start..].find('"').unwrap();
            let value = &rest[value_start..value_end];
            let allowed = props[field]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: {field} has no vocabulary", q.name));
            assert!(
                allowed.contains(&Value::String(value.into())),
                "{}: {field} = {value}",
                q.name
            );
            rest = &rest[value_end..];
        }
        assert!(q.text.ends_with('\n') && !q.text.ends_with("\n\n"));
    }
}

/// The template holds each query text as a YAML block scalar, line for line.
#[test]
fn the_template_installs_exactly_these_queries() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/template.yaml");
    let template = std::fs::read_to_string(path).unwrap();
    for q in ALL {
        let first = q.text.lines().next().unwrap();
        let at = template
            .find(first)
            .unwrap_or_else(|| panic!("template lacks the {} query", q.name));
        let indent = &template[template[..at].rfind('\n').unwrap() + 1..at];
        assert!(
            indent.chars().all(|c| c == ' '),
            "{}: the query is not a block scalar",
            q.name
        );
        let block: String = q.text.lines().map(|l| format!("{indent}{l}\n")).collect();
        let start = at - indent.len();
        assert_eq!(
            &template[start..start + block.len()],
            block,
            "{}: template text differs",
            q.name
        );
        let after = &template[start + block.len()..];
        let next = after.lines().next().unwrap_or_default();
        assert!(
            !next.starts_with(indent) || next.trim().is_empty(),
            "{}: template has extra query lines",
            q.name
        );
    }
}

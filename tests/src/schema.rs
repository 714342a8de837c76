//! The project's JSON Schemas (the OpenAPI document's and the audit event's) checked by the
//! `jsonschema` crate: draft 2020-12, every format asserted and an unknown format an error.
//! First a strict walk: a schema keyword outside [`KEYWORDS`] fails, so no constraint the
//! documents state goes unchecked (`jsonschema`, as the standard says, ignores keywords it
//! does not know).

use serde_json::{Value, json};
use std::sync::OnceLock;

/// The keywords the documents may use: each one `jsonschema` implements for draft 2020-12,
/// or an annotation that constrains nothing (`title`, `description`, `default`, `examples`).
pub const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "required",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "items",
    "prefixItems",
    "contains",
    "minItems",
    "maxItems",
    "uniqueItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
];

/// The formats the documents use, each asserted: `date`, `date-time`, `uuid` and `ipv4` /
/// `ipv6` as the crate knows them, and the project's own `my-number` (SPEC §2.1).
fn options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_format("my-number", |s: &str| {
            mynumber_domain::MyNumber::parse(s).is_ok()
        })
}

/// Fails on the first keyword of a schema (at `at`) that is not one of [`KEYWORDS`],
/// following every place a schema holds schemas.
pub fn assert_known_keywords(schema: &Value, at: &str) {
    let Some(obj) = schema.as_object() else {
        return; // `true` / `false`
    };
    for (k, v) in obj {
        assert!(
            KEYWORDS.contains(&k.as_str()),
            "{at}: the keyword {k:?} is not one the schema checks know"
        );
        let here = format!("{at}/{k}");
        match k.as_str() {
            "properties" | "$defs" | "patternProperties" | "dependentSchemas" => {
                for (name, s) in v.as_object().into_iter().flatten() {
                    assert_known_keywords(s, &format!("{here}/{name}"));
                }
            }
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    assert_known_keywords(s, &format!("{here}/{i}"));
                }
            }
            "additionalProperties"
            | "items"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "propertyNames" => assert_known_keywords(v, &here),
            _ => {}
        }
    }
}

/// `#/components/schemas/X` becomes `#/$defs/X`, everywhere in `v`.
fn rebase_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                *r = format!("#/$defs/{name}");
            }
            m.values_mut().for_each(rebase_refs);
        }
        Value::Array(a) => a.iter_mut().for_each(rebase_refs),
        _ => {}
    }
}

/// The OpenAPI document's `components.schemas` as `$defs`, keyword-checked once per document.
fn definitions(root: &Value) -> Value {
    let mut defs = root["components"]["schemas"].clone();
    assert_known_keywords(&json!({ "$defs": defs.clone() }), "#/components/schemas");
    rebase_refs(&mut defs);
    defs
}

/// Appends to `errors` every way `v` breaks `schema`, a schema of the OpenAPI document
/// `root` (its `$ref`s point into `#/components/schemas/`), each prefixed with `at`.
pub fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    assert_known_keywords(schema, at);
    let mut schema = schema.clone();
    rebase_refs(&mut schema);
    let whole = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": definitions(root),
        "allOf": [schema],
    });
    let validator = options()
        .build(&whole)
        .unwrap_or_else(|e| panic!("{at}: the schema does not compile: {e}"));
    errors.extend(
        validator
            .iter_errors(v)
            .map(|e| format!("{at}{}: {e}", e.instance_path())),
    );
}

/// `docs/audit-event.schema.json`, read once.
pub fn audit_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/audit-event.schema.json"
        );
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the audit schema exists"))
                .expect("the audit schema is JSON");
        assert_known_keywords(&schema, "docs/audit-event.schema.json");
        schema
    })
}

/// Panics unless `event` is a valid audit event.
pub fn assert_audit_event(event: &Value) {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        options()
            .build(audit_schema())
            .expect("the audit schema compiles")
    });
    let errors: Vec<String> = validator
        .iter_errors(event)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "audit event breaks docs/audit-event.schema.json: {errors:?}\n{event}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(schema: Value, v: Value) -> Vec<String> {
        let root = json!({"components": {"schemas": {"Id": {"type": "string", "format": "uuid"}}}});
        let mut e = Vec::new();
        validate(&root, &schema, &v, "body", &mut e);
        e
    }

    #[test]
    fn limits_the_old_checker_skipped_are_enforced() {
        assert_eq!(
            errors(json!({"type": "string", "maxLength": 2}), json!("abc")).len(),
            1
        );
        assert_eq!(
            errors(json!({"type": "array", "minItems": 1}), json!([])).len(),
            1
        );
        assert_eq!(
            errors(json!({"type": "integer", "maximum": 3}), json!(4)).len(),
            1
        );
        assert_eq!(
            errors(json!({"$ref": "#/components/schemas/Id"}), json!("x")).len(),
            1
        );
        assert!(
            errors(
                json!({"type": "string", "format": "my-number"}),
                json!("123456789018")
            )
            .is_empty()
        );
        assert_eq!(
            errors(
                json!({"type": "string", "format": "my-number"}),
                json!("123456789010")
            )
            .len(),
            1
        );
    }

    #[test]
    #[should_panic(expected = "is not one the schema checks know")]
    fn an_unknown_keyword_fails() {
        errors(json!({"type": "string", "maxLenght": 2}), json!("abc"));
    }

    #[test]
    #[should_panic(expected = "does not compile")]
    fn an_unknown_format_fails() {
        errors(json!({"type": "string", "format": "phone"}), json!("x"));
    }
}

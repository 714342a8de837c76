//! The subset of JSON Schema the project's documents use: `$ref` (to
//! `#/components/schemas/…`), `type` (or a list), `enum`, `required`, `properties`,
//! `additionalProperties: false`, `items`, `pattern`, `minimum` and the formats `date`,
//! `date-time` and `uuid`.

use serde_json::Value;

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(root, &root["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Appends to `errors` every way `v` breaks `schema` (within `root` for `$ref`s).
pub fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(root, schema);
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: expected {types:?}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        errors.push(format!("{at}: not in enum"));
    }
    if let Some(s) = v.as_str() {
        if let Some(fmt) = schema.get("format").and_then(Value::as_str) {
            let ok = match fmt {
                "date" => mynumber_http::body::parse_date(s).is_ok(),
                "uuid" => mynumber_domain::RecordId::parse(s).is_ok(),
                "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: not a {fmt}"));
            }
        }
        if let Some(p) = schema.get("pattern").and_then(Value::as_str)
            && !regex_lite::Regex::new(p)
                .expect("schema patterns compile")
                .is_match(s)
        {
            errors.push(format!("{at}: does not match {p}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64())
        && n < min
    {
        errors.push(format!("{at}: below {min}"));
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(req.as_str().unwrap_or_default()) {
                errors.push(format!("{at}: missing {req}"));
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, val, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: undocumented property {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            validate(root, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// `docs/audit-event.schema.json`, read once.
pub fn audit_schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/audit-event.schema.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("the audit schema exists"))
            .expect("the audit schema is JSON")
    })
}

/// Panics unless `event` is a valid audit event.
pub fn assert_audit_event(event: &Value) {
    let schema = audit_schema();
    let mut errors = Vec::new();
    validate(schema, schema, event, "event", &mut errors);
    assert!(
        errors.is_empty(),
        "audit event breaks docs/audit-event.schema.json: {errors:?}\n{event}"
    );
}

//! Strict request parsing. A JSON body is read as an object and walked field by field, so
//! that every problem is reported at once as `{field, rule}` and no value is ever echoed.

use crate::MAX_BODY_BYTES;
use crate::transport::{ApiError, TransportError};
use chrono::NaiveDate;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, RequestExt};
use mynumber_domain::number::holds_digit_run;
use mynumber_domain::{FieldError, VaultError};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The body as a JSON object: 413 over 16 KiB, 415 for a non-JSON content type,
/// 400 for an empty body, malformed JSON or a non-object.
pub fn json_object(req: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(TransportError::PayloadTooLarge.into());
    }
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(TransportError::UnsupportedMediaType.into());
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(VaultError::invalid("body", "required").into());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(VaultError::invalid("body", "object").into()),
        Err(_) => Err(VaultError::invalid("body", "json").into()),
    }
}

/// A field name safe to repeat in an error: short snake-case text that cannot carry a number.
fn safe_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !holds_digit_run(name);
    if plain {
        name.to_owned()
    } else {
        "(unnamed)".to_owned()
    }
}

/// Walks one JSON object, collecting field errors.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// Starts on `obj`, refusing every member not in `known` as `unknown_field`.
    pub fn new(obj: &'a Map<String, Value>, known: &[&str]) -> Self {
        Self::nested(obj, String::new(), known)
    }

    fn nested(obj: &'a Map<String, Value>, prefix: String, known: &[&str]) -> Self {
        let mut f = Fields {
            obj,
            prefix,
            errors: Vec::new(),
        };
        for name in obj.keys() {
            if !known.contains(&name.as_str()) {
                let path = f.path(&safe_name(name));
                f.errors.push(FieldError::new(path, "unknown_field"));
            }
        }
        f
    }

    pub fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    pub fn fail(&mut self, name: &str, rule: &'static str) {
        let path = self.path(name);
        self.errors.push(FieldError::new(path, rule));
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Present and not `null`.
    pub fn present(&self, name: &str) -> bool {
        self.obj.get(name).is_some_and(|v| !v.is_null())
    }

    fn get(&mut self, name: &str, required: bool) -> Option<&'a Value> {
        match self.obj.get(name) {
            Some(Value::Null) | None => {
                if required {
                    self.fail(name, "required");
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    pub fn str(&mut self, name: &str, required: bool) -> Option<&'a str> {
        match self.get(name, required)? {
            Value::String(s) => Some(s),
            _ => {
                self.fail(name, "type");
                None
            }
        }
    }

    /// A string run through a parser that names the rule it broke.
    pub fn parse<T>(
        &mut self,
        name: &str,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        let s = self.str(name, required)?;
        match parse(s) {
            Ok(v) => Some(v),
            Err(rule) => {
                self.fail(name, rule);
                None
            }
        }
    }

    /// A `YYYY-MM-DD` calendar date that exists.
    pub fn date(&mut self, name: &str, required: bool) -> Option<NaiveDate> {
        self.parse(name, required, parse_date)
    }

    pub fn bool(&mut self, name: &str) -> Option<bool> {
        match self.get(name, false)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(name, "type");
                None
            }
        }
    }

    /// An integer as JSON Schema counts them: `2025` and `2025.0` alike.
    pub fn int(&mut self, name: &str, required: bool) -> Option<i64> {
        // Below 2^63 in magnitude, an integral f64 converts to i64 exactly.
        let whole = |f: f64| (f.fract() == 0.0 && f.abs() < i64::MAX as f64).then_some(f as i64);
        let n = match self.get(name, required)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(whole)),
            _ => None,
        };
        if n.is_none() {
            self.fail(name, "type");
        }
        n
    }

    pub fn array(&mut self, name: &str, required: bool) -> Option<&'a Vec<Value>> {
        match self.get(name, required)? {
            Value::Array(a) => Some(a),
            _ => {
                self.fail(name, "type");
                None
            }
        }
    }

    /// Walks a nested object with its own known members; its errors join this walker's.
    pub fn object<T>(
        &mut self,
        name: &str,
        required: bool,
        known: &[&str],
        walk: impl FnOnce(&mut Fields<'a>) -> Option<T>,
    ) -> Option<T> {
        let obj = match self.get(name, required)? {
            Value::Object(o) => o,
            _ => {
                self.fail(name, "type");
                return None;
            }
        };
        let mut child = Fields::nested(obj, self.path(name), known);
        let value = walk(&mut child);
        let ok = !child.has_errors();
        self.errors.append(&mut child.errors);
        value.filter(|_| ok)
    }

    /// The parsed value if no field broke a rule, else a 400 naming every broken one.
    pub fn finish<T, E: From<VaultError>>(self, value: Option<T>) -> Result<T, E> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if self.errors.is_empty() => {
                Err(VaultError::invalid(self.prefix_or_body(), "invalid").into())
            }
            _ => Err(VaultError::Invalid(self.errors).into()),
        }
    }

    fn prefix_or_body(&self) -> String {
        if self.prefix.is_empty() {
            "body".into()
        } else {
            self.prefix.clone()
        }
    }
}

pub fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    if s.len() != 10 {
        return Err("date");
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "date")
}

/// Query parameters, each given at most once and all of them in `known`.
pub fn query<'r>(
    req: &'r Request,
    known: &[&str],
) -> Result<HashMap<&'r str, &'r str>, VaultError> {
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    if let Some(q) = req.query_string_parameters_ref() {
        for (k, v) in q.iter() {
            if !known.contains(&k) {
                errors.push(FieldError::new(safe_name(k), "unknown_field"));
            } else if out.insert(k, v).is_some() {
                errors.push(FieldError::new(k, "repeated"));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(VaultError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walker_collects_every_error_without_values() {
        let v = json!({"a": 1, "d": "2025-02-30", "x123456789018": true, "o": {"z": "q"}});
        let obj = v.as_object().unwrap();
        let mut f = Fields::new(obj, &["a", "d", "o", "r"]);
        assert_eq!(f.str("a", true), None);
        assert_eq!(f.date("d", true), None);
        assert_eq!(f.str("r", true), None);
        f.object("o", true, &["y"], |o| o.str("y", true));
        let err = f.finish(Some(())).unwrap_err();
        let VaultError::Invalid(errors) = err else {
            panic!()
        };
        let pairs: Vec<(String, &str)> = errors.into_iter().map(|e| (e.field, e.rule)).collect();
        assert!(
            pairs.contains(&("(unnamed)".into(), "unknown_field")),
            "{pairs:?}"
        );
        assert!(pairs.contains(&("a".into(), "type")));
        assert!(pairs.contains(&("d".into(), "date")));
        assert!(pairs.contains(&("r".into(), "required")));
        assert!(pairs.contains(&("o.z".into(), "unknown_field")));
        assert!(pairs.contains(&("o.y".into(), "required")));
    }

    #[test]
    fn integers_are_whole_numbers_however_written() {
        let v = json!({"a": 2025, "b": 2025.0, "c": 2.5e3, "d": 2025.5, "e": "2025", "f": 1e300});
        let obj = v.as_object().unwrap();
        let mut f = Fields::new(obj, &["a", "b", "c", "d", "e", "f"]);
        assert_eq!(f.int("a", true), Some(2025));
        assert_eq!(f.int("b", true), Some(2025));
        assert_eq!(f.int("c", true), Some(2500));
        assert_eq!(f.int("d", true), None);
        assert_eq!(f.int("e", true), None);
        assert_eq!(f.int("f", true), None);
        let err = f.finish(Some(())).unwrap_err();
        let VaultError::Invalid(errors) = err else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["d", "e", "f"]);
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2025-01-31").is_ok());
        for bad in [
            "2025-1-31",
            "2025-02-29",
            "20250131",
            "2025-01-31T00:00:00Z",
            "２０２５-01-01",
        ] {
            assert_eq!(parse_date(bad), Err("date"), "{bad}");
        }
    }
}

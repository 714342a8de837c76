//! Listings: the query parameters every paginated route shares, and the one page shape.

use crate::{json_value, query};
use lambda_http::{Body, Request, Response};
use mynumber_domain::ports::{Cursor, Page, PageRequest};
use mynumber_domain::{EmployeeId, FieldError, VaultError};
use serde_json::json;
use std::collections::HashMap;

/// `{"items": […], "next_cursor": …}`, the shape of every listing.
pub fn page_response<T: serde::Serialize>(page: Page<T>) -> Response<Body> {
    json_value(
        200,
        &json!({
            "items": page.items,
            "next_cursor": page.next_cursor.as_ref().map(Cursor::as_str),
        }),
    )
}

/// The query parameter `field` as `parse` reads it, `None` when it is absent; a value
/// `parse` refuses adds `field` with the rule it names to `errors` (a listing's filters).
pub fn query_param<T>(
    q: &HashMap<&str, &str>,
    field: &'static str,
    errors: &mut Vec<FieldError>,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> Option<T> {
    let value = q.get(field)?;
    parse(value)
        .map_err(|rule| errors.push(FieldError::new(field, rule)))
        .ok()
}

/// `employee_id`, `limit` and `cursor` of a listing, and whatever `more` reads of the
/// `extra` parameters; every broken rule is reported at once.
pub fn parse_page<T>(
    req: &Request,
    employee_required: bool,
    extra: &[&str],
    more: impl FnOnce(&HashMap<&str, &str>, &mut Vec<FieldError>) -> T,
) -> Result<(Option<EmployeeId>, PageRequest, T), VaultError> {
    let mut known = vec!["employee_id", "cursor", "limit"];
    known.extend_from_slice(extra);
    let q = query(req, &known)?;
    let mut errors = Vec::new();
    let extra = more(&q, &mut errors);
    let employee = match q.get("employee_id").map(|s| EmployeeId::parse(s)) {
        Some(Ok(e)) => Some(e),
        Some(Err(rule)) => {
            errors.push(FieldError::new("employee_id", rule.code()));
            None
        }
        None => {
            if employee_required {
                errors.push(FieldError::new("employee_id", "required"));
            }
            None
        }
    };
    let limit = match q.get("limit") {
        None => PageRequest::DEFAULT_LIMIT,
        Some(s) => match s.parse::<u16>() {
            Ok(n) if (1..=PageRequest::MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(FieldError::new("limit", "range"));
                0
            }
        },
    };
    let cursor = match q.get("cursor") {
        None => None,
        Some(s) => {
            let c = Cursor::parse(s);
            if c.is_none() {
                errors.push(FieldError::new("cursor", "cursor"));
            }
            c
        }
    };
    if errors.is_empty() {
        Ok((employee, PageRequest { limit, cursor }, extra))
    } else {
        Err(VaultError::Invalid(errors))
    }
}

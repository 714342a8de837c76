//! Each function's routes, written once: a table of (method, path template, operation)
//! from which the function's router answers, a path it knows with another method gets 405
//! and any other path 404, and the test harness sends each request to the function whose
//! table names it. The tests hold every table to `docs/openapi.json`, the template's
//! HttpApi events and the local router (tests/tests/suite/routes.rs).

use crate::transport::{ApiError, TransportError};
use mynumber_domain::VaultError;

/// One route: the method in capitals, the path as the API document writes it (`{name}` for
/// a parameter: one non-empty segment), and what the function does on it.
#[derive(Debug, Clone, Copy)]
pub struct Route<Op: Copy + 'static> {
    pub method: &'static str,
    pub path: &'static str,
    pub op: Op,
}

impl<Op: Copy> Route<Op> {
    pub const fn new(method: &'static str, path: &'static str, op: Op) -> Self {
        Route { method, path, op }
    }
}

/// The path's segments, as routing reads them (empty segments dropped).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The parameters `template` takes from `path`, and how many of its segments are literal
/// (a literal segment wins over a parameter, as in API Gateway); `None` if it does not
/// match.
fn captures<'p>(template: &str, path: &'p str) -> Option<(usize, Vec<&'p str>)> {
    let mut want = segments(template);
    let mut got = segments(path);
    let mut literals = 0;
    let mut params = Vec::new();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some((literals, params)),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => params.push(g),
            (Some(w), Some(g)) if w == g => literals += 1,
            _ => return None,
        }
    }
}

/// Whether `table` names `path` with any method.
pub fn knows<Op: Copy>(table: &[Route<Op>], path: &str) -> bool {
    table.iter().any(|r| captures(r.path, path).is_some())
}

/// The operation `table` runs for `method` on `path`, with the path's parameters in the
/// template's order: 405 for a path it names with other methods only, 404 for any other.
pub fn route<'p, Op: Copy>(
    table: &[Route<Op>],
    method: &str,
    path: &'p str,
) -> Result<(Op, Vec<&'p str>), ApiError> {
    let mut known = false;
    let mut best: Option<(usize, Op, Vec<&'p str>)> = None;
    for r in table {
        let Some((literals, params)) = captures(r.path, path) else {
            continue;
        };
        known = true;
        if r.method == method && best.as_ref().is_none_or(|b| literals > b.0) {
            best = Some((literals, r.op, params));
        }
    }
    match best {
        Some((_, op, params)) => Ok((op, params)),
        None if known => Err(TransportError::MethodNotAllowed.into()),
        None => Err(VaultError::NotFound.into()),
    }
}

/// `route` for a request.
pub fn route_request<'r, Op: Copy>(
    table: &[Route<Op>],
    req: &'r lambda_http::Request,
) -> Result<(Op, Vec<&'r str>), ApiError> {
    route(table, req.method().as_str(), req.uri().path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Op {
        Page,
        Asset,
        Config,
        Reveal,
    }

    const TABLE: &[Route<Op>] = &[
        Route::new("GET", "/console", Op::Page),
        Route::new("GET", "/console/{asset}", Op::Asset),
        Route::new("GET", "/console/config.json", Op::Config),
        Route::new("POST", "/v1/records/{record_id}/reveal", Op::Reveal),
    ];

    #[test]
    fn a_literal_segment_wins_and_parameters_come_in_order() {
        assert_eq!(route(TABLE, "GET", "/console").unwrap(), (Op::Page, vec![]));
        assert_eq!(
            route(TABLE, "GET", "/console/app.js").unwrap(),
            (Op::Asset, vec!["app.js"])
        );
        assert_eq!(
            route(TABLE, "GET", "/console/config.json").unwrap(),
            (Op::Config, vec![])
        );
        assert_eq!(
            route(TABLE, "POST", "//v1/records/r-1/reveal/").unwrap(),
            (Op::Reveal, vec!["r-1"])
        );
    }

    #[test]
    fn a_known_path_with_another_method_is_405_and_any_other_404() {
        assert_eq!(
            route(TABLE, "DELETE", "/console/app.js").unwrap_err(),
            ApiError::Transport(TransportError::MethodNotAllowed)
        );
        assert_eq!(
            route(TABLE, "GET", "/v1/records/r-1/reveal").unwrap_err(),
            ApiError::Transport(TransportError::MethodNotAllowed)
        );
        for path in ["/console/a/b", "/v1/records/reveal", "/", "/nothing"] {
            assert_eq!(
                route(TABLE, "GET", path).unwrap_err(),
                ApiError::Vault(VaultError::NotFound),
                "{path}"
            );
        }
        assert!(knows(TABLE, "/console/x") && !knows(TABLE, "/v1/records"));
    }
}

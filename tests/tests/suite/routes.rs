//! One route table. `docs/openapi.json` names every route of the API (method and path);
//! each function's `ROUTES` table says which of them it serves (its router, its 405s and
//! the harness's `Stack::call` dispatch read that table); the template's HttpApi events and
//! the local gateway's table in the workspace `Cargo.toml` write them down again for AWS
//! and for `make dev`. Each test here fails when one of them disagrees with the document or
//! with the functions' tables. (`openapi.rs` checks what the handlers answer on those
//! routes; this only checks who answers.)

use super::*;
use lambda_http::Request;
use mynumber_tests::iam::Template;
use std::collections::{BTreeMap, BTreeSet};

/// A route: the method in capitals and the path as the document writes it (`{name}` for a
/// path parameter).
type Route = (String, String);

/// Which functions a source sends each route to, by the name cargo-lambda gives them.
type Table = BTreeMap<Route, Vec<String>>;

/// The functions API Gateway invokes, as `target/lambda/<name>` names them.
const API_FUNCTIONS: [&str; 6] = [
    "intake", "review", "lookup", "collect", "console", "certify",
];

/// The methods tried on every path; those the document does not declare must get 405.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The keys of an OpenAPI path item that are operations.
const OPERATIONS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const CARGO_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");

/// Every (method, path) the document declares.
fn documented(doc: &Value) -> BTreeSet<Route> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for key in item.as_object().expect("a path item").keys() {
            if OPERATIONS.contains(&key.as_str()) {
                out.insert((key.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    assert!(!out.is_empty(), "docs/openapi.json declares no operation");
    out
}

/// The name cargo-lambda builds the template's function `id` under: the `<name>` of its
/// `CodeUri: ../target/lambda/<name>/bootstrap.zip`.
fn function_name(id: &str, function: &Value) -> String {
    let code = function["Properties"]["CodeUri"]
        .as_str()
        .unwrap_or_else(|| panic!("template: {id} has no literal CodeUri"));
    let parts: Vec<&str> = code.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0] == "lambda")
        .map(|w| w[1].to_owned())
        .unwrap_or_else(|| panic!("template: {id}'s CodeUri {code} is not target/lambda/<name>/…"))
}

/// Every HttpApi event of every function of `infra/template.yaml`. An event without
/// `Method` or `Path` is SAM's catch-all (`ANY`, `$default`).
fn template_routes() -> Table {
    let template = Template::load();
    let mut out = Table::new();
    for (id, resource) in template.resources() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let events = resource["Properties"]["Events"].as_object();
        for (event, e) in events.into_iter().flatten() {
            if e["Type"] != "HttpApi" {
                continue;
            }
            let p = &e["Properties"];
            let literal = |key: &str, default: &str| match &p[key] {
                Value::Null => default.to_owned(),
                Value::String(s) => s.clone(),
                other => panic!("template: {id}.Events.{event}.{key} is not literal: {other}"),
            };
            let route = (
                literal("Method", "ANY").to_ascii_uppercase(),
                literal("Path", "$default"),
            );
            out.entry(route)
                .or_default()
                .push(function_name(id, resource));
        }
    }
    out
}

/// The local gateway's table, read by the gateway's own reader.
fn router_routes() -> Table {
    let text = std::fs::read_to_string(CARGO_TOML).expect("read the workspace Cargo.toml");
    let routes = mynumber_gateway::routes::Routes::from_cargo_toml(&text)
        .unwrap_or_else(|e| panic!("Cargo.toml's local routes: {e}"));
    let mut out = Table::new();
    for r in routes.iter() {
        out.entry((r.method.clone(), r.path.clone()))
            .or_default()
            .push(r.function.clone());
    }
    out
}

/// Fails unless `table` sends every route of `doc` to exactly one function and has no
/// route `doc` lacks.
fn assert_same_routes(what: &str, table: &Table, doc: &BTreeSet<Route>) {
    let mut errors = Vec::new();
    for (method, path) in doc {
        match table
            .get(&(method.clone(), path.clone()))
            .map(Vec::as_slice)
        {
            None | Some([]) => errors.push(format!(
                "{method} {path}: documented, but {what} sends it to no function"
            )),
            Some([_]) => {}
            Some(many) => errors.push(format!(
                "{method} {path}: {what} sends it to {many:?}, not to one function"
            )),
        }
    }
    for ((method, path), functions) in table {
        if !doc.contains(&(method.clone(), path.clone())) {
            errors.push(format!(
                "{method} {path}: {what} sends it to {functions:?}, but the document has no such route"
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "{what} disagrees with docs/openapi.json:\n  {}",
        errors.join("\n  ")
    );
}

/// Every function's own route table, by the name cargo-lambda gives the function.
fn function_tables() -> Table {
    fn add<Op: Copy>(out: &mut Table, function: &str, table: &[mynumber_http::Route<Op>]) {
        for r in table {
            out.entry((r.method.to_owned(), r.path.to_owned()))
                .or_default()
                .push(function.to_owned());
        }
    }
    let mut out = Table::new();
    add(&mut out, "intake", ::intake::ROUTES);
    add(&mut out, "lookup", ::lookup::ROUTES);
    add(&mut out, "review", ::review::ROUTES);
    add(&mut out, "collect", ::collect::ROUTES);
    add(&mut out, "console", ::console::ROUTES);
    add(&mut out, "certify", ::certify::ROUTES);
    out
}

#[test]
fn the_functions_tables_are_the_document_and_the_template_sends_them_there() {
    let doc = super::openapi::doc();
    let tables = function_tables();
    assert_same_routes("the functions' ROUTES", &tables, &documented(&doc));
    let template = template_routes();
    for (route, functions) in &tables {
        assert_eq!(
            template.get(route),
            Some(functions),
            "{} {}: the functions' tables name {functions:?}, the template another",
            route.0,
            route.1
        );
    }
    // The harness dispatches by the same tables.
    for ((method, path), functions) in &tables {
        let target = format!("{:?}", mynumber_tests::Target::of(method, path)).to_lowercase();
        assert_eq!(&target, &functions[0], "{method} {path}");
    }
}

#[test]
fn the_template_serves_exactly_the_documented_routes() {
    let doc = super::openapi::doc();
    let template = template_routes();
    assert_same_routes("infra/template.yaml", &template, &documented(&doc));
    for functions in template.values() {
        for f in functions {
            assert!(
                API_FUNCTIONS.contains(&f.as_str()),
                "infra/template.yaml routes the API to {f}, which this suite cannot call: add it to API_FUNCTIONS and `handle`"
            );
        }
    }
}

#[test]
fn the_local_router_matches_the_template() {
    let doc = super::openapi::doc();
    let router = router_routes();
    assert_same_routes("Cargo.toml's local routes", &router, &documented(&doc));
    let template = template_routes();
    let mut errors = Vec::new();
    for (route, functions) in &router {
        if let Some(served) = template.get(route)
            && served != functions
        {
            errors.push(format!(
                "{} {}: Cargo.toml's router sends it to {functions:?}, the template to {served:?}",
                route.0, route.1
            ));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// `path` with each parameter replaced by a valid-looking value: a UUID where the document
/// says `format: uuid`, the first value of an `enum`, `E0001` otherwise (checked against the declared pattern).
fn concrete(doc: &Value, method: &str, path: &str) -> String {
    let op = &doc["paths"][path][method.to_ascii_lowercase()];
    let declared: Vec<&Value> = op["parameters"]
        .as_array()
        .into_iter()
        .chain(doc["paths"][path]["parameters"].as_array())
        .flatten()
        .collect();
    path.split('/')
        .map(|seg| {
            let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                return seg.to_owned();
            };
            let param = declared
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == name)
                .unwrap_or_else(|| panic!("{method} {path}: path parameter {name} not declared"));
            let schema = &param["schema"];
            let value = if schema["format"] == "uuid" {
                mynumber_domain::RecordId::new_random().as_str().to_owned()
            } else if let Some(first) = schema["enum"][0].as_str() {
                first.to_owned()
            } else {
                "E0001".to_owned()
            };
            if let Some(pattern) = schema["pattern"].as_str() {
                assert!(
                    regex_lite::Regex::new(pattern).unwrap().is_match(&value),
                    "{method} {path}: no sample value for {name} (pattern {pattern}): extend `concrete`"
                );
            }
            value
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Calls the function cargo-lambda names `function` directly.
async fn handle(stack: &Stack, function: &str, request: Request) -> Reply {
    Reply::from_response(match function {
        "intake" => stack.intake.handle(request).await,
        "review" => stack.review.handle(request).await,
        "lookup" => stack.lookup.handle(request).await,
        "collect" => stack.collect.handle(request).await,
        "console" => stack.console.handle(request),
        "certify" => stack.certify.handle(request).await,
        other => panic!("no function {other} in the harness: add it to `handle`"),
    })
}

/// Whether the reply says the function has no such route (404 `not_found`, or 405
/// `method_not_allowed`).
fn unrouted(r: &Reply) -> bool {
    matches!(
        (r.status, r.code()),
        (404, "not_found") | (405, "method_not_allowed")
    )
}

/// Without a token the vault answers 401 on a route it serves; a function that does not
/// serve the route answers 404 or 405 before asking who the caller is.
#[tokio::test]
async fn the_functions_and_the_harness_serve_the_documented_routes() {
    let doc = super::openapi::doc();
    let routes = documented(&doc);
    let template = template_routes();
    let stack = Stack::new().await;
    let mut errors = Vec::new();
    for (method, path) in &routes {
        let Some([function]) = template
            .get(&(method.clone(), path.clone()))
            .map(Vec::as_slice)
        else {
            errors.push(format!(
                "{method} {path}: not served by one function of the template (see the template test)"
            ));
            continue;
        };
        let url = concrete(&doc, method, path);
        let build = || req(method, &url).no_token().build();
        let direct = handle(&stack, function, build()).await;
        if unrouted(&direct) {
            errors.push(format!(
                "{method} {url}: the template sends it to {function}, whose route answers {} {}",
                direct.status, direct.raw
            ));
        }
        for other in API_FUNCTIONS.iter().filter(|f| *f != function) {
            let r = handle(&stack, other, build()).await;
            if !unrouted(&r) {
                errors.push(format!(
                    "{method} {url}: {other} serves it too ({} {}), but the template sends it to {function}",
                    r.status, r.raw
                ));
            }
        }
        let harness = stack.call(build()).await;
        // When the template's function itself does not serve the route, that is reported
        // above; otherwise the harness must reach that function.
        if !unrouted(&direct)
            && (unrouted(&harness)
                || (harness.status, harness.code()) != (direct.status, direct.code()))
        {
            errors.push(format!(
                "{method} {url}: Stack::call answers {} {}, {function} (the template's) {} {}: the harness routes it elsewhere",
                harness.status, harness.raw, direct.status, direct.raw
            ));
        }
    }
    // Every other method on a documented path: 405 from each function serving that path.
    let paths: BTreeSet<&String> = routes.iter().map(|(_, p)| p).collect();
    for path in paths {
        let (any_method, _) = routes.iter().find(|(_, p)| p == path).unwrap();
        let url = concrete(&doc, any_method, path);
        let serving: BTreeSet<&String> = template
            .iter()
            .filter(|((_, p), _)| p == path)
            .flat_map(|(_, f)| f)
            .collect();
        for method in METHODS {
            if routes.contains(&(method.to_owned(), path.clone())) {
                continue;
            }
            for function in &serving {
                let r = handle(&stack, function, req(method, &url).no_token().build()).await;
                if (r.status, r.code()) != (405, "method_not_allowed") {
                    errors.push(format!(
                        "{method} {url}: not documented, but {function} (which serves {path}) answers {} {}",
                        r.status, r.raw
                    ));
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "the functions or the harness disagree with docs/openapi.json:\n  {}",
        errors.join("\n  ")
    );
}

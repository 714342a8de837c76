//! `docs/openapi.json` against the real handlers: each reply's status must be declared for
//! its operation and its body must match the declared schema; every declared status of
//! every operation must be produced by some scenario here, so the document can neither
//! promise what the functions do not do nor miss what they do.

mod certificates;
mod collections;
mod documents;
mod exports;
mod handling;
mod imports;
mod notifications;
mod records;

use super::*;
use certificates::certificate_routes;
use collections::collection_routes;
use documents::document_routes;
use exports::export_routes;
use handling::{handling_routes, summary_routes};
use imports::import_routes;
use notifications::notification_routes;
use records::record_routes;
use std::collections::BTreeSet;

pub(super) fn doc() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

use mynumber_tests::schema::validate;

struct Checker {
    doc: Value,
    seen: BTreeSet<(String, String, String)>,
    errors: Vec<String>,
}

impl Checker {
    fn check(&mut self, method: &str, path: &str, reply: &Reply) {
        // An undeclared method belongs to no operation (API Gateway answers it in AWS);
        // the functions still answer it as a problem.
        if reply.status == 405 {
            assert_problem(reply, 405, "method_not_allowed");
            return;
        }
        let Some(t) = mynumber_tests::path_template(&self.doc, path) else {
            self.errors
                .push(format!("{method} {path}: no such path in the document"));
            return;
        };
        let op = &self.doc["paths"][t][method.to_ascii_lowercase()];
        let status = reply.status.to_string();
        let Some(resp) = op["responses"].get(&status) else {
            self.errors.push(format!(
                "{method} {t}: status {status} is not declared ({})",
                reply.raw
            ));
            return;
        };
        let content = resp["content"].as_object().unwrap();
        match content.get(&reply.content_type) {
            None => self.errors.push(format!(
                "{method} {t} {status}: content type {} not declared",
                reply.content_type
            )),
            // Pages and scripts are text: their declared media type is what is checked.
            Some(_) if !reply.content_type.contains("json") => {}
            Some(media) => {
                let doc = self.doc.clone();
                let mut errs = Vec::new();
                validate(&doc, &media["schema"], &reply.body, "body", &mut errs);
                self.errors.extend(
                    errs.into_iter()
                        .map(|e| format!("{method} {t} {status}: {e}")),
                );
            }
        }
        self.seen
            .insert((t.to_owned(), method.to_ascii_lowercase(), status));
    }
}

/// The problem's `code` enum is the error vocabulary, in its order: the domain's, then
/// the HTTP layer's.
#[test]
fn the_problem_codes_are_the_error_vocabulary() {
    let doc = doc();
    let documented: Vec<&str> =
        doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    // The domain's codes, then the HTTP layer's own refusals of a request.
    let codes: Vec<&str> = mynumber_domain::error::ErrorCode::ALL
        .iter()
        .map(|c| c.code())
        .chain(mynumber_http::TransportError::ALL.iter().map(|t| t.code()))
        .collect();
    assert_eq!(documented, codes);
}

/// Run on a thread of its own with a larger stack: walking every operation makes this
/// test's future larger than a test thread's default stack holds.
#[test]
fn handlers_match_the_openapi_document() {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(every_operation_produces_its_declared_statuses())
        })
        .unwrap()
        .join()
        .unwrap();
}

async fn every_operation_produces_its_declared_statuses() {
    let doc = doc();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut c = Checker {
        doc,
        seen: BTreeSet::new(),
        errors: Vec::new(),
    };
    let stack = Stack::with_config(mynumber_domain::VaultConfig {
        reveal_limit_per_hour: 3,
        ..Default::default()
    })
    .await;
    record_routes(&mut c, &stack).await;
    collection_routes(&mut c, &stack).await;
    document_routes(&mut c, &stack).await;
    Box::pin(import_routes(&mut c, &stack)).await;
    Box::pin(export_routes(&mut c, &stack)).await;
    notification_routes(&mut c, &stack).await;
    certificate_routes(&mut c, &stack).await;
    handling_routes(&mut c, &stack).await;
    summary_routes(&mut c, &stack).await;

    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    let mut missing = Vec::new();
    for (t, ops) in c.doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for status in op["responses"].as_object().unwrap().keys() {
                if !c
                    .seen
                    .contains(&(t.clone(), method.clone(), status.clone()))
                {
                    missing.push(format!("{method} {t} {status}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "declared but never produced: {missing:?}"
    );
}

fn no_table(stack: &Stack) -> (::intake::Intake, ::lookup::Lookup) {
    let table = "no-such-table";
    let key = mynumber_tests::MISSING_KEY;
    (
        ::intake::Intake::new(
            stack.intake_service(table, key),
            mynumber_tests::jwt::authenticator(),
        ),
        ::lookup::Lookup::new(
            stack.lookup_service(table, key),
            mynumber_tests::jwt::authenticator(),
        ),
    )
}

/// The review function on a table that does not exist.
fn no_table_review(stack: &Stack) -> ::review::Review {
    ::review::Review::new(
        stack.review_service("no-such-table"),
        mynumber_tests::jwt::authenticator(),
        mynumber_tests::PUBLIC_BASE_URL,
    )
}

/// A memory store that can be made to lose every race, and a core on it.
fn racing_store() -> (
    mynumber_domain::Core,
    std::sync::Arc<mynumber_tests::memory::MemoryStore>,
) {
    use mynumber_tests::memory::*;
    use std::sync::{Arc, Mutex};
    let core = mynumber_domain::Core::new(
        Arc::new(MemoryAudit::default()),
        Arc::new(FixedClock(Mutex::new(mynumber_tests::epoch()))),
        Default::default(),
    );
    (core, Arc::new(MemoryStore::default()))
}

/// The review function on a racing memory store.
fn racing_review() -> (
    ::review::Review,
    std::sync::Arc<mynumber_tests::memory::MemoryStore>,
) {
    let (core, store) = racing_store();
    let review = mynumber_tests::memory::review_on(core, store.clone());
    (
        ::review::Review::new(
            review,
            mynumber_tests::jwt::authenticator(),
            mynumber_tests::PUBLIC_BASE_URL,
        ),
        store,
    )
}

/// The intake function on a racing memory store.
fn racing_intake() -> (
    ::intake::Intake,
    std::sync::Arc<mynumber_tests::memory::MemoryStore>,
) {
    let (core, store) = racing_store();
    let vault = mynumber_domain::intake::IntakeService::new(
        core,
        store.clone(),
        std::sync::Arc::new(mynumber_tests::memory::LocalCipher::default()),
    );
    (
        ::intake::Intake::new(vault, mynumber_tests::jwt::authenticator()),
        store,
    )
}

/// Functions on the test's table with a KMS key id that does not exist, and a lookup
/// on a table that does not exist.
fn broken_stack(stack: &Stack) -> (::intake::Intake, ::lookup::Lookup, ::lookup::Lookup) {
    let key = mynumber_tests::MISSING_KEY;
    let auth = mynumber_tests::jwt::authenticator;
    (
        ::intake::Intake::new(stack.intake_service(&stack.table, key), auth()),
        ::lookup::Lookup::new(stack.lookup_service(&stack.table, key), auth()),
        ::lookup::Lookup::new(stack.lookup_service("no-such-table", key), auth()),
    )
}

fn post_record(who: &Who, body: Value) -> lambda_http::Request {
    req("POST", "/v1/records").who(who).json(body).build()
}

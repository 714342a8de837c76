//! `docs/openapi.json` against the real handlers: each reply's status must be declared for
//! its operation and its body must match the declared schema; every declared status of
//! every operation must be produced by some scenario here, so the document can neither
//! promise what the functions do not do nor miss what they do.

use super::*;
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

/// The problem's `code` enum is the error vocabulary, in its order.
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
    let codes: Vec<&str> = mynumber_domain::error::ErrorCode::ALL
        .iter()
        .map(|c| c.code())
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
    let hr = Who::registrar("acme");
    let h = Who::handler("acme");
    let post = |body: Value| req("POST", "/v1/records").who(&hr).json(body);

    // POST /v1/records
    let created = stack.call(post(own_number("E1", N1)).build()).await;
    c.check("POST", "/v1/records", &created);
    let id = created.body["record_id"].as_str().unwrap().to_owned();
    let refused = stack
        .call(
            post(
                json!({"employee_id": "E2", "relation": "self", "purposes": ["withholding_tax"],
                        "refusal": {"reason": "提供拒否", "requested_on": "2026-04-01"}}),
            )
            .build(),
        )
        .await;
    c.check("POST", "/v1/records", &refused);
    let refused_id = refused.body["record_id"].as_str().unwrap().to_owned();
    let mut bad = own_number("E3", N2);
    bad["my_number"] = json!("123");
    for r in [
        stack.call(post(bad).build()).await,
        stack
            .call(
                req("POST", "/v1/records")
                    .json(own_number("E3", N2))
                    .build(),
            )
            .await,
        stack
            .call(
                req("POST", "/v1/records")
                    .who(&h)
                    .json(own_number("E3", N2))
                    .build(),
            )
            .await,
        stack.call(post(own_number("E1", N2)).build()).await,
        stack
            .call(post(json!({"pad": "x".repeat(17_000)})).build())
            .await,
        stack
            .call(
                req("POST", "/v1/records")
                    .who(&hr)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
        stack.call(req("PUT", "/v1/records").who(&hr).build()).await,
        stack
            .call(
                post(dependent("E3", "長男", N3))
                    .header("Idempotency-Key", "k")
                    .build(),
            )
            .await,
        stack
            .call(
                post(dependent("E3", "長男", N4))
                    .header("Idempotency-Key", "k")
                    .build(),
            )
            .await,
    ] {
        c.check(
            if r.status == 405 { "PUT" } else { "POST" },
            "/v1/records",
            &r,
        );
    }

    // GET /v1/records
    for r in [
        list(&stack, &Who::auditor("acme"), "E1").await,
        stack.call(req("GET", "/v1/records").who(&h).build()).await,
        stack
            .call(req("GET", "/v1/records").query("employee_id", "E1").build())
            .await,
        list(&stack, &Who::admin("acme"), "E1").await,
    ] {
        c.check("GET", "/v1/records", &r);
    }

    // POST /v1/records/{id}/reveal
    let path = format!("/v1/records/{id}/reveal");
    let absent = format!(
        "/v1/records/{}/reveal",
        mynumber_domain::RecordId::new_random()
    );
    for (p, r) in [
        (&path, reveal(&stack, &h, &id, "withholding_tax").await),
        (&path, reveal(&stack, &h, &id, "payment_record").await),
        (&path, reveal(&stack, &h, "nope", "withholding_tax").await),
        (
            &path,
            stack
                .call(
                    req("POST", &path)
                        .json(json!({"purpose": "withholding_tax"}))
                        .build(),
                )
                .await,
        ),
        (
            &absent,
            stack
                .call(
                    req("POST", &absent)
                        .who(&h)
                        .json(json!({"purpose": "withholding_tax"}))
                        .build(),
                )
                .await,
        ),
        (
            &path,
            reveal(&stack, &h, &refused_id, "withholding_tax").await,
        ),
        (
            &path,
            stack
                .call(
                    req("POST", &path)
                        .who(&h)
                        .json(json!({"purpose": "x".repeat(17_000)}))
                        .build(),
                )
                .await,
        ),
        (
            &path,
            stack
                .call(
                    req("POST", &path)
                        .who(&h)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
        (&path, stack.call(req("GET", &path).who(&h).build()).await),
        // The quota is 3 an hour: the fourth is 429.
        (&path, reveal(&stack, &h, &id, "withholding_tax").await),
        (&path, reveal(&stack, &h, &id, "withholding_tax").await),
        (&path, reveal(&stack, &h, &id, "withholding_tax").await),
    ] {
        let method = if r.status == 405 { "GET" } else { "POST" };
        c.check(method, p, &r);
    }

    // 503s: a key that does not exist, for both functions.
    let broken = broken_stack(&stack);
    let r = mynumber_tests::Reply::from_response(
        broken
            .0
            .handle(
                req("POST", "/v1/records")
                    .who(&hr)
                    .json(own_number("E9", N5))
                    .build(),
            )
            .await,
    );
    c.check("POST", "/v1/records", &r);
    let r = mynumber_tests::Reply::from_response(
        broken
            .1
            .handle(
                req("POST", &path)
                    .who(&Who::new("h2", "acme", &["handler"]))
                    .json(json!({"purpose": "withholding_tax"}))
                    .build(),
            )
            .await,
    );
    c.check("POST", &path, &r);
    let r = mynumber_tests::Reply::from_response(
        broken
            .2
            .handle(
                req("GET", "/v1/records")
                    .who(&h)
                    .query("employee_id", "E1")
                    .build(),
            )
            .await,
    );
    c.check("GET", "/v1/records", &r);

    // Departures.
    let dep = |e: &str| format!("/v1/employees/{e}/departure");
    let body = json!({"left_on": "2026-03-31", "last_declaration_year": 2025});
    for (method, path, r) in [
        (
            "POST",
            dep("E1"),
            stack
                .call(req("POST", &dep("E1")).who(&hr).json(body.clone()).build())
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(
                    req("POST", &dep("E1"))
                        .who(&hr)
                        .json(json!({"left_on": "x"}))
                        .build(),
                )
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(req("POST", &dep("E1")).json(body.clone()).build())
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(req("POST", &dep("E1")).who(&h).json(body.clone()).build())
                .await,
        ),
        (
            "POST",
            dep("E404"),
            stack
                .call(
                    req("POST", &dep("E404"))
                        .who(&hr)
                        .json(body.clone())
                        .build(),
                )
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(
                    req("POST", &dep("E1"))
                        .who(&hr)
                        .json(json!({"pad": "x".repeat(17_000)}))
                        .build(),
                )
                .await,
        ),
        (
            "POST",
            dep("E1"),
            stack
                .call(
                    req("POST", &dep("E1"))
                        .who(&hr)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).who(&hr).build()).await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).who(&hr).build()).await,
        ),
        (
            "DELETE",
            dep("E%231"),
            stack
                .call(req("DELETE", &dep("E%231")).who(&hr).build())
                .await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).build()).await,
        ),
        (
            "DELETE",
            dep("E1"),
            stack.call(req("DELETE", &dep("E1")).who(&h).build()).await,
        ),
    ] {
        c.check(method, &path, &r);
    }

    // Early disposal and the disposal log.
    let child = stack.call(post(dependent("E1", "長女", N4)).build()).await;
    let child_path = format!("/v1/records/{}", child.body["record_id"].as_str().unwrap());
    let reason = json!({"reason": "no_longer_needed"});
    for r in [
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(reason.clone())
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(reason.clone())
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(json!({"reason": "bored"}))
                    .build(),
            )
            .await,
        stack
            .call(req("DELETE", &child_path).json(reason.clone()).build())
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&h)
                    .json(reason.clone())
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .json(json!({"pad": "x".repeat(17_000)}))
                    .build(),
            )
            .await,
        stack
            .call(
                req("DELETE", &child_path)
                    .who(&hr)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("DELETE", &child_path, &r);
    }
    for r in [
        stack
            .call(
                req("GET", "/v1/disposals")
                    .who(&Who::auditor("acme"))
                    .build(),
            )
            .await,
        stack
            .call(
                req("GET", "/v1/disposals")
                    .who(&hr)
                    .query("employee_id", "E1")
                    .build(),
            )
            .await,
        stack
            .call(
                req("GET", "/v1/disposals")
                    .who(&hr)
                    .query("limit", "0")
                    .build(),
            )
            .await,
        stack.call(req("GET", "/v1/disposals").build()).await,
        stack
            .call(req("GET", "/v1/disposals").who(&h).build())
            .await,
    ] {
        c.check("GET", "/v1/disposals", &r);
    }
    // 503s without a table, and 409s from a lost race (staged on the in-memory store).
    let (no_table_intake, no_table_lookup) = no_table(&stack);
    for (method, path, r) in [
        (
            "POST",
            dep("E1"),
            no_table_intake
                .handle(req("POST", &dep("E1")).who(&hr).json(body.clone()).build())
                .await,
        ),
        (
            "DELETE",
            dep("E1"),
            no_table_intake
                .handle(req("DELETE", &dep("E1")).who(&hr).build())
                .await,
        ),
        (
            "DELETE",
            child_path.clone(),
            no_table_intake
                .handle(
                    req("DELETE", &child_path)
                        .who(&hr)
                        .json(reason.clone())
                        .build(),
                )
                .await,
        ),
        (
            "GET",
            "/v1/disposals".into(),
            no_table_lookup
                .handle(req("GET", "/v1/disposals").who(&hr).build())
                .await,
        ),
    ] {
        c.check(method, &path, &mynumber_tests::Reply::from_response(r));
    }
    // GET /v1/records/{id}: metadata of one record; 503 without a table.
    let one = |who: &Who, id: &str| req("GET", &format!("/v1/records/{id}")).who(who);
    let absent = mynumber_domain::RecordId::new_random();
    for r in [
        stack.call(one(&Who::auditor("acme"), &id).build()).await,
        stack.call(one(&h, "nope").build()).await,
        stack
            .call(req("GET", &format!("/v1/records/{id}")).build())
            .await,
        stack.call(one(&Who::admin("acme"), &id).build()).await,
        stack.call(one(&h, absent.as_str()).build()).await,
        mynumber_tests::Reply::from_response(no_table_lookup.handle(one(&h, &id).build()).await),
    ] {
        c.check("GET", &format!("/v1/records/{id}"), &r);
    }
    let (memory_intake, store) = racing_intake();
    let e7 = mynumber_tests::Reply::from_response(
        memory_intake
            .handle(post(own_number("E7", N1)).build())
            .await,
    );
    memory_intake
        .handle(req("POST", &dep("E7")).who(&hr).json(body.clone()).build())
        .await;
    store
        .lose_update_race
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for (method, r) in [
        (
            "POST",
            memory_intake
                .handle(req("POST", &dep("E7")).who(&hr).json(body.clone()).build())
                .await,
        ),
        (
            "DELETE",
            memory_intake
                .handle(req("DELETE", &dep("E7")).who(&hr).build())
                .await,
        ),
    ] {
        c.check(method, &dep("E7"), &mynumber_tests::Reply::from_response(r));
    }
    store
        .lose_dispose_race
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let e7_path = format!("/v1/records/{}", e7.body["record_id"].as_str().unwrap());
    let r = memory_intake
        .handle(
            req("DELETE", &e7_path)
                .who(&hr)
                .json(reason.clone())
                .build(),
        )
        .await;
    c.check("DELETE", &e7_path, &mynumber_tests::Reply::from_response(r));

    collection_routes(&mut c, &stack).await;
    document_routes(&mut c, &stack).await;
    Box::pin(import_routes(&mut c, &stack)).await;
    Box::pin(export_routes(&mut c, &stack)).await;

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

/// Bulk import (SPEC §4b).
async fn import_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let header =
        "employee_id,relation,my_number,purposes,number_check,identity_check,verified_on\n";
    let csv = format!(
        "{header}I1,self,{N5},withholding_tax,my_number_card,my_number_card,2026-04-01\n\
         I2,self,123,withholding_tax,my_number_card,my_number_card,2026-04-01\n"
    );
    let post = |body: &str, ct: &str| {
        req("POST", "/v1/imports")
            .who(&hr)
            .header("content-type", ct)
            .raw_body(body)
    };
    let broken = ::intake::Intake::new(
        stack.intake_without_keys(),
        mynumber_tests::jwt::authenticator(),
    );
    for r in [
        stack.call(post(&csv, "text/csv").build()).await,
        stack
            .call(post(&csv, "text/csv").query("dry_run", "true").build())
            .await,
        stack.call(post("name,x\n1,2\n", "text/csv").build()).await,
        stack
            .call(
                req("POST", "/v1/imports")
                    .header("content-type", "text/csv")
                    .raw_body(&csv)
                    .build(),
            )
            .await,
        stack
            .call(
                req("POST", "/v1/imports")
                    .who(&Who::handler("acme"))
                    .header("content-type", "text/csv")
                    .raw_body(&csv)
                    .build(),
            )
            .await,
        stack
            .call(post(&"x".repeat(6 * 1024 * 1024 + 1), "text/csv").build())
            .await,
        stack.call(post(&csv, "application/json").build()).await,
        Reply::from_response(broken.handle(post(&csv, "text/csv").build()).await),
        stack.call(req("GET", "/v1/imports").who(&hr).build()).await,
    ] {
        c.check(
            if r.status == 405 { "GET" } else { "POST" },
            "/v1/imports",
            &r,
        );
    }
    // A registrar whose hour of matched numbers is used up (a limit of none): every
    // import, and every submission through their links, is 429.
    let spent = Stack::with_config(mynumber_domain::VaultConfig {
        match_limit_per_hour: 0,
        ..Default::default()
    })
    .await;
    c.check(
        "POST",
        "/v1/imports",
        &spent.call(post(&csv, "text/csv").build()).await,
    );
    c.check(
        "POST",
        "/v1/records",
        &register(&spent, &hr, own_number("C7", N4)).await,
    );
    let (_, token) = super::collections::open_link(&spent, "C9", false).await;
    // A client address that made its minute's requests: every employee's route is 429.
    let crowded = Stack::with_config(mynumber_domain::VaultConfig {
        client_limit_per_minute: 0,
        ..Default::default()
    })
    .await;
    let (_, crowd) = super::collections::open_link(&crowded, "C8", false).await;
    let with = super::collections::with_token;
    c.check(
        "GET",
        "/v1/collect",
        &crowded
            .call(with("GET", "/v1/collect", &crowd).build())
            .await,
    );
    c.check(
        "POST",
        "/v1/collect/documents",
        &crowded
            .call(
                with("POST", "/v1/collect/documents", &crowd)
                    .json(json!({"kind": "photo_id", "content_type": "image/png", "bytes": 10}))
                    .build(),
            )
            .await,
    );
    c.check(
        "POST",
        "/v1/collect",
        &super::collections::submit(&spent, &token, json!({"self": super::collections::own(N5)}))
            .await,
    );
}

/// Self-service collection (SPEC §4a): the registrar's routes and the employee's.
async fn collection_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let h = Who::handler("acme");
    let link = |body: Value| req("POST", "/v1/collections").who(&hr).json(body);
    let open =
        json!({"employee_id": "C1", "purposes": ["withholding_tax"], "include_family": true});
    let created = stack.call(link(open.clone()).build()).await;
    c.check("POST", "/v1/collections", &created);
    let token = created.body["url"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned();
    let collection = created.body["collection_id"].as_str().unwrap().to_owned();
    let big =
        json!({"employee_id": "C1", "purposes": ["withholding_tax"], "x": "a".repeat(17_000)});
    for r in [
        stack
            .call(link(json!({"employee_id": "C1", "purposes": [], "expires_in_days": 31})).build())
            .await,
        stack
            .call(req("POST", "/v1/collections").json(open.clone()).build())
            .await,
        stack
            .call(
                req("POST", "/v1/collections")
                    .who(&h)
                    .json(open.clone())
                    .build(),
            )
            .await,
        stack.call(link(big).build()).await,
        stack
            .call(
                req("POST", "/v1/collections")
                    .who(&hr)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("POST", "/v1/collections", &r);
    }
    let list = |who: &Who| req("GET", "/v1/collections").who(who);
    for r in [
        stack
            .call(list(&Who::auditor("acme")).query("status", "open").build())
            .await,
        stack
            .call(list(&hr).query("status", "sideways").build())
            .await,
        stack.call(req("GET", "/v1/collections").build()).await,
        stack.call(list(&h).build()).await,
    ] {
        c.check("GET", "/v1/collections", &r);
    }

    // The employee's side, with the link's token.
    let employee = |method: &str, token: &str| {
        req(method, "/v1/collect")
            .no_token()
            .no_authorizer()
            .header("authorization", &format!("Collection {token}"))
    };
    c.check(
        "GET",
        "/v1/collect",
        &stack.call(employee("GET", &token).build()).await,
    );
    for method in ["GET", "POST"] {
        let r = stack
            .call(
                req(method, "/v1/collect")
                    .no_token()
                    .no_authorizer()
                    .json(json!({}))
                    .build(),
            )
            .await;
        c.check(method, "/v1/collect", &r);
    }
    let mut spouse = own_number("C1", N5);
    spouse["relation"] = json!("spouse");
    assert_eq!(stack.call(post_record(&hr, spouse)).await.status, 201);
    // A number no other employee holds as their own (N1 is E1's: a duplicate).
    let own_n = mynumber_tests::generated_number(1, 4242);
    let own = json!({"my_number": own_n, "number_document": "my_number_card", "identity_document": "my_number_card"});
    for r in [
        stack.call(employee("POST", &token).json(json!({"self": {"my_number": "1"}})).build()).await,
        stack
            .call(employee("POST", &token).json(json!({"self": own.clone(), "spouse": {"my_number": N2}})).build())
            .await,
        stack
            .call(employee("POST", &token).json(json!({"x": "a".repeat(17_000)})).build())
            .await,
        stack
            .call(employee("POST", &token).header("content-type", "text/plain").raw_body("x").build())
            .await,
        stack
            .call(employee("POST", &token).json(json!({"self": own.clone(), "dependents": [{"label": "長男", "my_number": N3}]})).build())
            .await,
        stack.call(employee("POST", &token).json(json!({"self": own.clone()})).build()).await,
    ] {
        c.check("POST", "/v1/collect", &r);
    }
    c.check(
        "GET",
        "/v1/collect",
        &stack.call(employee("GET", &token).build()).await,
    );
    let broken = stack.collect_on("no-such-table", mynumber_tests::MISSING_KEY);
    for method in ["GET", "POST"] {
        let r = broken
            .handle(
                employee(method, &token)
                    .json(json!({"self": own.clone()}))
                    .build(),
            )
            .await;
        c.check(
            method,
            "/v1/collect",
            &mynumber_tests::Reply::from_response(r),
        );
    }
    for path in ["/collect", "/collect/app.js", "/collect/nothing.js"] {
        let r = stack
            .call(req("GET", path).no_token().no_authorizer().build())
            .await;
        c.check("GET", path, &r);
    }
    // The console: its page, a script, its sign-in settings, a missing file, and QR codes.
    for path in [
        "/console",
        "/console/app.js",
        "/console/app.css",
        "/console/callback",
        "/console/config.json",
        "/console/nothing.js",
    ] {
        let r = stack
            .call(req("GET", path).no_token().no_authorizer().build())
            .await;
        c.check("GET", path, &r);
    }
    // Nothing draws QR codes apart from the link's creation any more.
    let r = stack
        .call(
            req("POST", "/console/qr")
                .no_token()
                .no_authorizer()
                .json(json!({"text": "https://vault.example/collect#abc"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 405, "{}", r.raw);

    // Review of what was submitted.
    let records = stack
        .call(
            req("GET", "/v1/records")
                .who(&hr)
                .query("employee_id", "C1")
                .build(),
        )
        .await;
    let pending: Vec<String> = records.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "pending_review")
        .map(|r| r["record_id"].as_str().unwrap().to_owned())
        .collect();
    let [own_id, child_id] = pending.as_slice() else {
        panic!("two pending records: {}", records.raw)
    };
    let verification = json!({"verification": {"number_check": "my_number_card", "identity_check": "my_number_card", "verified_on": "2026-04-01"}});
    let confirm = |id: &str| format!("/v1/records/{id}/confirm");
    let reject = |id: &str| format!("/v1/records/{id}/reject");
    let missing = mynumber_domain::RecordId::new_random().to_string();
    let body_of =
        |path: &str, who: &Who, body: Value| req("POST", path).who(who).json(body).build();
    for (path, r) in [
        (
            confirm(own_id),
            stack
                .call(body_of(&confirm(own_id), &hr, verification.clone()))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(body_of(&confirm(own_id), &hr, verification.clone()))
                .await,
        ),
        (
            confirm("x"),
            stack
                .call(body_of(&confirm("x"), &hr, verification.clone()))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(
                    req("POST", &confirm(own_id))
                        .json(verification.clone())
                        .build(),
                )
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(body_of(&confirm(own_id), &h, verification.clone()))
                .await,
        ),
        (
            confirm(&missing),
            stack
                .call(body_of(&confirm(&missing), &hr, verification.clone()))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(body_of(
                    &confirm(own_id),
                    &hr,
                    json!({"x": "a".repeat(17_000)}),
                ))
                .await,
        ),
        (
            confirm(own_id),
            stack
                .call(
                    req("POST", &confirm(own_id))
                        .who(&hr)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
    ] {
        c.check("POST", &path, &r);
    }
    let why = json!({"reason": "写真が不鮮明"});
    for (path, r) in [
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &hr, json!({"reason": ""})))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &hr, why.clone()))
                .await,
        ),
        (
            reject(own_id),
            stack.call(body_of(&reject(own_id), &hr, why.clone())).await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &hr, why.clone()))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(req("POST", &reject(child_id)).json(why.clone()).build())
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(&reject(child_id), &h, why.clone()))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(body_of(
                    &reject(child_id),
                    &hr,
                    json!({"x": "a".repeat(17_000)}),
                ))
                .await,
        ),
        (
            reject(child_id),
            stack
                .call(
                    req("POST", &reject(child_id))
                        .who(&hr)
                        .header("content-type", "text/plain")
                        .raw_body("x")
                        .build(),
                )
                .await,
        ),
    ] {
        c.check("POST", &path, &r);
    }

    // Cancelling links.
    let cancel = |id: &str| format!("/v1/collections/{id}");
    let fresh = stack
        .call(link(json!({"employee_id": "C2", "purposes": ["withholding_tax"]})).build())
        .await;
    let fresh = fresh.body["collection_id"].as_str().unwrap().to_owned();
    for (path, r) in [
        (
            cancel(&fresh),
            stack
                .call(req("DELETE", &cancel(&fresh)).who(&hr).build())
                .await,
        ),
        (
            cancel(&collection),
            stack
                .call(req("DELETE", &cancel(&collection)).who(&hr).build())
                .await,
        ),
        (
            cancel("x"),
            stack
                .call(req("DELETE", &cancel("x")).who(&hr).build())
                .await,
        ),
        (
            cancel(&fresh),
            stack.call(req("DELETE", &cancel(&fresh)).build()).await,
        ),
        (
            cancel(&fresh),
            stack
                .call(req("DELETE", &cancel(&fresh)).who(&h).build())
                .await,
        ),
        (
            cancel(&missing),
            stack
                .call(req("DELETE", &cancel(&missing)).who(&hr).build())
                .await,
        ),
    ] {
        c.check("DELETE", &path, &r);
    }

    // 409: other links for the employee kept being opened meanwhile (staged in memory).
    let (memory_review, store) = racing_review();
    store
        .lose_update_race
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let r = memory_review.handle(link(open.clone()).build()).await;
    c.check(
        "POST",
        "/v1/collections",
        &mynumber_tests::Reply::from_response(r),
    );

    // 503s: the registrar's side without a table.
    let no_table_review = no_table_review(stack);
    for (method, path, r) in [
        (
            "POST",
            "/v1/collections".to_owned(),
            no_table_review.handle(link(open.clone()).build()).await,
        ),
        (
            "GET",
            "/v1/collections".to_owned(),
            no_table_review.handle(list(&hr).build()).await,
        ),
        (
            "DELETE",
            cancel(&fresh),
            no_table_review
                .handle(req("DELETE", &cancel(&fresh)).who(&hr).build())
                .await,
        ),
        (
            "POST",
            confirm(own_id),
            no_table_review
                .handle(body_of(&confirm(own_id), &hr, verification.clone()))
                .await,
        ),
        (
            "POST",
            reject(own_id),
            no_table_review
                .handle(body_of(&reject(own_id), &hr, why.clone()))
                .await,
        ),
    ] {
        c.check(method, &path, &mynumber_tests::Reply::from_response(r));
    }
}

fn post_record(who: &Who, body: Value) -> lambda_http::Request {
    req("POST", "/v1/records").who(who).json(body).build()
}

/// The photo routes: the form's upload tickets, and the registrar's list and view.
async fn document_routes(c: &mut Checker, stack: &Stack) {
    let hr = Who::registrar("acme");
    let created = stack
        .call(
            req("POST", "/v1/collections")
                .who(&hr)
                .json(json!({"employee_id": "D1", "purposes": ["withholding_tax"]}))
                .build(),
        )
        .await;
    let token = created.body["url"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned();
    let path = "/v1/collect/documents";
    let employee = |token: &str| {
        req("POST", path)
            .no_token()
            .no_authorizer()
            .header("authorization", &format!("Collection {token}"))
    };
    let photo = json!({"kind": "photo_id", "content_type": "image/png", "bytes": 8});
    let first = stack
        .call(employee(&token).json(photo.clone()).build())
        .await;
    c.check("POST", path, &first);
    let doc = first.body["document_id"].as_str().unwrap().to_owned();
    let (status, _, _) = mynumber_tests::http(
        "PUT",
        first.body["upload_url"].as_str().unwrap(),
        &[("content-type".into(), "image/png".into())],
        b"\x89PNG\r\n\x1a\n".to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    for _ in 0..5 {
        assert_eq!(
            stack
                .call(employee(&token).json(photo.clone()).build())
                .await
                .status,
            201
        );
    }
    for r in [
        stack
            .call(employee(&token).json(photo.clone()).build())
            .await,
        stack
            .call(employee(&token).json(json!({"kind": "x"})).build())
            .await,
        stack
            .call(
                req("POST", path)
                    .no_token()
                    .no_authorizer()
                    .json(photo.clone())
                    .build(),
            )
            .await,
        stack
            .call(employee(&"0".repeat(64)).json(photo.clone()).build())
            .await,
        stack
            .call(
                employee(&token)
                    .json(json!({"x": "a".repeat(17_000)}))
                    .build(),
            )
            .await,
        stack
            .call(
                employee(&token)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
    ] {
        c.check("POST", path, &r);
    }
    let own = json!({"my_number": N4, "number_document": "notification_card", "identity_document": "photo_id"});
    let r = stack
        .call(
            req("POST", "/v1/collect")
                .no_token()
                .no_authorizer()
                .header("authorization", &format!("Collection {token}"))
                .json(json!({"self": own, "documents": [doc]}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let record = r.body["records"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = format!("/v1/records/{record}/documents");
    let view = format!("{list}/{doc}");
    let unknown = format!("{list}/{}", mynumber_domain::RecordId::new_random());
    for (p, who) in [
        (&list, Some(&hr)),
        (&view, Some(&hr)),
        (&unknown, Some(&hr)),
        (&list, Some(&Who::handler("acme"))),
        (&view, Some(&Who::registrar("other"))),
        (&list, None),
        (&list, Some(&Who::registrar("other"))),
        (&view, None),
        (&view, Some(&Who::handler("acme"))),
        (&"/v1/records/x/documents".to_owned(), Some(&hr)),
        (&format!("{list}/x"), Some(&hr)),
    ] {
        let r = match who {
            Some(w) => stack.call(req("GET", p).who(w).build()).await,
            None => stack.call(req("GET", p).build()).await,
        };
        c.check("GET", p, &r);
    }
    let no_table_review = no_table_review(stack);
    for p in [&list, &view] {
        let r = no_table_review.handle(req("GET", p).who(&hr).build()).await;
        c.check("GET", p, &mynumber_tests::Reply::from_response(r));
    }
    let broken = stack.collect_on("no-such-table", mynumber_tests::MISSING_KEY);
    let r = broken
        .handle(employee(&token).json(photo.clone()).build())
        .await;
    c.check("POST", path, &mynumber_tests::Reply::from_response(r));
}

/// `/v1/exports…`: E1's own record (withholding tax) is the export's one record.
async fn export_routes(c: &mut Checker, stack: &Stack) {
    let h = Who::handler("acme");
    let other = Who::new("payroll-yamada", "acme", &["handler"]);
    let hr = Who::registrar("acme");
    let all = json!({"purpose": "withholding_tax", "all": true});
    let ask = |who: &Who, body: Value| req("POST", "/v1/exports").who(who).json(body).build();
    let created = stack.call(ask(&h, all.clone())).await;
    c.check("POST", "/v1/exports", &created);
    let id = created.body["export_id"].as_str().unwrap().to_owned();
    let pending = stack.call(ask(&h, all.clone())).await;
    let pending = pending.body["export_id"].as_str().unwrap().to_owned();
    for r in [
        stack.call(ask(&h, json!({"all": true}))).await,
        stack
            .call(ask(
                &h,
                json!({"purpose": "withholding_tax", "employee_ids": ["NOBODY"]}),
            ))
            .await,
        stack
            .call(req("POST", "/v1/exports").json(all.clone()).build())
            .await,
        stack.call(ask(&hr, all.clone())).await,
        stack
            .call(ask(&h, json!({"pad": "x".repeat(17_000)})))
            .await,
        stack
            .call(
                req("POST", "/v1/exports")
                    .who(&h)
                    .header("content-type", "text/plain")
                    .raw_body("x")
                    .build(),
            )
            .await,
        stack.call(req("PUT", "/v1/exports").who(&h).build()).await,
    ] {
        c.check("POST", "/v1/exports", &r);
    }
    for r in [
        stack.call(req("GET", "/v1/exports").who(&h).build()).await,
        stack
            .call(
                req("GET", "/v1/exports")
                    .who(&h)
                    .query("limit", "0")
                    .build(),
            )
            .await,
        stack.call(req("GET", "/v1/exports").build()).await,
        stack.call(req("GET", "/v1/exports").who(&hr).build()).await,
    ] {
        c.check("GET", "/v1/exports", &r);
    }
    let approve = |who: Option<&Who>, id: &str| {
        let r = req("POST", &format!("/v1/exports/{id}/approve"));
        match who {
            Some(w) => r.who(w).build(),
            None => r.build(),
        }
    };
    let file = |who: Option<&Who>, id: &str| {
        let r = req("GET", &format!("/v1/exports/{id}/file"));
        match who {
            Some(w) => r.who(w).build(),
            None => r.build(),
        }
    };
    let absent = mynumber_domain::RecordId::new_random().as_str().to_owned();
    let approve_path = format!("/v1/exports/{id}/approve");
    let file_path = format!("/v1/exports/{id}/file");
    for r in [
        stack.call(approve(Some(&other), "x")).await,
        stack.call(approve(None, &id)).await,
        stack.call(approve(Some(&h), &id)).await,
        stack.call(approve(Some(&other), &absent)).await,
        stack.call(approve(Some(&other), &id)).await,
        stack.call(approve(Some(&other), &id)).await,
    ] {
        c.check("POST", &approve_path, &r);
    }
    for r in [
        stack.call(file(Some(&h), "x")).await,
        stack.call(file(None, &id)).await,
        stack.call(file(Some(&other), &id)).await,
        stack.call(file(Some(&h), &absent)).await,
        stack.call(file(Some(&h), &pending)).await,
        stack.call(file(Some(&h), &id)).await,
        stack.call(file(Some(&h), &id)).await,
    ] {
        c.check("GET", &file_path, &r);
    }
    // Seven days on, the pending one has expired; then the clock goes back.
    let now = stack.clock.now_plus(chrono::Duration::zero());
    stack.set_now(now + chrono::Duration::days(8));
    let r = stack.call(approve(Some(&other), &pending)).await;
    c.check("POST", &approve_path, &r);
    stack.set_now(now);
    // More than 10,000 records (on the memory store: the moto-backed proof, which loads
    // them into a table, is in `exports`).
    {
        let (core, store) = racing_store();
        let limit = mynumber_domain::export::MAX_EXPORT_RECORDS;
        store.insert_records(
            (0..=limit).map(|i| mynumber_tests::bulk::record("acme", i, now, None)),
        );
        let lookup = ::lookup::Lookup::new(
            mynumber_domain::lookup::LookupService::new(
                core,
                store,
                std::sync::Arc::new(mynumber_tests::memory::LocalCipher::default()),
            ),
            mynumber_tests::jwt::authenticator(),
        );
        let r = mynumber_tests::Reply::from_response(lookup.handle(ask(&h, all.clone())).await);
        assert_eq!(r.code(), "too_many_records", "{}", r.raw);
        c.check("POST", "/v1/exports", &r);
    }
    let (_, no_table_lookup) = no_table(stack);
    for (method, path, r) in [
        (
            "POST",
            "/v1/exports".to_owned(),
            no_table_lookup.handle(ask(&h, all.clone())).await,
        ),
        (
            "GET",
            "/v1/exports".to_owned(),
            no_table_lookup
                .handle(req("GET", "/v1/exports").who(&h).build())
                .await,
        ),
        (
            "POST",
            approve_path.clone(),
            no_table_lookup.handle(approve(Some(&other), &id)).await,
        ),
        (
            "GET",
            file_path.clone(),
            no_table_lookup.handle(file(Some(&h), &id)).await,
        ),
    ] {
        c.check(method, &path, &mynumber_tests::Reply::from_response(r));
    }
}

//! Every reply, whatever the request's headers and path look like: a 2xx or a 4xx (never
//! a 5xx), `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, and a body
//! that echoes none of the request's header values, path segments or body values.

use super::*;

const MARK: &str = "ZQXJ";

fn marked(len: usize) -> String {
    let mut s = String::from(MARK);
    while s.len() < len {
        s.push_str("<x\"y'>{}");
    }
    s
}

/// As `marked`, but a valid path segment: API Gateway delivers paths percent-encoded.
fn marked_segment(len: usize) -> String {
    let mut s = String::from(MARK);
    while s.len() < len {
        s.push_str("%3Cx%22y%27%3E");
    }
    s
}

/// Each route of the API with a well-formed body, and the path with `{id}` / `{emp}` slots.
fn routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("POST", "/v1/records", Some(own_number("E0501", N1))),
        ("GET", "/v1/records?employee_id=E0501", None),
        (
            "POST",
            "/v1/records/{id}/reveal",
            Some(json!({"purpose": "withholding_tax"})),
        ),
        (
            "DELETE",
            "/v1/records/{id}",
            Some(json!({"reason": "withdrawn"})),
        ),
        (
            "POST",
            "/v1/employees/{emp}/departure",
            Some(json!({"left_on": "2026-03-31"})),
        ),
        ("DELETE", "/v1/employees/{emp}/departure", None),
        ("GET", "/v1/disposals", None),
    ]
}

fn check(r: &Reply, what: &str) {
    assert!(r.status < 500, "{what}: {} {}", r.status, r.raw);
    assert_eq!(
        r.headers.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{what}"
    );
    assert_eq!(
        r.headers
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
    assert!(
        !r.raw.contains(MARK),
        "{what}: the reply echoes the request: {}",
        r.raw
    );
    assert!(!r.raw.contains(N1), "{what}: {}", r.raw);
}

#[tokio::test]
async fn malformed_and_oversized_headers_and_paths_get_a_safe_reply() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let record = register(&stack, &hr, own_number("E0500", N2)).await;
    let id = record.body["record_id"].as_str().unwrap().to_owned();
    let huge = marked(8 * 1024);
    let headers: Vec<(&str, String)> = vec![
        ("authorization", format!("Bearer {huge}")),
        ("authorization", format!("Basic {MARK}")),
        ("authorization", format!("Bearer {MARK}.{MARK}.{MARK}")),
        ("content-type", marked(2048)),
        ("content-type", format!("application/json; charset={MARK}")),
        ("idempotency-key", marked(4096)),
        ("idempotency-key", format!("{MARK} 1234 5678 9018")),
        ("x-dev-sub", MARK.to_owned()),
        ("x-dev-roles", format!("registrar,{MARK}")),
        ("accept", marked(1024)),
        ("content-length", MARK.to_owned()),
    ];
    for (method, path, body) in routes() {
        let path = path.replace("{id}", &id).replace("{emp}", "E0500");
        for who in [Some(&hr), Some(&Who::handler("acme")), None] {
            for (name, value) in &headers {
                let mut r = req(method, path.split('?').next().unwrap());
                if let Some((_, q)) = path.split_once('?') {
                    let (k, v) = q.split_once('=').unwrap();
                    r = r.query(k, v);
                }
                if let Some(who) = who {
                    r = r.who(who);
                }
                if let Some(b) = &body {
                    r = r.json(b.clone());
                }
                let what = format!("{method} {path} with a malformed {name}");
                // A second authorization header replaces the token: that is the test.
                let reply = stack.call(r.header(name, value).build()).await;
                check(&reply, &what);
            }
        }
        // Path segments that are not ids, oversized or full of markup.
        for bad in [
            marked_segment(2048),
            format!("{MARK}%00"),
            format!("..%2F{MARK}"),
            format!("{MARK}1234-5678-9018"),
        ] {
            let path = path.replace(&id, &bad).replace("E0500", &bad);
            if !path.contains(MARK) {
                continue;
            }
            let mut r = req(method, path.split('?').next().unwrap()).who(&hr);
            if let Some((_, q)) = path.split_once('?') {
                let (k, v) = q.split_once('=').unwrap();
                r = r.query(k, v);
            }
            if let Some(b) = &body {
                r = r.json(b.clone());
            }
            let reply = stack.call(r.build()).await;
            check(&reply, &format!("{method} with path {path}"));
        }
    }
    // A query value too.
    let reply = stack
        .call(
            req("GET", "/v1/records")
                .who(&hr)
                .query("employee_id", &marked_segment(300))
                .build(),
        )
        .await;
    check(&reply, "a marked query value");
    // Successful replies carry the headers too.
    let ok = stack
        .call(
            req("GET", "/v1/records")
                .who(&hr)
                .query("employee_id", "E0500")
                .build(),
        )
        .await;
    assert_eq!(ok.status, 200);
    check(&ok, "a listing");
    stack.assert_no_plaintext(&[N1, N2]).await;
}

/// A body that is not UTF-8, as API Gateway hands it to the function: base64-encoded, with
/// `isBase64Encoded: true` (the local router answers such a body with its own 500 instead, so
/// only this test shows what the functions do with one). Never a 5xx: 400 `body`/`json` when
/// it claims to be JSON, 415 when it says it is something else; nothing written, nothing
/// echoed.
#[tokio::test]
async fn binary_bodies_get_a_400_problem() {
    use base64::Engine;
    let stack = Stack::new().await;
    let hr = Who::new("hr-sato", "acme", &["registrar", "handler"]);
    let record = register(&stack, &hr, own_number("E0510", N2)).await;
    assert_eq!(record.status, 201, "{}", record.raw);
    let id = record.body["record_id"].as_str().unwrap().to_owned();
    let items_before = stack.all_items().await.len();
    // Invalid UTF-8 throughout (a lone continuation byte, an overlong form, 0xFF), a NUL, and
    // the marker and a number among the bytes, which the reply must not repeat.
    let mut bytes = vec![0xff, 0xfe, 0x00, 0x80, 0xc0, 0xaf, b'{', 0xed, 0xa0, 0x80];
    bytes.extend_from_slice(MARK.as_bytes());
    bytes.extend_from_slice(N1.as_bytes());
    bytes.extend_from_slice(&[0xf8, 0x88, 0x80, 0x80, 0x80, b'}']);
    assert!(std::str::from_utf8(&bytes).is_err());
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    for (method, path, body) in routes() {
        if body.is_none() {
            continue;
        }
        let path = path.replace("{id}", &id).replace("{emp}", "E0510");
        for (content_type, status, code) in [
            (Some("application/json"), 400, "invalid_request"),
            (None, 400, "invalid_request"),
            (
                Some("application/octet-stream"),
                415,
                "unsupported_media_type",
            ),
        ] {
            let mut r = req(method, &path).who(&hr);
            if let Some(ct) = content_type {
                r = r.header("content-type", ct);
            }
            let mut event = r.event();
            event["body"] = json!(encoded);
            event["isBase64Encoded"] = json!(true);
            let request = lambda_http::request::from_str(&event.to_string())
                .expect("a valid API Gateway v2 event");
            // What the function sees is the bytes themselves, not their base64.
            assert_eq!(request.body().as_ref(), bytes.as_slice());
            let reply = stack.call(request).await;
            let what = format!("{method} {path}, binary body, content-type {content_type:?}");
            check(&reply, &what);
            assert_problem(&reply, status, code);
            if status == 400 {
                assert_eq!(
                    reply.field_errors(),
                    [("body".to_owned(), "json".to_owned())],
                    "{what}"
                );
            }
        }
    }
    assert_eq!(stack.all_items().await.len(), items_before);
    stack.assert_no_plaintext(&[N1, N2]).await;
}

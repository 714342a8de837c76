//! Test harness: a moto server per test process on a free port, a fresh table and keys
//! per test, the real intake and lookup handlers wired to them, API Gateway v2 events, and
//! a capture of every log line and response body so tests can prove no number leaked.

pub mod browser;
pub mod bulk;
pub mod events;
pub mod faults;
pub mod iam;
pub mod jwt;
mod leaks;
pub mod local;
pub mod memory;
pub mod moto;
pub mod oauth;
pub mod schema;
mod stack;

pub use leaks::*;
pub use stack::*;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use lambda_http::{Body, Request, Response};
use memory::FixedClock;
use mynumber_aws::{DynamoStore, KmsDecryptor, KmsEncryptor, bootstrap};
use mynumber_domain::backstop::BackstopService;
use mynumber_domain::intake::IntakeService;
use mynumber_domain::lookup::LookupService;
use mynumber_domain::notify::{NotificationService, Notifier};
use mynumber_domain::ports::Clock;
use mynumber_domain::purge::PurgeService;
use mynumber_domain::review::ReviewService;
use mynumber_domain::submission::SubmissionService;
use mynumber_domain::{AuditEvent, AuditSink, Core, VaultConfig};
use mynumber_http::routes::{knows, route};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

pub use events::{Who, req};

/// A stored item as the SDK returns it.
pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// Every item of `table`, all pages (a Scan: only tests do one).
pub async fn scan_all(ddb: &aws_sdk_dynamodb::Client, table: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = ddb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(out.items().iter().cloned());
        match out.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => return items,
        }
    }
}

/// The items of one `kind` (`record`, `disposal`, `slot`, `audit`, …).
pub fn of_kind(items: Vec<Item>, kind: &str) -> Vec<Item> {
    items
        .into_iter()
        .filter(|i| {
            i.get("kind")
                .and_then(|k| k.as_s().ok())
                .map(String::as_str)
                == Some(kind)
        })
        .collect()
}

/// The origin the harness's collection links point at.
pub const PUBLIC_BASE_URL: &str = "https://vault.example.test";

/// The sender identity the harness creates in moto.
pub const MAIL_FROM: &str = "no-reply@vault.example.test";

/// A KMS key id that does not exist (moto ignores DisableKey): every call with it fails.
pub const MISSING_KEY: &str = "11111111-2222-3333-4444-555555555555";

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
    pub raw: String,
    /// The body's bytes (a PDF, an image).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn from_response(resp: Response<Body>) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = match resp.body() {
            Body::Text(s) => s.as_bytes().to_vec(),
            Body::Binary(b) => b.clone(),
            _ => Vec::new(),
        };
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            headers,
            body,
            raw,
            bytes,
        }
    }

    /// The `{field, rule}` pairs of a 400.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap().to_owned(),
                            e["rule"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// An S3 client for moto (path-style: moto has no per-bucket host names).
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// `docs/openapi.json`, read once.
pub fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap())
}

/// The document's path template that matches a concrete path; a literal segment wins over
/// a parameter (`/console/config.json` over `/console/{asset}`), as in API Gateway.
pub fn path_template<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|t| {
            let ts: Vec<&str> = t.trim_matches('/').split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .min_by_key(|t| t.matches('{').count())
}

/// `method path` of the API operation of `docs/openapi.json` that serves `path` (lower-case
/// method, the document's template), if any; pages (`/console`, `/collect`) are not API
/// operations.
pub fn documented_operation(method: &str, path: &str) -> Option<String> {
    if !path.starts_with("/v1/") {
        return None;
    }
    let doc = openapi();
    let template = path_template(doc, path)?;
    let method = method.to_ascii_lowercase();
    doc["paths"][template]
        .get(&method)
        .map(|_| format!("{method} {template}"))
}

/// An intake body for an employee's own number, verified with the My Number card.
pub fn own_number(employee: &str, number: &str) -> Value {
    serde_json::json!({
        "employee_id": employee,
        "relation": "self",
        "my_number": number,
        "purposes": ["withholding_tax", "social_insurance"],
        "verification": {
            "number_check": "my_number_card",
            "identity_check": "my_number_card",
            "verified_on": "2026-04-01"
        }
    })
}

/// A valid number for each `i` and `salt` (check digit by the SPEC §2.1 rule), for runs
/// that need many.
pub fn generated_number(i: usize, salt: u64) -> String {
    let mut n = format!("{:011}", (i as u64 * 7_919 + salt) % 100_000_000_000);
    let check = mynumber_domain::number::check_digit(n.as_bytes());
    n.push((b'0' + check) as char);
    n
}

/// Valid test numbers (check digits by the SPEC §2.1 rule). Every log line of the process is
/// scanned for them whenever a `Stack` is dropped, so no test can leak one unnoticed.
pub const TEST_NUMBERS: [&str; 5] = [
    "123456789018",
    "023456789013",
    "314159265352",
    "271828182840",
    "161803398872",
];

/// A DynamoDB store on a table of its own at moto, as the functions have it: for the
/// store contract, which needs no functions, keys or bucket.
pub async fn table_store() -> DynamoStore {
    let sdk = mynumber_aws::sdk_config(Some(&moto::endpoint())).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("vault-{}", uuid_like());
    bootstrap::ensure_table(&ddb, &table).await.unwrap();
    DynamoStore::new(ddb, &table).with_config(&VaultConfig::default())
}

/// The instant every stack's clock starts at: fixed (noon JST on 2026-12-01), so a test
/// reads the same on any day it runs; `TEST_EPOCH` (RFC 3339) moves it, to show that none
/// depends on the day (`TEST_EPOCH=2027-12-01T03:00:00Z make test`).
pub fn epoch() -> DateTime<Utc> {
    match std::env::var("TEST_EPOCH") {
        Ok(s) => DateTime::parse_from_rfc3339(&s)
            .expect("TEST_EPOCH is an RFC 3339 instant")
            .with_timezone(&Utc),
        Err(_) => DateTime::parse_from_rfc3339("2026-12-01T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    }
}

/// `sdk` with `timeouts` in place of its own.
fn patient(sdk: SdkConfig, timeouts: aws_config::timeout::TimeoutConfigBuilder) -> SdkConfig {
    sdk.into_builder().timeout_config(timeouts.build()).build()
}

/// A short random id for table and alias names.
pub fn uuid_like() -> String {
    mynumber_domain::RecordId::new_random().as_str()[..8].to_owned()
}

/// A plain HTTP request to a presigned URL (moto's), as a browser would send it: no SDK,
/// no credentials. Returns the status, the headers and the body.
pub async fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, hyper::HeaderMap, Vec<u8>) {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;
    let client: Client<HttpConnector, Full<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let response = client
        .request(request.body(Full::new(bytes::Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// The function API Gateway sends a request to, from the functions' own route tables: the
/// one that names the method and path; for a method none names, one that knows the path
/// (its 405); anything else reaches intake (its 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Intake,
    Lookup,
    Review,
    Collect,
    Console,
    Certify,
}

impl Target {
    pub fn of(method: &str, path: &str) -> Target {
        fn names<Op: Copy>(t: &[mynumber_http::Route<Op>], m: &str, p: &str) -> bool {
            route(t, m, p).is_ok()
        }
        let tables = [
            (
                Target::Intake,
                names(::intake::ROUTES, method, path),
                knows(::intake::ROUTES, path),
            ),
            (
                Target::Lookup,
                names(::lookup::ROUTES, method, path),
                knows(::lookup::ROUTES, path),
            ),
            (
                Target::Review,
                names(::review::ROUTES, method, path),
                knows(::review::ROUTES, path),
            ),
            (
                Target::Collect,
                names(::collect::ROUTES, method, path),
                knows(::collect::ROUTES, path),
            ),
            (
                Target::Console,
                names(::console::ROUTES, method, path),
                knows(::console::ROUTES, path),
            ),
            (
                Target::Certify,
                names(::certify::ROUTES, method, path),
                knows(::certify::ROUTES, path),
            ),
        ];
        tables
            .iter()
            .find(|t| t.1)
            .or_else(|| tables.iter().find(|t| t.2))
            .map_or(Target::Intake, |t| t.0)
    }
}

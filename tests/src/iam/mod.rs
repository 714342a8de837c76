//! IAM enforced: a second moto server, for the IAM tests only, that checks the signature of
//! every request and the caller's identity policies; per function an IAM role holding the
//! policies `infra/template.yaml` gives that function's role (read and resolved at test
//! time, with this test's table and key ARNs), assumed through STS; and each function's
//! use case on its role's session credentials, built as `mynumber_aws` builds it
//! from the environment the template gives the function.
//!
//! What moto enforces and what it does not, and why its policies are adapted
//! ([`Policies`]): docs/iam-in-the-emulator.md.

use crate::memory::FixedClock;
use crate::{CaptureAudit, CaptureWriter, jwt, moto, recording_kms};
use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use chrono::{DateTime, Utc};
use mynumber_aws::{DynamoStore, KmsDecryptor, KmsEncryptor, bootstrap};
use mynumber_domain::backstop::BackstopService;
use mynumber_domain::intake::IntakeService;
use mynumber_domain::lookup::LookupService;
use mynumber_domain::purge::PurgeService;
use mynumber_domain::{Core, VaultConfig};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};

mod stack;
mod template;

pub use stack::*;
pub use template::*;

/// The template the roles come from.
pub const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");

/// Requests the enforcing server serves before it checks any: exactly the three that
/// create the admin user (CreateUser, PutUserPolicy, CreateAccessKey).
const UNAUTHENTICATED_REQUESTS: &str = "3";

// ------------------------------------------------------------------ keys and raw IAM/STS calls

/// An access key moto issued (or, for [`Keys::unknown`], one it did not).
#[derive(Clone, Debug)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Keys {
    /// The dummy keys every other test signs with: not issued by moto.
    pub fn unknown() -> Keys {
        Keys {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            None,
            "moto-iam",
        )
    }
}

/// A refused IAM or STS call: status and XML body.
#[derive(Debug)]
pub struct QueryError {
    pub status: u16,
    pub body: String,
}

/// One IAM or STS query-protocol call (`service` "iam" or "sts") to the moto server at
/// `endpoint`, SigV4-signed with `keys`; the XML body of a 2xx answer. Blocking: plain
/// HTTP/1.1 on loopback, one connection per call (no IAM SDK to compile for five calls).
pub fn query_blocking(
    endpoint: &str,
    keys: &Keys,
    service: &str,
    params: &[(&str, &str)],
) -> Result<String, QueryError> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let version = match service {
        "iam" => "2010-05-08",
        "sts" => "2011-06-15",
        other => panic!("no query API version for {other}"),
    };
    let body = params
        .iter()
        .chain([&("Version", version)])
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let host = endpoint
        .strip_prefix("http://")
        .expect("a plain-HTTP moto endpoint");
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = keys.credentials().into();
    let signing = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("complete signing parameters")
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("{endpoint}/"),
        [("host", host), ("content-type", content_type)].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("a signable request");
    let (instructions, _) = sign(signable, &signing).expect("signed").into_parts();
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in instructions.headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    let mut stream = std::net::TcpStream::connect(host).expect("connect to moto");
    stream.write_all(request.as_bytes()).expect("send to moto");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("read moto's answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "moto answered in chunks: {head}"
    );
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    if (200..300).contains(&status) {
        Ok(body.to_owned())
    } else {
        Err(QueryError {
            status,
            body: body.to_owned(),
        })
    }
}

/// A form value as moto re-encodes it to check the signature (Python's `quote_plus`):
/// every byte but `A-Z a-z 0-9 _ . - ~` percent-encoded, a space as `+`. (A `*` left
/// as is, as other encoders do, makes the signature moto computes differ.)
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// [`query_blocking`] on the enforcing server, off the test's runtime thread.
pub async fn query(
    keys: &Keys,
    service: &'static str,
    params: &[(&str, &str)],
) -> Result<String, QueryError> {
    let endpoint = enforcing().endpoint.clone();
    let keys = keys.clone();
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        query_blocking(&endpoint, &keys, service, &params)
    })
    .await
    .expect("the IAM call's thread")
}

/// The text of the first `<tag>` element of an XML answer.
pub fn xml_text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&close).expect("a closing tag");
    xml[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

// ------------------------------------------------------------------ the enforcing server

/// The IAM-enforcing moto server of this test process, and its admin user: the identity
/// that creates every test's table, keys and roles.
pub struct Enforcing {
    pub endpoint: String,
    pub admin: Keys,
    pub admin_arn: String,
    pub account: String,
}

/// Starts the enforcing server on first use: moto with `INITIAL_NO_AUTH_ACTION_COUNT=3`,
/// whose three unauthenticated requests create an admin user (`"Action": "*"`) and its
/// access key. From the fourth request on, moto checks every signature and policy; that
/// keys it did not issue are refused is checked here before anyone uses it.
pub fn enforcing() -> &'static Enforcing {
    static SERVER: OnceLock<Enforcing> = OnceLock::new();
    SERVER.get_or_init(|| {
        let endpoint = moto::spawn(&[("INITIAL_NO_AUTH_ACTION_COUNT", UNAUTHENTICATED_REQUESTS)]);
        let anyone = Keys::unknown();
        let iam = |params: &[(&str, &str)]| query_blocking(&endpoint, &anyone, "iam", params);
        let user = iam(&[("Action", "CreateUser"), ("UserName", "admin")]).expect("CreateUser");
        let everything = json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        })
        .to_string();
        iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "admin"),
            ("PolicyName", "admin"),
            ("PolicyDocument", &everything),
        ])
        .expect("PutUserPolicy");
        let key =
            iam(&[("Action", "CreateAccessKey"), ("UserName", "admin")]).expect("CreateAccessKey");
        let refused = iam(&[("Action", "GetUser"), ("UserName", "admin")])
            .expect_err("moto enforces IAM after the admin's three requests");
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            refused.body.contains("InvalidClientTokenId"),
            "{}",
            refused.body
        );
        let admin_arn = xml_text(&user, "Arn");
        Enforcing {
            account: admin_arn.split(':').nth(4).expect("an IAM ARN").to_owned(),
            admin_arn,
            admin: Keys {
                access_key_id: xml_text(&key, "AccessKeyId"),
                secret_access_key: xml_text(&key, "SecretAccessKey"),
                session_token: None,
            },
            endpoint,
        }
    })
}

/// The SDK configuration of the functions (timeouts, retries) on the enforcing server,
/// signing with `keys`.
pub async fn sdk_for(keys: &Keys) -> SdkConfig {
    mynumber_aws::sdk_config(Some(&enforcing().endpoint))
        .await
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(keys.credentials()))
        .build()
}

/// Asserts that moto refused a call as IAM does when no policy allows `action`
/// (e.g. `kms:Decrypt`): 403 AccessDenied naming the action.
#[track_caller]
pub fn assert_denied<T: std::fmt::Debug, E: std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    action: &str,
) {
    let err = match result {
        Ok(out) => panic!("{action} was allowed: {out:?}"),
        Err(e) => e,
    };
    let raw = err
        .raw_response()
        .unwrap_or_else(|| panic!("{action}: no answer from moto: {err:?}"));
    let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).into_owned();
    assert_eq!(raw.status().as_u16(), 403, "{action}: {body}");
    assert!(
        body.contains("<Code>AccessDenied</Code>"),
        "{action}: {body}"
    );
    assert!(
        body.contains(&format!("is not authorized to perform: {action}")),
        "{action}: {body}"
    );
}

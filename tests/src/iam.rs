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

// ------------------------------------------------------------------ the template

/// `infra/template.yaml` as CloudFormation reads it: the short tags in their long form
/// (`!GetAtt A.B` is `{"Fn::GetAtt": "A.B"}`, `!Ref X` is `{"Ref": "X"}`).
pub struct Template(Value);

/// The functions, by the role each runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Intake,
    Review,
    Lookup,
    Purge,
    Backstop,
    Console,
}

impl Function {
    /// The logical id of the function's role in the template.
    pub fn role(self) -> &'static str {
        match self {
            Function::Intake => "IntakeRole",
            Function::Review => "ReviewRole",
            Function::Lookup => "LookupRole",
            Function::Purge => "PurgeRole",
            Function::Backstop => "BackstopRole",
            Function::Console => "ConsoleRole",
        }
    }
}

/// What CloudFormation resolves the template's intrinsic functions to in one test's stack.
pub struct Deployment {
    pub stack_name: String,
    pub region: String,
    pub account: String,
    /// `!Ref` values of the resources the test created (`Table`: its name).
    pub refs: HashMap<String, String>,
    /// `!GetAtt` values of the resources the test created (`Table.Arn`, `DataKey.Arn`, …).
    pub attributes: HashMap<String, String>,
}

impl Deployment {
    /// The name of the IAM role standing for the template's role `logical_id`.
    pub fn role_name(&self, logical_id: &str) -> String {
        format!("{}-{logical_id}", self.stack_name)
    }
}

fn long_form(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                json!(n.as_f64())
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(long_form).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| match k {
                    Y::String(k) => (k, long_form(v)),
                    other => panic!("a template key that is not a string: {other:?}"),
                })
                .collect(),
        ),
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                _ => format!("Fn::{name}"),
            };
            json!({ key: long_form(t.value) })
        }
    }
}

fn as_str<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {v}"))
}

impl Template {
    pub fn load() -> Template {
        let text = std::fs::read_to_string(TEMPLATE).expect("read infra/template.yaml");
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).expect("infra/template.yaml is YAML");
        Template(long_form(yaml))
    }

    /// Every resource of the template by logical id, unresolved.
    pub fn resources(&self) -> &Map<String, Value> {
        self.0["Resources"].as_object().expect("Resources")
    }

    pub fn resource(&self, logical_id: &str) -> &Value {
        let r = &self.0["Resources"][logical_id];
        assert!(r.is_object(), "the template has no resource {logical_id}");
        r
    }

    /// Every policy the template gives role `role`: its inline `Policies`, and every
    /// `AWS::IAM::Policy` or `AWS::IAM::ManagedPolicy` attached to it by `Roles`. As
    /// `(name, document)`, unresolved.
    pub fn role_policies(&self, role: &str) -> Vec<(Value, Value)> {
        let r = self.resource(role);
        assert_eq!(r["Type"], "AWS::IAM::Role", "{role}");
        assert!(
            r["Properties"].get("ManagedPolicyArns").is_none(),
            "{role} has managed policies, which the IAM tests cannot give moto"
        );
        let mut out: Vec<(Value, Value)> = r["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["PolicyName"].clone(), p["PolicyDocument"].clone()))
            .collect();
        let resources = self.0["Resources"].as_object().expect("Resources");
        for (id, res) in resources {
            let attached = matches!(
                res["Type"].as_str(),
                Some("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy")
            ) && res["Properties"]["Roles"]
                .as_array()
                .is_some_and(|roles| roles.contains(&json!({ "Ref": role })));
            if attached {
                let name = res["Properties"]
                    .get("PolicyName")
                    .or_else(|| res["Properties"].get("ManagedPolicyName"))
                    .cloned()
                    .unwrap_or_else(|| json!(id));
                out.push((name, res["Properties"]["PolicyDocument"].clone()));
            }
        }
        assert!(!out.is_empty(), "{role} has no policy");
        out
    }

    /// The environment variables of the function that runs with role `role`, unresolved.
    pub fn function_environment(&self, role: &str) -> Map<String, Value> {
        let resources = self.0["Resources"].as_object().expect("Resources");
        let functions: Vec<_> = resources
            .values()
            .filter(|r| {
                let role_of = &r["Properties"]["Role"]["Fn::GetAtt"];
                r["Type"] == "AWS::Serverless::Function"
                    && (*role_of == json!(format!("{role}.Arn"))
                        || *role_of == json!([role, "Arn"]))
            })
            .collect();
        assert_eq!(functions.len(), 1, "one function runs with {role}");
        functions[0]["Properties"]["Environment"]["Variables"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// `value` with every intrinsic function resolved in `d`. Panics on one it does not
    /// know (`Fn::If`, `Fn::FindInMap`, …): extend this when the roles start using one.
    pub fn resolve(&self, value: &Value, d: &Deployment) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v, d)).collect()),
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => json!(self.reference(as_str(arg, "Ref"), d)),
                    "Fn::GetAtt" => {
                        let (res, attr) = match arg {
                            Value::String(s) => s.split_once('.').expect("Resource.Attribute"),
                            _ => (as_str(&arg[0], "GetAtt"), as_str(&arg[1], "GetAtt")),
                        };
                        json!(self.attribute(res, attr, d))
                    }
                    "Fn::Sub" => {
                        let (text, vars) = match arg {
                            Value::String(s) => (s.as_str(), Map::new()),
                            _ => (
                                as_str(&arg[0], "Sub"),
                                arg[1].as_object().cloned().unwrap_or_default(),
                            ),
                        };
                        json!(self.substitute(text, &vars, d))
                    }
                    "Fn::Join" => {
                        let parts: Vec<String> = arg[1]
                            .as_array()
                            .expect("Join's list")
                            .iter()
                            .map(|p| as_str(&self.resolve(p, d), "Join").to_owned())
                            .collect();
                        json!(parts.join(as_str(&arg[0], "Join")))
                    }
                    k if k.starts_with("Fn::") || k == "Condition" => {
                        panic!("the IAM tests cannot resolve {k} ({arg}): extend Template::resolve")
                    }
                    _ => json!({ key.clone(): self.resolve(arg, d) }),
                }
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v, d)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn substitute(&self, text: &str, vars: &Map<String, Value>, d: &Deployment) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let end = at + rest[at..].find('}').expect("a closing brace in Sub");
            let name = &rest[at + 2..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(v) = vars.get(name) {
                out.push_str(as_str(&self.resolve(v, d), name));
            } else if let Some((res, attr)) = name.split_once('.') {
                out.push_str(&self.attribute(res, attr, d));
            } else {
                out.push_str(&self.reference(name, d));
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn reference(&self, name: &str, d: &Deployment) -> String {
        match name {
            "AWS::Region" => return d.region.clone(),
            "AWS::AccountId" => return d.account.clone(),
            "AWS::StackName" => return d.stack_name.clone(),
            "AWS::Partition" => return "aws".into(),
            "AWS::URLSuffix" => return "amazonaws.com".into(),
            _ => {}
        }
        if let Some(v) = d.refs.get(name) {
            return v.clone();
        }
        if let Some(p) = self.0["Parameters"].get(name) {
            return match &p["Default"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("parameter {name} has no usable default: {other}"),
            };
        }
        let r = self.resource(name);
        match as_str(&r["Type"], name) {
            "AWS::Logs::LogGroup" => {
                as_str(&self.resolve(&r["Properties"]["LogGroupName"], d), name).to_owned()
            }
            "AWS::IAM::Role" => d.role_name(name),
            // Not created by the test unless it says so in `d.refs`: the name CloudFormation
            // would be given for it (`DocumentsBucket` is `<stack>-documents`).
            "AWS::S3::Bucket" => format!(
                "{}-{}",
                d.stack_name,
                name.trim_end_matches("Bucket").to_ascii_lowercase()
            ),
            // A key the test did not create (DataKey and MacKey are in `d.refs`): a
            // stand-in key id.
            "AWS::KMS::Key" => format!("{}-{}", d.stack_name, name.to_ascii_lowercase()),
            other => panic!("no value for !Ref {name} ({other}) in the IAM tests' stack"),
        }
    }

    fn attribute(&self, resource: &str, attr: &str, d: &Deployment) -> String {
        if let Some(v) = d.attributes.get(&format!("{resource}.{attr}")) {
            return v.clone();
        }
        let r = self.resource(resource);
        let (region, account) = (&d.region, &d.account);
        match (as_str(&r["Type"], resource), attr) {
            ("AWS::Logs::LogGroup", "Arn") => format!(
                "arn:aws:logs:{region}:{account}:log-group:{}:*",
                self.reference(resource, d)
            ),
            ("AWS::SQS::Queue", "Arn") => format!(
                "arn:aws:sqs:{region}:{account}:{}",
                as_str(&self.resolve(&r["Properties"]["QueueName"], d), resource)
            ),
            ("AWS::IAM::Role", "Arn") => {
                format!("arn:aws:iam::{account}:role/{}", d.role_name(resource))
            }
            ("AWS::S3::Bucket", "Arn") => {
                format!("arn:aws:s3:::{}", self.reference(resource, d))
            }
            ("AWS::KMS::Key", "Arn") => format!(
                "arn:aws:kms:{region}:{account}:key/{}",
                self.reference(resource, d)
            ),
            (ty, _) => {
                panic!("no value for !GetAtt {resource}.{attr} ({ty}) in the IAM tests' stack")
            }
        }
    }
}

// ------------------------------------------------------------------ policies as moto gets them

/// Per-item write actions: what AWS authorises each item of a TransactWriteItems by.
const PER_ITEM_WRITES: [&str; 4] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
];

/// How a role's policies are given to moto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policies {
    /// Exactly as the template writes them, resolved with this stack's ARNs.
    AsWritten,
    /// Every statement's `Resource` widened to `"*"`: moto authorises DynamoDB and KMS
    /// requests against the resource `"*"`, so a statement naming an ARN never applies.
    AnyResource,
    /// `AnyResource`, and `dynamodb:TransactWriteItems` added to every statement that
    /// allows a per-item write: moto authorises a transaction as that one action, while
    /// AWS has no such IAM action and authorises each item by its own (PutItem, …).
    ForMoto,
}

/// `doc` adapted for moto as `how` says. Actions and conditions are never touched.
pub fn adapt(mut doc: Value, how: Policies) -> Value {
    if how == Policies::AsWritten {
        return doc;
    }
    let statements = match doc["Statement"].as_array_mut() {
        Some(list) => list,
        None => panic!("a policy whose Statement is not a list: {doc}"),
    };
    for s in statements {
        s["Resource"] = json!("*");
        if how == Policies::ForMoto && s["Effect"] == "Allow" {
            let mut actions: Vec<Value> = match &s["Action"] {
                Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            if actions
                .iter()
                .any(|a| PER_ITEM_WRITES.contains(&a.as_str().unwrap_or_default()))
            {
                actions.push(json!("dynamodb:TransactWriteItems"));
                s["Action"] = Value::Array(actions);
            }
        }
    }
    doc
}

// ------------------------------------------------------------------ one test's stack

/// One test's world on the enforcing server: its table (with the template's stream) and
/// keys, created by the admin user, and the template resolved against them.
pub struct IamStack {
    pub template: Template,
    pub deployment: Deployment,
    /// The admin user's SDK configuration: set-up and the tests' own checks.
    pub admin: SdkConfig,
    pub table: String,
    pub data_key_arn: String,
    pub mac_key_arn: String,
    pub clock: Arc<FixedClock>,
    pub audit: Arc<CaptureAudit>,
    pub config: VaultConfig,
}

/// A function's identity in moto: an IAM role with its template policies, and the
/// credentials of a session of that role (what Lambda hands the function).
pub struct Identity {
    pub function: Function,
    pub role_name: String,
    /// The policies as moto holds them: `(name, document)`, resolved and adapted.
    pub policies: Vec<(String, Value)>,
    pub keys: Keys,
    pub sdk: SdkConfig,
}

impl Identity {
    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }
    pub fn kms(&self) -> aws_sdk_kms::Client {
        recording_kms(&self.sdk)
    }
}

impl IamStack {
    pub async fn new() -> IamStack {
        crate::install_capture();
        let server = enforcing();
        let admin = sdk_for(&server.admin).await;
        let stack_name = format!("iam-{}", crate::uuid_like());
        let template = Template::load();
        let table = format!("{stack_name}-table");
        let ddb = aws_sdk_dynamodb::Client::new(&admin);
        bootstrap::ensure_table(&ddb, &table).await.unwrap();
        // The template's table streams its changes to the backstop (Table.StreamArn).
        let view = as_str(
            &template.resource("Table")["Properties"]["StreamSpecification"]["StreamViewType"],
            "Table's StreamViewType",
        );
        ddb.update_table()
            .table_name(&table)
            .stream_specification(
                aws_sdk_dynamodb::types::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(view.into())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let described = ddb
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        let t = described.table().expect("the table");
        let table_arn = t.table_arn().expect("a table ARN").to_owned();
        let stream_arn = t.latest_stream_arn().expect("a stream ARN").to_owned();
        // The keys as the template declares them (KeySpec, KeyUsage); no key policy: moto
        // does not apply one to Encrypt or Decrypt (docs/iam-in-the-emulator.md).
        let kms = aws_sdk_kms::Client::new(&admin);
        let mut keys = Vec::new();
        for logical_id in ["DataKey", "MacKey"] {
            let props = &template.resource(logical_id)["Properties"];
            let created = kms
                .create_key()
                .key_spec(as_str(&props["KeySpec"], logical_id).into())
                .key_usage(as_str(&props["KeyUsage"], logical_id).into())
                .description(format!("{stack_name} {logical_id}"))
                .send()
                .await
                .unwrap();
            let meta = created.key_metadata().expect("the key's metadata");
            keys.push((
                meta.key_id().to_owned(),
                meta.arn().expect("an ARN").to_owned(),
            ));
        }
        let [(data_key, data_key_arn), (mac_key, mac_key_arn)] =
            <[(String, String); 2]>::try_from(keys).unwrap();
        let deployment = Deployment {
            region: admin.region().expect("a region").to_string(),
            account: server.account.clone(),
            refs: HashMap::from([
                ("Table".into(), table.clone()),
                ("DataKey".into(), data_key.clone()),
                ("MacKey".into(), mac_key.clone()),
            ]),
            attributes: HashMap::from([
                ("Table.Arn".into(), table_arn),
                ("Table.StreamArn".into(), stream_arn),
                ("DataKey.Arn".into(), data_key_arn.clone()),
                ("MacKey.Arn".into(), mac_key_arn.clone()),
            ]),
            stack_name,
        };
        IamStack {
            template,
            deployment,
            admin,
            table,
            data_key_arn,
            mac_key_arn,
            clock: Arc::new(FixedClock(Mutex::new(crate::epoch()))),
            audit: Arc::new(CaptureAudit::default()),
            config: VaultConfig::default(),
        }
    }

    /// The template's policies of `function`'s role, resolved in this stack.
    pub fn policies(&self, function: Function) -> Vec<(String, Value)> {
        self.template
            .role_policies(function.role())
            .into_iter()
            .map(|(name, doc)| {
                let name = self.template.resolve(&name, &self.deployment);
                (
                    as_str(&name, "PolicyName").to_owned(),
                    self.template.resolve(&doc, &self.deployment),
                )
            })
            .collect()
    }

    /// Creates `function`'s role in moto with its template policies (adapted as `how`
    /// says) and assumes it. The trust policy is the one thing not from the template:
    /// there Lambda assumes the role; here the admin user does.
    pub async fn identity(&self, function: Function, how: Policies) -> Identity {
        let server = enforcing();
        let role_name = format!("{}-{how:?}", self.deployment.role_name(function.role()));
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": server.admin_arn},
                "Action": "sts:AssumeRole"
            }]
        })
        .to_string();
        let role = query(
            &server.admin,
            "iam",
            &[
                ("Action", "CreateRole"),
                ("RoleName", &role_name),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await
        .expect("CreateRole");
        let policies: Vec<(String, Value)> = self
            .policies(function)
            .into_iter()
            .map(|(name, doc)| (name, adapt(doc, how)))
            .collect();
        for (name, doc) in &policies {
            query(
                &server.admin,
                "iam",
                &[
                    ("Action", "PutRolePolicy"),
                    ("RoleName", &role_name),
                    ("PolicyName", name),
                    ("PolicyDocument", &doc.to_string()),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("PutRolePolicy {name}: {e:?}"));
        }
        let session = query(
            &server.admin,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &xml_text(&role, "Arn")),
                ("RoleSessionName", &format!("{function:?}").to_lowercase()),
            ],
        )
        .await
        .expect("AssumeRole");
        let keys = Keys {
            access_key_id: xml_text(&session, "AccessKeyId"),
            secret_access_key: xml_text(&session, "SecretAccessKey"),
            session_token: Some(xml_text(&session, "SessionToken")),
        };
        Identity {
            function,
            role_name,
            policies,
            sdk: sdk_for(&keys).await,
            keys,
        }
    }

    /// An environment variable of `identity`'s function as the template sets it,
    /// resolved in this stack.
    fn env(&self, identity: &Identity, name: &str) -> Option<String> {
        let env = self.template.function_environment(identity.function.role());
        env.get(name)
            .map(|v| as_str(&self.template.resolve(v, &self.deployment), name).to_owned())
    }

    /// The function's store as `mynumber_aws` builds it from the environment the template
    /// gives the function, on `identity`'s credentials.
    fn store(&self, identity: &Identity) -> Arc<DynamoStore> {
        let table = self.env(identity, "TABLE_NAME").expect("TABLE_NAME");
        Arc::new(DynamoStore::new(identity.ddb(), &table).with_config(&self.config))
    }

    fn core(&self) -> Core {
        Core::new(self.audit.clone(), self.clock.clone(), self.config.clone())
    }

    pub fn intake(&self, identity: &Identity) -> intake::Intake {
        let key = self.env(identity, "KMS_KEY_ID").expect("KMS_KEY_ID");
        let mac_key = self.env(identity, "MAC_KEY_ID").expect("MAC_KEY_ID");
        let service = IntakeService::new(
            self.core(),
            self.store(identity),
            Arc::new(KmsEncryptor::new(identity.kms(), key, mac_key)),
        );
        intake::Intake::new(service, jwt::authenticator())
    }

    pub fn lookup(&self, identity: &Identity) -> lookup::Lookup {
        let key = self.env(identity, "KMS_KEY_ID").expect("KMS_KEY_ID");
        let service = LookupService::new(
            self.core(),
            self.store(identity),
            Arc::new(KmsDecryptor::new(identity.kms(), key)),
        );
        lookup::Lookup::new(service, jwt::authenticator())
    }

    pub fn review(&self, identity: &Identity) -> review::Review {
        // The photos are not under IAM here (the enforcing server has no documents bucket),
        // and the link's origin is no matter of IAM: only the table privileges are.
        let service = mynumber_domain::review::ReviewService::new(
            self.core(),
            self.store(identity),
            Arc::new(crate::memory::MemoryObjects::default()),
        );
        review::Review::new(service, jwt::authenticator(), crate::PUBLIC_BASE_URL)
    }

    pub fn purge(&self, identity: &Identity) -> purge::Purge {
        purge::Purge::with_metrics(
            // The purge's S3 deletes are not under IAM here (the enforcing server has no
            // documents bucket): only its table privileges are.
            PurgeService::new(
                self.core(),
                self.store(identity),
                Arc::new(crate::memory::MemoryObjects::default()),
            ),
            chrono::Duration::seconds(10),
            Arc::new(Mutex::new(CaptureWriter)),
        )
    }

    pub fn backstop(
        &self,
        identity: &Identity,
        metrics: Arc<Mutex<Vec<u8>>>,
    ) -> backstop::Backstop {
        let service = BackstopService::new(self.core(), self.store(identity));
        backstop::Backstop::with_metrics(service, metrics)
    }

    /// Invokes `purge` with the repo's scheduled-event payload and `deadline`.
    pub async fn run_purge(
        &self,
        purge: &purge::Purge,
        deadline: DateTime<Utc>,
    ) -> Result<Value, purge::PurgeError> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../events/scheduled-event.json"
        );
        let event = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut ctx = lambda_runtime::Context::default();
        ctx.request_id = format!("purge-{}", crate::uuid_like());
        ctx.deadline = u64::try_from(deadline.timestamp_millis()).unwrap();
        purge
            .handle(lambda_runtime::LambdaEvent::new(event, ctx))
            .await
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = now;
    }

    pub fn audit_events(&self) -> Vec<Value> {
        self.audit.0.lock().unwrap().clone()
    }

    /// The admin's DynamoDB client: the tests' own reads.
    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.admin)
    }

    /// The admin's KMS client.
    pub fn kms(&self) -> aws_sdk_kms::Client {
        recording_kms(&self.admin)
    }

    /// Every item of this test's table (the admin's Scan).
    pub async fn all_items(&self) -> Vec<crate::Item> {
        crate::scan_all(&self.ddb(), &self.table).await
    }

    /// The stored items of one kind (`record`, `disposal`, …).
    pub async fn items_of_kind(&self, kind: &str) -> Vec<crate::Item> {
        crate::of_kind(self.all_items().await, kind)
    }
}

impl Drop for IamStack {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            crate::assert_logs_clean();
        }
    }
}

//! Test harness: a moto server per test process on a free port, a fresh table and keys
//! per test, the real intake and lookup handlers wired to them, API Gateway v2 events, and
//! a capture of every log line and response body so tests can prove no number leaked.

pub mod browser;
pub mod bulk;
pub mod events;
pub mod faults;
pub mod iam;
pub mod jwt;
pub mod memory;
pub mod moto;
pub mod oauth;
pub mod schema;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use lambda_http::{Body, Request, Response};
use memory::FixedClock;
use mynumber_aws::{DynamoStore, KmsDecryptor, KmsEncryptor, bootstrap};
use mynumber_domain::backstop::BackstopService;
use mynumber_domain::collect::SubmissionService;
use mynumber_domain::intake::IntakeService;
use mynumber_domain::lookup::LookupService;
use mynumber_domain::ports::Clock;
use mynumber_domain::purge::PurgeService;
use mynumber_domain::review::ReviewService;
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

/// A KMS key id that does not exist (moto ignores DisableKey): every call with it fails.
pub const MISSING_KEY: &str = "11111111-2222-3333-4444-555555555555";

/// Every line logged in this test process, diagnostics and audit events alike, with the
/// tag of the stack whose call wrote it (`None`: written outside any stack's call, such as
/// by a connection task the SDK spawned, or by a use case a test drives directly).
static CAPTURED: OnceLock<Mutex<Vec<Captured>>> = OnceLock::new();

/// A captured line, the tag of the stack that wrote it, and its JSON strings unescaped
/// (read once here, not by every stack's check).
#[derive(Clone)]
struct Captured {
    tag: Option<u64>,
    line: String,
    strings: Vec<String>,
}

impl Captured {
    fn readings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.line.as_str()).chain(self.strings.iter().map(String::as_str))
    }
}

fn captured() -> &'static Mutex<Vec<Captured>> {
    CAPTURED.get_or_init(|| Mutex::new(Vec::new()))
}

tokio::task_local! {
    /// The stack whose call is running: its lines are its own, so a leak fails its own test.
    static STACK_TAG: u64;
}

fn capture(line: String) {
    let tag = STACK_TAG.try_with(|t| *t).ok();
    let strings = json_strings(&line);
    captured()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Captured { tag, line, strings });
}

/// The numbers (12 ASCII digits) a set of requests carried, as the domain's detector finds
/// them however they were written.
#[derive(Default)]
pub struct SentNumbers(Mutex<std::collections::HashSet<[u8; 12]>>);

impl SentNumbers {
    /// Records the numbers a request body carries: in JSON, every string value (at any
    /// depth: a number may hide in a label or a reason too) but those of ids, URLs, tokens
    /// and cursors, whose random hex may hold a digit run that happens to pass the check
    /// digit; any other body (a CSV file) is read whole.
    pub fn record_body(&self, body: &str) {
        fn random(key: &str) -> bool {
            key == "url"
                || key.ends_with("id")
                || key.ends_with("ids")
                || key.contains("token")
                || key.contains("cursor")
        }
        fn walk(v: &Value, sent: &SentNumbers) {
            match v {
                Value::String(s) => sent.record(s),
                Value::Object(m) => {
                    for (k, x) in m {
                        if !random(k) {
                            walk(x, sent);
                        }
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, sent)),
                _ => {}
            }
        }
        match serde_json::from_str::<Value>(body) {
            Ok(v) => walk(&v, self),
            Err(_) => self.record(body),
        }
    }

    /// Records every number `text` holds.
    pub fn record(&self, text: &str) {
        let mut sent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        mynumber_domain::number::holds_my_number_where(text, |d| {
            sent.insert(*d);
            false
        });
    }

    /// Whether `text` holds one of the recorded numbers or of `also`, in any writing: read
    /// as it is, and, when it is JSON (a log line, a response), each of its strings
    /// unescaped, so `1234\n5678\n9018` inside a JSON string is read as the detector reads
    /// three lines.
    pub fn found_in(&self, text: &str, also: &std::collections::HashSet<[u8; 12]>) -> bool {
        let strings = json_strings(text);
        self.found_in_any(
            std::iter::once(text).chain(strings.iter().map(String::as_str)),
            also,
        )
    }

    /// Whether any of `texts` holds one of the recorded numbers or of `also`.
    fn found_in_any<'a>(
        &self,
        texts: impl IntoIterator<Item = &'a str>,
        also: &std::collections::HashSet<[u8; 12]>,
    ) -> bool {
        let sent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        texts.into_iter().any(|t| {
            mynumber_domain::number::holds_my_number_where(t, |d| {
                sent.contains(d) || also.contains(d)
            })
        })
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The strings of `text` when it is JSON, nested JSON in a string included (Lambda's log
/// records wrap a line in `message`); nothing otherwise.
fn json_strings(text: &str) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                out.extend(json_strings(s));
                out.push(s.clone());
            }
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let t = text.trim();
    if t.starts_with(['{', '['])
        && let Ok(v) = serde_json::from_str::<Value>(t)
    {
        walk(&v, &mut out);
    }
    out
}

/// Every string and number stored in `items` (the ciphertext, a binary, is not text).
fn stored_texts(items: &[Item]) -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    fn walk(v: &A, out: &mut Vec<String>) {
        match v {
            A::S(s) | A::N(s) => out.push(s.clone()),
            A::Ss(v) | A::Ns(v) => out.extend(v.iter().cloned()),
            A::L(v) => v.iter().for_each(|x| walk(x, out)),
            A::M(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for item in items {
        for (k, v) in item {
            out.push(k.clone());
            walk(v, &mut out);
        }
    }
    out
}

/// `numbers` as the detector reports them.
fn digit_set<'a>(
    numbers: impl IntoIterator<Item = &'a str>,
) -> std::collections::HashSet<[u8; 12]> {
    numbers
        .into_iter()
        .map(|n| <[u8; 12]>::try_from(n.as_bytes()).expect("a test number has 12 ASCII digits"))
        .collect()
}

#[derive(Clone, Copy)]
struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        capture(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the production log filter at the most verbose level the product allows
/// (`RUST_LOG=trace`), writing into the capture, once per process.
fn install_capture() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let levels = mynumber_http::logging::LogLevels::from_rust_log(Some("trace"));
        let _ = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_target(true)
                    .with_writer(|| CaptureWriter)
                    .with_filter(levels.filter()),
            )
            .try_init();
    });
}

/// SHA-256 digests (hex and base64) of every request body this process sent to KMS:
/// what aws-sigv4 would log as the last line of a canonical request at `trace`.
static KMS_BODY_DIGESTS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

fn kms_body_digests() -> &'static Mutex<Vec<String>> {
    KMS_BODY_DIGESTS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Records the digest of each KMS request body as it is sent.
#[derive(Debug)]
struct KmsBodyDigests;

impl aws_smithy_runtime_api::client::interceptors::Intercept for KmsBodyDigests {
    fn name(&self) -> &'static str {
        "KmsBodyDigests"
    }

    fn read_before_transmit(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use base64::Engine;
        use sha2::Digest;
        if let Some(body) = context.request().body().bytes() {
            let digest = sha2::Sha256::digest(body);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            let mut all = kms_body_digests().lock().unwrap();
            all.push(hex);
            all.push(b64);
        }
        Ok(())
    }
}

/// A KMS client on `sdk` that records the digest of every request body it sends.
pub fn recording_kms(sdk: &SdkConfig) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::config::Builder::from(sdk)
        .interceptor(KmsBodyDigests)
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// Audit events as the functions write them (one JSON line each), into the capture and
/// into this stack's own list for assertions.
#[derive(Default)]
pub struct CaptureAudit(Mutex<Vec<Value>>);

/// Every event the functions emit in any test is held to the documented schema here.
impl AuditSink for CaptureAudit {
    fn emit(&self, event: &AuditEvent) {
        let line = serde_json::to_string(event).unwrap();
        schema::assert_audit_event(&serde_json::from_str(&line).unwrap());
        capture(line.clone());
        self.0
            .lock()
            .unwrap()
            .push(serde_json::from_str(&line).unwrap());
    }
}

/// The response of one call, with the body parsed.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl Reply {
    pub fn from_response(resp: Response<Body>) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let raw = match resp.body() {
            Body::Text(s) => s.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            headers,
            body,
            raw,
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

/// One test's world: its own table and keys on the shared moto server, and the real
/// functions wired to them.
pub struct Stack {
    /// The harness's own SDK configuration: straight to moto, never through a fault proxy.
    pub sdk: SdkConfig,
    /// The functions' SDK configuration: through the fault proxy when the stack has one.
    pub fn_sdk: SdkConfig,
    pub table: String,
    pub key_id: String,
    pub mac_key_id: String,
    /// The documents bucket (SSE-KMS under its own key, as in AWS).
    pub bucket: String,
    /// The functions' client of it (through the fault proxy when there is one).
    pub objects: Arc<mynumber_aws::S3Documents>,
    /// Where its presigned URLs point (the page's `connect-src`).
    pub storage_origin: String,
    pub clock: Arc<FixedClock>,
    pub audit: Arc<CaptureAudit>,
    pub config: VaultConfig,
    pub intake: intake::Intake,
    /// The registrar's side of collection: links, review, photos.
    pub review: review::Review,
    pub lookup: lookup::Lookup,
    /// The employee's side of collection links (no JWT).
    pub collect: collect::Collect,
    /// The HR console's pages, in development mode (the principal picker).
    pub console: console::Console,
    /// Bodies of every response except reveals, which must never hold a number.
    pub non_reveal_bodies: Mutex<Vec<String>>,
    /// Every number a request to this stack carried: what its leak scans look for.
    pub sent: SentNumbers,
    /// Broken per-call promises, kept for the end-of-test check: a call a browser test's
    /// server made panics in a task whose panic no one sees.
    violations: Mutex<Vec<String>>,
    /// Marks the log lines written during this stack's calls.
    tag: u64,
}

impl Stack {
    pub async fn new() -> Stack {
        Self::with_config(VaultConfig::default()).await
    }

    pub async fn with_config(config: VaultConfig) -> Stack {
        Self::build(config, None, false).await
    }

    /// A stack whose functions also take the principal from the development headers, as
    /// under `make dev`: what the console's principal picker sets.
    pub async fn with_dev_headers() -> Stack {
        Self::build(VaultConfig::default(), None, true).await
    }

    /// A stack on the moto server at `moto`, whose functions reach it through `proxy`
    /// (the harness's own reads and checks go straight to moto).
    pub async fn behind(moto: &str, proxy: &faults::FaultProxy) -> Stack {
        Self::build(VaultConfig::default(), Some((moto, &proxy.endpoint)), false).await
    }

    async fn build(config: VaultConfig, faulty: Option<(&str, &str)>, dev_headers: bool) -> Stack {
        install_capture();
        let endpoint = match faulty {
            Some((moto, _)) => moto.to_owned(),
            None => moto::endpoint(),
        };
        let functions_endpoint = faulty.map(|(_, proxy)| proxy);
        // The harness's own calls (set-up, table scans) wait as long as they need.
        let sdk = patient(
            mynumber_aws::sdk_config(Some(&endpoint)).await,
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_timeout(std::time::Duration::from_secs(120)),
        );
        // The functions' own configuration, but with the patience of a shared emulator:
        // production's 3 s an attempt is sized for DynamoDB and KMS, not for one moto that
        // every parallel test of the process queues on (injected latency stays under 0.5 s).
        let fn_sdk = patient(
            mynumber_aws::sdk_config(Some(functions_endpoint.unwrap_or(&endpoint))).await,
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(std::time::Duration::from_secs(30))
                .operation_timeout(std::time::Duration::from_secs(90)),
        );
        let fn_ddb = aws_sdk_dynamodb::Client::new(&fn_sdk);
        let fn_kms = recording_kms(&fn_sdk);
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        let kms = recording_kms(&sdk);
        let id = uuid_like();
        let table = format!("vault-{id}");
        bootstrap::ensure_table(&ddb, &table).await.unwrap();
        let key_id = bootstrap::ensure_encryption_key(&kms, &format!("alias/enc-{id}"))
            .await
            .unwrap();
        let mac_key_id = bootstrap::ensure_mac_key(&kms, &format!("alias/mac-{id}"))
            .await
            .unwrap();
        let documents_key = bootstrap::ensure_encryption_key(&kms, &format!("alias/doc-{id}"))
            .await
            .unwrap();
        let bucket = format!("documents-{id}");
        bootstrap::ensure_documents_bucket(&s3_client(&sdk), &bucket, &documents_key, &["*"])
            .await
            .unwrap();
        let fn_endpoint = functions_endpoint.unwrap_or(&endpoint).to_owned();
        let objects = Arc::new(mynumber_aws::S3Documents::new(&fn_sdk, &bucket, true));
        let storage_origin =
            mynumber_aws::S3Documents::origin(&fn_sdk, &bucket, Some(&fn_endpoint));
        let clock = Arc::new(FixedClock(Mutex::new(epoch())));
        let audit = Arc::new(CaptureAudit::default());
        let core = Core::new(audit.clone(), clock.clone(), config.clone());
        let store = Arc::new(DynamoStore::new(fn_ddb.clone(), &table).with_config(&config));
        let intake = IntakeService::new(
            core.clone(),
            store.clone(),
            Arc::new(KmsEncryptor::new(fn_kms.clone(), &key_id, &mac_key_id)),
        );
        let review = ReviewService::new(core.clone(), store.clone(), objects.clone());
        let submissions = SubmissionService::new(
            core.clone(),
            store.clone(),
            Arc::new(KmsEncryptor::new(fn_kms.clone(), &key_id, &mac_key_id)),
            objects.clone(),
        );
        let lookup = LookupService::new(
            core,
            store,
            Arc::new(KmsDecryptor::new(fn_kms.clone(), &key_id)),
        );
        let auth = || {
            let auth = jwt::authenticator();
            if dev_headers {
                auth.with_dev_headers()
            } else {
                auth
            }
        };
        let console = console::Console::new(console::Settings {
            mode: console::Mode::Development,
            storage_origin: Some(storage_origin.clone()),
        });
        Stack {
            intake: intake::Intake::new(intake, auth()),
            review: review::Review::new(review, auth(), PUBLIC_BASE_URL),
            lookup: lookup::Lookup::new(lookup, auth()),
            collect: collect::Collect::new(submissions, &storage_origin),
            console,
            bucket,
            objects,
            storage_origin,
            sdk,
            fn_sdk,
            table,
            key_id,
            mac_key_id,
            clock,
            audit,
            config,
            non_reveal_bodies: Mutex::new(Vec::new()),
            sent: SentNumbers::default(),
            violations: Mutex::new(Vec::new()),
            tag: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        }
    }

    /// The audit sink, configuration and `clock` of this stack's functions.
    pub fn core(&self, clock: Arc<dyn Clock>) -> Core {
        Core::new(self.audit.clone(), clock, self.config.clone())
    }

    /// The store as this stack's functions have it, on `table`.
    pub fn store_on(&self, table: &str) -> Arc<DynamoStore> {
        Arc::new(
            DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.fn_sdk), table)
                .with_config(&self.config),
        )
    }

    /// Intake's use case as this stack has it, but on `table` and the data key `key_id`
    /// (say [`MISSING_KEY`]): for staging failures.
    pub fn intake_service(&self, table: &str, key_id: &str) -> IntakeService {
        IntakeService::new(
            self.core(self.clock.clone()),
            self.store_on(table),
            Arc::new(KmsEncryptor::new(self.kms(), key_id, &self.mac_key_id)),
        )
    }

    /// Intake's use case on this stack's table with neither KMS key: every Encrypt and
    /// GenerateMac fails.
    pub fn intake_without_keys(&self) -> IntakeService {
        IntakeService::new(
            self.core(self.clock.clone()),
            self.store_on(&self.table),
            Arc::new(KmsEncryptor::new(self.kms(), MISSING_KEY, MISSING_KEY)),
        )
    }

    /// The registrar's collection and review use case as this stack has it, on `table`.
    pub fn review_service(&self, table: &str) -> ReviewService {
        ReviewService::new(
            self.core(self.clock.clone()),
            self.store_on(table),
            self.objects.clone(),
        )
    }

    /// The collect function as this stack has it, but on `table` and the data key `key_id`.
    pub fn collect_on(&self, table: &str, key_id: &str) -> collect::Collect {
        collect::Collect::new(
            SubmissionService::new(
                self.core(self.clock.clone()),
                self.store_on(table),
                Arc::new(KmsEncryptor::new(self.kms(), key_id, &self.mac_key_id)),
                self.objects.clone(),
            ),
            &self.storage_origin,
        )
    }

    /// Lookup's use case as this stack has it, but on `table` and the data key `key_id`.
    pub fn lookup_service(&self, table: &str, key_id: &str) -> LookupService {
        LookupService::new(
            self.core(self.clock.clone()),
            self.store_on(table),
            Arc::new(KmsDecryptor::new(self.kms(), key_id)),
        )
    }

    /// The purge function on this stack's table (it has no key at all), on `clock`.
    pub fn purge_with_clock(&self, clock: Arc<dyn Clock>) -> purge::Purge {
        purge::Purge::with_metrics(
            PurgeService::new(
                self.core(clock),
                self.store_on(&self.table),
                self.objects.clone(),
            ),
            chrono::Duration::seconds(10),
            Arc::new(Mutex::new(CaptureWriter)),
        )
    }

    /// The TTL backstop function on this stack's table (no key), writing its metric
    /// lines into `metrics`.
    pub fn backstop(&self, metrics: Arc<Mutex<Vec<u8>>>) -> backstop::Backstop {
        let service =
            BackstopService::new(self.core(self.clock.clone()), self.store_on(&self.table));
        backstop::Backstop::with_metrics(service, metrics)
    }

    pub fn purge(&self) -> purge::Purge {
        self.purge_with_clock(self.clock.clone())
    }

    /// Invokes a purge with the repo's scheduled-event payload and a deadline.
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
        ctx.request_id = format!("purge-{}", uuid_like());
        ctx.deadline = u64::try_from(deadline.timestamp_millis()).unwrap();
        STACK_TAG
            .scope(
                self.tag,
                purge.handle(lambda_runtime::LambdaEvent::new(event, ctx)),
            )
            .await
    }

    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// The harness's own S3 client (straight to moto).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        s3_client(&self.sdk)
    }

    /// Every key in the documents bucket.
    pub async fn bucket_keys(&self) -> Vec<String> {
        let out = self
            .s3()
            .list_objects_v2()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        recording_kms(&self.sdk)
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = now;
    }

    /// Sends a request to whichever function API Gateway would route it to.
    pub async fn call(&self, request: Request) -> Reply {
        let shift_jis = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("shift_jis"));
        match request.body() {
            Body::Text(s) => self.sent.record_body(s),
            Body::Binary(b) if shift_jis => self
                .sent
                .record_body(&encoding_rs::SHIFT_JIS.decode_without_bom_handling(b).0),
            Body::Binary(b) => self.sent.record_body(&String::from_utf8_lossy(b)),
            _ => {}
        }
        // A client's key is its own text, and may hold a number.
        if let Some(key) = request
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
        {
            self.sent.record(key);
        }
        let request_id = {
            use lambda_http::RequestExt;
            match request.request_context_ref() {
                Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
                _ => None,
            }
        };
        let operation = documented_operation(request.method().as_str(), request.uri().path());
        let reply = STACK_TAG.scope(self.tag, self.dispatch(request)).await;
        if let Some(id) = request_id {
            self.assert_one_audit_event(&id, operation.as_deref(), &reply);
        }
        reply
    }

    /// Exactly one audit event tells of each call of a documented API operation, whatever
    /// its answer (success, refusal, failure) — besides the events that tell of its
    /// documented consequences; a call of anything else (a page, an unknown route, a
    /// method without a route) writes none.
    fn assert_one_audit_event(&self, request_id: &str, operation: Option<&str>, reply: &Reply) {
        let events: Vec<Value> = self
            .audit_events()
            .into_iter()
            .filter(|e| e["request_id"] == request_id)
            .collect();
        let consequence = |e: &Value| match e["event"].as_str().unwrap_or_default() {
            // Each number in an export's file, and each row an import registered.
            "reveal" => e["export_id"].is_string(),
            "intake" => operation == Some("post /v1/imports"),
            // The record a `replace: true` intake displaced, or the past-due one whose slot
            // it took; the photos a decision deleted; an export found past its deadline.
            "disposal" => e["reason"] == "replaced" || e["reason"] == "retention_ended",
            "documents_deleted" | "export_expired" => true,
            // A stored number an import row or a link's submission matched.
            "number_matched" => matches!(
                operation,
                Some("post /v1/imports" | "post /v1/collect" | "post /v1/records")
            ),
            _ => false,
        };
        let told: Vec<&str> = events
            .iter()
            .filter(|e| !consequence(e))
            .map(|e| e["event"].as_str().unwrap_or_default())
            .collect();
        let expected = usize::from(operation.is_some());
        if told.len() != expected {
            let message = format!(
                "{} answered {} with the audit events {told:?} (expected {expected}): {}",
                operation.unwrap_or("an undocumented call"),
                reply.status,
                reply.raw
            );
            self.violations.lock().unwrap().push(message.clone());
            panic!("{message}");
        }
    }

    async fn dispatch(&self, request: Request) -> Reply {
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        // An export's file holds numbers, as a reveal's answer does.
        let is_reveal = matches!(
            route(::lookup::ROUTES, &method, &path),
            Ok((::lookup::Op::Reveal | ::lookup::Op::DownloadExport, _))
        );
        let resp = match Target::of(&method, &path) {
            Target::Console => self.console.handle(request),
            Target::Collect => self.collect.handle(request).await,
            Target::Review => self.review.handle(request).await,
            Target::Lookup => self.lookup.handle(request).await,
            Target::Intake => self.intake.handle(request).await,
        };
        let reply = Reply::from_response(resp);
        if !is_reveal || reply.status != 200 {
            self.non_reveal_bodies
                .lock()
                .unwrap()
                .push(reply.raw.clone());
        }
        reply
    }

    pub fn audit_events(&self) -> Vec<Value> {
        self.audit.0.lock().unwrap().clone()
    }

    /// Every item of this test's table (all pages) — a Scan, which only tests do.
    pub async fn all_items(&self) -> Vec<Item> {
        scan_all(&self.ddb(), &self.table).await
    }

    /// The stored items of one kind (`record`, `disposal`, `slot`, `audit`, …).
    pub async fn items_of_kind(&self, kind: &str) -> Vec<Item> {
        of_kind(self.all_items().await, kind)
    }

    /// Sets one string attribute of a stored item, behind the functions' backs: data as an
    /// older version of the product may have left it.
    pub async fn overwrite(&self, item: &Item, attribute: &str, value: &str) {
        self.ddb()
            .update_item()
            .table_name(&self.table)
            .key("pk", item["pk"].clone())
            .key("sk", item["sk"].clone())
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(
                ":v",
                aws_sdk_dynamodb::types::AttributeValue::S(value.into()),
            )
            .send()
            .await
            .unwrap();
    }

    /// Fails if a number in `numbers` or any number a request to this stack carried
    /// appears, written in any way the domain's detector reads, in a log line of this
    /// process, in a non-reveal response of this stack, or in any stored attribute other
    /// than the ciphertext.
    pub async fn assert_no_plaintext(&self, numbers: &[&str]) {
        let also = digit_set(numbers.iter().copied());
        let logs = captured().lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(!logs.is_empty(), "the capture saw no log lines at all");
        // This stack's lines and those of no stack: another test's leak is its own failure.
        let mine = logs
            .iter()
            .filter(|c| c.tag.is_none() || c.tag == Some(self.tag));
        for c in mine {
            assert!(
                !self.sent.found_in_any(c.readings(), &also),
                "a log line holds a number a test sent: {}",
                c.line
            );
        }
        let bodies = self.non_reveal_bodies.lock().unwrap().clone();
        for body in &bodies {
            assert!(
                !self.sent.found_in(body, &also),
                "a response holds a number a test sent: {body}"
            );
        }
        for text in stored_texts(&self.all_items().await) {
            assert!(
                !self.sent.found_in(&text, &also),
                "a stored item holds a number a test sent in plaintext"
            );
        }
    }

    /// Runs `work` as this stack's own: the lines it logs are checked by this stack's log
    /// check (for tests that drive a use case or a handler directly).
    pub async fn scoped<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        STACK_TAG.scope(self.tag, work).await
    }

    /// The end-of-test log check (also run when the stack is dropped): the lines this
    /// stack's calls wrote, and those written outside any stack's call, hold no number it
    /// was sent and no test number, come from no foreign crate below `warn`, and hold no
    /// digest of a KMS request body. Tests whose stack a server task also holds call it
    /// last, so a failure is their own.
    pub fn assert_logs_clean(&self) {
        let violations = self
            .violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert!(violations.is_empty(), "{violations:#?}");
        check_logs(|tag| tag.is_none() || tag == Some(self.tag), &self.sent);
    }
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

/// Whether `line` holds one of `digests` (64 hex digits or 44 base64 characters).
fn holds_digest(line: &str, digests: &std::collections::HashSet<String>) -> bool {
    if digests.is_empty() {
        return false;
    }
    let windows = |len: usize, in_run: fn(u8) -> bool| {
        let b = line.as_bytes();
        let mut start = 0;
        while start < b.len() {
            if !in_run(b[start]) {
                start += 1;
                continue;
            }
            let mut end = start;
            while end < b.len() && in_run(b[end]) {
                end += 1;
            }
            if end - start >= len
                && (start..=end - len).any(|i| digests.contains(&line[i..i + len]))
            {
                return true;
            }
            start = end;
        }
        false
    };
    windows(64, |c| c.is_ascii_hexdigit())
        || windows(44, |c| {
            c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
        })
}

/// Fails if a log line of the process holds a test number (in any writing the domain's
/// detector reads), comes from a crate that is not the product's own at a level below
/// `warn`, or holds the SHA-256 of any request body sent to KMS.
pub fn assert_logs_clean() {
    check_logs(|_| true, &SentNumbers::default());
}

/// The log checks over the lines whose tag `mine` accepts; `sent` adds numbers to look for.
fn check_logs(mine: impl Fn(Option<u64>) -> bool, sent: &SentNumbers) {
    let fixed = digit_set(TEST_NUMBERS);
    let logs: Vec<Captured> = captured()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|c| mine(c.tag))
        .cloned()
        .collect();
    let digests: std::collections::HashSet<String> = kms_body_digests()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect();
    for Captured { line, .. } in &logs {
        if let Ok(v) = serde_json::from_str::<Value>(line)
            && let (Some(target), Some(level)) = (v["target"].as_str(), v["level"].as_str())
        {
            assert!(
                mynumber_http::logging::is_ours(target) || matches!(level, "WARN" | "ERROR"),
                "a foreign crate logged below warn: {line}"
            );
        }
        // Linear in the line: every 64-character hex window and 44-character base64
        // window is looked up in the set of digests.
        assert!(
            !holds_digest(line, &digests),
            "a log line holds the SHA-256 of a KMS request body: {line}"
        );
    }
    for c in &logs {
        assert!(
            !sent.found_in_any(c.readings(), &fixed),
            "a log line holds a number a test sent: {}",
            c.line
        );
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_logs_clean();
        }
    }
}

/// The instant every stack's clock starts at: fixed (noon JST on 2026-12-01), so a test
/// reads the same on any day it runs; `TEST_EPOCH` (RFC 3339) moves it, to show that none
/// depends on the day (`TEST_EPOCH=2027-12-01T03:00:00Z make test`).
/// A DynamoDB store on a table of its own at moto, as the functions have it: for the
/// store contract, which needs no functions, keys or bucket.
pub async fn table_store() -> DynamoStore {
    let sdk = mynumber_aws::sdk_config(Some(&moto::endpoint())).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("vault-{}", uuid_like());
    bootstrap::ensure_table(&ddb, &table).await.unwrap();
    DynamoStore::new(ddb, &table).with_config(&VaultConfig::default())
}

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
        ];
        tables
            .iter()
            .find(|t| t.1)
            .or_else(|| tables.iter().find(|t| t.2))
            .map_or(Target::Intake, |t| t.0)
    }
}

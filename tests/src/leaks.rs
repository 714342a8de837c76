//! What a test process logged and stored, scanned for the numbers its requests carried:
//! every line is captured with the stack whose call wrote it.

use crate::*;

/// Every line logged in this test process, diagnostics and audit events alike, with the
/// tag of the stack whose call wrote it (`None`: written outside any stack's call, such as
/// by a connection task the SDK spawned, or by a use case a test drives directly).
pub(crate) static CAPTURED: OnceLock<Mutex<Vec<Captured>>> = OnceLock::new();

/// A captured line, the tag of the stack that wrote it, and its JSON strings unescaped
/// (read once here, not by every stack's check).
#[derive(Clone)]
pub(crate) struct Captured {
    pub(crate) tag: Option<u64>,
    pub(crate) line: String,
    strings: Vec<String>,
}

impl Captured {
    pub(crate) fn readings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.line.as_str()).chain(self.strings.iter().map(String::as_str))
    }
}

pub(crate) fn captured() -> &'static Mutex<Vec<Captured>> {
    CAPTURED.get_or_init(|| Mutex::new(Vec::new()))
}

tokio::task_local! {
    /// The stack whose call is running: its lines are its own, so a leak fails its own test.
    pub(crate) static STACK_TAG: u64;
}

pub(crate) fn capture(line: String) {
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
    pub(crate) fn found_in_any<'a>(
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
pub(crate) fn json_strings(text: &str) -> Vec<String> {
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
pub(crate) fn stored_texts(items: &[Item]) -> Vec<String> {
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
pub(crate) fn digit_set<'a>(
    numbers: impl IntoIterator<Item = &'a str>,
) -> std::collections::HashSet<[u8; 12]> {
    numbers
        .into_iter()
        .map(|n| <[u8; 12]>::try_from(n.as_bytes()).expect("a test number has 12 ASCII digits"))
        .collect()
}

#[derive(Clone, Copy)]
pub(crate) struct CaptureWriter;

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
pub(crate) fn install_capture() {
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
pub(crate) static KMS_BODY_DIGESTS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

pub(crate) fn kms_body_digests() -> &'static Mutex<Vec<String>> {
    KMS_BODY_DIGESTS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Records the digest of each KMS request body as it is sent.
#[derive(Debug)]
pub(crate) struct KmsBodyDigests;

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

/// Whether `line` holds one of `digests` (64 hex digits or 44 base64 characters).
pub(crate) fn holds_digest(line: &str, digests: &std::collections::HashSet<String>) -> bool {
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
pub(crate) fn check_logs(mine: impl Fn(Option<u64>) -> bool, sent: &SentNumbers) {
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

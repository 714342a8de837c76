//! Logs: diagnostics through `tracing` as JSON lines, and audit events as their own JSON
//! lines, both on stdout, which Lambda sends to the function's CloudWatch log group.

use mynumber_domain::{AuditEvent, AuditSink};
use std::io::Write;
use tracing_subscriber::EnvFilter;

/// SDK and HTTP-stack crates stay at `warn` whatever `RUST_LOG` says: at `debug` and
/// below they log request bodies, and a KMS Encrypt body holds a plaintext number.
pub const QUIET_CRATES: &[&str] = &[
    "aws_smithy_runtime=warn",
    "aws_smithy_runtime_api=warn",
    "aws_smithy_http_client=warn",
    "aws_sdk_dynamodb=warn",
    "aws_sdk_kms=warn",
    "aws_sdk_cloudwatchlogs=warn",
    "aws_config=warn",
    "hyper=warn",
    "hyper_util=warn",
    "h2=warn",
    "rustls=warn",
    "lambda_runtime=info",
    "lambda_http=info",
];

/// `RUST_LOG` (default `info`) with `QUIET_CRATES` appended so they always win.
pub fn filter() -> EnvFilter {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for directive in QUIET_CRATES {
        filter = filter.add_directive(directive.parse().expect("static directives parse"));
    }
    filter
}

/// Installs the JSON subscriber once per process (init of a Lambda function).
pub fn init() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter())
        .with_current_span(false)
        .with_target(true)
        .without_time() // CloudWatch stamps each line
        .try_init();
}

/// Writes each audit event as one JSON line on stdout.
pub struct StdoutAudit;

impl AuditSink for StdoutAudit {
    fn emit(&self, event: &AuditEvent) {
        if let Ok(line) = serde_json::to_string(event) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

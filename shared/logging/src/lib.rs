//! Logs: diagnostics through `tracing` as JSON lines, and audit events as their own JSON
//! lines, both on stdout, which Lambda sends to the function's CloudWatch log group.
//!
//! The filter denies by default. Only the product's own crates log at the configured
//! level; every other target (the AWS SDK, its signer, the HTTP and TLS stacks, the Lambda
//! runtime) is held at `warn` at most, whatever `RUST_LOG` says. At `debug`/`trace` those
//! crates log request bodies and aws-sigv4's canonical request, whose last line is the
//! SHA-256 of the body: for a KMS Encrypt or GenerateMac body beside the ids in the same
//! log group, a hash that 10^11 guesses reverse into the number.

use mynumber_domain::{AuditEvent, AuditSink};
use std::io::Write;
use tracing::{Level, Metadata};
use tracing_subscriber::filter::{FilterFn, LevelFilter};

/// The crates whose diagnostics follow `RUST_LOG`: the product's own, and no other. A test
/// (`every_shared_crate_and_function_is_ours`) holds it to the workspace's `shared/*` and
/// `functions/*` members, so a new function cannot be left out.
pub const OUR_CRATES: &[&str] = &[
    "mynumber_domain",
    "mynumber_aws",
    "mynumber_http",
    "mynumber_logging",
    "mynumber_sheet",
    "mynumber_auth",
    "intake",
    "review",
    "lookup",
    "collect",
    "purge",
    "backstop",
    "notify",
    "console",
    "certify",
];

/// Whether `target` (a `tracing` target: a module path) belongs to one of `OUR_CRATES`.
pub fn is_ours(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or_default();
    OUR_CRATES.contains(&krate)
}

/// The levels for a `RUST_LOG` value. It must be a bare level (`trace`, `debug`, `info`,
/// `warn`, `error`, `off`); anything else — per-target directives included, which could
/// otherwise switch a foreign crate to `trace` — counts as unset, i.e. `info`.
#[derive(Debug, Clone, Copy)]
pub struct LogLevels {
    ours: LevelFilter,
    others: LevelFilter,
}

impl LogLevels {
    pub fn from_rust_log(rust_log: Option<&str>) -> Self {
        let ours = rust_log
            .and_then(|v| v.trim().parse::<LevelFilter>().ok())
            .unwrap_or(LevelFilter::INFO);
        // LevelFilter orders by verbosity: `min` is the quieter of the two.
        LogLevels {
            ours,
            others: ours.min(LevelFilter::WARN),
        }
    }

    /// Whether an event of `level` from `target` is written. Matching is by whole crate
    /// name (a `Targets` filter matches prefixes, so `intake` would admit `intake_x`).
    pub fn allows(&self, target: &str, level: &Level) -> bool {
        let max = if is_ours(target) {
            self.ours
        } else {
            self.others
        };
        level <= &max
    }

    /// The per-layer filter that applies these levels.
    pub fn filter(self) -> FilterFn<impl Fn(&Metadata<'_>) -> bool + Send + Sync + 'static> {
        FilterFn::new(move |meta: &Metadata<'_>| self.allows(meta.target(), meta.level()))
            .with_max_level_hint(self.ours.max(self.others))
    }
}

/// The levels of the process's `RUST_LOG`.
pub fn levels() -> LogLevels {
    LogLevels::from_rust_log(std::env::var("RUST_LOG").ok().as_deref())
}

/// Installs the JSON subscriber once per process (init of a Lambda function).
pub fn init() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_target(true)
                .without_time() // CloudWatch stamps each line
                .with_filter(levels().filter()),
        )
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

/// Metrics in CloudWatch's embedded metric format: one JSON line that CloudWatch Logs turns
/// into the metrics it names (every value a count), under `namespace`, with each
/// `dimensions` pair as a dimension.
pub fn emf_line(
    namespace: &str,
    timestamp_millis: i64,
    dimensions: &[(&str, &str)],
    counts: &[(&str, u64)],
) -> String {
    let mut line = serde_json::Map::new();
    let names: Vec<&str> = dimensions.iter().map(|(name, _)| *name).collect();
    let metrics: Vec<serde_json::Value> = counts
        .iter()
        .map(|(name, _)| serde_json::json!({"Name": name, "Unit": "Count"}))
        .collect();
    line.insert(
        "_aws".into(),
        serde_json::json!({
            "Timestamp": timestamp_millis,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [names],
                "Metrics": metrics,
            }]
        }),
    );
    for (name, value) in dimensions {
        line.insert((*name).into(), serde_json::json!(value));
    }
    for (name, value) in counts {
        line.insert((*name).into(), serde_json::json!(value));
    }
    serde_json::Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled(f: &LogLevels, target: &str, level: Level) -> bool {
        f.allows(target, &level)
    }

    /// The crate name (`-` as `_`) of every `shared/*` and `functions/*` member of the
    /// workspace is in `OUR_CRATES`, and nothing else is.
    #[test]
    fn every_shared_crate_and_function_is_ours() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut names: Vec<String> = ["shared", "functions"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(format!("{root}/{dir}")).unwrap())
            .map(|e| e.unwrap().path().join("Cargo.toml"))
            .filter(|p| p.exists())
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with("name"))
                    .unwrap();
                line.split('"').nth(1).unwrap().replace('-', "_")
            })
            .collect();
        names.sort();
        let mut ours: Vec<String> = OUR_CRATES.iter().map(|s| s.to_string()).collect();
        ours.sort();
        assert_eq!(ours, names);
    }

    #[test]
    fn foreign_crates_never_below_warn_whatever_rust_log_says() {
        let hostile = [
            None,
            Some("trace"),
            Some("debug"),
            Some("trace,aws_sigv4=trace"),
            Some("aws_smithy_runtime::client=trace"),
            Some("aws_sigv4::http_request=trace,aws_runtime=trace,aws_smithy_http=trace"),
            Some("[{x}]=trace"),
        ];
        let foreign = [
            "aws_sigv4::http_request::sign",
            "aws_runtime::auth",
            "aws_smithy_http::body",
            "aws_smithy_runtime::client::orchestrator",
            "aws_sdk_kms::operation::encrypt",
            "hyper_util::client::legacy",
            "rustls::client",
            "lambda_runtime",
            "intake_but_not_ours",
        ];
        for value in hostile {
            let f = &LogLevels::from_rust_log(value);
            for target in foreign {
                assert!(
                    !enabled(f, target, Level::INFO),
                    "{value:?} lets {target} log at info"
                );
                assert!(enabled(f, target, Level::WARN) || value == Some("off"));
            }
        }
    }

    #[test]
    fn our_crates_follow_a_plain_level() {
        let f = &LogLevels::from_rust_log(Some("trace"));
        assert!(enabled(f, "lookup", Level::TRACE));
        assert!(enabled(f, "mynumber_aws::store", Level::TRACE));
        let f = &LogLevels::from_rust_log(Some("warn"));
        assert!(!enabled(f, "intake", Level::INFO));
        // A directive list is not a level: the default applies to our crates too.
        let f = &LogLevels::from_rust_log(Some("intake=trace,aws_sigv4=trace"));
        assert!(enabled(f, "intake", Level::INFO));
        assert!(!enabled(f, "intake", Level::DEBUG));
        let f = &LogLevels::from_rust_log(Some("error"));
        assert!(!enabled(f, "hyper", Level::WARN));
    }

    #[test]
    fn ours_is_by_whole_crate_name() {
        assert!(is_ours("mynumber_http::caller"));
        assert!(is_ours("purge"));
        assert!(!is_ours("purge_helper"));
        assert!(!is_ours("aws_sigv4"));
    }
}

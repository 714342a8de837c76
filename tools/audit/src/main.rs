//! mynumber-audit review [--since T] [--until T] [--file PATH|-] [--stack NAME]
//!                       [--log-group G]... [--format table|json|csv]
//!                       [--business-hours HH:MM-HH:MM] [--utc-offset +09:00]
//!                       [--max-reveals-per-day N] [--max-principals-per-record K]
//!                       [--endpoint-url URL]
//! mynumber-audit ship [--stack NAME] [--endpoint-url URL] < function-output
//! mynumber-audit queries
//! mynumber-audit verify-certificate FILE.json [--public-key FILE.pem]
//! mynumber-audit certificate-parts FILE.json DIR
//!
//! Exit status: 0 report without anomalies (or a certificate that verifies), 2 anomalies
//! found, 1 error (or a certificate that does not verify).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use mynumber_audit::report::{ReviewConfig, review};
use mynumber_audit::{queries, render, source};
use std::process::ExitCode;

const USAGE: &str = "usage:
  mynumber-audit review [--since T] [--until T] [--file PATH|-] [--stack NAME] [--log-group G]...
                        [--format table|json|csv] [--business-hours 09:00-18:00] [--utc-offset +09:00]
                        [--max-reveals-per-day 50] [--max-principals-per-record 2] [--endpoint-url URL]
  mynumber-audit ship [--stack NAME] [--endpoint-url URL] < function-output
  mynumber-audit queries
  mynumber-audit verify-certificate FILE.json [--public-key FILE.pem]
  mynumber-audit certificate-parts FILE.json DIR   (unsigned.json, digest.bin, signature.der for openssl)

T is RFC 3339 (2026-11-24T09:00:00+09:00) or a date (2026-11-24, midnight at --utc-offset);
--since defaults to 24 hours ago, --until to now. Without --file, the stack's three function
log groups are read from CloudWatch Logs (--stack defaults to mynumber-vault).
Exit status: 0 no anomalies, 2 anomalies found, 1 error.";

struct Args {
    since: Option<String>,
    until: Option<String>,
    file: Option<String>,
    stack: String,
    groups: Vec<String>,
    format: String,
    hours: Option<String>,
    offset: String,
    max_reveals: usize,
    max_principals: usize,
    endpoint: Option<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        since: None,
        until: None,
        file: None,
        stack: "mynumber-vault".into(),
        groups: Vec::new(),
        format: "table".into(),
        hours: None,
        offset: "+09:00".into(),
        max_reveals: 50,
        max_principals: 2,
        endpoint: std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|v| !v.is_empty()),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--since" => a.since = Some(value()?),
            "--until" => a.until = Some(value()?),
            "--file" => a.file = Some(value()?),
            "--stack" => a.stack = value()?,
            "--log-group" => a.groups.push(value()?),
            "--format" => a.format = value()?,
            "--business-hours" => a.hours = Some(value()?),
            "--utc-offset" => a.offset = value()?,
            "--max-reveals-per-day" => {
                a.max_reveals = value()?
                    .parse()
                    .map_err(|_| "--max-reveals-per-day takes a number")?
            }
            "--max-principals-per-record" => {
                a.max_principals = value()?
                    .parse()
                    .map_err(|_| "--max-principals-per-record takes a number")?
            }
            "--endpoint-url" => a.endpoint = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !["table", "json", "csv"].contains(&a.format.as_str()) {
        return Err("--format is table, json or csv".into());
    }
    Ok(a)
}

fn parse_time(s: &str, offset: FixedOffset) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| {
            d.and_time(NaiveTime::MIN)
                .and_local_timezone(offset)
                .single()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{s} is neither RFC 3339 nor YYYY-MM-DD"))
}

fn parse_hours(s: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (a, b) = s.split_once('-').ok_or("--business-hours is HH:MM-HH:MM")?;
    let t =
        |x: &str| NaiveTime::parse_from_str(x, "%H:%M").map_err(|_| format!("{x} is not HH:MM"));
    Ok((t(a)?, t(b)?))
}

async fn logs_client(endpoint: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
    use aws_smithy_http_client::tls;
    // The functions' TLS stack (rustls on ring), not the SDK's default aws-lc.
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https);
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    aws_sdk_cloudwatchlogs::Client::new(&loader.load().await)
}

async fn run_review(args: Args) -> Result<ExitCode, String> {
    let offset: FixedOffset = args
        .offset
        .parse()
        .map_err(|_| "--utc-offset is like +09:00")?;
    let until = match &args.until {
        Some(s) => parse_time(s, offset)?,
        None => Utc::now(),
    };
    let since = match &args.since {
        Some(s) => parse_time(s, offset)?,
        None => until - Duration::hours(24),
    };
    if since >= until {
        return Err("--since must be before --until".into());
    }
    let mut cfg = ReviewConfig::new(since, until);
    cfg.offset = offset;
    cfg.max_reveals_per_day = args.max_reveals;
    cfg.max_principals_per_record = args.max_principals;
    if let Some(h) = &args.hours {
        (cfg.business_start, cfg.business_end) = parse_hours(h)?;
    }
    let events = match args.file.as_deref() {
        Some("-") => source::from_lines(std::io::stdin().lock())?,
        Some(path) => {
            let f = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
            source::from_lines(std::io::BufReader::new(f))?
        }
        None => {
            let groups = if args.groups.is_empty() {
                source::default_log_groups(&args.stack)
            } else {
                args.groups.clone()
            };
            let client = logs_client(args.endpoint.as_deref()).await;
            source::from_cloudwatch(&client, &groups, since, until, None).await?
        }
    };
    let report = review(&events, &cfg);
    let text = match args.format.as_str() {
        "json" => render::to_json(&report),
        "csv" => render::to_csv(&report),
        _ => render::to_table(&report),
    };
    println!("{text}");
    Ok(if report.anomalies.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `verify-certificate FILE.json [--public-key FILE.pem]`: 0 when it verifies, 1 when not.
fn verify_certificate(mut argv: impl Iterator<Item = String>) -> Result<ExitCode, String> {
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let file = argv.next().ok_or(USAGE)?;
    let pem = match (argv.next().as_deref(), argv.next()) {
        (None, _) => None,
        (Some("--public-key"), Some(path)) => {
            Some(String::from_utf8(read(&path)?).map_err(|_| format!("{path} is not a PEM file"))?)
        }
        _ => return Err(USAGE.into()),
    };
    let json = read(&file)?;
    match mynumber_audit::certificate::verify(&json, pem.as_deref()) {
        Ok(v) => {
            println!(
                "OK: certificate {} is signed and whole ({} disposals)\nkey fingerprint: {}",
                v.certificate_id, v.disposal_count, v.key_fingerprint
            );
            if pem.is_none() {
                println!(
                    "checked with the key the certificate carries: compare the fingerprint with \
                     the employer's published key (GET /v1/certificates/public-key), or pass it \
                     with --public-key"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(format!("NOT VERIFIED: {file}: {e}")),
    }
}

/// `certificate-parts FILE.json DIR`: what `openssl dgst -verify` checks, as files.
fn certificate_parts(mut argv: impl Iterator<Item = String>) -> Result<ExitCode, String> {
    let (Some(file), Some(dir)) = (argv.next(), argv.next()) else {
        return Err(USAGE.into());
    };
    let json = std::fs::read(&file).map_err(|e| format!("{file}: {e}"))?;
    let parts = mynumber_audit::certificate::parts(&json).map_err(|e| format!("{file}: {e}"))?;
    for (name, bytes) in parts {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let command = argv.next();
    let result = match command.as_deref() {
        Some("review") => match parse_args(argv) {
            Ok(args) => run_review(args).await,
            Err(e) => Err(e),
        },
        Some("ship") => match parse_args(argv) {
            Ok(args) => {
                let client = logs_client(args.endpoint.as_deref()).await;
                let prefix = format!("/aws/lambda/{}", args.stack);
                source::ship(&client, &prefix, std::io::stdin().lock())
                    .await
                    .map(|r| {
                        eprintln!("shipped {} audit events", r.shipped);
                        if r.refused_lines.is_empty() {
                            return ExitCode::SUCCESS;
                        }
                        eprintln!(
                            "CloudWatch Logs refused {} audit events as too old or too new \
                             (lines {:?}): a review of the log groups will not see them",
                            r.refused_lines.len(),
                            r.refused_lines
                        );
                        ExitCode::from(1)
                    })
            }
            Err(e) => Err(e),
        },
        Some("queries") => {
            for q in queries::ALL {
                println!("# {} — {}\n{}", q.name, q.title, q.text);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("verify-certificate") => verify_certificate(argv),
        Some("certificate-parts") => certificate_parts(argv),
        _ => Err(USAGE.into()),
    };
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        ExitCode::from(1)
    })
}

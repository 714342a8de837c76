//! `mynumber-backfill --operator NAME --tenant T [--tenant T2 …]`: files every record a
//! tenant registered before the duplicate index existed under its number's keyed MAC (SPEC
//! §4b), so that a duplicate of it is found. Run once by an operator after deploying the
//! index, as the stack's backfill operator role (assumed with MFA; the only principal
//! besides the functions' roles the keys let decrypt and MAC); settings from the functions'
//! environment (`TABLE_NAME`, `KMS_KEY_ID`, `MAC_KEY_ID`, `AWS_ENDPOINT_URL` locally).
//! Every number opened is a `backfill_opened` event in the vault's durable trail before
//! its Decrypt (none without it) and on stderr after, naming `--operator`; every Decrypt is
//! also in CloudTrail with its record's encryption context. Idempotent: run it again after
//! a stop.
//!
//! Prints one JSON report a tenant on stdout (counts, and own numbers two employees hold;
//! never a number). Exit status: 0 done, 2 done with duplicates for HR to resolve, 1 some
//! records left (run again) or an error.

use mynumber_aws::settings::Settings;
use mynumber_domain::audit::{AuditEvent, AuditSink};
use mynumber_domain::ids::{Subject, TenantId};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

/// The audit events as JSON lines on stderr (stdout carries the reports).
struct StderrAudit;

impl AuditSink for StderrAudit {
    fn emit(&self, event: &AuditEvent) {
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut tenants = Vec::new();
    let mut operator = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--tenant", Some(t)) => match TenantId::parse(&t) {
                Ok(t) => tenants.push(t),
                Err(_) => return usage("--tenant takes a tenant id"),
            },
            ("--operator", Some(o)) => match Subject::parse(&o) {
                Ok(o) => operator = Some(o),
                Err(_) => return usage("--operator takes a name (letters, digits, _.@:+-)"),
            },
            _ => return usage(&format!("unknown argument {a}")),
        }
    }
    if tenants.is_empty() {
        return usage("name at least one --tenant");
    }
    let Some(operator) = operator else {
        return usage("name the --operator who runs it (it is on every number's audit event)");
    };
    let backfill = match Settings::from_env() {
        Ok(s) => mynumber_aws::backfill(&s, operator, Arc::new(StderrAudit)).await,
        Err(e) => Err(e),
    };
    let backfill = match backfill {
        Ok(b) => b,
        Err(e) => {
            eprintln!("mynumber-backfill: {e}");
            return ExitCode::from(1);
        }
    };
    let mut status = 0;
    for t in &tenants {
        match backfill.run(t).await {
            Ok(report) => {
                println!("{}", serde_json::to_string(&report).expect("plain data"));
                if report.failed > 0 || report.changed > 0 {
                    status = 1;
                } else if !report.duplicates.is_empty() && status == 0 {
                    status = 2;
                }
            }
            Err(e) => {
                eprintln!("mynumber-backfill: tenant {t}: {e:?}");
                status = 1;
            }
        }
    }
    ExitCode::from(status)
}

fn usage(why: &str) -> ExitCode {
    eprintln!(
        "mynumber-backfill: {why}\nusage: mynumber-backfill --operator NAME --tenant T [--tenant T2 …]"
    );
    ExitCode::from(1)
}

//! Where audit events come from: CloudWatch Logs (the functions' log groups, paginated),
//! or JSON lines from a file or stdin. Also `ship`, which puts the local stack's audit lines
//! into the emulator's log groups as Lambda would in AWS.

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::{DateTime, Utc};
use mynumber_domain::Action;
use mynumber_domain::audit::{AuditEvent, LogType};
use serde_json::Value;
use std::io::{BufRead, IsTerminal, Write};

/// The audit event in one log message: the event itself, or a Lambda JSON log record
/// whose `message` holds it. Anything else (diagnostics, metrics) is `Ok(None)`; a line
/// that says it is an audit event but is not one of ours is an error, so a review never
/// leaves out an event it could not read.
pub fn parse_message(message: &str) -> Result<Option<AuditEvent>, String> {
    let Ok(value) = serde_json::from_str::<Value>(message.trim()) else {
        return Ok(None);
    };
    let value = if value.get("log_type").is_some() {
        value
    } else {
        match value.get("message") {
            Some(Value::String(s)) => match serde_json::from_str(s) {
                Ok(v) => v,
                Err(_) => return Ok(None),
            },
            Some(v @ Value::Object(_)) => v.clone(),
            _ => return Ok(None),
        }
    };
    if serde_json::from_value::<LogType>(value["log_type"].clone()).is_err() {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| format!("not a readable audit event ({e})"))
}

/// The log groups of a stack's functions that write audit events, as `infra/template.yaml`
/// names them.
pub fn default_log_groups(stack: &str) -> Vec<String> {
    [
        "intake", "review", "lookup", "collect", "purge", "backstop", "notify", "certify",
    ]
    .iter()
    .map(|f| format!("/aws/lambda/{stack}-{f}"))
    .collect()
}

/// Shows progress on stderr when it is a terminal (reading long ranges takes a while).
struct Progress {
    on: bool,
}

impl Progress {
    fn new() -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
        }
    }
    fn update(&self, group: &str, pages: u64, events: usize) {
        if self.on {
            eprint!("\rreading {group}: page {pages}, {events} audit events so far   ");
            let _ = std::io::stderr().flush();
        }
    }
    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}

/// Reads every audit event of `groups` between `since` and `until` (FilterLogEvents,
/// all pages). A group that does not exist is an error: a typo must not read as "nothing
/// happened".
pub async fn from_cloudwatch(
    client: &Client,
    groups: &[String],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    page_size: Option<i32>,
) -> Result<Vec<AuditEvent>, String> {
    let progress = Progress::new();
    let mut events = Vec::new();
    for group in groups {
        let mut token: Option<String> = None;
        let mut pages = 0u64;
        loop {
            let out = client
                .filter_log_events()
                .log_group_name(group)
                .start_time(since.timestamp_millis())
                .end_time(until.timestamp_millis())
                // A plain term narrows the read; the JSON is checked on this side.
                .filter_pattern("\"audit\"")
                .set_limit(page_size)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "reading {group}: {}",
                        aws_smithy_types::error::display::DisplayErrorContext(&e)
                    )
                })?;
            pages += 1;
            for e in out.events() {
                let parsed = parse_message(e.message().unwrap_or_default()).map_err(|err| {
                    format!("{group}, event {}: {err}", e.event_id().unwrap_or_default())
                })?;
                events.extend(parsed);
            }
            progress.update(group, pages, events.len());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
    }
    progress.done();
    Ok(events)
}

/// Audit events from JSON lines; other lines (diagnostics, metrics) are skipped.
pub fn from_lines(reader: impl BufRead) -> Result<Vec<AuditEvent>, String> {
    let mut events = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("reading input: {e}"))?;
        events.extend(parse_message(&line).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    Ok(events)
}

/// The function that wrote an audit event, from its action (the schedule's events have none).
pub fn function_of(event: &AuditEvent) -> &'static str {
    use mynumber_domain::AuditKind;
    // The employee's side of a link has no principal and so no action.
    if matches!(
        event.event,
        AuditKind::CollectionViewed | AuditKind::Submission | AuditKind::DocumentUpload
    ) {
        return "collect";
    }
    // Photos deleted after a review name the registrar; the purge's name no one.
    if event.event == AuditKind::DocumentsDeleted {
        return if event.actor.is_some() {
            "review"
        } else {
            "purge"
        };
    }
    // Mail sent for a registrar's request (a link) names them; the schedule's name no one.
    if matches!(
        event.event,
        AuditKind::NotificationSent | AuditKind::DeliveryReported
    ) {
        return if event.actor.is_some() {
            "review"
        } else {
            "notify"
        };
    }
    match event.action {
        Some(
            Action::RegisterRecord
            | Action::RecordDeparture
            | Action::CancelDeparture
            | Action::DisposeRecord,
        ) => "intake",
        Some(
            Action::CreateCollection
            | Action::ListCollections
            | Action::CancelCollection
            | Action::ResendLink
            | Action::ConfirmRecord
            | Action::RejectRecord
            | Action::ReviewDocuments
            | Action::ManageNotifications
            | Action::ListNotifications,
        ) => "review",
        Some(
            Action::ListRecords
            | Action::RevealNumber
            | Action::ListDisposals
            | Action::RequestExport
            | Action::ApproveExport
            | Action::DownloadExport
            | Action::ListExports
            | Action::ReadHandling
            | Action::ReadSummary,
        ) => "lookup",
        Some(Action::IssueCertificate | Action::ReadCertificates | Action::ManageOrganization) => {
            "certify"
        }
        // An export found past its deadline by the lookup function.
        None if event.event == AuditKind::ExportExpired => "lookup",
        None => "purge",
    }
}

/// What `ship` did: the events CloudWatch Logs took, and the input lines of those it
/// refused (older than its retention or 14 days, or more than 2 hours ahead), which a
/// review of the log groups will not see.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shipped {
    pub shipped: usize,
    pub refused_lines: Vec<usize>,
}

/// Copies the audit lines of a local run (stdin) into `{prefix}-{function}` log groups, as
/// Lambda does in AWS, so `review` reads the local stack the way it reads a deployed one.
pub async fn ship(client: &Client, prefix: &str, input: impl BufRead) -> Result<Shipped, String> {
    let stream = format!("local-{}", Utc::now().format("%Y%m%dT%H%M%S"));
    let mut created = std::collections::BTreeSet::new();
    let mut result = Shipped::default();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| format!("reading input: {e}"))?;
        // Shipping is a local convenience: an audit line it cannot read is reported and
        // skipped, so one bad line does not end shipping for the rest of a dev session
        // (`review` is what must stop on it).
        let event = match parse_message(&line) {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("mynumber-audit ship: line {} skipped: {e}", n + 1);
                continue;
            }
        };
        let group = format!("{prefix}-{}", function_of(&event));
        if created.insert(group.clone()) {
            // The group exists when the bootstrap made it; the stream is this run's.
            let _ = client
                .create_log_group()
                .log_group_name(&group)
                .send()
                .await;
            let _ = client
                .create_log_stream()
                .log_group_name(&group)
                .log_stream_name(&stream)
                .send()
                .await;
        }
        let out = client
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(&stream)
            .log_events(
                InputLogEvent::builder()
                    .timestamp(event.time.at().timestamp_millis())
                    .message(line.trim())
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(|e| {
                format!(
                    "shipping to {group}: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                )
            })?;
        // One event a call: any index in the refusal means this event was not stored.
        match out.rejected_log_events_info() {
            Some(r)
                if r.too_new_log_event_start_index().is_some()
                    || r.too_old_log_event_end_index().is_some()
                    || r.expired_log_event_end_index().is_some() =>
            {
                eprintln!(
                    "mynumber-audit ship: line {} refused as too old or too new",
                    n + 1
                );
                result.refused_lines.push(n + 1)
            }
            _ => result.shipped += 1,
        }
    }
    Ok(result)
}

//! Where audit events come from: CloudWatch Logs (the functions' log groups, paginated),
//! or JSON lines from a file or stdin. Also `ship`, which puts the local stack's audit lines
//! into the emulator's log groups as Lambda would in AWS.

use crate::report::Event;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::{DateTime, Utc};
use std::io::{BufRead, IsTerminal, Write};

/// The log groups of a stack's three functions, as `infra/template.yaml` names them.
pub fn default_log_groups(stack: &str) -> Vec<String> {
    ["intake", "lookup", "purge", "backstop"]
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
) -> Result<Vec<Event>, String> {
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
            events.extend(
                out.events()
                    .iter()
                    .filter_map(|e| e.message().and_then(Event::from_message)),
            );
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
pub fn from_lines(reader: impl BufRead) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| format!("reading input: {e}"))?;
        if let Some(e) = Event::from_message(&line) {
            events.push(e);
        }
    }
    Ok(events)
}

/// The function that wrote an audit event, from its action (the schedule's events have none).
pub fn function_of(event: &Event) -> &'static str {
    match event.action.as_deref() {
        Some("register_record" | "record_departure" | "cancel_departure" | "dispose_record") => {
            "intake"
        }
        Some("list_records" | "reveal_number" | "list_disposals") => "lookup",
        _ => "purge",
    }
}

/// Copies the audit lines of a local run (stdin) into `{prefix}-{function}` log groups, as
/// Lambda does in AWS, so `review` reads the local stack the way it reads a deployed one.
pub async fn ship(client: &Client, prefix: &str, input: impl BufRead) -> Result<usize, String> {
    let stream = format!("local-{}", Utc::now().format("%Y%m%dT%H%M%S"));
    let mut created = std::collections::BTreeSet::new();
    let mut shipped = 0;
    for line in input.lines() {
        let line = line.map_err(|e| format!("reading input: {e}"))?;
        let Some(event) = Event::from_message(&line) else {
            continue;
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
        client
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(&stream)
            .log_events(
                InputLogEvent::builder()
                    .timestamp(event.time.timestamp_millis())
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
        shipped += 1;
    }
    Ok(shipped)
}

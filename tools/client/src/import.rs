//! An import of any size: one request a batch, each batch recorded in a state file once
//! the API has answered it, so a run that stops (network, Ctrl-C, a closed laptop) goes on
//! from the first unanswered batch. Sending a batch twice is harmless: the API treats
//! every row as idempotent by its number (`unchanged`).

use crate::api::{Api, ApiError};
use crate::file::ImportFile;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Options {
    /// Validate only: the API writes nothing, and no state is kept.
    pub dry_run: bool,
    pub state: PathBuf,
    /// Attempts after the first for a batch the network or the service failed.
    pub retries: u32,
    /// The first wait before a retry; doubled each time.
    pub retry_delay: Duration,
}

/// A rule one row broke, at its row in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub row: u32,
    pub field: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
}

/// What the file's rows became, over every run that worked on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Totals {
    pub created: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub failures: Vec<Failure>,
}

/// The state file: which file, cut how, and how far. No cell of the file is in it.
#[derive(Serialize, Deserialize)]
struct State {
    file_sha256: String,
    batch_rows: Vec<usize>,
    batches_done: usize,
    totals: Totals,
}

#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    #[error(
        "stopped at request {batch} of {of} ({error}); run the same command again to go on from there"
    )]
    Api {
        batch: usize,
        of: usize,
        error: ApiError,
    },
    #[error("the state file {0} could not be written: {1}")]
    State(PathBuf, std::io::Error),
}

pub struct Finished {
    pub totals: Totals,
    /// Requests a previous run had already sent.
    pub resumed: usize,
}

pub async fn run(
    api: &Api,
    file: &ImportFile,
    opts: &Options,
    progress: &ProgressBar,
) -> Result<Finished, Stopped> {
    let shape: Vec<usize> = file.batches.iter().map(|b| b.rows.len()).collect();
    let fresh = || State {
        file_sha256: file.digest.clone(),
        batch_rows: shape.clone(),
        batches_done: 0,
        totals: Totals::default(),
    };
    // Another file, or the same file cut otherwise, starts over.
    let mut state = if opts.dry_run {
        fresh()
    } else {
        read_state(&opts.state)
            .filter(|s| s.file_sha256 == file.digest && s.batch_rows == shape)
            .unwrap_or_else(fresh)
    };
    let resumed = state.batches_done;
    progress.set_length(file.rows() as u64);
    progress.set_position(shape[..resumed].iter().sum::<usize>() as u64);

    for (i, batch) in file.batches.iter().enumerate().skip(resumed) {
        let reply = send(api, &batch.body, opts)
            .await
            .map_err(|error| Stopped::Api {
                batch: i + 1,
                of: file.batches.len(),
                error,
            })?;
        let t = &mut state.totals;
        t.created += reply.created;
        t.unchanged += reply.unchanged;
        t.failed += reply.failed;
        for r in reply.rows.iter().filter(|r| r.status == "failed") {
            // The API counts the batch's own rows from 2 (its header is row 1).
            let row = usize::try_from(r.row)
                .ok()
                .and_then(|n| n.checked_sub(2))
                .and_then(|n| batch.rows.get(n))
                .copied()
                .unwrap_or(0);
            let rules = if r.errors.is_empty() {
                vec![crate::api::FieldRule {
                    field: "row".into(),
                    rule: "failed".into(),
                }]
            } else {
                r.errors.clone()
            };
            for e in rules {
                t.failures.push(Failure {
                    row,
                    field: e.field,
                    rule: e.rule,
                    duplicate_of: r.duplicate_of.clone(),
                });
            }
        }
        state.batches_done = i + 1;
        if !opts.dry_run {
            write_state(&opts.state, &state).map_err(|e| Stopped::State(opts.state.clone(), e))?;
        }
        progress.inc(batch.rows.len() as u64);
    }
    progress.finish_and_clear();
    if !opts.dry_run {
        // Done: a later run of the same file posts it again (every row `unchanged`).
        let _ = std::fs::remove_file(&opts.state);
    }
    Ok(Finished {
        totals: state.totals,
        resumed,
    })
}

/// One batch, sent again with a doubling wait while the failure is the network's or the
/// service's.
async fn send(api: &Api, body: &[u8], opts: &Options) -> Result<crate::api::ImportReply, ApiError> {
    let mut delay = opts.retry_delay;
    let mut attempt = 0;
    loop {
        match api.import(body, opts.dry_run).await {
            Err(e) if e.retryable() && attempt < opts.retries => {
                attempt += 1;
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
}

fn read_state(path: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Written whole or not at all: a run killed while writing leaves the previous state.
fn write_state(path: &Path, state: &State) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(state).expect("plain data"))?;
    std::fs::rename(&tmp, path)
}

/// The failed rows as CSV, one line a broken rule, with who the row is about as the file
/// says (never its number): what HR fixes in the file before importing it again.
pub fn write_report(out: impl Write, file: &ImportFile, failures: &[Failure]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "row",
        "employee_id",
        "relation",
        "dependent_label",
        "field",
        "rule",
        "duplicate_of",
    ])?;
    let mut sorted = failures.to_vec();
    sorted.sort_by_key(|f| f.row);
    for f in &sorted {
        let who = file.who(f.row);
        // The cells come from HR's file as written: a formula there stays text here.
        use mynumber_domain::spreadsheet::cell;
        w.write_record([
            f.row.to_string().as_str(),
            &cell(&who.employee_id),
            &cell(&who.relation),
            &cell(&who.dependent_label),
            &f.field,
            &f.rule,
            f.duplicate_of.as_deref().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

//! mynumber import FILE [--api URL] [--batch-rows N] [--dry-run] [--state PATH]
//!                      [--report PATH] [--retries N] [--dev-principal SUB@TENANT]
//!
//! Exit status: 0 every row imported (created or unchanged), 2 some rows failed (the report
//! lists them), 1 stopped (run the same command again to go on).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mynumber_client::api::{Api, Auth};
use mynumber_client::file::ImportFile;
use mynumber_client::import::{self, Options};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use zeroize::Zeroizing;

const USAGE: &str = "usage:
  mynumber import FILE [--api URL] [--batch-rows 500] [--dry-run] [--state PATH]
                       [--report PATH] [--retries 5] [--dev-principal SUB@TENANT]

Imports FILE (CSV, UTF-8 or Shift_JIS, the header of POST /v1/imports or its Japanese
aliases) in requests of at most --batch-rows rows (1-1000). Progress is kept in --state
(default FILE.import-state.json): after a stop, the same command goes on from there.
The failed rows are written as CSV to --report (default: standard output).

--api defaults to $MYNUMBER_API; the caller is the registrar whose JWT is in
$MYNUMBER_TOKEN, or, against `make dev` only, --dev-principal (e.g. hr@acme).
Exit status: 0 every row imported, 2 some rows failed, 1 stopped or an error.";

struct Args {
    file: PathBuf,
    api: String,
    batch_rows: usize,
    dry_run: bool,
    state: Option<PathBuf>,
    report: Option<PathBuf>,
    retries: u32,
    dev: Option<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    match it.next().as_deref() {
        Some("import") => {}
        Some(other) => return Err(format!("unknown command {other}")),
        None => return Err("a command is needed".into()),
    }
    let mut a = Args {
        file: PathBuf::new(),
        api: std::env::var("MYNUMBER_API").unwrap_or_default(),
        batch_rows: 500,
        dry_run: false,
        state: None,
        report: None,
        retries: 5,
        dev: None,
    };
    let mut file = None;
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--api" => a.api = value()?,
            "--batch-rows" => {
                a.batch_rows = value()?
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or("--batch-rows takes a number from 1 to 1000")?
            }
            "--dry-run" => a.dry_run = true,
            "--state" => a.state = Some(value()?.into()),
            "--report" => a.report = Some(value()?.into()),
            "--retries" => a.retries = value()?.parse().map_err(|_| "--retries takes a number")?,
            "--dev-principal" => a.dev = Some(value()?),
            flag if flag.starts_with("--") => return Err(format!("unknown argument {flag}")),
            path if file.is_none() => file = Some(PathBuf::from(path)),
            extra => return Err(format!("one file only ({extra})")),
        }
    }
    a.file = file.ok_or("FILE is needed")?;
    if a.api.is_empty() {
        return Err("--api or MYNUMBER_API is needed".into());
    }
    mynumber_client::api::check_base(&a.api)?;
    Ok(a)
}

fn auth(a: &Args) -> Result<Auth, String> {
    if let Some(dev) = &a.dev {
        let (sub, tenant) = dev.split_once('@').ok_or("--dev-principal is SUB@TENANT")?;
        return Ok(Auth::Dev {
            sub: sub.to_owned(),
            tenant: tenant.to_owned(),
        });
    }
    match std::env::var("MYNUMBER_TOKEN") {
        Ok(t) if !t.is_empty() => Ok(Auth::Bearer(Zeroizing::new(t))),
        _ => Err("MYNUMBER_TOKEN (a registrar's JWT) is needed".into()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mynumber: {e}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    match run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mynumber: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let auth = auth(&args)?;
    let bytes = Zeroizing::new(
        std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?,
    );
    let file = ImportFile::read(&bytes, args.batch_rows)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    drop(bytes);
    let state = args.state.clone().unwrap_or_else(|| {
        let mut s = args.file.clone().into_os_string();
        s.push(".import-state.json");
        s.into()
    });
    let opts = Options {
        dry_run: args.dry_run,
        state,
        retries: args.retries,
        retry_delay: Duration::from_secs(1),
    };
    // Drawn on standard error, and only on a terminal.
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {elapsed} (about {eta} left)")
            .expect("a valid template"),
    );
    let api = Api::new(&args.api, auth);
    let done = import::run(&api, &file, &opts, &progress)
        .await
        .map_err(|e| e.to_string())?;
    let t = &done.totals;
    match &args.report {
        Some(path) => {
            let out =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            import::write_report(out, &file, &t.failures).map_err(|e| e.to_string())?;
        }
        None => import::write_report(std::io::stdout().lock(), &file, &t.failures)
            .map_err(|e| e.to_string())?,
    }
    let verb = if args.dry_run {
        "would create"
    } else {
        "created"
    };
    let resumed = if done.resumed > 0 {
        format!(
            " ({} of {} requests sent by an earlier run)",
            done.resumed,
            file.batches.len()
        )
    } else {
        String::new()
    };
    eprintln!(
        "mynumber: {} rows: {verb} {}, unchanged {}, failed {}{resumed}",
        file.rows(),
        t.created,
        t.unchanged,
        t.failed
    );
    Ok(if t.failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

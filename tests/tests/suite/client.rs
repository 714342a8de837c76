//! The integrator's command (`mynumber import`, tools/client) against the real handlers
//! served over HTTP on moto: a kintone export imported in requests, cut off by an outage
//! and resumed, its failed rows reported, fixed and imported again; then the year-end
//! export requested by one handler and approved by another.

use super::*;
use mynumber_client::api::{Api, Auth};
use mynumber_client::file::ImportFile;
use mynumber_client::import::{self, Finished, Options, Stopped};
use mynumber_tests::browser::serve_unless;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::imports::FIXTURE;

struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(dir: &Scratch, retries: u32) -> Options {
    Options {
        dry_run: false,
        state: dir.0.join("kintone.csv.import-state.json"),
        retries,
        retry_delay: Duration::from_millis(10),
    }
}

async fn run(api: &Api, file: &ImportFile, opts: &Options) -> Result<Finished, Stopped> {
    import::run(api, file, opts, &indicatif::ProgressBar::hidden()).await
}

fn report(file: &ImportFile, done: &Finished) -> String {
    let mut out = Vec::new();
    import::write_report(&mut out, file, &done.totals.failures).unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_kintone_export_is_imported_by_the_client_resumed_fixed_and_exported_at_year_end() {
    let stack = Arc::new(Stack::with_dev_headers().await);
    // The outage: while `down`, every import from the `after`-th on is answered 503;
    // with `once`, the outage ends after one such answer.
    let down = Arc::new(AtomicBool::new(true));
    let once = Arc::new(AtomicBool::new(false));
    let imports = Arc::new(AtomicUsize::new(0));
    let after = Arc::new(AtomicUsize::new(3));
    let origin = {
        let (down, once, imports, after) =
            (down.clone(), once.clone(), imports.clone(), after.clone());
        serve_unless(
            stack.clone(),
            Arc::new(move |p| {
                if p.uri.path() != "/v1/imports" {
                    return false;
                }
                let n = imports.fetch_add(1, Ordering::SeqCst) + 1;
                let refused = down.load(Ordering::SeqCst) && n >= after.load(Ordering::SeqCst);
                if refused && once.load(Ordering::SeqCst) {
                    down.store(false, Ordering::SeqCst);
                }
                refused
            }),
        )
        .await
    };
    let api = Api::new(
        &origin,
        Auth::Dev {
            sub: "hr-tanaka".into(),
            tenant: "acme".into(),
        },
    );
    let dir = Scratch(
        std::env::temp_dir().join(format!("mynumber-client-{}", mynumber_tests::uuid_like())),
    );
    std::fs::create_dir_all(&dir.0).unwrap();
    let opts = options(&dir, 0);

    // Six rows, two a request: the third request meets the outage and the run stops.
    let file = ImportFile::read(FIXTURE, 2).unwrap();
    assert_eq!(file.batches.len(), 3);
    let stopped = run(&api, &file, &opts).await.err().unwrap();
    assert!(
        matches!(
            stopped,
            Stopped::Api {
                batch: 3,
                of: 3,
                ..
            }
        ),
        "{stopped}"
    );
    assert!(stopped.to_string().contains("run the same command again"));
    assert!(opts.state.exists(), "the state file says how far it got");

    // The service is back: the same command sends only what was not answered.
    down.store(false, Ordering::SeqCst);
    let before = imports.load(Ordering::SeqCst);
    let done = run(&api, &file, &opts).await.unwrap();
    assert_eq!(
        imports.load(Ordering::SeqCst) - before,
        1,
        "one request left"
    );
    assert_eq!(done.resumed, 2);
    let t = &done.totals;
    assert_eq!((t.created, t.unchanged, t.failed), (3, 0, 3));
    assert!(!opts.state.exists(), "a finished import leaves no state");

    // The report: each failed row at its row in the file, who it is about and why.
    let text = report(&file, &done);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        vec![
            "row,employee_id,relation,dependent_label,field,rule,duplicate_of",
            "4,E1002,本人,,my_number,length,",
            "5,E1003,本人,,identity_check,employer_must_verify,",
            "6,E1004,本人,,my_number,duplicate_number,E1001",
        ]
    );
    assert!(
        !text.contains("3141") && !text.contains("1234"),
        "no number"
    );

    // HR fixes two rows and drops the duplicate; a passing 503 is retried.
    let fixed = super::imports::fixed_fixture();
    once.store(true, Ordering::SeqCst);
    down.store(true, Ordering::SeqCst);
    let start = imports.load(Ordering::SeqCst);
    after.store(start + 1, Ordering::SeqCst);
    let file = ImportFile::read(fixed.as_bytes(), 2).unwrap();
    let done = run(&api, &file, &options(&dir, 3)).await.unwrap();
    assert_eq!(
        imports.load(Ordering::SeqCst) - start,
        file.batches.len() + 1,
        "the refused request was sent again"
    );
    let t = &done.totals;
    assert_eq!((t.created, t.unchanged, t.failed), (2, 3, 0));
    assert_eq!(report(&file, &done).lines().count(), 1, "the header only");

    // Year end: one handler asks for every withholding-tax number, another approves.
    let requester = Who::handler("acme");
    let approver = Who::new("payroll-yamada", "acme", &["handler"]);
    let asked = stack
        .call(
            req("POST", "/v1/exports")
                .who(&requester)
                .json(json!({"purpose": "withholding_tax", "all": true}))
                .build(),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.raw);
    assert_eq!(asked.body["record_count"], 5);
    let id = asked.body["export_id"].as_str().unwrap().to_owned();
    let approve = |who: &Who| {
        req("POST", &format!("/v1/exports/{id}/approve"))
            .who(who)
            .json(json!({}))
            .build()
    };
    let own = stack.call(approve(&requester)).await;
    assert_eq!((own.status, own.code()), (403, "four_eyes"));
    assert_eq!(stack.call(approve(&approver)).await.status, 200);
    let file_req = || {
        req("GET", &format!("/v1/exports/{id}/file"))
            .who(&requester)
            .build()
    };
    let csv = stack.call(file_req()).await;
    assert_eq!(csv.status, 200, "{}", csv.raw);
    assert_eq!(csv.raw.lines().count(), 6, "the header and five numbers");
    assert!(csv.raw.contains("314159265352"), "the fixed row is filed");
    assert_eq!(stack.call(file_req()).await.status, 410);

    stack
        .assert_no_plaintext(&[
            "123456789018",
            "023456789013",
            "314159265352",
            "271828182840",
            "161803398872",
        ])
        .await;
}

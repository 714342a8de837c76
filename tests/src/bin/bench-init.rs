//! `make bench`: each function's init — process start to its first poll of the Lambda
//! runtime API (`GET /2018-06-01/runtime/invocation/next`) against a stub of that API —
//! next to a hello-world `lambda_runtime` function built in the same run with the same
//! profile. Rounds alternate between the binaries so that the machine's drift falls on
//! all of them alike; medians are printed. Figures, not assertions.
//!
//! bench-init DIR [ROUNDS]: DIR holds `hello-lambda` and the functions' binaries
//! (scripts/bench-init.sh builds them with the release profile).
//!
//! The environment is a deployed function's: credentials and region in variables, the
//! settings of infra/template.yaml, and a HOME without `~/.aws`, as in Lambda.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const FUNCTIONS: [&str; 9] = [
    "intake", "review", "lookup", "collect", "purge", "backstop", "notify", "console", "certify",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: bench-init DIR [ROUNDS]"));
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let home = std::env::temp_dir().join(format!("bench-init-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();

    assert_every_template_variable_is_set(&home);
    let binaries: Vec<&str> = std::iter::once("hello-lambda").chain(FUNCTIONS).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); binaries.len()];
    for _ in 0..rounds {
        for (i, name) in binaries.iter().enumerate() {
            times[i].push(init_time(&dir.join(name), &home));
        }
    }
    let _ = std::fs::remove_dir_all(&home);

    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let hello = median(&mut times[0].clone());
    println!(
        "Init (process start to the first poll of the runtime API), median of {rounds} alternating rounds"
    );
    for (i, name) in binaries.iter().enumerate() {
        let m = median(&mut times[i]);
        let ratio = m.as_secs_f64() / hello.as_secs_f64();
        let verdict = if i == 0 {
            "baseline".to_owned()
        } else if ratio <= 1.5 {
            format!("×{ratio:.2} (target ≤ ×1.5)")
        } else {
            format!("×{ratio:.2} — ABOVE the target of ×1.5")
        };
        println!(
            "  {name:<13} {:>6.2} ms  min {:>6.2} ms  {verdict}",
            m.as_secs_f64() * 1000.0,
            times[i][0].as_secs_f64() * 1000.0
        );
    }
}

/// One cold start of `binary`: the time from spawning it to its first request for an
/// invocation, answered by nothing (the process is killed then).
fn init_time(binary: &std::path::Path, home: &std::path::Path) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The runtime client may open a connection before it sends; the first request
        // line that asks for an invocation is the end of init.
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut reader = BufReader::new(&stream);
                if reader.read_line(&mut line).is_ok()
                    && line.starts_with("GET /2018-06-01/runtime/invocation/next")
                {
                    let _ = tx.send(Instant::now());
                }
                // Held open, unanswered, until the process is killed.
                std::thread::sleep(Duration::from_secs(10));
            });
        }
    });
    let name = binary.file_name().unwrap().to_string_lossy().into_owned();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .envs(lambda_environment(&name, &api, home))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let polled = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{name} never polled the runtime API (see its settings)"));
    let _ = child.kill();
    let _ = child.wait();
    polled - started
}

/// Fails unless the bench gives each function every variable infra/template.yaml gives it:
/// a setting read at start (a claim name, a limit) costs init time like any other.
fn assert_every_template_variable_is_set(home: &std::path::Path) {
    let template = mynumber_tests::iam::Template::load();
    for name in FUNCTIONS {
        let role = format!("{}{}Role", name[..1].to_ascii_uppercase(), &name[1..]);
        let ours: Vec<String> = lambda_environment(name, "", home)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let missing: Vec<String> = template
            .function_environment(&role)
            .keys()
            .filter(|k| !ours.contains(k))
            .cloned()
            .collect();
        assert!(
            missing.is_empty(),
            "the bench does not set {missing:?}, which the template gives {name}"
        );
    }
}

/// What Lambda gives a function, and the settings infra/template.yaml gives ours.
fn lambda_environment(name: &str, api: &str, home: &std::path::Path) -> Vec<(String, String)> {
    // No SSL_CERT_FILE or SSL_CERT_DIR, as in Lambda: the trust roots are wherever the
    // host keeps them.
    let env: Vec<(&str, String)> = vec![
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", format!("mynumber-vault-{name}")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/mynumber-vault-{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/06/[$LATEST]0".into()),
        ("AWS_REGION", "ap-northeast-1".into()),
        ("AWS_DEFAULT_REGION", "ap-northeast-1".into()),
        ("AWS_ACCESS_KEY_ID", "ASIABENCHBENCHBENCH0".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench".into()),
        ("AWS_SESSION_TOKEN", "bench".into()),
        ("HOME", home.display().to_string()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
        ("RUST_LOG", "info".into()),
        ("TABLE_NAME", "mynumber-vault".into()),
        ("KMS_KEY_ID", "alias/mynumber-vault".into()),
        ("MAC_KEY_ID", "alias/mynumber-vault-idempotency".into()),
        ("DOCUMENTS_BUCKET", "mynumber-vault-documents".into()),
        ("PUBLIC_BASE_URL", "https://vault.example.jp".into()),
        ("MAIL_FROM", "no-reply@vault.example.jp".into()),
        ("STORAGE_ORIGIN", "https://mynumber-vault-documents.s3.ap-northeast-1.amazonaws.com".into()),
        ("JWT_ISSUER", "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_bench".into()),
        ("JWT_AUDIENCE", "bench".into()),
        ("JWKS_URL", "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_bench/.well-known/jwks.json".into()),
        ("OAUTH_AUTHORIZE_URL", "https://auth.example.jp/oauth2/authorize".into()),
        ("OAUTH_TOKEN_URL", "https://auth.example.jp/oauth2/token".into()),
        ("OAUTH_CLIENT_ID", "bench".into()),
        ("OAUTH_LOGOUT_URL", "https://auth.example.jp/logout".into()),
        ("CERTIFICATE_KEY_ID", "alias/mynumber-vault-certificates".into()),
        ("MAIL_CONFIGURATION_SET", "mynumber-vault-mail".into()),
        // The template's defaults, with its own user pool.
        ("RETENTION_YEARS", "7".into()),
        ("BACKUP_WINDOW_DAYS", "35".into()),
        ("DISPOSAL_RETENTION_DAYS", "3650".into()),
        ("AUDIT_RETENTION_DAYS", "1095".into()),
        ("REVEAL_LIMIT_PER_HOUR", "200".into()),
        ("JWT_TOKEN_USE", "id".into()),
        ("TENANT_CLAIM", "custom:tenant_id".into()),
        ("ROLE_CLAIM", "cognito:groups".into()),
        ("ROLE_PREFIX", String::new()),
    ];
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

//! One moto server per test process, on a free loopback port, stopped when the process
//! ends (a watcher shell kills it once the test process is gone).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// `MOTO_SERVER`, else `scripts/moto-test-server`: the project's pinned moto (installed
/// into `.venv` by `make test`) with DynamoDB transactions isolated (scripts/moto_test.py).
fn moto_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join("scripts/moto-test-server")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The endpoint URL of this process's moto server, starting it on first use. Also sets
/// dummy credentials and a region for the SDK.
pub fn endpoint() -> String {
    ENDPOINT.get_or_init(|| spawn(&[])).clone()
}

/// A moto server of its own, for a test that loads it heavily (the chaos tests) and must
/// not slow the others; stopped when the test process ends.
pub fn private_endpoint() -> String {
    spawn(&[])
}

/// Starts a moto server with extra environment `env` on a free loopback port and waits
/// until it accepts connections. A watcher shell stops it once this process is gone.
pub fn spawn(env: &[(&str, &str)]) -> String {
    static CREDENTIALS: OnceLock<()> = OnceLock::new();
    CREDENTIALS.get_or_init(|| {
        // SAFETY: set once, before any SDK client of this process reads them.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_REGION", "ap-northeast-1");
            std::env::remove_var("AWS_PROFILE");
        }
    });
    let bin = moto_binary();
    assert!(
        bin.exists(),
        "moto server not found at {} — run `make test` (it installs the pinned tools)",
        bin.display()
    );
    let port = free_port();
    let pid = std::process::id();
    let script = format!(
        "'{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
         trap 'kill $m 2>/dev/null' EXIT; \
         while kill -0 {pid} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 0.5; done",
        bin.display()
    );
    // The watcher outlives this call on purpose: it stops moto once this process is gone,
    // and is then reaped by init.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .spawn()
        .expect("start moto server");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    format!("http://127.0.0.1:{port}")
}

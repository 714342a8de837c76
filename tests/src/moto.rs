//! One moto server per test process, on a free loopback port, stopped when the process
//! ends (a watcher shell kills it once the test process is gone).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// `MOTO_SERVER`, else the project's `.venv/bin/moto_server` (installed by `make test`).
fn moto_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join(".venv/bin/moto_server")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The endpoint URL of this process's moto server, starting it on first use. Also sets
/// dummy credentials and a region for the SDK.
pub fn endpoint() -> String {
    ENDPOINT
        .get_or_init(|| {
            // SAFETY: set once, before any SDK client of this process reads them.
            unsafe {
                std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
                std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
                std::env::set_var("AWS_REGION", "ap-northeast-1");
                std::env::remove_var("AWS_PROFILE");
            }
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
            // The watcher outlives this call on purpose: it stops moto once this process
            // is gone, and is then reaped by init.
            #[allow(clippy::zombie_processes)]
            Command::new("sh")
                .arg("-c")
                .arg(script)
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
        })
        .clone()
}

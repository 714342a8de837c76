//! The local stack as `make dev` runs it: the functions' own binaries (built with the
//! development features by `cargo test --workspace --all-targets`, as by scripts/dev.sh)
//! behind the local gateway (tools/gateway), on one test's table, keys and bucket.

use crate::Stack;
use mynumber_gateway::routes::Routes;
use mynumber_gateway::{Config, Gateway};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A running local stack: its origin, and the file its functions write their logs to.
pub struct Local {
    pub origin: String,
    pub log: PathBuf,
    _gateway: Gateway,
}

/// `target/debug` of this build: where cargo put the functions' binaries.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/debug/deps/suite-… → target/debug
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug")
        .to_path_buf()
}

/// The newest change under the sources the functions and the gateway are built from.
fn newest_source() -> SystemTime {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs: Vec<PathBuf> = ["functions", "shared", "web", "tools/gateway"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let mut newest = SystemTime::UNIX_EPOCH;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(entry.path());
            } else if let Ok(modified) = meta.modified() {
                newest = newest.max(modified);
            }
        }
    }
    newest
}

/// Fails unless every function's binary is there and newer than the sources: a journey
/// against last week's binaries would prove nothing.
fn assert_fresh(bin_dir: &std::path::Path, functions: &[String]) {
    let newest = newest_source();
    for f in functions {
        let path = bin_dir.join(f);
        let built = std::fs::metadata(&path).and_then(|m| m.modified());
        assert!(
            built.as_ref().is_ok_and(|b| *b >= newest),
            "{} is missing or older than the sources: run scripts/build-local.sh \
             (scripts/test.sh does) before the suite",
            path.display()
        );
    }
}

impl Local {
    /// Starts the gateway and every function the workspace's route table names, with the
    /// environment scripts/dev.sh gives them, on `stack`'s resources.
    pub async fn start(stack: &Stack) -> Local {
        let port = crate::moto::free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let moto = crate::moto::endpoint();
        let routes = Routes::from_cargo_toml(include_str!("../../Cargo.toml")).unwrap();
        let log = std::env::temp_dir().join(format!("mynumber-local-{}.log", crate::uuid_like()));
        let env = [
            ("TABLE_NAME", stack.table.as_str()),
            ("KMS_KEY_ID", &stack.key_id),
            ("MAC_KEY_ID", &stack.mac_key_id),
            ("CERTIFICATE_KEY_ID", &stack.certificate_key_id),
            ("DOCUMENTS_BUCKET", &stack.bucket),
            ("MAIL_FROM", crate::MAIL_FROM),
            ("PUBLIC_BASE_URL", &origin),
            ("STORAGE_ORIGIN", &stack.storage_origin),
            ("AWS_ENDPOINT_URL", &moto),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "ap-northeast-1"),
            ("MYNUMBER_DEV_AUTH", "1"),
            ("RUST_LOG", "info"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_fresh(&bin_dir(), &routes.functions());
        let gateway = Gateway::start(Config {
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
            routes,
            bin_dir: bin_dir(),
            event_functions: Vec::new(),
            env,
            timeout: Duration::from_secs(30),
            log: Some(log.clone()),
        })
        .await
        .unwrap_or_else(|e| panic!("the local gateway: {e}"));
        Local {
            origin,
            log,
            _gateway: gateway,
        }
    }

    /// What the functions wrote so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

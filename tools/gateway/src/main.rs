//! `mynumber-gateway --listen ADDR --manifest Cargo.toml --bin-dir target/debug
//! --functions intake,lookup,…`: serves the workspace's route table on ADDR until
//! interrupted, running each function's binary under its own runtime API. The functions
//! inherit this process's environment (scripts/dev.sh sets the stack's variables).

use mynumber_gateway::{Config, Gateway, routes::Routes};
use std::time::Duration;

fn usage() -> ! {
    eprintln!(
        "usage: mynumber-gateway --listen 127.0.0.1:9000 --manifest Cargo.toml \
         --bin-dir target/debug --functions a,b,… [--timeout-seconds 30]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut listen = None;
    let mut manifest = None;
    let mut bin_dir = None;
    let mut functions = Vec::new();
    let mut timeout = 30;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--listen" => listen = Some(value.parse().unwrap_or_else(|_| usage())),
            "--manifest" => manifest = Some(value),
            "--bin-dir" => bin_dir = Some(value.into()),
            "--functions" => functions = value.split(',').map(str::to_owned).collect(),
            "--timeout-seconds" => timeout = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let (Some(listen), Some(manifest), Some(bin_dir)) = (listen, manifest, bin_dir) else {
        usage()
    };
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| {
        eprintln!("mynumber-gateway: {manifest}: {e}");
        std::process::exit(1)
    });
    let routes = Routes::from_cargo_toml(&text).unwrap_or_else(|e| {
        eprintln!("mynumber-gateway: {e}");
        std::process::exit(1)
    });
    let gateway = Gateway::start(Config {
        listen,
        routes,
        bin_dir,
        event_functions: functions,
        env: Vec::new(),
        timeout: Duration::from_secs(timeout),
        log: None,
    })
    .await
    .unwrap_or_else(|e| {
        eprintln!("mynumber-gateway: {e}");
        std::process::exit(1)
    });
    eprintln!("mynumber-gateway: listening on http://{}", gateway.addr);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    // Dropping the gateway stops every function's process.
    drop(gateway);
}

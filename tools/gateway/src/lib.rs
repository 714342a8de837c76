//! The local stack's front (`make dev`): API Gateway's HTTP API on one origin and Lambda's
//! runtime API for each function's own binary.
//!
//! It replaces `cargo lambda watch`, whose router refused bodies that are not UTF-8 (API
//! Gateway base64-encodes them: a Shift_JIS CSV must reach the import) and whose runtime
//! API acknowledged a function's answer before reading it, so large answers were now and
//! then lost. Here an answer is read to its end before the caller is told of it.

pub mod event;
pub mod routes;
pub mod runtime;

use bytes::Bytes;
use event::{Incoming as Request, from_answer, gateway_answer, to_event};
use http_body_util::{BodyExt, Full, Limited};
use hyper::http::{Method, Response, StatusCode};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use routes::Routes;
use runtime::{Function, Outcome};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// API Gateway's limit on a request's payload.
const MAX_BODY: usize = 10 * 1024 * 1024;

pub struct Config {
    pub listen: SocketAddr,
    pub routes: Routes,
    /// Where the functions' binaries are (`target/debug`).
    pub bin_dir: PathBuf,
    /// Functions to run besides those the routes name (invoked by events only).
    pub event_functions: Vec<String>,
    /// Variables for every function besides the gateway's own environment.
    pub env: Vec<(String, String)>,
    /// How long a function may take, as the template's `Timeout`.
    pub timeout: Duration,
    /// Where the functions' output goes (appended); the gateway's own output when `None`.
    pub log: Option<PathBuf>,
}

/// A running gateway; dropping it stops the functions' processes.
pub struct Gateway {
    pub addr: SocketAddr,
    _tasks: JoinSet<()>,
}

struct State {
    routes: Routes,
    functions: BTreeMap<String, Arc<Function>>,
    timeout: Duration,
    ids: AtomicU64,
}

impl Gateway {
    /// Starts every function's process and serves `config.listen`.
    pub async fn start(config: Config) -> Result<Gateway, String> {
        let mut names = config.routes.functions();
        names.extend(config.event_functions.iter().cloned());
        names.sort();
        names.dedup();
        let mut tasks = JoinSet::new();
        let mut functions = BTreeMap::new();
        for name in names {
            let binary = config.bin_dir.join(&name);
            if !binary.is_file() {
                return Err(format!(
                    "no binary {} (build the functions first)",
                    binary.display()
                ));
            }
            let function = Function::new(&name);
            let runtime_api = function
                .serve_runtime_api()
                .await
                .map_err(|e| format!("runtime API for {name}: {e}"))?;
            tasks.spawn(function.clone().supervise(
                binary,
                runtime_api,
                config.env.clone(),
                config.log.clone(),
            ));
            functions.insert(name, function);
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("{}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = Arc::new(State {
            routes: config.routes,
            functions,
            timeout: config.timeout,
            ids: AtomicU64::new(0),
        });
        tasks.spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.front(peer, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Gateway {
            addr,
            _tasks: tasks,
        })
    }
}

impl State {
    async fn front(
        &self,
        peer: SocketAddr,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return full(gateway_answer(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request Entity Too Large",
                ));
            }
        };
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("local-{}-{n}", std::process::id());
        let path = parts.uri.path();
        // Lambda's Invoke API, for the functions events start (the purge's schedule).
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if let (&Method::POST, ["2015-03-31", "functions", name, "invocations"]) =
            (&parts.method, segments.as_slice())
        {
            return full(match self.invoke(name, &request_id, body).await {
                Ok(answer) => {
                    let mut r = Response::new(answer);
                    r.headers_mut()
                        .insert("content-type", "application/json".parse().unwrap());
                    r
                }
                Err(r) => r,
            });
        }
        let Some(route) = self.routes.find(parts.method.as_str(), path) else {
            return full(gateway_answer(StatusCode::NOT_FOUND, "Not Found"));
        };
        let event = to_event(
            &Request {
                method: &parts.method,
                uri: &parts.uri,
                headers: &parts.headers,
                body: &body,
                peer,
                request_id: &request_id,
            },
            &route,
        );
        let event = Bytes::from(event.to_string());
        full(
            match self.invoke(route.function, &request_id, event).await {
                Ok(answer) => from_answer(&answer).unwrap_or_else(|| {
                    eprintln!("gateway: {} answered no HTTP response", route.function);
                    gateway_answer(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                }),
                Err(r) => r,
            },
        )
    }

    async fn invoke(&self, name: &str, id: &str, event: Bytes) -> Result<Bytes, Response<Bytes>> {
        let Some(function) = self.functions.get(name) else {
            return Err(gateway_answer(StatusCode::NOT_FOUND, "Function not found"));
        };
        match function.invoke(id, event, self.timeout).await {
            Some(Outcome::Answer(answer)) => Ok(answer),
            Some(Outcome::Failed) => Err(gateway_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
            )),
            None => Err(gateway_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
            )),
        }
    }
}

fn full(r: Response<Bytes>) -> Response<Full<Bytes>> {
    r.map(Full::new)
}

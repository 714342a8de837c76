//! A fault-injecting HTTP proxy between the functions' SDK clients and moto.
//!
//! At a configurable rate it answers a request itself with a DynamoDB or KMS error
//! (throttling, internal error), delays it, or resets the connection — before forwarding
//! the request, or, the nastiest case, *after* moto has carried it out. Every decision
//! comes from a seeded generator keyed by the request's sequence number, so a failing run
//! is reproduced from the seed it prints.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy may do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// An error answer instead of forwarding (nothing happened at moto).
    ErrorBefore(ErrorKind),
    /// Forwarded and carried out, then an error answer instead of moto's.
    ErrorAfter(ErrorKind),
    /// The connection is closed without an answer, before forwarding.
    ResetBefore,
    /// Forwarded and carried out, then the connection is closed without an answer.
    ResetAfter,
    /// Forwarded after a delay.
    Latency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    Throttled,
    /// DynamoDB's `ProvisionedThroughputExceededException`.
    ThroughputExceeded,
    Internal,
}

/// How often, and to which requests, faults happen.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub seed: u64,
    /// Probability that a request gets a fault (0.0 – 1.0).
    pub rate: f64,
    /// Only requests whose operation (`X-Amz-Target` after the dot, e.g. `PutItem`) is
    /// listed get faults; all when empty.
    pub operations: Vec<&'static str>,
    /// Only these kinds of fault; all when empty.
    pub kinds: Vec<Fault>,
}

impl FaultPlan {
    pub fn new(seed: u64, rate: f64) -> Self {
        FaultPlan {
            seed,
            rate,
            operations: Vec::new(),
            kinds: Vec::new(),
        }
    }

    /// The seed a run uses unless `CHAOS_SEED` names another: fixed, so CI sees the same
    /// faults every run and a failure reproduces without the seed it printed.
    pub const DEFAULT_SEED: u64 = 20_261_207;

    /// `CHAOS_SEED` when set (a number), else [`Self::DEFAULT_SEED`]; printed by the caller.
    pub fn seed_from_env() -> u64 {
        std::env::var("CHAOS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(Self::DEFAULT_SEED)
    }

    fn all_kinds() -> Vec<Fault> {
        use ErrorKind::*;
        use Fault::*;
        vec![
            ErrorBefore(Throttled),
            ErrorBefore(ThroughputExceeded),
            ErrorBefore(Internal),
            ErrorAfter(Throttled),
            ErrorAfter(Internal),
            ResetBefore,
            ResetAfter,
            Latency,
        ]
    }

    /// The fault for request number `n` of operation `op`, if any.
    fn decide(&self, n: u64, service: Service, op: &str) -> Option<Fault> {
        if !self.operations.is_empty() && !self.operations.contains(&op) {
            return None;
        }
        let mut rng = fastrand::Rng::with_seed(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if rng.f64() >= self.rate {
            return None;
        }
        let kinds = if self.kinds.is_empty() {
            Self::all_kinds()
        } else {
            self.kinds.clone()
        };
        // KMS has no ProvisionedThroughputExceededException: it throttles instead.
        let kind = kinds[rng.usize(..kinds.len())];
        Some(match (service, kind) {
            (Service::Kms, Fault::ErrorBefore(ErrorKind::ThroughputExceeded)) => {
                Fault::ErrorBefore(ErrorKind::Throttled)
            }
            (Service::Kms, Fault::ErrorAfter(ErrorKind::ThroughputExceeded)) => {
                Fault::ErrorAfter(ErrorKind::Throttled)
            }
            (_, k) => k,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    DynamoDb,
    Kms,
    /// SES (API v2, REST-JSON): its operation is read from the path.
    Ses,
    Other,
}

/// What the proxy did, for the test's figures.
#[derive(Debug, Default)]
pub struct FaultStats {
    pub requests: AtomicU64,
    by_kind: Mutex<BTreeMap<String, u64>>,
    calls: Mutex<Vec<Call>>,
}

/// One request that passed the proxy: which operation, when it left and when it was
/// answered (the bench's count of calls and of sequential round trips).
#[derive(Debug, Clone)]
pub struct Call {
    /// `DynamoDB/GetItem`, `KMS/Encrypt`, `S3/PUT`.
    pub op: String,
    pub sent: std::time::Instant,
    pub answered: std::time::Instant,
}

/// How many round trips of `calls` had to wait for one another: the longest chain of
/// calls each sent after the previous one was answered (calls that overlap were made at
/// once, so they share a round trip).
pub fn sequential_round_trips(calls: &[Call]) -> usize {
    let mut calls: Vec<&Call> = calls.iter().collect();
    calls.sort_by_key(|c| c.sent);
    let mut chain: Vec<usize> = Vec::with_capacity(calls.len());
    for (i, c) in calls.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| calls[j].answered <= c.sent)
            .map(|j| chain[j])
            .max()
            .unwrap_or(0);
        chain.push(before + 1);
    }
    chain.into_iter().max().unwrap_or(0)
}

impl FaultStats {
    fn count(&self, what: String) {
        *self.by_kind.lock().unwrap().entry(what).or_default() += 1;
    }

    /// Injected faults by kind and service, e.g. `ErrorAfter(Throttled) DynamoDB/PutItem`.
    pub fn injected(&self) -> BTreeMap<String, u64> {
        self.by_kind.lock().unwrap().clone()
    }

    /// The calls logged since the last take, in the order they were sent.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    pub fn total_injected(&self) -> u64 {
        self.by_kind.lock().unwrap().values().sum()
    }

    /// One line for the test output.
    pub fn summary(&self) -> String {
        let mut by_fault: BTreeMap<String, u64> = BTreeMap::new();
        for (k, v) in self.injected() {
            let fault = k.split(' ').next().unwrap_or_default().to_owned();
            *by_fault.entry(fault).or_default() += v;
        }
        format!(
            "{} requests, {} faults injected: {:?}",
            self.requests.load(Ordering::SeqCst),
            self.total_injected(),
            by_fault
        )
    }
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    pub endpoint: String,
    pub stats: Arc<FaultStats>,
    /// While false, every request is forwarded untouched (a test's set-up).
    pub active: Arc<std::sync::atomic::AtomicBool>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (moto's endpoint URL) on a free loopback
    /// port, on a thread of its own (so it outlives any one test's runtime).
    pub fn start(upstream: &str, plan: FaultPlan) -> FaultProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let stats = Arc::new(FaultStats::default());
        let active = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let upstream: hyper::Uri = upstream.parse().unwrap();
        let shared = Arc::new(Shared {
            plan,
            active: active.clone(),
            stats: stats.clone(),
            upstream,
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            seq: AtomicU64::new(0),
        });
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let shared = shared.clone();
                        tokio::spawn(async move {
                            let (reset_tx, mut reset_rx) = tokio::sync::mpsc::channel::<()>(1);
                            let service = hyper::service::service_fn(move |req| {
                                let shared = shared.clone();
                                let reset = reset_tx.clone();
                                async move { shared.handle(req, reset).await }
                            });
                            let conn = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service);
                            // A reset drops the connection (and its socket) mid-request.
                            tokio::select! {
                                _ = conn => {}
                                _ = reset_rx.recv() => {}
                            }
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
        });
        FaultProxy {
            endpoint,
            stats,
            active,
            stop: Some(stop),
        }
    }
}

struct Shared {
    plan: FaultPlan,
    active: Arc<std::sync::atomic::AtomicBool>,
    stats: Arc<FaultStats>,
    upstream: hyper::Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    seq: AtomicU64,
}

impl Shared {
    async fn handle(
        &self,
        req: Request<Incoming>,
        reset: tokio::sync::mpsc::Sender<()>,
    ) -> Result<Response<Full<Bytes>>, std::io::Error> {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        self.stats.requests.fetch_add(1, Ordering::SeqCst);
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let ses = req.uri().path().starts_with("/v2/email/");
        let service = if target.starts_with("DynamoDB") {
            Service::DynamoDb
        } else if target.starts_with("TrentService") {
            Service::Kms
        } else if ses {
            Service::Ses
        } else {
            Service::Other
        };
        let op = match service {
            Service::Ses if req.uri().path() == "/v2/email/outbound-emails" => {
                "SendEmail".to_owned()
            }
            Service::Ses => req
                .uri()
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
            _ => target.rsplit('.').next().unwrap_or_default().to_owned(),
        };
        let logged_as = match service {
            Service::DynamoDb => format!("DynamoDB/{op}"),
            Service::Kms => format!("KMS/{op}"),
            Service::Ses => format!("SES/{op}"),
            Service::Other => format!("S3/{}", req.method()),
        };
        let sent = std::time::Instant::now();
        let fault = match service {
            Service::Other => None,
            _ if !self.active.load(Ordering::SeqCst) => None,
            _ => self.plan.decide(n, service, &op),
        };
        if let Some(f) = fault {
            let svc = match service {
                Service::Kms => "KMS",
                Service::Ses => "SES",
                _ => "DynamoDB",
            };
            self.stats.count(format!("{f:?} {svc}/{op}"));
        }
        match fault {
            Some(Fault::ErrorBefore(kind)) => return Ok(error_response(service, kind)),
            Some(Fault::ResetBefore) => return reset_now(reset).await,
            Some(Fault::Latency) => {
                let ms = 50 + (n * 7919) % 400;
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            _ => {}
        }
        let forwarded = self.forward(req).await;
        self.stats.calls.lock().unwrap().push(Call {
            op: logged_as,
            sent,
            answered: std::time::Instant::now(),
        });
        match fault {
            Some(Fault::ErrorAfter(kind)) => Ok(error_response(service, kind)),
            Some(Fault::ResetAfter) => reset_now(reset).await,
            _ => forwarded,
        }
    }

    async fn forward(
        &self,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, std::io::Error> {
        let (mut parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        parts.uri = format!("http://{}{}", self.upstream.authority().unwrap(), path)
            .parse()
            .unwrap();
        let resp = self
            .client
            .request(Request::from_parts(parts, Full::new(body)))
            .await
            .map_err(std::io::Error::other)?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        Ok(Response::from_parts(parts, Full::new(body)))
    }
}

async fn reset_now(
    reset: tokio::sync::mpsc::Sender<()>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let _ = reset.send(()).await;
    // The connection task drops the socket; this answer is never written.
    std::future::pending::<()>().await;
    unreachable!()
}

/// An AWS JSON-protocol error as the service would send it.
fn error_response(service: Service, kind: ErrorKind) -> Response<Full<Bytes>> {
    if service == Service::Ses {
        // REST-JSON: the error's name in a header, the status saying what kind it is.
        let (status, name) = match kind {
            ErrorKind::Internal => (500, "InternalFailure"),
            _ => (429, "TooManyRequestsException"),
        };
        return Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", name)
            .header("x-amzn-requestid", "injected")
            .body(Full::new(Bytes::from(r#"{"message":"injected fault"}"#)))
            .unwrap();
    }
    let (content_type, namespace) = match service {
        Service::Kms => ("application/x-amz-json-1.1", "com.amazonaws.kms"),
        _ => (
            "application/x-amz-json-1.0",
            "com.amazonaws.dynamodb.v20120810",
        ),
    };
    let (status, name) = match (service, kind) {
        (Service::Kms, ErrorKind::Internal) => (500, "KMSInternalException"),
        (Service::Kms, _) => (400, "ThrottlingException"),
        (_, ErrorKind::Throttled) => (400, "ThrottlingException"),
        (_, ErrorKind::ThroughputExceeded) => (400, "ProvisionedThroughputExceededException"),
        (_, ErrorKind::Internal) => (500, "InternalServerError"),
    };
    let body = format!(r#"{{"__type":"{namespace}#{name}","message":"injected fault"}}"#);
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-errortype", name)
        .header("x-amzn-requestid", "injected")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

//! Lambda's runtime API for one function's process: the process asks for the next event and
//! posts its answer; the gateway reads the whole answer before it hands it on, and runs the
//! process again when it exits, as Lambda starts a new sandbox.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::http::{Method, Request, Response, StatusCode};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc, oneshot};

/// How one invocation ended.
pub enum Outcome {
    /// The function's answer, read to its end.
    Answer(Bytes),
    /// The function reported an error, or its process ended before it answered.
    Failed,
}

struct Invocation {
    id: String,
    event: Bytes,
    deadline: Duration,
    reply: oneshot::Sender<Outcome>,
}

/// One function: its queue of events and the invocations its process holds.
pub struct Function {
    name: String,
    queue: mpsc::UnboundedSender<Invocation>,
    next: Mutex<mpsc::UnboundedReceiver<Invocation>>,
    in_flight: std::sync::Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
}

impl Function {
    pub fn new(name: &str) -> Arc<Function> {
        let (queue, next) = mpsc::unbounded_channel();
        Arc::new(Function {
            name: name.to_owned(),
            queue,
            next: Mutex::new(next),
            in_flight: Default::default(),
        })
    }

    /// Hands `event` to the function's process and waits for its answer, `None` after
    /// `timeout` (the invocation is then abandoned, as Lambda ends a timed-out one).
    pub async fn invoke(&self, id: &str, event: Bytes, timeout: Duration) -> Option<Outcome> {
        let (reply, answer) = oneshot::channel();
        let deadline = since_epoch() + timeout;
        self.queue
            .send(Invocation {
                id: id.to_owned(),
                event,
                deadline,
                reply,
            })
            .ok()?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(outcome)) => Some(outcome),
            Ok(Err(_)) => Some(Outcome::Failed),
            Err(_) => {
                self.in_flight.lock().unwrap().remove(id);
                None
            }
        }
    }

    /// Serves the runtime API on a port of its own; returns its address.
    pub async fn serve_runtime_api(self: &Arc<Self>) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let function = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let function = function.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let function = function.clone();
                        async move { Ok::<_, Infallible>(function.runtime(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(addr)
    }

    async fn runtime(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method(), parts.as_slice()) {
            (&Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => self.next().await,
            (&Method::POST, ["2018-06-01", "runtime", "invocation", id, kind]) => {
                let id = (*id).to_owned();
                let failed = *kind == "error";
                // The whole answer is read before anyone is told of it.
                let Ok(body) = req.into_body().collect().await.map(|b| b.to_bytes()) else {
                    return status(StatusCode::BAD_REQUEST);
                };
                let reply = self.in_flight.lock().unwrap().remove(&id);
                if let Some(reply) = reply {
                    let _ = reply.send(if failed {
                        eprintln!(
                            "gateway: {} reported an error: {}",
                            self.name,
                            String::from_utf8_lossy(&body)
                        );
                        Outcome::Failed
                    } else {
                        Outcome::Answer(body)
                    });
                }
                status(StatusCode::ACCEPTED)
            }
            (&Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
                eprintln!("gateway: {} failed to start", self.name);
                status(StatusCode::ACCEPTED)
            }
            _ => status(StatusCode::NOT_FOUND),
        }
    }

    /// The next event whose caller still waits.
    async fn next(&self) -> Response<Full<Bytes>> {
        let mut queue = self.next.lock().await;
        loop {
            let Some(invocation) = queue.recv().await else {
                return status(StatusCode::GONE);
            };
            if invocation.reply.is_closed() {
                continue;
            }
            self.in_flight
                .lock()
                .unwrap()
                .insert(invocation.id.clone(), invocation.reply);
            return Response::builder()
                .header("lambda-runtime-aws-request-id", &invocation.id)
                .header(
                    "lambda-runtime-deadline-ms",
                    invocation.deadline.as_millis().to_string(),
                )
                .header(
                    "lambda-runtime-invoked-function-arn",
                    format!(
                        "arn:aws:lambda:ap-northeast-1:000000000000:function:{}",
                        self.name
                    ),
                )
                .header("content-type", "application/json")
                .body(Full::new(invocation.event))
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR));
        }
    }

    /// Runs the function's binary against `runtime_api` for as long as the gateway runs,
    /// again when it exits; an invocation it held fails.
    pub async fn supervise(
        self: Arc<Self>,
        binary: PathBuf,
        runtime_api: SocketAddr,
        env: Vec<(String, String)>,
        log: Option<PathBuf>,
    ) {
        loop {
            let mut command = tokio::process::Command::new(&binary);
            if let Some(path) = &log {
                match std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                {
                    Ok(file) => {
                        if let Ok(copy) = file.try_clone() {
                            command.stderr(copy);
                        }
                        command.stdout(file);
                    }
                    Err(e) => eprintln!("gateway: {}: {e}", path.display()),
                }
            }
            let child = command
                .envs(env.iter().map(|(k, v)| (k, v)))
                .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
                .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env(
                    "AWS_LAMBDA_LOG_GROUP_NAME",
                    format!("/aws/lambda/{}", self.name),
                )
                .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
                .kill_on_drop(true)
                .spawn();
            match child {
                Ok(mut child) => {
                    let status = child.wait().await;
                    eprintln!(
                        "gateway: {} exited ({status:?}); starting it again",
                        self.name
                    );
                }
                Err(e) => eprintln!("gateway: {} did not start: {e}", self.name),
            }
            let held: Vec<_> = self.in_flight.lock().unwrap().drain().collect();
            for (_, reply) in held {
                let _ = reply.send(Outcome::Failed);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}

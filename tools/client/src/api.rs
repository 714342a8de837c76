//! The vault's API over HTTPS (or plain HTTP to `make dev`): `POST /v1/imports` only.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// API Gateway gives up on a request after 30 seconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(45);

/// How the caller proves who it is.
pub enum Auth {
    /// A JWT from the tenant's identity provider (`MYNUMBER_TOKEN`).
    Bearer(Zeroizing<String>),
    /// `make dev` only: the development headers of SPEC §5, as a registrar.
    Dev { sub: String, tenant: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the API could not be reached: {0}")]
    Transport(String),
    #[error("the API answered {status} {code}{detail}")]
    Status {
        status: u16,
        code: String,
        detail: String,
    },
    #[error("the API's answer could not be read")]
    Reply,
}

impl ApiError {
    /// Worth sending again: the network, throttling or the service, never the request.
    pub fn retryable(&self) -> bool {
        match self {
            ApiError::Transport(_) => true,
            ApiError::Status { status, .. } => *status == 429 || *status >= 500,
            ApiError::Reply => false,
        }
    }
}

/// A rule a row broke, as the API names it: never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRule {
    pub field: String,
    pub rule: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowReply {
    pub row: u32,
    pub status: String,
    #[serde(default)]
    pub errors: Vec<FieldRule>,
    #[serde(default)]
    pub duplicate_of: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImportReply {
    pub created: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub rows: Vec<RowReply>,
}

#[derive(Deserialize)]
struct Problem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    errors: Vec<FieldRule>,
}

/// Whether `base` may carry tokens and numbers: `https://` anywhere, `http://` only to this
/// machine (a local stack), as the console allows.
pub fn check_base(base: &str) -> Result<(), String> {
    let uri: hyper::Uri = base
        .parse()
        .map_err(|_| format!("--api is not a URL: {base}"))?;
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback => Ok(()),
        Some("http") => Err(format!(
            "--api must be https:// (plain http only to this machine): {base}"
        )),
        _ => Err(format!("--api must be an https:// URL: {base}")),
    }
}

pub struct Api {
    base: String,
    auth: Auth,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Api {
    pub fn new(base: &str, auth: Auth) -> Api {
        let provider = || Arc::new(rustls::crypto::ring::default_provider());
        // The system's trust roots; without any, HTTPS fails at its handshake with a clear
        // error, and plain HTTP to a local stack still works.
        let builder = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider())
            .unwrap_or_else(|_| {
                let config = rustls::ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()
                    .expect("ring supports TLS 1.2 and 1.3")
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                HttpsConnectorBuilder::new().with_tls_config(config)
            });
        let connector = builder.https_or_http().enable_http1().build();
        Api {
            base: base.trim_end_matches('/').to_owned(),
            auth,
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// One request of at most 1,000 rows; `dry_run` validates and writes nothing.
    pub async fn import(&self, csv: &[u8], dry_run: bool) -> Result<ImportReply, ApiError> {
        let query = if dry_run { "?dry_run=true" } else { "" };
        let mut req = hyper::Request::post(format!("{}/v1/imports{query}", self.base))
            .header(CONTENT_TYPE, "text/csv; charset=utf-8");
        req = match &self.auth {
            Auth::Bearer(token) => req.header(AUTHORIZATION, format!("Bearer {}", token.as_str())),
            Auth::Dev { sub, tenant } => req
                .header("x-dev-sub", sub)
                .header("x-dev-tenant", tenant)
                .header("x-dev-roles", "registrar"),
        };
        let req = req
            .body(Full::new(Bytes::copy_from_slice(csv)))
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        let exchange = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| ApiError::Transport(e.to_string()))?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| ApiError::Transport(e.to_string()))?
                .to_bytes();
            Ok::<_, ApiError>((status, body))
        };
        let (status, body) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| ApiError::Transport("no answer within 45 s".into()))??;
        if status == 200 {
            return serde_json::from_slice(&body).map_err(|_| ApiError::Reply);
        }
        // A problem (RFC 9457) names its code and each field's rule, never a value.
        let problem: Option<Problem> = serde_json::from_slice(&body).ok();
        let (code, detail) = match problem {
            Some(p) => {
                let fields: Vec<String> = p
                    .errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.rule))
                    .collect();
                let detail = if fields.is_empty() {
                    String::new()
                } else {
                    format!(": {}", fields.join(", "))
                };
                (p.code, detail)
            }
            None => (String::new(), String::new()),
        };
        Err(ApiError::Status {
            status,
            code,
            detail,
        })
    }
}

#[cfg(test)]
mod base_tests {
    use super::check_base;

    #[test]
    fn numbers_travel_over_plain_http_only_to_this_machine() {
        for ok in [
            "https://vault.example.jp",
            "https://vault.example.jp/prod/",
            "http://127.0.0.1:9000",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            assert!(check_base(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://vault.example.jp",
            "http://10.0.0.5:9000",
            "ftp://vault.example.jp",
            "vault.example.jp",
            "http://127.0.0.1.example.jp",
        ] {
            assert!(check_base(bad).is_err(), "{bad}");
        }
    }
}

//! Reading the issuer's JWKS over HTTPS.

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// Where the keys come from: HTTPS in a function; anything in a unit test.
#[async_trait]
pub trait JwksSource: Send + Sync {
    /// The JWKS document's bytes, or why it could not be read.
    async fn fetch(&self) -> Result<Vec<u8>, String>;
}

/// A JWKS document is a few KB; anything far larger is not one.
const MAX_JWKS_BYTES: usize = 256 * 1024;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

pub struct HttpJwks {
    url: hyper::Uri,
    /// Built on the first fetch, not at init: loading the system's trust roots reads a
    /// directory of certificate files (make bench, init times).
    client: std::sync::OnceLock<Result<HttpsClient, String>>,
}

impl HttpJwks {
    pub fn new(url: &str) -> Result<Self, String> {
        let url: hyper::Uri = url
            .parse()
            .map_err(|_| "JWKS_URL is not a URL".to_owned())?;
        Ok(HttpJwks {
            url,
            client: std::sync::OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&HttpsClient, String> {
        self.client
            .get_or_init(|| {
                // ring, named rather than left to rustls's process-wide default.
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
                    .map_err(|e| format!("no TLS roots: {e}"))?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Ok(Client::builder(TokioExecutor::new()).build(https))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

#[async_trait]
impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<Vec<u8>, String> {
        let get = async {
            let resp = self
                .client()?
                .get(self.url.clone())
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            if !resp.status().is_success() {
                return Err(format!("status {}", resp.status()));
            }
            let body = Limited::new(resp.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?;
            Ok(body.to_bytes().to_vec())
        };
        tokio::time::timeout(Duration::from_secs(3), get)
            .await
            .map_err(|_| "timed out".to_owned())?
    }
}

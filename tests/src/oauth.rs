//! A sign-in provider as the console meets it in AWS (the Cognito hosted UI): an
//! authorization endpoint that signs one principal in at once and redirects back with a
//! code, and a token endpoint that hands out the test IdP's ID token only for that code,
//! that redirect URI and the PKCE verifier whose S256 challenge came with the code.

use crate::events::Who;
use crate::jwt;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "console-client";

struct Grant {
    challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct State {
    grants: HashMap<String, Grant>,
    /// Whether the next ID token handed out is already expired.
    expire_next: bool,
    /// Every token request and whether it was granted.
    exchanges: Vec<bool>,
}

/// The provider, on a free loopback port; it signs `who` in.
#[derive(Clone)]
pub struct Provider {
    pub origin: String,
    who: Who,
    state: Arc<Mutex<State>>,
}

impl Provider {
    pub async fn start(who: Who) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let provider = Provider {
            origin,
            who,
            state: Arc::default(),
        };
        let served = provider.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let p = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |r| {
                        let p = p.clone();
                        async move { Ok::<_, std::io::Error>(p.answer(r).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        provider
    }

    pub fn authorize_url(&self) -> String {
        format!("{}/oauth2/authorize", self.origin)
    }

    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.origin)
    }

    /// The next ID token will have expired an hour ago (as after a lunch break).
    pub fn expire_next_token(&self) {
        self.state.lock().unwrap().expire_next = true;
    }

    /// Each token request so far: granted or refused.
    pub fn exchanges(&self) -> Vec<bool> {
        self.state.lock().unwrap().exchanges.clone()
    }

    async fn answer(&self, r: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = r.into_parts();
        let origin = parts
            .headers
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        match (parts.method.as_str(), parts.uri.path()) {
            ("GET", "/oauth2/authorize") => self.authorize(parts.uri.query().unwrap_or("")),
            ("POST", "/oauth2/token") => self.token(&body, &origin),
            _ => respond(404, "", "text/plain", "not found"),
        }
    }

    fn authorize(&self, query: &str) -> Response<Full<Bytes>> {
        let q = form(query.as_bytes());
        let ok = q.get("response_type").map(String::as_str) == Some("code")
            && q.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            && q.get("code_challenge_method").map(String::as_str) == Some("S256")
            && q.get("code_challenge").is_some_and(|c| c.len() == 43)
            && q.get("state").is_some_and(|s| !s.is_empty())
            && q.get("scope")
                .is_some_and(|s| s.split(' ').any(|x| x == "openid"));
        let Some(redirect_uri) = q.get("redirect_uri").filter(|_| ok) else {
            return respond(400, "", "text/plain", "invalid authorization request");
        };
        let code = crate::uuid_like();
        self.state.lock().unwrap().grants.insert(
            code.clone(),
            Grant {
                challenge: q["code_challenge"].clone(),
                redirect_uri: redirect_uri.clone(),
            },
        );
        let location = format!(
            "{redirect_uri}?code={code}&state={}",
            form_urlencoded::byte_serialize(q["state"].as_bytes()).collect::<String>()
        );
        Response::builder()
            .status(302)
            .header("location", location)
            .body(Full::new(Bytes::new()))
            .unwrap()
    }

    fn token(&self, body: &[u8], origin: &str) -> Response<Full<Bytes>> {
        let f = form(body);
        let mut state = self.state.lock().unwrap();
        // A code works once, with its own redirect URI and verifier.
        let grant = f.get("code").and_then(|c| state.grants.remove(c));
        let granted = grant.is_some_and(|g| {
            f.get("grant_type").map(String::as_str) == Some("authorization_code")
                && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                && f.get("redirect_uri") == Some(&g.redirect_uri)
                && f.get("code_verifier").is_some_and(|v| {
                    URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == g.challenge
                })
        });
        state.exchanges.push(granted);
        if !granted {
            return respond(
                400,
                origin,
                "application/json",
                r#"{"error":"invalid_grant"}"#,
            );
        }
        let mut claims = jwt::claims_for(&self.who);
        if std::mem::take(&mut state.expire_next) {
            let now = jsonwebtoken::get_current_timestamp();
            claims["iat"] = (now - 7200).into();
            claims["exp"] = (now - 3600).into();
        }
        let body = serde_json::json!({
            "id_token": jwt::sign(&claims),
            "access_token": "not-used-by-the-console",
            "token_type": "Bearer",
            "expires_in": 3600,
        });
        respond(200, origin, "application/json", &body.to_string())
    }
}

/// The token endpoint is called from the console's origin: CORS as Cognito answers it.
fn respond(status: u16, origin: &str, content_type: &str, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store");
    if !origin.is_empty() {
        r = r.header("access-control-allow-origin", origin);
    }
    r.body(Full::new(Bytes::from(body.to_owned()))).unwrap()
}

fn form(bytes: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

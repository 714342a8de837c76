//! Tokens as the IdP would issue them, signed in the test with a key whose JWKS a local
//! HTTP server publishes: the functions verify them exactly as in AWS.

use crate::events::Who;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use mynumber_auth::{HttpJwks, JwtConfig, JwtVerifier};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

pub const ISSUER: &str = "https://cognito-idp.ap-northeast-1.amazonaws.com/test";
pub const AUDIENCE: &str = "mynumber-tests";
pub const KID: &str = "test-key-1";
const KEY: &str = include_str!("../fixtures/jwt-test-key.pem");
/// Another RSA key: a token signed with it under our `kid` is a forgery.
pub const FORGER_KEY: &str = include_str!("../fixtures/jwt-forger-key.pem");
const JWKS: &str = include_str!("../fixtures/jwks.json");

/// The claims the IdP would sign for `who`, valid for ten minutes.
pub fn claims_for(who: &Who) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "sub": who.sub,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "custom:tenant_id": who.tenant,
        "cognito:groups": who.roles,
    })
}

/// `claims` signed with the test key (or `pem`) under `kid`.
pub fn sign_with(pem: &str, kid: &str, claims: &Value) -> String {
    // The functions' provider (ring checks) before any token is made, so that the suite
    // checks signatures as a function does.
    mynumber_auth::ring_jwt::install();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("a test RSA key");
    encode(&header, claims, &key).expect("signs")
}

pub fn sign(claims: &Value) -> String {
    sign_with(KEY, KID, claims)
}

pub fn token_for(who: &Who) -> String {
    sign(&claims_for(who))
}

/// The JWKS URL of a server on 127.0.0.1 that this process starts once.
pub fn jwks_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                // A thread per connection: one client that is slow to send its request
                // (a loaded test process) must not hold up every other stack's fetch.
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    // Read the request head, then answer every request with the JWKS.
                    let mut buf = [0u8; 4096];
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = write!(
                        conn,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                        JWKS.len(),
                        JWKS
                    );
                });
            }
        });
        format!("http://127.0.0.1:{port}/.well-known/jwks.json")
    })
}

/// The verifier the test stacks' functions use: this issuer, audience and JWKS server.
pub fn verifier() -> Arc<JwtVerifier> {
    let config = JwtConfig::from_lookup(|k| {
        match k {
            "JWT_ISSUER" => Some(ISSUER),
            "JWT_AUDIENCE" => Some(AUDIENCE),
            "JWT_TOKEN_USE" => Some("id"),
            "JWKS_URL" => Some(jwks_url()),
            _ => None,
        }
        .map(str::to_owned)
    })
    .expect("valid")
    .expect("configured");
    let source = HttpJwks::new(&config.jwks_url).expect("a JWKS client");
    Arc::new(JwtVerifier::new(config, Arc::new(Patient(source))))
}

/// The functions' HTTP JWKS client, given a few tries: on a loaded 2-core machine one fetch
/// can miss its 3 s, and the verifier then refuses every token for a minute, which would
/// fail whatever test it happened in. One fetch that answers is all the suite needs.
struct Patient(HttpJwks);

#[async_trait::async_trait]
impl mynumber_auth::JwksSource for Patient {
    async fn fetch(&self) -> Result<Vec<u8>, String> {
        let mut last = String::new();
        for _ in 0..5 {
            match self.0.fetch().await {
                Ok(body) => return Ok(body),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// The authenticator of a deployed function, with the test IdP.
pub fn authenticator() -> mynumber_http::Authenticator {
    mynumber_http::Authenticator::new(verifier())
}

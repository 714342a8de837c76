//! The caller's identity, verified inside the function.
//!
//! API Gateway's JWT authorizer verifies the bearer token, but a direct `lambda:Invoke`
//! bypasses it and may carry any claims. So each API function verifies the token itself —
//! the signature against the issuer's JWKS (fetched once, cached, fetched again for an
//! unknown `kid` at most once a minute), `iss`, `aud`, `token_use` and expiry — and takes
//! the principal from the verified token only.

mod config;
mod jwks;
pub mod ring_jwt;

pub use config::{ConfigError, JwtConfig};
pub use jwks::{HttpJwks, JwksSource};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mynumber_domain::{Principal, Role, Subject, TenantId};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Why a token was refused. Never carries any part of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token's key is not in the issuer's JWKS")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired or is not yet valid")]
    Expired,
    #[error("the token's issuer is not the configured one")]
    Issuer,
    #[error("the token's audience is not the configured one")]
    Audience,
    #[error("the token's token_use is not the configured one")]
    TokenUse,
    #[error("the token lacks a valid subject or tenant")]
    Claims,
    #[error("the authorizer's claims and the token disagree")]
    Mismatch,
    #[error("the issuer's JWKS could not be read: {0}")]
    Jwks(String),
}

impl AuthError {
    /// A stable code for logs and audit.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed",
            AuthError::Algorithm => "algorithm",
            AuthError::UnknownKey => "unknown_key",
            AuthError::Signature => "signature",
            AuthError::Expired => "expired",
            AuthError::Issuer => "issuer",
            AuthError::Audience => "audience",
            AuthError::TokenUse => "token_use",
            AuthError::Claims => "claims",
            AuthError::Mismatch => "claims_mismatch",
            AuthError::Jwks(_) => "jwks",
        }
    }
}

/// Asymmetric algorithms only: an HMAC "signature" made with the public key as secret
/// must never verify.
const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// A new `kid` may trigger a JWKS fetch at most this often (a flood of tokens with
/// made-up `kid`s must not become a flood of fetches).
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// A verified token: the principal, and the claims as signed (for comparison with what
/// an authorizer passed).
#[derive(Debug, Clone)]
pub struct Verified {
    pub principal: Principal,
    claims: Map<String, Value>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

pub struct JwtVerifier {
    config: JwtConfig,
    source: Arc<dyn JwksSource>,
    cache: Mutex<Cache>,
}

impl JwtVerifier {
    pub fn new(config: JwtConfig, source: Arc<dyn JwksSource>) -> Self {
        ring_jwt::install();
        JwtVerifier {
            config,
            source,
            cache: Mutex::new(Cache::default()),
        }
    }

    pub fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// Verifies `token` (the part after `Bearer `) and reads the principal from it.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(AuthError::Algorithm);
        }
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                match e.kind() {
                    K::InvalidSignature => AuthError::Signature,
                    K::ExpiredSignature | K::ImmatureSignature => AuthError::Expired,
                    K::InvalidIssuer => AuthError::Issuer,
                    K::InvalidAudience => AuthError::Audience,
                    K::InvalidAlgorithm => AuthError::Algorithm,
                    K::MissingRequiredClaim(c) if c == "aud" => AuthError::Audience,
                    K::MissingRequiredClaim(c) if c == "iss" => AuthError::Issuer,
                    _ => AuthError::Malformed,
                }
            })?;
        let claims = data.claims;
        if let Some(want) = &self.config.token_use
            && claims.get("token_use").and_then(Value::as_str) != Some(want.as_str())
        {
            return Err(AuthError::TokenUse);
        }
        let principal = self.principal(&claims).ok_or(AuthError::Claims)?;
        Ok(Verified { principal, claims })
    }

    /// The decoding key for `kid`, from the cache or a fresh fetch of the JWKS.
    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let mut cache = self.cache.lock().await;
        if let Some(k) = cache.keys.get(kid) {
            return Ok(k.clone());
        }
        let may_fetch = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= REFETCH_AFTER);
        if !may_fetch {
            return Err(AuthError::UnknownKey);
        }
        let body = self.source.fetch().await.map_err(AuthError::Jwks)?;
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|_| AuthError::Jwks("not a JWK set".into()))?;
        cache.keys = set
            .keys
            .iter()
            .filter_map(|jwk: &Jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|k| (kid, k))
            })
            .collect();
        cache.fetched_at = Some(Instant::now());
        tracing::info!(keys = cache.keys.len(), "fetched the issuer's JWKS");
        cache.keys.get(kid).cloned().ok_or(AuthError::UnknownKey)
    }

    fn principal(&self, claims: &Map<String, Value>) -> Option<Principal> {
        let sub = Subject::parse(claims.get("sub")?.as_str()?).ok()?;
        let tenant = TenantId::parse(claims.get(&self.config.tenant_claim)?.as_str()?).ok()?;
        let roles = roles_from(
            claims.get(&self.config.role_claim),
            &self.config.role_prefix,
        );
        Some(Principal { sub, tenant, roles })
    }

    /// Whether the claims an authorizer passed (API Gateway flattens each claim to a
    /// string; arrays become `[a b]`) say what the verified token says. A direct invoke
    /// with a real token but forged authorizer claims is refused, not half-believed.
    pub fn agrees(&self, verified: &Verified, authorizer: &HashMap<String, String>) -> bool {
        let same_string = |name: &str| match (authorizer.get(name), verified.claims.get(name)) {
            (None, _) => true,
            (Some(a), Some(Value::String(v))) => a == v,
            (Some(_), _) => false,
        };
        let tokens = |s: &str| -> Vec<String> {
            let mut t: Vec<String> = s
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '"'))
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            t.sort();
            t
        };
        let roles_agree = match authorizer.get(&self.config.role_claim) {
            None => true,
            Some(a) => {
                let signed = match verified.claims.get(&self.config.role_claim) {
                    Some(Value::Array(vs)) => vs
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                };
                tokens(a) == tokens(&signed)
            }
        };
        same_string("sub")
            && same_string("iss")
            && same_string(&self.config.tenant_claim)
            && roles_agree
    }
}

/// Roles from a group claim: each value must be exactly `{prefix}{role}` — a group named
/// `former handler` or `handlers` grants nothing. A JSON array of strings, as signed in
/// the token; a single string counts as one value (never split).
pub fn roles_from(claim: Option<&Value>, prefix: &str) -> BTreeSet<Role> {
    let values: Vec<&str> = match claim {
        Some(Value::Array(vs)) => vs.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    };
    values
        .into_iter()
        .filter_map(|v| v.strip_prefix(prefix))
        .filter_map(Role::parse)
        .collect()
}

#[cfg(test)]
mod tests;

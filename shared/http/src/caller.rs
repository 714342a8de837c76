//! The principal behind a request.
//!
//! In AWS the API Gateway JWT authorizer verifies the bearer token and passes its claims
//! in `requestContext.authorizer.jwt.claims`. Those claims are not trusted on their own: a
//! direct invoke of the function may carry any. The function verifies the bearer token
//! itself (`mynumber_auth`), takes the principal from the verified token, and refuses a
//! request whose authorizer claims disagree with it.
//!
//! Locally there is no authorizer and no IdP. Only in a build with the `dev-auth` feature
//! (`make dev` and the tests; never `make build`), only when `MYNUMBER_DEV_AUTH=1`, and
//! only for a request without an authorizer context are the development headers
//! (`x-dev-sub`, `x-dev-tenant`, `x-dev-roles`) read instead.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use mynumber_auth::{AuthError, ConfigError, HttpJwks, JwtConfig, JwtVerifier};
use mynumber_domain::{Caller, Principal, RequestId};
use std::collections::HashMap;
use std::sync::Arc;

/// Why the functions could not set up authentication at init.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("JWT_ISSUER is not set")]
    NoIssuer,
    #[error("the JWKS client could not be built: {0}")]
    Client(String),
}

/// Decides who is calling.
pub struct Authenticator {
    jwt: Option<Arc<JwtVerifier>>,
    #[cfg(feature = "dev-auth")]
    dev_headers: bool,
}

impl Authenticator {
    /// Bearer tokens verified by `verifier`; nothing else is believed.
    pub fn new(verifier: Arc<JwtVerifier>) -> Self {
        Authenticator {
            jwt: Some(verifier),
            #[cfg(feature = "dev-auth")]
            dev_headers: false,
        }
    }

    /// From the function's environment: `JWT_ISSUER` and the rest of `JwtConfig` are
    /// required, except in a `dev-auth` build with `MYNUMBER_DEV_AUTH=1`.
    pub fn from_env() -> Result<Self, AuthSetupError> {
        let jwt = match JwtConfig::from_env()? {
            Some(config) => {
                let source = HttpJwks::new(&config.jwks_url).map_err(AuthSetupError::Client)?;
                Some(Arc::new(JwtVerifier::new(config, Arc::new(source))))
            }
            None => None,
        };
        #[cfg(feature = "dev-auth")]
        {
            let dev_headers = std::env::var("MYNUMBER_DEV_AUTH").as_deref() == Ok("1");
            if dev_headers {
                tracing::warn!("development auth: x-dev-* headers are trusted");
                return Ok(Authenticator { jwt, dev_headers });
            }
        }
        let jwt = jwt.ok_or(AuthSetupError::NoIssuer)?;
        Ok(Self::new(jwt))
    }

    /// Development headers too, for requests without an authorizer context (tests).
    #[cfg(feature = "dev-auth")]
    pub fn with_dev_headers(mut self) -> Self {
        self.dev_headers = true;
        self
    }

    pub async fn caller(&self, req: &Request) -> Caller {
        let ctx = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
            _ => None,
        };
        let Caller {
            request_id,
            source_ip,
            ..
        } = anonymous_caller(req);
        let authorizer = ctx
            .and_then(|c| c.authorizer.as_ref())
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims);
        let principal = match self.principal(req, authorizer).await {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(reason = e.code(), "request not authenticated");
                None
            }
        };
        Caller {
            principal,
            request_id,
            source_ip,
        }
    }

    async fn principal(
        &self,
        req: &Request,
        authorizer: Option<&HashMap<String, String>>,
    ) -> Result<Principal, AuthError> {
        #[cfg(feature = "dev-auth")]
        if self.dev_headers && authorizer.is_none() {
            return dev::principal(req).ok_or(AuthError::Claims);
        }
        let verifier = self.jwt.as_ref().ok_or(AuthError::Missing)?;
        let token = bearer(req).ok_or(AuthError::Missing)?;
        let verified = verifier.verify(token).await?;
        if let Some(claims) = authorizer
            && !verifier.agrees(&verified, claims)
        {
            return Err(AuthError::Mismatch);
        }
        Ok(verified.principal)
    }
}

/// The token of an `Authorization: Bearer …` header.
/// Where a request came from, with no principal: for routes whose credential is not a
/// JWT (the employee's collection link).
pub fn anonymous_caller(req: &Request) -> Caller {
    let ctx = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
        _ => None,
    };
    let request_id = ctx
        .and_then(|c| c.request_id.as_deref())
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.as_str()))
        .and_then(|id| RequestId::parse(id).ok());
    let source_ip = ctx
        .and_then(|c| c.http.source_ip.as_deref())
        .and_then(|ip| ip.parse().ok());
    Caller {
        principal: None,
        request_id,
        source_ip,
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(feature = "dev-auth")]
mod dev {
    use super::*;
    use mynumber_domain::{Role, Subject, TenantId};

    /// The principal named by the development headers; roles comma-separated.
    pub fn principal(req: &Request) -> Option<Principal> {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let sub = Subject::parse(header("x-dev-sub")?).ok()?;
        let tenant = TenantId::parse(header("x-dev-tenant")?).ok()?;
        let roles = header("x-dev-roles")
            .unwrap_or_default()
            .split(',')
            .filter_map(|r| Role::parse(r.trim()))
            .collect();
        Some(Principal { sub, tenant, roles })
    }
}

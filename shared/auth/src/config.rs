//! Which tokens to accept, from the function's environment.

/// The configuration of token verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfig {
    /// `JWT_ISSUER`: the exact `iss` (for Cognito `https://cognito-idp.{region}.amazonaws.com/{pool}`).
    pub issuer: String,
    /// `JWT_AUDIENCE`: the exact `aud` (for Cognito ID tokens, the app client id).
    pub audience: String,
    /// `JWKS_URL`: where the issuer publishes its keys; `{issuer}/.well-known/jwks.json`
    /// when unset or empty.
    pub jwks_url: String,
    /// `JWT_TOKEN_USE`: the `token_use` a token must carry (`id` for Cognito); not
    /// checked when unset or empty (other IdPs have no such claim).
    pub token_use: Option<String>,
    /// `TENANT_CLAIM`: the claim naming the tenant (default `custom:tenant_id`).
    pub tenant_claim: String,
    /// `ROLE_CLAIM`: the claim listing the groups (default `cognito:groups`).
    pub role_claim: String,
    /// `ROLE_PREFIX`: a group grants role `r` only when it is exactly `{prefix}r`
    /// (default empty; e.g. `mynumber:` for an external IdP, so `mynumber:handler`).
    pub role_prefix: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{0} must be an https URL (http only for a loopback address)")]
    NotHttps(&'static str),
}

impl JwtConfig {
    /// `None` when `JWT_ISSUER` is unset or empty.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let Some(issuer) = get("JWT_ISSUER") else {
            return Ok(None);
        };
        let audience = get("JWT_AUDIENCE").ok_or(ConfigError::Missing("JWT_AUDIENCE"))?;
        let jwks_url = get("JWKS_URL")
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        if !secure_url(&jwks_url) {
            return Err(ConfigError::NotHttps("JWKS_URL"));
        }
        Ok(Some(JwtConfig {
            issuer,
            audience,
            jwks_url,
            token_use: get("JWT_TOKEN_USE"),
            tenant_claim: get("TENANT_CLAIM").unwrap_or_else(|| "custom:tenant_id".into()),
            role_claim: get("ROLE_CLAIM").unwrap_or_else(|| "cognito:groups".into()),
            role_prefix: get("ROLE_PREFIX").unwrap_or_default(),
        }))
    }

    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

fn secure_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
    ]
    .iter()
    .any(|p| url.starts_with(p))
}

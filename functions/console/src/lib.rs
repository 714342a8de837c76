//! The console function: the HR console of SPEC §4c on the API's own origin. It serves
//! the console's static files (`GET /console`, `GET /console/{asset}`), the sign-in
//! settings the page needs (`GET /console/config.json`). It holds no data, no key and no
//! AWS client: every page calls the API, which enforces every rule; this function's role
//! may only write its own logs. (A link's QR code comes with the link, from the review
//! function, so the token is never sent here.)

use lambda_http::{Body, Request, Response};
use mynumber_domain::VaultError;
use mynumber_http::assets::{self, Asset, asset_response};
use mynumber_http::{ApiError, Route, anonymous_caller, json_response, problem, route_request};
use serde_json::json;

// `PAGES`: every file of web/console/ (but dev.js) and web/shared/, listed by its build script (web/embed.rs).
include!(concat!(env!("OUT_DIR"), "/pages.rs"));

/// The development principal picker: it sets the x-dev-* headers, so it exists only in
/// `dev-auth` builds (scripts/check-binaries.sh proves a release build lacks it); web/embed.rs
/// leaves it out of `PAGES`. Its imports (labels.js, dom.js) are in `PAGES`.
#[cfg(feature = "dev-auth")]
const DEV_PICKER: Asset = Asset::script("dev.js", include_str!("../../../web/console/dev.js"));

/// How the console signs its user in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `make dev`: the principal picker and the development headers.
    #[cfg(feature = "dev-auth")]
    Development,
    /// Authorization code with PKCE at an OAuth 2.0 / OIDC provider (the Cognito hosted UI
    /// of the stack's user pool, or the configured issuer).
    SignIn(SignIn),
    /// Nothing configured: the page says so.
    Unconfigured,
}

/// The public settings of the OAuth client the page uses (a public client: no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub authorize_url: String,
    pub token_url: String,
    pub logout_url: Option<String>,
    pub client_id: String,
    pub tenant_claim: String,
    pub role_claim: String,
    pub role_prefix: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    /// The documents bucket's origin: the review page shows photos from presigned URLs.
    pub storage_origin: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{0} must be an https URL (http only on loopback) without spaces or quotes")]
    BadUrl(&'static str),
    #[error("OAUTH_AUTHORIZE_URL, OAUTH_TOKEN_URL and OAUTH_CLIENT_ID go together; {0} is missing")]
    Incomplete(&'static str),
}

impl Settings {
    pub fn from_env() -> Result<Settings, SettingsError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// From variables named as in `infra/template.yaml`; empty counts as unset.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let storage_origin = match get("STORAGE_ORIGIN") {
            Some(v) => Some(origin_of(&v).ok_or(SettingsError::BadUrl("STORAGE_ORIGIN"))?),
            None => None,
        };
        #[cfg(feature = "dev-auth")]
        if get("MYNUMBER_DEV_AUTH").as_deref() == Some("1") {
            return Ok(Settings {
                mode: Mode::Development,
                storage_origin,
            });
        }
        let authorize = get("OAUTH_AUTHORIZE_URL");
        let token = get("OAUTH_TOKEN_URL");
        let client_id = get("OAUTH_CLIENT_ID");
        if authorize.is_none() && token.is_none() {
            return Ok(Settings {
                mode: Mode::Unconfigured,
                storage_origin,
            });
        }
        let url = |value: Option<String>, name: &'static str| {
            let v = value.ok_or(SettingsError::Incomplete(name))?;
            origin_of(&v).ok_or(SettingsError::BadUrl(name))?;
            Ok::<_, SettingsError>(v)
        };
        let sign_in = SignIn {
            authorize_url: url(authorize, "OAUTH_AUTHORIZE_URL")?,
            token_url: url(token, "OAUTH_TOKEN_URL")?,
            logout_url: match get("OAUTH_LOGOUT_URL") {
                Some(v) => Some(url(Some(v), "OAUTH_LOGOUT_URL")?),
                None => None,
            },
            client_id: client_id.ok_or(SettingsError::Incomplete("OAUTH_CLIENT_ID"))?,
            tenant_claim: get("TENANT_CLAIM").unwrap_or_else(|| "custom:tenant_id".into()),
            role_claim: get("ROLE_CLAIM").unwrap_or_else(|| "cognito:groups".into()),
            role_prefix: get("ROLE_PREFIX").unwrap_or_default(),
        };
        Ok(Settings {
            mode: Mode::SignIn(sign_in),
            storage_origin,
        })
    }
}

/// `scheme://authority` of an https URL (or http on loopback, for local runs and tests).
/// None for anything else, or for a value that could break out of a CSP source list.
fn origin_of(url: &str) -> Option<String> {
    if url.is_empty()
        || !url.is_ascii()
        || url
            .chars()
            .any(|c| c.is_ascii_whitespace() || c.is_ascii_control() || "\"';,<>\\`".contains(c))
    {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(host, _)| host);
    let allowed = match scheme {
        "https" => !host.is_empty(),
        "http" => matches!(host, "127.0.0.1" | "localhost" | "[::1]"),
        _ => false,
    };
    (allowed && !authority.contains('@')).then(|| format!("{scheme}://{authority}"))
}

/// What the console function does on each of its routes.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Page,
    /// A file of the console, or its sign-in settings (`config.json`).
    Asset,
}

/// The console's routes: the router, its 405s and the tests' dispatch all read this.
pub const ROUTES: &[Route<Op>] = &[
    Route::new("GET", "/console", Op::Page),
    Route::new("GET", "/console/{asset}", Op::Asset),
];

pub struct Console {
    /// Whether the principal picker is served (`config.json` says `dev`).
    #[cfg(feature = "dev-auth")]
    development: bool,
    csp: String,
    /// `config.json`, serialised once.
    config: String,
}

impl Console {
    pub fn new(settings: Settings) -> Console {
        let token_origin = match &settings.mode {
            Mode::SignIn(s) => origin_of(&s.token_url),
            _ => None,
        };
        let config = match &settings.mode {
            #[cfg(feature = "dev-auth")]
            Mode::Development => json!({"mode": "dev"}),
            Mode::SignIn(s) => json!({
                "mode": "oidc",
                "authorize_url": s.authorize_url,
                "token_url": s.token_url,
                "logout_url": s.logout_url,
                "client_id": s.client_id,
                "scope": "openid email",
                "tenant_claim": s.tenant_claim,
                "role_claim": s.role_claim,
                "role_prefix": s.role_prefix,
            }),
            Mode::Unconfigured => json!({"mode": "none"}),
        };
        Console {
            #[cfg(feature = "dev-auth")]
            development: settings.mode == Mode::Development,
            csp: csp(settings.storage_origin.as_deref(), token_origin.as_deref()),
            config: config.to_string(),
        }
    }

    pub fn handle(&self, req: Request) -> Response<Body> {
        self.route(&req)
            .unwrap_or_else(|e| problem(&e, &anonymous_caller(&req)))
    }

    fn route(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let (op, params) = route_request(ROUTES, req)?;
        match op {
            Op::Page => Ok(self.page("index.html")),
            // Never cached, as every JSON answer (json_response).
            Op::Asset if params[0] == "config.json" => Ok(json_response(200, self.config.clone())),
            Op::Asset => self
                .asset(params[0])
                .filter(|a| a.name != "index.html")
                .map(|a| asset_response(a, &self.csp))
                .ok_or(VaultError::NotFound.into()),
        }
    }

    fn asset(&self, name: &str) -> Option<&'static Asset> {
        #[cfg(feature = "dev-auth")]
        if name == DEV_PICKER.name && self.development {
            return Some(&DEV_PICKER);
        }
        assets::find(PAGES, name)
    }

    fn page(&self, name: &str) -> Response<Body> {
        asset_response(self.asset(name).expect("a page we serve"), &self.csp)
    }
}

/// Our own files only; no inline script or style, no plug-ins, no framing, no form posts.
/// `connect-src` adds the sign-in provider's token endpoint (the code exchange), `img-src`
/// the documents bucket (presigned photo URLs) and `blob:` (the QR code, drawn here).
pub fn csp(storage_origin: Option<&str>, token_origin: Option<&str>) -> String {
    let extra = |o: Option<&str>| o.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:{}; \
         connect-src 'self'{}; object-src 'none'; form-action 'none'; base-uri 'none'; \
         frame-ancestors 'none'",
        extra(storage_origin),
        extra(token_origin)
    )
}

#[cfg(test)]
mod tests;

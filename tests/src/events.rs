//! API Gateway HTTP API (payload 2.0) events as API Gateway sends them, with the JWT
//! authorizer's claims, parsed by `lambda_http` exactly as in Lambda.

use lambda_http::Request;
use serde_json::{Map, Value, json};

/// A principal as the JWT authorizer would describe it.
#[derive(Debug, Clone)]
pub struct Who {
    pub sub: String,
    pub tenant: String,
    pub roles: Vec<String>,
}

impl Who {
    pub fn new(sub: &str, tenant: &str, roles: &[&str]) -> Who {
        Who {
            sub: sub.into(),
            tenant: tenant.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }
    pub fn registrar(tenant: &str) -> Who {
        Who::new("hr-sato", tenant, &["registrar"])
    }
    pub fn handler(tenant: &str) -> Who {
        Who::new("payroll-suzuki", tenant, &["handler"])
    }
    pub fn auditor(tenant: &str) -> Who {
        Who::new("audit-tanaka", tenant, &["auditor"])
    }
    pub fn admin(tenant: &str) -> Who {
        Who::new("admin-ito", tenant, &["admin"])
    }
}

/// Which bearer token a request carries.
#[derive(Debug, Clone)]
enum Token {
    /// The IdP's token for the request's `who`, if any.
    OfWho,
    None,
    Raw(String),
}

pub struct ReqBuilder {
    request_id: Option<String>,
    token: Token,
    /// Whether the authorizer context (claims of `who`) is present.
    authorizer: bool,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Map<String, Value>,
    who: Option<Who>,
    body: Option<String>,
    /// The body is base64 (`isBase64Encoded`), as API Gateway sends bytes.
    base64: bool,
    source_ip: String,
}

/// Starts a request: `req("POST", "/v1/records")`.
pub fn req(method: &str, path: &str) -> ReqBuilder {
    ReqBuilder {
        request_id: None,
        token: Token::OfWho,
        authorizer: true,
        method: method.into(),
        path: path.into(),
        query: Vec::new(),
        headers: Map::new(),
        who: None,
        body: None,
        base64: false,
        source_ip: "203.0.113.7".into(),
    }
}

impl ReqBuilder {
    pub fn who(mut self, who: &Who) -> Self {
        self.who = Some(who.clone());
        self
    }
    /// Sends `token` as the bearer token instead of the IdP's token for `who`.
    pub fn bearer(mut self, token: &str) -> Self {
        self.token = Token::Raw(token.into());
        self
    }
    /// API Gateway's request id (random otherwise).
    /// The address API Gateway saw the request come from.
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.into();
        self
    }

    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = Some(id.into());
        self
    }
    /// Sends no bearer token.
    pub fn no_token(mut self) -> Self {
        self.token = Token::None;
        self
    }
    /// Leaves out the authorizer context, as a direct invoke might.
    pub fn no_authorizer(mut self) -> Self {
        self.authorizer = false;
        self
    }
    pub fn json(mut self, body: Value) -> Self {
        self.headers
            .insert("content-type".into(), json!("application/json"));
        self.body = Some(body.to_string());
        self
    }
    pub fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.into());
        self
    }
    /// Bytes as API Gateway passes a binary body: base64, flagged.
    pub fn bytes_body(mut self, body: &[u8]) -> Self {
        use base64::Engine;
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        self.base64 = true;
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.insert(k.to_ascii_lowercase(), json!(v));
        self
    }
    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.into(), v.into()));
        self
    }

    /// The event as JSON, for fixtures and `cargo lambda invoke`.
    pub fn event(&self) -> Value {
        let raw_query = self
            .query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut qsp = Map::new();
        for (k, v) in &self.query {
            match qsp.get_mut(k) {
                Some(Value::String(existing)) => *existing = format!("{existing},{v}"),
                _ => {
                    qsp.insert(k.clone(), json!(v));
                }
            }
        }
        let mut ctx = json!({
            "accountId": "123456789012",
            "apiId": "api-test",
            "domainName": "api-test.execute-api.ap-northeast-1.amazonaws.com",
            "domainPrefix": "api-test",
            "http": {
                "method": self.method,
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": self.source_ip,
                "userAgent": "mynumber-tests"
            },
            "requestId": self.request_id.clone().unwrap_or_else(|| format!("req-{}", crate::uuid_like())),
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:09:00:00 +0000",
            "timeEpoch": 1_795_000_000_000i64
        });
        let mut headers = self.headers.clone();
        let token = match (&self.token, &self.who) {
            (Token::OfWho, Some(who)) => Some(crate::jwt::token_for(who)),
            (Token::Raw(t), _) => Some(t.clone()),
            _ => None,
        };
        if let Some(t) = token {
            headers.insert("authorization".into(), json!(format!("Bearer {t}")));
        }
        if let (Some(who), true) = (&self.who, self.authorizer) {
            ctx["authorizer"] = json!({
                "jwt": {
                    "claims": {
                        "sub": who.sub,
                        "custom:tenant_id": who.tenant,
                        "cognito:groups": format!("[{}]", who.roles.join(" ")),
                        "iss": crate::jwt::ISSUER
                    },
                    "scopes": null
                }
            });
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": ctx,
            "isBase64Encoded": self.base64
        });
        if !qsp.is_empty() {
            event["queryStringParameters"] = Value::Object(qsp);
        }
        if let Some(b) = &self.body {
            event["body"] = json!(b);
        }
        event
    }

    pub fn build(self) -> Request {
        lambda_http::request::from_str(&self.event().to_string())
            .expect("a valid API Gateway v2 event")
    }
}

//! An HTTP request as API Gateway's HTTP API hands it to a function (payload format 2.0),
//! and the function's answer back as HTTP.

use crate::routes::Matched;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hyper::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, Uri};
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the front knows of one request.
pub struct Incoming<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub peer: SocketAddr,
    pub request_id: &'a str,
}

/// Whether API Gateway would pass a body of this type as text: anything else, and any
/// body that is not UTF-8 (a Shift_JIS CSV), goes base64-encoded with `isBase64Encoded`.
fn textual(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return true;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence == "application/json"
        || essence.ends_with("+json")
        || essence == "application/x-www-form-urlencoded"
        || essence == "application/xml"
        || essence == "application/javascript"
}

/// The payload format 2.0 event for `request` on `route`.
pub fn to_event(request: &Incoming<'_>, route: &Matched<'_>) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for name in request.headers.keys() {
        let values: Vec<&str> = request
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if name == hyper::header::COOKIE {
            // HTTP APIs move cookies out of the headers into their own list.
            cookies.extend(values.iter().flat_map(|v| v.split("; ")).map(str::to_owned));
            continue;
        }
        headers.insert(name.as_str().to_owned(), Value::from(values.join(",")));
    }
    let raw_query = request.uri.query().unwrap_or("");
    let mut query = Map::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        match query.get_mut(k.as_ref()) {
            // Repeated parameters are joined with commas, as API Gateway does.
            Some(Value::String(prior)) => {
                prior.push(',');
                prior.push_str(&v);
            }
            _ => {
                query.insert(k.into_owned(), Value::from(v.into_owned()));
            }
        }
    }
    let content_type = request
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (body, encoded) = if request.body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(request.body) {
            Ok(text) if textual(content_type) => (Value::from(text), false),
            _ => (Value::from(B64.encode(request.body)), true),
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let user_agent = request
        .headers
        .get(hyper::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = request
        .headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(host),
            "http": {
                "method": request.method.as_str(),
                "path": request.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": request.peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": request.request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "timeEpoch": now,
        },
        "isBase64Encoded": encoded,
    });
    if !body.is_null() {
        event["body"] = body;
    }
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !route.parameters.is_empty() {
        event["pathParameters"] = json!(route.parameters);
    }
    event
}

/// The function's answer (`statusCode`, `headers`, `multiValueHeaders`, `cookies`, `body`,
/// `isBase64Encoded`) as an HTTP response; `None` when it is not one.
pub fn from_answer(answer: &[u8]) -> Option<Response<Bytes>> {
    let answer: Value = serde_json::from_slice(answer).ok()?;
    let status = StatusCode::from_u16(u16::try_from(answer["statusCode"].as_u64()?).ok()?).ok()?;
    let mut response = Response::builder().status(status);
    let headers = response.headers_mut()?;
    let mut add = |name: &str, value: &str| -> Option<()> {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_str(value).ok()?,
        );
        Some(())
    };
    if let Some(multi) = answer["multiValueHeaders"].as_object() {
        for (name, values) in multi {
            for value in values.as_array()? {
                add(name, value.as_str()?)?;
            }
        }
    }
    if let Some(single) = answer["headers"].as_object() {
        let multi = answer["multiValueHeaders"].as_object();
        for (name, value) in single {
            if multi.is_some_and(|m| m.contains_key(name)) {
                continue;
            }
            add(name, value.as_str()?)?;
        }
    }
    for cookie in answer["cookies"].as_array().into_iter().flatten() {
        add("set-cookie", cookie.as_str()?)?;
    }
    let body = match answer["body"].as_str() {
        None => Bytes::new(),
        Some(b) if answer["isBase64Encoded"].as_bool() == Some(true) => {
            Bytes::from(B64.decode(b).ok()?)
        }
        Some(b) => Bytes::from(b.to_owned()),
    };
    response.body(body).ok()
}

/// API Gateway's own answers (no route, a function that failed or took too long): a JSON
/// `message`, not the vault's problem documents.
pub fn gateway_answer(status: StatusCode, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(json!({ "message": message }).to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn event(content_type: &str, body: &[u8]) -> Value {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", content_type.parse().unwrap());
        headers.append("cookie", "a=1; b=2".parse().unwrap());
        let uri: Uri = "/v1/imports?dry_run=true&x=1&x=2".parse().unwrap();
        let route = Matched {
            function: "intake",
            route_key: "POST /v1/imports".into(),
            parameters: BTreeMap::new(),
        };
        to_event(
            &Incoming {
                method: &Method::POST,
                uri: &uri,
                headers: &headers,
                body,
                peer: "127.0.0.1:5000".parse().unwrap(),
                request_id: "req-1",
            },
            &route,
        )
    }

    #[test]
    fn text_goes_as_text_and_other_bytes_base64() {
        let utf8 = event("text/csv", "社員".as_bytes());
        assert_eq!(utf8["body"], "社員");
        assert_eq!(utf8["isBase64Encoded"], false);
        // 社員 in Shift_JIS: not UTF-8, so carried as API Gateway carries it.
        let sjis = event("text/csv; charset=shift_jis", &[0x8E, 0xD0, 0x88, 0xF5]);
        assert_eq!(sjis["body"], B64.encode([0x8E, 0xD0, 0x88, 0xF5]));
        assert_eq!(sjis["isBase64Encoded"], true);
        let png = event("image/png", b"abc");
        assert_eq!(png["isBase64Encoded"], true);
        assert_eq!(utf8["queryStringParameters"]["x"], "1,2");
        assert_eq!(utf8["rawQueryString"], "dry_run=true&x=1&x=2");
        assert_eq!(utf8["cookies"], json!(["a=1", "b=2"]));
        assert!(utf8["headers"].get("cookie").is_none());
        assert_eq!(utf8["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    }

    #[test]
    fn answers_become_responses() {
        let answer = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json"},
            "multiValueHeaders": {"vary": ["a", "b"]},
            "cookies": ["s=1"],
            "body": B64.encode(b"{}"),
            "isBase64Encoded": true,
        });
        let r = from_answer(answer.to_string().as_bytes()).unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers().get_all("vary").iter().count(), 2);
        assert_eq!(r.headers()["set-cookie"], "s=1");
        assert_eq!(r.body().as_ref(), b"{}");
        assert!(from_answer(b"{\"errorMessage\":\"x\"}").is_none());
    }
}

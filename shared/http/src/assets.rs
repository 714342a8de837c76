//! Static files compiled into a function (the employee's form, the HR console) and served
//! from the API's own origin: no CDN, no third party, never cached, never framed.

use lambda_http::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use lambda_http::{Body, Response};

/// One file: the name it is served under, its media type and its text.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub text: &'static str,
}

impl Asset {
    pub const fn html(name: &'static str, text: &'static str) -> Asset {
        Asset {
            name,
            content_type: "text/html; charset=utf-8",
            text,
        }
    }

    pub const fn script(name: &'static str, text: &'static str) -> Asset {
        Asset {
            name,
            content_type: "text/javascript; charset=utf-8",
            text,
        }
    }

    pub const fn style(name: &'static str, text: &'static str) -> Asset {
        Asset {
            name,
            content_type: "text/css; charset=utf-8",
            text,
        }
    }
}

/// The asset of `assets` named `name`.
pub fn find<'a>(assets: &'a [Asset], name: &str) -> Option<&'a Asset> {
    assets.iter().find(|a| a.name == name)
}

/// 200 with `asset` under `csp`. `no-store`: a new deployment's pages are seen at once,
/// and nothing a page showed stays in a shared machine's cache.
pub fn asset_response(asset: &Asset, csp: &str) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(CONTENT_TYPE, asset.content_type)
        .header(CACHE_CONTROL, "no-store")
        .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header("content-security-policy", csp)
        .header("referrer-policy", "no-referrer")
        .header("x-frame-options", "DENY")
        .body(Body::Text(asset.text.to_owned()))
        .expect("static headers are valid")
}

/// 200 with a file to save (an export, a certificate): its type, never cached, never
/// sniffed, offered under `filename` (ASCII, no quote).
pub fn attachment(content_type: &str, filename: &str, body: Body) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(CONTENT_TYPE, content_type)
        .header(CACHE_CONTROL, "no-store")
        .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )
        .body(body)
        .expect("static headers are valid")
}

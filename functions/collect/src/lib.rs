//! The collect function: the employee's side of a collection link (SPEC §4a), on routes
//! without the JWT authorizer. `GET /collect` serves the form (static files compiled in);
//! `GET`/`POST /v1/collect` take the link's token as `Authorization: Collection {token}`.
//! Its role may encrypt and write records, never decrypt.

use lambda_http::http::header::{AUTHORIZATION, HeaderValue};
use lambda_http::{Body, Request, Response};
use mynumber_domain::collection::{CollectionToken, LinkCredential};
use mynumber_domain::document::{
    DocumentId, DocumentKind, DocumentType, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, UploadRequest,
};
use mynumber_domain::record::DependentLabel;
use mynumber_domain::submission::{
    DependentPart, OwnPart, SpousePart, SubmissionInput, SubmissionService,
};
use mynumber_domain::verification::{IdentityCheck, NumberCheck};
use mynumber_domain::{Caller, MyNumber, VaultError};
use mynumber_http::assets::{self, Asset, asset_response};
use mynumber_http::{Api, ApiError, Fields, Route, anonymous_caller, json_object, json_value};
use serde_json::Value;
use zeroize::Zeroizing;

mod parse;

use parse::{parse_submission, parse_upload};

// `PAGES`: every file of web/collect/ and web/shared/, listed by its build script (web/embed.rs).
include!(concat!(env!("OUT_DIR"), "/pages.rs"));

/// Nothing but our own files, no inline script or style, no framing, no form posts
/// elsewhere; `connect-src` is this origin (where the token goes) and the documents
/// bucket's (where the photos go, under presigned URLs that carry no token).
pub fn csp(storage_origin: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; \
         connect-src 'self' {storage_origin}; img-src 'self' blob: data:; form-action 'none'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

/// What the collect function does on each of its routes.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Form,
    Asset,
    Upload,
    Describe,
    Submit,
}

/// The employee's routes: the router, its 405s and the tests' dispatch all read this.
pub const ROUTES: &[Route<Op>] = &[
    Route::new("GET", "/collect", Op::Form),
    Route::new("GET", "/collect/{asset}", Op::Asset),
    Route::new("POST", "/v1/collect/documents", Op::Upload),
    Route::new("GET", "/v1/collect", Op::Describe),
    Route::new("POST", "/v1/collect", Op::Submit),
];

pub struct Collect {
    service: SubmissionService,
    csp: String,
}

impl Collect {
    pub fn new(service: SubmissionService, storage_origin: &str) -> Self {
        Collect {
            service,
            csp: csp(storage_origin),
        }
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        mynumber_http::handle(self, req).await
    }
}

impl Api for Collect {
    type Op = Op;

    fn routes(&self) -> &'static [Route<Op>] {
        ROUTES
    }

    async fn caller(&self, req: &Request) -> Caller {
        anonymous_caller(req)
    }

    async fn call(
        &self,
        op: Op,
        params: &[&str],
        req: &Request,
        caller: &Caller,
    ) -> Result<Response<Body>, ApiError> {
        match op {
            Op::Form => Ok(page("index.html", &self.csp)),
            Op::Asset => assets::find(PAGES, params[0])
                .filter(|a| a.name != "index.html")
                .map(|a| asset_response(a, &self.csp))
                .ok_or(VaultError::NotFound.into()),
            Op::Upload => {
                let (link, input) = self
                    .service
                    .admit(caller, &token(req), || parse_upload(req))
                    .await?;
                let ticket = self.service.request_upload(link, input).await?;
                Ok(json_value(201, &ticket))
            }
            Op::Describe => {
                let (link, ()) = self
                    .service
                    .admit(caller, &token(req), || Ok::<_, ApiError>(()))
                    .await?;
                Ok(json_value(200, &self.service.describe(link).await))
            }
            Op::Submit => {
                let (link, input) = self
                    .service
                    .admit(caller, &token(req), || parse_submission(req))
                    .await?;
                let view = self.service.submit(link, input).await?;
                Ok(json_value(201, &view))
            }
        }
    }
}

fn page(name: &str, csp: &str) -> Response<Body> {
    asset_response(assets::find(PAGES, name).expect("a page we serve"), csp)
}

/// `Authorization: Collection {token}`. No such credential is a 401; a `Collection`
/// credential of any other shape is answered as an unknown token.
fn token(req: &Request) -> LinkCredential {
    let Some(text) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v: &HeaderValue| v.to_str().ok())
    else {
        return LinkCredential::Missing;
    };
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("collection") => {
            CollectionToken::parse(token.trim())
                .map_or(LinkCredential::Malformed, LinkCredential::Token)
        }
        _ => LinkCredential::Missing,
    }
}

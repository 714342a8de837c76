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

// `PAGES`: every file of web/collect/ and web/shared/, listed by build.rs.
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

/// A number field taken out of its object so that it is zeroed however parsing ends.
fn number(f: &mut Fields, raw: Option<Value>) -> Option<MyNumber> {
    let raw: Zeroizing<String> = match raw {
        Some(Value::String(s)) => Zeroizing::new(s),
        None | Some(Value::Null) => {
            f.fail("my_number", "required");
            return None;
        }
        Some(_) => {
            f.fail("my_number", "type");
            return None;
        }
    };
    match MyNumber::parse(&raw) {
        Ok(n) => Some(n),
        Err(rule) => {
            f.fail("my_number", rule.code());
            None
        }
    }
}

/// Takes `my_number` out of a nested object of `body` before the walk reads the rest.
fn take_number(body: &mut serde_json::Map<String, Value>, path: &[&str]) -> Option<Value> {
    let mut node = body.get_mut(path[0])?;
    for key in &path[1..] {
        node = match key.parse::<usize>() {
            Ok(i) => node.get_mut(i)?,
            Err(_) => node.get_mut(*key)?,
        };
    }
    node.as_object_mut()?.remove("my_number")
}

/// `POST /v1/collect`: field by field, with paths (`self.my_number`,
/// `dependents[1].my_number`), every broken rule at once, no value echoed.
fn parse_submission(req: &Request) -> Result<SubmissionInput, ApiError> {
    let mut body = json_object(req)?;
    let own_number = take_number(&mut body, &["self"]);
    let spouse_number = take_number(&mut body, &["spouse"]);
    let dependents_len = body
        .get("dependents")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut dependent_numbers: Vec<Option<Value>> = (0..dependents_len.min(64))
        .map(|i| take_number(&mut body, &["dependents", &i.to_string()]))
        .collect();
    let mut f = Fields::new(&body, &["self", "spouse", "dependents", "documents"]);
    let own = f.object(
        "self",
        true,
        &[
            "my_number",
            "number_document",
            "identity_document",
            "refusal",
        ],
        |o| {
            if o.present("refusal") {
                if own_number.is_some()
                    || o.present("number_document")
                    || o.present("identity_document")
                {
                    o.fail("refusal", "exclusive_with_my_number");
                }
                return o.object("refusal", true, &["reason"], |r| {
                    let reason = r.str("reason", true)?;
                    Some(OwnPart::Refusal {
                        reason: reason.to_owned(),
                    })
                });
            }
            let number = number(o, own_number);
            let number_document = o.parse("number_document", true, |s| {
                NumberCheck::parse_input(s).map_err(|r| r.code())
            });
            let identity_document = o.parse("identity_document", true, |s| {
                match IdentityCheck::parse_input(s).map_err(|r| r.code())? {
                    // Only staff can know a person, or check for the employee.
                    IdentityCheck::KnownInPerson | IdentityCheck::ByEmployee => Err("enum"),
                    ic => Ok(ic),
                }
            });
            Some(OwnPart::Number {
                number: number?,
                number_document: number_document?,
                identity_document: identity_document?,
            })
        },
    );
    let spouse = if f.present("spouse") {
        f.object(
            "spouse",
            true,
            &["my_number", "national_pension_dependent_spouse"],
            |o| {
                let number = number(o, spouse_number);
                let npds = o.bool("national_pension_dependent_spouse").unwrap_or(false);
                Some(SpousePart {
                    number: number?,
                    national_pension_dependent_spouse: npds,
                })
            },
        )
        .map(Some)
    } else {
        Some(None)
    };
    let mut dependents = Vec::new();
    let mut dependents_ok = true;
    if let Some(items) = f.array("dependents", false) {
        for (i, item) in items.iter().enumerate() {
            let Value::Object(obj) = item else {
                f.fail(&format!("dependents[{i}]"), "type");
                dependents_ok = false;
                continue;
            };
            let raw = dependent_numbers.get_mut(i).and_then(Option::take);
            let mut d = Fields::new(obj, &["label", "my_number"]);
            let label = d.parse("label", true, |s| {
                DependentLabel::parse(s).map_err(|r| r.code())
            });
            let number = number(&mut d, raw);
            let part = label.zip(number);
            // Re-file the nested walker's errors under the dependant's path.
            match d.finish(part) {
                Ok((label, number)) => dependents.push(DependentPart { label, number }),
                Err(VaultError::Invalid(errors)) => {
                    dependents_ok = false;
                    for e in errors {
                        f.fail(&format!("dependents[{i}].{}", e.field), e.rule);
                    }
                }
                Err(_) => dependents_ok = false,
            }
        }
    }
    let mut documents = Vec::new();
    let mut documents_ok = true;
    if let Some(items) = f.array("documents", false) {
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(DocumentId::parse) {
                Some(Ok(id)) => documents.push(id),
                Some(Err(_)) => {
                    f.fail(&format!("documents[{i}]"), "format");
                    documents_ok = false;
                }
                None => {
                    f.fail(&format!("documents[{i}]"), "type");
                    documents_ok = false;
                }
            }
        }
        if items.len() > MAX_DOCUMENTS {
            f.fail("documents", "too_many");
            documents_ok = false;
        }
    }
    let input = match (own, spouse, dependents_ok && documents_ok) {
        (Some(own), Some(spouse), true) => Some(SubmissionInput {
            own,
            spouse,
            dependents,
            documents,
        }),
        _ => None,
    };
    f.finish(input)
}

/// `POST /v1/collect/documents`: `{"kind", "content_type", "bytes"}`, each checked, every
/// broken rule at once.
fn parse_upload(req: &Request) -> Result<UploadRequest, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["kind", "content_type", "bytes"]);
    let kind = f.parse("kind", true, |s| DocumentKind::parse(s).ok_or("enum"));
    let content_type = f.parse("content_type", true, |s| {
        DocumentType::parse(s).ok_or("enum")
    });
    let bytes = match body.get("bytes") {
        None | Some(Value::Null) => {
            f.fail("bytes", "required");
            None
        }
        Some(v) => match v.as_u64() {
            Some(0) => {
                f.fail("bytes", "empty");
                None
            }
            Some(n) if n > MAX_DOCUMENT_BYTES => {
                f.fail("bytes", "too_large");
                None
            }
            Some(n) => Some(n),
            None => {
                f.fail("bytes", "type");
                None
            }
        },
    };
    let input = match (kind, content_type, bytes) {
        (Some(kind), Some(content_type), Some(bytes)) => Some(UploadRequest {
            kind,
            content_type,
            bytes,
        }),
        _ => None,
    };
    f.finish(input)
}

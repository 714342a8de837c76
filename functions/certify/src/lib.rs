//! The certificate function (SPEC §4e): issues deletion certificates from disposal records,
//! signs them with the certificate key, and hands them out as signed JSON and as a PDF.
//! It holds no data key and no MAC key, and reads no record: disposal records only.

mod pdf;

use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::{Body, Request, Response};
use mynumber_domain::certificate::{
    CertificateId, CertificateRequest, CertificateService, OrganizationName, public_key_pem,
};
use mynumber_domain::{Caller, EmployeeId, VaultError};
use mynumber_http::{
    Api, ApiError, Authenticator, Fields, Route, attachment, json_object, json_response,
    json_value, page_response, parse_page,
};

pub use pdf::render as render_pdf;

/// What the certificate function does on each of its routes.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Issue,
    List,
    PublicKey,
    Get,
    Pdf,
    ReadOrganization,
    SetOrganization,
}

/// The certificate function's routes: its router, its 405s and the tests' dispatch all
/// read this.
pub const ROUTES: &[Route<Op>] = &[
    Route::new("POST", "/v1/certificates", Op::Issue),
    Route::new("GET", "/v1/certificates", Op::List),
    Route::new("GET", "/v1/certificates/public-key", Op::PublicKey),
    Route::new("GET", "/v1/certificates/{certificate_id}", Op::Get),
    Route::new("GET", "/v1/certificates/{certificate_id}/pdf", Op::Pdf),
    Route::new("GET", "/v1/settings/organization", Op::ReadOrganization),
    Route::new("PUT", "/v1/settings/organization", Op::SetOrganization),
];

pub struct Certify {
    vault: CertificateService,
    auth: Authenticator,
}

impl Certify {
    pub fn new(vault: CertificateService, auth: Authenticator) -> Self {
        Certify { vault, auth }
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        mynumber_http::handle(self, req).await
    }
}

impl Api for Certify {
    type Op = Op;

    fn routes(&self) -> &'static [Route<Op>] {
        ROUTES
    }

    async fn caller(&self, req: &Request) -> Caller {
        self.auth.caller(req).await
    }

    async fn call(
        &self,
        op: Op,
        params: &[&str],
        req: &Request,
        caller: &Caller,
    ) -> Result<Response<Body>, ApiError> {
        let core = self.vault.core();
        match op {
            Op::Issue => {
                let (auth, input) = core.admit(caller, || parse_issue(req))?;
                Ok(json_value(201, &self.vault.issue(auth, input).await?))
            }
            Op::List => {
                let (auth, page) = core.admit(caller, || {
                    parse_page(req, false, &[], |_, _| ()).and_then(|(e, page, ())| match e {
                        Some(_) => Err(VaultError::invalid("employee_id", "unknown_field")),
                        None => Ok(page),
                    })
                })?;
                Ok(page_response(self.vault.list(auth, page).await?))
            }
            // The public half of the key is public: anyone holding a certificate may
            // fetch it to check one, so this route asks for no sign-in and is not audited.
            Op::PublicKey => {
                let der = self.vault.public_key().await?;
                Ok(Response::builder()
                    .status(200)
                    .header(CONTENT_TYPE, "application/x-pem-file")
                    .header(CACHE_CONTROL, "public, max-age=3600")
                    .body(Body::Text(public_key_pem(&der)))
                    .expect("static headers are valid"))
            }
            Op::Get => {
                let (auth, id) = core.admit(caller, || certificate_id(params[0]))?;
                let (json, _) = self.vault.get(auth, id).await?;
                Ok(json_response(200, json))
            }
            Op::Pdf => {
                let (auth, id) = core.admit(caller, || certificate_id(params[0]))?;
                let (_, certificate) = self.vault.get(auth, id).await?;
                let bytes = pdf::render(&certificate);
                Ok(attachment(
                    "application/pdf",
                    &format!("certificate-{}.pdf", certificate.summary.certificate_id),
                    Body::Binary(bytes),
                ))
            }
            Op::ReadOrganization => {
                let (auth, ()) = core.admit(caller, || Ok::<_, ApiError>(()))?;
                Ok(json_value(200, &self.vault.organization(auth).await?))
            }
            Op::SetOrganization => {
                let (auth, name) = core.admit(caller, || parse_organization(req))?;
                Ok(json_value(
                    200,
                    &self.vault.set_organization(auth, name).await?,
                ))
            }
        }
    }
}

fn certificate_id(id: &str) -> Result<CertificateId, ApiError> {
    CertificateId::parse(id)
        .map_err(|rule| VaultError::invalid("certificate_id", rule.code()).into())
}

fn parse_issue(req: &Request) -> Result<CertificateRequest, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["from", "to", "employee_id"]);
    let from = f.date("from", false);
    let to = f.date("to", false);
    let employee = f.parse("employee_id", false, |s| {
        EmployeeId::parse(s).map_err(|rule| rule.code())
    });
    let request = CertificateRequest { from, to, employee };
    f.finish(Some(request))
}

fn parse_organization(req: &Request) -> Result<OrganizationName, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["display_name"]);
    let name = f.parse("display_name", true, OrganizationName::parse);
    f.finish(name)
}

//! The lookup function: `GET /v1/records` lists an employee's records (never numbers);
//! `POST /v1/records/{record_id}/reveal` shows one number to a handler for a stated purpose;
//! `GET /v1/disposals` lists disposal records for auditors and registrars.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use mynumber_domain::ids::IdRule;
use mynumber_domain::lookup::LookupService;
use mynumber_domain::{Caller, Purpose, RecordId, VaultError};
use mynumber_http::Authenticator;
use mynumber_http::{
    Fields, json_object, json_response, page_response, parse_page, problem, segments,
};

pub struct Lookup {
    vault: LookupService,
    auth: Authenticator,
}

impl Lookup {
    pub fn new(vault: LookupService, auth: Authenticator) -> Self {
        Lookup { vault, auth }
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        let caller = self.auth.caller(&req).await;
        self.route(&req, &caller)
            .await
            .unwrap_or_else(|e| problem(&e, &caller))
    }

    async fn route(&self, req: &Request, caller: &Caller) -> Result<Response<Body>, VaultError> {
        match (req.method(), segments(req).as_slice()) {
            (&Method::GET, ["v1", "records"]) => self.list(req, caller).await,
            (&Method::POST, ["v1", "records", id, "reveal"]) => self.reveal(req, id, caller).await,
            (&Method::GET, ["v1", "disposals"]) => self.disposals(req, caller).await,
            (_, ["v1", "records"])
            | (_, ["v1", "records", _, "reveal"])
            | (_, ["v1", "disposals"]) => Err(VaultError::MethodNotAllowed),
            _ => Err(VaultError::NotFound),
        }
    }

    async fn disposals(
        &self,
        req: &Request,
        caller: &Caller,
    ) -> Result<Response<Body>, VaultError> {
        let page = self
            .vault
            .list_disposals(
                caller,
                parse_page(req, false, &[], |_, _| ()).map(|(e, p, ())| (e, p)),
            )
            .await?;
        Ok(page_response(page))
    }

    async fn list(&self, req: &Request, caller: &Caller) -> Result<Response<Body>, VaultError> {
        let input = parse_page(req, true, &[], |_, _| ()).and_then(|(employee, page, ())| {
            employee
                .map(|e| (e, page))
                .ok_or_else(|| VaultError::invalid("employee_id", "required"))
        });
        let page = self.vault.list_records(caller, input).await?;
        Ok(page_response(page))
    }

    async fn reveal(
        &self,
        req: &Request,
        id: &str,
        caller: &Caller,
    ) -> Result<Response<Body>, VaultError> {
        let revealed = self.vault.reveal(caller, parse_reveal(req, id)).await?;
        // Every value here is from a closed charset (UUID, digits, snake case), so the
        // body is written directly rather than through an intermediate JSON value.
        let body = format!(
            r#"{{"record_id":"{}","my_number":"{}","purpose":"{}"}}"#,
            revealed.record_id,
            revealed.number.expose_digits(),
            revealed.purpose.code()
        );
        Ok(json_response(200, body))
    }
}

fn parse_reveal(req: &Request, id: &str) -> Result<(RecordId, Purpose), VaultError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["purpose"]);
    let record_id = RecordId::parse(id);
    if let Err(rule) = &record_id {
        f.fail("record_id", IdRule::code(*rule));
    }
    let purpose = f.parse("purpose", true, |s| Purpose::parse(s).ok_or("enum"));
    f.finish(record_id.ok().zip(purpose))
}

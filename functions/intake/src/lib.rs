//! The intake function: `POST /v1/records` registers a number with its identity
//! verification, or records that the person refused to give it; `POST`/`DELETE
//! /v1/employees/{id}/departure` record a departure (starting the retention clock) or
//! cancel it on re-hire; `DELETE /v1/records/{id}` disposes of a record early.
//! `POST /v1/imports` registers a CSV file of numbers, row by row (SPEC §4b). The review
//! of what employees submit is the review function's, whose role holds no KMS key.

mod import;

use lambda_http::{Body, Request, Response};
use mynumber_domain::disposal::DisposalReason;
use mynumber_domain::ids::IdRule;
use mynumber_domain::intake::{
    IdempotencyRequest, IntakeService, Registered, Registration, RegistrationContent,
};
use mynumber_domain::lifecycle::DepartureInput;
use mynumber_domain::record::{DependentLabel, Relation, RelationKind};
use mynumber_domain::{Caller, EmployeeId, IdempotencyKey, MyNumber, RecordId, VaultError};
use mynumber_http::input::{purposes, verification};
use mynumber_http::{
    Api, ApiError, Authenticator, Fields, Route, json_object, json_response, json_value,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// What intake does on each of its routes.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Register,
    Import,
    Dispose,
    RecordDeparture,
    CancelDeparture,
}

/// Intake's routes: its router, its 405s and the tests' dispatch all read this.
pub const ROUTES: &[Route<Op>] = &[
    Route::new("POST", "/v1/records", Op::Register),
    Route::new("POST", "/v1/imports", Op::Import),
    Route::new("DELETE", "/v1/records/{record_id}", Op::Dispose),
    Route::new(
        "POST",
        "/v1/employees/{employee_id}/departure",
        Op::RecordDeparture,
    ),
    Route::new(
        "DELETE",
        "/v1/employees/{employee_id}/departure",
        Op::CancelDeparture,
    ),
];

pub struct Intake {
    vault: IntakeService,
    auth: Authenticator,
}

impl Intake {
    pub fn new(vault: IntakeService, auth: Authenticator) -> Self {
        Intake { vault, auth }
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        mynumber_http::handle(self, req).await
    }
}

impl Api for Intake {
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
        match op {
            Op::Register => self.register(req, caller).await,
            Op::Import => {
                let (auth, input) = self
                    .vault
                    .core()
                    .admit(caller, || import::parse_import(req))?;
                let report = self.vault.import(auth, input).await?;
                Ok(json_value(200, &report))
            }
            Op::Dispose => {
                let (auth, input) = self
                    .vault
                    .core()
                    .admit(caller, || parse_disposal(req, params[0]))?;
                let disposal = self.vault.dispose_record(auth, input).await?;
                Ok(json_value(200, &disposal))
            }
            Op::RecordDeparture => {
                let (auth, input) = self
                    .vault
                    .core()
                    .admit(caller, || parse_departure(req, params[0]))?;
                let view = self.vault.record_departure(auth, input).await?;
                Ok(json_value(200, &view))
            }
            Op::CancelDeparture => {
                let (auth, input) = self.vault.core().admit(caller, || {
                    EmployeeId::parse(params[0])
                        .map_err(|r| VaultError::invalid("employee_id", r.code()))
                })?;
                let view = self.vault.cancel_departure(auth, input).await?;
                Ok(json_value(200, &view))
            }
        }
    }
}

impl Intake {
    async fn register(&self, req: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
        let (auth, input) = self
            .vault
            .core()
            .admit(caller, || parse_registration(req))?;
        let registered = self.vault.register(auth, input).await?;
        let mut response = match &registered {
            Registered::Created(view) => json_value(201, view),
            Registered::Replayed(body) => json_response(201, body.clone()),
        };
        if registered.replayed() {
            response
                .headers_mut()
                .insert("idempotent-replayed", "true".parse().expect("valid header"));
        }
        Ok(response)
    }
}

fn parse_departure(req: &Request, employee: &str) -> Result<DepartureInput, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["left_on", "last_declaration_year"]);
    let employee_id = EmployeeId::parse(employee);
    if let Err(rule) = &employee_id {
        f.fail("employee_id", rule.code());
    }
    let left_on = f.date("left_on", true);
    let year = f.int("last_declaration_year", false);
    let year = match year.map(i32::try_from) {
        Some(Ok(y)) => Some(y),
        Some(Err(_)) => {
            f.fail("last_declaration_year", "range");
            None
        }
        None => None,
    };
    let input = employee_id
        .ok()
        .zip(left_on)
        .map(|(employee_id, left_on)| DepartureInput {
            employee_id,
            left_on,
            last_declaration_year: year,
        });
    f.finish(input)
}

fn parse_disposal(req: &Request, id: &str) -> Result<(RecordId, DisposalReason), ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["reason"]);
    let record_id = RecordId::parse(id);
    if let Err(rule) = &record_id {
        f.fail("record_id", rule.code());
    }
    let reason = f.parse("reason", true, |s| {
        DisposalReason::parse_early(s).ok_or("enum")
    });
    f.finish(record_id.ok().zip(reason))
}

const FIELDS: &[&str] = &[
    "employee_id",
    "relation",
    "dependent_label",
    "purposes",
    "verification",
    "refusal",
    "replace",
];

/// `POST /v1/records`: the body read field by field into a [`Registration`], every broken
/// rule collected with its field path (and the `Idempotency-Key` header beside it).
fn parse_registration(
    req: &Request,
) -> Result<(Registration, Option<IdempotencyRequest>), ApiError> {
    let mut body = json_object(req)?;
    // Take the number out first, so that it is zeroed however parsing ends and the
    // idempotency digest of the rest of the body never sees it.
    let raw_number = body.remove("my_number");
    let digest_without_number: [u8; 32] =
        Sha256::digest(serde_json::to_vec(&body).expect("a JSON map serializes")).into();

    let mut f = Fields::new(&body, FIELDS);
    let idempotency = idempotency(req, digest_without_number, &mut f);
    let employee_id = f.parse("employee_id", true, |s| {
        EmployeeId::parse(s).map_err(IdRule::code)
    });
    let relation = relation(&mut f);
    let purposes = purposes(&mut f);
    let replace = f.bool("replace").unwrap_or(false);
    let content = content(&mut f, raw_number);
    let registration = match (employee_id, relation, purposes, content) {
        (Some(employee_id), Some(relation), Some(purposes), Some(content)) => Some(Registration {
            employee_id,
            relation,
            purposes,
            replace,
            content,
        }),
        _ => None,
    };
    f.finish(registration).map(|r| (r, idempotency))
}

fn idempotency(
    req: &Request,
    digest_without_number: [u8; 32],
    f: &mut Fields,
) -> Option<IdempotencyRequest> {
    let header = req.headers().get("idempotency-key")?;
    match header.to_str().ok().map(IdempotencyKey::parse) {
        Some(Ok(key)) => Some(IdempotencyRequest {
            key,
            digest_without_number,
        }),
        Some(Err(rule)) => {
            f.fail("Idempotency-Key", rule.code());
            None
        }
        None => {
            f.fail("Idempotency-Key", "charset");
            None
        }
    }
}

/// `relation` and, for a dependant only, `dependent_label`.
fn relation(f: &mut Fields) -> Option<Relation> {
    let kind = f.parse("relation", true, |s| RelationKind::parse(s).ok_or("enum"));
    let label_given = f.present("dependent_label");
    let label = f.parse("dependent_label", false, |s| {
        DependentLabel::parse(s).map_err(|r| r.code())
    });
    match kind {
        Some(RelationKind::Dependent) => {
            if !label_given {
                f.fail("dependent_label", "required");
            }
            label.map(Relation::Dependent)
        }
        Some(_) if label_given => {
            f.fail("dependent_label", "only_for_dependent");
            None
        }
        Some(kind) => Relation::from_parts(kind, None),
        None => None,
    }
}

/// A refusal, or the number with its verification; never both.
fn content(f: &mut Fields, raw_number: Option<Value>) -> Option<RegistrationContent> {
    let number_given = raw_number.as_ref().is_some_and(|v| !v.is_null());
    let raw_number: Result<Option<Zeroizing<String>>, ()> = match raw_number {
        Some(Value::String(s)) => Ok(Some(Zeroizing::new(s))),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(()),
    };
    if f.present("refusal") {
        if number_given || f.present("verification") {
            f.fail("refusal", "exclusive_with_my_number");
        }
        return f.object("refusal", true, &["reason", "requested_on"], |o| {
            let reason = o.str("reason", true);
            let requested_on = o.date("requested_on", true);
            Some(RegistrationContent::Refusal {
                reason: reason?.to_owned(),
                requested_on: requested_on?,
            })
        });
    }
    let number = match &raw_number {
        Err(()) => {
            f.fail("my_number", "type");
            None
        }
        Ok(None) => {
            f.fail("my_number", "required");
            None
        }
        Ok(Some(raw)) => match MyNumber::parse(raw) {
            Ok(n) => Some(n),
            Err(rule) => {
                f.fail("my_number", rule.code());
                None
            }
        },
    };
    let v = verification(f)?;
    Some(RegistrationContent::Number {
        number: number?,
        number_check: v.number_check,
        identity_check: v.identity_check,
        verified_by: v.verified_by,
        verified_on: v.verified_on,
    })
}

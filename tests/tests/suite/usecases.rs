//! Each use case on the in-memory adapter (held to the DynamoDB store by the store
//! contract): the rules of the domain without HTTP, moto or KMS, in milliseconds.

use chrono::{Duration, NaiveDate};
use mynumber_domain::access::{Principal, Role};
use mynumber_domain::audit::{AuditKind, Caller, Outcome, Reason};
use mynumber_domain::collection::{CollectionRequest, CollectionState, LinkCredential};
use mynumber_domain::error::{Conflict, Forbidden};
use mynumber_domain::import::{ImportRequest, ImportRow, RowRegistration};
use mynumber_domain::intake::{IntakeService, Registered, Registration, RegistrationContent};
use mynumber_domain::lifecycle::DepartureInput;
use mynumber_domain::lookup::LookupService;
use mynumber_domain::ports::CollectionWrites;
use mynumber_domain::purge::PurgeService;
use mynumber_domain::record::{Content, Relation};
use mynumber_domain::review::{ConfirmInput, ReviewService};
use mynumber_domain::submission::{OwnPart, SubmissionInput, SubmissionService, link_ops};
use mynumber_domain::verification::{IdentityCheck, NumberCheck};
use mynumber_domain::{
    AuditEvent, Core, EmployeeId, FieldError, MyNumber, Purpose, PurposeSet, Subject, TenantId,
    VaultError,
};
use mynumber_domain::{intake, lookup};
use mynumber_tests::memory::{FixedClock, LocalCipher, MemoryAudit, MemoryObjects, MemoryStore};
use std::sync::Arc;

struct World {
    store: Arc<MemoryStore>,
    audit: Arc<MemoryAudit>,
    clock: Arc<FixedClock>,
    core: Core,
    intake: IntakeService,
    review: ReviewService,
    lookup: LookupService,
    collect: SubmissionService,
    purge: PurgeService,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::default());
    let cipher = Arc::new(LocalCipher::default());
    let objects = Arc::new(MemoryObjects::default());
    let audit = Arc::new(MemoryAudit::default());
    let clock = Arc::new(FixedClock::at(mynumber_tests::epoch()));
    let core = Core::new(audit.clone(), clock.clone(), Default::default());
    World {
        intake: IntakeService::new(core.clone(), store.clone(), cipher.clone()),
        review: ReviewService::new(core.clone(), store.clone(), objects.clone()),
        lookup: LookupService::new(core.clone(), store.clone(), cipher.clone()),
        collect: SubmissionService::new(core.clone(), store.clone(), cipher, objects.clone()),
        purge: PurgeService::new(core.clone(), store.clone(), objects),
        store,
        audit,
        clock,
        core,
    }
}

impl World {
    fn events(&self) -> Vec<AuditEvent> {
        self.audit.0.lock().unwrap().clone()
    }

    fn today(&self) -> NaiveDate {
        mynumber_domain::retention::jst_today(self.core.now())
    }

    async fn register(&self, employee: &str, number: &str) -> Result<Registered, VaultError> {
        let caller = caller(Role::Registrar);
        let registration = own(employee, number, self.today());
        let (auth, input) = self.core.admit(&caller, || ok((registration, None)))?;
        self.intake.register(auth, input).await
    }
}

fn caller(role: Role) -> Caller {
    Caller {
        principal: Some(Principal {
            sub: Subject::parse(&format!("{}-1", role.code())).unwrap(),
            tenant: TenantId::parse("acme").unwrap(),
            roles: [role].into(),
        }),
        request_id: None,
        source_ip: None,
    }
}

fn employee(e: &str) -> EmployeeId {
    EmployeeId::parse(e).unwrap()
}

fn own(e: &str, number: &str, today: NaiveDate) -> Registration {
    Registration {
        employee_id: employee(e),
        relation: Relation::OwnNumber,
        purposes: PurposeSet::new([Purpose::WithholdingTax]).unwrap(),
        replace: false,
        content: RegistrationContent::Number {
            number: MyNumber::parse(number).unwrap(),
            number_check: NumberCheck::MyNumberCard,
            identity_check: IdentityCheck::MyNumberCard,
            verified_by: None,
            verified_on: today,
        },
    }
}

#[tokio::test]
async fn a_caller_is_authorised_before_the_request_is_parsed() {
    let w = world();
    let (auditor, registrar, handler) = (
        caller(Role::Auditor),
        caller(Role::Registrar),
        caller(Role::Handler),
    );
    // A role that may not register: the parser never runs, and the refusal is audited.
    let mut parsed = false;
    let refused = w
        .core
        .admit::<intake::ops::Register, (), VaultError>(&auditor, || {
            parsed = true;
            Ok(())
        });
    assert!(matches!(
        refused.err(),
        Some(VaultError::Forbidden(Forbidden::WrongRole))
    ));
    assert!(
        !parsed,
        "nothing of the request is read for a caller who may not make it"
    );
    // A caller who may: a parse failure is the operation's audited outcome.
    let invalid = w
        .core
        .admit::<intake::ops::Register, (), VaultError>(&registrar, || {
            Err(VaultError::Invalid(vec![FieldError::new(
                "employee_id",
                "required",
            )]))
        });
    assert!(matches!(invalid.err(), Some(VaultError::Invalid(_))));
    // A guard dropped half-way (a cancelled request) is audited as failed.
    let (guard, ()) = w
        .core
        .admit::<lookup::ops::Reveal, (), VaultError>(&handler, || ok(()))
        .unwrap();
    drop(guard);
    let events = w.events();
    let summary: Vec<(AuditKind, Outcome, Option<Reason>)> = events
        .iter()
        .map(|e| (e.event, e.outcome, e.reason))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                AuditKind::Denied,
                Outcome::Denied,
                Some(Reason::ForbiddenRole)
            ),
            (
                AuditKind::Registration,
                Outcome::Invalid,
                Some(Reason::InvalidRequest)
            ),
            (
                AuditKind::Reveal,
                Outcome::Failed,
                Some(Reason::DependencyFailed)
            ),
        ]
    );
}

#[tokio::test]
async fn intake_registers_a_number_once_per_employee_and_names_no_one_else_s() {
    let w = world();
    let first = w.register("E1", crate::N1).await.unwrap();
    let Registered::Created(view) = first else {
        panic!("a new record");
    };
    assert!(view.same_number_as.is_empty());
    assert!(matches!(
        w.register("E1", crate::N2).await,
        Err(VaultError::Conflict(Conflict::RecordExists))
    ));
    // Another employee's own number is refused by name of the holder, for HR only.
    assert!(matches!(
        w.register("E2", crate::N1).await,
        Err(VaultError::DuplicateNumber(holder)) if holder == employee("E1")
    ));
    assert_eq!(w.store.record_count(), 1);
}

#[tokio::test]
async fn a_handler_reveals_for_a_stated_purpose_only() {
    let w = world();
    let Registered::Created(view) = w.register("E1", crate::N1).await.unwrap() else {
        panic!("a new record");
    };
    let id = view.record.record_id.clone();
    let handler = caller(Role::Handler);
    let (auth, input) = w
        .core
        .admit(&handler, || ok((id.clone(), Purpose::WithholdingTax)))
        .unwrap();
    let revealed = w.lookup.reveal(auth, input).await.unwrap();
    assert_eq!(revealed.number.expose_digits(), crate::N1);
    let (auth, input) = w
        .core
        .admit(&handler, || ok((id.clone(), Purpose::SocialInsurance)))
        .unwrap();
    assert!(matches!(
        w.lookup.reveal(auth, input).await,
        Err(VaultError::Forbidden(Forbidden::PurposeNotStated))
    ));
    // The reveal went to the durable trail before the number was opened.
    assert!(
        w.store
            .audit_trail()
            .iter()
            .any(|e| e.event == AuditKind::Reveal && e.record_id.as_ref() == Some(&id))
    );
}

#[tokio::test]
async fn a_departure_sets_the_last_day_and_the_purge_disposes_after_it() {
    let w = world();
    w.register("E1", crate::N1).await.unwrap();
    let registrar = caller(Role::Registrar);
    let left_on = w.today() - Duration::days(30);
    let (auth, input) = w
        .core
        .admit(&registrar, || {
            ok(DepartureInput {
                employee_id: employee("E1"),
                left_on,
                last_declaration_year: None,
            })
        })
        .unwrap();
    let departure = w.intake.record_departure(auth, input).await.unwrap();
    let last_day = departure.records[0].due_at.expect("a last day");
    assert!(last_day > w.today());
    // The day after the last day, the purge disposes of the record.
    let days = (last_day - w.today()).num_days() + 1;
    w.clock.advance(Duration::days(days));
    let system = Caller {
        principal: None,
        request_id: None,
        source_ip: None,
    };
    let summary = w
        .purge
        .purge(
            &system,
            w.core.now() + Duration::minutes(10),
            Duration::seconds(5),
        )
        .await;
    assert_eq!((summary.disposed, summary.failed), (1, 0));
    assert_eq!(w.store.record_count(), 0);
    let disposals = w.store.disposals();
    assert_eq!(disposals.len(), 1);
    assert_eq!(disposals[0].employee_id, employee("E1"));
}

#[tokio::test]
async fn an_import_creates_the_rows_that_parse_and_reports_the_others() {
    let w = world();
    let today = w.today();
    let row = |i: u32, e: &str, number: &str| ImportRow {
        row: i,
        parsed: Ok(RowRegistration {
            employee_id: employee(e),
            relation: Relation::OwnNumber,
            purposes: PurposeSet::new([Purpose::WithholdingTax]).unwrap(),
            number: MyNumber::parse(number).unwrap(),
            number_check: NumberCheck::MyNumberCard,
            identity_check: IdentityCheck::MyNumberCard,
            verified_on: today,
        }),
    };
    let rows = vec![
        row(2, "E1", crate::N1),
        ImportRow {
            row: 3,
            parsed: Err(vec![FieldError::new("my_number", "check_digit")]),
        },
        row(4, "E2", crate::N2),
    ];
    let registrar = caller(Role::Registrar);
    let (auth, input) = w
        .core
        .admit(&registrar, || {
            ok(ImportRequest {
                dry_run: false,
                rows,
            })
        })
        .unwrap();
    let report = w.intake.import(auth, input).await.unwrap();
    assert_eq!((report.created, report.failed), (2, 1));
    assert_eq!(w.store.record_count(), 2);
}

async fn open_link(w: &World, include_family: bool) -> LinkCredential {
    let registrar = caller(Role::Registrar);
    let (auth, input) = w
        .core
        .admit(&registrar, || {
            ok(CollectionRequest {
                employee_id: employee("E1"),
                purposes: PurposeSet::new([Purpose::WithholdingTax]).unwrap(),
                include_family,
                expires_in_days: 14,
                email: None,
            })
        })
        .unwrap();
    let opened = w.review.create_collection(auth, input).await.unwrap();
    LinkCredential::Token(
        mynumber_domain::collection::CollectionToken::parse(opened.token.expose()).unwrap(),
    )
}

fn employee_caller() -> Caller {
    Caller {
        principal: None,
        request_id: None,
        source_ip: Some("192.0.2.10".parse().unwrap()),
    }
}

#[tokio::test]
async fn an_employee_submits_through_a_link_and_the_registrar_confirms() {
    let w = world();
    let token = open_link(&w, false).await;
    let someone = employee_caller();
    let (link, ()) = w
        .collect
        .admit::<link_ops::View, _, _>(&someone, &token, || ok(()))
        .await
        .unwrap();
    let form = w.collect.describe(link).await;
    assert!(!form.include_family);
    let (link, input) = w
        .collect
        .admit::<link_ops::Submit, _, _>(&someone, &token, || {
            ok(SubmissionInput {
                own: OwnPart::Number {
                    number: MyNumber::parse(crate::N1).unwrap(),
                    number_document: NumberCheck::MyNumberCard,
                    identity_document: IdentityCheck::MyNumberCard,
                },
                spouse: None,
                dependents: Vec::new(),
                documents: Vec::new(),
            })
        })
        .await
        .unwrap();
    let submitted = w.collect.submit(link, input).await.unwrap();
    let record_id = submitted.records[0].record_id.clone();
    // The token is spent.
    assert!(matches!(
        w.collect
            .admit::<link_ops::View, (), VaultError>(&someone, &token, || ok(()))
            .await
            .err(),
        Some(VaultError::CollectionNotFound)
    ));
    let registrar = caller(Role::Registrar);
    let today = w.today();
    let (auth, input) = w
        .core
        .admit(&registrar, || {
            ok(ConfirmInput {
                record_id: record_id.clone(),
                number_check: NumberCheck::MyNumberCard,
                identity_check: IdentityCheck::MyNumberCard,
                verified_by: None,
                verified_on: today,
            })
        })
        .unwrap();
    w.review.confirm(auth, input).await.unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    let stored = mynumber_domain::ports::RecordReads::get_record(&*w.store, &tenant, &record_id)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(stored.content, Content::Active { .. }));
}

#[tokio::test]
async fn five_invalid_submissions_lock_the_link() {
    let w = world();
    let token = open_link(&w, false).await;
    let someone = employee_caller();
    let invalid = || -> Result<SubmissionInput, VaultError> {
        Err(VaultError::Invalid(vec![FieldError::new(
            "self.my_number",
            "check_digit",
        )]))
    };
    for _ in 0..5 {
        let refused = w
            .collect
            .admit::<link_ops::Submit, _, _>(&someone, &token, invalid)
            .await;
        assert!(matches!(refused.err(), Some(VaultError::Invalid(_))));
    }
    let refused = w
        .collect
        .admit::<link_ops::Submit, _, _>(&someone, &token, invalid)
        .await;
    assert!(matches!(
        refused.err(),
        Some(VaultError::CollectionNotFound)
    ));
    let tenant = TenantId::parse("acme").unwrap();
    let id = w
        .store
        .latest_collection(&tenant, &employee("E1"))
        .await
        .unwrap()
        .unwrap();
    let link = w.store.get_collection(&tenant, &id).await.unwrap().unwrap();
    assert_eq!(link.state, CollectionState::Locked);
    // Every attempt is one audit event of the submission (or of its refusal).
    let submissions = w
        .events()
        .iter()
        .filter(|e| matches!(e.event, AuditKind::Submission | AuditKind::Denied))
        .count();
    assert_eq!(submissions, 6);
}

/// What a parser returns: the domain's errors only, in these tests.
fn ok<T>(value: T) -> Result<T, VaultError> {
    Ok(value)
}

#[tokio::test]
async fn a_body_too_large_or_of_another_type_does_not_count_against_the_link() {
    use mynumber_http::{ApiError, TransportError};
    let w = world();
    let token = open_link(&w, false).await;
    let someone = employee_caller();
    for refusal in [
        TransportError::PayloadTooLarge,
        TransportError::UnsupportedMediaType,
    ]
    .into_iter()
    .cycle()
    .take(6)
    {
        let refused = w
            .collect
            .admit::<link_ops::Submit, SubmissionInput, ApiError>(&someone, &token, || {
                Err(refusal.into())
            })
            .await;
        assert_eq!(refused.err(), Some(ApiError::Transport(refusal)));
    }
    // Six refusals, and the link is as it was: open, no attempt counted.
    let tenant = TenantId::parse("acme").unwrap();
    let id = w
        .store
        .latest_collection(&tenant, &employee("E1"))
        .await
        .unwrap()
        .unwrap();
    let link = w.store.get_collection(&tenant, &id).await.unwrap().unwrap();
    assert_eq!((link.state, link.attempts), (CollectionState::Open, 0));
    // Each was audited as the submission's refusal, with its own reason.
    let reasons: Vec<Option<Reason>> = w
        .events()
        .iter()
        .filter(|e| e.event == AuditKind::Submission)
        .map(|e| e.reason)
        .collect();
    assert_eq!(reasons.len(), 6);
    assert!(reasons.contains(&Some(Reason::PayloadTooLarge)));
}

//! The intake function's use case: registering numbers and refusals (SPEC §2.2, §2.3),
//! departures, re-hires and early disposal (`lifecycle`). It may encrypt and MAC, never
//! decrypt: it holds no `NumberDecryptor`.

use crate::access::{Action, Principal};
use crate::audit::{AuditEvent, AuditKind, Caller, Outcome};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::error::{Conflict, VaultError};
use crate::ids::{EmployeeId, IdempotencyKey, KeyDigest, NumberKey, RecordId, Subject, TenantId};
use crate::number::MyNumber;
use crate::ports::{
    CreateError, Departures, IdempotencyEntry, MatchCounter, MatchScope, NewRecord, NumberClaim,
    NumberEncryptor, NumberHolders, NumberIndex, NumberMac, RecordDisposal, RecordReads,
    RecordWrites, SlotChange,
};
use crate::purpose::PurposeSet;
use crate::record::{Content, Record, Relation};
use crate::retention::{Departure, jst_today};
use crate::usecase::Authorised;
use crate::usecase::{Core, hour_of};
use crate::verification::{IdentityCheck, NumberCheck, Refusal, Verification};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;

crate::usecase::operations! {
    Register = (Registration, RegisterRecord);
}

mod commit;

pub(crate) use commit::Pending;
pub use commit::SameNumber;

/// The store ports intake's role allows: record reads and writes, the duplicate index,
/// departures, disposal, and the count of matched numbers.
pub trait IntakeStore:
    RecordReads + RecordWrites + NumberIndex + Departures + RecordDisposal + MatchCounter
{
}
impl<T: RecordReads + RecordWrites + NumberIndex + Departures + RecordDisposal + MatchCounter>
    IntakeStore for T
{
}

/// The key ports intake's role allows: encrypt and MAC.
pub trait IntakeCipher: NumberEncryptor + NumberMac {}
impl<T: NumberEncryptor + NumberMac> IntakeCipher for T {}

/// What an intake body asks for, parsed field by field by the handler.
#[derive(Debug)]
pub struct Registration {
    pub employee_id: EmployeeId,
    pub relation: Relation,
    pub purposes: PurposeSet,
    pub replace: bool,
    pub content: RegistrationContent,
}

#[derive(Debug)]
pub enum RegistrationContent {
    Number {
        number: MyNumber,
        number_check: NumberCheck,
        identity_check: IdentityCheck,
        verified_by: Option<Subject>,
        verified_on: NaiveDate,
    },
    Refusal {
        reason: String,
        requested_on: NaiveDate,
    },
}

/// An `Idempotency-Key` and the SHA-256 of the canonical body without the number (the
/// number enters the fingerprint only through the cipher's keyed MAC).
#[derive(Debug, Clone)]
pub struct IdempotencyRequest {
    pub key: IdempotencyKey,
    pub digest_without_number: [u8; 32],
}

/// A registration's answer: the created record, or the first answer to the same request
/// replayed.
#[derive(Debug, Clone)]
pub enum Registered {
    Created(Box<RegisteredView>),
    /// The first answer's body, as stored with its idempotency key.
    Replayed(String),
}

impl Registered {
    pub fn replayed(&self) -> bool {
        matches!(self, Registered::Replayed(_))
    }

    /// The number's other records the answer names (`same_number_as`); a replay names
    /// none anew.
    pub fn same_number(&self) -> &[SameNumber] {
        match self {
            Registered::Created(view) => &view.same_number_as,
            Registered::Replayed(_) => &[],
        }
    }
}

/// The 201 body: the record's metadata, and `same_number_as` when the number is held
/// elsewhere too.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegisteredView {
    #[serde(flatten)]
    pub record: crate::record::RecordView,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_number_as: Vec<SameNumber>,
}

/// A registration whose cross-field rules hold: a number travels with its verification.
enum Planned {
    Number {
        number: MyNumber,
        verification: Verification,
    },
    Refusal(Refusal),
}

/// Whose number the new record holds, and for what: the registration minus its content.
struct Whose {
    employee_id: EmployeeId,
    relation: Relation,
    purposes: PurposeSet,
}

/// What a registration read and sealed before its transaction; the slot, the departure
/// and the content are judged after the idempotency key.
struct Gathered {
    number_key: Option<NumberKey>,
    idem: Option<Idem>,
    slot: Result<Option<SlotChange>, VaultError>,
    employee_departure: Result<Option<Departure>, VaultError>,
    content: Result<Content, VaultError>,
}

/// Where a keyed request's entry is filed and what a twin must match.
pub(crate) struct Idem {
    key: KeyDigest,
    fingerprint: Vec<u8>,
}

pub struct IntakeService {
    pub(crate) core: Core,
    pub(crate) store: Arc<dyn IntakeStore>,
    pub(crate) cipher: Arc<dyn IntakeCipher>,
}

impl IntakeService {
    pub fn new(core: Core, store: Arc<dyn IntakeStore>, cipher: Arc<dyn IntakeCipher>) -> Self {
        IntakeService {
            core,
            store,
            cipher,
        }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// `POST /v1/records`.
    pub async fn register(
        &self,
        auth: Authorised<'_, ops::Register>,
        input: (Registration, Option<IdempotencyRequest>),
    ) -> Result<Registered, VaultError> {
        let caller = auth.caller();
        auth.run(async |event, principal, now| {
            // Past the hour's matched numbers, no number is read (the refusal says
            // nothing of it): an answer naming another employee's record tells
            // whose the number is, as an import's row does.
            let numbered = matches!(input.0.content, RegistrationContent::Number { .. });
            let hour = hour_of(now);
            if numbered {
                self.store
                    .admit_matches(
                        &principal.tenant,
                        &principal.sub,
                        MatchScope::Intake,
                        hour,
                        0,
                        self.core.config.match_limit_per_hour,
                    )
                    .await?;
            }
            let registered = self
                .register_steps(caller, principal, input, now, event)
                .await;
            if let Ok(r) = &registered
                && r.replayed()
            {
                event.outcome = Outcome::Replayed;
            }
            self.count_matches(caller, principal, &registered, hour, now)
                .await;
            registered
        })
        .await
    }

    /// Each other employee's record the answer names is a `number_matched` event and one
    /// of the hour's matches (counted after the answer: a lost count is logged, never
    /// turned into a failure of what was written).
    async fn count_matches(
        &self,
        caller: &Caller,
        principal: &Principal,
        registered: &Result<Registered, VaultError>,
        hour: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let matched: Vec<(EmployeeId, Option<RecordId>)> = match registered {
            Ok(r) => r
                .same_number()
                .iter()
                .map(|s| (s.employee_id.clone(), Some(s.record_id.clone())))
                .collect(),
            Err(VaultError::DuplicateNumber(other)) => vec![(other.clone(), None)],
            Err(_) => Vec::new(),
        };
        if matched.is_empty() {
            return;
        }
        for (employee_id, record_id) in &matched {
            let mut e = AuditEvent::new(
                AuditKind::NumberMatched,
                Some(Action::RegisterRecord),
                caller,
                now,
            );
            e.employee_id = Some(employee_id.clone());
            e.record_id = record_id.clone();
            if registered.is_err() {
                e.reason = Some(crate::audit::Reason::DuplicateNumber);
            }
            self.core.emit(&e);
        }
        let n = u32::try_from(matched.len()).unwrap_or(u32::MAX);
        if let Err(e) = self
            .store
            .reserve_matches(
                &principal.tenant,
                &principal.sub,
                MatchScope::Intake,
                hour,
                n,
                u32::MAX,
            )
            .await
        {
            tracing::warn!(error = %e.0, "matched numbers not counted");
        }
    }

    /// Plan, fingerprint, find the slot, seal, commit: each step below, in that order.
    async fn register_steps(
        &self,
        caller: &Caller,
        principal: &Principal,
        input: (Registration, Option<IdempotencyRequest>),
        now: DateTime<Utc>,
        event: &mut AuditEvent,
    ) -> Result<Registered, VaultError> {
        let (reg, request) = input;
        let tenant = &principal.tenant;
        let today = jst_today(now);
        event.employee_id = Some(reg.employee_id.clone());
        event.relation = Some(reg.relation.kind());
        if matches!(reg.content, RegistrationContent::Refusal { .. }) {
            event.event = AuditKind::RefusalRecorded;
        }
        let Registration {
            employee_id,
            relation,
            purposes,
            replace,
            content,
        } = reg;
        let whose = Whose {
            employee_id,
            relation,
            purposes,
        };
        let planned = plan(content, &whose, principal, today)?;
        // Named in the event before the KMS call, so a failed Encrypt is audited with it
        // (and withdrawn when the answer turns out to be an earlier one or a conflict).
        let record_id = RecordId::new_random();
        event.record_id = Some(record_id.clone());
        let Gathered {
            number_key,
            idem,
            slot,
            employee_departure,
            content,
        } = self
            .gather(
                principal,
                &whose,
                &planned,
                request.as_ref(),
                &record_id,
                replace,
                now,
            )
            .await?;
        // With a key, its entry and the number's other records are read at once (the
        // stored answer must hold them); without, the latter are read beside the write.
        let holders = match &idem {
            Some(idem) => {
                let (answer, holders) = futures::join!(
                    self.earlier_answer(tenant, Some(idem), now),
                    self.holders(tenant, number_key.as_ref())
                );
                if let Some(answer) = answer? {
                    event.record_id = None;
                    return answer;
                }
                Some(holders?)
            }
            None => None,
        };
        let slot = match slot? {
            Some(slot) => slot,
            None => {
                event.record_id = None;
                return self.replay_or_conflict(tenant, idem.as_ref(), now).await;
            }
        };
        if let SlotChange::Replace { old, .. } = &slot {
            event.replaced_record_id = Some(old.record_id.clone());
        }
        // A record registered after the employee's departure is due when the others are.
        let employee_departure = employee_departure?;
        let departure = employee_departure.filter(|d| !d.is_past_due(today));
        let record = Record {
            record_id,
            tenant_id: tenant.clone(),
            employee_id: whose.employee_id,
            relation: whose.relation,
            purposes: whose.purposes,
            content: content?,
            source: crate::record::Source::Registrar,
            created_at: now,
            created_by: principal.sub.clone(),
            departure,
            version: 1,
            number_key,
        };
        let written = self
            .commit(
                caller,
                Pending {
                    record,
                    slot,
                    idem,
                    employee_departure,
                    holders,
                },
                today,
                now,
            )
            .await;
        if written.is_err() {
            event.record_id = None;
        }
        written
    }

    /// Every read and every KMS call of a registration at once, so that it waits for one
    /// round trip before its transaction (two with an Idempotency-Key: its entry is filed
    /// under the key's MAC). An Encrypt is spent on a request that turns out to be a replay
    /// or a conflict: the price of not waiting for the reads first. The MACs must succeed;
    /// the rest is judged by the caller in its order (an earlier answer first).
    #[allow(clippy::too_many_arguments)]
    async fn gather(
        &self,
        principal: &Principal,
        whose: &Whose,
        planned: &Planned,
        request: Option<&IdempotencyRequest>,
        record_id: &RecordId,
        replace: bool,
        now: DateTime<Utc>,
    ) -> Result<Gathered, VaultError> {
        let tenant = &principal.tenant;
        let today = jst_today(now);
        let number_mac = async {
            match planned {
                Planned::Number { number, .. } => {
                    self.cipher.fingerprint(tenant, number).await.map(Some)
                }
                Planned::Refusal(_) => Ok(None),
            }
        };
        let key_digest = async {
            match request {
                Some(r) => self.cipher.key_digest(tenant, &r.key).await.map(Some),
                None => Ok(None),
            }
        };
        // The record's content: a number only as ciphertext under the new record's context.
        let content = async {
            match planned {
                Planned::Number {
                    number,
                    verification,
                } => Ok::<_, VaultError>(Content::Active {
                    ciphertext: self.cipher.encrypt(tenant, record_id, number).await?,
                    verification: verification.clone(),
                }),
                Planned::Refusal(refusal) => Ok(Content::Refused {
                    refusal: refusal.clone(),
                }),
            }
        };
        let (number_mac, key_digest, slot, employee_departure, content) = futures::join!(
            number_mac,
            key_digest,
            self.slot_change(principal, whose, replace, today, now),
            self.store.employee_departure(tenant, &whose.employee_id),
            content,
        );
        let number_mac = number_mac?;
        let idem = match (key_digest?, request) {
            (Some(key), Some(request)) => Some(Idem {
                key,
                fingerprint: idempotency_fingerprint(request, number_mac.as_deref()),
            }),
            _ => None,
        };
        Ok(Gathered {
            number_key: number_mac.as_deref().map(NumberKey::from_mac),
            idem,
            slot,
            employee_departure: employee_departure.map_err(VaultError::from),
            content,
        })
    }

    /// The duplicate index's entries for a number; nothing to read without one.
    pub(crate) async fn holders(
        &self,
        tenant: &TenantId,
        key: Option<&NumberKey>,
    ) -> Result<NumberHolders, VaultError> {
        match key {
            Some(key) => Ok(self.store.number_holders(tenant, key).await?),
            None => Ok(NumberHolders::default()),
        }
    }

    /// The stored answer of an earlier request with this key, if any (or 422 if the
    /// earlier request differed).
    async fn earlier_answer(
        &self,
        tenant: &TenantId,
        idem: Option<&Idem>,
        now: DateTime<Utc>,
    ) -> Result<Option<Result<Registered, VaultError>>, VaultError> {
        let Some(idem) = idem else {
            return Ok(None);
        };
        Ok(self
            .store
            .idempotency(tenant, &idem.key, now)
            .await?
            .map(|entry| replay(entry, &idem.fingerprint)))
    }

    /// A conflict, unless a twin of this request (same key) committed first: then its
    /// answer, or 422 if the twin's body differed.
    async fn replay_or_conflict(
        &self,
        tenant: &TenantId,
        idem: Option<&Idem>,
        now: DateTime<Utc>,
    ) -> Result<Registered, VaultError> {
        match self.earlier_answer(tenant, idem, now).await? {
            Some(answer) => answer,
            None => Err(VaultError::Conflict(Conflict::RecordExists)),
        }
    }

    /// What the new record does to its relation's slot; `None` when the slot is held by a
    /// live record and the request did not ask to replace it.
    async fn slot_change(
        &self,
        principal: &Principal,
        whose: &Whose,
        replace: bool,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<SlotChange>, VaultError> {
        self.slot_change_of(
            principal,
            &whose.employee_id,
            &whose.relation,
            replace,
            today,
            now,
        )
        .await
    }
}

/// An idempotent request's fingerprint: the body without the number, and the number's
/// keyed MAC (never the number).
fn idempotency_fingerprint(request: &IdempotencyRequest, number_mac: Option<&[u8]>) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(request.digest_without_number);
    match number_mac {
        Some(mac) => {
            h.update(b"number:");
            h.update(mac);
        }
        None => h.update(b"refusal"),
    }
    h.finalize().to_vec()
}

/// The cross-field rules of §2.2, which need the relation, the purposes and today. The
/// number moves into the plan beside its verification.
fn plan(
    content: RegistrationContent,
    whose: &Whose,
    principal: &Principal,
    today: NaiveDate,
) -> Result<Planned, VaultError> {
    match content {
        RegistrationContent::Number {
            number,
            number_check,
            identity_check,
            verified_by,
            verified_on,
        } => {
            let verified_by = verified_by.unwrap_or_else(|| principal.sub.clone());
            let verification = Verification::check(
                &whose.relation,
                &whose.purposes,
                number_check,
                identity_check,
                verified_by,
                verified_on,
                today,
            )
            .map_err(|(field, rule)| VaultError::invalid(field, rule.code()))?;
            Ok(Planned::Number {
                number,
                verification,
            })
        }
        RegistrationContent::Refusal {
            reason,
            requested_on,
        } => Refusal::new(&reason, requested_on, today)
            .map(Planned::Refusal)
            .map_err(|(field, rule)| VaultError::invalid(field, rule.code())),
    }
}

fn replay(entry: IdempotencyEntry, fingerprint: &[u8]) -> Result<Registered, VaultError> {
    if entry.fingerprint == fingerprint {
        Ok(Registered::Replayed(entry.body))
    } else {
        Err(VaultError::IdempotencyMismatch)
    }
}

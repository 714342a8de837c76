//! The vault's use cases. Each takes the caller and its already-parsed input (or the
//! parse error), authorises first, does the work through the ports, and emits exactly one
//! audit event however it ends.

use crate::access::{Action, Principal};
use crate::audit::{AuditEvent, AuditKind, AuditSink, Caller, Outcome};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::error::{Conflict, FieldError, Forbidden, VaultError};
use crate::ids::{EmployeeId, IdempotencyKey, KeyDigest, RecordId, Subject};
use crate::number::MyNumber;
use crate::ports::{
    CipherError, Clock, CreateError, IdempotencyEntry, ListError, NewRecord, NumberCipher, Page,
    PageRequest, RecordStore, RetentionStore, SlotChange, Unavailable,
};
use crate::purpose::{Purpose, PurposeSet};
use crate::record::{Content, Record, RecordView, Relation};
use crate::retention::{RetentionRule, jst_today};
use crate::verification::{IdentityCheck, NumberCheck, Refusal, Verification};
use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct VaultConfig {
    pub retention: RetentionRule,
    /// How long an `Idempotency-Key` answers with the first response.
    pub idempotency_ttl: Duration,
    /// How long the durable reveal trail is kept in the table.
    pub audit_retention: Duration,
    /// The table's point-in-time-recovery window, stated in disposal records.
    pub backup_window_days: u32,
    /// Reveals one principal may make in an hour before getting 429 (bulk reading).
    pub reveal_limit_per_hour: u32,
    /// DynamoDB TTL (the backstop) deletes a record this long after it is gone.
    pub ttl_grace: Duration,
    /// How long disposal records are kept.
    pub disposal_retention: Duration,
    /// Disposals the purge runs at once.
    pub purge_concurrency: usize,
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            retention: RetentionRule::default(),
            idempotency_ttl: Duration::hours(24),
            audit_retention: Duration::days(3 * 365),
            backup_window_days: 35,
            reveal_limit_per_hour: 200,
            ttl_grace: Duration::days(7),
            disposal_retention: Duration::days(3650),
            purge_concurrency: 8,
        }
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub status: u16,
    /// JSON of the record's metadata.
    pub body: String,
    pub replayed: bool,
}

#[derive(Debug)]
pub struct Revealed {
    pub record_id: RecordId,
    pub purpose: Purpose,
    pub number: MyNumber,
}

/// Everything the vault needs from storage.
pub trait Store: RecordStore + RetentionStore {}
impl<T: RecordStore + RetentionStore> Store for T {}

pub struct Vault {
    pub(crate) store: Arc<dyn Store>,
    cipher: Arc<dyn NumberCipher>,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: VaultConfig,
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> VaultError {
    tracing::error!(error = %e, "dependency failed");
    VaultError::Unavailable
}

fn cipher_failed(e: CipherError) -> VaultError {
    match e {
        CipherError::Rejected => {
            tracing::error!("ciphertext rejected under its encryption context");
        }
        CipherError::Unavailable(msg) => tracing::error!(error = %msg, "cipher failed"),
    }
    VaultError::Unavailable
}

impl Vault {
    pub fn new(
        store: Arc<dyn Store>,
        cipher: Arc<dyn NumberCipher>,
        audit: Arc<dyn AuditSink>,
        clock: Arc<dyn Clock>,
        config: VaultConfig,
    ) -> Self {
        Vault {
            store,
            cipher,
            audit,
            clock,
            config,
        }
    }

    pub fn config(&self) -> &VaultConfig {
        &self.config
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn authorize<'c>(
        &self,
        caller: &'c Caller,
        action: Action,
    ) -> Result<&'c Principal, VaultError> {
        let principal = caller
            .principal
            .as_ref()
            .ok_or(VaultError::Unauthenticated)?;
        if principal.may(action) {
            Ok(principal)
        } else {
            Err(VaultError::Forbidden(Forbidden::WrongRole))
        }
    }

    /// Runs one use case for `caller`: authorises `action`, runs `body` with the audit
    /// event to fill in, the principal and the time, and emits the event however it ends.
    pub(crate) async fn audited<T>(
        &self,
        kind: AuditKind,
        action: Action,
        caller: &Caller,
        body: impl AsyncFnOnce(&mut AuditEvent, &Principal, DateTime<Utc>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let now = self.clock.now();
        let mut event = AuditEvent::new(kind, Some(action), caller, now);
        let result = match self.authorize(caller, action) {
            Ok(principal) => body(&mut event, principal, now).await,
            Err(e) => Err(e),
        };
        self.finish(event, &result);
        result
    }

    fn finish<T>(&self, mut event: AuditEvent, result: &Result<T, VaultError>) {
        if let Err(e) = result {
            event.outcome = e.outcome();
            event.reason = Some(e.into());
            if event.outcome == Outcome::Denied {
                event.event = AuditKind::Denied;
            }
        }
        self.audit.emit(&event);
    }

    /// `POST /v1/records`.
    pub async fn register(
        &self,
        caller: &Caller,
        input: Result<(Registration, Option<IdempotencyRequest>), VaultError>,
    ) -> Result<Registered, VaultError> {
        self.audited(
            AuditKind::Intake,
            Action::RegisterRecord,
            caller,
            async |event, principal, now| {
                let registered = self
                    .register_inner(caller, principal, input, now, event)
                    .await;
                if let Ok(r) = &registered
                    && r.replayed
                {
                    event.outcome = Outcome::Replayed;
                }
                registered
            },
        )
        .await
    }

    async fn register_inner(
        &self,
        caller: &Caller,
        principal: &Principal,
        input: Result<(Registration, Option<IdempotencyRequest>), VaultError>,
        now: DateTime<Utc>,
        event: &mut AuditEvent,
    ) -> Result<Registered, VaultError> {
        let (reg, idem) = input?;
        let tenant = &principal.tenant;
        let today = jst_today(now);
        event.employee_id = Some(reg.employee_id.clone());
        event.relation = Some(reg.relation.code());

        // Cross-field rules of §2.2, which need the relation, purposes and today.
        let mut number = None;
        let planned = match reg.content {
            RegistrationContent::Number {
                number: n,
                number_check,
                identity_check,
                verified_by,
                verified_on,
            } => {
                let verified_by = verified_by.unwrap_or_else(|| principal.sub.clone());
                let v = Verification::check(
                    &reg.relation,
                    &reg.purposes,
                    number_check,
                    identity_check,
                    verified_by,
                    verified_on,
                    today,
                )
                .map_err(|(field, rule)| VaultError::invalid(field, rule.code()))?;
                number = Some(n);
                Ok(v)
            }
            RegistrationContent::Refusal {
                reason,
                requested_on,
            } => {
                event.event = AuditKind::RefusalRecorded;
                Err(Refusal::new(&reason, requested_on, today)
                    .map_err(|(field, rule)| VaultError::invalid(field, rule.code()))?)
            }
        };

        // The key's digest and the number's MAC: two KMS calls, made at once.
        let (digest, fingerprint) = match &idem {
            None => (None, None),
            Some(req) => {
                let number_mac = async {
                    match &number {
                        Some(n) => self.cipher.fingerprint(tenant, n).await.map(Some),
                        None => Ok(None),
                    }
                };
                let (digest, mac) =
                    futures::join!(self.cipher.key_digest(tenant, &req.key), number_mac);
                let mut h = Sha256::new();
                h.update(req.digest_without_number);
                match mac.map_err(cipher_failed)? {
                    Some(mac) => {
                        h.update(b"number:");
                        h.update(mac);
                    }
                    None => h.update(b"refusal"),
                }
                (
                    Some(digest.map_err(cipher_failed)?),
                    Some(h.finalize().to_vec()),
                )
            }
        };
        if let (Some(key), Some(fp)) = (&digest, &fingerprint)
            && let Some(entry) = self
                .store
                .idempotency(tenant, key, now)
                .await
                .map_err(unavailable)?
        {
            return replay(entry, fp);
        }

        let slot = match reg.relation.slot() {
            None => SlotChange::None,
            Some(slot) => {
                match self
                    .store
                    .slot_holder(tenant, &reg.employee_id, slot)
                    .await
                    .map_err(unavailable)?
                {
                    None => SlotChange::Claim,
                    Some(old_id) => match self
                        .store
                        .get_record(tenant, &old_id)
                        .await
                        .map_err(unavailable)?
                    {
                        // The holder is gone without a disposal through the vault (TTL,
                        // the backstop, deleted it): take the slot over, conditionally.
                        None => SlotChange::Reclaim { missing: old_id },
                        Some(old) => {
                            let reason = if old.is_gone(today) {
                                // Past due is gone: registering again needs no replace flag.
                                DisposalReason::RetentionEnded
                            } else if reg.replace {
                                DisposalReason::Replaced
                            } else {
                                let (key, fp) = (digest.as_ref(), fingerprint.as_deref());
                                return self
                                    .replay_or(tenant, key, fp, now, Conflict::RecordExists)
                                    .await;
                            };
                            event.replaced_record_id = Some(old.record_id.clone());
                            let disposal = DisposalRecord::for_record(
                                &old,
                                reason,
                                Disposer::Principal(principal.sub.clone()),
                                now,
                                self.config.backup_window_days,
                            );
                            SlotChange::Replace {
                                old: Box::new(old),
                                disposal: Box::new(disposal),
                            }
                        }
                    },
                }
            }
        };

        // A record registered after the employee's departure is due when the others are.
        let employee_departure = self
            .store
            .employee_departure(tenant, &reg.employee_id)
            .await
            .map_err(unavailable)?;
        let departure = employee_departure.filter(|d| !d.is_past_due(today));

        let record_id = RecordId::new_random();
        event.record_id = Some(record_id.clone());
        let content = match (planned, number) {
            (Ok(verification), Some(number)) => {
                let ciphertext = self
                    .cipher
                    .encrypt(tenant, &record_id, &number)
                    .await
                    .map_err(cipher_failed)?;
                Content::Active {
                    verification,
                    ciphertext,
                }
            }
            (Err(refusal), _) => Content::Refused { refusal },
            (Ok(_), None) => unreachable!("a verification is only planned with a number"),
        };
        let record = Record {
            record_id,
            tenant_id: tenant.clone(),
            employee_id: reg.employee_id,
            relation: reg.relation,
            purposes: reg.purposes,
            content,
            created_at: now,
            created_by: principal.sub.clone(),
            departure,
            version: 1,
        };
        let body = serde_json::to_string(&record.view()).expect("views serialize");
        let idempotency = match (digest, fingerprint) {
            (Some(key), Some(fp)) => Some(IdempotencyEntry {
                key,
                fingerprint: fp,
                status: 201,
                body: body.clone(),
                expires_at: now + self.config.idempotency_ttl,
            }),
            _ => None,
        };
        let replaced = match &slot {
            SlotChange::Replace { disposal, .. } => Some((**disposal).clone()),
            _ => None,
        };
        let key = idempotency
            .as_ref()
            .map(|e| (e.key.clone(), e.fingerprint.clone()));
        match self
            .store
            .create_record(NewRecord {
                record,
                slot,
                idempotency,
                employee_departure,
            })
            .await
        {
            Ok(()) => {}
            Err(CreateError::SlotTaken) => {
                let (key, fp) = match &key {
                    Some((k, fp)) => (Some(k), Some(fp.as_slice())),
                    None => (None, None),
                };
                return self
                    .replay_or(tenant, key, fp, now, Conflict::RecordExists)
                    .await;
            }
            Err(CreateError::ReplacedChanged | CreateError::DepartureChanged) => {
                return Err(VaultError::Conflict(Conflict::Concurrent));
            }
            Err(CreateError::IdempotencyKeyUsed) => {
                // A twin request won the race: answer as it did, or 422 if it differed.
                let (key, fp) = key.expect("only with a key");
                let entry = self
                    .store
                    .idempotency(tenant, &key, now)
                    .await
                    .map_err(unavailable)?
                    .ok_or(VaultError::Conflict(Conflict::Concurrent))?;
                return replay(entry, &fp);
            }
            Err(CreateError::Unavailable(e)) => return Err(unavailable(e)),
        }
        if let Some(disposal) = replaced {
            let mut d = AuditEvent::new(
                AuditKind::Disposal,
                Some(Action::RegisterRecord),
                caller,
                now,
            );
            d.record_id = Some(disposal.record_id.clone());
            d.employee_id = Some(disposal.employee_id.clone());
            d.relation = Some(disposal.relation);
            d.reason = Some(disposal.reason.into());
            self.audit.emit(&d);
        }
        Ok(Registered {
            status: 201,
            body,
            replayed: false,
        })
    }

    /// The record as every read sees it: absent, another tenant's and past due are all
    /// `NotFound`.
    pub(crate) async fn live_record(
        &self,
        tenant: &crate::ids::TenantId,
        record_id: &RecordId,
        now: DateTime<Utc>,
    ) -> Result<Record, VaultError> {
        self.store
            .get_record(tenant, record_id)
            .await
            .map_err(unavailable)?
            .filter(|r| !r.is_gone(jst_today(now)))
            .ok_or(VaultError::NotFound)
    }

    /// A conflict, unless a twin of this request (same key) committed first: then its
    /// answer, or 422 if the twin's body differed.
    async fn replay_or(
        &self,
        tenant: &crate::ids::TenantId,
        key: Option<&KeyDigest>,
        fingerprint: Option<&[u8]>,
        now: DateTime<Utc>,
        conflict: Conflict,
    ) -> Result<Registered, VaultError> {
        if let (Some(key), Some(fp)) = (key, fingerprint)
            && let Some(entry) = self
                .store
                .idempotency(tenant, key, now)
                .await
                .map_err(unavailable)?
        {
            return replay(entry, fp);
        }
        Err(VaultError::Conflict(conflict))
    }

    /// `GET /v1/records?employee_id=…`: metadata only, past-due records left out.
    pub async fn list_records(
        &self,
        caller: &Caller,
        input: Result<(EmployeeId, PageRequest), VaultError>,
    ) -> Result<Page<RecordView>, VaultError> {
        self.audited(
            AuditKind::List,
            Action::ListRecords,
            caller,
            async |event, principal, now| {
                let (employee, page) = input?;
                event.employee_id = Some(employee.clone());
                let page = self
                    .store
                    .list_records(&principal.tenant, &employee, &page)
                    .await
                    .map_err(|e| match e {
                        ListError::BadCursor => {
                            VaultError::Invalid(vec![FieldError::new("cursor", "cursor")])
                        }
                        ListError::Unavailable(e) => unavailable(e),
                    })?;
                let today = jst_today(now);
                let items: Vec<RecordView> = page
                    .items
                    .iter()
                    .filter(|r| !r.is_gone(today))
                    .map(Record::view)
                    .collect();
                event.count = Some(items.len() as u64);
                Ok(Page {
                    items,
                    next_cursor: page.next_cursor,
                })
            },
        )
        .await
    }

    /// `POST /v1/records/{id}/reveal`: handler only, purpose bound, and the number only
    /// after the reveal's audit record is durably stored.
    pub async fn reveal(
        &self,
        caller: &Caller,
        input: Result<(RecordId, Purpose), VaultError>,
    ) -> Result<Revealed, VaultError> {
        self.audited(
            AuditKind::Reveal,
            Action::RevealNumber,
            caller,
            async |event, principal, now| {
                let (record_id, purpose) = input?;
                event.record_id = Some(record_id.clone());
                event.purpose = Some(purpose);
                let record = self.live_record(&principal.tenant, &record_id, now).await?;
                event.employee_id = Some(record.employee_id.clone());
                event.relation = Some(record.relation.code());
                if !record.purposes.permits(purpose) {
                    return Err(VaultError::Forbidden(Forbidden::PurposeNotStated));
                }
                let Content::Active { ciphertext, .. } = &record.content else {
                    return Err(VaultError::Conflict(Conflict::NoNumber));
                };
                let hour = now
                    .duration_trunc(Duration::hours(1))
                    .expect("an hour divides any timestamp");
                if !self
                    .store
                    .take_reveal_quota(
                        &principal.tenant,
                        &principal.sub,
                        hour,
                        self.config.reveal_limit_per_hour,
                    )
                    .await
                    .map_err(unavailable)?
                {
                    return Err(VaultError::Throttled);
                }
                // Fail closed: no durable trail, no number.
                let mut trail = event.clone();
                trail.outcome = Outcome::Authorized;
                self.store
                    .append_audit(&trail, now + self.config.audit_retention)
                    .await
                    .map_err(|e: Unavailable| unavailable(e))?;
                let number = self
                    .cipher
                    .decrypt(&principal.tenant, &record_id, ciphertext)
                    .await
                    .map_err(cipher_failed)?;
                Ok(Revealed {
                    record_id,
                    purpose,
                    number,
                })
            },
        )
        .await
    }
}

fn replay(entry: IdempotencyEntry, fingerprint: &[u8]) -> Result<Registered, VaultError> {
    if entry.fingerprint == fingerprint {
        Ok(Registered {
            status: entry.status,
            body: entry.body,
            replayed: true,
        })
    } else {
        Err(VaultError::IdempotencyMismatch)
    }
}

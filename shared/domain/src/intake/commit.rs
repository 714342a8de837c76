//! A registration's last step: the slot it takes and the one transaction that writes the
//! record, its slot, its number's claim and its idempotency entry, a lost race read as the
//! answer it stands for.

use super::*;

impl IntakeService {
    pub(crate) async fn slot_change_of(
        &self,
        principal: &Principal,
        employee_id: &EmployeeId,
        relation: &Relation,
        replace: bool,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<SlotChange>, VaultError> {
        let tenant = &principal.tenant;
        let Some(slot) = relation.slot() else {
            return Ok(Some(SlotChange::None));
        };
        let Some(old_id) = self.store.slot_holder(tenant, employee_id, slot).await? else {
            return Ok(Some(SlotChange::Claim));
        };
        let Some(old) = self.store.get_record(tenant, &old_id).await? else {
            // The holder is gone without a disposal through the vault (TTL, the
            // backstop, deleted it): take the slot over, conditionally.
            return Ok(Some(SlotChange::Reclaim { missing: old_id }));
        };
        let reason = if old.is_gone(today) {
            // Past due is gone: registering again needs no replace flag.
            DisposalReason::RetentionEnded
        } else if replace && matches!(old.content, Content::Pending { .. }) {
            // Its photos are the review's to delete: reject the submission first.
            return Err(VaultError::Conflict(Conflict::PendingReview));
        } else if replace {
            DisposalReason::Replaced
        } else {
            return Ok(None);
        };
        let disposal = DisposalRecord::for_record(
            &old,
            reason,
            Disposer::Principal(principal.sub.clone()),
            now,
            self.core.config.backup_window_days,
        );
        Ok(Some(SlotChange::Replace {
            old: Box::new(old),
            disposal: Box::new(disposal),
            free_claim: true,
        }))
    }

    /// Writes the record, its slot change, its number's index entry and claim, and its
    /// idempotency entry at once, and reads a lost race as the answer it stands for. The
    /// 201 names the number's other records (`same_number_as`): read before when the
    /// answer is stored for replays, beside the write when it is not.
    pub(crate) async fn commit(
        &self,
        caller: &Caller,
        pending: Pending,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Registered, VaultError> {
        let Pending {
            record,
            mut slot,
            idem,
            employee_departure,
            holders,
        } = pending;
        let tenant = record.tenant_id.clone();
        let view = record.view();
        let same_before = holders
            .as_ref()
            .map(|h| same_number_as(h, &record.record_id));
        // Stored for replays, the answer is written before the record is.
        let body_before = same_before.as_ref().map(|same| {
            serde_json::to_string(&RegisteredView {
                record: view.clone(),
                same_number_as: same.clone(),
            })
            .expect("views serialize")
        });
        let replaced = match &slot {
            SlotChange::Replace { disposal, .. } => Some((**disposal).clone()),
            _ => None,
        };
        let idempotency = match (&idem, &body_before) {
            (Some(idem), Some(body)) => Some(IdempotencyEntry {
                key: idem.key.clone(),
                fingerprint: idem.fingerprint.clone(),
                body: body.clone(),
                expires_at: now + self.core.config.idempotency_ttl,
            }),
            _ => None,
        };
        let mut claim = match (&record.relation, &record.number_key) {
            (Relation::OwnNumber, Some(_)) => NumberClaim::Take,
            _ => NumberClaim::None,
        };
        let key = record.number_key.clone();
        let (written, holders) = loop {
            let new = NewRecord {
                record: record.clone(),
                slot: slot.clone(),
                claim: claim.clone(),
                idempotency: idempotency.clone(),
                employee_departure,
            };
            let (written, holders) = match &holders {
                Some(h) => (self.store.create_record(new).await, Ok(h.clone())),
                None => futures::join!(
                    self.store.create_record(new),
                    self.holders(&tenant, key.as_ref())
                ),
            };
            match &written {
                Err(CreateError::DuplicateNumber) => {
                    let key = key.as_ref().expect("only numbers are claimed");
                    claim = self.take_over(&tenant, key, &claim, today).await?;
                }
                // The replaced record's claim moved to another employee's record after it
                // fell past due: replace it without freeing the claim, once.
                Err(CreateError::OldClaimMoved) if slot.frees_old_claim() => {
                    slot = slot.keeping_old_claim();
                }
                _ => break (written, holders),
            }
        };
        if let Err(e) = written {
            return self.lost_race(e, &tenant, idem.as_ref(), now).await;
        }
        if let Some(disposal) = replaced {
            self.core.emit(&AuditEvent::disposal(
                &disposal,
                caller,
                Some(Action::RegisterRecord),
                now,
            ));
        }
        let same_number_as = match same_before {
            Some(same) => same,
            // Written: a failed read of the index costs the answer its list, not the record.
            None => holders
                .map(|h| same_number_as(&h, &record.record_id))
                .unwrap_or_default(),
        };
        Ok(Registered::Created(Box::new(RegisteredView {
            record: view,
            same_number_as,
        })))
    }

    /// Another employee's record claims the number: a duplicate, unless that record is
    /// gone (past due, or deleted by TTL before the purge), whose claim is then taken over,
    /// once.
    async fn take_over(
        &self,
        tenant: &TenantId,
        key: &NumberKey,
        claim: &NumberClaim,
        today: NaiveDate,
    ) -> Result<NumberClaim, VaultError> {
        let holder = self.store.number_holders(tenant, key).await?.own_number;
        let Some(holder) = holder else {
            return Err(VaultError::Conflict(Conflict::Concurrent));
        };
        let gone = match self.store.get_record(tenant, &holder.record_id).await? {
            None => true,
            Some(r) => r.is_gone(today),
        };
        if !gone || matches!(claim, NumberClaim::TakeOver { .. }) {
            return Err(VaultError::DuplicateNumber(holder.employee_id));
        }
        Ok(NumberClaim::TakeOver {
            gone: holder.record_id,
        })
    }

    /// The answer to a transaction that lost a race: a twin request's answer where there
    /// is one (the same key, or the slot it took), a conflict otherwise.
    async fn lost_race(
        &self,
        e: CreateError,
        tenant: &TenantId,
        idem: Option<&Idem>,
        now: DateTime<Utc>,
    ) -> Result<Registered, VaultError> {
        match e {
            CreateError::SlotTaken => self.replay_or_conflict(tenant, idem, now).await,
            CreateError::ReplacedChanged
            | CreateError::DepartureChanged
            | CreateError::CollectionChanged
            | CreateError::DuplicateNumber
            | CreateError::OldClaimMoved => Err(VaultError::Conflict(Conflict::Concurrent)),
            // A twin request won the race: answer as it did, or 422 if it differed.
            CreateError::IdempotencyKeyUsed => self
                .earlier_answer(tenant, idem, now)
                .await?
                .unwrap_or(Err(VaultError::Conflict(Conflict::Concurrent))),
            CreateError::Unavailable(e) => Err(e.into()),
        }
    }
}

/// A registration ready to be written: the record and what its transaction checks.
pub(crate) struct Pending {
    pub(crate) record: Record,
    pub(crate) slot: SlotChange,
    pub(crate) idem: Option<Idem>,
    pub(crate) employee_departure: Option<Departure>,
    /// The number's index entries, when read before the write.
    pub(crate) holders: Option<NumberHolders>,
}

/// The other records under the same number (SPEC §4b `same_number_as`).
pub(crate) fn same_number_as(holders: &NumberHolders, own: &RecordId) -> Vec<SameNumber> {
    holders
        .records
        .iter()
        .filter(|h| &h.record_id != own)
        .map(|h| SameNumber {
            record_id: h.record_id.clone(),
            employee_id: h.employee_id.clone(),
            relation: h.relation,
        })
        .collect()
}

/// A record holding the same number as the one just registered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SameNumber {
    pub record_id: RecordId,
    pub employee_id: EmployeeId,
    pub relation: crate::record::RelationKind,
}

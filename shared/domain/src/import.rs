//! Bulk import (SPEC §4b): many registrations at once, each row under exactly the rules of
//! a single intake, each row alone (a bad row fails alone), and each row idempotent by its
//! number: a row whose employee already holds its number under its relation is
//! `unchanged`, so posting a file again — also after a post cut off half-way — creates
//! nothing twice. Part of intake: it encrypts and MACs, never decrypts.

use crate::access::Action;
use crate::audit::{AuditEvent, AuditKind, Caller, Reason};
use crate::error::{Conflict, FieldError, VaultError};
use crate::ids::{EmployeeId, NumberKey, RecordId};
use crate::intake::{IntakeService, Pending};
use crate::number::MyNumber;
use crate::ports::{MatchScope, NumberHolders, SlotChange};
use crate::purpose::PurposeSet;
use crate::record::{Content, Record, Relation, Source};
use crate::retention::jst_today;
use crate::usecase::Authorised;
use crate::usecase::hour_of;
use crate::verification::{IdentityCheck, NumberCheck, Verification};
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use serde::Serialize;
use std::collections::HashMap;

crate::usecase::operations! {
    Import = (Import, RegisterRecord);
}

/// At most this many rows a request (SPEC §4b).
pub const MAX_ROWS: usize = 1000;

/// The columns of SPEC §4b, by their API names.
pub const COLUMNS: [&str; 8] = [
    "employee_id",
    "relation",
    "dependent_label",
    "my_number",
    "purposes",
    "number_check",
    "identity_check",
    "verified_on",
];

/// Header names accepted for each column besides its API name: what HR teams name these
/// fields in kintone apps and payroll exports.
pub const COLUMN_ALIASES: &[(&str, &str)] = &[
    ("社員番号", "employee_id"),
    ("従業員番号", "employee_id"),
    ("社員ID", "employee_id"),
    ("従業員ID", "employee_id"),
    ("区分", "relation"),
    ("対象者", "relation"),
    ("本人・家族区分", "relation"),
    ("続柄", "dependent_label"),
    ("扶養親族の続柄", "dependent_label"),
    ("マイナンバー", "my_number"),
    ("個人番号", "my_number"),
    ("利用目的", "purposes"),
    ("番号確認", "number_check"),
    ("番号確認書類", "number_check"),
    ("身元確認", "identity_check"),
    ("身元確認書類", "identity_check"),
    ("確認日", "verified_on"),
    ("本人確認日", "verified_on"),
];

/// The column a header cell names (by its index in `COLUMNS`), by API name or alias; a
/// BOM and surrounding spaces are ignored.
pub fn column_of(name: &str) -> Option<usize> {
    let name = name.trim().trim_start_matches('\u{feff}');
    let api = COLUMN_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, c)| c);
    COLUMNS.iter().position(|c| *c == api)
}

/// Employees whose rows are processed at once. Each employee's rows run one after
/// another: their transactions share the employee's revision item, and DynamoDB cancels
/// concurrent transactions on one item.
const CONCURRENT_EMPLOYEES: usize = 24;

/// One parsed data row: its 1-based line in the file (the header is row 1), and the
/// registration or every field that broke a rule.
#[derive(Debug)]
pub struct ImportRow {
    pub row: u32,
    pub parsed: Result<RowRegistration, Vec<FieldError>>,
}

/// What a row asks for: a number with its verification, as a single intake would.
#[derive(Debug)]
pub struct RowRegistration {
    pub employee_id: EmployeeId,
    pub relation: Relation,
    pub purposes: PurposeSet,
    pub number: MyNumber,
    pub number_check: NumberCheck,
    pub identity_check: IdentityCheck,
    pub verified_on: NaiveDate,
}

#[derive(Debug)]
pub struct ImportRequest {
    pub dry_run: bool,
    pub rows: Vec<ImportRow>,
}

crate::words::vocabulary! {
    pub enum RowStatus {
        /// Written (or, in a dry run, would be).
        Created = "created",
        /// The employee already holds this number under this relation: nothing written.
        Unchanged = "unchanged",
        Failed = "failed",
    }
}

/// One row's outcome; never a number.
#[derive(Debug, Clone, Serialize)]
pub struct RowOutcome {
    pub row: u32,
    pub status: RowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<RecordId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// On a `duplicate_number` failure: the employee whose own number it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<EmployeeId>,
}

impl RowOutcome {
    fn failed(row: u32, errors: Vec<FieldError>) -> Self {
        RowOutcome {
            row,
            status: RowStatus::Failed,
            record_id: None,
            errors,
            duplicate_of: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Rows that matched a stored number (counted against the hour's matches).
    #[serde(skip)]
    pub matched: u32,
    pub dry_run: bool,
    pub created: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub rows: Vec<RowOutcome>,
}

/// A row whose own rules hold, with its verification and, once MACed, its number's key.
struct Planned {
    row: u32,
    employee_id: EmployeeId,
    relation: Relation,
    purposes: PurposeSet,
    number: MyNumber,
    verification: Verification,
    key: NumberKey,
}

impl IntakeService {
    /// `POST /v1/imports`: every row checked, MACed and (unless a dry run) written, rows of
    /// different employees at once. One `intake` event per created row, one `import`
    /// event with the counts.
    pub async fn import(
        &self,
        auth: Authorised<'_, ops::Import>,
        input: ImportRequest,
    ) -> Result<ImportReport, VaultError> {
        let caller = auth.caller();
        auth.run(async |event, principal, now| {
            let request = input;
            event.dry_run = Some(request.dry_run);
            // Every row is reserved as a match before anything is read (imports at
            // once cannot pass the limit together), and what did not match is given
            // back after: past the hour's matches, nothing is read, since each match
            // says whose a number is.
            let reserved = u32::try_from(request.rows.len()).unwrap_or(u32::MAX);
            let hour = hour_of(now);
            self.store
                .admit_matches(
                    &principal.tenant,
                    &principal.sub,
                    MatchScope::Intake,
                    hour,
                    reserved,
                    self.core.config.match_limit_per_hour,
                )
                .await?;
            let report = self.import_rows(caller, principal, request, now).await;
            // A failed import answered no row; a lost give-back only over-counts.
            let matched = report.as_ref().map_or(0, |r| r.matched);
            let unused = reserved.saturating_sub(matched);
            if unused > 0
                && let Err(e) = self
                    .store
                    .release_matches(
                        &principal.tenant,
                        &principal.sub,
                        MatchScope::Intake,
                        hour,
                        unused,
                    )
                    .await
            {
                tracing::warn!(error = %e.0, "unused matches not given back");
            }
            let report = report?;
            event.count = Some(report.created);
            event.unchanged = Some(report.unchanged);
            event.failed = Some(report.failed);
            Ok(report)
        })
        .await
    }

    async fn import_rows(
        &self,
        caller: &Caller,
        principal: &crate::access::Principal,
        request: ImportRequest,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, VaultError> {
        let today = jst_today(now);
        let tenant = &principal.tenant;
        let mut outcomes = Vec::with_capacity(request.rows.len());
        // The rules of a single intake, then each number's MAC (at once, bounded).
        let mut checked = Vec::new();
        for row in request.rows {
            let reg = match row.parsed {
                Ok(reg) => reg,
                Err(errors) => {
                    outcomes.push(RowOutcome::failed(row.row, errors));
                    continue;
                }
            };
            match Verification::check(
                &reg.relation,
                &reg.purposes,
                reg.number_check,
                reg.identity_check,
                principal.sub.clone(),
                reg.verified_on,
                today,
            ) {
                Ok(verification) => checked.push((row.row, reg, verification)),
                Err((field, rule)) => {
                    // The file's columns are the verification's fields themselves.
                    let field = field.strip_prefix("verification.").unwrap_or(field);
                    outcomes.push(RowOutcome::failed(
                        row.row,
                        vec![FieldError::new(field, rule.code())],
                    ));
                }
            }
        }
        let macs: Vec<_> = futures::stream::iter(
            checked
                .iter()
                .map(|(_, reg, _)| self.cipher.fingerprint(tenant, &reg.number))
                .collect::<Vec<_>>(),
        )
        .buffered(CONCURRENT_EMPLOYEES)
        .collect()
        .await;
        let mut planned = Vec::with_capacity(checked.len());
        for ((row, reg, verification), mac) in checked.into_iter().zip(macs) {
            planned.push(Planned {
                row,
                employee_id: reg.employee_id,
                relation: reg.relation,
                purposes: reg.purposes,
                number: reg.number,
                verification,
                key: NumberKey::from_mac(&mac?),
            });
        }
        let planned = within_file(planned, &mut outcomes);
        // By employee, in file order within each.
        let mut groups: Vec<Vec<Planned>> = Vec::new();
        let mut group_of: HashMap<EmployeeId, usize> = HashMap::new();
        for p in planned {
            let i = *group_of.entry(p.employee_id.clone()).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[i].push(p);
        }
        let dry_run = request.dry_run;
        // Boxed as `Send` futures: a stream of unboxed async blocks borrowing `self` trips
        // the compiler's higher-ranked `Send` check in the Lambda runtime's service.
        let work: Vec<futures::future::BoxFuture<'_, Vec<RowOutcome>>> = groups
            .into_iter()
            .map(|group| {
                Box::pin(async move {
                    let mut out = Vec::with_capacity(group.len());
                    for p in group {
                        out.push(self.import_row(caller, principal, p, dry_run, now).await);
                    }
                    out
                }) as futures::future::BoxFuture<'_, Vec<RowOutcome>>
            })
            .collect();
        let done: Vec<Vec<RowOutcome>> = futures::stream::iter(work)
            .buffer_unordered(CONCURRENT_EMPLOYEES)
            .collect()
            .await;
        let done: Vec<RowOutcome> = done.into_iter().flatten().collect();
        let matched = done
            .iter()
            .filter(|o| o.status == RowStatus::Unchanged || o.duplicate_of.is_some())
            .count();
        outcomes.extend(done);
        outcomes.sort_by_key(|o| o.row);
        let count = |s: RowStatus| outcomes.iter().filter(|o| o.status == s).count() as u64;
        Ok(ImportReport {
            matched: u32::try_from(matched).unwrap_or(u32::MAX),
            dry_run,
            created: count(RowStatus::Created),
            unchanged: count(RowStatus::Unchanged),
            failed: count(RowStatus::Failed),
            rows: outcomes,
        })
    }

    /// One row: its slot, the employee's departure, the number's index and the Encrypt
    /// at once, then its own transaction.
    async fn import_row(
        &self,
        caller: &Caller,
        principal: &crate::access::Principal,
        p: Planned,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> RowOutcome {
        let row = p.row;
        let employee_id = p.employee_id.clone();
        let relation = p.relation.kind();
        let outcome = match self
            .import_row_steps(caller, principal, p, dry_run, now)
            .await
        {
            Ok(outcome) => outcome,
            Err(e) => RowOutcome {
                duplicate_of: match &e {
                    VaultError::DuplicateNumber(other) => Some(other.clone()),
                    _ => None,
                },
                ..RowOutcome::failed(row, row_errors(&e))
            },
        };
        // A stored number matched: whose it is goes to the audit trail.
        let matched = match (&outcome.status, &outcome.duplicate_of) {
            (RowStatus::Unchanged, _) => Some((employee_id, None)),
            (_, Some(other)) => Some((other.clone(), Some(Reason::DuplicateNumber))),
            _ => None,
        };
        if let Some((whose, reason)) = matched {
            let mut event = AuditEvent::new(
                AuditKind::NumberMatched,
                Some(Action::RegisterRecord),
                caller,
                now,
            );
            event.employee_id = Some(whose);
            event.record_id = outcome.record_id.clone();
            event.relation = reason.is_none().then_some(relation);
            event.reason = reason;
            event.dry_run = Some(dry_run);
            self.core.emit(&event);
        }
        outcome
    }

    async fn import_row_steps(
        &self,
        caller: &Caller,
        principal: &crate::access::Principal,
        p: Planned,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<RowOutcome, VaultError> {
        let tenant = &principal.tenant;
        let today = jst_today(now);
        let row = p.row;
        let record_id = RecordId::new_random();
        let ciphertext = async {
            if dry_run {
                Ok(None)
            } else {
                self.cipher
                    .encrypt(tenant, &record_id, &p.number)
                    .await
                    .map(Some)
            }
        };
        let (slot, departure, holders, ciphertext) = futures::join!(
            self.slot_for(principal, &p.employee_id, &p.relation, today, now),
            self.store.employee_departure(tenant, &p.employee_id),
            self.holders(tenant, Some(&p.key)),
            ciphertext,
        );
        let holders = holders?;
        if let Some(same) = holders
            .records
            .iter()
            .find(|h| h.employee_id == p.employee_id && h.relation == p.relation.kind())
        {
            return Ok(RowOutcome {
                row: p.row,
                status: RowStatus::Unchanged,
                record_id: Some(same.record_id.clone()),
                errors: Vec::new(),
                duplicate_of: None,
            });
        }
        let slot = slot?.ok_or(VaultError::Conflict(Conflict::RecordExists))?;
        let employee_departure = departure?;
        if dry_run {
            self.duplicate_before_write(tenant, &p, &holders, today)
                .await?;
            return Ok(RowOutcome {
                row: p.row,
                status: RowStatus::Created,
                record_id: None,
                errors: Vec::new(),
                duplicate_of: None,
            });
        }
        let record = Record {
            record_id: record_id.clone(),
            tenant_id: tenant.clone(),
            employee_id: p.employee_id,
            relation: p.relation,
            purposes: p.purposes,
            content: Content::Active {
                verification: p.verification,
                ciphertext: ciphertext?.expect("encrypted unless a dry run"),
            },
            source: Source::Registrar,
            created_at: now,
            created_by: principal.sub.clone(),
            departure: employee_departure.filter(|d| !d.is_past_due(today)),
            version: 1,
            number_key: Some(p.key),
        };
        let mut event = AuditEvent::new(
            AuditKind::Registration,
            Some(Action::RegisterRecord),
            caller,
            now,
        );
        event.record_id = Some(record_id.clone());
        event.employee_id = Some(record.employee_id.clone());
        event.relation = Some(record.relation.kind());
        self.commit(
            caller,
            Pending {
                record,
                slot,
                idem: None,
                employee_departure,
                holders: Some(holders),
            },
            today,
            now,
        )
        .await?;
        self.core.emit(&event);
        Ok(RowOutcome {
            row,
            status: RowStatus::Created,
            record_id: Some(record_id),
            errors: Vec::new(),
            duplicate_of: None,
        })
    }

    /// A dry run writes no claim, so it asks what the claim's condition would: is the
    /// number another employee's live own number?
    async fn duplicate_before_write(
        &self,
        tenant: &crate::ids::TenantId,
        p: &Planned,
        holders: &NumberHolders,
        today: NaiveDate,
    ) -> Result<(), VaultError> {
        let Some(holder) = &holders.own_number else {
            return Ok(());
        };
        if p.relation != Relation::OwnNumber || holder.employee_id == p.employee_id {
            return Ok(());
        }
        match self.store.get_record(tenant, &holder.record_id).await? {
            Some(r) if !r.is_gone(today) => {
                Err(VaultError::DuplicateNumber(holder.employee_id.clone()))
            }
            _ => Ok(()),
        }
    }

    /// The slot rules of intake without `replace` (an import never replaces).
    async fn slot_for(
        &self,
        principal: &crate::access::Principal,
        employee_id: &EmployeeId,
        relation: &Relation,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<SlotChange>, VaultError> {
        self.slot_change_of(principal, employee_id, relation, false, today, now)
            .await
    }
}

/// What a file says twice: the same person's number twice (the later row fails), two
/// employees' own numbers alike (`duplicate_number`, naming the first), or two numbers for
/// one employee's `self` or `spouse` (the later conflicts with the first).
fn within_file(planned: Vec<Planned>, outcomes: &mut Vec<RowOutcome>) -> Vec<Planned> {
    let mut own_numbers: HashMap<NumberKey, EmployeeId> = HashMap::new();
    let mut people: HashMap<(EmployeeId, &'static str, NumberKey), u32> = HashMap::new();
    let mut slots: HashMap<(EmployeeId, &'static str), u32> = HashMap::new();
    let mut kept = Vec::with_capacity(planned.len());
    for p in planned {
        let kind = p.relation.code();
        if people
            .insert((p.employee_id.clone(), kind, p.key.clone()), p.row)
            .is_some()
        {
            outcomes.push(RowOutcome::failed(
                p.row,
                vec![FieldError::new("my_number", "duplicate_in_file")],
            ));
            continue;
        }
        if p.relation.slot().is_some()
            && slots.insert((p.employee_id.clone(), kind), p.row).is_some()
        {
            outcomes.push(RowOutcome::failed(
                p.row,
                vec![FieldError::new("relation", "duplicate_in_file")],
            ));
            continue;
        }
        if p.relation == Relation::OwnNumber {
            if let Some(first) = own_numbers.get(&p.key) {
                outcomes.push(RowOutcome {
                    duplicate_of: Some(first.clone()),
                    ..RowOutcome::failed(
                        p.row,
                        vec![FieldError::new("my_number", "duplicate_number")],
                    )
                });
                continue;
            }
            own_numbers.insert(p.key.clone(), p.employee_id.clone());
        }
        kept.push(p);
    }
    kept
}

/// A row's failure as field errors: the API's codes, placed on the file's columns.
fn row_errors(e: &VaultError) -> Vec<FieldError> {
    match e {
        VaultError::Invalid(errors) => errors.clone(),
        VaultError::DuplicateNumber(_) => vec![FieldError::new("my_number", "duplicate_number")],
        VaultError::Conflict(Conflict::RecordExists) => {
            vec![FieldError::new("relation", "record_exists")]
        }
        other => vec![FieldError::new("row", other.code())],
    }
}

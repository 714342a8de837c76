//! Intake's share of SPEC §2.6: departures, re-hires and early disposal.

use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::error::{Conflict, VaultError};
use crate::ids::{EmployeeId, RecordId};
use crate::intake::IntakeService;
use crate::ports::{DepartureChange, Disposed, EmployeeRead, EmployeeRecords, UpdateError};
use crate::record::Content;
use crate::retention::jst_today;
use crate::usecase::Authorised;
use crate::usecase::live_record;
use chrono::{Duration, NaiveDate};
use serde::Serialize;

crate::usecase::operations! {
    RecordDeparture = (Departure, RecordDeparture);
    CancelDeparture = (DepartureCancelled, CancelDeparture);
    DisposeRecord = (Disposal, DisposeRecord);
}

/// The first day the My Number system issued numbers; no one left an employer holding
/// one before it.
pub const EARLIEST_LEFT_ON: NaiveDate = match NaiveDate::from_ymd_opt(2015, 10, 5) {
    Some(d) => d,
    None => panic!("a valid date"),
};

#[derive(Debug, Clone)]
pub struct DepartureInput {
    pub employee_id: EmployeeId,
    pub left_on: NaiveDate,
    pub last_declaration_year: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordDue {
    pub record_id: RecordId,
    /// Last day of retention; `null` once a departure is cancelled.
    pub due_at: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartureView {
    pub employee_id: EmployeeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_declaration_year: Option<i32>,
    pub records: Vec<RecordDue>,
}

/// How often a departure is read and tried: once from the index, then consistently as
/// often as an intake for the same employee commits between the read and the write,
/// before it answers 409.
const DEPARTURE_ATTEMPTS: usize = 4;

impl IntakeService {
    /// Reads the employee's records, lets `plan` choose the departure and the changes, and
    /// writes them conditioned on the employee's revision and each record's version; an
    /// intake in between (or a record read from an index that lagged) makes the write
    /// fail, and the whole is planned again from a consistent read.
    async fn with_employee_records(
        &self,
        tenant: &crate::ids::TenantId,
        employee: &EmployeeId,
        plan: impl Fn(
            &EmployeeRecords,
        )
            -> Result<(Option<crate::retention::Departure>, Vec<DepartureChange>), VaultError>,
    ) -> Result<Vec<DepartureChange>, VaultError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let how = if attempt == 1 {
                EmployeeRead::Quick
            } else {
                EmployeeRead::Consistent
            };
            let read = self.store.employee_records(tenant, employee, how).await?;
            let (departure, changes) = match plan(&read) {
                Ok(planned) => planned,
                // What an index copy showed may be behind: only a consistent read refuses.
                Err(_) if how == EmployeeRead::Quick => continue,
                Err(e) => return Err(e),
            };
            match self
                .store
                .set_departures(tenant, employee, departure, &changes, &read)
                .await
            {
                Ok(()) => return Ok(changes),
                Err(UpdateError::Concurrent) if attempt < DEPARTURE_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `POST /v1/employees/{id}/departure`: every live record of the employee gets the
    /// due date of §2.6, all at once.
    pub async fn record_departure(
        &self,
        auth: Authorised<'_, ops::RecordDeparture>,
        input: DepartureInput,
    ) -> Result<DepartureView, VaultError> {
        auth.run(async |event, principal, now| {
            let input = input;
            event.employee_id = Some(input.employee_id.clone());
            let today = jst_today(now);
            if input.left_on < EARLIEST_LEFT_ON || input.left_on > today + Duration::days(366) {
                return Err(VaultError::invalid("left_on", "range"));
            }
            let departure = self
                .core
                .config
                .retention
                .departure(input.left_on, input.last_declaration_year)
                .map_err(|r| VaultError::invalid("last_declaration_year", r.code()))?;
            let changes = self
                .with_employee_records(&principal.tenant, &input.employee_id, |read| {
                    let changes: Vec<DepartureChange> = read
                        .records
                        .iter()
                        .filter(|r| !r.is_gone(today))
                        .map(|record| DepartureChange {
                            record: record.clone(),
                            departure: Some(departure),
                        })
                        .collect();
                    if changes.is_empty() {
                        return Err(VaultError::NotFound);
                    }
                    Ok((Some(departure), changes))
                })
                .await?;
            event.count = Some(changes.len() as u64);
            Ok(DepartureView {
                employee_id: input.employee_id,
                left_on: Some(departure.left_on),
                last_declaration_year: departure.last_declaration_year,
                records: changes
                    .iter()
                    .map(|c| RecordDue {
                        record_id: c.record.record_id.clone(),
                        due_at: Some(departure.due_on),
                    })
                    .collect(),
            })
        })
        .await
    }

    /// `DELETE /v1/employees/{id}/departure`: re-hired within retention; records that are
    /// already gone stay gone.
    pub async fn cancel_departure(
        &self,
        auth: Authorised<'_, ops::CancelDeparture>,
        input: EmployeeId,
    ) -> Result<DepartureView, VaultError> {
        auth.run(async |event, principal, now| {
            let employee_id = input;
            event.employee_id = Some(employee_id.clone());
            let today = jst_today(now);
            let changes = self
                .with_employee_records(&principal.tenant, &employee_id, |read| {
                    let changes: Vec<DepartureChange> = read
                        .records
                        .iter()
                        .filter(|r| r.departure.is_some() && !r.is_gone(today))
                        .map(|record| DepartureChange {
                            record: record.clone(),
                            departure: None,
                        })
                        .collect();
                    // The employee's departure is cleared even when no live
                    // record carries it any more (all disposed of early):
                    // otherwise a re-hired employee's new records would inherit
                    // the old due date.
                    if changes.is_empty() && read.departure.is_none() {
                        return Err(VaultError::NotFound);
                    }
                    Ok((None, changes))
                })
                .await?;
            event.count = Some(changes.len() as u64);
            Ok(DepartureView {
                employee_id,
                left_on: None,
                last_declaration_year: None,
                records: changes
                    .iter()
                    .map(|c| RecordDue {
                        record_id: c.record.record_id.clone(),
                        due_at: None,
                    })
                    .collect(),
            })
        })
        .await
    }

    /// `DELETE /v1/records/{id}`: early disposal of a record no longer needed.
    pub async fn dispose_record(
        &self,
        auth: Authorised<'_, ops::DisposeRecord>,
        input: (RecordId, DisposalReason),
    ) -> Result<DisposalRecord, VaultError> {
        auth.run(async |event, principal, now| {
            let (record_id, reason) = input;
            event.record_id = Some(record_id.clone());
            let record = live_record(&*self.store, &principal.tenant, &record_id, now).await?;
            event.employee_id = Some(record.employee_id.clone());
            event.relation = Some(record.relation.kind());
            event.reason = Some(reason.into());
            // A submission's photos are the review's to delete (this role has no
            // storage access): it is rejected, which deletes them, not disposed of.
            if matches!(record.content, Content::Pending { .. }) {
                return Err(VaultError::Conflict(Conflict::PendingReview));
            }
            let disposal = DisposalRecord::for_record(
                &record,
                reason,
                Disposer::Principal(principal.sub.clone()),
                now,
                self.core.config.backup_window_days,
            );
            match self.store.dispose(&record.metadata(), &disposal).await? {
                Disposed::Now => Ok(disposal),
                // Gone, or changed meanwhile (say, a departure posted): tell them apart.
                Disposed::AlreadyGone => {
                    match self.store.get_record(&principal.tenant, &record_id).await? {
                        Some(_) => Err(VaultError::Conflict(Conflict::Concurrent)),
                        None => Err(VaultError::NotFound),
                    }
                }
            }
        })
        .await
    }
}

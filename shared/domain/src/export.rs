//! Exports for filings with four eyes (SPEC §4b): one handler asks for the numbers of a
//! purpose, another handler (or an admin) approves, and the requester downloads the file
//! once within an hour. Each number in the file is a reveal in the durable trail before
//! the file exists.

use crate::error::{FieldError, VaultError};
pub use crate::ids::ExportId;
use crate::ids::{EmployeeId, Subject, TenantId};
use crate::purpose::Purpose;
use crate::record::{Content, Record};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeSet;

/// Records one export may hold (SPEC §4b).
pub const MAX_EXPORT_RECORDS: usize = 10_000;
/// Employees one request may name.
pub const MAX_EXPORT_EMPLOYEES: usize = 1_000;
/// Days a request waits for its approval before it expires.
pub const APPROVAL_DAYS: i64 = 7;
/// Hours after the approval in which the requester may download the file.
pub const DOWNLOAD_HOURS: i64 = 1;

/// Whose records an export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These employees' records (at least one, at most `MAX_EXPORT_EMPLOYEES`).
    Employees(BTreeSet<EmployeeId>),
    /// Every employee's.
    All,
}

/// An approval: by whom (never the requester) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub by: Subject,
    pub at: DateTime<Utc>,
}

/// Where an export is in its life, as stored. `Downloaded` cannot exist without its
/// approval; an expired export keeps the approval it had, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    PendingApproval,
    Approved(Approval),
    Downloaded {
        approval: Approval,
        at: DateTime<Utc>,
    },
    Expired {
        approval: Option<Approval>,
    },
}

crate::words::vocabulary! {
    /// An export's status as callers see it (SPEC §4b).
    pub enum ExportStatus {
        PendingApproval = "pending_approval",
        Approved = "approved",
        Downloaded = "downloaded",
        /// Not approved within 7 days, or not downloaded within the hour after approval.
        Expired = "expired",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub tenant_id: TenantId,
    pub export_id: ExportId,
    pub purpose: Purpose,
    pub selection: Selection,
    /// Records the selection held when requested.
    pub record_count: u32,
    pub requested_by: Subject,
    pub requested_at: DateTime<Utc>,
    pub stage: Stage,
    /// Bumped on every change; conditional writes compare it.
    pub version: u64,
}

impl Export {
    pub fn approval(&self) -> Option<&Approval> {
        match &self.stage {
            Stage::PendingApproval => None,
            Stage::Approved(a) | Stage::Downloaded { approval: a, .. } => Some(a),
            Stage::Expired { approval } => approval.as_ref(),
        }
    }

    /// When the current stage ends unless something happens: the approval's deadline, or
    /// the end of the download window.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        match &self.stage {
            Stage::PendingApproval => Some(self.requested_at + Duration::days(APPROVAL_DAYS)),
            Stage::Approved(a) => Some(a.at + Duration::hours(DOWNLOAD_HOURS)),
            Stage::Downloaded { .. } | Stage::Expired { .. } => None,
        }
    }

    /// The status at `now`: a deadline passed is `expired` before anything writes it.
    pub fn status(&self, now: DateTime<Utc>) -> ExportStatus {
        if self.deadline().is_some_and(|d| d <= now) {
            return ExportStatus::Expired;
        }
        match self.stage {
            Stage::PendingApproval => ExportStatus::PendingApproval,
            Stage::Approved(_) => ExportStatus::Approved,
            Stage::Downloaded { .. } => ExportStatus::Downloaded,
            Stage::Expired { .. } => ExportStatus::Expired,
        }
    }

    /// The same export at the next version in `stage`.
    pub fn with_stage(&self, stage: Stage) -> Export {
        Export {
            stage,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The export as stored once found expired at `now` (`None` if it has not).
    pub fn expired_at(&self, now: DateTime<Utc>) -> Option<Export> {
        let lapsed = self.deadline().is_some_and(|d| d <= now);
        lapsed.then(|| {
            self.with_stage(Stage::Expired {
                approval: self.approval().cloned(),
            })
        })
    }

    /// Whether `record` belongs in this export's file at `now`: a live number that states
    /// the purpose, of a selected employee, active (registered, or a submission confirmed)
    /// before the request: the approver approved what the request counted, never what
    /// came later.
    pub fn includes<S>(&self, record: &Record<S>, now: DateTime<Utc>) -> bool {
        record
            .active_since()
            .is_some_and(|t| t <= self.requested_at)
            && selects(&self.selection, self.purpose, record, now)
    }

    pub fn view(&self, now: DateTime<Utc>) -> ExportView {
        let approval = self.approval();
        ExportView {
            export_id: self.export_id.clone(),
            status: self.status(now).code(),
            purpose: self.purpose.code(),
            record_count: self.record_count,
            all: matches!(self.selection, Selection::All),
            employee_count: match &self.selection {
                Selection::Employees(e) => Some(e.len() as u32),
                Selection::All => None,
            },
            requested_by: self.requested_by.clone(),
            requested_at: crate::record::timestamp(self.requested_at),
            approved_by: approval.map(|a| a.by.clone()),
            approved_at: approval.map(|a| crate::record::timestamp(a.at)),
            downloaded_at: match &self.stage {
                Stage::Downloaded { at, .. } => Some(crate::record::timestamp(*at)),
                _ => None,
            },
            expires_at: self.deadline().map(crate::record::timestamp),
        }
    }
}

/// Whether a request's selection takes `record`: an active number (never a refusal or a
/// submission awaiting review) that states `purpose`, of a selected employee, not gone.
pub fn selects<S>(
    selection: &Selection,
    purpose: Purpose,
    record: &Record<S>,
    now: DateTime<Utc>,
) -> bool {
    let employee = match selection {
        Selection::All => true,
        Selection::Employees(ids) => ids.contains(&record.employee_id),
    };
    employee
        && matches!(record.content, Content::Active { .. })
        && record.purposes.permits(purpose)
        && !record.is_gone(crate::retention::jst_today(now))
}

/// An export as the API shows it: never a number, never the employee ids it names.
#[derive(Debug, Clone, Serialize)]
pub struct ExportView {
    pub export_id: ExportId,
    pub status: &'static str,
    pub purpose: &'static str,
    pub record_count: u32,
    pub all: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_count: Option<u32>,
    pub requested_by: Subject,
    pub requested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Subject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloaded_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// A request as parsed from `POST /v1/exports`.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub purpose: Purpose,
    pub selection: Selection,
}

impl ExportRequest {
    /// A request for `employees` (deduplicated) or for `all: true`: exactly one of the
    /// two, and a list neither empty nor longer than `MAX_EXPORT_EMPLOYEES`.
    pub fn new(
        purpose: Purpose,
        employees: Option<Vec<EmployeeId>>,
        all: Option<bool>,
    ) -> Result<Self, FieldError> {
        let selection = match (employees, all) {
            (Some(_), Some(_)) => {
                return Err(FieldError::new("all", "conflicts_with_employee_ids"));
            }
            (None, None) => return Err(FieldError::new("employee_ids", "required")),
            (None, Some(false)) => return Err(FieldError::new("all", "must_be_true")),
            (None, Some(true)) => Selection::All,
            (Some(ids), None) if ids.is_empty() => {
                return Err(FieldError::new("employee_ids", "empty"));
            }
            (Some(ids), None) if ids.len() > MAX_EXPORT_EMPLOYEES => {
                return Err(FieldError::new("employee_ids", "too_many"));
            }
            (Some(ids), None) => Selection::Employees(ids.into_iter().collect()),
        };
        Ok(ExportRequest { purpose, selection })
    }
}

/// One line of the file: the record and its number.
pub struct ExportLine {
    pub record: Record<()>,
    pub number: crate::number::MyNumber,
}

/// The file's contents, in employee order, for the handler to write as CSV.
pub struct ExportFile {
    pub export_id: ExportId,
    pub lines: Vec<ExportLine>,
}

/// The error of a selection that holds too many records or none: a valid request the
/// vault's state refuses (422), not a malformed one.
pub(crate) fn size_error(count: usize) -> Option<VaultError> {
    use crate::error::ExportSize;
    if count == 0 {
        Some(VaultError::ExportSize(ExportSize::NoRecords))
    } else if count > MAX_EXPORT_RECORDS {
        Some(VaultError::ExportSize(ExportSize::TooManyRecords))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(stage: Stage) -> Export {
        Export {
            tenant_id: TenantId::parse("t1").unwrap(),
            export_id: ExportId::new_at(Utc::now()),
            purpose: Purpose::parse("withholding_tax").unwrap(),
            selection: Selection::All,
            record_count: 3,
            requested_by: Subject::parse("hr-a").unwrap(),
            requested_at: DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            stage,
            version: 1,
        }
    }

    #[test]
    fn a_request_expires_after_seven_days_and_an_approval_after_an_hour() {
        let e = export(Stage::PendingApproval);
        let t0 = e.requested_at;
        assert_eq!(
            e.status(t0 + Duration::days(7) - Duration::seconds(1)),
            ExportStatus::PendingApproval
        );
        assert_eq!(e.status(t0 + Duration::days(7)), ExportStatus::Expired);
        let approval = Approval {
            by: Subject::parse("hr-b").unwrap(),
            at: t0 + Duration::days(1),
        };
        let a = e.with_stage(Stage::Approved(approval.clone()));
        assert_eq!(a.version, 2);
        assert_eq!(
            a.status(approval.at + Duration::minutes(59)),
            ExportStatus::Approved
        );
        assert_eq!(
            a.status(approval.at + Duration::hours(1)),
            ExportStatus::Expired
        );
        let expired = a.expired_at(approval.at + Duration::hours(2)).unwrap();
        assert_eq!(expired.approval(), Some(&approval));
        assert!(a.expired_at(approval.at).is_none());
        let d = a.with_stage(Stage::Downloaded {
            approval,
            at: t0 + Duration::days(1),
        });
        assert_eq!(d.status(t0 + Duration::days(400)), ExportStatus::Downloaded);
    }

    #[test]
    fn export_ids_sort_by_their_time() {
        let t = Utc::now();
        let a = ExportId::new_at(t);
        let b = ExportId::new_at(t + Duration::milliseconds(1));
        assert!(a < b, "{a} {b}");
        assert!(ExportId::parse(a.as_str()).is_ok());
    }

    #[test]
    fn a_request_names_employees_or_all_but_not_both() {
        let p = Purpose::parse("withholding_tax").unwrap();
        let e = |s: &str| EmployeeId::parse(s).unwrap();
        assert_eq!(
            ExportRequest::new(p, None, None).unwrap_err().field,
            "employee_ids"
        );
        assert_eq!(
            ExportRequest::new(p, None, Some(false)).unwrap_err().rule,
            "must_be_true"
        );
        assert_eq!(
            ExportRequest::new(p, Some(vec![e("E1")]), Some(false))
                .unwrap_err()
                .rule,
            "conflicts_with_employee_ids"
        );
        assert_eq!(
            ExportRequest::new(p, Some(vec![]), None).unwrap_err().rule,
            "empty"
        );
        let many = (0..=MAX_EXPORT_EMPLOYEES)
            .map(|i| e(&format!("E{i}")))
            .collect();
        assert_eq!(
            ExportRequest::new(p, Some(many), None).unwrap_err().rule,
            "too_many"
        );
        let twice = ExportRequest::new(p, Some(vec![e("E1"), e("E1")]), None).unwrap();
        assert_eq!(twice.selection, Selection::Employees([e("E1")].into()));
    }
}

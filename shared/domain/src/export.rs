//! Exports for filings with four eyes (SPEC §4b): one handler asks for the numbers of a
//! purpose, another handler (or an admin) approves, and the requester downloads the file
//! once within an hour. Each number in the file is a reveal in the durable trail before
//! the file exists.

use crate::error::{FieldError, VaultError};
use crate::ids::{EmployeeId, IdRule, RecordId, Subject, TenantId};
use crate::purpose::Purpose;
use crate::record::{Content, Record};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Records one export may hold (SPEC §4b).
pub const MAX_EXPORT_RECORDS: usize = 10_000;
/// Employees one request may name.
pub const MAX_EXPORT_EMPLOYEES: usize = 1_000;
/// Days a request waits for its approval before it expires.
pub const APPROVAL_DAYS: i64 = 7;
/// Hours after the approval in which the requester may download the file.
pub const DOWNLOAD_HOURS: i64 = 1;

/// An export id: a random UUID, like a record id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ExportId(RecordId);

impl ExportId {
    /// A random id whose first 48 bits are the time in milliseconds (the layout of a
    /// UUIDv7), so that the tenant's exports sort by when they were requested.
    pub fn new_at(at: DateTime<Utc>) -> Self {
        let random = RecordId::new_random();
        let ms = at.timestamp_millis().clamp(0, (1 << 48) - 1);
        let hex = format!("{ms:012x}");
        let id = format!("{}-{}{}", &hex[..8], &hex[8..], &random.as_str()[13..]);
        ExportId(RecordId::parse(&id).expect("a UUID's shape"))
    }

    pub fn parse(s: &str) -> Result<Self, IdRule> {
        RecordId::parse(s).map(ExportId)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// As the store's listings position it (a UUID, like a record's).
    pub fn as_record_id(&self) -> &RecordId {
        &self.0
    }
}

impl fmt::Display for ExportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ExportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExportId({})", self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExportId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|e| serde::de::Error::custom(format!("ExportId: {e}")))
    }
}

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

mod service {
    use super::*;
    use crate::access::Action;
    use crate::audit::{AuditEvent, AuditKind, Caller, Outcome};
    use crate::error::{Conflict, Forbidden};
    use crate::lookup::LookupService;
    use crate::ports::{Page, PageRequest, UpdateError};
    use futures::{StreamExt, TryStreamExt};

    /// Decrypt calls an export's file makes at once.
    const CONCURRENT_DECRYPTS: usize = 16;
    /// Records read by id in one call (DynamoDB's BatchGetItem limit).
    const READ_BATCH: usize = 100;

    impl LookupService {
        /// `POST /v1/exports`: counts what the selection holds now and asks for approval.
        pub async fn request_export(
            &self,
            caller: &Caller,
            input: Result<ExportRequest, VaultError>,
        ) -> Result<ExportView, VaultError> {
            self.core
                .audited(
                    AuditKind::ExportRequested,
                    Action::RequestExport,
                    caller,
                    async |event, principal, now| {
                        let request = input?;
                        event.purpose = Some(request.purpose);
                        let records = self
                            .selected(&principal.tenant, &request.selection, request.purpose, now)
                            .await?;
                        if let Some(e) = size_error(records.len()) {
                            return Err(e);
                        }
                        let export = Export {
                            tenant_id: principal.tenant.clone(),
                            export_id: ExportId::new_at(now),
                            purpose: request.purpose,
                            selection: request.selection,
                            record_count: records.len() as u32,
                            requested_by: principal.sub.clone(),
                            requested_at: now,
                            stage: Stage::PendingApproval,
                            version: 1,
                        };
                        event.export_id = Some(export.export_id.clone());
                        event.count = Some(records.len() as u64);
                        self.store.put_export(&export).await?;
                        Ok(export.view(now))
                    },
                )
                .await
        }

        /// `POST /v1/exports/{id}/approve`: anyone allowed but the requester.
        pub async fn approve_export(
            &self,
            caller: &Caller,
            input: Result<ExportId, VaultError>,
        ) -> Result<ExportView, VaultError> {
            self.core
                .audited(
                    AuditKind::ExportApproved,
                    Action::ApproveExport,
                    caller,
                    async |event, principal, now| {
                        let export = self.current(event, caller, input?, now).await?;
                        if export.requested_by == principal.sub {
                            return Err(VaultError::Forbidden(Forbidden::FourEyes));
                        }
                        if export.stage != Stage::PendingApproval {
                            return Err(VaultError::Conflict(Conflict::NotApproved));
                        }
                        let approved = export.with_stage(Stage::Approved(Approval {
                            by: principal.sub.clone(),
                            at: now,
                        }));
                        self.store.update_export(&approved).await?;
                        Ok(approved.view(now))
                    },
                )
                .await
        }

        /// `GET /v1/exports`: newest first, with each one's status at this moment.
        pub async fn list_exports(
            &self,
            caller: &Caller,
            input: Result<PageRequest, VaultError>,
        ) -> Result<Page<ExportView>, VaultError> {
            self.core
                .audited(
                    AuditKind::ListExports,
                    Action::ListExports,
                    caller,
                    async |event, principal, now| {
                        let page = self.store.list_exports(&principal.tenant, &input?).await?;
                        event.count = Some(page.items.len() as u64);
                        Ok(Page {
                            items: page.items.iter().map(|e| e.view(now)).collect(),
                            next_cursor: page.next_cursor,
                        })
                    },
                )
                .await
        }

        /// `GET /v1/exports/{id}/file`: the requester's one download within the hour. Every
        /// number's reveal is in the durable trail before the download is taken, and the
        /// download is taken before any Decrypt: a failed trail write leaves the export
        /// as it was (503), a second download finds it spent (410).
        pub async fn download_export(
            &self,
            caller: &Caller,
            input: Result<ExportId, VaultError>,
        ) -> Result<ExportFile, VaultError> {
            self.core
                .audited(
                    AuditKind::ExportDownloaded,
                    Action::DownloadExport,
                    caller,
                    async |event, principal, now| {
                        let export = self.current(event, caller, input?, now).await?;
                        if export.requested_by != principal.sub {
                            return Err(VaultError::Forbidden(Forbidden::NotRequester));
                        }
                        let approval = match &export.stage {
                            Stage::Approved(a) => a.clone(),
                            Stage::PendingApproval => {
                                return Err(VaultError::Conflict(Conflict::NotApproved));
                            }
                            Stage::Downloaded { .. } | Stage::Expired { .. } => {
                                return Err(VaultError::Gone);
                            }
                        };
                        let tenant = &principal.tenant;
                        let listed = self
                            .selected(tenant, &export.selection, export.purpose, now)
                            .await?;
                        let ids: Vec<RecordId> = listed
                            .iter()
                            .filter(|r| export.includes(*r, now))
                            .map(|r| r.record_id.clone())
                            .collect();
                        let mut records = Vec::with_capacity(ids.len());
                        for chunk in ids.chunks(READ_BATCH) {
                            let read = self.store.records_with_numbers(tenant, chunk).await?;
                            // Read again by id: anything disposed of since the listing is left out.
                            records.extend(read.into_iter().filter(|r| export.includes(r, now)));
                        }
                        records.sort_by(|a, b| {
                            (&a.employee_id, a.relation.kind(), a.created_at)
                                .cmp(&(&b.employee_id, b.relation.kind(), b.created_at))
                        });
                        // Fail closed: every number's reveal reaches the table first.
                        let trail: Vec<AuditEvent> = records
                            .iter()
                            .map(|r| {
                                let mut e = AuditEvent::new(
                                    AuditKind::Reveal,
                                    Some(Action::DownloadExport),
                                    caller,
                                    now,
                                );
                                e.outcome = Outcome::Authorized;
                                e.record_id = Some(r.record_id.clone());
                                e.employee_id = Some(r.employee_id.clone());
                                e.relation = Some(r.relation.kind());
                                e.purpose = Some(export.purpose);
                                e.export_id = Some(export.export_id.clone());
                                e
                            })
                            .collect();
                        let config = &self.core.config;
                        self.store
                            .record_reveals(&trail, now + config.audit_retention)
                            .await?;
                        let taken = export.with_stage(Stage::Downloaded {
                            approval: approval.clone(),
                            at: now,
                        });
                        self.store.update_export(&taken).await.map_err(|e| match e {
                            // Someone downloaded it meanwhile.
                            UpdateError::Concurrent => VaultError::Gone,
                            UpdateError::Unavailable(u) => u.into(),
                        })?;
                        event.count = Some(records.len() as u64);
                        let decryptor = &self.decryptor;
                        let opened = futures::stream::iter(records.into_iter().map(|r| async move {
                            let Content::Active { ciphertext, .. } = &r.content else {
                                unreachable!("an export includes active records only");
                            };
                            let number = decryptor.decrypt(tenant, &r.record_id, ciphertext).await?;
                            Ok::<_, VaultError>(ExportLine {
                                record: r.metadata(),
                                number,
                            })
                        }))
                        .buffered(CONCURRENT_DECRYPTS)
                        .try_collect::<Vec<_>>()
                        .await;
                        match opened {
                            Ok(lines) => {
                                // On the log, each number is a reveal that happened.
                                for mut e in trail {
                                    e.outcome = Outcome::Success;
                                    self.core.emit(&e);
                                }
                                Ok(ExportFile {
                                    export_id: export.export_id.clone(),
                                    lines,
                                })
                            }
                            Err(e) => {
                                // The file was not produced: give the download back, so
                                // that the requester may try again within the hour.
                                let back = taken.with_stage(Stage::Approved(approval));
                                if let Err(undo) = self.store.update_export(&back).await {
                                    tracing::error!(error = %undo, "an export's download could not be given back");
                                }
                                Err(e)
                            }
                        }
                    },
                )
                .await
        }

        /// The export as it stands: absent and another tenant's alike are 404; one past
        /// its deadline is stored as expired (with its own audit event) and is 410.
        async fn current(
            &self,
            event: &mut AuditEvent,
            caller: &Caller,
            id: ExportId,
            now: DateTime<Utc>,
        ) -> Result<Export, VaultError> {
            event.export_id = Some(id.clone());
            let tenant = &caller.principal.as_ref().expect("authorised").tenant;
            let export = self
                .store
                .get_export(tenant, &id)
                .await?
                .ok_or(VaultError::NotFound)?;
            event.purpose = Some(export.purpose);
            if let Some(expired) = export.expired_at(now) {
                if self.store.update_export(&expired).await.is_ok() {
                    let mut lapsed = AuditEvent::new(AuditKind::ExportExpired, None, caller, now);
                    lapsed.export_id = Some(id);
                    lapsed.purpose = Some(export.purpose);
                    lapsed.count = Some(u64::from(export.record_count));
                    self.core.emit(&lapsed);
                }
                return Err(VaultError::Gone);
            }
            if matches!(export.stage, Stage::Expired { .. }) {
                return Err(VaultError::Gone);
            }
            Ok(export)
        }

        /// What `selection` holds at `now`, metadata only.
        async fn selected(
            &self,
            tenant: &TenantId,
            selection: &Selection,
            purpose: Purpose,
            now: DateTime<Utc>,
        ) -> Result<Vec<Record<()>>, VaultError> {
            let mut found = Vec::new();
            match selection {
                Selection::All => {
                    let mut cursor = None;
                    loop {
                        let page = self.store.tenant_records(tenant, cursor.as_ref()).await?;
                        found.extend(
                            page.items
                                .into_iter()
                                .filter(|r| selects(selection, purpose, r, now)),
                        );
                        if found.len() > MAX_EXPORT_RECORDS {
                            break;
                        }
                        match page.next_cursor {
                            Some(c) => cursor = Some(c),
                            None => break,
                        }
                    }
                }
                Selection::Employees(ids) => {
                    for employee in ids {
                        let mut page = PageRequest {
                            limit: PageRequest::MAX_LIMIT,
                            cursor: None,
                        };
                        loop {
                            let listed = self
                                .store
                                .list_records(tenant, employee, &page)
                                .await
                                .map_err(|e| match e {
                                    crate::ports::ListError::BadCursor => VaultError::Unavailable,
                                    crate::ports::ListError::Unavailable(u) => u.into(),
                                })?;
                            found.extend(
                                listed
                                    .items
                                    .into_iter()
                                    .filter(|r| selects(selection, purpose, r, now)),
                            );
                            match listed.next_cursor {
                                Some(c) => page.cursor = Some(c),
                                None => break,
                            }
                        }
                        if found.len() > MAX_EXPORT_RECORDS {
                            break;
                        }
                    }
                }
            }
            Ok(found)
        }
    }
}

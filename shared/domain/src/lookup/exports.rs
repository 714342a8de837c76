//! Exports for filings (SPEC §4b) as the lookup function runs them: request, approve,
//! download (each number a reveal in the durable trail first), list and read.

use crate::access::Action;
use crate::audit::{AuditEvent, AuditKind, Caller, Outcome};
use crate::error::VaultError;
use crate::error::{Conflict, Forbidden};
use crate::export::*;
use crate::ids::{RecordId, TenantId};
use crate::lookup::LookupService;
use crate::ports::{Page, PageRequest, UpdateError};
use crate::purpose::Purpose;
use crate::record::{Content, Record};
use crate::usecase::Authorised;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};

crate::usecase::operations! {
    RequestExport = (ExportRequested, RequestExport);
    ApproveExport = (ExportApproved, ApproveExport);
    ListExports = (ListExports, ListExports);
    DownloadExport = (ExportDownloaded, DownloadExport);
}

/// Decrypt calls an export's file makes at once.
const CONCURRENT_DECRYPTS: usize = 16;
/// Records read by id in one call (DynamoDB's BatchGetItem limit).
const READ_BATCH: usize = 100;

impl LookupService {
    /// `POST /v1/exports`: counts what the selection holds now and asks for approval.
    pub async fn request_export(
        &self,
        auth: Authorised<'_, ops::RequestExport>,
        input: ExportRequest,
    ) -> Result<ExportView, VaultError> {
        auth.run(async |event, principal, now| {
            let request = input;
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
        })
        .await
    }

    /// `POST /v1/exports/{id}/approve`: anyone allowed but the requester.
    pub async fn approve_export(
        &self,
        auth: Authorised<'_, ops::ApproveExport>,
        input: ExportId,
    ) -> Result<ExportView, VaultError> {
        let caller = auth.caller();
        auth.run(async |event, principal, now| {
            let export = self.current(event, caller, input, now).await?;
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
        })
        .await
    }

    /// `GET /v1/exports`: newest first, with each one's status at this moment.
    pub async fn list_exports(
        &self,
        auth: Authorised<'_, ops::ListExports>,
        input: PageRequest,
    ) -> Result<Page<ExportView>, VaultError> {
        auth.run(async |event, principal, now| {
            let page = self.store.list_exports(&principal.tenant, &input).await?;
            event.count = Some(page.items.len() as u64);
            Ok(Page {
                items: page.items.iter().map(|e| e.view(now)).collect(),
                next_cursor: page.next_cursor,
            })
        })
        .await
    }

    /// `GET /v1/exports/{id}/file`: the requester's one download within the hour. Every
    /// number's reveal is in the durable trail before the download is taken, and the
    /// download is taken before any Decrypt: a failed trail write leaves the export
    /// as it was (503), a second download finds it spent (410).
    pub async fn download_export(
        &self,
        auth: Authorised<'_, ops::DownloadExport>,
        input: ExportId,
    ) -> Result<ExportFile, VaultError> {
        let caller = auth.caller();
        auth.run(async |event, principal, now| {
            let export = self.current(event, caller, input, now).await?;
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
        })
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

//! The scheduled purge (SPEC §2.6, §2.7): dispose of every record whose retention has
//! ended, exactly once each, before the Lambda deadline; report what falls due soon.

use crate::audit::{AuditEvent, AuditKind, Caller, Outcome};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::ids::TenantId;
use crate::ports::{
    Cursor, Disposed, DocumentErasure, DueDocuments, DueIndex, PurgeRunLog, PurgeRunRecord,
    RecordDisposal,
};
use crate::retention::jst_today;
use crate::usecase::Core;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

const PAGE: u16 = 100;

/// Records due within this many days are reported in advance.
pub const NOTICE_DAYS: i64 = 30;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TenantPurge {
    pub disposed: u64,
    pub due_within_30_days: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PurgeSummary {
    pub today: NaiveDate,
    pub disposed: u64,
    /// Found due but disposed of by someone else meanwhile (a concurrent purge).
    pub already_gone: u64,
    pub failed: u64,
    /// Index items the purge read to find the due records.
    pub items_read: u64,
    /// Stopped before the Lambda deadline with work left.
    pub stopped_early: bool,
    /// Due records left for the next run (counted when the run stopped early).
    pub left_for_next_run: u64,
    /// True when the count of what is left failed, so `left_for_next_run` is a lower bound.
    pub more_may_remain: bool,
    pub due_within_30_days: u64,
    /// Identity document photos deleted (their link expired or was cancelled, their review
    /// ended, or an earlier deletion failed).
    pub documents_deleted: u64,
    /// Photos whose deletion failed: still due, so the next run retries them.
    pub documents_failed: u64,
    pub tenants: BTreeMap<TenantId, TenantPurge>,
}

/// Due document photos one run reads at most (they are few: six a link at most).
const DOCUMENTS_PER_RUN: u16 = 2000;

/// The store ports the purge's role allows: the due index, disposal and the note of how
/// each run ended. No cipher at all.
pub trait PurgeStore: DueIndex + RecordDisposal + DueDocuments + PurgeRunLog {}
impl<T: DueIndex + RecordDisposal + DueDocuments + PurgeRunLog> PurgeStore for T {}

pub struct PurgeService {
    core: Core,
    store: Arc<dyn PurgeStore>,
    /// Deleting document photos is all the purge may do in object storage.
    objects: Arc<dyn DocumentErasure>,
}

impl PurgeService {
    pub fn new(core: Core, store: Arc<dyn PurgeStore>, objects: Arc<dyn DocumentErasure>) -> Self {
        PurgeService {
            core,
            store,
            objects,
        }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// Runs one purge. It stops starting new disposals once `deadline - margin` is
    /// reached, so that it always returns its summary before Lambda kills it.
    pub async fn purge(
        &self,
        caller: &Caller,
        deadline: DateTime<Utc>,
        margin: Duration,
    ) -> PurgeSummary {
        let start = self.core.now();
        let today = jst_today(start);
        let mut summary = PurgeSummary {
            today,
            disposed: 0,
            already_gone: 0,
            failed: 0,
            items_read: 0,
            stopped_early: false,
            left_for_next_run: 0,
            more_may_remain: false,
            due_within_30_days: 0,
            documents_deleted: 0,
            documents_failed: 0,
            tenants: BTreeMap::new(),
        };
        let out_of_time = || self.core.now() + margin >= deadline;
        let mut cursor: Option<Cursor> = None;
        'pages: loop {
            if out_of_time() {
                summary.stopped_early = true;
                summary.more_may_remain = true;
                break;
            }
            let page = match self.store.due_records(today, cursor.as_ref(), PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "reading due records failed");
                    summary.failed += 1;
                    summary.more_may_remain = true;
                    break;
                }
            };
            summary.items_read += page.read;
            let mut pending = page.items.as_slice();
            while !pending.is_empty() {
                if out_of_time() {
                    summary.stopped_early = true;
                    summary.left_for_next_run += pending.len() as u64;
                    summary.more_may_remain |= page.next.is_some();
                    break 'pages;
                }
                let (chunk, rest) =
                    pending.split_at(pending.len().min(self.core.config.purge_concurrency.max(1)));
                pending = rest;
                let now = self.core.now();
                let attempts = chunk.iter().map(|record| {
                    // A submission nobody confirmed in time goes as unconfirmed.
                    let reason = match record.content {
                        crate::record::Content::Pending { .. } => DisposalReason::Unconfirmed,
                        _ => DisposalReason::RetentionEnded,
                    };
                    let disposal = DisposalRecord::for_record(
                        record,
                        reason,
                        Disposer::Schedule,
                        now,
                        self.core.config.backup_window_days,
                    );
                    async move {
                        let outcome = self.store.dispose(record, &disposal).await;
                        (record, disposal, outcome)
                    }
                });
                for (record, disposal, outcome) in futures::future::join_all(attempts).await {
                    let mut event = AuditEvent::disposal(&disposal, caller, None, now);
                    match outcome {
                        Ok(Disposed::Now) => {
                            summary.disposed += 1;
                            summary
                                .tenants
                                .entry(record.tenant_id.clone())
                                .or_default()
                                .disposed += 1;
                            self.core.emit(&event);
                        }
                        Ok(Disposed::AlreadyGone) => summary.already_gone += 1,
                        Err(e) => {
                            tracing::error!(error = %e, record_id = %record.record_id, "disposal failed");
                            summary.failed += 1;
                            event.outcome = Outcome::Failed;
                            self.core.emit(&event);
                        }
                    }
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }

        if !summary.stopped_early {
            self.delete_documents(caller, today, &out_of_time, &mut summary)
                .await;
        }

        if summary.stopped_early {
            // Say exactly how many the next run inherits (what this run disposed of is gone).
            match self.store.due_count(today).await {
                Ok(n) => {
                    summary.left_for_next_run = n;
                    summary.more_may_remain = false;
                }
                Err(e) => tracing::warn!(error = %e, "counting the records left failed"),
            }
        }

        match self
            .store
            .upcoming(today, today + Duration::days(NOTICE_DAYS))
            .await
        {
            Ok(per_tenant) => {
                for (tenant, count) in per_tenant {
                    summary.due_within_30_days += count;
                    summary
                        .tenants
                        .entry(tenant.clone())
                        .or_default()
                        .due_within_30_days = count;
                    let mut notice = AuditEvent::new(AuditKind::AdvanceNotice, None, caller, start);
                    notice.tenant_id = Some(tenant);
                    notice.count = Some(count);
                    self.core.emit(&notice);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "reading upcoming records failed");
                summary.failed += 1;
            }
        }

        let mut run = AuditEvent::new(AuditKind::PurgeRun, None, caller, start);
        run.count = Some(summary.disposed);
        run.remaining = Some(summary.left_for_next_run);
        if summary.failed > 0 || summary.documents_failed > 0 {
            run.outcome = Outcome::Failed;
            run.reason = Some(crate::audit::Reason::DisposalFailed);
        } else if summary.stopped_early {
            run.reason = Some(crate::audit::Reason::Deadline);
        }
        self.core.emit(&run);
        // For the console's home page; the run's own event above is the record of it.
        let kept = PurgeRunRecord {
            at: start,
            outcome: run.outcome,
            reason: run.reason,
        };
        if let Err(e) = self.store.record_purge_run(&kept).await {
            tracing::error!(error = %e, "keeping the run's outcome failed");
        }
        summary
    }

    /// Deletes every due document photo: object, then entry. A failure leaves the entry
    /// due, so the next run retries it.
    async fn delete_documents(
        &self,
        caller: &Caller,
        today: NaiveDate,
        out_of_time: &impl Fn() -> bool,
        summary: &mut PurgeSummary,
    ) {
        let due = match self.store.due_documents(today, DOCUMENTS_PER_RUN).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "reading due document photos failed");
                summary.documents_failed += 1;
                return;
            }
        };
        if due.is_empty() {
            return;
        }
        let mut per_tenant: BTreeMap<TenantId, (u64, u64)> = BTreeMap::new();
        for chunk in due.chunks(self.core.config.purge_concurrency.max(1)) {
            if out_of_time() {
                summary.stopped_early = true;
                break;
            }
            let attempts = chunk.iter().map(|d| async move {
                let gone = match self.objects.delete_object(&d.object_key()).await {
                    Ok(()) => self.store.forget_document(d).await,
                    Err(e) => Err(e),
                };
                (d, gone)
            });
            for (d, gone) in futures::future::join_all(attempts).await {
                let counts = per_tenant.entry(d.tenant_id.clone()).or_default();
                match gone {
                    Ok(()) => {
                        summary.documents_deleted += 1;
                        counts.0 += 1;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, document_id = %d.document_id, "deleting a document photo failed");
                        summary.documents_failed += 1;
                        counts.1 += 1;
                    }
                }
            }
        }
        for (tenant, (deleted, failed)) in per_tenant {
            let mut event =
                AuditEvent::new(AuditKind::DocumentsDeleted, None, caller, self.core.now());
            event.tenant_id = Some(tenant);
            event.count = Some(deleted);
            event.remaining = Some(failed);
            if failed > 0 {
                event.outcome = Outcome::Failed;
            }
            self.core.emit(&event);
        }
    }
}

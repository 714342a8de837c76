//! The scheduled purge (SPEC §2.6, §2.7): dispose of every record whose retention has
//! ended, exactly once each, before the Lambda deadline; report what falls due soon.

use crate::audit::{AuditEvent, AuditKind, Caller, Outcome};
use crate::disposal::{DisposalReason, DisposalRecord, Disposer};
use crate::ids::TenantId;
use crate::ports::{Cursor, Disposed, DueIndex, RecordDisposal};
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
    pub tenants: BTreeMap<TenantId, TenantPurge>,
}

/// The store ports the purge's role allows: the due index and disposal. No cipher at all.
pub trait PurgeStore: DueIndex + RecordDisposal {}
impl<T: DueIndex + RecordDisposal> PurgeStore for T {}

pub struct PurgeService {
    core: Core,
    store: Arc<dyn PurgeStore>,
}

impl PurgeService {
    pub fn new(core: Core, store: Arc<dyn PurgeStore>) -> Self {
        PurgeService { core, store }
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
        if summary.failed > 0 {
            run.outcome = Outcome::Failed;
            run.reason = Some(crate::audit::Reason::DisposalFailed);
        } else if summary.stopped_early {
            run.reason = Some(crate::audit::Reason::Deadline);
        }
        self.core.emit(&run);
        summary
    }
}

//! The console's home page (SPEC §4c): what needs doing and what falls due, as counts only —
//! submissions awaiting review and the oldest, links open and expired unsubmitted, exports
//! awaiting approval, the records whose retention ends in each of the next 12 months, and
//! how the daily purge last ended.

use crate::collection::{CollectionFilter, CollectionStatus};
use crate::error::VaultError;
use crate::export::ExportStatus;
use crate::lookup::LookupService;
use crate::ports::{Cursor, PageRequest, PurgeRunRecord};
use crate::record::{Content, timestamp};
use crate::retention::jst_today;
use crate::usecase::Authorised;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Serialize, Serializer};

crate::usecase::operations! {
    ReadSummary = (ReadSummary, ReadSummary);
}

/// Pages of the tenant's records read at most (a page is up to 1 MB of the index); past
/// it the counts say they are partial.
const RECORD_PAGES: usize = 200;
/// Pages of exports read at most.
const EXPORT_PAGES: usize = 20;
/// Months the chart covers, this one first.
pub const MONTHS: u32 = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The day in Japan the counts are of.
    pub today: NaiveDate,
    pub review: ReviewCounts,
    pub collections: CollectionCounts,
    pub exports: ExportCounts,
    /// Records whose retention ends (their due date) in each month, this month first.
    pub due_by_month: Vec<MonthCount>,
    /// `false` when the tenant holds more records than one request reads.
    pub complete: bool,
    /// How the daily purge last ended; `None` before its first run.
    pub last_purge: Option<PurgeRunRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewCounts {
    /// Records submitted through links and not yet confirmed or rejected.
    pub pending_records: u64,
    #[serde(serialize_with = "optional_time")]
    pub oldest_submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionCounts {
    pub open: u64,
    /// Links that expired with nothing submitted.
    pub expired_unsubmitted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportCounts {
    pub pending_approval: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    pub count: u64,
}

fn optional_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&timestamp(*t)),
        None => s.serialize_none(),
    }
}

/// The `MONTHS` months from `today`'s, as (year, month).
fn months_from(today: NaiveDate) -> Vec<(i32, u32)> {
    (0..MONTHS)
        .map(|i| {
            let m0 = today.month0() + i;
            (today.year() + (m0 / 12) as i32, m0 % 12 + 1)
        })
        .collect()
}

impl LookupService {
    /// `GET /v1/summary`: the tenant's counts for the home page; never a number, never a
    /// list.
    pub async fn summary(
        &self,
        auth: Authorised<'_, ops::ReadSummary>,
    ) -> Result<Summary, VaultError> {
        auth.run(async |event, principal, now| {
            let t = &principal.tenant;
            let today = jst_today(now);
            let months = months_from(today);
            let mut due = vec![0u64; months.len()];
            let mut pending = 0u64;
            let mut oldest: Option<DateTime<Utc>> = None;
            let mut cursor: Option<Cursor> = None;
            let mut complete = false;
            for _ in 0..RECORD_PAGES {
                let page = self.store.tenant_records(t, cursor.as_ref()).await?;
                for r in page.items.iter().filter(|r| !r.is_gone(today)) {
                    if let Content::Pending { .. } = r.content {
                        pending += 1;
                        oldest = Some(oldest.map_or(r.created_at, |o| o.min(r.created_at)));
                    }
                    if let Some(d) = &r.departure
                        && let Some(i) = months
                            .iter()
                            .position(|&(y, m)| d.due_on.year() == y && d.due_on.month() == m)
                    {
                        due[i] += 1;
                    }
                }
                cursor = page.next_cursor;
                if cursor.is_none() {
                    complete = true;
                    break;
                }
            }
            let mut pending_exports = 0u64;
            let mut page = PageRequest {
                limit: PageRequest::MAX_LIMIT,
                cursor: None,
            };
            for _ in 0..EXPORT_PAGES {
                let exports = self.store.list_exports(t, &page).await?;
                pending_exports += exports
                    .items
                    .iter()
                    .filter(|x| x.status(now) == ExportStatus::PendingApproval)
                    .count() as u64;
                page.cursor = exports.next_cursor;
                if page.cursor.is_none() {
                    break;
                }
            }
            let count = |status| CollectionFilter {
                status: Some(status),
                employee_id: None,
            };
            let open = self
                .store
                .count_collections(t, &count(CollectionStatus::Open), now)
                .await?;
            let expired = self
                .store
                .count_collections(t, &count(CollectionStatus::Expired), now)
                .await?;
            let last_purge = self.store.last_purge_run().await?;
            event.count = Some(pending);
            Ok(Summary {
                last_purge,
                today,
                review: ReviewCounts {
                    pending_records: pending,
                    oldest_submitted_at: oldest,
                },
                collections: CollectionCounts {
                    open,
                    expired_unsubmitted: expired,
                },
                exports: ExportCounts {
                    pending_approval: pending_exports,
                },
                due_by_month: months
                    .iter()
                    .zip(due)
                    .map(|(&(y, m), count)| MonthCount {
                        month: format!("{y:04}-{m:02}"),
                        count,
                    })
                    .collect(),
                complete,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_from_this_one_across_the_year() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let m = months_from(d);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0], (2026, 12));
        assert_eq!(m[1], (2027, 1));
        assert_eq!(m[11], (2027, 11));
    }
}

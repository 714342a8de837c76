//! The record of handling (取扱状況, SPEC §4c): the durable trail — every reveal, document
//! photo view, number of an export's file and refused reveal — read back for an auditor,
//! newest first, filtered by period (Japanese days), person, employee, purpose and kind.

use crate::audit::{AuditEvent, AuditKind};
use crate::error::{FieldError, VaultError};
use crate::ids::{EmployeeId, Subject};
use crate::lookup::LookupService;
use crate::ports::{Cursor, ListError, Page, PageRequest};
use crate::purpose::Purpose;
use crate::usecase::Authorised;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

crate::usecase::operations! {
    ListHandling = (ListHandling, ReadHandling);
}

/// The longest period one listing covers.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Reads of the table one request makes at most: a long quiet period is answered with a
/// cursor (and fewer items) rather than with a long wait.
const READS_PER_REQUEST: usize = 40;
/// Events one read asks for.
const READ_LIMIT: u16 = 100;

/// What the auditor asks for: a period of Japanese days (both included), kept as the
/// instants it spans, and any of the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlingFilter {
    /// `from` 00:00 in Japan.
    start: DateTime<Utc>,
    /// The end of `to` in Japan (the next day's 00:00).
    end: DateTime<Utc>,
    pub actor: Option<Subject>,
    pub employee: Option<EmployeeId>,
    pub purpose: Option<Purpose>,
    pub kind: Option<AuditKind>,
}

impl HandlingFilter {
    /// The period `from`..=`to`: not backwards, at most `MAX_PERIOD_DAYS` long.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<HandlingFilter, FieldError> {
        if from > to {
            return Err(FieldError::new("from", "after_to"));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(FieldError::new("to", "range"));
        }
        let jst_midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc() - Duration::hours(9);
        Ok(HandlingFilter {
            start: jst_midnight(from),
            end: jst_midnight(to) + Duration::days(1),
            actor: None,
            employee: None,
            purpose: None,
            kind: None,
        })
    }

    /// The UTC days whose partitions hold the period's events, first and last.
    fn utc_days(&self) -> (NaiveDate, NaiveDate) {
        (
            self.start.date_naive(),
            (self.end - Duration::milliseconds(1)).date_naive(),
        )
    }

    fn admits(&self, e: &AuditEvent) -> bool {
        let at = e.time.at();
        at >= self.start
            && at < self.end
            && self
                .actor
                .as_ref()
                .is_none_or(|a| e.actor.as_ref() == Some(a))
            && self
                .employee
                .as_ref()
                .is_none_or(|x| e.employee_id.as_ref() == Some(x))
            && self.purpose.is_none_or(|p| e.purpose == Some(p))
            && self.kind.is_none_or(|k| e.event == k)
    }
}

/// A listing position: a UTC day and the store's position in it (`0`: its start).
fn position(day: NaiveDate, after: Option<&Cursor>) -> Option<Cursor> {
    let inner = after.map_or("0", Cursor::as_str);
    Cursor::parse(&format!("{}.{inner}", day.format("%Y%m%d")))
}

fn parse_position(c: &Cursor) -> Option<(NaiveDate, Option<Cursor>)> {
    let (day, inner) = c.as_str().split_once('.')?;
    let day = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
    let after = match inner {
        "0" => None,
        other => Some(Cursor::parse(other)?),
    };
    Some((day, after))
}

impl LookupService {
    /// `GET /v1/handling`: the tenant's durable trail, newest first.
    pub async fn list_handling(
        &self,
        auth: Authorised<'_, ops::ListHandling>,
        input: (HandlingFilter, PageRequest),
    ) -> Result<Page<AuditEvent>, VaultError> {
        auth.run(async |event, principal, _now| {
            let (filter, page) = input;
            event.employee_id = filter.employee.clone();
            event.purpose = filter.purpose;
            let (first, last) = filter.utc_days();
            let (mut day, mut after) = match &page.cursor {
                None => (last, None),
                Some(c) => parse_position(c)
                    .filter(|(d, _)| (first..=last).contains(d))
                    .ok_or(ListError::BadCursor)?,
            };
            let limit = usize::from(page.limit);
            let mut items = Vec::new();
            let mut reads = 0;
            let next_cursor = loop {
                if day < first {
                    break None;
                }
                if reads == READS_PER_REQUEST {
                    break position(day, after.as_ref());
                }
                let part = self
                    .store
                    .trail_of_day(&principal.tenant, day, after.as_ref(), READ_LIMIT)
                    .await?;
                reads += 1;
                let count = part.entries.len();
                let mut taken = 0;
                for entry in part.entries {
                    taken += 1;
                    after = Some(entry.position);
                    if filter.admits(&entry.event) {
                        items.push(entry.event);
                        if items.len() == limit {
                            break;
                        }
                    }
                }
                if taken == count && !part.more {
                    day = day.pred_opt().unwrap_or(NaiveDate::MIN);
                    after = None;
                }
                if items.len() == limit {
                    break if day < first {
                        None
                    } else {
                        position(day, after.as_ref())
                    };
                }
            };
            event.count = Some(items.len() as u64);
            Ok(Page { items, next_cursor })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_of_japanese_days_spans_its_utc_days() {
        let f = HandlingFilter::new(day("2026-04-01"), day("2026-04-30")).unwrap();
        // 2026-04-01 00:00 JST is 2026-03-31 15:00 UTC.
        assert_eq!(f.utc_days(), (day("2026-03-31"), day("2026-04-30")));
        assert_eq!(f.start.to_rfc3339(), "2026-03-31T15:00:00+00:00");
        assert_eq!(f.end.to_rfc3339(), "2026-04-30T15:00:00+00:00");
    }

    #[test]
    fn periods_run_forward_and_are_at_most_a_year() {
        assert_eq!(
            HandlingFilter::new(day("2026-04-02"), day("2026-04-01")).unwrap_err(),
            FieldError::new("from", "after_to")
        );
        // 366 days, both ends included, and no more.
        assert!(HandlingFilter::new(day("2025-04-01"), day("2026-04-01")).is_ok());
        assert_eq!(
            HandlingFilter::new(day("2025-03-31"), day("2026-04-01")).unwrap_err(),
            FieldError::new("to", "range")
        );
    }

    #[test]
    fn positions_read_back() {
        let at = Cursor::parse("abc-1").unwrap();
        let p = position(day("2026-04-01"), Some(&at)).unwrap();
        assert_eq!(p.as_str(), "20260401.abc-1");
        assert_eq!(parse_position(&p), Some((day("2026-04-01"), Some(at))));
        let start = position(day("2026-04-01"), None).unwrap();
        assert_eq!(parse_position(&start), Some((day("2026-04-01"), None)));
        assert_eq!(parse_position(&Cursor::parse("x").unwrap()), None);
    }
}

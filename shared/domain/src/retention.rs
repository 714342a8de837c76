//! Retention (SPEC §2.6): when a departed employee's records fall due for deletion.
//!
//! `due_on` is the last day of retention. A record is gone (for reads, purge and TTL) from
//! the day after, in Japan time: the 2025 扶養控除等申告書 is kept "until 2033-01-10",
//! so its record is readable through 2033-01-10 and gone on 2033-01-11.

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;

/// Statutory retention of the 扶養控除等申告書: 7 years from the day after 10 January of
/// the year after the form's year.
pub const DECLARATION_RETENTION_YEARS: u32 = 7;

/// The per-deployment rule: keep records this many years after the leaving date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionRule {
    years_after_leaving: u32,
}

impl Default for RetentionRule {
    fn default() -> Self {
        RetentionRule {
            years_after_leaving: 7,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("retention years must be between 1 and 50")]
pub struct BadRetentionYears;

impl RetentionRule {
    pub fn new(years_after_leaving: u32) -> Result<Self, BadRetentionYears> {
        if (1..=50).contains(&years_after_leaving) {
            Ok(RetentionRule {
                years_after_leaving,
            })
        } else {
            Err(BadRetentionYears)
        }
    }

    /// The later of the leaving-date rule and, when given, the end of the last
    /// declaration form's statutory retention.
    pub fn departure(
        &self,
        left_on: NaiveDate,
        last_declaration_year: Option<i32>,
    ) -> Result<Departure, DeclarationYearRule> {
        let by_leaving = add_years(left_on, self.years_after_leaving);
        let due_on = match last_declaration_year {
            None => by_leaving,
            Some(year) => {
                check_declaration_year(year, left_on)?;
                by_leaving.max(declaration_retention_end(year))
            }
        };
        Ok(Departure {
            left_on,
            last_declaration_year,
            due_on,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclarationYearRule {
    /// Before 2016 (no My Number on the form) or after the year following departure.
    Range,
}

impl DeclarationYearRule {
    pub fn code(self) -> &'static str {
        "range"
    }
}

fn check_declaration_year(year: i32, left_on: NaiveDate) -> Result<(), DeclarationYearRule> {
    // The form for year Y is handed in late in Y-1, so someone leaving in December may
    // already have given next year's.
    if (2016..=left_on.year() + 1).contains(&year) {
        Ok(())
    } else {
        Err(DeclarationYearRule::Range)
    }
}

/// Last day the form for `year` must be kept: 7 years from 11 January of `year + 1`,
/// i.e. 10 January of `year + 8`.
pub fn declaration_retention_end(year: i32) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year + 1, 1, 11).expect("11 January exists");
    add_years(start, DECLARATION_RETENTION_YEARS)
        .pred_opt()
        .expect("a day before exists")
}

/// Adds whole years; 29 February lands on 28 February in a common year.
pub fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(years * 12))
        .expect("dates stay far inside chrono's range")
}

/// A departure and what it means for retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Departure {
    pub left_on: NaiveDate,
    pub last_declaration_year: Option<i32>,
    /// Last day of retention.
    pub due_on: NaiveDate,
}

impl Departure {
    pub fn is_past_due(&self, today: NaiveDate) -> bool {
        today > self.due_on
    }

    /// The instant the record becomes gone: 00:00 JST on the day after `due_on`.
    pub fn gone_at(&self) -> DateTime<Utc> {
        jst_midnight(self.due_on.succ_opt().expect("a next day exists"))
    }
}

/// 00:00 in Japan on `day`.
pub fn jst_midnight(day: NaiveDate) -> DateTime<Utc> {
    jst()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .expect("JST has no gaps")
        .with_timezone(&Utc)
}

/// Japan's time zone (no daylight saving), which the law's days and HR's clocks are in.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is valid")
}

/// Today's date in Japan, which is the date the law and HR staff count in.
pub fn jst_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&jst()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn spec_declaration_example() {
        assert_eq!(declaration_retention_end(2025), d(2033, 1, 10));
    }

    #[test]
    fn later_date_wins() {
        let rule = RetentionRule::default();
        // Leaving rule later than the declaration rule.
        let dep = rule.departure(d(2026, 3, 31), Some(2025)).unwrap();
        assert_eq!(dep.due_on, d(2033, 3, 31));
        // Declaration rule later: left early in the year after handing in next year's form.
        let dep = rule.departure(d(2025, 12, 31), Some(2026)).unwrap();
        assert_eq!(dep.due_on, d(2034, 1, 10));
        // Left early January with the previous year's form.
        let dep = rule.departure(d(2026, 1, 5), Some(2025)).unwrap();
        assert_eq!(dep.due_on, d(2033, 1, 10));
    }

    #[test]
    fn leap_day_plus_seven_years_is_28_february() {
        let dep = RetentionRule::default()
            .departure(d(2024, 2, 29), None)
            .unwrap();
        assert_eq!(dep.due_on, d(2031, 2, 28));
        // …and to a leap year it stays 29 February.
        let dep = RetentionRule::new(4)
            .unwrap()
            .departure(d(2024, 2, 29), None)
            .unwrap();
        assert_eq!(dep.due_on, d(2028, 2, 29));
    }

    #[test]
    fn configurable_years() {
        assert!(RetentionRule::new(0).is_err());
        let dep = RetentionRule::new(10)
            .unwrap()
            .departure(d(2026, 4, 1), None)
            .unwrap();
        assert_eq!(dep.due_on, d(2036, 4, 1));
    }

    #[test]
    fn declaration_year_range() {
        let rule = RetentionRule::default();
        assert_eq!(
            rule.departure(d(2026, 3, 31), Some(2015)).unwrap_err(),
            DeclarationYearRule::Range
        );
        assert_eq!(
            rule.departure(d(2026, 3, 31), Some(2028)).unwrap_err(),
            DeclarationYearRule::Range
        );
        assert!(rule.departure(d(2026, 3, 31), Some(2027)).is_ok());
    }

    #[test]
    fn gone_from_the_day_after_due_in_japan_time() {
        let dep = RetentionRule::default()
            .departure(d(2026, 1, 5), Some(2025))
            .unwrap();
        assert!(!dep.is_past_due(d(2033, 1, 10)));
        assert!(dep.is_past_due(d(2033, 1, 11)));
        assert_eq!(dep.gone_at().to_rfc3339(), "2033-01-10T15:00:00+00:00");
        let just_before = dep.gone_at() - chrono::Duration::seconds(1);
        assert_eq!(jst_today(just_before), d(2033, 1, 10));
        assert_eq!(jst_today(dep.gone_at()), d(2033, 1, 11));
    }
}

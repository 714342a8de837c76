//! The audit review: from audit events to the figures an auditor asks for (SPEC §2.4,
//! §2.6; the PPC guideline's 取扱状況の記録). Pure: events in, report out.
//!
//! Events are the domain's `AuditEvent`, and every decision here matches on its enums; the
//! report's rows hold values as their wire strings, which is what the JSON and CSV show.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use mynumber_domain::audit::{AuditEvent, AuditKind, Outcome, Reason};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

fn is_reveal(e: &AuditEvent) -> bool {
    e.event == AuditKind::Reveal && e.outcome == Outcome::Success
}

/// An id, code or address as the report shows it: its wire string.
fn wire<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "-".into(),
    }
}

fn opt_wire<T: Serialize>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(wire)
}

#[derive(Debug, Clone)]
pub struct ReviewConfig {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The office's time zone (JST by default): days and business hours are counted in it.
    pub offset: FixedOffset,
    pub business_start: NaiveTime,
    pub business_end: NaiveTime,
    /// A principal revealing more distinct records than this in a day is flagged.
    pub max_reveals_per_day: usize,
    /// A record revealed by more distinct principals than this is flagged.
    pub max_principals_per_record: usize,
}

impl ReviewConfig {
    pub fn new(since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        ReviewConfig {
            since,
            until,
            offset: FixedOffset::east_opt(9 * 3600).expect("valid"),
            business_start: NaiveTime::from_hms_opt(9, 0, 0).expect("valid"),
            business_end: NaiveTime::from_hms_opt(18, 0, 0).expect("valid"),
            max_reveals_per_day: 50,
            max_principals_per_record: 2,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RevealCount {
    pub day: NaiveDate,
    pub actor: String,
    pub purpose: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordReveals {
    pub record_id: String,
    pub reveals: u64,
    pub principals: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Denial {
    pub time: DateTime<Utc>,
    pub actor: Option<String>,
    pub tenant_id: Option<String>,
    pub action: Option<String>,
    pub reason: Option<String>,
    pub record_id: Option<String>,
    pub purpose: Option<String>,
    pub source_ip: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OutOfHours {
    pub time: DateTime<Utc>,
    pub local_time: String,
    pub actor: String,
    pub record_id: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyRevealer {
    pub day: NaiveDate,
    pub actor: String,
    pub records: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Disposal {
    pub time: DateTime<Utc>,
    pub record_id: Option<String>,
    pub employee_id: Option<String>,
    pub tenant_id: Option<String>,
    pub reason: Option<String>,
    /// The principal, or `schedule`.
    pub by: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PurgeRun {
    pub time: DateTime<Utc>,
    pub disposed: u64,
    pub remaining: u64,
    pub outcome: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Overdue {
    /// Due records the last purge run left for the next (past due, not yet disposed of).
    pub left_by_last_purge: u64,
    /// Disposals the purge reported failed and that no later disposal resolved.
    pub failed_disposals: Vec<String>,
    /// Whole days of the range in which no purge run was seen.
    pub days_without_purge: Vec<NaiveDate>,
}

/// One export for filings (SPEC §4b), assembled from its request, approval and download.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct ExportRow {
    pub export_id: String,
    pub tenant_id: Option<String>,
    pub purpose: Option<String>,
    pub requested_by: Option<String>,
    pub requested_at: Option<DateTime<Utc>>,
    /// Records selected when requested.
    pub records: Option<u64>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub downloaded_by: Option<String>,
    pub downloaded_at: Option<DateTime<Utc>>,
    /// Numbers in the downloaded file.
    pub numbers: Option<u64>,
    pub expired: bool,
}

/// Something an auditor should look at; any makes the command exit with status 2.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub events: usize,
    pub reveals: u64,
    pub reveals_by_handler_purpose_day: Vec<RevealCount>,
    pub reveals_per_record: Vec<RecordReveals>,
    pub denials: Vec<Denial>,
    pub out_of_hours_reveals: Vec<OutOfHours>,
    pub heavy_revealers: Vec<HeavyRevealer>,
    pub widely_revealed_records: Vec<RecordReveals>,
    pub disposals: Vec<Disposal>,
    pub exports: Vec<ExportRow>,
    pub disposals_by_reason: BTreeMap<String, u64>,
    pub purge_runs: Vec<PurgeRun>,
    pub overdue: Overdue,
    pub anomalies: Vec<Anomaly>,
}

/// Denials worth an auditor's attention by themselves: a use for a purpose not stated at
/// intake, and bulk reading cut off by the quota.
const ALARMING_DENIALS: &[Reason] = &[Reason::PurposeNotStated, Reason::Throttled];

pub fn review(events: &[AuditEvent], cfg: &ReviewConfig) -> Report {
    let mut events: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.time.at() >= cfg.since && e.time.at() < cfg.until)
        .collect();
    events.sort_by_key(|e| e.time.at());
    let day = |t: DateTime<Utc>| t.with_timezone(&cfg.offset).date_naive();

    let mut by_hpd: BTreeMap<(NaiveDate, String, String), u64> = BTreeMap::new();
    let mut per_record: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    let mut per_actor_day: BTreeMap<(NaiveDate, String), BTreeSet<String>> = BTreeMap::new();
    let mut out_of_hours = Vec::new();
    let mut denials = Vec::new();
    let mut disposals = Vec::new();
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut purge_runs = Vec::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut reveals = 0u64;
    let mut exports: BTreeMap<String, ExportRow> = BTreeMap::new();

    for e in &events {
        let time = e.time.at();
        if is_reveal(e) {
            reveals += 1;
            let actor = opt_wire(&e.actor).unwrap_or_else(|| "-".into());
            let purpose = opt_wire(&e.purpose).unwrap_or_else(|| "-".into());
            *by_hpd
                .entry((day(time), actor.clone(), purpose))
                .or_default() += 1;
            if let Some(r) = opt_wire(&e.record_id) {
                let entry = per_record.entry(r.clone()).or_default();
                entry.0 += 1;
                entry.1.insert(actor.clone());
                // An export's numbers were approved by a second person: not bulk reading.
                if e.export_id.is_none() {
                    per_actor_day
                        .entry((day(time), actor.clone()))
                        .or_default()
                        .insert(r);
                }
            }
            let local = time.with_timezone(&cfg.offset);
            let t = local.time();
            let weekend = matches!(local.format("%u").to_string().as_str(), "6" | "7");
            if weekend || t < cfg.business_start || t >= cfg.business_end {
                out_of_hours.push(OutOfHours {
                    time,
                    local_time: local.format("%Y-%m-%d %a %H:%M:%S%:z").to_string(),
                    actor,
                    record_id: opt_wire(&e.record_id),
                    purpose: opt_wire(&e.purpose),
                });
            }
        }
        if let Some(id) = opt_wire(&e.export_id)
            && e.outcome == Outcome::Success
        {
            let row = exports.entry(id.clone()).or_insert_with(|| ExportRow {
                export_id: id,
                ..ExportRow::default()
            });
            row.tenant_id = row.tenant_id.take().or(opt_wire(&e.tenant_id));
            row.purpose = row.purpose.take().or(opt_wire(&e.purpose));
            match e.event {
                AuditKind::ExportRequested => {
                    row.requested_by = opt_wire(&e.actor);
                    row.requested_at = Some(time);
                    row.records = e.count;
                }
                AuditKind::ExportApproved => {
                    row.approved_by = opt_wire(&e.actor);
                    row.approved_at = Some(time);
                }
                AuditKind::ExportDownloaded => {
                    row.downloaded_by = opt_wire(&e.actor);
                    row.downloaded_at = Some(time);
                    row.numbers = e.count;
                }
                AuditKind::ExportExpired => row.expired = true,
                _ => {}
            }
        }
        match (e.event, e.outcome) {
            (AuditKind::Denied, _) => denials.push(Denial {
                time,
                actor: opt_wire(&e.actor),
                tenant_id: opt_wire(&e.tenant_id),
                action: opt_wire(&e.action),
                reason: opt_wire(&e.reason),
                record_id: opt_wire(&e.record_id),
                purpose: opt_wire(&e.purpose),
                source_ip: opt_wire(&e.source_ip),
            }),
            (AuditKind::Disposal, Outcome::Success) => {
                if let Some(r) = opt_wire(&e.record_id) {
                    failed.remove(&r);
                }
                let reason = opt_wire(&e.reason).unwrap_or_else(|| "-".into());
                *by_reason.entry(reason).or_default() += 1;
                disposals.push(Disposal {
                    time,
                    record_id: opt_wire(&e.record_id),
                    employee_id: opt_wire(&e.employee_id),
                    tenant_id: opt_wire(&e.tenant_id),
                    reason: opt_wire(&e.reason),
                    by: opt_wire(&e.actor).unwrap_or_else(|| "schedule".into()),
                });
            }
            (AuditKind::Disposal, Outcome::Failed) => {
                if let Some(r) = opt_wire(&e.record_id) {
                    failed.insert(r);
                }
            }
            (AuditKind::PurgeRun, outcome) => purge_runs.push(PurgeRun {
                time,
                disposed: e.count.unwrap_or(0),
                remaining: e.remaining.unwrap_or(0),
                outcome: wire(&outcome),
                reason: opt_wire(&e.reason),
            }),
            _ => {}
        }
    }

    let reveals_per_record: Vec<RecordReveals> = per_record
        .into_iter()
        .map(|(record_id, (reveals, principals))| RecordReveals {
            record_id,
            reveals,
            principals: principals.into_iter().collect(),
        })
        .collect();
    let widely: Vec<RecordReveals> = reveals_per_record
        .iter()
        .filter(|r| r.principals.len() > cfg.max_principals_per_record)
        .cloned()
        .collect();
    let heavy: Vec<HeavyRevealer> = per_actor_day
        .into_iter()
        .filter(|(_, records)| records.len() > cfg.max_reveals_per_day)
        .map(|((day, actor), records)| HeavyRevealer {
            day,
            actor,
            records: records.len(),
        })
        .collect();

    // Days wholly inside the range with no purge run — only once purge events are in the
    // input at all (a file of one function's log is not evidence of a missing schedule).
    let mut days_without_purge = Vec::new();
    if !purge_runs.is_empty() {
        let ran: BTreeSet<NaiveDate> = purge_runs.iter().map(|r| day(r.time)).collect();
        let mut d = day(cfg.since);
        while d <= day(cfg.until) {
            let start = d
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_local_timezone(cfg.offset)
                .single();
            let whole = start.is_some_and(|s| {
                s.with_timezone(&Utc) >= cfg.since
                    && s.with_timezone(&Utc) + Duration::days(1) <= cfg.until
            });
            if whole && !ran.contains(&d) {
                days_without_purge.push(d);
            }
            d = d.succ_opt().expect("a next day");
        }
    }
    let overdue = Overdue {
        left_by_last_purge: purge_runs.last().map(|r| r.remaining).unwrap_or(0),
        failed_disposals: failed.into_iter().collect(),
        days_without_purge,
    };

    let mut anomalies = Vec::new();
    for o in &out_of_hours {
        anomalies.push(Anomaly {
            kind: "reveal_out_of_hours",
            detail: format!(
                "{} revealed {} at {}",
                o.actor,
                o.record_id.as_deref().unwrap_or("-"),
                o.local_time
            ),
        });
    }
    for h in &heavy {
        anomalies.push(Anomaly {
            kind: "many_reveals_by_one_principal",
            detail: format!(
                "{} revealed {} records on {} (limit {})",
                h.actor, h.records, h.day, cfg.max_reveals_per_day
            ),
        });
    }
    for r in &widely {
        anomalies.push(Anomaly {
            kind: "record_revealed_by_many",
            detail: format!(
                "{} revealed by {} principals: {} (limit {})",
                r.record_id,
                r.principals.len(),
                r.principals.join(", "),
                cfg.max_principals_per_record
            ),
        });
    }
    // Four eyes: a download is flagged unless someone other than its requester approved
    // it (the only one who may download is the requester). The approval comes within the
    // hour before the download, so a range that holds the download holds it too, unless
    // the range starts inside that hour.
    let exports: Vec<ExportRow> = exports.into_values().collect();
    for x in exports.iter().filter(|x| x.downloaded_at.is_some()) {
        let requester = x.requested_by.as_ref().or(x.downloaded_by.as_ref());
        let approved = x.approved_by.as_ref().is_some_and(|a| Some(a) != requester);
        if !approved {
            anomalies.push(Anomaly {
                kind: "export_without_second_approval",
                detail: format!(
                    "export {} downloaded by {} without an approval by another person",
                    x.export_id,
                    x.downloaded_by.as_deref().unwrap_or("-")
                ),
            });
        }
    }
    let shown = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for e in events.iter().filter(|e| {
        e.event == AuditKind::Denied && e.reason.is_some_and(|r| ALARMING_DENIALS.contains(&r))
    }) {
        anomalies.push(Anomaly {
            kind: "denial",
            detail: format!(
                "{} denied {} ({}) on {}",
                shown(opt_wire(&e.actor)),
                shown(opt_wire(&e.action)),
                shown(opt_wire(&e.reason)),
                shown(opt_wire(&e.record_id))
            ),
        });
    }
    if overdue.left_by_last_purge > 0 {
        anomalies.push(Anomaly {
            kind: "overdue_records",
            detail: format!(
                "the last purge run left {} due records for the next run",
                overdue.left_by_last_purge
            ),
        });
    }
    for r in &overdue.failed_disposals {
        anomalies.push(Anomaly {
            kind: "disposal_failed",
            detail: format!("{r} is past due and its disposal failed"),
        });
    }
    for d in &overdue.days_without_purge {
        anomalies.push(Anomaly {
            kind: "purge_missing",
            detail: format!("no purge run on {d}"),
        });
    }
    for e in events
        .iter()
        .filter(|e| e.event == AuditKind::PurgeRun && e.outcome == Outcome::Failed)
    {
        anomalies.push(Anomaly {
            kind: "purge_failed",
            detail: format!(
                "purge run at {} failed ({})",
                e.time.at(),
                shown(opt_wire(&e.reason))
            ),
        });
    }

    Report {
        since: cfg.since,
        until: cfg.until,
        events: events.len(),
        reveals,
        reveals_by_handler_purpose_day: by_hpd
            .into_iter()
            .map(|((day, actor, purpose), count)| RevealCount {
                day,
                actor,
                purpose,
                count,
            })
            .collect(),
        reveals_per_record,
        denials,
        out_of_hours_reveals: out_of_hours,
        heavy_revealers: heavy,
        widely_revealed_records: widely,
        disposals,
        exports,
        disposals_by_reason: by_reason,
        purge_runs,
        overdue,
        anomalies,
    }
}

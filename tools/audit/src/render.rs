//! The report as a readable table (default), JSON, or CSV (one row per figure, with a
//! `section` column so it loads into a spreadsheet as one sheet).

use crate::report::Report;
use chrono::{DateTime, Utc};
use std::fmt::Write;

fn table(out: &mut String, title: &str, header: &[&str], rows: Vec<Vec<String>>) {
    let _ = writeln!(out, "\n{title}");
    if rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        format!("  {}", padded.join("  ").trim_end())
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    let _ = writeln!(
        out,
        "{}",
        line(
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect()
        )
    );
    for row in &rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

pub fn to_table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Audit review {} .. {}: {} events, {} reveals, {} denials, {} disposals, {} anomalies",
        r.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        r.until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        r.events,
        r.reveals,
        r.denials.len(),
        r.disposals.len(),
        r.anomalies.len()
    );
    table(
        &mut out,
        "Reveals by handler, purpose and day",
        &["day", "handler", "purpose", "reveals"],
        r.reveals_by_handler_purpose_day
            .iter()
            .map(|c| {
                vec![
                    c.day.to_string(),
                    c.actor.clone(),
                    c.purpose.clone(),
                    c.count.to_string(),
                ]
            })
            .collect(),
    );
    table(
        &mut out,
        "Reveals per record",
        &["record", "reveals", "principals"],
        r.reveals_per_record
            .iter()
            .map(|c| {
                vec![
                    c.record_id.clone(),
                    c.reveals.to_string(),
                    c.principals.join(" "),
                ]
            })
            .collect(),
    );
    table(
        &mut out,
        "Denials",
        &[
            "time",
            "principal",
            "action",
            "reason",
            "record",
            "purpose",
            "from",
        ],
        r.denials
            .iter()
            .map(|d| {
                vec![
                    d.time.to_rfc3339(),
                    opt(&d.actor),
                    opt(&d.action),
                    opt(&d.reason),
                    opt(&d.record_id),
                    opt(&d.purpose),
                    opt(&d.source_ip),
                ]
            })
            .collect(),
    );
    table(
        &mut out,
        "Reveals outside business hours",
        &["local time", "handler", "record", "purpose"],
        r.out_of_hours_reveals
            .iter()
            .map(|o| {
                vec![
                    o.local_time.clone(),
                    o.actor.clone(),
                    opt(&o.record_id),
                    opt(&o.purpose),
                ]
            })
            .collect(),
    );
    table(
        &mut out,
        "Principals over the daily reveal limit",
        &["day", "handler", "records"],
        r.heavy_revealers
            .iter()
            .map(|h| vec![h.day.to_string(), h.actor.clone(), h.records.to_string()])
            .collect(),
    );
    table(
        &mut out,
        "Records revealed by more principals than the limit",
        &["record", "principals"],
        r.widely_revealed_records
            .iter()
            .map(|w| vec![w.record_id.clone(), w.principals.join(" ")])
            .collect(),
    );
    table(
        &mut out,
        "Disposals",
        &["time", "record", "employee", "reason", "by"],
        r.disposals
            .iter()
            .map(|d| {
                vec![
                    d.time.to_rfc3339(),
                    opt(&d.record_id),
                    opt(&d.employee_id),
                    opt(&d.reason),
                    d.by.clone(),
                ]
            })
            .collect(),
    );
    let at = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
    table(
        &mut out,
        "Exports for filings",
        &[
            "export",
            "purpose",
            "requested by",
            "records",
            "approved by",
            "downloaded by",
            "downloaded at",
            "numbers",
        ],
        r.exports
            .iter()
            .map(|x| {
                vec![
                    x.export_id.clone(),
                    opt(&x.purpose),
                    opt(&x.requested_by),
                    x.records
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "-".into()),
                    opt(&x.approved_by),
                    opt(&x.downloaded_by),
                    if x.expired {
                        "expired".into()
                    } else {
                        at(&x.downloaded_at)
                    },
                    x.numbers
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
    );
    table(
        &mut out,
        "Purge runs",
        &["time", "disposed", "left for next run", "outcome"],
        r.purge_runs
            .iter()
            .map(|p| {
                vec![
                    p.time.to_rfc3339(),
                    p.disposed.to_string(),
                    p.remaining.to_string(),
                    p.outcome.clone(),
                ]
            })
            .collect(),
    );
    let _ = writeln!(
        out,
        "\nPast due, not yet disposed of: {} left by the last purge run; failed disposals: {}; days without a purge run: {}",
        r.overdue.left_by_last_purge,
        if r.overdue.failed_disposals.is_empty() {
            "none".into()
        } else {
            r.overdue.failed_disposals.join(" ")
        },
        if r.overdue.days_without_purge.is_empty() {
            "none".into()
        } else {
            r.overdue
                .days_without_purge
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        },
    );
    table(
        &mut out,
        "Anomalies",
        &["kind", "detail"],
        r.anomalies
            .iter()
            .map(|a| vec![a.kind.to_owned(), a.detail.clone()])
            .collect(),
    );
    out
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Columns: section, day_or_time, principal, purpose_or_reason, record, value.
pub fn to_csv(r: &Report) -> String {
    let mut rows: Vec<[String; 6]> = Vec::new();
    for c in &r.reveals_by_handler_purpose_day {
        rows.push([
            "reveals_by_handler_purpose_day".into(),
            c.day.to_string(),
            c.actor.clone(),
            c.purpose.clone(),
            String::new(),
            c.count.to_string(),
        ]);
    }
    for c in &r.reveals_per_record {
        rows.push([
            "reveals_per_record".into(),
            String::new(),
            c.principals.join(" "),
            String::new(),
            c.record_id.clone(),
            c.reveals.to_string(),
        ]);
    }
    for d in &r.denials {
        rows.push([
            "denial".into(),
            d.time.to_rfc3339(),
            opt(&d.actor),
            opt(&d.reason),
            opt(&d.record_id),
            opt(&d.action),
        ]);
    }
    for o in &r.out_of_hours_reveals {
        rows.push([
            "reveal_out_of_hours".into(),
            o.local_time.clone(),
            o.actor.clone(),
            opt(&o.purpose),
            opt(&o.record_id),
            String::new(),
        ]);
    }
    for h in &r.heavy_revealers {
        rows.push([
            "many_reveals_by_one_principal".into(),
            h.day.to_string(),
            h.actor.clone(),
            String::new(),
            String::new(),
            h.records.to_string(),
        ]);
    }
    for w in &r.widely_revealed_records {
        rows.push([
            "record_revealed_by_many".into(),
            String::new(),
            w.principals.join(" "),
            String::new(),
            w.record_id.clone(),
            w.principals.len().to_string(),
        ]);
    }
    for d in &r.disposals {
        rows.push([
            "disposal".into(),
            d.time.to_rfc3339(),
            d.by.clone(),
            opt(&d.reason),
            opt(&d.record_id),
            opt(&d.employee_id),
        ]);
    }
    for x in &r.exports {
        rows.push([
            "export".into(),
            x.downloaded_at
                .or(x.requested_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            x.requested_by.clone().unwrap_or_default(),
            x.purpose.clone().unwrap_or_default(),
            x.export_id.clone(),
            format!(
                "approved_by={} downloaded_by={} numbers={}",
                x.approved_by.as_deref().unwrap_or("-"),
                x.downloaded_by.as_deref().unwrap_or("-"),
                x.numbers
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into())
            ),
        ]);
    }
    for p in &r.purge_runs {
        rows.push([
            "purge_run".into(),
            p.time.to_rfc3339(),
            "schedule".into(),
            p.outcome.clone(),
            String::new(),
            format!("{}/{}", p.disposed, p.remaining),
        ]);
    }
    for a in &r.anomalies {
        rows.push([
            "anomaly".into(),
            String::new(),
            String::new(),
            a.kind.to_owned(),
            String::new(),
            a.detail.clone(),
        ]);
    }
    let mut out = String::from("section,day_or_time,principal,purpose_or_reason,record,value\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

pub fn to_json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("a report serializes")
}

//! Export items (SPEC §4b): one per export in the tenant's exports partition. They name
//! the selected employees and never a number.

use super::{Corrupt, EXPIRES_AT, Item, get_s, n, s};
use crate::keys::*;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use mynumber_domain::export::{Approval, Export, ExportId, Selection, Stage};
use mynumber_domain::ids::{EmployeeId, Subject, TenantId};
use mynumber_domain::purpose::Purpose;
use mynumber_domain::record::timestamp;

/// Exports stay listable this long after their request, for the auditors.
pub const EXPORT_KEPT: Duration = Duration::days(400);

pub fn export_to_item(e: &Export) -> Item {
    let mut item = export_key(&e.tenant_id, &e.export_id);
    let (status, approval, downloaded) = match &e.stage {
        Stage::PendingApproval => ("pending_approval", None, None),
        Stage::Approved(a) => ("approved", Some(a), None),
        Stage::Downloaded { approval, at } => ("downloaded", Some(approval), Some(*at)),
        Stage::Expired { approval } => ("expired", approval.as_ref(), None),
    };
    item.extend([
        ("kind".into(), s("export")),
        ("tenant_id".into(), s(e.tenant_id.as_str())),
        ("export_id".into(), s(e.export_id.as_str())),
        ("purpose".into(), s(e.purpose.code())),
        ("record_count".into(), n(e.record_count)),
        ("requested_by".into(), s(e.requested_by.as_str())),
        ("requested_at".into(), s(timestamp(e.requested_at))),
        ("status".into(), s(status)),
        ("version".into(), n(e.version)),
        (
            EXPIRES_AT.into(),
            n((e.requested_at + EXPORT_KEPT).timestamp()),
        ),
    ]);
    match &e.selection {
        Selection::All => item.insert("all".into(), AttributeValue::Bool(true)),
        Selection::Employees(ids) => item.insert(
            "employee_ids".into(),
            AttributeValue::Ss(ids.iter().map(|i| i.as_str().to_owned()).collect()),
        ),
    };
    if let Some(a) = approval {
        item.insert("approved_by".into(), s(a.by.as_str()));
        item.insert("approved_at".into(), s(timestamp(a.at)));
    }
    if let Some(at) = downloaded {
        item.insert("downloaded_at".into(), s(timestamp(at)));
    }
    item
}

pub fn export_from_item(item: &Item) -> Result<Export, Corrupt> {
    let ts = |k: &'static str| -> Result<DateTime<Utc>, Corrupt> {
        DateTime::parse_from_rfc3339(get_s(item, k)?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Corrupt(k))
    };
    let num = |k: &'static str| -> Result<u64, Corrupt> {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or(Corrupt(k))
    };
    let subject = |k: &'static str| -> Result<Subject, Corrupt> {
        Subject::parse(get_s(item, k)?).map_err(|_| Corrupt(k))
    };
    let approval = match item.get("approved_by") {
        None => None,
        Some(_) => Some(Approval {
            by: subject("approved_by")?,
            at: ts("approved_at")?,
        }),
    };
    let stage = match (get_s(item, "status")?, approval) {
        ("pending_approval", None) => Stage::PendingApproval,
        ("approved", Some(a)) => Stage::Approved(a),
        ("downloaded", Some(approval)) => Stage::Downloaded {
            approval,
            at: ts("downloaded_at")?,
        },
        ("expired", approval) => Stage::Expired { approval },
        _ => return Err(Corrupt("status")),
    };
    let selection = match item.get("employee_ids") {
        Some(v) => Selection::Employees(
            v.as_ss()
                .map_err(|_| Corrupt("employee_ids"))?
                .iter()
                .map(|e| EmployeeId::parse(e).map_err(|_| Corrupt("employee_ids")))
                .collect::<Result<_, _>>()?,
        ),
        None if item.get("all").and_then(|v| v.as_bool().ok()) == Some(&true) => Selection::All,
        None => return Err(Corrupt("all")),
    };
    Ok(Export {
        tenant_id: TenantId::parse(get_s(item, "tenant_id")?).map_err(|_| Corrupt("tenant_id"))?,
        export_id: ExportId::parse(get_s(item, "export_id")?).map_err(|_| Corrupt("export_id"))?,
        purpose: Purpose::parse(get_s(item, "purpose")?).ok_or(Corrupt("purpose"))?,
        selection,
        record_count: u32::try_from(num("record_count")?).map_err(|_| Corrupt("record_count"))?,
        requested_by: subject("requested_by")?,
        requested_at: ts("requested_at")?,
        stage,
        version: num("version")?,
    })
}

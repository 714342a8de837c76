//! Audit events (SPEC §2.4): who did what, when, from where, to which record, for which
//! purpose, and how it ended. Every field is a typed id, an enum or a static code, so no
//! free text — and so no My Number — can be put into one.

use crate::access::{Action, Principal, Role};
use crate::ids::{EmployeeId, RecordId, RequestId, Subject, TenantId};
use crate::purpose::Purpose;
use crate::record::timestamp;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Version of the audit event schema; bumped on any incompatible change.
pub const AUDIT_SCHEMA: &str = "mynumber-vault.audit/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Intake,
    RefusalRecorded,
    List,
    Reveal,
    /// An action refused by policy (no principal, wrong role, purpose not stated).
    Denied,
    Departure,
    DepartureCancelled,
    Disposal,
    ListDisposals,
    PurgeRun,
    AdvanceNotice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// An idempotent retry answered with the first response.
    Replayed,
    Denied,
    Invalid,
    NotFound,
    Conflict,
    Failed,
    /// Written before a decrypt: the reveal was authorised and is about to happen.
    Authorized,
}

/// Who is calling and from where, as the function saw it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub request_id: Option<RequestId>,
    pub source_ip: Option<IpAddr>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub log_type: &'static str,
    pub schema: &'static str,
    pub event: AuditKind,
    pub time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Subject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeSet<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<TenantId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<RecordId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<EmployeeId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
    /// Items listed, records disposed of, and the like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_record_id: Option<RecordId>,
    /// On `purge_run`: due records left for the next run (past due, not yet disposed of).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
}

impl AuditEvent {
    pub fn new(
        event: AuditKind,
        action: Option<Action>,
        caller: &Caller,
        now: DateTime<Utc>,
    ) -> Self {
        let principal = caller.principal.as_ref();
        AuditEvent {
            log_type: "audit",
            schema: AUDIT_SCHEMA,
            event,
            time: timestamp(now),
            action,
            outcome: Outcome::Success,
            reason: None,
            request_id: caller.request_id.clone(),
            actor: principal.map(|p| p.sub.clone()),
            roles: principal.map(|p| p.roles.clone()),
            tenant_id: principal.map(|p| p.tenant.clone()),
            source_ip: caller.source_ip,
            record_id: None,
            employee_id: None,
            relation: None,
            purpose: None,
            count: None,
            replaced_record_id: None,
            remaining: None,
        }
    }
}

/// Where audit events go besides the table: the function's log output (CloudWatch Logs).
pub trait AuditSink: Send + Sync {
    fn emit(&self, event: &AuditEvent);
}

//! Disposal records (削除・廃棄の記録, SPEC §2.6): evidence that a number was deleted,
//! holding ids and dates only.

use crate::ids::{EmployeeId, RecordId, Subject, TenantId};
use crate::record::{DependentLabel, Record, RelationKind, timestamp};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

crate::words::vocabulary! {
    pub enum DisposalReason {
        /// Early disposal: a dependant dropped, and the like.
        NoLongerNeeded = "no_longer_needed",
        /// The person withdrew the number.
        Withdrawn = "withdrawn",
        /// Registered in error.
        Error = "error",
        /// Replaced by an explicit `"replace": true` intake.
        Replaced = "replaced",
        /// Retention ended (the schedule, or an intake that found it past due).
        RetentionEnded = "retention_ended",
        /// DynamoDB TTL deleted the record before the purge did: the purge failed.
        TtlBackstop = "ttl_backstop",
        /// A registrar rejected a self-service submission.
        Rejected = "rejected",
        /// A self-service submission left unconfirmed past its review window.
        Unconfirmed = "unconfirmed",
    }
}

impl DisposalReason {
    /// The reason as HR reads it in mail (the console's labels say the same).
    pub fn label_ja(self) -> &'static str {
        match self {
            DisposalReason::NoLongerNeeded => "不要になった",
            DisposalReason::Withdrawn => "撤回",
            DisposalReason::Error => "誤登録",
            DisposalReason::Replaced => "置き換え",
            DisposalReason::RetentionEnded => "保存期間満了",
            DisposalReason::TtlBackstop => "自動削除（TTL）",
            DisposalReason::Rejected => "確認で却下",
            DisposalReason::Unconfirmed => "未確認のまま期限切れ",
        }
    }
}

/// Why a registrar rejected a submission, kept in its disposal record: 1–500 characters
/// of plain text that holds no My Number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisposalNote(String);

impl DisposalNote {
    pub fn parse(s: &str) -> Result<Self, crate::record::LabelRule> {
        use crate::record::LabelRule;
        let s = s.trim();
        let n = s.chars().count();
        if n == 0 || n > 500 {
            return Err(LabelRule::Length);
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(LabelRule::Charset);
        }
        if crate::number::holds_my_number(s) {
            return Err(LabelRule::ContainsNumber);
        }
        Ok(DisposalNote(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl DisposalReason {
    /// The reasons a registrar may give for an early disposal.
    pub fn parse_early(s: &str) -> Option<Self> {
        DisposalReason::parse(s).filter(|r| {
            matches!(
                r,
                DisposalReason::NoLongerNeeded | DisposalReason::Withdrawn | DisposalReason::Error
            )
        })
    }
}

/// Who disposed of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Disposer {
    Principal(Subject),
    Schedule,
    /// DynamoDB's TTL process (the backstop), seen through the table's stream.
    DynamodbTtl,
}

impl Disposer {
    /// As disposal items and certificates write it: `schedule`, `dynamodb_ttl` or
    /// `principal:{sub}`.
    pub fn stored(&self) -> String {
        match self {
            Disposer::Principal(p) => format!("principal:{p}"),
            Disposer::Schedule => "schedule".to_owned(),
            Disposer::DynamodbTtl => "dynamodb_ttl".to_owned(),
        }
    }

    /// The inverse of `stored`.
    pub fn parse_stored(s: &str) -> Option<Self> {
        match s {
            "schedule" => Some(Disposer::Schedule),
            "dynamodb_ttl" => Some(Disposer::DynamodbTtl),
            other => other
                .strip_prefix("principal:")
                .and_then(|p| Subject::parse(p).ok())
                .map(Disposer::Principal),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisposalRecord {
    pub record_id: RecordId,
    #[serde(skip)]
    pub tenant_id: TenantId,
    pub employee_id: EmployeeId,
    pub relation: RelationKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependent_label: Option<DependentLabel>,
    pub reason: DisposalReason,
    /// The day retention ended, when the record had one (a departure's due date); `None`
    /// for submissions never confirmed and for records kept before this was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<NaiveDate>,
    /// The registrar's words on a rejection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<DisposalNote>,
    #[serde(serialize_with = "ser_ts")]
    pub disposed_at: DateTime<Utc>,
    pub disposed_by: Disposer,
    /// When the last point-in-time-recovery copy of the deleted item expires.
    #[serde(serialize_with = "ser_ts")]
    pub backup_expires_at: DateTime<Utc>,
    /// The identity document photos deleted with a rejected submission.
    #[serde(skip_serializing_if = "is_zero")]
    pub documents_deleted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn ser_ts<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(*t))
}

impl DisposalRecord {
    pub fn for_record<S>(
        record: &Record<S>,
        reason: DisposalReason,
        disposed_by: Disposer,
        now: DateTime<Utc>,
        backup_window_days: u32,
    ) -> Self {
        DisposalRecord {
            record_id: record.record_id.clone(),
            tenant_id: record.tenant_id.clone(),
            employee_id: record.employee_id.clone(),
            relation: record.relation.kind(),
            dependent_label: record.relation.label().cloned(),
            reason,
            due_at: record.departure.as_ref().map(|d| d.due_on),
            note: None,
            disposed_at: now,
            disposed_by,
            backup_expires_at: now + Duration::days(i64::from(backup_window_days)),
            documents_deleted: 0,
        }
    }
}

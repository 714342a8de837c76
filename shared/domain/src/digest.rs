//! HR's weekly digest (SPEC §4d, §2.7's advance notice reaching a person), sent by the
//! notify function's daily run to the tenants whose digest day it is: submissions awaiting
//! review, links open and links that expired unsubmitted, records falling due in the next
//! 30 and 90 days by month, last week's disposals by reason, and whether the purge kept up.
//! Read from listings of metadata only: no number, no MAC, nothing decrypted.

use crate::collection::{Collection, CollectionStatus};
use crate::disposal::{DisposalReason, DisposalRecord};
use crate::error::VaultError;
use crate::ids::{EmployeeId, TenantId};
use crate::notification::{Email, EmailAddress, NotificationKind, SenderName, Weekday, jst};
use crate::notify::{About, Notifier};
use crate::ports::{DigestReads, ListError, PageRequest};
use crate::record::{Record, Status};
use crate::retention::jst_today;
use crate::usecase::Core;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far back links are read: longer than any link lives.
const LINKS_LOOKBACK_DAYS: i64 = 60;

/// What one tenant's digest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub day: NaiveDate,
    /// Records awaiting review, and when the oldest was submitted.
    pub pending: u64,
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Employees with an open link.
    pub open_links: Vec<EmployeeId>,
    /// Employees whose link expired unsubmitted in the last 7 days.
    pub expired_links: Vec<EmployeeId>,
    /// Records whose first day gone is within 30 days.
    pub due_30: u64,
    /// Records whose first day gone is within 90 days, by (year, month) of that day.
    pub due_90_by_month: Vec<((i32, u32), u64)>,
    /// Records past their day and still held: the purge failed or did not run.
    pub overdue: u64,
    /// Disposals of the last 7 days, by reason.
    pub disposals: Vec<(DisposalReason, u64)>,
}

impl Digest {
    /// Folds what the listings returned, as of `now`.
    pub fn of(
        records: &[Record<()>],
        links: &[Collection],
        disposals: &[DisposalRecord],
        now: DateTime<Utc>,
    ) -> Digest {
        let today = jst_today(now);
        let pending: Vec<&Record<()>> = records
            .iter()
            .filter(|r| r.status() == Status::PendingReview && !r.is_gone(today))
            .collect();
        let mut by_month: BTreeMap<(i32, u32), u64> = BTreeMap::new();
        let (mut due_30, mut overdue) = (0, 0);
        for gone in records.iter().filter_map(|r| r.first_day_gone()) {
            // The purge runs at 03:00 JST, before the digest: today's are gone by now.
            if gone <= today {
                overdue += 1;
            } else if gone <= today + Duration::days(90) {
                *by_month.entry((gone.year(), gone.month())).or_default() += 1;
                if gone <= today + Duration::days(30) {
                    due_30 += 1;
                }
            }
        }
        let mut reasons: BTreeMap<&'static str, (DisposalReason, u64)> = BTreeMap::new();
        for d in disposals
            .iter()
            .filter(|d| d.disposed_at > now - Duration::days(7))
        {
            reasons.entry(d.reason.code()).or_insert((d.reason, 0)).1 += 1;
        }
        let week_ago = now - Duration::days(7);
        Digest {
            day: today,
            pending: pending.len() as u64,
            oldest_pending: pending.iter().map(|r| r.created_at).min(),
            open_links: ids(links, |c| c.status(now) == CollectionStatus::Open),
            expired_links: ids(links, |c| {
                c.status(now) == CollectionStatus::Expired && c.expires_at > week_ago
            }),
            due_30,
            due_90_by_month: by_month.into_iter().collect(),
            overdue,
            disposals: reasons.into_values().collect(),
        }
    }

    pub fn render(&self, to: &EmailAddress, sender: &SenderName, console: &str) -> Email {
        let pending = match self.oldest_pending {
            Some(oldest) => format!(
                "{}件（最も古いもの：{} 日本時間）",
                self.pending,
                jst(oldest)
            ),
            None => "ありません".to_owned(),
        };
        let months = if self.due_90_by_month.is_empty() {
            "・ありません".to_owned()
        } else {
            lines(
                self.due_90_by_month
                    .iter()
                    .map(|((y, m), n)| format!("・{y}年{m}月：{n}件")),
            )
        };
        let disposals = if self.disposals.is_empty() {
            "・ありません".to_owned()
        } else {
            lines(
                self.disposals
                    .iter()
                    .map(|(reason, n)| format!("・{}：{n}件", reason.label_ja())),
            )
        };
        let purge = if self.overdue == 0 {
            "期限を過ぎて残っている記録はありません。".to_owned()
        } else {
            format!(
                "【要確認】期限を過ぎても削除されていない記録が{}件あります。毎日の削除処理が失敗したか、実行されていません。",
                self.overdue
            )
        };
        let values = [
            ("sender", sender.as_str()),
            ("day", &self.day.format("%Y年%-m月%-d日").to_string()),
            ("pending", &pending),
            ("open", &employees(&self.open_links)),
            ("expired", &employees(&self.expired_links)),
            ("due30", &self.due_30.to_string()),
            ("due90", &months),
            ("disposals", &disposals),
            ("purge", &purge),
            ("link", console),
        ];
        crate::notification::render(to, sender, &DIGEST, &values, console)
    }
}

fn ids(links: &[Collection], keep: impl Fn(&Collection) -> bool) -> Vec<EmployeeId> {
    let mut ids: Vec<EmployeeId> = links
        .iter()
        .filter(|c| keep(c))
        .map(|c| c.employee_id.clone())
        .collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    ids
}

fn employees(ids: &[EmployeeId]) -> String {
    if ids.is_empty() {
        return "なし".to_owned();
    }
    let names: Vec<&str> = ids.iter().map(EmployeeId::as_str).collect();
    format!("{}名（{}）", ids.len(), names.join("、"))
}

fn lines(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("\n")
}

pub const DIGEST: crate::notification::Template = crate::notification::Template {
    subject: "【マイナンバー管理】週次のお知らせ（{day}）",
    body: "{sender} ご担当者様

マイナンバー管理の週次のお知らせです（{day} 時点）。

■ 確認待ちの提出
{pending}

■ 収集リンク
受付中：{open}
期限切れ・未提出（直近7日）：{expired}

■ 削除予定（保存期間などの終了）
30日以内：{due30}件
90日以内（月別）：
{due90}

■ 先週の削除
{disposals}

■ 削除処理
{purge}

コンソール：
{link}

このメールには番号を記載していません。",
};

/// What one run of the digest did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DigestReport {
    pub sent: u64,
    pub failed: u64,
}

pub struct DigestService {
    core: Core,
    store: Arc<dyn DigestReads>,
    notifier: Notifier,
}

impl DigestService {
    pub fn new(core: Core, store: Arc<dyn DigestReads>, notifier: Notifier) -> Self {
        DigestService {
            core,
            store,
            notifier,
        }
    }

    /// Sends today's digests (JST): every tenant whose day it is, once.
    pub async fn run(&self) -> Result<DigestReport, VaultError> {
        let now = self.core.now();
        let today = jst_today(now);
        let mut report = DigestReport::default();
        for tenant in self.store.digest_tenants(weekday(today)).await? {
            let settings = self.notifier.settings(&tenant).await?;
            if settings.hr_recipients.is_empty() || !self.store.digest_turn(&tenant, today).await? {
                continue;
            }
            let digest = self.digest(&tenant, now).await?;
            let console = format!("{}/console", self.notifier.public_base_url());
            for to in &settings.hr_recipients {
                let email = digest.render(to, &settings.sender_name, &console);
                let mut like = crate::audit::AuditEvent::new(
                    crate::audit::AuditKind::NotificationSent,
                    None,
                    &crate::audit::Caller::default(),
                    now,
                );
                like.tenant_id = Some(tenant.clone());
                let about = About {
                    tenant: &tenant,
                    kind: NotificationKind::Digest,
                    collection_id: None,
                    employee_id: None,
                };
                let delivery = self
                    .notifier
                    .deliver(&self.core, &like, about, &email, now)
                    .await;
                match delivery.status {
                    crate::notification::DeliveryStatus::Sent => report.sent += 1,
                    _ => report.failed += 1,
                }
            }
        }
        Ok(report)
    }

    /// One tenant's digest, from its records, its recent links and last week's disposals.
    pub async fn digest(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Digest, VaultError> {
        let mut records = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.store.digest_records(tenant, cursor.as_ref()).await?;
            records.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let links = newest(
            |page| async move { self.store.digest_links(tenant, &page).await },
            |c: &Collection| c.created_at > now - Duration::days(LINKS_LOOKBACK_DAYS),
        )
        .await?;
        let disposals = newest(
            |page| async move { self.store.digest_disposals(tenant, &page).await },
            |d: &DisposalRecord| d.disposed_at > now - Duration::days(7),
        )
        .await?;
        Ok(Digest::of(&records, &links, &disposals, now))
    }
}

/// Pages of a newest-first listing, until an item is no longer `recent`.
async fn newest<T, F, Fut>(mut read: F, recent: impl Fn(&T) -> bool) -> Result<Vec<T>, VaultError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<crate::ports::Page<T>, ListError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = read(PageRequest {
            limit: PageRequest::MAX_LIMIT,
            cursor,
        })
        .await
        .map_err(|e| match e {
            ListError::Unavailable(u) => VaultError::from(u),
            ListError::BadCursor => VaultError::Unavailable,
        })?;
        let (before, len) = (items.len(), page.items.len());
        items.extend(page.items.into_iter().take_while(&recent));
        if items.len() - before < len || page.next_cursor.is_none() {
            return Ok(items);
        }
        cursor = page.next_cursor;
    }
}

fn weekday(day: NaiveDate) -> Weekday {
    match day.weekday() {
        chrono::Weekday::Mon => Weekday::Monday,
        chrono::Weekday::Tue => Weekday::Tuesday,
        chrono::Weekday::Wed => Weekday::Wednesday,
        chrono::Weekday::Thu => Weekday::Thursday,
        chrono::Weekday::Fri => Weekday::Friday,
        chrono::Weekday::Sat => Weekday::Saturday,
        chrono::Weekday::Sun => Weekday::Sunday,
    }
}

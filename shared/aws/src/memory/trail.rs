//! The durable trail, the reveal quota and the hourly and per-minute counters, in memory.

use super::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mynumber_domain::audit::AuditEvent;
use mynumber_domain::ids::TenantId;
use mynumber_domain::ports::*;
use std::sync::atomic::Ordering;

#[async_trait]
impl RevealTrail for MemoryStore {
    async fn record_reveal(
        &self,
        t: &TenantId,
        sub: &mynumber_domain::ids::Subject,
        hour: DateTime<Utc>,
        limit: u32,
        trail: &AuditEvent,
        _: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        // Both or neither, as the table's transaction.
        if self.fail_audit.load(Ordering::SeqCst) {
            return Err(Unavailable("simulated audit write failure".into()));
        }
        let mut s = self.state.lock().unwrap();
        let used = s
            .quota
            .entry((
                t.as_str().to_owned(),
                sub.as_str().to_owned(),
                hour.timestamp(),
            ))
            .or_default();
        if *used >= limit {
            return Ok(false);
        }
        *used += 1;
        s.audit.push(trail.clone());
        Ok(true)
    }
}

/// A principal's count of one scope of matched numbers for an hour.
fn match_key(
    t: &TenantId,
    sub: &mynumber_domain::ids::Subject,
    scope: mynumber_domain::ports::MatchScope,
    hour: DateTime<Utc>,
) -> (String, String, i64) {
    (
        t.as_str().to_owned(),
        format!("{}#{scope}", sub.as_str()),
        hour.timestamp(),
    )
}

#[async_trait]
impl mynumber_domain::ports::MatchCounter for MemoryStore {
    async fn reserve_matches(
        &self,
        t: &TenantId,
        sub: &mynumber_domain::ids::Subject,
        scope: mynumber_domain::ports::MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let used = s.matches.entry(match_key(t, sub, scope, hour)).or_default();
        let room = if n == 0 {
            *used < limit
        } else {
            limit.checked_sub(n).is_some_and(|most| *used <= most)
        };
        if room {
            *used += n;
        }
        Ok(room)
    }

    async fn release_matches(
        &self,
        t: &TenantId,
        sub: &mynumber_domain::ids::Subject,
        scope: mynumber_domain::ports::MatchScope,
        hour: DateTime<Utc>,
        n: u32,
    ) -> Result<(), Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let used = s.matches.entry(match_key(t, sub, scope, hour)).or_default();
        *used = used.saturating_sub(n);
        Ok(())
    }
}

#[async_trait]
impl mynumber_domain::ports::ClientRequests for MemoryStore {
    async fn count_client_request(
        &self,
        client: &mynumber_domain::ports::ClientAddress,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable> {
        self.check()?;
        let mut s = self.state.lock().unwrap();
        let used = s
            .client_requests
            .entry((client.as_str().to_owned(), minute.timestamp()))
            .or_default();
        if *used >= limit {
            return Ok(false);
        }
        *used += 1;
        Ok(true)
    }
}

#[async_trait]
impl mynumber_domain::ports::AuditTrail for MemoryStore {
    async fn append_audit(&self, event: &AuditEvent, _: DateTime<Utc>) -> Result<(), Unavailable> {
        self.check()?;
        if self.fail_audit.load(Ordering::SeqCst) {
            return Err(Unavailable("simulated audit write failure".into()));
        }
        self.state.lock().unwrap().audit.push(event.clone());
        Ok(())
    }
}

#[async_trait]
impl mynumber_domain::ports::ExportTrail for MemoryStore {
    async fn record_reveals(
        &self,
        trail: &[AuditEvent],
        _: DateTime<Utc>,
    ) -> Result<(), Unavailable> {
        self.check()?;
        if self.fail_audit.load(Ordering::SeqCst) {
            return Err(Unavailable("simulated audit write failure".into()));
        }
        self.state
            .lock()
            .unwrap()
            .audit
            .extend(trail.iter().cloned());
        Ok(())
    }
}

#[async_trait]
impl TrailReads for MemoryStore {
    async fn trail_of_day(
        &self,
        t: &TenantId,
        day: chrono::NaiveDate,
        after: Option<&Cursor>,
        limit: u16,
    ) -> Result<TrailDay, ListError> {
        self.check()?;
        let s = self.state.lock().unwrap();
        // Newest first; a position is the event's index in the trail.
        let mut of_day: Vec<(usize, &AuditEvent)> = s
            .audit
            .iter()
            .enumerate()
            .filter(|(_, e)| e.tenant_id.as_ref() == Some(t) && e.time.at().date_naive() == day)
            .collect();
        of_day.sort_by(|a, b| b.1.time.at().cmp(&a.1.time.at()).then(b.0.cmp(&a.0)));
        let start = match after {
            None => 0,
            Some(c) => {
                let index: usize = c.as_str().parse().map_err(|_| ListError::BadCursor)?;
                of_day
                    .iter()
                    .position(|(i, _)| *i == index)
                    .ok_or(ListError::BadCursor)?
                    + 1
            }
        };
        let rest = &of_day[start.min(of_day.len())..];
        let taken = rest.len().min(usize::from(limit));
        Ok(TrailDay {
            entries: rest[..taken]
                .iter()
                .map(|(i, e)| TrailEntry {
                    event: (*e).clone(),
                    position: Cursor::parse(&i.to_string()).expect("digits"),
                })
                .collect(),
            more: rest.len() > taken,
        })
    }
}

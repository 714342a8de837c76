//! Hourly and per-minute counters that bound what one principal or one client may do.

use super::*;
use crate::error::VaultError;
use crate::ids::{Subject, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

crate::words::vocabulary! {
    /// Which of a principal's hourly counts of matched numbers: what their own intakes and
    /// imports matched, or what employees' submissions through their links did (kept apart,
    /// so that re-importing a file cannot stop employees' submissions).
    pub enum MatchScope {
        Intake = "intake",
        Links = "links",
    }
}

/// Each principal's hourly counts of numbers that matched a stored one (an import's
/// `unchanged` and `duplicate_number` rows, an intake's `duplicate_number` or
/// `same_number_as`, a link's `duplicate_number`): each tells whose a number is, so their
/// rate is bounded like reveals'.
#[async_trait]
pub trait MatchCounter: Send + Sync {
    /// Adds `n` to `sub`'s count of `scope` for the hour starting at `hour` unless the
    /// count would then pass `limit` (`n = 0`: unless it has reached `limit`): then
    /// `false`, nothing added.
    async fn reserve_matches(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<bool, Unavailable>;

    /// `reserve_matches`, its refusal the API's 429.
    async fn admit_matches(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
        limit: u32,
    ) -> Result<(), VaultError> {
        if self
            .reserve_matches(tenant, sub, scope, hour, n, limit)
            .await?
        {
            Ok(())
        } else {
            Err(VaultError::Throttled)
        }
    }

    /// Gives back `n` reserved matches that did not happen.
    async fn release_matches(
        &self,
        tenant: &TenantId,
        sub: &Subject,
        scope: MatchScope,
        hour: DateTime<Utc>,
        n: u32,
    ) -> Result<(), Unavailable>;
}

/// Whom a per-client limit counts: an IPv4 address, or an IPv6 address's /56 (a
/// subscriber's usual delegation, through which one client may rotate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(String);

impl ClientAddress {
    pub fn of(ip: std::net::IpAddr) -> Self {
        match ip {
            std::net::IpAddr::V4(v4) => ClientAddress(v4.to_string()),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientAddress(v4.to_string()),
                None => {
                    let s = v6.segments();
                    let prefix =
                        std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3] & 0xff00, 0, 0, 0, 0);
                    ClientAddress(format!("{prefix}/56"))
                }
            },
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Requests per client address and minute on the routes anyone may call (the employee's),
/// so that one client cannot use up what every employee shares.
#[async_trait]
pub trait ClientRequests: Send + Sync {
    /// Counts one request of `client` in the minute starting at `minute`, unless `limit`
    /// were already made: then `false`, nothing counted.
    async fn count_client_request(
        &self,
        client: &ClientAddress,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, Unavailable>;
}

//! Deployment settings from the environment, read once at init.

use chrono::Duration;
use mynumber_domain::VaultConfig;
use mynumber_domain::retention::RetentionRule;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `TABLE_NAME`
    pub table: String,
    /// `KMS_KEY_ID`: the customer-managed key that encrypts numbers (intake, lookup; the
    /// purge has none).
    pub key_id: Option<String>,
    /// `MAC_KEY_ID`: the HMAC key for idempotency fingerprints and the duplicate index
    /// (intake and collect).
    pub mac_key_id: Option<String>,
    /// `CERTIFICATE_KEY_ID`: the asymmetric key that signs deletion certificates (the
    /// certificate function only).
    pub certificate_key_id: Option<String>,
    /// `AWS_ENDPOINT_URL` (local emulator), also honoured by the SDK itself.
    pub endpoint_url: Option<String>,
    /// `PUBLIC_BASE_URL`: the origin the employee's form is served from, for the links
    /// the review hands out (`{base}/collect#{token}`).
    pub public_base_url: Option<String>,
    /// `DOCUMENTS_BUCKET`: where identity document photos are uploaded (collect, review,
    /// purge).
    pub documents_bucket: Option<String>,
    /// `MAIL_FROM`: the SES identity's address mail is sent from (review, notify).
    pub mail_from: Option<String>,
    /// `MAIL_CONFIGURATION_SET`: SES's configuration set that reports bounces and
    /// complaints back (absent locally).
    pub mail_configuration_set: Option<String>,
    pub vault: VaultConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{0} is not valid")]
    Invalid(&'static str),
}

impl Settings {
    /// `PUBLIC_BASE_URL`, which the review function needs to write links.
    pub fn public_base_url(&self) -> Result<&str, SettingsError> {
        self.public_base_url
            .as_deref()
            .ok_or(SettingsError::Missing("PUBLIC_BASE_URL"))
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let required = |k: &'static str| {
            get(k)
                .filter(|v| !v.is_empty())
                .ok_or(SettingsError::Missing(k))
        };
        let number = |k: &'static str, default: u32| -> Result<u32, SettingsError> {
            match get(k) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| SettingsError::Invalid(k)),
            }
        };
        let years = number("RETENTION_YEARS", 7)?;
        let pitr_days = number("BACKUP_WINDOW_DAYS", 35)?;
        if !(1..=35).contains(&pitr_days) {
            return Err(SettingsError::Invalid("BACKUP_WINDOW_DAYS"));
        }
        let audit_days = number("AUDIT_RETENTION_DAYS", 3 * 365)?;
        let reveal_limit = number("REVEAL_LIMIT_PER_HOUR", 200)?;
        let match_limit = number("MATCH_LIMIT_PER_HOUR", 2_000)?;
        let client_limit = number("CLIENT_LIMIT_PER_MINUTE", 300)?;
        let ttl_grace_days = number("TTL_GRACE_DAYS", 7)?;
        let disposal_days = number("DISPOSAL_RETENTION_DAYS", 3650)?;
        // Enough to hide DynamoDB latency, few enough to stay far from throttling.
        let purge_concurrency = number("PURGE_CONCURRENCY", 8)?;
        Ok(Settings {
            table: required("TABLE_NAME")?,
            key_id: get("KMS_KEY_ID").filter(|v| !v.is_empty()),
            mac_key_id: get("MAC_KEY_ID").filter(|v| !v.is_empty()),
            certificate_key_id: get("CERTIFICATE_KEY_ID").filter(|v| !v.is_empty()),
            endpoint_url: get("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()),
            public_base_url: get("PUBLIC_BASE_URL").filter(|v| !v.is_empty()),
            documents_bucket: get("DOCUMENTS_BUCKET").filter(|v| !v.is_empty()),
            mail_from: get("MAIL_FROM").filter(|v| !v.is_empty()),
            mail_configuration_set: get("MAIL_CONFIGURATION_SET").filter(|v| !v.is_empty()),
            vault: VaultConfig {
                retention: RetentionRule::new(years)
                    .map_err(|_| SettingsError::Invalid("RETENTION_YEARS"))?,
                idempotency_ttl: Duration::hours(24),
                audit_retention: Duration::days(i64::from(audit_days)),
                backup_window_days: pitr_days,
                reveal_limit_per_hour: reveal_limit,
                match_limit_per_hour: match_limit,
                client_limit_per_minute: client_limit,
                ttl_grace: Duration::days(i64::from(ttl_grace_days)),
                disposal_retention: Duration::days(i64::from(disposal_days)),
                purge_concurrency: purge_concurrency.clamp(1, 64) as usize,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let s = Settings::from_lookup(env(&[("TABLE_NAME", "t"), ("KMS_KEY_ID", "k")])).unwrap();
        assert_eq!(s.vault.backup_window_days, 35);
    }

    #[test]
    fn refuses_missing_and_bad_values() {
        assert!(matches!(
            Settings::from_lookup(env(&[("KMS_KEY_ID", "k")])),
            Err(SettingsError::Missing("TABLE_NAME"))
        ));
        assert!(
            Settings::from_lookup(env(&[("TABLE_NAME", "t")]))
                .unwrap()
                .key_id
                .is_none()
        );
        assert!(
            Settings::from_lookup(env(&[
                ("TABLE_NAME", "t"),
                ("KMS_KEY_ID", "k"),
                ("RETENTION_YEARS", "0")
            ]))
            .is_err()
        );
        assert!(
            Settings::from_lookup(env(&[
                ("TABLE_NAME", "t"),
                ("KMS_KEY_ID", "k"),
                ("BACKUP_WINDOW_DAYS", "40")
            ]))
            .is_err()
        );
    }
}

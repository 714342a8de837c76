//! AWS adapters for the vault's domain traits: a DynamoDB store and a KMS cipher, plus the
//! settings and SDK configuration every function shares, and the bootstrap that creates
//! the table and keys of a local stack.

pub mod bootstrap;
pub mod cipher;
mod item;
mod keys;
pub mod settings;
pub mod store;

pub use cipher::KmsCipher;
pub use item::{Item, registered_items};
pub use settings::Settings;
pub use store::{DynamoStore, record_from_image};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// One SDK configuration for all clients, built once at init. `endpoint_url` (or the
/// standard `AWS_ENDPOINT_URL`) points every client at a local emulator; nothing else
/// differs between local and AWS.
pub async fn sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Fail fast into a 503 rather than hold an API Gateway request for 30 s.
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3));
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The text of an SDK error for operators' logs: its error chain. Requests never carry a
/// plaintext number to DynamoDB, and KMS errors do not echo plaintexts.
pub(crate) fn describe<E: std::error::Error>(e: &E) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(e).to_string()
}

/// The vault as the API functions run it: DynamoDB store, KMS cipher, the system clock
/// and the given audit sink, with clients built once from `settings`.
pub async fn build_vault(
    settings: &Settings,
    audit: std::sync::Arc<dyn mynumber_domain::AuditSink>,
) -> mynumber_domain::Vault {
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), &settings.table)
        .with_config(&settings.vault);
    // Without a key (the purge) the function gets no KMS client at all.
    let cipher: std::sync::Arc<dyn mynumber_domain::ports::NumberCipher> = match &settings.key_id {
        Some(key) => std::sync::Arc::new(KmsCipher::new(
            aws_sdk_kms::Client::new(&config),
            key,
            settings.mac_key_id.clone(),
        )),
        None => std::sync::Arc::new(mynumber_domain::ports::NoCipher),
    };
    mynumber_domain::Vault::new(
        std::sync::Arc::new(store),
        cipher,
        audit,
        std::sync::Arc::new(mynumber_domain::ports::SystemClock),
        settings.vault.clone(),
    )
}

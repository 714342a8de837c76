//! AWS adapters for the vault's domain traits: a DynamoDB store and a KMS cipher, plus the
//! settings and SDK configuration every function shares, and the bootstrap that creates
//! the table and keys of a local stack.

#[cfg(feature = "bootstrap")]
pub mod bootstrap;
#[cfg(any(feature = "encrypt", feature = "decrypt"))]
pub mod cipher;
#[cfg(feature = "documents")]
pub mod documents;
mod item;
mod keys;
#[cfg(feature = "mail")]
pub mod mail;
#[cfg(feature = "memory")]
pub mod memory;
pub mod settings;
#[cfg(feature = "sign")]
pub mod signer;
pub mod store;

#[cfg(feature = "decrypt")]
pub use cipher::KmsDecryptor;
#[cfg(feature = "encrypt")]
pub use cipher::KmsEncryptor;
#[cfg(feature = "documents")]
pub use documents::S3Documents;
pub use item::{Item, registered_items};
#[cfg(feature = "mail")]
pub use mail::SesMailer;
pub use settings::{Settings, SettingsError};
#[cfg(feature = "sign")]
pub use signer::KmsSigner;
pub use store::{DynamoStore, record_from_image};

use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
pub use aws_types::SdkConfig;
use mynumber_domain::backstop::BackstopService;
use mynumber_domain::ports::SystemClock;
#[cfg(feature = "documents")]
use mynumber_domain::purge::PurgeService;
use mynumber_domain::{AuditSink, Core};
use std::sync::Arc;
use std::time::Duration;

/// One SDK configuration for all clients, built once at init. `endpoint_url` (or the
/// standard `AWS_ENDPOINT_URL`) points every client at a local emulator; nothing else
/// differs between local and AWS.
///
/// In Lambda the environment holds the role's credentials and the region, and a function
/// is built from them alone: no profile file is read and no provider chain is linked
/// (about 0.5 MB of each zip, and the init time, make bench). The operator's tools
/// (feature `provider-chain`: the bootstrap, the backfill, the tests) fall back to the
/// SDK's chain (profiles, SSO, instance roles) when the environment has no credentials.
pub async fn sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    // Fail fast into a 503 rather than hold an API Gateway request for 30 s.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    let retries = RetryConfig::standard().with_max_attempts(3);
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let endpoint_url = endpoint_url
        .map(str::to_owned)
        .or_else(|| env("AWS_ENDPOINT_URL"));
    let credentials = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => Some(aws_credential_types::Credentials::new(
            key,
            secret,
            env("AWS_SESSION_TOKEN"),
            None,
            "environment",
        )),
        _ => None,
    };
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    #[cfg(feature = "provider-chain")]
    if credentials.is_none() || region.is_none() {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .retry_config(retries)
            .http_client(https_client());
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        return loader.load().await;
    }
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
            aws_smithy_async::rt::sleep::TokioSleep::new(),
        ))
        .time_source(aws_smithy_async::time::SharedTimeSource::default())
        .timeout_config(timeouts)
        .retry_config(retries)
        .http_client(https_client());
    match credentials {
        Some(c) => {
            config = config.credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(c),
            )
        }
        // Every call then fails (503), and says why in the log.
        None => tracing::error!("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"),
    }
    match region {
        Some(r) => config = config.region(aws_types::region::Region::new(r)),
        None => tracing::error!("AWS_REGION is not set"),
    }
    if let Some(url) = endpoint_url {
        config = config.endpoint_url(url);
    }
    config.build()
}

/// The one HTTPS client of every SDK client: rustls on ring (smaller than aws-lc, and
/// FIPS is not asked of this product), HTTP/1.1 and HTTP/2 as the SDK negotiates. Its
/// trust roots load on the first connection rather than when a client is built (see
/// `LazyRoots`).
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_smithy_runtime_api::client::http::SharedHttpClient::new(LazyRoots(client))
}

/// The SDK's HTTPS client without its check at client construction, which builds a
/// connector only to load the system's trust roots early: on Debian that reads a
/// directory of about 150 certificate files, a few milliseconds of every cold start
/// (make bench). They load once, on the first connection, instead.
#[derive(Debug)]
struct LazyRoots(aws_smithy_runtime_api::client::http::SharedHttpClient);

impl aws_smithy_runtime_api::client::http::HttpClient for LazyRoots {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The text of an SDK error for operators' logs: its error chain. Requests never carry a
/// plaintext number to DynamoDB, and KMS errors do not echo plaintexts.
pub(crate) fn describe<E: std::error::Error>(e: &E) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(e).to_string()
}

/// A setting a builder cannot do without, or the error naming its variable.
#[cfg(any(
    feature = "encrypt",
    feature = "decrypt",
    feature = "documents",
    feature = "mail",
    feature = "sign"
))]
fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, SettingsError> {
    value.as_deref().ok_or(SettingsError::Missing(name))
}

/// The shared part of every function's use case: the given audit sink, the system clock
/// and the settings' configuration.
fn core(settings: &Settings, audit: Arc<dyn AuditSink>) -> Core {
    Core::new(audit, Arc::new(SystemClock), settings.vault.clone())
}

async fn store(settings: &Settings, config: &SdkConfig) -> Arc<DynamoStore> {
    Arc::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::new(config), &settings.table)
            .with_config(&settings.vault),
    )
}

/// The intake function's use case: the store, and KMS to encrypt and MAC.
#[cfg(feature = "encrypt")]
pub async fn intake_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<mynumber_domain::intake::IntakeService, SettingsError> {
    let key = required(&settings.key_id, "KMS_KEY_ID")?;
    let mac_key = required(&settings.mac_key_id, "MAC_KEY_ID")?;
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let kms = aws_sdk_kms::Client::new(&config);
    Ok(mynumber_domain::intake::IntakeService::new(
        core(settings, audit),
        store(settings, &config).await,
        Arc::new(KmsEncryptor::new(kms, key, mac_key)),
    ))
}

/// The review function's use cases: the store, the documents bucket to view and delete
/// photos, and SES to email links; no KMS client. With them, the notification settings
/// and the sent log on the same store and mailer.
#[cfg(all(feature = "documents", feature = "mail"))]
pub async fn review_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<
    (
        mynumber_domain::review::ReviewService,
        mynumber_domain::notify::NotificationService,
    ),
    SettingsError,
> {
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let (objects, _) = documents(settings, &config)?;
    let store = store(settings, &config).await;
    let core = core(settings, audit);
    let notifier = notifier(settings, &config, store.clone())?;
    Ok((
        mynumber_domain::review::ReviewService::new(core.clone(), store, objects)
            .with_mail(notifier.clone()),
        mynumber_domain::notify::NotificationService::new(core, notifier),
    ))
}

/// The notify function's use cases: reminders of open links and the reports of bounces,
/// on the store and SES; no KMS client, no S3.
#[cfg(feature = "mail")]
pub async fn notify_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<
    (
        mynumber_domain::remind::ReminderService,
        mynumber_domain::digest::DigestService,
        mynumber_domain::notify::Notifier,
    ),
    SettingsError,
> {
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let store = store(settings, &config).await;
    let notifier = notifier(settings, &config, store.clone())?;
    Ok((
        mynumber_domain::remind::ReminderService::new(
            core(settings, audit.clone()),
            store.clone(),
            notifier.clone(),
        ),
        mynumber_domain::digest::DigestService::new(core(settings, audit), store, notifier.clone()),
        notifier,
    ))
}

/// SES from `MAIL_FROM`, the sent log and the settings on `store`, and the form's origin
/// for the links in mail.
#[cfg(feature = "mail")]
pub fn notifier(
    settings: &Settings,
    config: &SdkConfig,
    store: Arc<DynamoStore>,
) -> Result<mynumber_domain::notify::Notifier, SettingsError> {
    let from = required(&settings.mail_from, "MAIL_FROM")?;
    Ok(mynumber_domain::notify::Notifier::new(
        Arc::new(SesMailer::new(
            config,
            from,
            settings.mail_configuration_set.clone(),
        )),
        store.clone(),
        store,
        settings.public_base_url()?,
    ))
}

/// The lookup function's use case: the store, and KMS to decrypt.
#[cfg(feature = "sign")]
pub async fn certificate_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<mynumber_domain::certificate::CertificateService, SettingsError> {
    let key = required(&settings.certificate_key_id, "CERTIFICATE_KEY_ID")?;
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    Ok(mynumber_domain::certificate::CertificateService::new(
        core(settings, audit),
        store(settings, &config).await,
        Arc::new(KmsSigner::new(aws_sdk_kms::Client::new(&config), key)),
    ))
}

#[cfg(feature = "decrypt")]
pub async fn lookup_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<mynumber_domain::lookup::LookupService, SettingsError> {
    let key = required(&settings.key_id, "KMS_KEY_ID")?;
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let kms = aws_sdk_kms::Client::new(&config);
    Ok(mynumber_domain::lookup::LookupService::new(
        core(settings, audit),
        store(settings, &config).await,
        Arc::new(KmsDecryptor::new(kms, key)),
    ))
}

/// The duplicate index's one-off backfill (`mynumber-backfill`, an operator's command):
/// the store, KMS to decrypt each unfiled number once and to MAC it.
#[cfg(all(feature = "encrypt", feature = "decrypt"))]
pub async fn backfill(
    settings: &Settings,
    operator: mynumber_domain::ids::Subject,
    audit: Arc<dyn mynumber_domain::audit::AuditSink>,
) -> Result<mynumber_domain::backfill::Backfill, SettingsError> {
    let key = required(&settings.key_id, "KMS_KEY_ID")?;
    let mac_key = required(&settings.mac_key_id, "MAC_KEY_ID")?;
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let store = store(settings, &config).await;
    Ok(mynumber_domain::backfill::Backfill {
        records: store.clone(),
        filing: store.clone(),
        decryptor: Arc::new(KmsDecryptor::new(kms.clone(), key)),
        mac: Arc::new(KmsEncryptor::new(kms, key, mac_key)),
        trail: store,
        audit,
        clock: Arc::new(mynumber_domain::ports::SystemClock),
        operator,
        audit_retention: settings.vault.audit_retention,
    })
}

/// The documents bucket's client, and the origin its presigned URLs point at.
#[cfg(feature = "documents")]
pub fn documents(
    settings: &Settings,
    config: &SdkConfig,
) -> Result<(Arc<S3Documents>, String), SettingsError> {
    let bucket = required(&settings.documents_bucket, "DOCUMENTS_BUCKET")?;
    let emulated = settings.endpoint_url.is_some();
    Ok((
        Arc::new(S3Documents::new(config, bucket, emulated)),
        S3Documents::origin(config, bucket, settings.endpoint_url.as_deref()),
    ))
}

/// The collect function's use case: the store, KMS to encrypt and to MAC (the duplicate
/// index's key; never decrypt), and the documents bucket to presign uploads; with the bucket's origin for the page's CSP.
#[cfg(all(feature = "encrypt", feature = "documents"))]
pub async fn submission_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<(mynumber_domain::submission::SubmissionService, String), SettingsError> {
    let key = required(&settings.key_id, "KMS_KEY_ID")?;
    let mac_key = required(&settings.mac_key_id, "MAC_KEY_ID")?;
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let kms = aws_sdk_kms::Client::new(&config);
    let (objects, origin) = documents(settings, &config)?;
    Ok((
        mynumber_domain::submission::SubmissionService::new(
            core(settings, audit),
            store(settings, &config).await,
            Arc::new(KmsEncryptor::new(kms, key, mac_key)),
            objects,
        ),
        origin,
    ))
}

/// The purge's use case: the store and deletes in the documents bucket; no KMS client
/// exists in it.
#[cfg(feature = "documents")]
pub async fn purge_service(
    settings: &Settings,
    audit: Arc<dyn AuditSink>,
) -> Result<PurgeService, SettingsError> {
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    let (objects, _) = documents(settings, &config)?;
    Ok(PurgeService::new(
        core(settings, audit),
        store(settings, &config).await,
        objects,
    ))
}

/// The backstop's use case: the store only.
pub async fn backstop_service(settings: &Settings, audit: Arc<dyn AuditSink>) -> BackstopService {
    let config = sdk_config(settings.endpoint_url.as_deref()).await;
    BackstopService::new(core(settings, audit), store(settings, &config).await)
}

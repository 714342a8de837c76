//! Creates what a local stack needs — the table (with its index and TTL), the encryption
//! key, the HMAC key and the log group — with the same SDK the functions use. In AWS,
//! `infra/template.yaml` creates these instead.

use crate::describe;
use crate::item::{
    BY_DUE, BY_OWNER, BY_TENANT, DUE_PK, DUE_SK, EXPIRES_AT, GSI1PK, GSI1SK, GSI2PK, GSI2SK,
    OWNER_PROJECTION, PK, SK,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};

#[derive(Debug, thiserror::Error)]
#[error("bootstrap failed: {0}")]
pub struct BootstrapError(String);

fn fail<E: std::error::Error>(e: E) -> BootstrapError {
    BootstrapError(describe(&e))
}

/// Creates the table unless it exists; waits until it is active and TTL is on.
pub async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), BootstrapError> {
    if client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let key = |name: &str, kt: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kt)
            .build()
            .expect("complete")
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete")
    };
    // Every index carries every attribute but the ciphertext.
    let index = |name: &str, pk: &str, sk: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash))
            .key_schema(key(sk, KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .set_non_key_attributes(Some(
                        OWNER_PROJECTION.iter().map(|s| s.to_string()).collect(),
                    ))
                    .build(),
            )
            .build()
            .expect("complete")
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .attribute_definitions(attr(PK))
        .attribute_definitions(attr(SK))
        .attribute_definitions(attr(GSI1PK))
        .attribute_definitions(attr(GSI1SK))
        .attribute_definitions(attr(DUE_PK))
        .attribute_definitions(attr(DUE_SK))
        .attribute_definitions(attr(GSI2PK))
        .attribute_definitions(attr(GSI2SK))
        .global_secondary_indexes(index(BY_OWNER, GSI1PK, GSI1SK))
        .global_secondary_indexes(index(BY_DUE, DUE_PK, DUE_SK))
        .global_secondary_indexes(index(BY_TENANT, GSI2PK, GSI2SK))
        .send()
        .await
        .map_err(fail)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES_AT)
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .map_err(fail)?;
    Ok(())
}

/// Returns the key id behind `alias`, creating a key of `spec` with that alias if needed.
async fn ensure_key(
    client: &aws_sdk_kms::Client,
    alias: &str,
    spec: KeySpec,
    usage: KeyUsageType,
) -> Result<String, BootstrapError> {
    if let Ok(out) = client.describe_key().key_id(alias).send().await
        && let Some(id) = out.key_metadata().map(|m| m.key_id())
    {
        return Ok(id.to_owned());
    }
    let out = client
        .create_key()
        .key_spec(spec.clone())
        .key_usage(usage)
        .description("mynumber-vault local key")
        .send()
        .await
        .map_err(fail)?;
    let id = out
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .ok_or_else(|| BootstrapError("CreateKey returned no key".into()))?;
    if spec == KeySpec::SymmetricDefault {
        client
            .enable_key_rotation()
            .key_id(&id)
            .send()
            .await
            .map_err(fail)?;
    }
    client
        .create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
        .map_err(fail)?;
    Ok(id)
}

/// The symmetric key that encrypts numbers.
pub async fn ensure_encryption_key(
    client: &aws_sdk_kms::Client,
    alias: &str,
) -> Result<String, BootstrapError> {
    ensure_key(
        client,
        alias,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await
}

/// The HMAC key behind idempotency fingerprints.
pub async fn ensure_mac_key(
    client: &aws_sdk_kms::Client,
    alias: &str,
) -> Result<String, BootstrapError> {
    ensure_key(
        client,
        alias,
        KeySpec::Hmac256,
        KeyUsageType::GenerateVerifyMac,
    )
    .await
}

/// The asymmetric key that signs deletion certificates.
pub async fn ensure_certificate_key(
    client: &aws_sdk_kms::Client,
    alias: &str,
) -> Result<String, BootstrapError> {
    ensure_key(
        client,
        alias,
        KeySpec::EccNistP256,
        KeyUsageType::SignVerify,
    )
    .await
}

pub async fn ensure_log_group(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    retention_days: i32,
) -> Result<(), BootstrapError> {
    let exists = client
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(fail)?
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(name));
    if !exists {
        client
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(fail)?;
    }
    client
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(retention_days)
        .send()
        .await
        .map_err(fail)?;
    Ok(())
}

/// The documents bucket as the template makes it: SSE-KMS under `key_id`, public access
/// blocked, every object expired after 62 days, and PUTs allowed from `origins` (the
/// form's origin) only. Idempotent.
pub async fn ensure_documents_bucket(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key_id: &str,
    origins: &[&str],
) -> Result<(), BootstrapError> {
    use aws_sdk_s3::types::*;
    let region = client.config().region().map(|r| r.as_ref().to_owned());
    let mut create = client.create_bucket().bucket(bucket);
    if let Some(r) = region.filter(|r| r != "us-east-1") {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(r.as_str()))
                .build(),
        );
    }
    if let Err(e) = create.send().await {
        let owned = e
            .as_service_error()
            .is_some_and(|s| s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists());
        if !owned {
            return Err(fail(e));
        }
    }
    let built = |e: aws_sdk_s3::error::BuildError| BootstrapError(e.to_string());
    client
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .kms_master_key_id(key_id)
                                .build()
                                .map_err(built)?,
                        )
                        .bucket_key_enabled(true)
                        .build(),
                )
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(fail)?;
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(fail)?;
    client
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire-after-62-days")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .expiration(LifecycleExpiration::builder().days(62).build())
                        .build()
                        .map_err(built)?,
                )
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(fail)?;
    let mut rule = CorsRule::builder()
        .allowed_methods("PUT")
        .allowed_headers("content-type")
        .max_age_seconds(300);
    for o in origins {
        rule = rule.allowed_origins(*o);
    }
    client
        .put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(rule.build().map_err(built)?)
                .build()
                .map_err(built)?,
        )
        .send()
        .await
        .map_err(fail)?;
    Ok(())
}

/// The sender identity mail is sent from (in moto, usable at once; in AWS the template
/// declares it and its DNS records verify it). Creating it twice is harmless.
pub async fn ensure_mail_identity(
    client: &aws_sdk_sesv2::Client,
    address: &str,
) -> Result<(), BootstrapError> {
    match client
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(fail(e)),
    }
}

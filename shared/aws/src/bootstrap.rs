//! Creates what a local stack needs — the table (with its index and TTL), the encryption
//! key, the HMAC key and the log group — with the same SDK the functions use. In AWS,
//! `infra/template.yaml` creates these instead.

use crate::describe;
use crate::item::{
    BY_DUE, BY_OWNER, DUE_PK, DUE_SK, EXPIRES_AT, GSI1PK, GSI1SK, OWNER_PROJECTION, PK, SK,
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
    // Both indexes carry every attribute but the ciphertext.
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
        .global_secondary_indexes(index(BY_OWNER, GSI1PK, GSI1SK))
        .global_secondary_indexes(index(BY_DUE, DUE_PK, DUE_SK))
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

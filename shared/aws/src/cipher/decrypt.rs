//! Lookup's side of KMS: Decrypt only.

use super::unavailable;
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use mynumber_domain::ids::{RecordId, TenantId};
use mynumber_domain::number::MyNumber;
use mynumber_domain::ports::CipherError;
use mynumber_domain::record::Ciphertext;

/// Lookup's key: Decrypt only, under the record's encryption context.
#[derive(Clone)]
pub struct KmsDecryptor {
    client: Client,
    key_id: String,
}

impl KmsDecryptor {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        KmsDecryptor {
            client,
            key_id: key_id.into(),
        }
    }
}

#[async_trait]
impl mynumber_domain::ports::NumberDecryptor for KmsDecryptor {
    async fn decrypt(
        &self,
        t: &TenantId,
        r: &RecordId,
        c: &Ciphertext,
    ) -> Result<MyNumber, CipherError> {
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(c.0.clone()))
            .encryption_context("tenant_id", t.as_str())
            .encryption_context("record_id", r.as_str())
            .send()
            .await
            .map_err(|e| match &e {
                aws_sdk_kms::error::SdkError::ServiceError(se)
                    if matches!(
                        se.err(),
                        aws_sdk_kms::operation::decrypt::DecryptError::InvalidCiphertextException(
                            _
                        ) | aws_sdk_kms::operation::decrypt::DecryptError::IncorrectKeyException(_)
                    ) =>
                {
                    CipherError::Rejected
                }
                _ => unavailable(e),
            })?;
        let plain = out
            .plaintext
            .ok_or_else(|| CipherError::Unavailable("Decrypt returned no plaintext".into()))?;
        MyNumber::from_decrypted(plain.into_inner()).map_err(|_| CipherError::Rejected)
    }
}

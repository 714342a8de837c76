//! The cipher ports on KMS: Encrypt/Decrypt under the encryption context
//! `{tenant_id, record_id}` (ids only, since CloudTrail logs the context in plaintext),
//! and an HMAC key for idempotency fingerprints. Encrypting and decrypting are separate
//! types, and `KmsDecryptor` exists only with the `decrypt` feature, which only the
//! lookup function enables: no other function's code can even name a way to decrypt.

use crate::describe;
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use mynumber_domain::ids::{IdempotencyKey, KeyDigest, RecordId, TenantId};
use mynumber_domain::number::MyNumber;
use mynumber_domain::ports::{CipherError, NumberEncryptor, NumberMac};
use mynumber_domain::record::Ciphertext;

/// Intake's keys: Encrypt under the number key, GenerateMac under the MAC key.
#[derive(Clone)]
pub struct KmsEncryptor {
    client: Client,
    key_id: String,
    mac_key_id: String,
}

impl KmsEncryptor {
    pub fn new(client: Client, key_id: impl Into<String>, mac_key_id: impl Into<String>) -> Self {
        KmsEncryptor {
            client,
            key_id: key_id.into(),
            mac_key_id: mac_key_id.into(),
        }
    }
}

fn unavailable<E: std::error::Error>(e: E) -> CipherError {
    CipherError::Unavailable(describe(&e))
}

#[async_trait]
impl NumberEncryptor for KmsEncryptor {
    async fn encrypt(
        &self,
        t: &TenantId,
        r: &RecordId,
        number: &MyNumber,
    ) -> Result<Ciphertext, CipherError> {
        // The SDK copies the plaintext into its request buffer, which it does not zero;
        // it lives only for the duration of this call.
        let out = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(number.expose_digits().as_bytes()))
            .encryption_context("tenant_id", t.as_str())
            .encryption_context("record_id", r.as_str())
            .send()
            .await
            .map_err(unavailable)?;
        out.ciphertext_blob()
            .map(|b| Ciphertext(b.as_ref().to_vec()))
            .ok_or_else(|| CipherError::Unavailable("Encrypt returned no ciphertext".into()))
    }
}

#[async_trait]
impl NumberMac for KmsEncryptor {
    async fn fingerprint(&self, t: &TenantId, number: &MyNumber) -> Result<Vec<u8>, CipherError> {
        let message = format!("{}\n{}", t.as_str(), number.expose_digits());
        self.mac(message.into_bytes()).await
    }

    async fn key_digest(&self, t: &TenantId, k: &IdempotencyKey) -> Result<KeyDigest, CipherError> {
        // A distinct prefix, so a key's MAC can never equal a number's.
        let message = format!("idempotency-key\n{}\n{}", t.as_str(), k.as_str());
        Ok(KeyDigest::from_mac(&self.mac(message.into_bytes()).await?))
    }
}

impl KmsEncryptor {
    /// HMAC-SHA-256 of `message` under the MAC key (GenerateMac).
    async fn mac(&self, message: Vec<u8>) -> Result<Vec<u8>, CipherError> {
        let out = self
            .client
            .generate_mac()
            .key_id(&self.mac_key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(message))
            .send()
            .await
            .map_err(unavailable)?;
        out.mac()
            .map(|m| m.as_ref().to_vec())
            .ok_or_else(|| CipherError::Unavailable("GenerateMac returned no MAC".into()))
    }
}

/// Lookup's key: Decrypt only, under the record's encryption context.
#[cfg(feature = "decrypt")]
#[derive(Clone)]
pub struct KmsDecryptor {
    client: Client,
    key_id: String,
}

#[cfg(feature = "decrypt")]
impl KmsDecryptor {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        KmsDecryptor {
            client,
            key_id: key_id.into(),
        }
    }
}

#[cfg(feature = "decrypt")]
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

//! Intake's side of KMS: Encrypt and GenerateMac.

use super::unavailable;
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

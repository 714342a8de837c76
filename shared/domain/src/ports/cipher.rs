//! Numbers under KMS: encrypting (intake), opening (the reveal) and keyed MACs.

use crate::error::VaultError;
use crate::ids::{IdempotencyKey, KeyDigest, RecordId, TenantId};
use crate::number::MyNumber;
use crate::record::Ciphertext;
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("cipher unavailable: {0}")]
    Unavailable(String),
    /// The ciphertext does not open under this record's encryption context: it was
    /// moved, altered or encrypted under another key.
    #[error("ciphertext rejected")]
    Rejected,
}

/// Encrypts numbers under an encryption context that binds each ciphertext to its
/// tenant and record. Intake holds this port; nothing else does.
#[async_trait]
pub trait NumberEncryptor: Send + Sync {
    async fn encrypt(
        &self,
        tenant: &TenantId,
        record: &RecordId,
        number: &MyNumber,
    ) -> Result<Ciphertext, CipherError>;
}

/// Opens a ciphertext under its record's encryption context. Only the lookup function
/// (the reveal) holds this port, as only its role may call `kms:Decrypt`.
#[async_trait]
pub trait NumberDecryptor: Send + Sync {
    async fn decrypt(
        &self,
        tenant: &TenantId,
        record: &RecordId,
        ciphertext: &Ciphertext,
    ) -> Result<MyNumber, CipherError>;
}

/// Keyed MACs (never plain hashes) of what idempotency must compare without storing it.
#[async_trait]
pub trait NumberMac: Send + Sync {
    /// A keyed MAC of the number, for idempotency fingerprints. A plain hash of a
    /// 12-digit number can be reversed by trying every number, so it must be keyed.
    async fn fingerprint(
        &self,
        tenant: &TenantId,
        number: &MyNumber,
    ) -> Result<Vec<u8>, CipherError>;

    /// A keyed MAC of an `Idempotency-Key`, under which the store files its entry: the
    /// key is the client's text and may hold a number.
    async fn key_digest(
        &self,
        tenant: &TenantId,
        key: &IdempotencyKey,
    ) -> Result<KeyDigest, CipherError>;
}

impl From<CipherError> for VaultError {
    fn from(e: CipherError) -> Self {
        match e {
            CipherError::Rejected => {
                tracing::error!("ciphertext rejected under its encryption context");
            }
            CipherError::Unavailable(msg) => tracing::error!(error = %msg, "cipher failed"),
        }
        VaultError::Unavailable
    }
}

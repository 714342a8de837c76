//! A toy cipher with KMS's bindings, for fast tests: never a real one.

use async_trait::async_trait;
use mynumber_domain::ids::{IdempotencyKey, KeyDigest, RecordId, TenantId};
use mynumber_domain::number::MyNumber;
use mynumber_domain::ports::*;
use mynumber_domain::record::Ciphertext;
use sha2::{Digest, Sha256};

/// A toy cipher bound to (tenant, record) like the KMS one: a context tag followed by the
/// digits XORed with a context-derived keystream. Only for tests.
pub struct LocalCipher {
    secret: [u8; 32],
}

impl Default for LocalCipher {
    fn default() -> Self {
        LocalCipher {
            secret: Sha256::digest(uuid::Uuid::new_v4().as_bytes()).into(),
        }
    }
}

impl LocalCipher {
    fn stream(&self, t: &TenantId, r: &RecordId) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(t.as_str());
        h.update([0]);
        h.update(r.as_str());
        h.finalize().into()
    }
}

#[async_trait]
impl NumberEncryptor for LocalCipher {
    async fn encrypt(
        &self,
        t: &TenantId,
        r: &RecordId,
        n: &MyNumber,
    ) -> Result<Ciphertext, CipherError> {
        let ks = self.stream(t, r);
        let mut out = ks[..8].to_vec();
        out.extend(n.expose_digits().bytes().zip(&ks[8..]).map(|(b, k)| b ^ k));
        Ok(Ciphertext(out))
    }
}

#[async_trait]
impl NumberDecryptor for LocalCipher {
    async fn decrypt(
        &self,
        t: &TenantId,
        r: &RecordId,
        c: &Ciphertext,
    ) -> Result<MyNumber, CipherError> {
        let ks = self.stream(t, r);
        if c.0.len() != 20 || c.0[..8] != ks[..8] {
            return Err(CipherError::Rejected);
        }
        let plain: Vec<u8> = c.0[8..].iter().zip(&ks[8..]).map(|(b, k)| b ^ k).collect();
        MyNumber::from_decrypted(plain).map_err(|_| CipherError::Rejected)
    }
}

#[async_trait]
impl NumberMac for LocalCipher {
    async fn fingerprint(&self, t: &TenantId, n: &MyNumber) -> Result<Vec<u8>, CipherError> {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(t.as_str());
        h.update(n.expose_digits());
        Ok(h.finalize().to_vec())
    }

    async fn key_digest(&self, t: &TenantId, k: &IdempotencyKey) -> Result<KeyDigest, CipherError> {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(b"idempotency-key\n");
        h.update(t.as_str());
        h.update(b"\n");
        h.update(k.as_str());
        Ok(KeyDigest::from_mac(&h.finalize()))
    }
}

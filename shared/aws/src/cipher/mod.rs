//! The cipher ports on KMS: Encrypt/Decrypt under the encryption context
//! `{tenant_id, record_id}` (ids only, since CloudTrail logs the context in plaintext),
//! and an HMAC key for idempotency fingerprints. Encrypting and decrypting are separate
//! types, and `KmsDecryptor` exists only with the `decrypt` feature, which only the
//! lookup function enables: no other function's code can even name a way to decrypt.

#[cfg(feature = "decrypt")]
mod decrypt;
#[cfg(feature = "encrypt")]
mod encrypt;

#[cfg(feature = "decrypt")]
pub use decrypt::KmsDecryptor;
#[cfg(feature = "encrypt")]
pub use encrypt::KmsEncryptor;

use crate::describe;
use mynumber_domain::ports::CipherError;

fn unavailable<E: std::error::Error>(e: E) -> CipherError {
    CipherError::Unavailable(describe(&e))
}

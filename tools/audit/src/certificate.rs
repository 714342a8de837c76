//! `mynumber-audit verify-certificate`: checks a deletion certificate (SPEC §4e) offline.
//! The signature is ECDSA P-256 with SHA-256 over the SHA-256 of the document's canonical
//! JSON (RFC 8785) without its `signature` member (mynumber_domain::certificate).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mynumber_domain::certificate::{fingerprint, signed_digest, unsigned_canonical};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

/// What a good certificate proves.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub certificate_id: String,
    pub disposal_count: usize,
    pub key_fingerprint: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the file is not a JSON certificate: {0}")]
    NotJson(String),
    #[error("the certificate has no {0}")]
    Missing(&'static str),
    #[error("the public key does not parse: {0}")]
    BadKey(String),
    #[error(
        "the certificate was signed by another key ({certificate}) than the one given ({given})"
    )]
    OtherKey { certificate: String, given: String },
    #[error("the signature does not match the document: it was changed after it was signed")]
    BadSignature,
    #[error("the certificate states {stated} disposals but lists {listed}")]
    CountMismatch { stated: u64, listed: usize },
}

/// Parses a PEM (`-----BEGIN PUBLIC KEY-----`) or base64 DER SubjectPublicKeyInfo.
fn public_key_der(text: &str) -> Result<Vec<u8>, VerifyError> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD
        .decode(body.trim())
        .map_err(|e| VerifyError::BadKey(e.to_string()))
}

/// Verifies `json` with the key in `pem` when given, else with the key the certificate
/// carries (which proves only that the document is whole: compare the fingerprint with
/// the one the employer publishes).
pub fn verify(json: &[u8], pem: Option<&str>) -> Result<Verified, VerifyError> {
    let document: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| VerifyError::NotJson(e.to_string()))?;
    let text = |name: &'static str| {
        document
            .get(name)
            .and_then(|v| v.as_str())
            .ok_or(VerifyError::Missing(name))
    };
    let carried = STANDARD
        .decode(text("public_key")?)
        .map_err(|e| VerifyError::BadKey(e.to_string()))?;
    let der = match pem {
        Some(pem) => {
            let given = public_key_der(pem)?;
            if given != carried {
                return Err(VerifyError::OtherKey {
                    certificate: fingerprint(&carried),
                    given: fingerprint(&given),
                });
            }
            given
        }
        None => carried,
    };
    let key =
        VerifyingKey::from_public_key_der(&der).map_err(|e| VerifyError::BadKey(e.to_string()))?;
    let signature = STANDARD
        .decode(text("signature")?)
        .ok()
        .and_then(|der| Signature::from_der(&der).ok())
        .ok_or(VerifyError::BadSignature)?;
    let digest = signed_digest(&document).map_err(|e| VerifyError::NotJson(e.to_string()))?;
    key.verify(&digest, &signature)
        .map_err(|_| VerifyError::BadSignature)?;
    let listed = document
        .get("disposals")
        .and_then(|v| v.as_array())
        .ok_or(VerifyError::Missing("disposals"))?
        .len();
    let stated = document
        .get("disposal_count")
        .and_then(|v| v.as_u64())
        .ok_or(VerifyError::Missing("disposal_count"))?;
    // Signed alike, but a hand-made document could still disagree with itself.
    if stated != listed as u64 {
        return Err(VerifyError::CountMismatch { stated, listed });
    }
    Ok(Verified {
        certificate_id: text("certificate_id")?.to_owned(),
        disposal_count: listed,
        key_fingerprint: fingerprint(&der),
    })
}

/// The parts OpenSSL checks a certificate with: the canonical JSON that was hashed
/// (`unsigned.json`), its SHA-256 (`digest.bin`, the signed message) and the DER signature
/// (`signature.der`). Nothing is verified here.
pub fn parts(json: &[u8]) -> Result<[(&'static str, Vec<u8>); 3], VerifyError> {
    let document: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| VerifyError::NotJson(e.to_string()))?;
    let signature = document
        .get("signature")
        .and_then(|v| v.as_str())
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or(VerifyError::Missing("signature"))?;
    let canonical =
        unsigned_canonical(&document).map_err(|e| VerifyError::NotJson(e.to_string()))?;
    let digest = Sha256::digest(&canonical).to_vec();
    Ok([
        ("unsigned.json", canonical),
        ("digest.bin", digest),
        ("signature.der", signature),
    ])
}

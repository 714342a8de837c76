//! jsonwebtoken's signature checks on ring, the crypto the TLS stack already links, instead
//! of RustCrypto's RSA, ECDSA and EdDSA crates (about 0.3 MB of each function's zip, make
//! bench). Verification only: a function never signs. With the `signing` feature (tests)
//! signing and the JWK helpers are RustCrypto's, so that tests can make tokens; the checks
//! stay ring's.

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, signature};
use ring::signature as ring_sig;
use std::sync::LazyLock;

static PROVIDER: LazyLock<CryptoProvider> = LazyLock::new(|| {
    #[cfg(any(test, feature = "signing"))]
    let base = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    CryptoProvider {
        #[cfg(any(test, feature = "signing"))]
        signer_factory: base.signer_factory,
        #[cfg(not(any(test, feature = "signing")))]
        signer_factory: |_, _| Err(ErrorKind::InvalidAlgorithm.into()),
        verifier_factory: verifier,
        #[cfg(any(test, feature = "signing"))]
        key_utils: base.key_utils.clone(),
        #[cfg(not(any(test, feature = "signing")))]
        key_utils: jsonwebtoken::crypto::KeyUtils::new_unimplemented(),
    }
});

/// Makes ring jsonwebtoken's provider for this process; a no-op once one is chosen.
pub fn install() {
    let _ = CryptoProvider::install_default(&PROVIDER);
}

/// The RSA checks, by PKCS#1 v1.5 or PSS padding and hash.
fn rsa_params(alg: Algorithm) -> Option<&'static ring_sig::RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &ring_sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &ring_sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// The checks of the algorithms `ACCEPTED` allows (the RSA ones and ECDSA on P-256 and
/// P-384); any other is refused.
fn params(alg: Algorithm) -> Option<&'static dyn ring_sig::VerificationAlgorithm> {
    if let Some(rsa) = rsa_params(alg) {
        return Some(rsa);
    }
    match alg {
        Algorithm::ES256 => Some(&ring_sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Some(&ring_sig::ECDSA_P384_SHA384_FIXED),
        _ => None,
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    let family_ok = matches!(
        (alg.family(), key.family()),
        (AlgorithmFamily::Rsa, AlgorithmFamily::Rsa) | (AlgorithmFamily::Ec, AlgorithmFamily::Ec)
    );
    if !family_ok || params(*alg).is_none() {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(RingVerifier {
        alg: *alg,
        key: key.clone(),
    }))
}

struct RingVerifier {
    alg: Algorithm,
    key: DecodingKey,
}

impl signature::Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let checked = match self.key.kind() {
            DecodingKeyKind::RsaModulusExponent { n, e } => rsa_params(self.alg)
                .map(|p| ring_sig::RsaPublicKeyComponents { n, e }.verify(p, msg, sig)),
            // PKCS#1 DER for RSA, the uncompressed point for ECDSA: what ring reads.
            DecodingKeyKind::SecretOrDer(der) => {
                params(self.alg).map(|p| ring_sig::UnparsedPublicKey::new(p, der).verify(msg, sig))
            }
        };
        match checked {
            Some(Ok(())) => Ok(()),
            _ => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{EncodingKey, Header, encode};

    const KEY: &str = include_str!("../../../tests/fixtures/jwt-test-key.pem");
    const FORGER: &str = include_str!("../../../tests/fixtures/jwt-forger-key.pem");
    const JWKS: &str = include_str!("../../../tests/fixtures/jwks.json");

    fn checks(pem: &str, alg: Algorithm) -> bool {
        install();
        let token = encode(
            &Header::new(alg),
            &serde_json::json!({"sub": "x"}),
            &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        )
        .unwrap();
        let (message, sig) = token.rsplit_once('.').unwrap();
        let set: JwkSet = serde_json::from_str(JWKS).unwrap();
        let key = DecodingKey::from_jwk(&set.keys[0]).unwrap();
        let sig = jsonwebtoken::crypto::verify(sig, message.as_bytes(), &key, alg);
        let direct = verifier(&alg, &key).unwrap();
        let raw = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token.rsplit_once('.').unwrap().1)
                .unwrap()
        };
        let ok = signature::Verifier::verify(&*direct, message.as_bytes(), &raw).is_ok();
        assert_eq!(sig.unwrap(), ok, "the installed provider is ring's");
        ok
    }

    #[test]
    fn ring_checks_rsa_signatures_of_the_accepted_algorithms() {
        for alg in [Algorithm::RS256, Algorithm::RS512, Algorithm::PS256] {
            assert!(checks(KEY, alg), "{alg:?} by the issuer's key");
            assert!(!checks(FORGER, alg), "{alg:?} by another key");
        }
    }

    #[test]
    fn a_key_of_another_family_or_an_hmac_algorithm_is_refused() {
        let set: JwkSet = serde_json::from_str(JWKS).unwrap();
        let key = DecodingKey::from_jwk(&set.keys[0]).unwrap();
        assert!(verifier(&Algorithm::ES256, &key).is_err());
        assert!(verifier(&Algorithm::HS256, &key).is_err());
        assert!(verifier(&Algorithm::EdDSA, &key).is_err());
    }
}

//! The certificate key on KMS (SPEC §4e): an asymmetric `ECC_NIST_P256` key for
//! `SIGN_VERIFY`, whose policy lets only the certificate function's role Sign. Its public
//! half is read once per container and kept: it never changes for a key id.

use crate::describe;
use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use mynumber_domain::ports::{CertificateSigner, Unavailable};
use tokio::sync::OnceCell;

pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    public_key: OnceCell<Vec<u8>>,
}

impl KmsSigner {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsSigner {
            client,
            key_id: key_id.into(),
            public_key: OnceCell::new(),
        }
    }
}

fn unavailable<E: std::error::Error>(e: E) -> Unavailable {
    Unavailable(describe(&e))
}

#[async_trait]
impl CertificateSigner for KmsSigner {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn public_key(&self) -> Result<Vec<u8>, Unavailable> {
        self.public_key
            .get_or_try_init(|| async {
                let out = self
                    .client
                    .get_public_key()
                    .key_id(&self.key_id)
                    .send()
                    .await
                    .map_err(unavailable)?;
                out.public_key
                    .map(Blob::into_inner)
                    .ok_or_else(|| Unavailable("GetPublicKey answered no key".into()))
            })
            .await
            .cloned()
    }

    async fn sign(&self, message: &[u8; 32]) -> Result<Vec<u8>, Unavailable> {
        // RAW: KMS hashes the 32 bytes with SHA-256 and signs that (see
        // mynumber_domain::certificate for why the digest is the message).
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message.to_vec()))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(unavailable)?;
        out.signature
            .map(Blob::into_inner)
            .ok_or_else(|| Unavailable("Sign answered no signature".into()))
    }
}

//! Deletion certificates (SPEC §4e): the disposal records they state, where they are kept,
//! and the key that signs them.

use super::*;
use crate::certificate_document::{CertificateId, CertificateSummary, OrganizationName};
use crate::disposal::DisposalRecord;
use crate::ids::{EmployeeId, TenantId};
use async_trait::async_trait;

/// What the certificate function's role may read and write: disposal records (read
/// only), its certificates (never overwritten) and the tenant's display name.
#[async_trait]
pub trait Certificates: Send + Sync {
    /// The tenant's disposal records with `since <= disposed_at < until`, oldest first,
    /// only `employee`'s when given; at most `max`; read consistently (a certificate is
    /// signed once and never changes).
    async fn disposals_between(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        employee: Option<&EmployeeId>,
        max: usize,
    ) -> Result<Vec<DisposalRecord>, Unavailable>;

    /// Stores a new certificate, its summary for listings and its signed JSON as issued;
    /// it never overwrites one.
    async fn put_certificate(
        &self,
        tenant: &TenantId,
        summary: &CertificateSummary,
        document: &str,
    ) -> Result<(), Unavailable>;

    /// The signed JSON, byte for byte as stored.
    async fn get_certificate(
        &self,
        tenant: &TenantId,
        id: &CertificateId,
    ) -> Result<Option<String>, Unavailable>;

    /// The tenant's certificates, newest first.
    async fn list_certificates(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<CertificateSummary>, ListError>;

    async fn organization_name(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<OrganizationName>, Unavailable>;

    async fn put_organization_name(
        &self,
        tenant: &TenantId,
        name: &OrganizationName,
    ) -> Result<(), Unavailable>;
}

/// The certificate key (KMS, asymmetric, `ECC_NIST_P256`, `SIGN_VERIFY`).
#[async_trait]
pub trait CertificateSigner: Send + Sync {
    /// The key's id or ARN, as the certificate names it.
    fn key_id(&self) -> &str;

    /// DER SubjectPublicKeyInfo.
    async fn public_key(&self) -> Result<Vec<u8>, Unavailable>;

    /// A DER ECDSA P-256 signature over `message` (hashed with SHA-256 by the signer).
    async fn sign(&self, message: &[u8; 32]) -> Result<Vec<u8>, Unavailable>;
}

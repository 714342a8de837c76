//! The KMS cipher and the bootstrap directly against moto.

use super::*;
use mynumber_aws::{KmsDecryptor, KmsEncryptor};
use mynumber_domain::ports::{CipherError, NumberDecryptor, NumberEncryptor, NumberMac};
use mynumber_domain::{MyNumber, RecordId, TenantId};

#[tokio::test]
async fn ciphertexts_are_bound_to_tenant_and_record() {
    let stack = Stack::new().await;
    let cipher = KmsEncryptor::new(stack.kms(), &stack.key_id, &stack.mac_key_id);
    let decryptor = KmsDecryptor::new(stack.kms(), &stack.key_id);
    let (t1, t2) = (
        TenantId::parse("acme").unwrap(),
        TenantId::parse("other").unwrap(),
    );
    let (r1, r2) = (RecordId::new_random(), RecordId::new_random());
    let n = MyNumber::parse(N1).unwrap();
    let ct = cipher.encrypt(&t1, &r1, &n).await.unwrap();
    assert!(!String::from_utf8_lossy(&ct.0).contains(N1));
    assert_eq!(
        decryptor
            .decrypt(&t1, &r1, &ct)
            .await
            .unwrap()
            .expose_digits(),
        N1
    );
    assert_eq!(
        decryptor.decrypt(&t2, &r1, &ct).await.unwrap_err(),
        CipherError::Rejected
    );
    assert_eq!(
        decryptor.decrypt(&t1, &r2, &ct).await.unwrap_err(),
        CipherError::Rejected
    );
    // Two encryptions of one number differ (no equality oracle at rest).
    assert_ne!(cipher.encrypt(&t1, &r1, &n).await.unwrap(), ct);
}

#[tokio::test]
async fn fingerprints_are_keyed_deterministic_and_per_tenant() {
    let stack = Stack::new().await;
    let cipher = KmsEncryptor::new(stack.kms(), &stack.key_id, &stack.mac_key_id);
    let t1 = TenantId::parse("acme").unwrap();
    let t2 = TenantId::parse("other").unwrap();
    let n = MyNumber::parse(N1).unwrap();
    let a = cipher.fingerprint(&t1, &n).await.unwrap();
    assert_eq!(
        a,
        cipher
            .fingerprint(&t1, &MyNumber::parse("1234-5678-9018").unwrap())
            .await
            .unwrap()
    );
    assert_ne!(a, cipher.fingerprint(&t2, &n).await.unwrap());
    assert_ne!(
        a,
        cipher
            .fingerprint(&t1, &MyNumber::parse(N2).unwrap())
            .await
            .unwrap()
    );
    assert_eq!(a.len(), 32);
}

#[tokio::test]
async fn bootstrap_is_idempotent() {
    let stack = Stack::new().await;
    let ddb = stack.ddb();
    mynumber_aws::bootstrap::ensure_table(&ddb, &stack.table)
        .await
        .unwrap();
    let ttl = ddb
        .describe_time_to_live()
        .table_name(&stack.table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expires_at")
    );
    let rotation = stack
        .kms()
        .get_key_rotation_status()
        .key_id(&stack.key_id)
        .send()
        .await
        .unwrap();
    assert!(rotation.key_rotation_enabled());
}

//! `verify-certificate` as an auditor or a former employee runs it: a whole certificate
//! verifies; a changed byte, a dropped row, another document's signature or another key
//! each fail with a clear message and exit status 1. (The certificates KMS signs are
//! verified in the tests crate, against moto.)

use mynumber_domain::certificate::{base64, public_key_pem, signed_digest};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use serde_json::{Value, json};
use std::process::Command;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn spki(k: &SigningKey) -> Vec<u8> {
    p256::PublicKey::from(k.verifying_key())
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// A document shaped as the certificate function writes it, signed as KMS signs it
/// (ECDSA with SHA-256 over the 32-byte digest).
fn certificate(k: &SigningKey, employees: &[&str]) -> Value {
    let disposals: Vec<Value> = employees
        .iter()
        .map(|e| {
            json!({"record_id": "11111111-1111-4111-8111-111111111111", "employee_id": e,
                   "relation": "self", "reason": "retention_ended", "due_at": "2026-12-01",
                   "disposed_at": "2026-12-02T00:00:00.000Z", "disposed_by": "schedule",
                   "backup_expires_at": "2027-01-06T00:00:00.000Z", "documents_deleted": 0})
        })
        .collect();
    let mut doc = json!({
        "format": "mynumber-vault.deletion-certificate/1",
        "certificate_id": "019b0000-0000-7000-8000-000000000001",
        "tenant_id": "acme", "tenant_name": "株式会社サンプル",
        "from": "2026-12-01", "to": "2026-12-31", "disposal_count": employees.len(),
        "issued_at": "2026-12-07T00:00:00.000Z", "issued_by": "auditor-1", "key_id": "k",
        "statement": "…", "signature_algorithm": "ECDSA_SHA_256",
        "public_key": base64(&spki(k)), "key_fingerprint": "", "disposals": disposals,
    });
    let signature: Signature = k.sign(&signed_digest(&doc).unwrap());
    doc["signature"] = json!(base64(signature.to_der().as_bytes()));
    doc
}

fn verify(doc: &str, pem: Option<&str>) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("verify-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("certificate.json");
    std::fs::write(&file, doc).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mynumber-audit"));
    cmd.arg("verify-certificate").arg(&file);
    if let Some(pem) = pem {
        let p = dir.join("public-key.pem");
        std::fs::write(&p, pem).unwrap();
        cmd.arg("--public-key").arg(p);
    }
    let out = cmd.output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), text)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn a_whole_certificate_verifies_with_its_published_key() {
    let k = key(7);
    let doc = certificate(&k, &["E0001", "E0002"]).to_string();
    let (code, out) = verify(&doc, Some(&public_key_pem(&spki(&k))));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK") && out.contains("2 disposals"), "{out}");
    // Without the published key, the carried one checks wholeness and says so.
    let (code, out) = verify(&doc, None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("compare the fingerprint"), "{out}");
}

#[test]
fn a_changed_byte_a_dropped_row_or_another_signature_fails() {
    let k = key(7);
    let pem = public_key_pem(&spki(&k));
    let doc = certificate(&k, &["E0001", "E0002"]);
    let text = doc.to_string();

    let changed = text.replacen("E0002", "E0003", 1);
    let (code, out) = verify(&changed, Some(&pem));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("NOT VERIFIED") && out.contains("changed after it was signed"),
        "{out}"
    );

    let mut dropped = doc.clone();
    dropped["disposals"].as_array_mut().unwrap().pop();
    dropped["disposal_count"] = json!(1);
    let (code, out) = verify(&dropped.to_string(), Some(&pem));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed after it was signed"), "{out}");

    let other = certificate(&k, &["E0001"]);
    let mut swapped = doc.clone();
    swapped["signature"] = other["signature"].clone();
    let (code, out) = verify(&swapped.to_string(), Some(&pem));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed after it was signed"), "{out}");

    // Re-signed by someone else's key: not the employer's published key.
    let forged = certificate(&key(9), &["E0001", "E0002"]).to_string();
    let (code, out) = verify(&forged, Some(&pem));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signed by another key"), "{out}");

    let (code, out) = verify("not json", None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not a JSON certificate"), "{out}");
}

/// What the README tells an auditor without our tool's verifier: OpenSSL checks the
/// signature over the digest, and the digest is the SHA-256 of the canonical JSON.
#[test]
fn openssl_verifies_the_parts_the_command_writes() {
    let k = key(7);
    let dir = std::env::temp_dir().join(format!("openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("certificate.json"),
        certificate(&k, &["E0001"]).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("public-key.pem"), public_key_pem(&spki(&k))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mynumber-audit"))
        .args(["certificate-parts", "certificate.json", "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        (out.status.success(), out.stdout)
    };
    let (ok, digest) = openssl(&["dgst", "-sha256", "-binary", "unsigned.json"]);
    assert!(ok);
    assert_eq!(digest, std::fs::read(dir.join("digest.bin")).unwrap());
    let (ok, said) = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "public-key.pem",
        "-signature",
        "signature.der",
        "digest.bin",
    ]);
    assert!(ok, "{}", String::from_utf8_lossy(&said));
    assert!(String::from_utf8_lossy(&said).contains("Verified OK"));
    std::fs::remove_dir_all(&dir).ok();
}

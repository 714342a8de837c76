//! Deletion certificates (SPEC §4e) against moto: disposals of every kind, a certificate
//! signed by the stack's own KMS key, verified offline; any change to it fails; the PDF
//! read back with poppler's tools.

use super::collections::{id_of, open_link, own, records_of, submit};
use super::*;
use chrono::Duration;
use mynumber_domain::ports::Clock;
use mynumber_domain::retention::jst_today;
use std::process::Command;
use std::sync::{Arc, Mutex};

fn issue(who: &Who, body: Value) -> lambda_http::Request {
    req("POST", "/v1/certificates").who(who).json(body).build()
}

/// Five disposals, one of each way a number leaves the vault: early disposal, rejection,
/// the purge (retention ended, and unconfirmed), and DynamoDB TTL behind the purge's back.
async fn disposals_of_every_kind(stack: &Stack) {
    let start = mynumber_tests::epoch();
    stack.set_now(start);
    let hr = Who::registrar("acme");
    // Early: a dependant no longer needed.
    register(stack, &hr, own_number("E0701", N1)).await;
    let child = register(stack, &hr, dependent("E0701", "長男", N2)).await;
    let child_id = child.body["record_id"].as_str().unwrap();
    let r = stack
        .call(
            req("DELETE", &format!("/v1/records/{child_id}"))
                .who(&hr)
                .json(json!({"reason": "no_longer_needed"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    // Rejected at review.
    let (_, token) = open_link(stack, "E0702", false).await;
    assert_eq!(
        submit(stack, &token, json!({"self": own(N3)})).await.status,
        201
    );
    let rejected = id_of(&records_of(stack, "E0702").await, "self").to_owned();
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{rejected}/reject"))
                .who(&hr)
                .json(json!({"reason": "写真が不鮮明"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    // Left unconfirmed past its review window.
    let (_, token) = open_link(stack, "E0703", false).await;
    assert_eq!(
        submit(stack, &token, json!({"self": own(N4)})).await.status,
        201
    );
    // Retention ended: left in 2019, kept seven years.
    register(stack, &hr, own_number("E0704", N5)).await;
    let r = stack
        .call(
            req("POST", "/v1/employees/E0704/departure")
                .who(&hr)
                .json(json!({"left_on": "2019-03-31"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    stack.set_now(start + Duration::days(32));
    let purge = stack.purge();
    let summary = stack
        .run_purge(&purge, start + Duration::days(400))
        .await
        .unwrap();
    assert_eq!(summary["disposed"], 2, "{summary}");
    // DynamoDB TTL deleted one the purge missed.
    let ttl = register(
        stack,
        &hr,
        own_number("E0705", &mynumber_tests::generated_number(705, 7)),
    )
    .await;
    let ttl_id = ttl.body["record_id"].as_str().unwrap().to_owned();
    let item = super::retention::races::record_item(stack, &ttl_id).await;
    stack
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .key("pk", item["pk"].clone())
        .key("sk", item["sk"].clone())
        .send()
        .await
        .unwrap();
    let backstop = stack.backstop(Arc::new(Mutex::new(Vec::new())));
    let mut ctx = lambda_runtime::Context::default();
    ctx.request_id = format!("backstop-{}", mynumber_tests::uuid_like());
    let event = super::retention::races::stream_event(&[(&item, true)]);
    backstop
        .handle(lambda_runtime::LambdaEvent::new(event, ctx))
        .await
        .unwrap();
}

/// From the first disposal's day to today, which is moved past the TTL deletion's time
/// (the stream record's own, 2027-01-15 08:00 UTC).
fn period(stack: &Stack) -> (String, String) {
    let ttl = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    stack.set_now(stack.clock.now().max(ttl + Duration::days(1)));
    let start = jst_today(mynumber_tests::epoch().min(ttl));
    let today = jst_today(stack.clock.now());
    (start.to_string(), today.to_string())
}

fn tool(name: &str, args: &[&str], input: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("certificate-{}", mynumber_tests::uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("certificate.pdf");
    std::fs::write(&file, input).unwrap();
    let out = Command::new(name)
        .args(args)
        .arg(&file)
        .args(if name == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{name} (Debian poppler-utils): {e}"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_certificate_states_every_disposal_and_verifies_offline() {
    let stack = Stack::new().await;
    disposals_of_every_kind(&stack).await;
    let admin = Who::new("admin-ito", "acme", &["admin"]);
    let r = stack
        .call(
            req("PUT", "/v1/settings/organization")
                .who(&admin)
                .json(json!({"display_name": "株式会社サンプル"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);

    let auditor = Who::auditor("acme");
    let (from, to) = period(&stack);
    let r = stack
        .call(issue(&auditor, json!({"from": from, "to": to})))
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["disposal_count"], 5, "{}", r.raw);
    assert_eq!(r.body["issued_by"], "audit-tanaka");
    let id = r.body["certificate_id"].as_str().unwrap().to_owned();

    let doc = stack
        .call(
            req("GET", &format!("/v1/certificates/{id}"))
                .who(&auditor)
                .build(),
        )
        .await;
    assert_eq!(doc.status, 200, "{}", doc.raw);
    let mut reasons: Vec<&str> = doc.body["disposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "no_longer_needed",
            "rejected",
            "retention_ended",
            "ttl_backstop",
            "unconfirmed"
        ]
    );
    assert_eq!(doc.body["tenant_name"], "株式会社サンプル");
    assert!(
        !doc.raw.contains("\"ct\"") && !doc.raw.contains("mac"),
        "{}",
        doc.raw
    );

    // Verified offline with the published key; every alteration fails.
    let pem = stack
        .call(req("GET", "/v1/certificates/public-key").no_token().build())
        .await;
    assert_eq!(pem.status, 200, "{}", pem.raw);
    assert!(
        pem.raw.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{}",
        pem.raw
    );
    let verify = |json: &str| mynumber_audit::certificate::verify(json.as_bytes(), Some(&pem.raw));
    let ok = verify(&doc.raw).unwrap();
    assert_eq!(ok.disposal_count, 5);
    assert_eq!(doc.body["key_fingerprint"], ok.key_fingerprint.as_str());
    let changed = doc.raw.replacen("E0704", "E0714", 1);
    assert!(verify(&changed).is_err());
    let mut dropped = doc.body.clone();
    dropped["disposals"].as_array_mut().unwrap().remove(0);
    dropped["disposal_count"] = json!(4);
    assert!(verify(&dropped.to_string()).is_err());
    // Another certificate's signature on this one (issued a second later: the listing
    // below is newest first, and ids issued in one millisecond have no order).
    stack.set_now(stack.clock.now() + Duration::seconds(1));
    let other = stack
        .call(issue(&auditor, json!({"employee_id": "E0701"})))
        .await;
    assert_eq!(other.status, 201, "{}", other.raw);
    assert_eq!(other.body["disposal_count"], 1, "{}", other.raw);
    let other_id = other.body["certificate_id"].as_str().unwrap();
    let other_doc = stack
        .call(
            req("GET", &format!("/v1/certificates/{other_id}"))
                .who(&auditor)
                .build(),
        )
        .await;
    let mut swapped = doc.body.clone();
    swapped["signature"] = other_doc.body["signature"].clone();
    assert!(verify(&swapped.to_string()).is_err());
    // The signature is KMS's own: KMS Verify agrees (the digest, signed as a message).
    let digest = mynumber_domain::certificate::signed_digest(&doc.body).unwrap();
    let signature = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(doc.body["signature"].as_str().unwrap())
            .unwrap()
    };
    let verified = stack
        .kms()
        .verify()
        .key_id(&stack.certificate_key_id)
        .message(aws_sdk_kms::primitives::Blob::new(digest.to_vec()))
        .signature(aws_sdk_kms::primitives::Blob::new(signature))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert!(verified.signature_valid());

    // Listed, newest first; the audit trail names each certificate.
    let list = stack
        .call(req("GET", "/v1/certificates").who(&auditor).build())
        .await;
    assert_eq!(list.status, 200, "{}", list.raw);
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["certificate_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [other_id, id.as_str()]);
    let issued: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "certificate_issued")
        .collect();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0]["certificate_id"], id.as_str());
    assert_eq!(issued[0]["count"], 5);

    // The PDF: Japanese text, every employee, the total; the font embedded; no number.
    let pdf = stack
        .call(
            req("GET", &format!("/v1/certificates/{id}/pdf"))
                .who(&auditor)
                .build(),
        )
        .await;
    assert_eq!(pdf.status, 200, "{}", pdf.raw);
    assert_eq!(pdf.content_type, "application/pdf");
    let bytes = pdf.bytes.clone();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = tool("pdftotext", &["-layout"], &bytes);
    for expected in [
        "個人番号削除証明書",
        "株式会社サンプル",
        "合計",
        "5件",
        "保存期間満了",
        "確認で却下",
        id.as_str(),
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    for e in ["E0701", "E0702", "E0703", "E0704", "E0705"] {
        assert!(text.contains(e), "{e} in {text}");
    }
    let fonts = tool("pdffonts", &[], &bytes);
    let font = fonts.lines().nth(2).unwrap_or_default();
    assert!(
        font.contains("IPAGothic") && font.matches(" yes").count() >= 2,
        "{fonts}"
    );
    for number in [N1, N2, N3, N4, N5] {
        assert!(!text.contains(number));
        assert!(!bytes.windows(12).any(|w| w == number.as_bytes()));
    }
    stack.assert_no_plaintext(&[N1, N2, N3, N4, N5]).await;
}

#[tokio::test]
async fn only_auditors_and_admins_issue_and_another_tenant_sees_none() {
    let stack = Stack::new().await;
    let today = jst_today(stack.clock.now()).to_string();
    let body = json!({"from": today, "to": today});
    for who in [Who::registrar("acme"), Who::handler("acme")] {
        assert_problem(
            &stack.call(issue(&who, body.clone())).await,
            403,
            "forbidden_role",
        );
    }
    let r = stack.call(issue(&Who::auditor("acme"), body.clone())).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["disposal_count"], 0);
    let id = r.body["certificate_id"].as_str().unwrap();
    let other = Who::auditor("other");
    for path in [
        format!("/v1/certificates/{id}"),
        format!("/v1/certificates/{id}/pdf"),
    ] {
        assert_problem(
            &stack.call(req("GET", &path).who(&other).build()).await,
            404,
            "not_found",
        );
    }
    assert_eq!(
        stack
            .call(req("GET", "/v1/certificates").who(&other).build())
            .await
            .body["items"],
        json!([])
    );
    // A period that ends tomorrow, or begins after it ends, is the caller's to fix.
    let tomorrow = (jst_today(stack.clock.now()) + Duration::days(1)).to_string();
    let r = stack
        .call(issue(
            &Who::auditor("acme"),
            json!({"from": today, "to": tomorrow}),
        ))
        .await;
    assert_problem(&r, 400, "invalid_request");
    assert_eq!(r.body["errors"][0]["field"], "to");
    assert_eq!(r.body["errors"][0]["rule"], "future_date");
    // The empty certificate's PDF says there is nothing to state.
    let pdf = stack
        .call(
            req("GET", &format!("/v1/certificates/{id}/pdf"))
                .who(&Who::auditor("acme"))
                .build(),
        )
        .await;
    assert_eq!(pdf.status, 200);
    assert!(tool("pdftotext", &[], &pdf.bytes).contains("該当する削除の記録はありません"));
}

/// A hundred disposals break across pages, the table's header on each.
#[tokio::test]
async fn a_hundred_rows_break_across_pages_with_the_header_repeated() {
    use mynumber_domain::certificate::*;
    let row = |i: usize| CertifiedDisposal {
        record_id: "11111111-1111-4111-8111-111111111111".into(),
        employee_id: format!("E{i:04}"),
        relation: "self".into(),
        dependent_label: None,
        reason: "retention_ended".into(),
        due_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
        disposed_at: "2026-12-02T00:00:00.000Z".into(),
        disposed_by: "schedule".into(),
        backup_expires_at: "2027-01-06T00:00:00.000Z".into(),
        documents_deleted: 0,
    };
    let summary = CertificateSummary {
        certificate_id: CertificateId::new_at(mynumber_tests::epoch()),
        from: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        employee_id: None,
        disposal_count: 100,
        issued_at: "2026-12-31T00:00:00.000Z".into(),
        issued_by: mynumber_domain::Subject::parse("audit-tanaka").unwrap(),
        key_id: "k".into(),
    };
    let c = Certificate {
        format: FORMAT.into(),
        summary,
        tenant_id: mynumber_domain::TenantId::parse("acme").unwrap(),
        tenant_name: None,
        statement: statement(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        ),
        backups_expire_by: None,
        signature_algorithm: SIGNATURE_ALGORITHM.into(),
        public_key: String::new(),
        key_fingerprint: "SHA256:00".into(),
        disposals: (1..=100).map(row).collect(),
        signature: None,
    };
    let pdf = certify::render_pdf(&c);
    let info = tool("pdfinfo", &[], &pdf);
    // 35 rows under the first page's statement, 47 on a full page, 18 on the third.
    assert!(info.contains("Pages:           3"), "{info}");
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let text = tool("pdftotext", &[], &pdf);
    assert_eq!(text.matches("削除者").count(), 3, "the header on each page");
    for i in 1..=100 {
        assert!(text.contains(&format!("E{i:04}")), "E{i:04}");
    }
    assert!(text.contains("3 / 3 ページ"));
}

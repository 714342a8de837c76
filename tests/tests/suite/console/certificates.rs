//! Deletion certificates in the console (SPEC §4e): an auditor issues one for a period,
//! sees it listed, has the browser check its signature with WebCrypto against the
//! published key, and downloads its PDF; one employee's certificate from the disposal log;
//! the admin names the organisation the certificates print. On a phone too.

use super::*;
use mynumber_domain::ports::Clock;
use mynumber_domain::retention::jst_today;

async fn dispose(stack: &Stack, employee: &str, number: &str) -> String {
    let record_id = register(stack, employee, number).await;
    let r = stack
        .call(
            req("DELETE", &format!("/v1/records/{record_id}"))
                .who(&Who::registrar(TENANT))
                .json(json!({"reason": "no_longer_needed"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    record_id
}

/// The ids of the tenant's certificates, newest first.
async fn certificate_ids(stack: &Stack) -> Vec<String> {
    let r = stack
        .call(
            req("GET", "/v1/certificates")
                .who(&Who::auditor(TENANT))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["certificate_id"].as_str().unwrap().to_owned())
        .collect()
}

fn audited(stack: &Stack, event: &str) -> Vec<Value> {
    stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == event)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_issues_a_certificate_checks_its_signature_and_downloads_the_pdf() {
    let c = Console::open("certificates").await;
    dispose(&c.stack, "E7501", N1).await;
    dispose(&c.stack, "E7502", N2).await;
    c.as_principal("auditor").await;
    let nav = c.nav().await;
    assert!(nav.contains(&"certificates".to_owned()), "{nav:?}");
    c.page("certificates").await;
    c.b.text_containing("#cert-summary", "まだありません").await;

    // The period defaults to this year, up to today in Japan.
    let today = jst_today(c.stack.clock.now()).to_string();
    let dates = c
        .js("return [document.querySelector('#cert-from').value, document.querySelector('#cert-to').value]")
        .await;
    assert_eq!(dates, json!([format!("{}-01-01", &today[..4]), today]));

    // A period that ends after today: the API says so beside the field, and nothing is issued.
    c.js("document.querySelector('#cert-to').value = '2999-12-31'")
        .await;
    c.click("#cert-submit").await;
    let error = c.b.text_of("#err-cert-to").await;
    assert!(
        error.contains("今日まで") && !error.contains("2999"),
        "{error}"
    );
    assert_eq!(
        c.js("return document.querySelector('#cert-to').getAttribute('aria-invalid')")
            .await,
        json!("true")
    );
    c.shot("certificates-field-error").await;
    assert!(certificate_ids(&c.stack).await.is_empty());

    // Issued for this year: both disposals, listed with the count and the issuer.
    c.js(&format!(
        "document.querySelector('#cert-to').value = '{today}'"
    ))
    .await;
    c.click("#cert-submit").await;
    let issued =
        c.b.text_containing("#cert-issued", "発行しました（2件）")
            .await;
    assert!(!issued.contains("null"), "{issued}");
    let ids = certificate_ids(&c.stack).await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = &ids[0];
    let row = format!("#cert-table tr[data-certificate-id=\"{id}\"]");
    let text = c.b.text_containing(&row, "2件").await;
    assert!(
        text.contains("audit-tanaka") && text.contains(&today),
        "{text}"
    );
    c.shot("certificates").await;

    // The browser checks the signature with the published key, from the keyboard.
    let verify = c.b.visible(&format!("{row} button.verify")).await;
    verify.send_keys("\u{E007}").await.unwrap();
    let result =
        c.b.text_containing("#cert-verify", "署名を確認しました")
            .await;
    let doc = c
        .stack
        .call(
            req("GET", &format!("/v1/certificates/{id}"))
                .who(&Who::auditor(TENANT))
                .build(),
        )
        .await;
    let fingerprint = doc.body["key_fingerprint"].as_str().unwrap();
    assert!(result.contains(fingerprint), "{result}");
    assert_eq!(
        c.js("return document.querySelector('#cert-verify').dataset.result")
            .await,
        json!("verified")
    );
    c.shot("certificates-verified").await;

    // The PDF, fetched with the console's credentials and saved from a blob: URL.
    let before = audited(&c.stack, "certificate_downloaded").len();
    c.click(&format!("{row} button.pdf")).await;
    let pdf = downloaded(&c.b.downloads_dir(), "pdf").await;
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let downloads = audited(&c.stack, "certificate_downloaded");
    assert_eq!(downloads.len(), before + 1, "{downloads:?}");
    assert_eq!(downloads[before]["certificate_id"], id.as_str());
    assert_eq!(downloads[before]["outcome"], "success", "{downloads:?}");
    // And the signed JSON, byte for byte as the API serves it.
    c.click(&format!("{row} button.json")).await;
    let json = downloaded(&c.b.downloads_dir(), "json").await;
    assert_eq!(json, doc.raw.as_bytes());
    // Only the blob: URLs of the page made the files; nothing was kept in storage.
    let storage = c
        .js("return localStorage.length + sessionStorage.length + document.cookie.length")
        .await;
    assert_eq!(storage, json!(0));

    // One employee's certificate, from the disposal log filtered to that employee.
    c.page("disposals").await;
    c.fill("#disp-employee-id", "E7502").await;
    c.click("#disp-load").await;
    c.click("#disp-certificate-link").await;
    c.b.visible("#page-certificates").await;
    let prefilled = c
        .js(
            "return [document.querySelector('#cert-mode-employee').checked, \
                     document.querySelector('#cert-employee-id').value, location.hash]",
        )
        .await;
    assert_eq!(prefilled, json!([true, "E7502", "#/certificates"]));
    c.click("#cert-submit").await;
    c.b.text_containing("#cert-issued", "発行しました（1件）")
        .await;
    // Listed beside the first (both issued at the stack's one fixed time).
    let listed =
        c.b.text_containing("#cert-table tbody", "従業員番号 E7502")
            .await;
    assert!(listed.contains("1件"), "{listed}");
    // The refused try is audited as invalid; the two issued as successes.
    let issued: Vec<Value> = audited(&c.stack, "certificate_issued")
        .into_iter()
        .map(|e| json!([e["outcome"], e["count"], e["employee_id"]]))
        .collect();
    assert_eq!(
        issued,
        [
            json!(["invalid", null, null]),
            json!(["success", 2, null]),
            json!(["success", 1, "E7502"])
        ]
    );

    // On a phone: the page fits the screen, each certificate a card.
    c.b.client.set_window_size(390, 844).await.unwrap();
    let overflow = c
        .js("const p = document.querySelector('#page-certificates'); \
             return [...p.querySelectorAll('*')].filter(e => e.offsetParent !== null \
                && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1) \
                .map(e => e.id || e.className || e.tagName)")
        .await;
    assert_eq!(overflow, json!([]), "wider than the phone");
    c.js("document.querySelector('#cert-table').scrollIntoView()")
        .await;
    c.shot("certificates-phone").await;

    c.stack.assert_no_plaintext(&[N1, N2]).await;
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_names_the_organisation_the_certificates_print() {
    let c = Console::open("certificates-admin").await;
    c.as_principal("admin").await;
    c.page("certificates").await;
    c.b.text_containing("#cert-org-current", "設定されていません")
        .await;
    c.click("#cert-org-save").await;
    let error = c.b.text_of("#err-cert-org-name").await;
    assert!(error.contains("事業者名"), "{error}");
    c.fill("#cert-org-name", "株式会社サンプル").await;
    c.click("#cert-org-save").await;
    c.b.text_containing("#cert-org-saved", "保存しました").await;
    c.b.text_containing("#cert-org-current", "株式会社サンプル")
        .await;
    let r = c
        .stack
        .call(
            req("GET", "/v1/settings/organization")
                .who(&Who::auditor(TENANT))
                .build(),
        )
        .await;
    assert_eq!(r.body["display_name"], "株式会社サンプル", "{}", r.raw);
    c.shot("certificates-admin").await;

    // The auditor reads the name but has no form to change it.
    c.as_principal("auditor").await;
    c.page("certificates").await;
    c.b.text_containing("#cert-org-current", "株式会社サンプル")
        .await;
    assert_eq!(
        c.js("return document.querySelector('#cert-org-form').hidden")
            .await,
        json!(true)
    );
    c.close().await;
}

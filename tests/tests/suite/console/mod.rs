//! The HR console in a real browser (headless Chromium at 1280×800), against the real
//! handlers on moto served on one origin, with the development principal picker as under
//! `make dev`: one journey per role, as HR staff would click through it. Each journey
//! saves a screenshot of every page it visits under the test's temp dir.

use super::*;
use fantoccini::Locator;
use fantoccini::elements::Element;
use mynumber_tests::browser::{Browser, POLL, patience, polls, serve};
use mynumber_tests::oauth::{self, Provider};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod accessibility;
mod certificates;
mod exports;
mod handling;
mod home;
mod imports;
mod keyboard;
mod mail;
mod reveal;
mod review;

const TENANT: &str = "acme";

struct Console {
    stack: Arc<Stack>,
    b: Browser,
    shots: PathBuf,
    /// Where the stack is served: the console's and the form's origin.
    origin: String,
}

impl Console {
    async fn open(journey: &str) -> Console {
        let c = Self::on(Stack::with_dev_headers().await, journey).await;
        c.b.visible("#dev-panel").await;
        c
    }

    async fn on(stack: Stack, journey: &str) -> Console {
        Self::on_in(stack, journey, Browser::start_desktop().await).await
    }

    /// In a phone-sized browser.
    async fn open_phone(journey: &str) -> Console {
        let c = Self::on_in(
            Stack::with_dev_headers().await,
            journey,
            Browser::start().await,
        )
        .await;
        c.b.visible("#dev-panel").await;
        c
    }

    async fn on_in(stack: Stack, journey: &str, b: Browser) -> Console {
        let stack = Arc::new(stack);
        let origin = serve(stack.clone()).await;
        Self::at(stack, origin, journey, b).await
    }

    /// The console served at `origin` (in-process, or the local gateway) over `stack`.
    async fn at(stack: Arc<Stack>, origin: String, journey: &str, b: Browser) -> Console {
        b.client.goto(&format!("{origin}/console")).await.unwrap();
        let shots = std::env::temp_dir().join(format!(
            "mynumber-console-{journey}-{}",
            mynumber_tests::uuid_like()
        ));
        std::fs::create_dir_all(&shots).unwrap();
        Console {
            stack,
            b,
            shots,
            origin,
        }
    }

    /// Picks a preset principal in the development picker, in the test's tenant.
    async fn as_principal(&self, preset: &str) {
        let tenant = self.b.visible("#dev-tenant").await;
        tenant.clear().await.unwrap();
        tenant.send_keys(TENANT).await.unwrap();
        self.click(&format!("button[data-preset=\"{preset}\"]"))
            .await;
    }

    async fn click(&self, css: &str) {
        self.b.visible(css).await.click().await.unwrap();
    }

    async fn fill(&self, css: &str, text: &str) -> Element {
        let e = self.b.visible(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
        e
    }

    async fn choose(&self, css: &str, value: &str) {
        self.b
            .visible(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{css}={value}: {e}"));
    }

    /// Goes to a page through the navigation, as a user would.
    async fn page(&self, name: &str) {
        self.click(&format!("#nav a[data-page=\"{name}\"]")).await;
        self.b.visible(&format!("#page-{name}")).await;
    }

    /// Every visible control of the page has a label a screen reader can read.
    async fn assert_labelled(&self, page: &str) {
        let unlabelled = self
            .js(
                "return [...document.querySelectorAll('input, select, textarea')]\
                 .filter(e => e.offsetParent !== null && e.type !== 'hidden')\
                 .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')\
                              && !e.getAttribute('aria-labelledby'))\
                 .map(e => e.id || e.name || e.className)",
            )
            .await;
        assert_eq!(unlabelled, json!([]), "{page}: controls without a label");
    }

    async fn shot(&self, name: &str) {
        let png = self.b.client.screenshot().await.unwrap();
        let path = self.shots.join(format!("{name}.png"));
        self.assert_labelled(name).await;
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }

    async fn js(&self, script: &str) -> Value {
        self.b.client.execute(script, vec![]).await.unwrap()
    }

    /// The links of the navigation, by page name.
    async fn nav(&self) -> Vec<String> {
        let v = self
            .js("return [...document.querySelectorAll('#nav a[data-page]')]\
                 .filter(a => a.offsetParent !== null).map(a => a.dataset.page)")
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect()
    }

    /// Waits until `css` has vanished or holds no text.
    async fn emptied(&self, css: &str, wait: Duration) {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let text = match self.b.client.find(Locator::Css(css)).await {
                Ok(e) if e.is_displayed().await.unwrap_or(false) => {
                    e.text().await.unwrap_or_default()
                }
                _ => String::new(),
            };
            if text.trim().is_empty() {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css} still shows {}",
                text.len()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn close(self) {
        self.b.close().await;
    }
}

/// Every file under `dir` (the browser's profile: its HTTP cache, site storage and
/// downloads) is read and must not hold any of `numbers`.
fn assert_no_number_under(dir: &Path, numbers: &[&str]) {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files += 1;
                let text = String::from_utf8_lossy(&bytes);
                for n in numbers {
                    assert!(!text.contains(n), "{} holds a number", path.display());
                }
            }
        }
    }
    assert!(files > 0, "the profile under {} is empty", dir.display());
}

/// The first file of `dir` named `*.{ext}` (a finished download: Chromium writes
/// `.crdownload` until it is done, beside an empty placeholder of the final name), waited
/// for.
async fn downloaded(dir: &Path, ext: &str) -> Vec<u8> {
    for _ in polls() {
        let files: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        let writing = files
            .iter()
            .any(|p| p.extension().is_some_and(|x| x == "crdownload"));
        if let Some(file) = files
            .iter()
            .find(|p| p.extension().is_some_and(|x| x == ext))
            && !writing
        {
            let bytes = std::fs::read(file).unwrap();
            if !bytes.is_empty() {
                return bytes;
            }
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("no .{ext} was downloaded to {}", dir.display());
}

/// An export the handler preset asks for (`body`: purpose and selection); its id.
async fn request_export(stack: &Stack, body: Value) -> String {
    let r = stack
        .call(
            req("POST", "/v1/exports")
                .who(&Who::handler(TENANT))
                .json(body)
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["export_id"].as_str().unwrap().to_owned()
}

/// The admin preset approves export `id` (the second pair of eyes).
async fn approve_export(stack: &Stack, id: &str) {
    let r = stack
        .call(
            req("POST", &format!("/v1/exports/{id}/approve"))
                .who(&Who::admin(TENANT))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
}

async fn register(stack: &Stack, employee: &str, number: &str) -> String {
    let r = stack
        .call(
            req("POST", "/v1/records")
                .who(&Who::registrar(TENANT))
                .json(own_number(employee, number))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["record_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_registers_a_number_records_a_departure_and_sends_a_link() {
    let c = Console::open("registrar").await;
    c.as_principal("registrar").await;
    let nav = c.nav().await;
    for page in [
        "employees",
        "register",
        "imports",
        "collections",
        "review",
        "departures",
        "disposals",
    ] {
        assert!(nav.contains(&page.to_owned()), "{nav:?}");
    }
    assert!(!nav.contains(&"reveal".to_owned()), "{nav:?}");

    // Register the employee's own number, typed full-width with spaces as it is pasted.
    c.page("register").await;
    c.fill("#reg-employee-id", "E7001").await;
    let number = c.fill("#reg-my-number", "１２３４ ５６７８ ９０１０").await;
    let hint = c.b.text_of("#reg-number-hint").await;
    assert!(hint.contains("チェックデジット"), "{hint}");
    number.clear().await.unwrap();
    number
        .send_keys("１２３４ ５６７８ ９０１８")
        .await
        .unwrap();
    // The staff may not tick "verified by the employee" for the employee's own number:
    // the API says why, beside the field, and nothing is written.
    c.choose("#reg-number-check", "notification_card").await;
    c.choose("#reg-identity-check", "by_employee").await;
    c.click("#reg-submit").await;
    let error =
        c.b.text_of(".field-error[data-for=\"verification.identity_check\"]")
            .await;
    assert!(!error.contains(N1), "{error}");
    c.shot("register-field-error").await;
    assert!(c.stack.items_of_kind("record").await.is_empty());
    c.choose("#reg-identity-check", "photo_id").await;
    c.click("#reg-submit").await;
    let record_id = c.b.text_of("#reg-result [data-record-id]").await;
    let stored = c.stack.items_of_kind("record").await;
    assert_eq!(stored.len(), 1, "one record");
    assert!(
        record_id.contains(stored[0]["record_id"].as_s().unwrap()),
        "{record_id}"
    );
    // The number left the form once it was registered.
    let left = c
        .js("return document.querySelector('#reg-my-number').value")
        .await;
    assert_eq!(left, json!(""));
    c.shot("register").await;

    // The employee's records: one active, verified, never a number.
    c.page("employees").await;
    c.fill("#employee-id", "E7001\n").await;
    let row = c.b.text_of("#records tr[data-record-id]").await;
    assert!(row.contains("本人") && row.contains("有効"), "{row}");
    assert!(!row.contains(N1), "{row}");
    c.shot("employees").await;

    // The departure: each record's due date is shown.
    c.page("departures").await;
    c.fill("#dep-employee-id", "E7001").await;
    c.fill("#dep-left-on", "2026-03-31").await;
    c.click("#dep-submit").await;
    let due = c.b.text_of("#dep-result [data-record-id]").await;
    assert!(due.contains("2033-03-31"), "{due}");
    c.shot("departures").await;
    // Re-hired within retention: the departure is cancelled.
    c.click("#dep-cancel").await;
    c.b.text_containing("#dep-result", "削除予定なし").await;
    assert!(
        !c.stack.items_of_kind("record").await[0].contains_key("left_on"),
        "the record is no longer due"
    );

    // A collection link for two employees at once, each shown as text and as a QR code;
    // the second also emailed (an address after the id).
    c.page("collections").await;
    let to = format!("hanako.{}@example.co.jp", c.stack.tag);
    c.fill("#col-employee-ids", &format!("E7002\nE7003 {to}"))
        .await;
    c.click("#col-submit").await;
    c.b.visible("#col-created .created-link:nth-of-type(2)")
        .await;
    let links = c
        .js(
            "return [...document.querySelectorAll('#col-created .created-link')].map(l => ({\
               url: l.querySelector('input.link-url').value,\
               qr: l.querySelector('.link-qr img')?.naturalWidth ?? 0}))",
        )
        .await;
    let links = links.as_array().unwrap();
    assert_eq!(links.len(), 2, "{links:?}");
    for l in links {
        assert!(l["url"].as_str().unwrap().contains("/collect#"), "{l}");
    }
    // The QR images are drawn from our own server's SVG.
    for _ in polls() {
        let drawn = c
            .js(
                "return [...document.querySelectorAll('#col-created .link-qr img')]\
                 .every(i => i.complete && i.naturalWidth > 0)",
            )
            .await;
        if drawn == json!(true) {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(
        c.js(
            "return [...document.querySelectorAll('#col-created .link-qr img')]\
              .filter(i => i.naturalWidth > 0).length"
        )
        .await,
        json!(2)
    );
    c.shot("collections").await;
    let delivery = c
        .js(
            "return [...document.querySelectorAll('#col-created .created-link')]\
             .map(l => l.querySelector('.delivery')?.dataset.status ?? null)",
        )
        .await;
    assert_eq!(delivery, json!([null, "sent"]));
    let mail = c.stack.sent_mail(&to).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let emailed = links[1]["url"].as_str().unwrap();
    assert!(
        mail[0]["body"].as_str().unwrap().contains(emailed),
        "the mail holds the link the card shows"
    );
    let status =
        c.b.text_of("#col-list tr[data-collection-id] .status")
            .await;
    assert!(
        status.contains("受付中") || status.contains("未提出") || status.contains("open"),
        "{status}"
    );
    assert_eq!(c.stack.items_of_kind("collection").await.len(), 2);

    // A record no longer needed is disposed of early, after a confirmation step.
    c.page("employees").await;
    c.fill("#employee-id", "E7001\n").await;
    c.click("#records button.dispose").await;
    c.choose(".dispose-reason", "no_longer_needed").await;
    c.shot("employees-dispose").await;
    c.click("button.dispose-confirm").await;
    for _ in polls() {
        if c.stack.items_of_kind("record").await.is_empty() {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert!(c.stack.items_of_kind("record").await.is_empty());
    assert_eq!(c.stack.items_of_kind("disposal").await.len(), 1);

    c.stack.assert_no_plaintext(ALL_NUMBERS).await;
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_the_disposal_log_and_downloads_it_as_csv() {
    let c = Console::open("auditor").await;
    let r = c
        .stack
        .call(
            req("POST", "/v1/records")
                .who(&Who::registrar(TENANT))
                .json(dependent("E7201", "長男", N3))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let record_id = r.body["record_id"].as_str().unwrap().to_owned();
    let r = c
        .stack
        .call(
            req("DELETE", &format!("/v1/records/{record_id}"))
                .who(&Who::registrar(TENANT))
                .json(json!({"reason": "no_longer_needed"}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    // A label kept from before labels were checked, that a spreadsheet would run.
    let formula = r#"=HYPERLINK("http://x.jp/","x")"#;
    let disposal = c.stack.items_of_kind("disposal").await.remove(0);
    c.stack
        .overwrite(&disposal, "dependent_label", formula)
        .await;
    c.as_principal("auditor").await;
    let nav = c.nav().await;
    assert!(nav.contains(&"disposals".to_owned()), "{nav:?}");
    for hidden in ["register", "imports", "review", "departures", "reveal"] {
        assert!(!nav.contains(&hidden.to_owned()), "{nav:?}");
    }

    c.page("disposals").await;
    c.click("#disp-load").await;
    let row =
        c.b.text_of(&format!("#disp-table tr[data-record-id=\"{record_id}\"]"))
            .await;
    assert!(row.contains("E7201") && row.contains("不要"), "{row}");
    c.shot("disposals").await;

    c.click("#disp-csv").await;
    let csv = downloaded(&c.b.downloads_dir(), "csv").await;
    // Excel opens UTF-8 only with its BOM.
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("record_id"), "{}", lines[0]);
    assert!(
        lines[1].contains(&record_id) && lines[1].contains("no_longer_needed"),
        "{}",
        lines[1]
    );
    // The formula arrives as text: a leading apostrophe, quoted as RFC 4180 says.
    assert!(
        lines[1].contains(r#","'=HYPERLINK(""http://x.jp/"",""x"")","#),
        "{}",
        lines[1]
    );
    assert!(!text.contains(N3));
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_principal_without_a_role_sees_only_a_clear_message() {
    let c = Console::open("no-role").await;
    c.as_principal("none").await;
    let message = c.b.text_of("#no-role").await;
    assert!(message.contains("役割"), "{message}");
    assert!(c.nav().await.is_empty());
    for page in ["employees", "register", "reveal", "disposals"] {
        let shown = c
            .js(&format!(
                "const p = document.querySelector('#page-{page}'); \
                 return !!p && p.offsetParent !== null"
            ))
            .await;
        assert_eq!(shown, json!(false), "{page}");
    }
    c.shot("no-role").await;
    c.close().await;
}

/// In AWS: the hosted UI's authorization code flow with PKCE in a popup, the ID token in
/// the page's memory only; a session that expired while the registrar was typing asks
/// to sign in again and then sends what was typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_signs_in_with_pkce_and_an_expired_session_keeps_what_was_typed() {
    let idp = Provider::start(Who::registrar(TENANT)).await;
    let mut stack = Stack::new().await;
    stack.console = ::console::Console::new(::console::Settings {
        mode: ::console::Mode::SignIn(::console::SignIn {
            authorize_url: idp.authorize_url(),
            token_url: idp.token_url(),
            logout_url: None,
            client_id: oauth::CLIENT_ID.into(),
            tenant_claim: "custom:tenant_id".into(),
            role_claim: "cognito:groups".into(),
            role_prefix: String::new(),
        }),
        storage_origin: None,
    });
    let c = Console::on(stack, "sign-in").await;
    // Signed out, there is nothing to use but the sign-in button.
    assert!(c.nav().await.is_empty());
    assert!(
        c.b.client
            .find(Locator::Css("#dev-panel button"))
            .await
            .is_err()
    );
    // The first token the provider hands out is already past its expiry.
    idp.expire_next_token();
    c.click("#sign-in").await;
    // Signing in is a redirect and a token exchange; the name appears once both are done.
    c.b.text_containing("#principal", "hr-sato").await;
    c.page("register").await;
    c.fill("#reg-employee-id", "E7301").await;
    c.fill("#reg-my-number", N4).await;
    c.choose("#reg-number-check", "my_number_card").await;
    c.choose("#reg-identity-check", "my_number_card").await;
    c.click("#reg-submit").await;
    c.b.visible("#session-expired").await;
    c.shot("session-expired").await;
    assert!(c.stack.items_of_kind("record").await.is_empty());
    let typed = c
        .js("return document.querySelector('#reg-employee-id').value")
        .await;
    assert_eq!(typed, json!("E7301"));
    // Signing in again sends the registration that was waiting.
    c.click("#session-expired button").await;
    let done = c.b.text_of("#reg-result [data-record-id]").await;
    assert!(!done.is_empty());
    assert_eq!(c.stack.items_of_kind("record").await.len(), 1);
    assert_eq!(
        idp.exchanges(),
        vec![true, true],
        "two codes, each exchanged once"
    );
    // The token lived in the page's memory only.
    let storage = c
        .js("return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
        .await;
    assert!(!storage.as_str().unwrap().contains("eyJ"), "{storage}");
    c.click("#sign-out").await;
    c.b.visible("#sign-in").await;
    assert!(c.nav().await.is_empty());
    c.b.close_then(|profile| assert_no_number_under(profile, &[N4]))
        .await;
}

//! A real browser against the real handlers: the stack served over HTTP on one loopback
//! origin (as API Gateway serves the functions in AWS), and Debian's headless Chromium
//! driven over WebDriver by `chromedriver`. `scripts/browser-deps.sh` (run by `make test`)
//! installs both with apt-get.

use crate::{Stack, req};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// How often a browser wait looks again.
pub const POLL: Duration = Duration::from_millis(100);

/// How long any browser wait lasts before it fails: one figure for every wait of the
/// suite, 10 s, times `BROWSER_WAIT_SCALE` when set (say 3 on a loaded machine).
pub fn patience() -> Duration {
    let scale = std::env::var("BROWSER_WAIT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    Duration::from_secs(10).mul_f64(scale)
}

/// The looks a wait takes, [`POLL`] apart, within [`patience`].
pub fn polls() -> std::ops::Range<u32> {
    0..(patience().as_millis() / POLL.as_millis()) as u32
}

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// axe-core's script, as scripts/browser-deps.sh unpacks it (`.local/axe-core-{version}/`:
/// the version is that script's alone).
fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let local = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local");
        let dir = std::fs::read_dir(&local)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("axe-core-"))
            })
            .expect("axe-core in .local/: run scripts/browser-deps.sh (make test does)");
        std::fs::read_to_string(dir.join("axe.min.js")).expect("axe.min.js")
    })
}
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Serves `stack` on a free loopback port as API Gateway would: every request becomes an
/// API Gateway v2 event without an authorizer context (the pages and the employee's routes
/// have none) and goes through `Stack::call`. Returns the origin, `http://127.0.0.1:PORT`.
pub async fn serve(stack: Arc<Stack>) -> String {
    serve_unless(stack, Arc::new(|_: &hyper::http::request::Parts| false)).await
}

/// Decides, before the stack sees a request, that the service is down for it.
pub type Outage = Arc<dyn Fn(&hyper::http::request::Parts) -> bool + Send + Sync>;

/// As `serve`, but a request `down` picks is answered 503 as API Gateway answers when its
/// function fails, and never reaches the stack: a client's view of an outage.
///
/// The server holds the stack weakly: the test's own handle is the last, so the stack's
/// log check runs when the test drops it and a failure there fails that test (a panic in a
/// spawned task's drop at runtime shutdown would be lost).
pub async fn serve_unless(stack: Arc<Stack>, down: Outage) -> String {
    // The pages take today from the device's clock (a date typed or defaulted, a link's
    // expiry shown): a stack served to a real browser or client runs on the real clock.
    stack.set_now(chrono::Utc::now());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let stack = Arc::downgrade(&stack);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let stack = stack.clone();
            let down = down.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |r| {
                    let stack = stack.clone();
                    let down = down.clone();
                    async move {
                        let Some(stack) = stack.upgrade() else {
                            return Ok(gone());
                        };
                        Ok::<_, std::io::Error>(answer(&stack, &down, r).await)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    origin
}

/// The answer once the test has ended and dropped its stack.
fn gone() -> Response<Full<Bytes>> {
    Response::builder()
        .status(503)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

async fn answer(stack: &Stack, down: &Outage, r: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = r.into_parts();
    if down(&parts) {
        return Response::builder()
            .status(503)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(
                b"{\"message\":\"Service Unavailable\"}",
            )))
            .unwrap();
    }
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut event = req(parts.method.as_str(), parts.uri.path())
        .no_token()
        .no_authorizer();
    if let Some(q) = parts.uri.query() {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            event = event.query(k, v);
        }
    }
    for (name, value) in &parts.headers {
        if let Ok(v) = value.to_str() {
            event = event.header(name.as_str(), v);
        }
    }
    if !body.is_empty() {
        event = event.raw_body(&String::from_utf8_lossy(&body));
    }
    let reply = stack.call(event.build()).await;
    let mut resp = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        resp = resp.header(name, value);
    }
    resp.body(Full::new(Bytes::from(reply.bytes))).unwrap()
}

/// A chromedriver process and one headless Chromium session, phone-sized.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    profile: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// Phone-sized, as an employee opens a collection link.
    pub async fn start() -> Browser {
        Self::start_sized(390, 844, "ja").await
    }

    /// Laptop-sized, with the browser's language set to `lang`.
    pub async fn start_desktop_in(lang: &str) -> Browser {
        Self::start_sized(1280, 800, lang).await
    }

    /// Phone-sized, with the browser's language set to `lang` (e.g. "en-US").
    pub async fn start_in(lang: &str) -> Browser {
        Self::start_sized(390, 844, lang).await
    }

    /// Laptop-sized (1280×800), as HR staff use the console.
    pub async fn start_desktop() -> Browser {
        Self::start_sized(1280, 800, "ja").await
    }

    /// Where downloads land (no prompt).
    pub fn downloads_dir(&self) -> std::path::PathBuf {
        self.profile.0.join("downloads")
    }

    /// A window of `width`×`height` CSS px (a 1280 px window at 200% zoom lays out as a
    /// 640 px one), with the browser's language set to `lang`.
    pub async fn start_sized(width: u32, height: u32, lang: &str) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} and {CHROMEDRIVER} are needed: run scripts/browser-deps.sh (make test does)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile =
            std::env::temp_dir().join(format!("mynumber-chromium-{}", crate::uuid_like()));
        std::fs::create_dir_all(&profile).unwrap();
        // The machine's network is closed: no background fetches, no first-run pages.
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", format!("--lang={lang}"),
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {
                    "download.default_directory": profile.join("downloads"),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": lang,
                }
            }
        });
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!("an object literal"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in polls() {
            let mut builder = fantoccini::ClientBuilder::new(
                hyper_util::client::legacy::connect::HttpConnector::new(),
            );
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        profile: TempDir(profile),
                    };
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    /// Waits until `css` is displayed, or fails after [`patience`].
    pub async fn visible(&self, css: &str) -> fantoccini::elements::Element {
        for _ in polls() {
            if let Ok(e) = self.client.find(fantoccini::Locator::Css(css)).await
                && e.is_displayed().await.unwrap_or(false)
            {
                return e;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("{css} never became visible");
    }

    /// The text of `css` once it holds something.
    pub async fn text_of(&self, css: &str) -> String {
        for _ in polls() {
            if let Ok(e) = self.client.find(fantoccini::Locator::Css(css)).await
                && let Ok(t) = e.text().await
                && !t.trim().is_empty()
            {
                return t;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("{css} never held any text");
    }

    /// The text of `css` once it contains `needle`: pages change text after a round trip.
    pub async fn text_containing(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        for _ in polls() {
            if let Ok(e) = self.client.find(fantoccini::Locator::Css(css)).await
                && let Ok(t) = e.text().await
            {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("{css} never contained {needle:?}; it held {last:?}");
    }

    /// Closes the browser, then hands `inspect` its profile folder (with what Chromium
    /// wrote to disk on the way out: cache, site storage, downloads) before removing it.
    pub async fn close_then(mut self, inspect: impl FnOnce(&std::path::Path)) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        inspect(&self.profile.0);
    }

    /// axe-core's WCAG 2.1 A and AA rules over the page as it is now: each violation as
    /// `rule: elements`, and how many rules ran. axe-core is what scripts/browser-deps.sh
    /// put in `.local/` (the pages never load it; WebDriver's scripts are not bound by the
    /// page's CSP).
    pub async fn axe(&self) -> (Vec<String>, u64) {
        self.client
            .execute(&format!("{}\nreturn true;", axe_source()), vec![])
            .await
            .expect("axe-core loads into the page");
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                     .then((r) => done({
                       violations: r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
                       rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
                     }), (e) => done({ violations: ['axe failed: ' + e], rules: 0 }));"#,
                vec![],
            )
            .await
            .expect("axe-core runs");
        let violations = found["violations"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (violations, found["rules"].as_u64().unwrap_or(0))
    }

    /// Presses `keys` (WebDriver key codes: Tab `\u{E004}`, Enter `\u{E007}`, ArrowDown
    /// `\u{E015}`, Space ` `) on whatever has the focus, as a keyboard does.
    pub async fn press(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        // Key actions, not an element's "send keys", which a file input would read as a
        // file's name.
        let mut actions = KeyActions::new("keyboard".into());
        for value in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("keys reach the page");
    }

    /// Tabs forward until `css` has the focus (at most 80 presses), then checks that the
    /// focus is visible on it (an outline or a shadow): what a keyboard user does to get
    /// there, and sees.
    pub async fn tab_to(&self, css: &str) {
        let has_focus = format!(
            "return document.activeElement && document.activeElement.matches({})",
            serde_json::to_string(css).unwrap()
        );
        for _ in 0..80 {
            if self.client.execute(&has_focus, vec![]).await.unwrap() == true {
                let shown = self
                    .client
                    .execute(
                        "const s = getComputedStyle(document.activeElement);\
                         return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)\
                                || s.boxShadow !== 'none';",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert_eq!(
                    shown, true,
                    "{css} has the focus but shows no focus indicator"
                );
                return;
            }
            self.press("\u{E004}").await;
        }
        panic!("{css} is not reachable with the Tab key");
    }

    /// With a `<select>` focused, presses the down arrow until its value is `value`.
    pub async fn arrow_to(&self, value: &str) {
        for _ in 0..30 {
            let now = self
                .client
                .execute("return document.activeElement.value", vec![])
                .await
                .unwrap();
            if now == value {
                return;
            }
            self.press("\u{E015}").await;
        }
        panic!("the focused control never took the value {value:?}");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

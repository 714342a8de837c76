use super::*;
use lambda_http::http;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

const COGNITO: &[(&str, &str)] = &[
    (
        "OAUTH_AUTHORIZE_URL",
        "https://acme-vault.auth.ap-northeast-1.amazoncognito.com/oauth2/authorize",
    ),
    (
        "OAUTH_TOKEN_URL",
        "https://acme-vault.auth.ap-northeast-1.amazoncognito.com/oauth2/token",
    ),
    (
        "OAUTH_LOGOUT_URL",
        "https://acme-vault.auth.ap-northeast-1.amazoncognito.com/logout",
    ),
    ("OAUTH_CLIENT_ID", "client123"),
    (
        "STORAGE_ORIGIN",
        "https://vault-documents.s3.ap-northeast-1.amazonaws.com",
    ),
];

fn get(console: &Console, path: &str) -> Response<Body> {
    call(console, "GET", path, "")
}

fn call(console: &Console, method: &str, path: &str, body: &str) -> Response<Body> {
    let req = http::Request::builder()
        .method(method)
        .uri(format!("https://api.example{path}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    console.handle(Request::from(req))
}

fn text(resp: &Response<Body>) -> String {
    match resp.body() {
        Body::Text(s) => s.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

fn json_of(resp: &Response<Body>) -> serde_json::Value {
    serde_json::from_str(&text(resp)).unwrap()
}

#[test]
fn the_sign_in_settings_come_from_the_template_variables() {
    let s = Settings::from_vars(vars(COGNITO)).unwrap();
    let Mode::SignIn(sign_in) = &s.mode else {
        panic!("sign-in configured: {s:?}")
    };
    assert_eq!(sign_in.client_id, "client123");
    assert_eq!(sign_in.role_claim, "cognito:groups");
    assert_eq!(
        s.storage_origin.as_deref(),
        Some("https://vault-documents.s3.ap-northeast-1.amazonaws.com")
    );
    let console = Console::new(s);
    let config = json_of(&get(&console, "/console/config.json"));
    assert_eq!(config["mode"], "oidc");
    assert_eq!(config["client_id"], "client123");
    assert_eq!(
        config["logout_url"],
        "https://acme-vault.auth.ap-northeast-1.amazoncognito.com/logout"
    );
    // The page reaches the token endpoint and shows photos from the bucket, nothing else.
    let page = get(&console, "/console");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(
        csp.contains(
            "connect-src 'self' https://acme-vault.auth.ap-northeast-1.amazoncognito.com;"
        ),
        "{csp}"
    );
    assert!(
        csp.contains(
            "img-src 'self' blob: data: https://vault-documents.s3.ap-northeast-1.amazonaws.com;"
        ),
        "{csp}"
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["cache-control"], "no-store");
}

#[test]
fn nothing_configured_is_said_and_half_a_configuration_is_refused() {
    let s = Settings::from_vars(vars(&[("OAUTH_AUTHORIZE_URL", "")])).unwrap();
    assert_eq!(s.mode, Mode::Unconfigured);
    let config = json_of(&get(&Console::new(s), "/console/config.json"));
    assert_eq!(config, json!({"mode": "none"}));

    let half = vars(&[("OAUTH_AUTHORIZE_URL", "https://idp.example/authorize")]);
    assert_eq!(
        Settings::from_vars(half),
        Err(SettingsError::Incomplete("OAUTH_TOKEN_URL"))
    );
}

#[test]
fn urls_that_could_widen_the_content_security_policy_are_refused() {
    for bad in [
        "http://idp.example/token",
        "https://idp.example/token; script-src *",
        "https://idp.example 'unsafe-inline'",
        "javascript:alert(1)",
        "https://user@idp.example/token",
        "https://",
    ] {
        let mut v: Vec<(&str, &str)> = COGNITO.to_vec();
        v.retain(|(k, _)| *k != "OAUTH_TOKEN_URL");
        v.push(("OAUTH_TOKEN_URL", bad));
        assert_eq!(
            Settings::from_vars(vars(&v)),
            Err(SettingsError::BadUrl("OAUTH_TOKEN_URL")),
            "{bad}"
        );
    }
    assert_eq!(
        origin_of("http://127.0.0.1:4567/oauth2/token").as_deref(),
        Some("http://127.0.0.1:4567")
    );
}

#[test]
fn every_page_is_served_with_its_type_and_nothing_else_is() {
    let console = Console::new(Settings::from_vars(vars(COGNITO)).unwrap());
    for asset in PAGES {
        let path = match asset.name {
            "index.html" => "/console".to_owned(),
            name => format!("/console/{name}"),
        };
        let resp = get(&console, &path);
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], asset.content_type, "{path}");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }
    assert_eq!(get(&console, "/console/index.html").status(), 404);
    assert_eq!(get(&console, "/console/nope.js").status(), 404);
    assert_eq!(get(&console, "/console/dev.js").status(), 404);
    assert_eq!(call(&console, "DELETE", "/console", "").status(), 405);
    // A link's QR code comes with the link: nothing here draws one.
    assert_eq!(call(&console, "POST", "/console/qr", "{}").status(), 405);
    assert_eq!(call(&console, "POST", "/console/app.js", "").status(), 405);
}

#[test]
fn the_pages_hold_the_shared_files_and_never_the_picker() {
    // web/embed.rs lists web/console/ and web/shared/, and leaves dev.js to DEV_PICKER.
    for name in [
        "labels.js",
        "dom.js",
        "mynumber.js",
        "base.css",
        "callback",
        "ui.js",
    ] {
        assert!(PAGES.iter().any(|a| a.name == name), "{name} is not served");
    }
    assert!(PAGES.iter().all(|a| a.name != "dev.js"));
}

#[test]
fn no_page_but_the_picker_names_a_development_header() {
    for asset in PAGES {
        for header in ["x-dev-sub", "x-dev-tenant", "x-dev-roles"] {
            assert!(
                !asset.text.contains(header),
                "{} names {header}",
                asset.name
            );
        }
    }
}

#[cfg(feature = "dev-auth")]
#[test]
fn the_picker_is_served_only_in_development_mode() {
    let dev = Console::new(Settings::from_vars(vars(&[("MYNUMBER_DEV_AUTH", "1")])).unwrap());
    assert_eq!(json_of(&get(&dev, "/console/config.json"))["mode"], "dev");
    assert_eq!(get(&dev, "/console/dev.js").status(), 200);
    let deployed = Console::new(Settings::from_vars(vars(COGNITO)).unwrap());
    assert_eq!(get(&deployed, "/console/dev.js").status(), 404);
}

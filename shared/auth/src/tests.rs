use super::*;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

const KEY: &str = include_str!("../../../tests/fixtures/jwt-test-key.pem");
const FORGER: &str = include_str!("../../../tests/fixtures/jwt-forger-key.pem");
const JWKS: &str = include_str!("../../../tests/fixtures/jwks.json");
const ISS: &str = "https://cognito-idp.ap-northeast-1.amazonaws.com/test";

struct Fixed(AtomicUsize);

#[async_trait::async_trait]
impl JwksSource for Fixed {
    async fn fetch(&self) -> Result<Vec<u8>, String> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(JWKS.as_bytes().to_vec())
    }
}

fn config() -> JwtConfig {
    JwtConfig::from_lookup(|k| {
        match k {
            "JWT_ISSUER" => Some(ISS),
            "JWT_AUDIENCE" => Some("client-1"),
            "JWT_TOKEN_USE" => Some("id"),
            _ => None,
        }
        .map(str::to_owned)
    })
    .unwrap()
    .unwrap()
}

fn verifier(config: JwtConfig) -> (JwtVerifier, Arc<Fixed>) {
    let source = Arc::new(Fixed(AtomicUsize::new(0)));
    (JwtVerifier::new(config, source.clone()), source)
}

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

fn claims() -> Value {
    json!({
        "sub": "payroll-suzuki",
        "iss": ISS,
        "aud": "client-1",
        "token_use": "id",
        "exp": now() + 600,
        "iat": now(),
        "custom:tenant_id": "acme",
        "cognito:groups": ["handler", "former handler"],
    })
}

fn sign_with(pem: &str, kid: &str, claims: &Value) -> String {
    // Ring checks the signatures, as in a function, whichever test runs first.
    ring_jwt::install();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(KEY, "test-key-1", claims)
}

#[tokio::test]
async fn a_valid_token_gives_its_principal_and_the_jwks_is_fetched_once() {
    let (v, source) = verifier(config());
    for _ in 0..3 {
        let p = v.verify(&sign(&claims())).await.unwrap().principal;
        assert_eq!(p.sub.as_str(), "payroll-suzuki");
        assert_eq!(p.tenant.as_str(), "acme");
        assert_eq!(p.roles, BTreeSet::from([Role::Handler]));
    }
    assert_eq!(source.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn each_bad_token_is_refused_for_its_reason() {
    let (v, _) = verifier(config());
    let with = |k: &str, val: Value| {
        let mut c = claims();
        c[k] = val;
        c
    };
    let cases = [
        (sign(&with("exp", json!(now() - 3600))), AuthError::Expired),
        (
            sign(&with("iss", json!("https://evil.example"))),
            AuthError::Issuer,
        ),
        (
            sign(&with("aud", json!("other-client"))),
            AuthError::Audience,
        ),
        (
            sign(&with("token_use", json!("access"))),
            AuthError::TokenUse,
        ),
        (
            sign_with(FORGER, "test-key-1", &claims()),
            AuthError::Signature,
        ),
        (
            sign(&with("custom:tenant_id", json!("bad tenant"))),
            AuthError::Claims,
        ),
        ("not.a.jwt".to_owned(), AuthError::Malformed),
    ];
    for (token, want) in cases {
        assert_eq!(v.verify(&token).await.unwrap_err(), want);
    }
    let mut c = claims();
    c.as_object_mut().unwrap().remove("aud");
    assert_eq!(v.verify(&sign(&c)).await.unwrap_err(), AuthError::Audience);
}

#[tokio::test]
async fn an_hmac_token_made_with_the_public_key_is_refused() {
    let (v, _) = verifier(config());
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-key-1".into());
    let token = encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(JWKS.as_bytes()),
    )
    .unwrap();
    assert_eq!(v.verify(&token).await.unwrap_err(), AuthError::Algorithm);
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_a_minute() {
    let (v, source) = verifier(config());
    v.verify(&sign(&claims())).await.unwrap();
    for _ in 0..5 {
        let token = sign_with(KEY, "rotated-key", &claims());
        assert_eq!(v.verify(&token).await.unwrap_err(), AuthError::UnknownKey);
    }
    assert_eq!(source.0.load(Ordering::SeqCst), 1);
}

#[test]
fn roles_are_whole_values_with_the_configured_prefix() {
    let groups = json!(["former handler", "handlers", "registrar", "admin "]);
    assert_eq!(
        roles_from(Some(&groups), ""),
        BTreeSet::from([Role::Registrar])
    );
    let groups = json!(["mynumber:handler", "handler", "mynumber:auditor"]);
    assert_eq!(
        roles_from(Some(&groups), "mynumber:"),
        BTreeSet::from([Role::Handler, Role::Auditor])
    );
    // A plain string is one group, never split into words.
    assert!(roles_from(Some(&json!("former handler")), "").is_empty());
    assert_eq!(
        roles_from(Some(&json!("handler")), ""),
        BTreeSet::from([Role::Handler])
    );
}

#[tokio::test]
async fn authorizer_claims_must_agree_with_the_token() {
    let (v, _) = verifier(config());
    let verified = v.verify(&sign(&claims())).await.unwrap();
    let passed = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let honest = passed(&[
        ("sub", "payroll-suzuki"),
        ("iss", ISS),
        ("custom:tenant_id", "acme"),
        ("cognito:groups", "[handler former handler]"),
    ]);
    assert!(v.agrees(&verified, &honest));
    for (k, forged) in [
        ("sub", "someone-else"),
        ("custom:tenant_id", "other-co"),
        ("cognito:groups", "[handler registrar]"),
        ("iss", "https://evil.example"),
    ] {
        let mut c = honest.clone();
        c.insert(k.into(), forged.into());
        assert!(!v.agrees(&verified, &c), "{k} forged");
    }
}

#[test]
fn config_defaults_and_refusals() {
    let c = config();
    assert_eq!(c.jwks_url, format!("{ISS}/.well-known/jwks.json"));
    assert_eq!(c.tenant_claim, "custom:tenant_id");
    assert_eq!(c.role_claim, "cognito:groups");
    assert_eq!(c.role_prefix, "");
    assert_eq!(JwtConfig::from_lookup(|_| None), Ok(None));
    let plain_http = JwtConfig::from_lookup(|k| match k {
        "JWT_ISSUER" => Some("http://idp.example".into()),
        "JWT_AUDIENCE" => Some("a".into()),
        _ => None,
    });
    assert_eq!(plain_http, Err(ConfigError::NotHttps("JWKS_URL")));
    let no_audience = JwtConfig::from_lookup(|k| (k == "JWT_ISSUER").then(|| ISS.to_owned()));
    assert_eq!(no_audience, Err(ConfigError::Missing("JWT_AUDIENCE")));
}

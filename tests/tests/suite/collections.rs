//! Self-service collection (SPEC §4a) against moto: HR opens a link, the employee submits
//! from the form's API, HR confirms or rejects, and the purge disposes of what nobody
//! reviewed in time.

use super::*;
use chrono::Duration;

const PURPOSES: [&str; 2] = ["withholding_tax", "social_insurance"];

pub(crate) async fn open_link(stack: &Stack, employee: &str, family: bool) -> (String, String) {
    let r = stack
        .call(
            req("POST", "/v1/collections")
                .who(&Who::registrar("acme"))
                .json(json!({
                    "employee_id": employee,
                    "purposes": PURPOSES,
                    "include_family": family,
                    "expires_in_days": 14
                }))
                .build(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let url = r.body["url"].as_str().unwrap();
    let (base, token) = url.split_once('#').unwrap();
    assert_eq!(base, format!("{}/collect", mynumber_tests::PUBLIC_BASE_URL));
    assert_eq!(token.len(), 64, "a 256-bit hex token");
    // The link comes drawn as a QR code too: drawn, not written.
    let svg = r.body["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg:.80}");
    assert!(!svg.contains(token) && !svg.contains("collect#"));
    (
        r.body["collection_id"].as_str().unwrap().to_owned(),
        token.to_owned(),
    )
}

pub(crate) fn with_token(
    method: &str,
    path: &str,
    token: &str,
) -> mynumber_tests::events::ReqBuilder {
    req(method, path)
        .no_token()
        .no_authorizer()
        .header("authorization", &format!("Collection {token}"))
}

async fn form(stack: &Stack, token: &str) -> Reply {
    stack
        .call(with_token("GET", "/v1/collect", token).build())
        .await
}

pub(crate) async fn submit(stack: &Stack, token: &str, body: Value) -> Reply {
    stack
        .call(with_token("POST", "/v1/collect", token).json(body).build())
        .await
}

pub(crate) fn own(number: &str) -> Value {
    json!({"my_number": number, "number_document": "notification_card", "identity_document": "photo_id"})
}

pub(crate) async fn records_of(stack: &Stack, employee: &str) -> Vec<Value> {
    let r = list(stack, &Who::auditor("acme"), employee).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["items"].as_array().unwrap().clone()
}

pub(crate) async fn confirm(stack: &Stack, record: &str, identity_check: &str) -> Reply {
    stack
        .call(
            req("POST", &format!("/v1/records/{record}/confirm"))
                .who(&Who::registrar("acme"))
                .json(json!({"verification": {
                    "number_check": "notification_card",
                    "identity_check": identity_check,
                    "verified_on": "2026-04-01"
                }}))
                .build(),
        )
        .await
}

pub(crate) fn id_of<'a>(records: &'a [Value], relation: &str) -> &'a str {
    records
        .iter()
        .find(|r| r["relation"] == relation)
        .and_then(|r| r["record_id"].as_str())
        .unwrap_or_else(|| panic!("no {relation} record in {records:?}"))
}

#[tokio::test]
async fn an_employee_gives_the_family_s_numbers_and_hr_confirms_or_rejects() {
    let stack = Stack::new().await;
    let (collection, token) = open_link(&stack, "E100", true).await;

    // The form learns whose link it is; the link's token is in no listing.
    let f = form(&stack, &token).await;
    assert_eq!(f.status, 200, "{}", f.raw);
    assert_eq!(f.body["employee_id"], "E100");
    assert_eq!(f.body["include_family"], true);
    let listed = stack
        .call(
            req("GET", "/v1/collections")
                .who(&Who::auditor("acme"))
                .query("employee_id", "E100")
                .build(),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(
        listed.body["items"][0]["collection_id"],
        collection.as_str()
    );
    assert_eq!(listed.body["items"][0]["status"], "open");
    assert!(!listed.raw.contains(&token) && listed.body["items"][0].get("url").is_none());

    // Self, a spouse under 国民年金第3号 and two children, in one submission; the
    // full-width, hyphenated way a phone keyboard types a number is accepted.
    let wide: String = N3
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect();
    let r = submit(
        &stack,
        &token,
        json!({
            "self": own(N1),
            "spouse": {"my_number": N2, "national_pension_dependent_spouse": true},
            "dependents": [
                {"label": "長男", "my_number": format!("{}-{}-{}", &wide[..12], &wide[12..24], &wide[24..])},
                {"label": "長女", "my_number": N4}
            ]
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let submitted = r.body["records"].as_array().unwrap();
    assert_eq!(submitted.len(), 4);
    assert!(submitted.iter().all(|s| s["status"] == "pending_review"));

    // The link is spent.
    assert_eq!(form(&stack, &token).await.code(), "collection_not_found");
    assert_eq!(
        submit(&stack, &token, json!({"self": own(N1)}))
            .await
            .status,
        404
    );

    // HR sees the submissions, what the employee said they hold, and no number.
    let records = records_of(&stack, "E100").await;
    assert_eq!(records.len(), 4);
    for rec in &records {
        assert_eq!(rec["status"], "pending_review", "{rec}");
        assert_eq!(rec["source"], "self_service");
        assert_eq!(rec["submitted"]["collection_id"], collection.as_str());
        assert!(rec["review_due_at"].is_string());
    }
    let self_id = id_of(&records, "self").to_owned();
    let spouse_id = id_of(&records, "spouse").to_owned();
    let spouse = records.iter().find(|r| r["relation"] == "spouse").unwrap();
    assert!(
        spouse["purposes"]
            .as_array()
            .unwrap()
            .contains(&json!("national_pension_dependent_spouse"))
    );
    let own_record = records.iter().find(|r| r["relation"] == "self").unwrap();
    assert_eq!(own_record["submitted"]["identity_document"], "photo_id");

    // Nobody reveals a submission before review.
    let handler = Who::handler("acme");
    let r = reveal(&stack, &handler, &self_id, "withholding_tax").await;
    assert_eq!((r.status, r.code()), (409, "pending_review"), "{}", r.raw);

    // Confirm: the §2.2 rules apply as at intake.
    let r = confirm(&stack, &self_id, "by_employee").await;
    assert_eq!(r.status, 400, "{}", r.raw);
    assert_eq!(r.body["errors"][0]["rule"], "employer_must_verify");
    let r = confirm(&stack, &spouse_id, "by_employee").await;
    assert_eq!(
        r.body["errors"][0]["rule"], "employer_must_verify_spouse",
        "{}",
        r.raw
    );
    let r = confirm(&stack, &self_id, "photo_id").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["verification"]["identity_check"], "photo_id");
    assert_eq!(r.body["verification"]["verified_by"], "hr-sato");
    assert_eq!(r.body["source"], "self_service");
    let again = confirm(&stack, &self_id, "photo_id").await;
    assert_eq!((again.status, again.code()), (409, "not_pending"));

    // The confirmed number opens under its own record's encryption context.
    let r = reveal(&stack, &handler, &self_id, "withholding_tax").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["my_number"], N1);
    let child = records
        .iter()
        .find(|r| r["dependent_label"] == "長男")
        .unwrap()["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(confirm(&stack, &child, "by_employee").await.status, 200);
    let r = reveal(&stack, &handler, &child, "withholding_tax").await;
    assert_eq!(r.body["my_number"], N3, "normalised before it was sealed");

    // Reject: the number is gone, a disposal record keeps the reason.
    let daughter = records
        .iter()
        .find(|r| r["dependent_label"] == "長女")
        .unwrap()["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reject = |reason: &str| {
        req("POST", &format!("/v1/records/{daughter}/reject"))
            .who(&Who::registrar("acme"))
            .json(json!({ "reason": reason }))
            .build()
    };
    let r = stack.call(reject(&format!("写真が不鮮明 {N5}"))).await;
    assert_eq!(r.body["errors"][0]["rule"], "contains_number", "{}", r.raw);
    let r = stack.call(reject("写真が不鮮明")).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["reason"], "rejected");
    assert_eq!(r.body["note"], "写真が不鮮明");
    assert_eq!(stack.call(reject("again")).await.status, 404);
    assert_eq!(records_of(&stack, "E100").await.len(), 3);
    let log = stack
        .call(
            req("GET", "/v1/disposals")
                .who(&Who::auditor("acme"))
                .query("employee_id", "E100")
                .build(),
        )
        .await;
    assert_eq!(log.body["items"][0]["reason"], "rejected", "{}", log.raw);

    // Only registrars review; another tenant's record is absent.
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{spouse_id}/confirm"))
                .who(&Who::handler("acme"))
                .json(json!({"verification": {"number_check": "my_number_card", "identity_check": "my_number_card", "verified_on": "2026-04-01"}}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = stack
        .call(
            req("POST", &format!("/v1/records/{spouse_id}/confirm"))
                .who(&Who::registrar("other"))
                .json(json!({"verification": {"number_check": "my_number_card", "identity_check": "my_number_card", "verified_on": "2026-04-01"}}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 404);

    // Every event of the link names it; none holds the token.
    let events = stack.audit_events();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    for kind in [
        "collection_created",
        "collection_viewed",
        "submission",
        "confirmed",
        "disposal",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let submission = events.iter().find(|e| e["event"] == "submission").unwrap();
    assert_eq!(submission["collection_id"], collection.as_str());
    assert_eq!(submission["count"], 4);
    assert_eq!(submission["tenant_id"], "acme");
    let everything = format!("{events:?} {:?}", stack.all_items().await);
    assert!(
        !everything.contains(&token),
        "the token is stored or logged"
    );
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

/// The problem body without its request id, which differs per request.
fn without_request_id(r: &Reply) -> Value {
    let mut body = r.body.clone();
    body.as_object_mut().unwrap().remove("request_id");
    body
}

#[tokio::test]
async fn every_unusable_link_gets_one_identical_404() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let unknown = "0".repeat(64);
    let mut answers = vec![
        form(&stack, &unknown).await,
        form(&stack, "not-a-token").await,
    ];
    // No link credential at all is a 401, which says nothing about any link.
    let none = stack
        .call(req("GET", "/v1/collect").no_token().no_authorizer().build())
        .await;
    assert_eq!((none.status, none.code()), (401, "unauthenticated"));
    // Replaced by a newer link for the same employee.
    let (_, first) = open_link(&stack, "E200", false).await;
    let (second_id, second) = open_link(&stack, "E200", false).await;
    answers.push(form(&stack, &first).await);
    // Cancelled by HR.
    let r = stack
        .call(
            req("DELETE", &format!("/v1/collections/{second_id}"))
                .who(&hr)
                .build(),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("cancelled"))
    );
    answers.push(form(&stack, &second).await);
    // Expired.
    let (_, third) = open_link(&stack, "E201", false).await;
    assert_eq!(form(&stack, &third).await.status, 200);
    stack.set_now(stack.clock.now_plus(Duration::days(15)));
    answers.push(form(&stack, &third).await);
    answers.push(submit(&stack, &third, json!({"self": own(N1)})).await);
    let expired = stack
        .call(
            req("GET", "/v1/collections")
                .who(&hr)
                .query("status", "expired")
                .build(),
        )
        .await;
    assert_eq!(
        expired.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        expired.raw
    );
    assert_eq!(expired.body["items"][0]["employee_id"], "E201");

    let first = without_request_id(&answers[0]);
    assert_eq!(first["code"], "collection_not_found");
    for a in &answers {
        assert_eq!(a.status, 404, "{}", a.raw);
        assert_eq!(without_request_id(a), first, "{}", a.raw);
    }
}

#[tokio::test]
async fn invalid_submissions_name_fields_by_path_and_the_fifth_locks_the_link() {
    let stack = Stack::new().await;
    let (id, token) = open_link(&stack, "E300", true).await;
    let bad = json!({
        "self": {"my_number": "123456789010", "number_document": "individual_number_notice", "identity_document": "known_in_person"},
        "dependents": [
            {"label": "長男", "my_number": N3},
            {"label": "", "my_number": "12345"}
        ]
    });
    let r = submit(&stack, &token, bad.clone()).await;
    assert_eq!(r.status, 400, "{}", r.raw);
    let errors: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    for expected in [
        ("self.my_number", "check_digit"),
        ("self.number_document", "not_a_number_check"),
        ("self.identity_document", "enum"),
        ("dependents[1].label", "length"),
        ("dependents[1].my_number", "length"),
    ] {
        assert!(
            errors.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {errors:?}"
        );
    }
    assert!(!r.raw.contains("123456789010") && !r.raw.contains(N3));
    // Nothing was written, and the link still works for four tries.
    assert!(stack.items_of_kind("record").await.is_empty());
    for _ in 0..3 {
        assert_eq!(submit(&stack, &token, bad.clone()).await.status, 400);
    }
    assert_eq!(form(&stack, &token).await.status, 200);
    assert_eq!(submit(&stack, &token, bad).await.status, 400);
    // The fifth locked it: even a valid submission is refused now.
    assert_eq!(form(&stack, &token).await.status, 404);
    assert_eq!(
        submit(&stack, &token, json!({"self": own(N1)}))
            .await
            .status,
        404
    );
    let listed = stack
        .call(
            req("GET", "/v1/collections")
                .who(&Who::registrar("acme"))
                .query("status", "locked")
                .build(),
        )
        .await;
    assert_eq!(
        listed.body["items"][0]["collection_id"],
        id.as_str(),
        "{}",
        listed.raw
    );
    let r = stack
        .call(
            req("DELETE", &format!("/v1/collections/{id}"))
                .who(&Who::registrar("acme"))
                .build(),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "collection_closed"));
}

/// Twenty invalid submissions at once: exactly five are answered with their field errors
/// (each counted before its answer), the others get the unusable link's 404, and the link
/// is locked.
#[tokio::test]
async fn parallel_invalid_submissions_get_five_answers_and_lock_the_link() {
    let stack = Stack::new().await;
    let (_, token) = open_link(&stack, "E310", false).await;
    let bad = json!({"self": {"my_number": "123456789010", "number_document": "notification_card", "identity_document": "photo_id"}});
    let replies =
        futures::future::join_all((0..20).map(|_| submit(&stack, &token, bad.clone()))).await;
    let answered = replies.iter().filter(|r| r.status == 400).count();
    let refused = replies.iter().filter(|r| r.status == 404).count();
    assert_eq!(
        (answered, refused),
        (5, 15),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(form(&stack, &token).await.status, 404);
    assert!(stack.items_of_kind("record").await.is_empty());
}

#[tokio::test]
async fn a_submission_is_all_of_its_records_or_none() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    // HR already registered the spouse: a submission that includes one conflicts, and
    // none of its other records is written.
    let mut spouse = own_number("E400", N5);
    spouse["relation"] = json!("spouse");
    assert_eq!(register(&stack, &hr, spouse).await.status, 201);
    let (_, token) = open_link(&stack, "E400", true).await;
    let r = submit(
        &stack,
        &token,
        json!({
            "self": own(N1),
            "spouse": {"my_number": N2},
            "dependents": [{"label": "次男", "my_number": N3}]
        }),
    )
    .await;
    assert_eq!((r.status, r.code()), (409, "record_exists"), "{}", r.raw);
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
    // A conflict is not an invalid attempt: the link still works, and without the spouse
    // the submission goes through.
    let r = submit(
        &stack,
        &token,
        json!({"self": own(N1), "dependents": [{"label": "次男", "my_number": N3}]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(stack.items_of_kind("record").await.len(), 3);

    // A link without family refuses family parts; a refusal needs no number.
    let (_, token) = open_link(&stack, "E401", false).await;
    let r = submit(
        &stack,
        &token,
        json!({"self": own(N4), "spouse": {"my_number": N2}}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["field"], "spouse", "{}", r.raw);
    assert_eq!(r.body["errors"][0]["rule"], "not_requested");
    let r = submit(
        &stack,
        &token,
        json!({"self": {"refusal": {"reason": "提出を希望しません"}}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["records"][0]["status"], "refused");
    let records = records_of(&stack, "E401").await;
    assert_eq!(records[0]["source"], "self_service");
    assert_eq!(records[0]["refusal"]["reason"], "提出を希望しません");
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn submissions_left_unconfirmed_30_days_are_disposed_of_by_the_purge() {
    let stack = Stack::new().await;
    let start = mynumber_tests::epoch();
    stack.set_now(start);
    let (_, token) = open_link(&stack, "E500", true).await;
    let r = submit(
        &stack,
        &token,
        json!({"self": own(N1), "dependents": [{"label": "長男", "my_number": N2}]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let records = records_of(&stack, "E500").await;
    let self_id = id_of(&records, "self").to_owned();
    assert_eq!(confirm(&stack, &self_id, "photo_id").await.status, 200);
    // A departure meanwhile keeps the unconfirmed record's earlier review deadline.
    let r = stack
        .call(
            req("POST", "/v1/employees/E500/departure")
                .who(&Who::registrar("acme"))
                .json(json!({"left_on": start.date_naive().to_string()}))
                .build(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.raw);

    // Day 30 (Japan time) is the last day to confirm: the purge leaves both.
    stack.set_now(start + Duration::days(29));
    let purge = stack.purge();
    let deadline = start + Duration::days(400);
    stack.run_purge(&purge, deadline).await.unwrap();
    assert_eq!(records_of(&stack, "E500").await.len(), 2);

    // After it the submission is gone for every read and the purge disposes of it as
    // unconfirmed; the confirmed record stays until its retention ends.
    stack.set_now(start + Duration::days(32));
    assert_eq!(records_of(&stack, "E500").await.len(), 1);
    let summary = stack.run_purge(&purge, deadline).await.unwrap();
    assert_eq!(summary["disposed"], 1, "{summary}");
    let disposals = stack.items_of_kind("disposal").await;
    assert_eq!(disposals.len(), 1);
    assert_eq!(disposals[0]["reason"].as_s().unwrap(), "unconfirmed");
    let left = stack.items_of_kind("record").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["record_id"].as_s().unwrap(), &self_id);
}

#[tokio::test]
async fn the_form_is_served_with_a_strict_content_security_policy() {
    let stack = Stack::new().await;
    for path in [
        "/collect",
        "/collect/app.js",
        "/collect/mynumber.js",
        "/collect/app.css",
    ] {
        let r = stack
            .call(req("GET", path).no_token().no_authorizer().build())
            .await;
        assert_eq!(r.status, 200, "{path}");
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
        assert_eq!(r.headers["cache-control"], "no-store");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
    let page = stack
        .call(req("GET", "/collect").no_token().no_authorizer().build())
        .await;
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.raw.contains("lang=\"ja\""));
    let r = stack
        .call(
            req("GET", "/collect/secret.txt")
                .no_token()
                .no_authorizer()
                .build(),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn one_client_address_is_limited_per_minute_on_the_employee_s_routes() {
    let stack = Stack::with_config(mynumber_domain::VaultConfig {
        client_limit_per_minute: 3,
        ..Default::default()
    })
    .await;
    let (_, token) = open_link(&stack, "E9100", false).await;
    let from = |ip: &str| {
        with_token("GET", "/v1/collect", &token)
            .source_ip(ip)
            .build()
    };
    for _ in 0..3 {
        assert_eq!(stack.call(from("198.51.100.9")).await.status, 200);
    }
    // The fourth request of the minute from that address is refused before anything is
    // read, whatever it asks (a junk token, a submission) ...
    let refused = stack.call(from("198.51.100.9")).await;
    assert_problem(&refused, 429, "throttled");
    let junk = stack
        .call(
            with_token("POST", "/v1/collect", &"0".repeat(64))
                .source_ip("198.51.100.9")
                .json(json!({"self": own(N1)}))
                .build(),
        )
        .await;
    assert_problem(&junk, 429, "throttled");
    // ... while the employee at another address goes on; an IPv6 client's /56 is one
    // client however it rotates its address.
    assert_eq!(stack.call(from("203.0.113.50")).await.status, 200);
    for i in 1..=3 {
        let r = stack.call(from(&format!("2001:db8:1:2::{i}"))).await;
        assert_eq!(r.status, 200, "{}", r.raw);
    }
    assert_problem(
        &stack.call(from("2001:db8:1:ff::1")).await,
        429,
        "throttled",
    );
    assert_eq!(stack.call(from("2001:db8:1:100::1")).await.status, 200);
    // The next minute the address may go on.
    stack.set_now(stack.clock.now_plus(Duration::minutes(1)));
    assert_eq!(stack.call(from("198.51.100.9")).await.status, 200);
    let denied = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["reason"] == "throttled")
        .count();
    assert_eq!(denied, 3, "each refusal is on the record");
}

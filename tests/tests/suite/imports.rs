//! Bulk import and the duplicate index (SPEC §4b) against moto: a kintone export imported,
//! its failures fixed and imported again; Shift_JIS; duplicates found on every path and
//! forgotten on disposal; a post cut off half-way and posted again.

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use mynumber_aws::{KmsDecryptor, KmsEncryptor};
use mynumber_domain::backfill::Backfill;
use mynumber_domain::ids::TenantId;
use std::sync::Arc;

pub const FIXTURE: &[u8] = include_bytes!("../../fixtures/kintone-export.csv");

/// The fixture as HR fixes it after its first import: the short number corrected, a photo
/// ID check instead of the employee's own, the duplicate row dropped.
pub fn fixed_fixture() -> String {
    String::from_utf8(FIXTURE.to_vec())
        .unwrap()
        .replace("3141 5926 535", "314159265352")
        .replace(
            "\"通知カード\",\"従業員が確認\",\"2026/04/02\"",
            "\"通知カード\",\"写真付き身分証明書\",\"2026/04/02\"",
        )
        .lines()
        .filter(|l| !l.contains("E1004"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

async fn import(stack: &Stack, body: &[u8], content_type: &str, dry_run: bool) -> Reply {
    let mut r = req("POST", "/v1/imports")
        .who(&Who::registrar("acme"))
        .header("content-type", content_type)
        .bytes_body(body);
    if dry_run {
        r = r.query("dry_run", "true");
    }
    stack.call(r.build()).await
}

/// `(status, [(field, rule)])` of each row, by row.
fn outcomes(r: &Reply) -> Vec<(String, Vec<(String, String)>)> {
    r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let errors = row["errors"]
                .as_array()
                .map(|es| {
                    es.iter()
                        .map(|e| {
                            (
                                e["field"].as_str().unwrap().to_owned(),
                                e["rule"].as_str().unwrap().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (row["status"].as_str().unwrap().to_owned(), errors)
        })
        .collect()
}

fn counts(r: &Reply) -> (u64, u64, u64) {
    let n = |k: &str| r.body[k].as_u64().unwrap();
    (n("created"), n("unchanged"), n("failed"))
}

fn rule(field: &str, rule: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), rule.to_owned())]
}

async fn record_items(stack: &Stack) -> usize {
    stack
        .all_items()
        .await
        .iter()
        .filter(|i| i["sk"].as_s().unwrap() == "RECORD")
        .count()
}

#[tokio::test]
async fn a_kintone_export_is_imported_its_failures_fixed_and_imported_again() {
    let stack = Stack::new().await;
    let expected = vec![
        ("created".to_owned(), vec![]),
        ("created".to_owned(), vec![]),
        ("failed".to_owned(), rule("my_number", "length")),
        (
            "failed".to_owned(),
            rule("identity_check", "employer_must_verify"),
        ),
        ("failed".to_owned(), rule("my_number", "duplicate_number")),
        ("created".to_owned(), vec![]),
    ];

    // A dry run says what would happen and writes nothing.
    let dry = import(&stack, FIXTURE, "text/csv", true).await;
    assert_eq!(dry.status, 200, "{}", dry.raw);
    assert_eq!(dry.body["dry_run"], true);
    assert_eq!(outcomes(&dry), expected);
    assert_eq!(record_items(&stack).await, 0);

    let first = import(&stack, FIXTURE, "text/csv", false).await;
    assert_eq!(first.status, 200, "{}", first.raw);
    assert_eq!(outcomes(&first), expected);
    assert_eq!(counts(&first), (3, 0, 3));
    let rows = first.body["rows"].as_array().unwrap();
    assert_eq!(rows[0]["row"], 2, "the header is row 1");
    assert_eq!(rows[4]["duplicate_of"], "E1001");
    assert!(rows[2].get("record_id").is_none());
    let items = list(&stack, &Who::auditor("acme"), "E1001").await;
    assert_eq!(items.body["items"].as_array().unwrap().len(), 2);
    // Both rows were created at the same instant: the listing's order between them is
    // the record ids'.
    assert!(
        items.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["dependent_label"] == "長男")
    );
    assert_eq!(record_items(&stack).await, 3);

    // The same file again: nothing new.
    let again = import(&stack, FIXTURE, "text/csv", false).await;
    assert_eq!(counts(&again), (0, 3, 3), "{}", again.raw);
    assert_eq!(
        again.body["rows"][0]["record_id"], rows[0]["record_id"],
        "unchanged names the record that holds the row"
    );
    assert_eq!(record_items(&stack).await, 3);

    // HR fixes the two rows it can and drops the duplicate; the rest is unchanged.
    let fixed = fixed_fixture();
    let last = import(&stack, fixed.as_bytes(), "text/csv", false).await;
    assert_eq!(counts(&last), (2, 3, 0), "{}", last.raw);
    assert_eq!(record_items(&stack).await, 5);

    // Audited: one intake event per created row, one import event per post.
    let events = stack.audit_events();
    let imports: Vec<_> = events.iter().filter(|e| e["event"] == "import").collect();
    assert_eq!(imports.len(), 4);
    assert_eq!(imports[0]["dry_run"], true);
    assert_eq!(imports[1]["count"], 3);
    assert_eq!(imports[1]["failed"], 3);
    assert_eq!(imports[2]["unchanged"], 3);
    let created = events
        .iter()
        .filter(|e| e["event"] == "intake" && e["outcome"] == "success")
        .count();
    assert_eq!(created, 5);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn duplicates_are_found_on_every_path_and_forgotten_on_disposal() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let first = register(&stack, &hr, own_number("E2001", N1)).await;
    assert_eq!(first.status, 201, "{}", first.raw);
    let first_id = first.body["record_id"].as_str().unwrap().to_owned();

    // Single intake: another employee's own number is refused, naming whose it is.
    let dup = register(&stack, &hr, own_number("E2002", N1)).await;
    assert_problem(&dup, 409, "duplicate_number");
    assert_eq!(dup.body["employee_id"], "E2001");

    // A spouse who also works here: accepted, and the answer says so.
    let mut spouse = own_number("E2003", N1);
    spouse["relation"] = json!("spouse");
    let s = register(&stack, &hr, spouse).await;
    assert_eq!(s.status, 201, "{}", s.raw);
    assert_eq!(
        s.body["same_number_as"],
        json!([{"record_id": first_id, "employee_id": "E2001", "relation": "self"}])
    );

    // An import in Shift_JIS: the duplicate row fails alone.
    let csv = format!(
        "employee_id,relation,my_number,purposes,number_check,identity_check,verified_on\r\n\
         E2004,本人,{N1},withholding_tax,my_number_card,my_number_card,2026-04-01\r\n\
         E2004,配偶者,{N2},withholding_tax,my_number_card,my_number_card,2026-04-01\r\n"
    );
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&csv);
    let r = import(&stack, &sjis, "text/csv; charset=Shift_JIS", false).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        outcomes(&r),
        vec![
            ("failed".to_owned(), rule("my_number", "duplicate_number")),
            ("created".to_owned(), vec![]),
        ]
    );
    assert_eq!(r.body["rows"][0]["duplicate_of"], "E2001");

    // A collection submission: said as a field error, without naming anyone.
    let (_, token) = super::collections::open_link(&stack, "E2005", false).await;
    let sub =
        super::collections::submit(&stack, &token, json!({"self": super::collections::own(N1)}))
            .await;
    assert_problem(&sub, 400, "invalid_request");
    assert_eq!(
        sub.body["errors"],
        json!([{"field": "self.my_number", "rule": "duplicate_number"}])
    );
    assert!(!sub.raw.contains("E2001"));
    // The answer told a coworker's number: audited as a match of the link's.
    let matched = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "number_matched" && e["collection_id"].is_string())
        .count();
    assert_eq!(matched, 1);

    // Disposed of early, the number is free for the employee it really belongs to.
    let gone = stack
        .call(
            req("DELETE", &format!("/v1/records/{first_id}"))
                .who(&hr)
                .json(json!({"reason": "error"}))
                .build(),
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.raw);
    let now_free = register(&stack, &hr, own_number("E2002", N1)).await;
    assert_eq!(now_free.status, 201, "{}", now_free.raw);

    // Replaced by another number, the old one is free again.
    let mut replace = own_number("E2002", N3);
    replace["replace"] = json!(true);
    assert_eq!(register(&stack, &hr, replace).await.status, 201);
    let after_replace = register(&stack, &hr, own_number("E2006", N1)).await;
    assert_eq!(after_replace.status, 201, "{}", after_replace.raw);
    // And the replaced number's claim moved with it: N3 is E2002's.
    let n3 = register(&stack, &hr, own_number("E2007", N3)).await;
    assert_problem(&n3, 409, "duplicate_number");
    assert_eq!(n3.body["employee_id"], "E2002");

    // Rejected submissions leave no index entry behind either.
    let (_, token) = super::collections::open_link(&stack, "E2008", false).await;
    let sub =
        super::collections::submit(&stack, &token, json!({"self": super::collections::own(N4)}))
            .await;
    assert_eq!(sub.status, 201, "{}", sub.raw);
    let pending = sub.body["records"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rejected = stack
        .call(
            req("POST", &format!("/v1/records/{pending}/reject"))
                .who(&hr)
                .json(json!({"reason": "本人確認書類が不鮮明"}))
                .build(),
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.raw);
    assert_eq!(
        register(&stack, &hr, own_number("E2009", N4)).await.status,
        201
    );

    // The index holds ids and keyed MACs, never a number; nothing is left of disposed
    // records' entries.
    let items = stack.all_items().await;
    let index: Vec<_> = items
        .iter()
        .filter(|i| i["pk"].as_s().unwrap().contains("#N#"))
        .collect();
    let live_records = items
        .iter()
        .filter(|i| i["sk"].as_s().unwrap() == "RECORD" && i.contains_key("number_key"))
        .count();
    let entries = index
        .iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("REC#"))
        .count();
    assert_eq!(entries, live_records);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

#[tokio::test]
async fn an_import_cut_off_half_way_and_posted_again_has_each_row_once() {
    let stack = Stack::new().await;
    let mut csv = String::from(
        "employee_id,relation,dependent_label,my_number,purposes,number_check,identity_check,verified_on\n",
    );
    for i in 0..40 {
        let n = mynumber_tests::generated_number(i, 77);
        csv.push_str(&format!(
            "E3{i:03},self,,{n},withholding_tax,my_number_card,my_number_card,2026-04-01\n"
        ));
        let child = mynumber_tests::generated_number(i, 78);
        csv.push_str(&format!(
            "E3{i:03},dependent,長女,{child},withholding_tax;dependents_declaration,notification_card,by_employee,2026-04-01\n"
        ));
    }
    // What a post cut off half-way had written: its first rows.
    let half: String = csv.lines().take(41).map(|l| format!("{l}\n")).collect();
    let cut = import(&stack, half.as_bytes(), "text/csv", false).await;
    assert_eq!(counts(&cut), (40, 0, 0), "{}", cut.raw);
    let whole = import(&stack, csv.as_bytes(), "text/csv", false).await;
    assert_eq!(counts(&whole), (40, 40, 0), "{}", whole.raw);
    assert_eq!(record_items(&stack).await, 80);
    let twice = import(&stack, csv.as_bytes(), "text/csv", false).await;
    assert_eq!(counts(&twice), (0, 80, 0), "{}", twice.raw);
    assert_eq!(record_items(&stack).await, 80);
}

/// Records registered before the index existed: their number's key and index items gone,
/// as they were before this change.
async fn forget_index(stack: &Stack) {
    let ddb = stack.ddb();
    for item in stack.all_items().await {
        let pk = item["pk"].as_s().unwrap().to_owned();
        let sk = item["sk"].as_s().unwrap().to_owned();
        let key = |pk: &str, sk: &str| {
            std::collections::HashMap::from([
                ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
                ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
            ])
        };
        if pk.contains("#N#") {
            ddb.delete_item()
                .table_name(&stack.table)
                .set_key(Some(key(&pk, &sk)))
                .send()
                .await
                .unwrap();
        } else if sk == "RECORD" && item.contains_key("number_key") {
            ddb.update_item()
                .table_name(&stack.table)
                .set_key(Some(key(&pk, &sk)))
                .update_expression("REMOVE number_key")
                .send()
                .await
                .unwrap();
        }
    }
}

fn backfill(stack: &Stack) -> Backfill {
    let store = stack.store_on(&stack.table);
    Backfill {
        records: store.clone(),
        filing: store,
        decryptor: Arc::new(KmsDecryptor::new(stack.kms(), &stack.key_id)),
        mac: Arc::new(KmsEncryptor::new(
            stack.kms(),
            &stack.key_id,
            &stack.mac_key_id,
        )),
        trail: stack.store_on(&stack.table),
        audit: stack.audit.clone(),
        clock: stack.clock.clone(),
        operator: mynumber_domain::ids::Subject::parse("ops-tanaka").unwrap(),
        audit_retention: chrono::Duration::days(1),
    }
}

#[tokio::test]
async fn the_backfill_files_records_older_than_the_index_once_and_reports_duplicates() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    for body in [
        own_number("E3001", N1),
        dependent("E3001", "長女", N2),
        own_number("E3002", N3),
    ] {
        let r = register(&stack, &hr, body).await;
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    let refusal = json!({
        "employee_id": "E3004",
        "relation": "self",
        "purposes": ["withholding_tax"],
        "refusal": {"reason": "本人が提供を拒否", "requested_on": "2026-04-01"}
    });
    let r = register(&stack, &hr, refusal).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    forget_index(&stack).await;

    // Unfiled, E3001's number goes unnoticed when another employee gives it.
    let unseen = register(&stack, &hr, own_number("E3003", N1)).await;
    assert_eq!(unseen.status, 201, "{}", unseen.raw);

    let tenant = TenantId::parse("acme").unwrap();
    // Fail closed: without the durable trail, no number is opened.
    let mut blind = backfill(&stack);
    blind.trail = stack.store_on("no-such-table");
    let refused = blind.run(&tenant).await.unwrap();
    assert_eq!((refused.filed, refused.failed), (0, 3), "{refused:?}");
    assert!(
        !stack
            .audit_events()
            .iter()
            .any(|e| e["event"] == "backfill_opened")
    );

    let report = backfill(&stack).run(&tenant).await.unwrap();
    assert_eq!(
        (
            report.records,
            report.filed,
            report.skipped,
            report.changed,
            report.failed
        ),
        (5, 3, 2, 0, 0),
        "{report:?}"
    );
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].employee_id.as_str(), "E3001");
    assert_eq!(report.duplicates[0].same_number_as.as_str(), "E3003");
    // Each number opened is in the vault's trail, before its Decrypt, and in its log.
    let trail: Vec<Value> = stack
        .items_of_kind("audit")
        .await
        .iter()
        .map(|i| serde_json::from_str::<Value>(i["event"].as_s().unwrap()).unwrap())
        .filter(|e| e["event"] == "backfill_opened")
        .collect();
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert!(trail.iter().all(|e| e["outcome"] == "authorized"
        && e["actor"] == "ops-tanaka"
        && e["tenant_id"] == "acme"
        && e["record_id"].is_string()));
    let logged: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "backfill_opened")
        .collect();
    assert_eq!(logged.len(), 3);
    assert!(logged.iter().all(|e| e["outcome"] == "success"));

    // Run again: nothing left to do.
    let again = backfill(&stack).run(&tenant).await.unwrap();
    assert_eq!((again.filed, again.skipped, again.failed), (0, 5, 0));
    assert!(again.duplicates.is_empty());

    // Filed, E3002's number is found again, and goes with its record.
    let dup = register(&stack, &hr, own_number("E3005", N3)).await;
    assert_problem(&dup, 409, "duplicate_number");
    assert_eq!(dup.body["employee_id"], "E3002");
    let e3002 = list(&stack, &hr, "E3002").await;
    let id = e3002.body["items"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gone = stack
        .call(
            req("DELETE", &format!("/v1/records/{id}"))
                .who(&hr)
                .json(json!({"reason": "no_longer_needed"}))
                .build(),
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.raw);
    let now = register(&stack, &hr, own_number("E3005", N3)).await;
    assert_eq!(now.status, 201, "{}", now.raw);
    stack.assert_no_plaintext(ALL_NUMBERS).await;
}

/// A file of candidate numbers, as a registrar who may not reveal could send it.
fn candidates(rows: &[(&str, &str)]) -> String {
    let mut csv = String::from(
        "employee_id,relation,my_number,purposes,number_check,identity_check,verified_on\r\n",
    );
    for (employee, number) in rows {
        csv.push_str(&format!(
            "{employee},本人,{number},withholding_tax,my_number_card,my_number_card,2026-04-01\r\n"
        ));
    }
    csv
}

#[tokio::test]
async fn numbers_matched_by_imports_are_audited_counted_and_refused_past_the_hours_limit() {
    let config = mynumber_domain::VaultConfig {
        match_limit_per_hour: 5,
        ..Default::default()
    };
    let stack = Stack::with_config(config).await;
    let hr = Who::registrar("acme");
    for (employee, number) in [("E2101", N1), ("E2102", N2)] {
        let r = register(&stack, &hr, own_number(employee, number)).await;
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    // One row confirms E2101's number, one finds whose N2 is, one matches nothing.
    let probe = candidates(&[("E2101", N1), ("E2199", N2), ("E2198", N3)]);
    let dry = import(&stack, probe.as_bytes(), "text/csv", true).await;
    assert_eq!(dry.status, 200, "{}", dry.raw);
    assert_eq!(counts(&dry), (1, 1, 1));
    assert_eq!(dry.body["rows"][1]["duplicate_of"], "E2102");

    // Each match is in the audit trail: whose number, never the number.
    let mut matched: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "number_matched")
        .collect();
    // Rows of different employees run at once: their events come in any order.
    matched.sort_by_key(|e| e["employee_id"].as_str().unwrap_or_default().to_owned());
    assert_eq!(matched.len(), 2, "{matched:?}");
    assert_eq!(matched[0]["employee_id"], "E2101");
    assert_eq!(matched[0]["dry_run"], true);
    assert_eq!(matched[1]["employee_id"], "E2102");
    assert_eq!(matched[1]["reason"], "duplicate_number");
    assert!(matched.iter().all(|e| e["actor"] == hr.sub));

    // Every row is reserved before the file is read and what did not match given back:
    // with 2 of 5 used, the next 3 rows fit, and leave 4.
    let second = import(&stack, probe.as_bytes(), "text/csv", true).await;
    assert_eq!(second.status, 200, "{}", second.raw);
    // Another 3 would pass the limit: nothing is read, no row is answered.
    let third = import(&stack, probe.as_bytes(), "text/csv", false).await;
    assert_problem(&third, 429, "throttled");
    assert!(third.body.get("rows").is_none());
    assert_eq!(record_items(&stack).await, 2, "nothing was written");
    let refused = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["reason"] == "throttled")
        .collect::<Vec<_>>();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["event"], "denied");
    assert_eq!(refused[0]["action"], "register_record");

    // Another registrar has an hour of their own; the first one may go on the next hour.
    let colleague = Who::new("hr-kimura", "acme", &["registrar"]);
    let other = stack
        .call(
            req("POST", "/v1/imports")
                .who(&colleague)
                .header("content-type", "text/csv")
                .query("dry_run", "true")
                .bytes_body(probe.as_bytes())
                .build(),
        )
        .await;
    assert_eq!(other.status, 200, "{}", other.raw);
    stack.set_now(stack.clock.now_plus(chrono::Duration::hours(1)));
    let later = import(&stack, probe.as_bytes(), "text/csv", true).await;
    assert_eq!(later.status, 200, "{}", later.raw);
    stack.assert_no_plaintext(&[N1, N2, N3]).await;
}

#[tokio::test]
async fn a_links_duplicate_answers_count_against_the_registrar_who_made_it() {
    let config = mynumber_domain::VaultConfig {
        match_limit_per_hour: 1,
        ..Default::default()
    };
    let stack = Stack::with_config(config).await;
    let r = register(&stack, &Who::registrar("acme"), own_number("E2201", N1)).await;
    assert_eq!(r.status, 201, "{}", r.raw);
    let body = json!({"self": super::collections::own(N1)});
    let (_, first) = super::collections::open_link(&stack, "E2202", false).await;
    let answer = super::collections::submit(&stack, &first, body.clone()).await;
    assert_problem(&answer, 400, "invalid_request");
    // The hour's matches are used up: the same registrar's next link refuses any
    // submission before reading it, a number nobody holds as well.
    let (_, second) = super::collections::open_link(&stack, "E2203", false).await;
    let refused = super::collections::submit(&stack, &second, body).await;
    assert_problem(&refused, 429, "throttled");
    let (_, third) = super::collections::open_link(&stack, "E2204", false).await;
    let fresh = json!({"self": super::collections::own(N2)});
    let refused = super::collections::submit(&stack, &third, fresh.clone()).await;
    assert_problem(&refused, 429, "throttled");
    // The next hour the link works.
    stack.set_now(stack.clock.now_plus(chrono::Duration::hours(1)));
    let accepted = super::collections::submit(&stack, &third, fresh).await;
    assert_eq!(accepted.status, 201, "{}", accepted.raw);
    stack.assert_no_plaintext(&[N1, N2]).await;
}

#[tokio::test]
async fn a_single_intake_that_names_another_employee_counts_as_a_match() {
    let stack = Stack::with_config(mynumber_domain::VaultConfig {
        match_limit_per_hour: 1,
        ..Default::default()
    })
    .await;
    let hr = Who::registrar("acme");
    assert_eq!(
        register(&stack, &hr, own_number("E2301", N1)).await.status,
        201
    );
    let dup = register(&stack, &hr, own_number("E2302", N1)).await;
    assert_problem(&dup, 409, "duplicate_number");
    let matched: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["event"] == "number_matched")
        .collect();
    assert_eq!(matched.len(), 1);
    assert_eq!(matched[0]["employee_id"], "E2301");
    assert_eq!(matched[0]["reason"], "duplicate_number");
    // The hour's one match is used: the next number is not read, whoever's it is ...
    let refused = register(&stack, &hr, own_number("E2303", N2)).await;
    assert_problem(&refused, 429, "throttled");
    // ... but a refusal carries no number and is taken; and links have a count of their
    // own, so employees' submissions go on.
    let refusal = json!({
        "employee_id": "E2304",
        "relation": "self",
        "purposes": ["withholding_tax"],
        "refusal": {"reason": "本人が提供を拒否", "requested_on": "2026-04-01"}
    });
    assert_eq!(register(&stack, &hr, refusal).await.status, 201);
    let (_, token) = super::collections::open_link(&stack, "E2305", false).await;
    let sub =
        super::collections::submit(&stack, &token, json!({"self": super::collections::own(N3)}))
            .await;
    assert_eq!(sub.status, 201, "{}", sub.raw);
    stack.assert_no_plaintext(&[N1, N2, N3]).await;
}

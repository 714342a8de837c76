//! The retention clock under races and lag: a slot whose record TTL deleted, an owner
//! index behind the table, an intake between a departure's read and write, and the
//! stream that records what TTL deleted.

use super::*;

#[tokio::test]
async fn records_registered_after_a_departure_share_its_due_date() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    register(&stack, &hr, own_number("E0220", N1)).await;
    departure(&stack, "E0220", json!({"left_on": "2026-03-31"})).await;
    // A dependant added later, and a typo fixed with replace: both due with the rest.
    let child = register(&stack, &hr, dependent("E0220", "長男", N2)).await;
    assert_eq!(child.body["due_at"], "2033-03-31", "{}", child.raw);
    let mut fixed = own_number("E0220", N3);
    fixed["replace"] = json!(true);
    let fixed = register(&stack, &hr, fixed).await;
    assert_eq!(fixed.body["due_at"], "2033-03-31", "{}", fixed.raw);
    // …so the purge disposes of all of them when the day comes.
    stack.set_now(jst_noon(2033, 4, 1));
    let summary = stack
        .run_purge(&stack.purge(), jst_noon(2033, 4, 1) + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(summary["disposed"], 2, "{summary}");
    assert_eq!(record_items(&stack.all_items().await), 0);
    // After a re-hire, new records are not due at all.
    stack.set_now(jst_noon(2026, 11, 24));
    register(&stack, &hr, own_number("E0221", N4)).await;
    departure(&stack, "E0221", json!({"left_on": "2026-03-31"})).await;
    rehire(&stack, "E0221").await;
    let late = register(&stack, &hr, dependent("E0221", "長女", N5)).await;
    assert!(late.body.get("due_at").is_none(), "{}", late.raw);
}

#[tokio::test]
async fn a_slot_whose_record_ttl_deleted_is_taken_over() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let first = register(&stack, &hr, own_number("E0222", N1)).await;
    // DynamoDB TTL deletes the record itself (the purge did not run): the slot stays.
    stack
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "T#acme#R#{}",
                first.body["record_id"].as_str().unwrap()
            )),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("RECORD".into()),
        )
        .send()
        .await
        .unwrap();
    let again = register(&stack, &hr, own_number("E0222", N2)).await;
    assert_eq!(again.status, 201, "{}", again.raw);
    let second = register(&stack, &hr, own_number("E0222", N3)).await;
    assert_problem(&second, 409, "record_exists");
}

/// Takes a record out of the `by_owner` index, as a GSI that has not caught up would
/// show it: its index keys are removed from the item.
async fn hide_from_owner_index(stack: &Stack, record_id: &str) {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    stack
        .ddb()
        .update_item()
        .table_name(&stack.table)
        .key("pk", A::S(format!("T#acme#R#{record_id}")))
        .key("sk", A::S("RECORD".into()))
        .update_expression("REMOVE gsi1pk, gsi1sk")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_departure_reaches_a_record_the_owner_index_has_not_caught_up_with() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0301", N1)).await;
    let child = register(&stack, &hr, dependent("E0301", "長男", N2)).await;
    let child_id = child.body["record_id"].as_str().unwrap();
    hide_from_owner_index(&stack, child_id).await;
    let r = departure(&stack, "E0301", json!({"left_on": "2026-03-31"})).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let mut got: Vec<&str> = r.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["record_id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![own.body["record_id"].as_str().unwrap(), child_id];
    want.sort();
    assert_eq!(got, want, "both records get the due date");
    let items = stack.items_of_kind("record").await;
    assert!(
        items
            .iter()
            .all(|i| i.contains_key("due_on") && i.contains_key("due_pk")),
        "every record carries the due date and the due index keys"
    );
    // And a re-hire clears it from the hidden record too.
    let r = rehire(&stack, "E0301").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2);
    let items = stack.items_of_kind("record").await;
    assert!(items.iter().all(|i| !i.contains_key("due_on")));
}

/// The owner index lags behind the table: a departure planned from the index's copy of a
/// record is refused by the record's version condition and planned again from consistent
/// reads.
#[tokio::test]
async fn a_departure_read_from_a_lagging_index_is_planned_again_from_the_table() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0303", N1)).await;
    let child = register(&stack, &hr, dependent("E0303", "長女", N2)).await;
    let ddb = stack.ddb();
    let key = |id: &Value| {
        std::collections::HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(format!("T#acme#R#{}", id.as_str().unwrap())),
            ),
            ("sk".to_owned(), AttributeValue::S("RECORD".into())),
        ])
    };
    // The own number's index copy stays one version behind: a copy of the item under
    // another key keeps its old version in the index, the record itself moves on and
    // leaves the index.
    keep_a_lagging_copy(&stack, own.body["record_id"].as_str().unwrap()).await;
    ddb.update_item()
        .table_name(&stack.table)
        .set_key(Some(key(&own.body["record_id"])))
        .update_expression("SET version = version + :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    hide_from_owner_index(&stack, own.body["record_id"].as_str().unwrap()).await;
    let r = departure(&stack, "E0303", json!({"left_on": "2026-03-31"})).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let mut due: Vec<_> = r.body["records"].as_array().unwrap().clone();
    due.sort_by_key(|r| r["record_id"].as_str().unwrap().to_owned());
    let mut expected = vec![
        json!({"record_id": own.body["record_id"], "due_at": "2033-03-31"}),
        json!({"record_id": child.body["record_id"], "due_at": "2033-03-31"}),
    ];
    expected.sort_by_key(|r| r["record_id"].as_str().unwrap().to_owned());
    assert_eq!(due, expected);
    for id in [&own.body["record_id"], &child.body["record_id"]] {
        let item = ddb
            .get_item()
            .table_name(&stack.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(item["due_on"].as_s().unwrap(), "2033-03-31");
    }
}

/// A re-hire right after a departure, while the owner index still shows the record
/// without it: the record left alone for what its copy showed must still be as read, so
/// the re-hire is planned again from the table and the record's due date is cleared.
#[tokio::test]
async fn a_rehire_read_from_an_index_that_has_not_seen_the_departure_still_clears_it() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0304", N1)).await;
    let id = own.body["record_id"].as_str().unwrap();
    // The index's copy as it was before the departure.
    keep_a_lagging_copy(&stack, id).await;
    let r = departure(&stack, "E0304", json!({"left_on": "2026-03-31"})).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    hide_from_owner_index(&stack, id).await;
    let r = rehire(&stack, "E0304").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["records"],
        json!([{"record_id": id, "due_at": null}]),
        "the record's due date is cancelled"
    );
    let record = stack
        .items_of_kind("record")
        .await
        .into_iter()
        .find(|i| i["pk"].as_s().unwrap() == &format!("T#acme#R#{id}"))
        .unwrap();
    assert!(
        !record.contains_key("due_on") && !record.contains_key("due_pk"),
        "no due date is left for the purge"
    );
}

#[tokio::test]
async fn an_intake_between_a_departures_read_and_write_makes_the_write_fail() {
    use mynumber_domain::ports::{DepartureChange, Departures, EmployeeRead, UpdateError};
    use mynumber_domain::retention::RetentionRule;
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    register(&stack, &hr, own_number("E0302", N1)).await;
    let store = mynumber_aws::DynamoStore::new(stack.ddb(), &stack.table);
    let tenant = mynumber_domain::TenantId::parse("acme").unwrap();
    let employee = mynumber_domain::EmployeeId::parse("E0302").unwrap();
    let read = store
        .employee_records(&tenant, &employee, EmployeeRead::Quick)
        .await
        .unwrap();
    assert_eq!(read.records.len(), 1);
    // Another registrar adds a dependant now.
    let late = register(&stack, &hr, dependent("E0302", "長女", N2)).await;
    assert_eq!(late.status, 201);
    let departure = RetentionRule::new(7)
        .unwrap()
        .departure(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), None)
        .unwrap();
    let changes: Vec<DepartureChange> = read
        .records
        .iter()
        .map(|r| DepartureChange {
            record: r.clone(),
            departure: Some(departure),
        })
        .collect();
    let stale = store
        .set_departures(&tenant, &employee, Some(departure), &changes, &read)
        .await;
    assert_eq!(
        stale,
        Err(UpdateError::Concurrent),
        "the stale read must not win"
    );
    assert!(
        stack
            .items_of_kind("record")
            .await
            .iter()
            .all(|i| !i.contains_key("due_on")),
        "nothing was written"
    );
    // Through the API the departure reads again and reaches both records.
    let r = departure_call(&stack, "E0302").await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2);
}

async fn departure_call(stack: &Stack, employee: &str) -> Reply {
    departure(stack, employee, json!({"left_on": "2026-03-31"})).await
}

#[tokio::test]
async fn a_rehire_clears_the_departure_even_when_no_live_record_carries_it() {
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0303", N1)).await;
    departure(&stack, "E0303", json!({"left_on": "2026-03-31"})).await;
    // The only record is disposed of early; the employee's departure stays behind.
    let d = dispose(&stack, own.body["record_id"].as_str().unwrap(), "withdrawn").await;
    assert_eq!(d.status, 200, "{}", d.raw);
    let cancel = || async { rehire(&stack, "E0303").await };
    let r = cancel().await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["records"], json!([]));
    // Re-hired: a new record has no due date.
    let again = register(&stack, &hr, own_number("E0303", N2)).await;
    assert_eq!(again.status, 201, "{}", again.raw);
    assert!(again.body.get("due_at").is_none() || again.body["due_at"].is_null());
    let listed = list(&stack, &hr, "E0303").await;
    assert!(listed.body["items"][0].get("due_at").is_none());
    // Now there is nothing to cancel.
    assert_problem(&cancel().await, 404, "not_found");
}

/// A DynamoDB stream event with one REMOVE record per `(item, by_ttl)`: `by_ttl` says the
/// TTL process deleted it (the service identity); otherwise a delete through the API.
pub(crate) fn stream_event(
    removals: &[(
        &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
        bool,
    )],
) -> aws_lambda_events::dynamodb::Event {
    let records: Vec<Value> = removals
        .iter()
        .enumerate()
        .map(|(i, (item, by_ttl))| {
            let image: std::collections::HashMap<String, serde_dynamo::AttributeValue> = item
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            let image = serde_json::to_value(serde_dynamo::Item::from(image)).unwrap();
            let mut r = json!({
                "eventID": format!("ev-{i}"),
                "eventName": "REMOVE",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ap-northeast-1",
                "eventSourceARN": "arn:aws:dynamodb:ap-northeast-1:123456789012:table/t/stream/x",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_800_000_000,
                    "Keys": {"pk": image["pk"], "sk": image["sk"]},
                    "OldImage": image,
                    "SequenceNumber": format!("{}", 1000 + i),
                    "SizeBytes": 300,
                    "StreamViewType": "OLD_IMAGE"
                }
            });
            if *by_ttl {
                r["userIdentity"] =
                    json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
            }
            r
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// Keeps the record's item as it is now in the owner index: a copy under another key,
/// which the index goes on showing after the record itself changes.
async fn keep_a_lagging_copy(stack: &Stack, record_id: &str) {
    let mut copy = record_item(stack, record_id).await;
    copy.insert(
        "pk".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("LAGGING-COPY".into()),
    );
    stack
        .ddb()
        .put_item()
        .table_name(&stack.table)
        .set_item(Some(copy))
        .send()
        .await
        .unwrap();
}

pub(crate) async fn record_item(
    stack: &Stack,
    record_id: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    stack
        .ddb()
        .get_item()
        .table_name(&stack.table)
        .key("pk", A::S(format!("T#acme#R#{record_id}")))
        .key("sk", A::S("RECORD".into()))
        .send()
        .await
        .unwrap()
        .item()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_record_ttl_deleted_gets_its_disposal_record_from_the_stream() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    let stack = Stack::new().await;
    let hr = Who::registrar("acme");
    let own = register(&stack, &hr, own_number("E0310", N1)).await;
    let own_id = own.body["record_id"].as_str().unwrap().to_owned();
    let child = register(&stack, &hr, dependent("E0310", "長男", N2)).await;
    let child_id = child.body["record_id"].as_str().unwrap().to_owned();
    departure(&stack, "E0310", json!({"left_on": "2019-03-31"})).await;
    // TTL deletes the self record (the purge was down); the purge's own delete of the
    // child arrives on the stream too, without the service identity.
    let own_item = record_item(&stack, &own_id).await;
    let child_item = record_item(&stack, &child_id).await;
    stack
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .key("pk", A::S(format!("T#acme#R#{own_id}")))
        .key("sk", A::S("RECORD".into()))
        .send()
        .await
        .unwrap();
    let metrics = Arc::new(Mutex::new(Vec::new()));
    let backstop = stack.backstop(metrics.clone());
    let event = stream_event(&[(&own_item, true), (&child_item, false)]);
    let run = |event: aws_lambda_events::dynamodb::Event| {
        let mut ctx = lambda_runtime::Context::default();
        ctx.request_id = format!("backstop-{}", mynumber_tests::uuid_like());
        backstop.handle(lambda_runtime::LambdaEvent::new(event, ctx))
    };
    let summary = run(event.clone()).await.unwrap();
    assert_eq!(summary["recorded"], 1, "{summary}");
    assert_eq!(summary["ignored"], 1, "{summary}");
    let log = disposals(&stack, &Who::auditor("acme"), Some("E0310")).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", log.raw);
    assert_eq!(items[0]["record_id"], own_id.as_str());
    assert_eq!(items[0]["reason"], "ttl_backstop");
    assert_eq!(items[0]["disposed_by"], json!({"kind": "dynamodb_ttl"}));
    assert_eq!(items[0]["disposed_at"], "2027-01-15T08:00:00.000Z");
    // The slot and the membership entry went with it: the employee's partition holds
    // only the child's entry, and a new self record needs no replace.
    let partition: Vec<String> = stack
        .all_items()
        .await
        .iter()
        .filter(|i| i["pk"].as_s().unwrap() == "T#acme#E#E0310")
        .map(|i| i["sk"].as_s().unwrap().clone())
        .collect();
    assert!(
        !partition.contains(&"SLOT#self".to_owned()),
        "{partition:?}"
    );
    assert!(
        !partition.contains(&format!("REC#{own_id}")),
        "{partition:?}"
    );
    assert!(
        partition.contains(&format!("REC#{child_id}")),
        "{partition:?}"
    );
    // Delivered again (a retry): nothing new.
    let again = run(event).await.unwrap();
    assert_eq!(again["recorded"], 0);
    assert_eq!(again["already_recorded"], 1);
    assert_eq!(stack.items_of_kind("disposal").await.len(), 1);
    // One audit event, one metric line per batch with the count.
    let audited: Vec<Value> = stack
        .audit_events()
        .into_iter()
        .filter(|e| e["reason"] == "ttl_backstop")
        .collect();
    assert_eq!(audited.len(), 1);
    let lines = String::from_utf8(metrics.lock().unwrap().clone()).unwrap();
    let counts: Vec<u64> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["TtlBackstopDisposals"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![1, 0]);
    stack.assert_no_plaintext(&[N1, N2]).await;
}

//! IAM enforced: every function runs under an IAM role holding the policies
//! infra/template.yaml gives its role (read and resolved at test time, tests/src/iam.rs), on
//! a second moto server that checks each request's signature and the caller's policies.
//! What moto does not enforce is pinned down in `moto_gaps`, not here: those tests are
//! no coverage of the product.

use super::*;
use aws_sdk_dynamodb::types::AttributeValue as A;
use aws_sdk_kms::primitives::Blob;
use chrono::{TimeZone, Utc};
use mynumber_tests::iam::{
    Function, IamStack, Identity, Keys, Policies, assert_denied, enforcing, sdk_for,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(super) const TENANT: &str = "acme";

pub(super) fn reply(resp: lambda_http::Response<lambda_http::Body>) -> Reply {
    Reply::from_response(resp)
}

/// Registers `body` through `intake`; the new record's id.
pub(super) async fn registered(intake: &::intake::Intake, body: Value) -> String {
    let r = reply(
        intake
            .handle(
                req("POST", "/v1/records")
                    .who(&Who::registrar(TENANT))
                    .json(body)
                    .build(),
            )
            .await,
    );
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["record_id"].as_str().unwrap().to_owned()
}

pub(super) async fn departure(intake: &::intake::Intake, employee: &str, left_on: &str) -> Reply {
    reply(
        intake
            .handle(
                req("POST", &format!("/v1/employees/{employee}/departure"))
                    .who(&Who::registrar(TENANT))
                    .json(json!({ "left_on": left_on }))
                    .build(),
            )
            .await,
    )
}

pub(super) fn record_key(record_id: &str) -> HashMap<String, A> {
    HashMap::from([
        ("pk".into(), A::S(format!("T#{TENANT}#R#{record_id}"))),
        ("sk".into(), A::S("RECORD".into())),
    ])
}

/// A ciphertext of `plaintext` under the stack's number key, made by the admin.
pub(super) async fn ciphertext(stack: &IamStack, context: &[(&str, &str)]) -> Blob {
    let mut call = stack
        .kms()
        .encrypt()
        .key_id(&stack.data_key_arn)
        .plaintext(Blob::new(b"not a number".to_vec()));
    for (k, v) in context {
        call = call.encryption_context(*k, *v);
    }
    call.send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone()
}

// ------------------------------------------------------------------ the set-up itself

#[tokio::test]
async fn the_roles_policies_come_from_the_template_resolved_with_this_stack_s_arns() {
    let stack = IamStack::new().await;
    let d = &stack.deployment;
    let attr = |k: &str| d.attributes[k].clone();
    let statement = |f: Function, sid: &str| -> Value {
        stack
            .policies(f)
            .into_iter()
            .flat_map(|(_, doc)| doc["Statement"].as_array().unwrap().clone())
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("{f:?} has no statement {sid}"))
    };
    for f in [
        Function::Intake,
        Function::Review,
        Function::Lookup,
        Function::Purge,
        Function::Backstop,
    ] {
        let text = serde_json::to_string(&stack.policies(f)).unwrap();
        assert!(
            !text.contains("Fn::") && !text.contains("\"Ref\""),
            "{f:?}: {text}"
        );
    }
    // Both of intake's policies: the role's own and the separate AWS::IAM::Policy.
    let names: Vec<String> = stack
        .policies(Function::Intake)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["intake", "intake-kms"]);
    assert_eq!(
        statement(Function::Intake, "Records")["Resource"],
        attr("Table.Arn")
    );
    assert_eq!(
        statement(Function::Intake, "RecordsOfAnEmployee")["Resource"],
        format!("{}/index/by_owner", attr("Table.Arn"))
    );
    assert_eq!(
        statement(Function::Intake, "EncryptNumbersUnderRecordContext")["Resource"],
        stack.data_key_arn
    );
    assert_eq!(
        statement(Function::Intake, "IdempotencyFingerprints")["Resource"],
        stack.mac_key_arn
    );
    assert_eq!(
        statement(Function::Lookup, "DecryptNumbersUnderRecordContext")["Resource"],
        stack.data_key_arn
    );
    assert_eq!(
        statement(Function::Purge, "OwnLogGroup")["Resource"],
        format!(
            "arn:aws:logs:{}:{}:log-group:/aws/lambda/{}-purge:*",
            d.region, d.account, d.stack_name
        )
    );
    assert_eq!(
        statement(Function::Backstop, "ReadTheTableStream")["Resource"],
        attr("Table.StreamArn")
    );
    assert!(attr("Table.StreamArn").starts_with(&format!("{}/stream/", attr("Table.Arn"))));
    assert_eq!(
        statement(Function::Backstop, "FailedBatchesToTheDeadLetterQueue")["Resource"],
        format!(
            "arn:aws:sqs:{}:{}:{}-backstop-dlq",
            d.region, d.account, d.stack_name
        )
    );
    // The conditions reach moto as written.
    assert_eq!(
        statement(Function::Lookup, "WritesOnlyRevealTrailQuotaAndExports")["Condition"]["ForAllValues:StringLike"]
            ["dynamodb:LeadingKeys"],
        json!(["T#*#A#*", "T#*#Q#*", "T#*#X"])
    );
}

#[tokio::test]
async fn the_enforcing_server_refuses_keys_it_did_not_issue_and_wrong_signatures() {
    let refused = |body: &str, code: &str| {
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
    };
    let anyone = aws_sdk_dynamodb::Client::new(&sdk_for(&Keys::unknown()).await);
    let err = anyone.list_tables().send().await.unwrap_err();
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 403);
    refused(
        &String::from_utf8_lossy(raw.body().bytes().unwrap()),
        "InvalidClientTokenId",
    );
    let forged = Keys {
        secret_access_key: "not-the-secret".into(),
        ..enforcing().admin.clone()
    };
    let forged = aws_sdk_dynamodb::Client::new(&sdk_for(&forged).await);
    let err = forged.list_tables().send().await.unwrap_err();
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 403);
    refused(
        &String::from_utf8_lossy(raw.body().bytes().unwrap()),
        "SignatureDoesNotMatch",
    );
}

// ------------------------------------------------------------------ each function's happy path

#[tokio::test]
async fn intake_registers_departs_and_disposes_under_its_own_role() {
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let hr = Who::registrar(TENANT);
    let send = || {
        intake.handle(
            req("POST", "/v1/records")
                .who(&hr)
                .header("Idempotency-Key", "iam-1")
                .json(own_number("E0901", N1))
                .build(),
        )
    };
    let first = reply(send().await);
    assert_eq!(first.status, 201, "{}", first.raw);
    let again = reply(send().await);
    assert_eq!(again.status, 201, "{}", again.raw);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let child = registered(&intake, dependent("E0901", "長男", N2)).await;
    let left = departure(&intake, "E0901", "2026-04-01").await;
    assert_eq!(left.status, 200, "{}", left.raw);
    let disposed = reply(
        intake
            .handle(
                req("DELETE", &format!("/v1/records/{child}"))
                    .who(&hr)
                    .json(json!({"reason": "no_longer_needed"}))
                    .build(),
            )
            .await,
    );
    assert_eq!(disposed.status, 200, "{}", disposed.raw);
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
    assert_eq!(stack.items_of_kind("disposal").await.len(), 1);
}

#[tokio::test]
async fn lookup_lists_reveals_and_reads_disposals_under_its_own_role() {
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let lookup = stack.lookup(&stack.identity(Function::Lookup, Policies::ForMoto).await);
    let own = registered(&intake, own_number("E0902", N1)).await;
    let child = registered(&intake, dependent("E0902", "長女", N2)).await;
    let listed = reply(
        lookup
            .handle(
                req("GET", "/v1/records")
                    .who(&Who::registrar(TENANT))
                    .query("employee_id", "E0902")
                    .build(),
            )
            .await,
    );
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    let revealed = reply(
        lookup
            .handle(
                req("POST", &format!("/v1/records/{own}/reveal"))
                    .who(&Who::handler(TENANT))
                    .json(json!({"purpose": "withholding_tax"}))
                    .build(),
            )
            .await,
    );
    assert_eq!(revealed.status, 200, "{}", revealed.raw);
    assert_eq!(revealed.body["my_number"], N1);
    // The reveal's durable trail was written under lookup's role.
    let trail = format!("T#{TENANT}#A#");
    assert!(
        stack
            .all_items()
            .await
            .iter()
            .any(|i| i["pk"].as_s().unwrap().starts_with(&trail)),
        "no reveal trail item"
    );
    let disposed = reply(
        intake
            .handle(
                req("DELETE", &format!("/v1/records/{child}"))
                    .who(&Who::registrar(TENANT))
                    .json(json!({"reason": "withdrawn"}))
                    .build(),
            )
            .await,
    );
    assert_eq!(disposed.status, 200, "{}", disposed.raw);
    let log = reply(
        lookup
            .handle(
                req("GET", "/v1/disposals")
                    .who(&Who::auditor(TENANT))
                    .build(),
            )
            .await,
    );
    assert_eq!(log.status, 200, "{}", log.raw);
    assert_eq!(log.body["items"][0]["record_id"], child.as_str());
}

#[tokio::test]
async fn the_purge_disposes_of_a_due_record_under_its_own_role() {
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let purge = stack.purge(&stack.identity(Function::Purge, Policies::ForMoto).await);
    let id = registered(&intake, own_number("E0903", N1)).await;
    assert_eq!(departure(&intake, "E0903", "2026-04-01").await.status, 200);
    // Seven years on (due 2033-04-01), the record is due.
    let purge_day = Utc.with_ymd_and_hms(2034, 6, 1, 3, 0, 0).unwrap();
    stack.set_now(purge_day);
    let summary = stack
        .run_purge(&purge, purge_day + chrono::Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(summary["disposed"], 1, "{summary}");
    let record = stack
        .ddb()
        .get_item()
        .table_name(&stack.table)
        .set_key(Some(record_key(&id)))
        .send()
        .await
        .unwrap();
    assert!(record.item().is_none(), "the record is still there");
    let disposals = stack.items_of_kind("disposal").await;
    assert_eq!(disposals.len(), 1);
    assert_eq!(disposals[0]["record_id"].as_s().unwrap(), &id);
}

#[tokio::test]
async fn the_backstop_records_a_ttl_deletion_under_its_own_role() {
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let backstop_id = stack.identity(Function::Backstop, Policies::ForMoto).await;
    let id = registered(&intake, own_number("E0904", N1)).await;
    assert_eq!(departure(&intake, "E0904", "2019-03-31").await.status, 200);
    // DynamoDB TTL deletes the record (moto's TTL never does: the admin does it) and the
    // stream delivers its old image with the service's identity.
    let item = stack
        .ddb()
        .get_item()
        .table_name(&stack.table)
        .set_key(Some(record_key(&id)))
        .send()
        .await
        .unwrap()
        .item()
        .unwrap()
        .clone();
    stack
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .set_key(Some(record_key(&id)))
        .send()
        .await
        .unwrap();
    let image: HashMap<String, serde_dynamo::AttributeValue> =
        item.into_iter().map(|(k, v)| (k, v.into())).collect();
    let image = serde_json::to_value(serde_dynamo::Item::from(image)).unwrap();
    let event: aws_lambda_events::dynamodb::Event = serde_json::from_value(json!({
        "Records": [{
            "eventID": "ev-0",
            "eventName": "REMOVE",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": stack.deployment.region,
            "eventSourceARN": stack.deployment.attributes["Table.StreamArn"],
            "dynamodb": {
                "ApproximateCreationDateTime": 1_800_000_000,
                "Keys": {"pk": image["pk"], "sk": image["sk"]},
                "OldImage": image,
                "SequenceNumber": "1000",
                "SizeBytes": 300,
                "StreamViewType": "OLD_IMAGE"
            },
            "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        }]
    }))
    .unwrap();
    let backstop = stack.backstop(&backstop_id, Arc::new(Mutex::new(Vec::new())));
    let mut ctx = lambda_runtime::Context::default();
    ctx.request_id = format!("backstop-{}", mynumber_tests::uuid_like());
    let summary = backstop
        .handle(lambda_runtime::LambdaEvent::new(event, ctx))
        .await
        .unwrap();
    assert_eq!(summary["recorded"], 1, "{summary}");
    let disposals = stack.items_of_kind("disposal").await;
    assert_eq!(disposals.len(), 1);
    assert_eq!(disposals[0]["reason"].as_s().unwrap(), "ttl_backstop");
    // The slot went with it (a DeleteItem in the employee's partition).
    let slot = format!("T#{TENANT}#E#E0904");
    assert!(
        !stack
            .all_items()
            .await
            .iter()
            .any(|i| i["pk"].as_s().unwrap() == &slot && i["sk"].as_s().unwrap() == "SLOT#self"),
        "the slot is still there"
    );
}

// ------------------------------------------------------------------ what each role may not do

#[tokio::test]
async fn intake_s_role_cannot_decrypt() {
    let stack = IamStack::new().await;
    let intake = stack.identity(Function::Intake, Policies::ForMoto).await;
    let context = [("tenant_id", TENANT), ("record_id", "r1")];
    let blob = ciphertext(&stack, &context).await;
    let mut call = intake
        .kms()
        .decrypt()
        .key_id(&stack.data_key_arn)
        .ciphertext_blob(blob);
    for (k, v) in context {
        call = call.encryption_context(k, v);
    }
    assert_denied(call.send().await, "kms:Decrypt");
    // What it may do, it can: encrypt under the record context.
    let mut call = intake
        .kms()
        .encrypt()
        .key_id(&stack.data_key_arn)
        .plaintext(Blob::new(b"x".to_vec()));
    for (k, v) in context {
        call = call.encryption_context(k, v);
    }
    call.send().await.unwrap();
}

/// Encrypt, Decrypt and GenerateMac on the vault's keys are all denied to `identity`.
pub(super) async fn assert_no_kms(stack: &IamStack, identity: &Identity) {
    let kms = identity.kms();
    let context = [("tenant_id", TENANT), ("record_id", "r1")];
    let blob = ciphertext(stack, &context).await;
    assert_denied(
        kms.encrypt()
            .key_id(&stack.data_key_arn)
            .plaintext(Blob::new(b"x".to_vec()))
            .encryption_context("tenant_id", TENANT)
            .encryption_context("record_id", "r1")
            .send()
            .await,
        "kms:Encrypt",
    );
    assert_denied(
        kms.decrypt()
            .ciphertext_blob(blob)
            .encryption_context("tenant_id", TENANT)
            .encryption_context("record_id", "r1")
            .send()
            .await,
        "kms:Decrypt",
    );
    assert_denied(
        kms.generate_mac()
            .key_id(&stack.mac_key_arn)
            .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "kms:GenerateMac",
    );
}

#[tokio::test]
async fn the_purge_s_role_cannot_call_kms_at_all() {
    let stack = IamStack::new().await;
    let purge = stack.identity(Function::Purge, Policies::ForMoto).await;
    assert_no_kms(&stack, &purge).await;
}

/// The review opens links and decides on submissions under its own role, which holds no
/// KMS action: it never encrypts, decrypts or MACs a number.
#[tokio::test]
async fn the_review_opens_and_lists_links_under_its_own_role_which_cannot_call_kms() {
    let stack = IamStack::new().await;
    let identity = stack.identity(Function::Review, Policies::ForMoto).await;
    let review = stack.review(&identity);
    let hr = Who::registrar(TENANT);
    let opened = reply(
        review
            .handle(
                req("POST", "/v1/collections")
                    .who(&hr)
                    .json(json!({"employee_id": "E0950", "purposes": ["withholding_tax"]}))
                    .build(),
            )
            .await,
    );
    assert_eq!(opened.status, 201, "{}", opened.raw);
    let listed = reply(
        review
            .handle(req("GET", "/v1/collections").who(&hr).build())
            .await,
    );
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_no_kms(&stack, &identity).await;
}

/// The console serves pages and draws QR codes: its role reaches no record and no key.
#[tokio::test]
async fn the_console_s_role_reaches_no_record_and_no_key() {
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let id = registered(&intake, own_number("E0700", N1)).await;
    let console = stack.identity(Function::Console, Policies::ForMoto).await;
    assert_denied(
        console
            .ddb()
            .get_item()
            .table_name(&stack.table)
            .set_key(Some(record_key(&id)))
            .send()
            .await,
        "dynamodb:GetItem",
    );
    assert_denied(
        console.ddb().scan().table_name(&stack.table).send().await,
        "dynamodb:Scan",
    );
    let context = [("tenant_id", TENANT), ("record_id", id.as_str())];
    let blob = ciphertext(&stack, &context).await;
    let mut call = console.kms().decrypt().ciphertext_blob(blob);
    for (k, v) in context {
        call = call.encryption_context(k, v);
    }
    assert_denied(call.send().await, "kms:Decrypt");
}

#[tokio::test]
async fn lookup_s_role_cannot_delete_a_record() {
    let stack = IamStack::new().await;
    let intake = stack.intake(&stack.identity(Function::Intake, Policies::ForMoto).await);
    let lookup = stack.identity(Function::Lookup, Policies::ForMoto).await;
    let id = registered(&intake, own_number("E0905", N1)).await;
    let get = lookup
        .ddb()
        .get_item()
        .table_name(&stack.table)
        .set_key(Some(record_key(&id)))
        .send()
        .await
        .unwrap();
    assert!(get.item().is_some(), "lookup reads the record");
    assert_denied(
        lookup
            .ddb()
            .delete_item()
            .table_name(&stack.table)
            .set_key(Some(record_key(&id)))
            .send()
            .await,
        "dynamodb:DeleteItem",
    );
    assert_eq!(stack.items_of_kind("record").await.len(), 1);
}

#[tokio::test]
async fn the_backstop_s_role_cannot_decrypt() {
    let stack = IamStack::new().await;
    let backstop = stack.identity(Function::Backstop, Policies::ForMoto).await;
    let blob = ciphertext(&stack, &[("tenant_id", TENANT), ("record_id", "r1")]).await;
    assert_denied(
        backstop
            .kms()
            .decrypt()
            .ciphertext_blob(blob)
            .encryption_context("tenant_id", TENANT)
            .encryption_context("record_id", "r1")
            .send()
            .await,
        "kms:Decrypt",
    );
}

//! What moto does not enforce, pinned down: each test below shows a request moto allows
//! that AWS denies, with the cfn-guard rule in infra/guard/vault.guard (or the review) that
//! remains the check for it (docs/iam-in-the-emulator.md). These are facts about the
//! emulator, not coverage of the product. A test here fails once moto closes its gap: then
//! turn it into a refusal in `iam`.

use super::iam::{TENANT, ciphertext, record_key, reply};
use super::*;
use aws_sdk_dynamodb::types::AttributeValue as A;
use aws_sdk_kms::primitives::Blob;
use mynumber_tests::iam::{Function, IamStack, Policies, assert_denied};
use std::collections::HashMap;

/// moto authorises DynamoDB and KMS requests against the resource "*": a statement that
/// names an ARN never applies, so the template's policies as written allow nothing there
/// (AWS allows these calls). Hence `Policies::AnyResource`/`ForMoto`, and resource scoping
/// is not tested in moto. cfn-guard checks part of it: `backstop_never_decrypts` (no KMS
/// action on "*" or DataKey for the backstop); the rest is the template's review.
#[tokio::test]
async fn moto_applies_no_statement_that_names_an_arn() {
    let stack = IamStack::new().await;
    let lookup = stack.identity(Function::Lookup, Policies::AsWritten).await;
    assert_denied(
        lookup
            .ddb()
            .get_item()
            .table_name(&stack.table)
            .set_key(Some(record_key("r1")))
            .send()
            .await,
        "dynamodb:GetItem",
    );
    let intake = stack.identity(Function::Intake, Policies::AsWritten).await;
    assert_denied(
        intake
            .kms()
            .encrypt()
            .key_id(&stack.data_key_arn)
            .plaintext(Blob::new(b"x".to_vec()))
            .encryption_context("tenant_id", TENANT)
            .encryption_context("record_id", "r1")
            .send()
            .await,
        "kms:Encrypt",
    );
}

/// moto authorises TransactWriteItems as the action dynamodb:TransactWriteItems, which
/// IAM does not have: AWS authorises each item by PutItem, UpdateItem, DeleteItem or
/// ConditionCheckItem. With only the template's actions, intake cannot register in moto
/// (503, nothing stored); `Policies::ForMoto` adds the action where a per-item write is
/// allowed.
#[tokio::test]
async fn moto_authorises_a_transaction_as_transact_write_items() {
    let stack = IamStack::new().await;
    let identity = stack
        .identity(Function::Intake, Policies::AnyResource)
        .await;
    let intake = stack.intake(&identity);
    let r = reply(
        intake
            .handle(
                req("POST", "/v1/records")
                    .who(&Who::registrar(TENANT))
                    .json(own_number("E0906", N1))
                    .build(),
            )
            .await,
    );
    assert_problem(&r, 503, "dependency_failed");
    assert!(stack.all_items().await.is_empty());
    let put = aws_sdk_dynamodb::types::Put::builder()
        .table_name(&stack.table)
        .set_item(Some(record_key("r1")))
        .build()
        .unwrap();
    assert_denied(
        identity
            .ddb()
            .transact_write_items()
            .transact_items(
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .put(put)
                    .build(),
            )
            .send()
            .await,
        "dynamodb:TransactWriteItems",
    );
}

/// The template restricts lookup's, the purge's and the backstop's writes by partition key
/// (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`). moto does not evaluate that
/// condition: each write below is allowed there and denied in AWS. The checks that remain
/// are cfn-guard's `lookup_writes_only_trail_and_quota`,
/// `purge_writes_only_records_slots_disposals` and `backstop_writes_only_disposals`.
#[tokio::test]
async fn moto_does_not_enforce_leading_keys_conditions() {
    let stack = IamStack::new().await;
    let item = |pk: String| {
        HashMap::from([
            ("pk".to_owned(), A::S(pk)),
            ("sk".to_owned(), A::S("RECORD".into())),
        ])
    };
    let record = format!("T#{TENANT}#R#forged");
    // lookup may put only T#*#A#* and update only T#*#Q#*: a record and an employee item.
    let lookup = stack.identity(Function::Lookup, Policies::ForMoto).await;
    lookup
        .ddb()
        .put_item()
        .table_name(&stack.table)
        .set_item(Some(item(record.clone())))
        .send()
        .await
        .expect("moto allows lookup to put a record item (AWS denies it)");
    lookup
        .ddb()
        .update_item()
        .table_name(&stack.table)
        .set_key(Some(item(format!("T#{TENANT}#E#E0907"))))
        .update_expression("SET forged = :t")
        .expression_attribute_values(":t", A::Bool(true))
        .send()
        .await
        .expect("moto allows lookup to update an employee item (AWS denies it)");
    // The purge may put only disposal records (T#*#D).
    let purge = stack.identity(Function::Purge, Policies::ForMoto).await;
    purge
        .ddb()
        .put_item()
        .table_name(&stack.table)
        .set_item(Some(item(format!("T#{TENANT}#I#forged"))))
        .send()
        .await
        .expect("moto allows the purge to put an idempotency item (AWS denies it)");
    // The backstop may delete only employee items (T#*#E#*), never a record.
    let backstop = stack.identity(Function::Backstop, Policies::ForMoto).await;
    backstop
        .ddb()
        .delete_item()
        .table_name(&stack.table)
        .set_key(Some(item(record)))
        .send()
        .await
        .expect("moto allows the backstop to delete a record (AWS denies it)");
}

/// The template allows intake's Encrypt and lookup's Decrypt only under an encryption
/// context of exactly `tenant_id` and `record_id` (`kms:EncryptionContextKeys`, `Null`).
/// moto evaluates no condition on KMS requests: other contexts, or none, are allowed. No
/// cfn-guard rule checks these IAM conditions; `data_key_decrypt_only_lookup` checks the
/// same conditions on DataKey's key policy (which moto does not apply to Encrypt or
/// Decrypt either: see the next test), and the KMS adapters always send both keys (adapters).
#[tokio::test]
async fn moto_does_not_enforce_encryption_context_conditions() {
    let stack = IamStack::new().await;
    let intake = stack.identity(Function::Intake, Policies::ForMoto).await;
    for context in [&[("purpose", "other")][..], &[]] {
        let mut call = intake
            .kms()
            .encrypt()
            .key_id(&stack.data_key_arn)
            .plaintext(Blob::new(b"x".to_vec()));
        for (k, v) in context {
            call = call.encryption_context(*k, *v);
        }
        call.send()
            .await
            .expect("moto allows intake to encrypt under another context (AWS denies it)");
    }
    let lookup = stack.identity(Function::Lookup, Policies::ForMoto).await;
    let blob = ciphertext(&stack, &[("purpose", "other")]).await;
    lookup
        .kms()
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("purpose", "other")
        .send()
        .await
        .expect("moto allows lookup to decrypt under another context (AWS denies it)");
}

/// DataKey's key policy (from the template, resolved) lets only the intake role encrypt and
/// denies Decrypt to every principal but the lookup role (`NobodyElseDecrypts`). moto does
/// not apply key policies to Encrypt or Decrypt: the admin user does both (AWS denies
/// both). cfn-guard's `data_key_decrypt_only_lookup` and
/// `key_policy_decrypt_only_lookup_or_services` remain the checks.
#[tokio::test]
async fn moto_does_not_apply_the_number_key_s_policy_to_decrypt() {
    let stack = IamStack::new().await;
    let policy = stack.template.resolve(
        &stack.template.resource("DataKey")["Properties"]["KeyPolicy"],
        &stack.deployment,
    );
    let key = stack
        .kms()
        .create_key()
        .policy(policy.to_string())
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
    let blob = stack
        .kms()
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"x".to_vec()))
        .encryption_context("tenant_id", TENANT)
        .encryption_context("record_id", "r1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone();
    stack
        .kms()
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("tenant_id", TENANT)
        .encryption_context("record_id", "r1")
        .send()
        .await
        .expect("moto lets the admin decrypt under a key policy that denies it (AWS denies it)");
}

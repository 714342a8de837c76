//! `mynumber-bootstrap`: creates the local stack's table, keys, documents bucket, mail
//! identity and log groups on the emulator named by `AWS_ENDPOINT_URL`, and prints the
//! settings as `KEY=value` lines for the local scripts to pass to the functions.

use mynumber_aws::bootstrap::*;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| "mynumber-vault".into());
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
    if endpoint.is_none() {
        eprintln!("AWS_ENDPOINT_URL is not set: refusing to create resources in a real account");
        std::process::exit(2);
    }
    let config = mynumber_aws::sdk_config(endpoint.as_deref()).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let kms = aws_sdk_kms::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket =
        std::env::var("DOCUMENTS_BUCKET").unwrap_or_else(|_| "mynumber-vault-documents".into());
    // The form's origin (`make dev`), the only one allowed to PUT photos.
    let origin =
        std::env::var("PUBLIC_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
    // The sender's address (`make dev` reads what it sent from moto).
    let mail_from =
        std::env::var("MAIL_FROM").unwrap_or_else(|_| "no-reply@vault.example.test".into());
    let ses = aws_sdk_sesv2::Client::new(&config);
    let result = async {
        ensure_mail_identity(&ses, &mail_from).await?;
        ensure_table(&ddb, &table).await?;
        let key = ensure_encryption_key(&kms, "alias/mynumber-vault").await?;
        let mac = ensure_mac_key(&kms, "alias/mynumber-vault-idempotency").await?;
        let documents_key = ensure_encryption_key(&kms, "alias/mynumber-vault-documents").await?;
        ensure_documents_bucket(&s3, &bucket, &documents_key, &[&origin]).await?;
        let certificate_key =
            ensure_certificate_key(&kms, "alias/mynumber-vault-certificates").await?;
        for f in [
            "intake", "review", "lookup", "collect", "purge", "backstop", "notify", "certify",
        ] {
            ensure_log_group(&logs, &format!("/aws/lambda/mynumber-vault-{f}"), 400).await?;
        }
        Ok::<_, BootstrapError>((key, mac, certificate_key))
    }
    .await;
    match result {
        Ok((key, mac, certificate_key)) => {
            println!("TABLE_NAME={table}");
            println!("KMS_KEY_ID={key}");
            println!("MAC_KEY_ID={mac}");
            println!("CERTIFICATE_KEY_ID={certificate_key}");
            println!("DOCUMENTS_BUCKET={bucket}");
            println!("MAIL_FROM={mail_from}");
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

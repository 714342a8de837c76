//! `mynumber-bootstrap`: creates the local stack's table, keys and log groups on the
//! emulator named by `AWS_ENDPOINT_URL`, and prints the settings as `KEY=value` lines for
//! the local scripts to pass to the functions.

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
    let result = async {
        ensure_table(&ddb, &table).await?;
        let key = ensure_encryption_key(&kms, "alias/mynumber-vault").await?;
        let mac = ensure_mac_key(&kms, "alias/mynumber-vault-idempotency").await?;
        for f in ["intake", "lookup", "purge"] {
            ensure_log_group(&logs, &format!("/aws/lambda/mynumber-vault-{f}"), 400).await?;
        }
        Ok::<_, BootstrapError>((key, mac))
    }
    .await;
    match result {
        Ok((key, mac)) => {
            println!("TABLE_NAME={table}");
            println!("KMS_KEY_ID={key}");
            println!("MAC_KEY_ID={mac}");
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

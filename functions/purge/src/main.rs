use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mynumber_aws::Settings;
use mynumber_logging::{self as logging, StdoutAudit};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let settings = Settings::from_env()?;
    let margin_secs: i64 = std::env::var("PURGE_DEADLINE_MARGIN_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let vault = mynumber_aws::purge_service(&settings, Arc::new(StdoutAudit)).await?;
    let purge = &purge::Purge::new(vault, chrono::Duration::seconds(margin_secs));
    run(service_fn(move |event: LambdaEvent<_>| async move {
        purge.handle(event).await.map_err(Error::from)
    }))
    .await
}

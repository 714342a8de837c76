use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mynumber_aws::Settings;
use mynumber_logging::{self as logging, StdoutAudit};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let settings = Settings::from_env()?;
    let vault = mynumber_aws::backstop_service(&settings, Arc::new(StdoutAudit)).await;
    let backstop = &backstop::Backstop::new(vault);
    run(service_fn(move |event: LambdaEvent<_>| async move {
        backstop.handle(event).await.map_err(Error::from)
    }))
    .await
}

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mynumber_aws::Settings;
use mynumber_logging::{self as logging, StdoutAudit};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let settings = Settings::from_env()?;
    let (reminders, digests, notifier) =
        mynumber_aws::notify_service(&settings, Arc::new(StdoutAudit)).await?;
    let notify = &notify::Notify::new(reminders, digests, notifier);
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            notify.handle(event.payload).await.map_err(Error::from)
        },
    ))
    .await
}

use lambda_http::{Error, Request, run, service_fn};
use mynumber_aws::Settings;
use mynumber_http::logging::{self, StdoutAudit};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let settings = Settings::from_env()?;
    let (service, storage_origin) =
        mynumber_aws::submission_service(&settings, Arc::new(StdoutAudit)).await?;
    let app = &collect::Collect::new(service, &storage_origin);
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(app.handle(req).await)
    }))
    .await
}

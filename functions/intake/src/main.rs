use lambda_http::{Error, Request, run, service_fn};
use mynumber_aws::Settings;
use mynumber_http::Authenticator;
use mynumber_http::logging::{self, StdoutAudit};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let settings = Settings::from_env()?;
    let auth = Authenticator::from_env()?;
    let vault = mynumber_aws::intake_service(&settings, Arc::new(StdoutAudit)).await?;
    let review = mynumber_aws::review_service(&settings, Arc::new(StdoutAudit)).await?;
    let app = &intake::Intake::new(vault, review, auth);
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(app.handle(req).await)
    }))
    .await
}

use lambda_http::{Error, Request};
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
    mynumber_http::serve(move |req: Request| app.handle(req)).await
}

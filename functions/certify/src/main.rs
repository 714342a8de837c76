use lambda_http::{Error, Request};
use mynumber_aws::Settings;
use mynumber_http::Authenticator;
use mynumber_http::logging::{self, StdoutAudit};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let settings = Settings::from_env()?;
    let auth = Authenticator::from_env()?;
    let vault = mynumber_aws::certificate_service(&settings, Arc::new(StdoutAudit)).await?;
    let app = &certify::Certify::new(vault, auth);
    mynumber_http::serve(move |req: Request| app.handle(req)).await
}

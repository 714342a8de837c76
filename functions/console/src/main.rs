use lambda_http::{Error, Request, run, service_fn};
use mynumber_http::logging;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let app = &console::Console::new(console::Settings::from_env()?);
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(app.handle(req))
    }))
    .await
}

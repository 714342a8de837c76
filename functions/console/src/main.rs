use lambda_http::{Error, Request};
use mynumber_http::logging;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let app = &console::Console::new(console::Settings::from_env()?);
    mynumber_http::serve(move |req: Request| std::future::ready(app.handle(req))).await
}

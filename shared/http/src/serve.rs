//! The API functions' Lambda loop.

use lambda_http::{Body, Error, IntoResponse, Request, Response, service_fn};
use std::future::{Future, ready};
use std::pin::Pin;

/// A response handed to API Gateway as the handler built it. `Response<Body>`'s own
/// `IntoResponse` re-reads every body through a charset decoder that links the tables of
/// every legacy encoding (about 150 KB of each zip) to turn into text what the handlers
/// already built as text.
struct AsBuilt(Response<Body>);

impl IntoResponse for AsBuilt {
    fn into_response(self) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(ready(self.0))
    }
}

/// Runs `handler` for every request until the runtime stops.
pub async fn serve<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(Request) -> F,
    F: Future<Output = Response<Body>> + Send,
{
    lambda_http::run(service_fn(move |req: Request| {
        let reply = handler(req);
        async move { Ok::<_, Error>(AsBuilt(reply.await)) }
    }))
    .await
}

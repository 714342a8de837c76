//! The API functions' Lambda loop.

use crate::routes::Route;
use crate::transport::ApiError;
use lambda_http::{Body, Error, IntoResponse, Request, Response, service_fn};
use mynumber_domain::Caller;
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

/// An API function: its route table, how it finds its caller, and what each route does.
/// [`handle`] is the one request shell every API function runs on.
pub trait Api: Sync {
    type Op: Copy + Send + Sync + 'static;

    /// The function's routes (its `ROUTES`): its router and its 404s and 405s.
    fn routes(&self) -> &'static [Route<Self::Op>];

    /// Who calls: the verified principal, or the anonymous employee with a link.
    fn caller(&self, req: &Request) -> impl Future<Output = Caller> + Send;

    /// One routed request: `params` are the path template's parameters, in order.
    fn call(
        &self,
        op: Self::Op,
        params: &[&str],
        req: &Request,
        caller: &Caller,
    ) -> impl Future<Output = Result<Response<Body>, ApiError>> + Send;
}

/// The shell of every API request: the caller, the route, the operation, and any error
/// rendered once as a problem.
pub async fn handle<A: Api>(api: &A, req: Request) -> Response<Body> {
    let caller = api.caller(&req).await;
    let result = match crate::routes::route_request(api.routes(), &req) {
        Ok((op, params)) => api.call(op, &params, &req, &caller).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| crate::problem(&e, &caller))
}

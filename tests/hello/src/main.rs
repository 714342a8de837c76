//! Hello world on the Lambda runtime: echoes its event. `make bench` times its init (process
//! start to the first poll of the runtime API) next to the functions'.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(event.payload) },
    ))
    .await
}

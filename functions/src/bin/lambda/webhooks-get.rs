//! Lambda function `webhooks-get`: GET /v2/webhooks/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-get", smartenroll_api::handler!(smartenroll_api::webhooks::get), aws::WEBHOOK_STORE).await
}

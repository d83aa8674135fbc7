//! Lambda function `webhooks-test`: POST /v2/webhooks/{id}/test.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-test", smartenroll_api::handler!(smartenroll_api::webhooks::ping), aws::WEBHOOK_QUEUE).await
}

//! Lambda function `webhooks-deliveries`: GET /v2/webhooks/{id}/deliveries.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-deliveries", smartenroll_api::handler!(smartenroll_api::webhooks::deliveries), aws::WEBHOOK_STORE).await
}

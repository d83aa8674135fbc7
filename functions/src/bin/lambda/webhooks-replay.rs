//! Lambda function `webhooks-replay`: POST /v2/webhooks/{id}/deliveries/{deliveryId}/replay.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-replay", smartenroll_api::handler!(smartenroll_api::webhooks::replay), aws::WEBHOOK_QUEUE).await
}

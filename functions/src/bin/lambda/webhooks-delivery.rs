//! Lambda function `webhooks-delivery`: GET /v2/webhooks/{id}/deliveries/{deliveryId}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-delivery", smartenroll_api::handler!(smartenroll_api::webhooks::delivery), aws::WEBHOOK_STORE).await
}

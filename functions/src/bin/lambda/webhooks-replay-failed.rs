//! Lambda function `webhooks-replay-failed`: POST /v2/webhooks/{id}/replay-failed.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-replay-failed", smartenroll_api::handler!(smartenroll_api::webhooks::replay_failed), aws::WEBHOOK_QUEUE).await
}

//! Lambda function `webhooks-delete`: DELETE /v2/webhooks/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-delete", smartenroll_api::handler!(smartenroll_api::webhooks::delete), aws::WEBHOOK_STORE).await
}

//! Lambda function `hosted-page`: GET /sign-up/{projectId} and GET /sign-up/assets/{file}: the hosted onboarding page (no token).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("hosted-page", smartenroll_api::handler!(smartenroll_api::page::serve), aws::PAGE).await
}

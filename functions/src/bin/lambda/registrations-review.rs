//! Lambda function `registrations-review`: POST /v2/app-registrations/{id}/review.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-review", smartenroll_api::handler!(smartenroll_api::checks::review), aws::TABLE_ONLY).await
}

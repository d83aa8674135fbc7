//! Lambda function `registrations-sync`: PUT /v2/app-registrations/{id}/sync.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-sync", smartenroll_api::handler!(smartenroll_api::checks::sync), aws::TABLE_ONLY).await
}

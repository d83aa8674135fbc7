//! Lambda function `registrations-list`: GET /v2/app-registrations.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-list", smartenroll_api::handler!(smartenroll_api::registrations::list), aws::TABLE_ONLY).await
}

//! Lambda function `registrations-create`: POST /v2/app-registrations.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-create", smartenroll_api::handler!(smartenroll_api::registrations::create), aws::WITH_BLACKLIST).await
}

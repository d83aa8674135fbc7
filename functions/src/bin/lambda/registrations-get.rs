//! Lambda function `registrations-get`: GET /v2/app-registrations/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-get", smartenroll_api::handler!(smartenroll_api::registrations::get), aws::TABLE_ONLY).await
}

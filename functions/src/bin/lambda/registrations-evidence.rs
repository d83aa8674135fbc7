//! Lambda function `registrations-evidence`: GET /v2/app-registrations/{id}/evidence.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-evidence", smartenroll_api::handler!(smartenroll_api::evidence::links), aws::WITH_BLOBS).await
}

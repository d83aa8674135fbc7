//! Lambda function `registrations-delete`: DELETE /v2/app-registrations/{id} (erasure).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-delete", smartenroll_api::handler!(smartenroll_api::registrations::delete), aws::WITH_BLOBS).await
}

//! Lambda function `biometric-validations-submit`: POST /v2/biometric-validations/app-registration.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("biometric-validations-submit", smartenroll_api::handler!(smartenroll_api::checks::submit_selfie), aws::WITH_BLOBS)
        .await
}

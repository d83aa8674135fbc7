//! Lambda function `document-validations-submit`: POST /v2/document-validations/app-registration.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("document-validations-submit", smartenroll_api::handler!(smartenroll_api::checks::submit_document), aws::WITH_BLOBS)
        .await
}

//! Lambda function `registrations-evidence`: GET /v2/app-registrations/{id}/evidence.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda(
        "registrations-evidence",
        smartenroll_api::handler!(smartenroll_api::evidence::links),
        aws::Wiring { blobs: aws::s3_from_env, jobs: aws::no_jobs, messenger: None, blacklist: None },
    )
    .await
}

//! Lambda function `registrations-resend-link`: POST /v2/app-registrations/{id}/resend-link.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda(
        "registrations-resend-link",
        smartenroll_api::handler!(smartenroll_api::registrations::resend_link),
        aws::WITH_MESSENGER,
    )
    .await
}

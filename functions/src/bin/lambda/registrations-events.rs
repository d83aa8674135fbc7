//! Lambda function `registrations-events`: GET /v2/app-registrations/{id}/events.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-events", smartenroll_api::handler!(smartenroll_api::registrations::events), aws::TABLE_ONLY).await
}

//! Lambda function `registrations-handoff`: POST /v2/app-registrations/{id}/handoff (enrollee token).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("registrations-handoff", smartenroll_api::handler!(smartenroll_api::registrations::handoff), aws::TABLE_ONLY).await
}

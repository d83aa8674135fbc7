//! Lambda function `projects-public`: GET /v2/projects/kyc (no token).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("projects-public", smartenroll_api::handler!(smartenroll_api::public::project_view), aws::TABLE_ONLY).await
}

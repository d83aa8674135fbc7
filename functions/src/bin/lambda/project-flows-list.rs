//! Lambda function `project-flows-list`: GET /v2/project-flows.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("project-flows-list", smartenroll_api::handler!(smartenroll_api::flows::list), aws::TABLE_ONLY).await
}

//! Lambda function `projects-list`: GET /v3/projects, GET /v2/projects.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("projects-list", smartenroll_api::handler!(smartenroll_api::projects::list), aws::TABLE_ONLY).await
}

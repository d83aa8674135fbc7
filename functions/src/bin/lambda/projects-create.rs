//! Lambda function `projects-create`: POST /v3/projects, POST /v2/projects.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("projects-create", smartenroll_api::handler!(smartenroll_api::projects::create), aws::PROJECT_CREATE).await
}

//! Lambda function `project-flows-create`: POST /v2/project-flows.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("project-flows-create", smartenroll_api::handler!(smartenroll_api::flows::create), aws::WITH_BLACKLIST).await
}

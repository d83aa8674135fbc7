//! Lambda function `project-flows-update`: PUT /v2/project-flows/{id} and /v3/project-flows/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("project-flows-update", smartenroll_api::handler!(smartenroll_api::flows::update), aws::WITH_BLACKLIST).await
}

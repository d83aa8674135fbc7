//! Lambda function `project-flows-get`: GET /v2/project-flows/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("project-flows-get", smartenroll_api::handler!(smartenroll_api::flows::get), aws::TABLE_ONLY).await
}

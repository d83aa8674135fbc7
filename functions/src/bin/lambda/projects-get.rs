//! Lambda function `projects-get`: GET /v3/projects/{id}, GET /v2/projects/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("projects-get", smartenroll_api::handler!(smartenroll_api::projects::get), aws::TABLE_ONLY).await
}

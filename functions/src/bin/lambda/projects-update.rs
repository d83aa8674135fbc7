//! Lambda function `projects-update`: PUT /v3/projects/{id}, PUT /v2/projects/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("projects-update", smartenroll_api::handler!(smartenroll_api::projects::update), aws::PROJECT_UPDATE).await
}

//! Lambda function `projects-delete`: DELETE /v3/projects/{id}, DELETE /v2/projects/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("projects-delete", smartenroll_api::handler!(smartenroll_api::projects::delete), aws::TABLE_ONLY).await
}

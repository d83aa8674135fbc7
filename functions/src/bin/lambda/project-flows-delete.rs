//! Lambda function `project-flows-delete`: DELETE /v3/project-flows/{id} and /v2/project-flows/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("project-flows-delete", smartenroll_api::handler!(smartenroll_api::flows::delete), aws::TABLE_ONLY).await
}

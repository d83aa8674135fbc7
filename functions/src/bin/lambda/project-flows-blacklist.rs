//! Lambda function `project-flows-blacklist`: PUT /v2/project-flows/{id}/blacklist.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("project-flows-blacklist", smartenroll_api::handler!(smartenroll_api::blocklist::replace), aws::TABLE_ONLY).await
}

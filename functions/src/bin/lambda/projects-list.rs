//! Lambda function `projects-list`: GET /v3/projects, GET /v2/projects.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smartenroll_functions::aws::run_lambda("projects-list").await
}

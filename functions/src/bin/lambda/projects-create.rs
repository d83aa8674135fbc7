//! Lambda function `projects-create`: POST /v3/projects, POST /v2/projects.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smartenroll_functions::aws::run_lambda("projects-create").await
}

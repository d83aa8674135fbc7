//! Lambda function `projects-update`: PUT /v3/projects/{id}, PUT /v2/projects/{id}.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smartenroll_functions::aws::run_lambda("projects-update").await
}

//! Lambda function `auth-session`: GET /v2/auth/session.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smartenroll_functions::aws::run_lambda("auth-session").await
}

//! Lambda function `auth-renew-and-revoke`: POST /v2/auth/renew-and-revoke.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    smartenroll_functions::aws::run_lambda("auth-renew-and-revoke").await
}

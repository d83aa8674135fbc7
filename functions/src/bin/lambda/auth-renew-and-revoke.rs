//! Lambda function `auth-renew-and-revoke`: POST /v2/auth/renew-and-revoke.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("auth-renew-and-revoke", smartenroll_api::handler!(smartenroll_api::auth::renew_and_revoke), aws::TABLE_ONLY).await
}

//! Lambda function `auth-session`: GET /v2/auth/session.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("auth-session", smartenroll_api::handler!(smartenroll_api::auth::session), aws::TABLE_ONLY).await
}

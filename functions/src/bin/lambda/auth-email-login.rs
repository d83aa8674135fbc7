//! Lambda function `auth-email-login`: POST /v2/projects/email-login (an operator's passwordless login; no token).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("auth-email-login", smartenroll_api::handler!(smartenroll_api::login::email_login), aws::WITH_MESSENGER).await
}

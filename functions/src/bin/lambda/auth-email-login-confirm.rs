//! Lambda function `auth-email-login-confirm`: POST /v2/projects/email-login/confirm (an operator's passwordless login; no token).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("auth-email-login-confirm", smartenroll_api::handler!(smartenroll_api::login::email_confirm), aws::TABLE_ONLY).await
}

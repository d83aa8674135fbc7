//! Lambda function `auth-phone-login-confirm`: POST /v2/projects/phone-login/confirm (an operator's passwordless login; no token).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("auth-phone-login-confirm", smartenroll_api::handler!(smartenroll_api::login::phone_confirm), aws::TABLE_ONLY).await
}

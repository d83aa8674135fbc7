//! Lambda function `email-validations-send`: POST /v2/email-validations/app-registration.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("email-validations-send", smartenroll_api::handler!(smartenroll_api::validations::email_send), aws::WITH_MESSENGER)
        .await
}

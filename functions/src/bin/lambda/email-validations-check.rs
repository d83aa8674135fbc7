//! Lambda function `email-validations-check`: PUT /v2/email-validations/{id}.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("email-validations-check", smartenroll_api::handler!(smartenroll_api::validations::email_check), aws::TABLE_ONLY).await
}

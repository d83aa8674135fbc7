//! Lambda function `phone-validations-check`: PUT /v2/phone-validations.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("phone-validations-check", smartenroll_api::handler!(smartenroll_api::validations::phone_check), aws::TABLE_ONLY).await
}

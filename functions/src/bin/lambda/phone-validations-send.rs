//! Lambda function `phone-validations-send`: POST /v2/phone-validations/app-registration.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("phone-validations-send", smartenroll_api::handler!(smartenroll_api::validations::phone_send), aws::WITH_MESSENGER)
        .await
}

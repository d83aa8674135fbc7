//! Lambda function `face-compare-app-registration`: POST /v2/face-recognition/compare/app-registration.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda(
        "face-compare-app-registration",
        smartenroll_api::handler!(smartenroll_api::face_api::app_registration),
        aws::WITH_FACES_AND_BLOBS,
    )
    .await
}

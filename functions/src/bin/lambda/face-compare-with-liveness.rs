//! Lambda function `face-compare-with-liveness`: POST /v2/face-recognition/compare-with-liveness.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda(
        "face-compare-with-liveness",
        smartenroll_api::handler!(smartenroll_api::face_api::compare_with_liveness),
        aws::WITH_FACES,
    )
    .await
}

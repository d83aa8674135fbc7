//! Lambda function `face-liveness-challenge`: POST /v2/face-recognition/liveness/challenge.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("face-liveness-challenge", smartenroll_api::handler!(smartenroll_api::face_api::challenge), aws::TABLE_ONLY).await
}

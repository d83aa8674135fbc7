//! Lambda function `face-liveness`: POST /v2/face-recognition/liveness.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("face-liveness", smartenroll_api::handler!(smartenroll_api::face_api::liveness), aws::WITH_FACES).await
}

//! Lambda function `face-compare`: POST /v2/face-recognition/compare.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("face-compare", smartenroll_api::handler!(smartenroll_api::face_api::compare), aws::WITH_FACES).await
}

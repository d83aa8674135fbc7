//! Lambda function `evidence-download`: GET /v2/evidence/{ticket} (the ticket is the credential).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("evidence-download", smartenroll_api::handler!(smartenroll_api::evidence::download), aws::WITH_BLOBS).await
}

//! Lambda function `jobs-worker`: consumes the jobs queue (SQS event source, partial batch failures).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    smartenroll_functions::worker::run_lambda_worker().await
}

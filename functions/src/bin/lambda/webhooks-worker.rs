//! Lambda function `webhooks-worker`: consumes the webhooks queue (SQS event source, partial batch
//! failures): one signed attempt per message, retries re-queued with their delay.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    smartenroll_functions::worker::run_lambda_webhooks_worker().await
}

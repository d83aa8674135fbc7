//! Lambda function `outbox-relay`: on a schedule, sends the jobs a crash left in the DynamoDB
//! outbox to the jobs queue.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    smartenroll_functions::worker::run_outbox_relay().await
}

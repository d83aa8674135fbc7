//! Lambda function `registrations-expire`: on a schedule, marks unfinished registrations past
//! their lifetime as EXPIRED.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    smartenroll_functions::worker::run_expiry_sweeper().await
}

//! Lambda function `projects-delete`: DELETE /v3/projects/{id}, DELETE /v2/projects/{id}.

use smartenroll_functions::aws;
use smartenroll_functions::aws::Wiring;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda(
        "projects-delete",
        smartenroll_api::handler!(smartenroll_api::projects::delete),
        Wiring { blobs: aws::no_blobs, jobs: aws::sqs_from_env, messenger: None, blacklist: None },
    )
    .await
}

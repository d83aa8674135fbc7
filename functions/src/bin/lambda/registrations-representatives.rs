//! Lambda function `registrations-representatives`: POST /v2/app-registrations/{id}/representatives
//! (client token, or the business applicant's enrollee token): invites a representative (KYB).

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda(
        "registrations-representatives",
        smartenroll_api::handler!(smartenroll_api::registrations::invite_representative),
        aws::TABLE_ONLY,
    )
    .await
}

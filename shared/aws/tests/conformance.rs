//! The domain's port conformance suites against the DynamoDB adapter, talking to a local
//! AWS-protocol server (moto) that `scripts/test` starts and points `AWS_ENDPOINT_URL` at.
//! Each test gets its own table. The helper refuses any endpoint that is not on loopback, so a
//! misconfigured environment can never reach real AWS.

use smartenroll_aws::dynamo::DynamoStore;
use smartenroll_domain::conformance as suite;

async fn store() -> DynamoStore {
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL must point at the local AWS-protocol server (scripts/test sets it)");
    assert!(
        endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:"),
        "refusing a non-loopback AWS endpoint: {endpoint}"
    );
    let conf = smartenroll_aws::sdk_config().await;
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&conf), format!("conformance-{}", hex::encode(suffix)));
    store.create_table().await.expect("create table");
    store
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_a_stored_project_reads_back_equal() {
    suite::a_stored_project_reads_back_equal(&store().await, 1).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_another_clients_project_is_invisible() {
    suite::another_clients_project_is_invisible(&store().await, 2).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_a_replace_with_a_stale_version_is_a_conflict() {
    suite::a_replace_with_a_stale_version_is_a_conflict(&store().await, 3).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_lists_are_newest_first_filtered_and_paginated() {
    suite::lists_are_newest_first_filtered_and_paginated(&store().await, 4).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_clients_are_stored_and_versioned() {
    suite::clients_are_stored_and_versioned(&store().await, 5).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_the_request_over_the_limit_is_refused_and_the_next_window_starts_fresh() {
    suite::the_request_over_the_limit_is_refused_and_the_next_window_starts_fresh(&store().await, 6).await;
}

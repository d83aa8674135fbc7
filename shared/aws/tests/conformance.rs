//! The domain's port conformance suites against the DynamoDB adapter, talking to a local
//! AWS-protocol server (moto) that `scripts/test` starts and points `AWS_ENDPOINT_URL` at.
//! Each test gets its own table. The helper refuses any endpoint that is not on loopback, so a
//! misconfigured environment can never reach real AWS.

use smartenroll_aws::dynamo::DynamoStore;
use smartenroll_aws::s3::S3Blobs;
use smartenroll_aws::sqs::SqsQueue;
use smartenroll_domain::blob::{Blob, BlobKey, PRESIGN_MAX_SECONDS};
use smartenroll_domain::conformance as suite;
use smartenroll_domain::ports::BlobStore;

fn local_endpoint() {
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL must point at the local AWS-protocol server (scripts/test sets it)");
    assert!(
        endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:"),
        "refusing a non-loopback AWS endpoint: {endpoint}"
    );
}

/// A name no other test (or earlier run against the same server) uses.
fn unique(prefix: &str) -> String {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    format!("{prefix}-{}", hex::encode(suffix))
}

async fn store() -> DynamoStore {
    local_endpoint();
    let conf = smartenroll_aws::sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&conf), unique("conformance"));
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
async fn dynamodb_project_and_flow_ids_are_located_while_they_exist() {
    suite::project_and_flow_ids_are_located_while_they_exist(&store().await, 71).await;
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

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_a_client_request_is_counted_only_with_a_current_token() {
    let store = store().await;
    suite::a_client_request_is_counted_only_with_a_current_token(&store, &store, 13).await;
}

async fn bucket() -> S3Blobs {
    local_endpoint();
    let blobs = S3Blobs::from_conf(&smartenroll_aws::sdk_config().await, unique("conformance"));
    blobs.create_bucket().await.expect("create bucket");
    blobs
}

async fn queue(max_receives: u32) -> SqsQueue {
    local_endpoint();
    let sqs = aws_sdk_sqs::Client::new(&smartenroll_aws::sdk_config().await);
    SqsQueue::create(sqs, &unique("conformance"), max_receives).await.expect("create queues")
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn s3_blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted() {
    suite::blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted(&bucket().await, 7).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn s3_deleting_a_folder_removes_exactly_that_folder() {
    suite::deleting_a_folder_removes_exactly_that_folder(&bucket().await, 8).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn s3_objects_are_stored_with_server_side_encryption() {
    let blobs = bucket().await;
    let key = BlobKey::new(&suite::client_id(9, 1), "selfie.jpg").expect("key");
    blobs.put(&key, Blob { content_type: "image/jpeg".into(), bytes: b"jpeg".to_vec() }).await.expect("put");
    assert_eq!(blobs.encryption_of(&key).await.expect("head").as_deref(), Some("AES256"));
}

/// What the emulator can show: a presigned PUT and GET work over plain HTTP without credentials
/// and carry a short expiry. What it cannot (moto does not check signatures or expiry, so it
/// accepts a tampered or expired URL) is left to real S3 and claimed by no test.
#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn s3_presigned_urls_upload_and_download_without_credentials_and_expire_soon() {
    let blobs = bucket().await;
    let key = BlobKey::new(&suite::client_id(10, 1), "projects/p1/front.jpg").expect("key");
    let put = blobs.presign_put(&key, "image/jpeg", 3600).await.expect("presign").expect("S3 presigns");
    assert_eq!(put.method, "PUT");
    assert!(put.url.contains("X-Amz-Expires=900"), "an asked-for hour must be cut to {PRESIGN_MAX_SECONDS} s: {}", put.url);
    assert!(put.url.contains("X-Amz-Signature="), "the URL must carry its signature");
    let http = reqwest::Client::new();
    let mut req = http.put(&put.url).body(b"front of the card".to_vec());
    for (k, v) in &put.headers {
        req = req.header(k, v);
    }
    assert!(req.send().await.expect("upload").status().is_success(), "the presigned upload must be accepted");
    let stored = blobs.get(&key).await.expect("get").expect("uploaded object");
    assert_eq!((stored.content_type.as_str(), stored.bytes.as_slice()), ("image/jpeg", b"front of the card".as_slice()));
    assert_eq!(blobs.encryption_of(&key).await.expect("head").as_deref(), Some("AES256"), "uploads are encrypted too");
    let get = blobs.presign_get(&key, 60).await.expect("presign").expect("S3 presigns");
    assert!(get.url.contains("X-Amz-Expires=60"));
    let body = http.get(&get.url).send().await.expect("download").bytes().await.expect("body");
    assert_eq!(body.as_ref(), b"front of the card");
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn sqs_a_job_is_redelivered_until_it_is_acknowledged() {
    suite::a_job_is_redelivered_until_it_is_acknowledged(&queue(5).await).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn sqs_a_batch_is_delivered_whole() {
    suite::a_batch_is_delivered_whole(&queue(5).await).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn sqs_a_job_failing_every_attempt_ends_in_the_dead_letter_queue() {
    suite::a_job_failing_every_attempt_ends_in_the_dead_letter_queue(&queue(2).await).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_a_registration_and_its_events_are_stored_together_and_scoped_by_client() {
    suite::a_registration_and_its_events_are_stored_together_and_scoped_by_client(&store().await, 30).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_the_same_email_or_phone_twice_in_a_flow_is_refused_and_nothing_is_half_written() {
    suite::the_same_email_or_phone_twice_in_a_flow_is_refused_and_nothing_is_half_written(&store().await, 31).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_a_registration_update_with_a_stale_version_is_a_conflict_and_appends_no_event() {
    suite::a_registration_update_with_a_stale_version_is_a_conflict_and_appends_no_event(&store().await, 32).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_registration_lists_are_newest_first_filtered_and_counted() {
    suite::registration_lists_are_newest_first_filtered_and_counted(&store().await, 33).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_an_erased_registration_leaves_nothing_behind_and_frees_its_identifiers() {
    suite::an_erased_registration_leaves_nothing_behind_and_frees_its_identifiers(&store().await, 34).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_unfinished_registrations_past_their_lifetime_are_due_for_expiry() {
    suite::unfinished_registrations_past_their_lifetime_are_due_for_expiry(&store().await, 35).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_finished_registrations_past_their_retention_are_due_for_erasure() {
    suite::finished_registrations_past_their_retention_are_due_for_erasure(&store().await, 72).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_a_blocklist_is_replaced_whole_and_scoped_by_client_and_flow() {
    suite::a_blocklist_is_replaced_whole_and_scoped_by_client_and_flow(&store().await, 73).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_webhooks_and_their_deliveries_are_scoped_versioned_and_listed() {
    suite::webhooks_and_their_deliveries_are_scoped_versioned_and_listed(&store().await, 14).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn s3_screening_lists_are_the_csv_and_xml_objects_under_their_prefix_versioned_by_content() {
    use smartenroll_domain::ports::ListFiles;
    local_endpoint();
    let conf = smartenroll_aws::sdk_config().await;
    let name = unique("lists");
    S3Blobs::from_conf(&conf, name.clone()).create_bucket().await.expect("create bucket");
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    let put = |key: &'static str, body: &'static str| {
        let (s3, name) = (s3.clone(), name.clone());
        async move {
            s3.put_object().bucket(name).key(key).body(body.as_bytes().to_vec().into()).send().await.expect("put");
        }
    };
    put("screening-lists/sdn.csv", "1,\"DOE, John\",\"individual\"\n").await;
    put("screening-lists/consolidated.xml", "<CONSOLIDATED_LIST/>").await;
    put("screening-lists/readme.txt", "not a list").await;
    put("screening-lists/old/sdn.csv", "in a subfolder: not read").await;
    put("clients/0123456789abcdef01234567/x.csv", "a client's object").await;
    let lists = smartenroll_aws::s3::S3ListFiles::from_conf(&conf, name.clone());
    let before = lists.versions().await.expect("list");
    assert_eq!(before.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec!["consolidated.xml", "sdn.csv"]);
    assert_eq!(lists.read("sdn.csv").await.expect("read"), b"1,\"DOE, John\",\"individual\"\n");
    put("screening-lists/sdn.csv", "2,\"ROE, Jane\",\"individual\"\n").await;
    let after = lists.versions().await.expect("list");
    assert_ne!(before[1].1, after[1].1, "a replaced file has a new version");
    assert_eq!(before[0], after[0], "an untouched file keeps its version");
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn dynamodb_an_idempotency_key_is_claimed_once_answered_replayed_released_and_expires() {
    suite::an_idempotency_key_is_claimed_once_answered_replayed_released_and_expires(&store().await, 74).await;
}

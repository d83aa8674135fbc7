//! Runs the domain's port conformance suites against the embedded adapters (a real SQLite file in
//! a temporary directory). The AWS adapters run the same suites in their own issue.

use smartenroll_adapters::files::FsBlobs;
use smartenroll_adapters::memory::MemoryRateLimiter;
use smartenroll_adapters::queue::SqliteQueue;
use smartenroll_adapters::sqlite::SqliteStore;
use smartenroll_domain::conformance as suite;
use smartenroll_domain::ports::JobQueue;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("smartenroll.db")).expect("open");
    (dir, store)
}

#[tokio::test]
async fn sqlite_a_stored_project_reads_back_equal() {
    let (_d, s) = store();
    suite::a_stored_project_reads_back_equal(&s, 1).await;
}

#[tokio::test]
async fn sqlite_another_clients_project_is_invisible() {
    let (_d, s) = store();
    suite::another_clients_project_is_invisible(&s, 2).await;
}

#[tokio::test]
async fn sqlite_project_and_flow_ids_are_located_while_they_exist() {
    let (_d, s) = store();
    suite::project_and_flow_ids_are_located_while_they_exist(&s, 71).await;
}

#[tokio::test]
async fn sqlite_a_replace_with_a_stale_version_is_a_conflict() {
    let (_d, s) = store();
    suite::a_replace_with_a_stale_version_is_a_conflict(&s, 3).await;
}

#[tokio::test]
async fn sqlite_lists_are_newest_first_filtered_and_paginated() {
    let (_d, s) = store();
    suite::lists_are_newest_first_filtered_and_paginated(&s, 4).await;
}

#[tokio::test]
async fn sqlite_clients_are_stored_and_versioned() {
    let (_d, s) = store();
    suite::clients_are_stored_and_versioned(&s, 5).await;
}

#[tokio::test]
async fn memory_the_request_over_the_limit_is_refused_and_the_next_window_starts_fresh() {
    suite::the_request_over_the_limit_is_refused_and_the_next_window_starts_fresh(&MemoryRateLimiter::new(), 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_rate_limit_counts_are_exact_under_concurrency() {
    use smartenroll_domain::clock::Timestamp;
    use smartenroll_domain::ports::RateLimiter;
    use smartenroll_domain::ratelimit::{Category, RateKey};
    use std::sync::Arc;
    let limiter = Arc::new(MemoryRateLimiter::new());
    let key = RateKey::at(&suite::client_id(7, 1), Category::Projects, 1_700_000_000);
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (l, k) = (limiter.clone(), key.clone());
            tokio::spawn(async move { l.hit(&k, 50, Timestamp::from_unix_seconds(1_700_000_000)).await.map(|d| d.allowed) })
        })
        .collect();
    let mut allowed = 0;
    for t in tasks {
        if t.await.expect("join").expect("hit") {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 50);
}

#[tokio::test]
async fn data_survives_reopening_the_database() {
    use smartenroll_domain::ports::ProjectStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("smartenroll.db");
    let ids = suite::client_id(8, 1);
    let g = smartenroll_domain::ids::ObjectIdGenerator::new(
        [8, 8, 8, 8, 8],
        0,
        std::sync::Arc::new(smartenroll_domain::clock::FixedClock(smartenroll_domain::clock::Timestamp::from_unix_seconds(1_700_000_000))),
    );
    let p = suite::project(&g, &ids, "Durable", 1_700_000_000);
    {
        let s = SqliteStore::open(&path).expect("open");
        s.insert(&p).await.expect("insert");
    }
    let s = SqliteStore::open(&path).expect("reopen");
    assert_eq!(s.get(&ids, &p.id).await.expect("get"), Some(p));
}

#[tokio::test]
async fn files_blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    suite::blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted(&FsBlobs::open(dir.path()).expect("open"), 7).await;
}

#[tokio::test]
async fn encrypted_files_blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    suite::blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted(&FsBlobs::open_encrypted(dir.path(), &[7; 32]).expect("open"), 9)
        .await;
}

#[tokio::test]
async fn encrypted_blob_files_hold_no_plaintext_and_open_only_with_their_key_at_their_place() {
    use smartenroll_domain::blob::{Blob, BlobKey};
    use smartenroll_domain::ports::BlobStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let client = suite::client_id(10, 1);
    let (a, b) = (BlobKey::new(&client, "docs/a.png").expect("key"), BlobKey::new(&client, "docs/b.png").expect("key"));
    let secret = b"\x89PNG passport of Ana Perez, number AB123456".to_vec();
    let store = FsBlobs::open_encrypted(dir.path(), &[1; 32]).expect("open");
    store.put(&a, Blob { content_type: "image/png".into(), bytes: secret.clone() }).await.expect("put");
    let file = std::fs::read(dir.path().join(a.as_str())).expect("file");
    assert!(file.starts_with(b"SEB1"), "the encrypted format");
    assert!(!file.windows(8).any(|w| secret.windows(8).any(|s| s == w)), "no 8 bytes of the image appear in the file");
    assert!(!String::from_utf8_lossy(&file).contains("image/png"), "nor its media type");
    // Another key cannot open it; neither can this key once the file is moved to another object's place.
    let other = FsBlobs::open_encrypted(dir.path(), &[2; 32]).expect("open");
    assert!(other.get(&a).await.is_err(), "a wrong key is an error, never garbage");
    std::fs::copy(dir.path().join(a.as_str()), dir.path().join(b.as_str())).expect("copy");
    assert!(store.get(&b).await.is_err(), "a file moved to another key does not open");
    assert_eq!(store.get(&a).await.expect("get").map(|b| b.bytes), Some(secret));
    // Files written before encryption was configured still read.
    let plain = FsBlobs::open(dir.path()).expect("open");
    let legacy = BlobKey::new(&client, "docs/old.png").expect("key");
    plain.put(&legacy, Blob { content_type: "image/png".into(), bytes: vec![1, 2, 3] }).await.expect("put");
    assert_eq!(store.get(&legacy).await.expect("get").map(|b| b.bytes), Some(vec![1, 2, 3]));
}

#[tokio::test]
async fn files_deleting_a_folder_removes_exactly_that_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    suite::deleting_a_folder_removes_exactly_that_folder(&FsBlobs::open(dir.path()).expect("open"), 8).await;
}

#[tokio::test]
async fn sqlite_a_job_is_redelivered_until_it_is_acknowledged() {
    let (_d, s) = store();
    suite::a_job_is_redelivered_until_it_is_acknowledged(&SqliteQueue::new(s, "jobs", 5)).await;
}

#[tokio::test]
async fn sqlite_a_batch_is_delivered_whole() {
    let (_d, s) = store();
    suite::a_batch_is_delivered_whole(&SqliteQueue::new(s, "jobs", 5)).await;
}

#[tokio::test]
async fn sqlite_a_job_failing_every_attempt_ends_in_the_dead_letter_queue() {
    let (_d, s) = store();
    suite::a_job_failing_every_attempt_ends_in_the_dead_letter_queue(&SqliteQueue::new(s, "jobs", 2)).await;
}

#[tokio::test]
async fn sqlite_queued_jobs_survive_a_restart_and_queues_do_not_mix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("smartenroll.db");
    {
        let s = SqliteStore::open(&path).expect("open");
        SqliteQueue::new(s.clone(), "webhooks", 5).send("w").await.expect("send");
        SqliteQueue::new(s, "jobs", 5).send("j").await.expect("send");
    }
    let s = SqliteStore::open(&path).expect("reopen");
    let got = SqliteQueue::new(s, "jobs", 5).receive(10, 30).await.expect("receive");
    assert_eq!(got.into_iter().map(|d| d.body).collect::<Vec<_>>(), vec!["j"]);
}

#[tokio::test]
async fn sqlite_a_registration_and_its_events_are_stored_together_and_scoped_by_client() {
    let (_d, s) = store();
    suite::a_registration_and_its_events_are_stored_together_and_scoped_by_client(&s, 30).await;
}

#[tokio::test]
async fn sqlite_the_same_email_or_phone_twice_in_a_flow_is_refused_and_nothing_is_half_written() {
    let (_d, s) = store();
    suite::the_same_email_or_phone_twice_in_a_flow_is_refused_and_nothing_is_half_written(&s, 31).await;
}

#[tokio::test]
async fn sqlite_a_registration_update_with_a_stale_version_is_a_conflict_and_appends_no_event() {
    let (_d, s) = store();
    suite::a_registration_update_with_a_stale_version_is_a_conflict_and_appends_no_event(&s, 32).await;
}

#[tokio::test]
async fn sqlite_registration_lists_are_newest_first_filtered_and_counted() {
    let (_d, s) = store();
    suite::registration_lists_are_newest_first_filtered_and_counted(&s, 33).await;
}

#[tokio::test]
async fn sqlite_an_erased_registration_leaves_nothing_behind_and_frees_its_identifiers() {
    let (_d, s) = store();
    suite::an_erased_registration_leaves_nothing_behind_and_frees_its_identifiers(&s, 34).await;
}

#[tokio::test]
async fn sqlite_unfinished_registrations_past_their_lifetime_are_due_for_expiry() {
    let (_d, s) = store();
    suite::unfinished_registrations_past_their_lifetime_are_due_for_expiry(&s, 35).await;
}

#[tokio::test]
async fn sqlite_finished_registrations_past_their_retention_are_due_for_erasure() {
    let (_d, s) = store();
    suite::finished_registrations_past_their_retention_are_due_for_erasure(&s, 72).await;
}

#[tokio::test]
async fn sqlite_a_blocklist_is_replaced_whole_and_scoped_by_client_and_flow() {
    let (_d, s) = store();
    suite::a_blocklist_is_replaced_whole_and_scoped_by_client_and_flow(&s, 73).await;
}

#[tokio::test]
async fn sqlite_a_client_request_is_counted_only_with_a_current_token() {
    let (_d, s) = store();
    suite::a_client_request_is_counted_only_with_a_current_token(&s, &MemoryRateLimiter::new(), 13).await;
}

#[tokio::test]
async fn sqlite_webhooks_and_their_deliveries_are_scoped_versioned_and_listed() {
    let (_d, s) = store();
    suite::webhooks_and_their_deliveries_are_scoped_versioned_and_listed(&s, 14).await;
}

#[tokio::test]
async fn sqlite_an_idempotency_key_is_claimed_once_answered_replayed_released_and_expires() {
    let (_d, s) = store();
    suite::an_idempotency_key_is_claimed_once_answered_replayed_released_and_expires(&s, 74).await;
}

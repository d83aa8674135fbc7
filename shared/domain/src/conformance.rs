//! Conformance suites for the storage ports: the behaviour every implementation must show, written
//! once and run against each one (embedded SQLite today, DynamoDB next). Each function panics with
//! a message naming the broken promise; adapter crates call them from their own tests.

use crate::blob::{Blob, BlobKey};
use crate::client::Client;
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::ids::{ClientId, CodeGenerator, IdGenerator, ProjectId, RegistrationId};
use crate::lifecycle::{WriteCtx, create};
use crate::ports::{BlobStore, ClientStore, JobQueue, ProjectStore, RateLimiter, RegistrationStore};
use crate::project::{Project, ProjectStatus};
use crate::query::{ProjectQuery, RegistrationQuery};
use crate::ratelimit::{Category, RateKey};
use crate::registration::{Event, HistoryEntry, Origin, Registration, RegistrationStatus, StartCtx, start};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};

/// Ids unique across suites running in parallel against one backend.
struct SeqIds(AtomicU64, u32);
impl IdGenerator for SeqIds {
    fn object_id(&self) -> String {
        format!("{:08x}{:016x}", self.1, self.0.fetch_add(1, Ordering::Relaxed))
    }
}
struct Zeros;
impl CodeGenerator for Zeros {
    fn digits(&self, n: usize) -> String {
        "0".repeat(n)
    }
}

fn ids(seed: u32) -> SeqIds {
    SeqIds(AtomicU64::new(1), seed)
}

pub fn client_id(seed: u32, n: u64) -> ClientId {
    ClientId::parse(&format!("c{:07x}{:016x}", seed, n)).expect("valid id")
}

/// A project as the API would create it, at time `t` (unix seconds).
pub fn project(ids: &dyn IdGenerator, client: &ClientId, name: &str, t: i64) -> Project {
    let body = json!({"name": name, "allowedCountries": ["Colombia", "Mexico"], "target": "personal"});
    let ctx = WriteCtx { ids, codes: &Zeros, now: Timestamp::from_unix_seconds(t) };
    create(client, body.as_object().expect("object"), &ctx).expect("valid project")
}

pub async fn a_stored_project_reads_back_equal(store: &dyn ProjectStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = project(&g, &c, "Acme onboarding", 1_700_000_000);
    store.insert(&p).await.expect("insert");
    let got = store.get(&c, &p.id).await.expect("get");
    assert_eq!(got.as_ref(), Some(&p), "a stored project must read back equal");
    assert!(matches!(store.insert(&p).await, Err(StoreError::Duplicate)), "inserting an existing id must be Duplicate");
}

pub async fn another_clients_project_is_invisible(store: &dyn ProjectStore, seed: u32) {
    let g = ids(seed);
    let (a, b) = (client_id(seed, 1), client_id(seed, 2));
    let p = project(&g, &a, "Tenant A", 1_700_000_000);
    store.insert(&p).await.expect("insert");
    assert_eq!(store.get(&b, &p.id).await.expect("get"), None, "another client's project must not be visible");
    assert!(store.list(&b, &ProjectQuery::default()).await.expect("list").items.is_empty(), "lists are per client");
    let unknown = ProjectId::parse("ffffffffffffffffffffffff").expect("id");
    assert_eq!(store.get(&a, &unknown).await.expect("get"), None);
    let mut as_b = p.clone();
    as_b.client = b.clone();
    assert!(store.delete(&as_b, &[]).await.is_err(), "another client cannot delete it");
    assert!(store.get(&a, &p.id).await.expect("get").is_some());
}

pub async fn a_replace_with_a_stale_version_is_a_conflict(store: &dyn ProjectStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = project(&g, &c, "Versioned", 1_700_000_000);
    store.insert(&p).await.expect("insert");
    let mut v2 = p.clone();
    v2.config.name = "Versioned 2".into();
    v2.version = p.version + 1;
    store.replace(&v2, &p).await.expect("replace at the current version");
    let mut stale = p.clone();
    stale.config.name = "Lost write".into();
    stale.version = p.version + 1;
    assert!(matches!(store.replace(&stale, &p).await, Err(StoreError::Conflict)), "stale replace must conflict");
    assert_eq!(store.get(&c, &p.id).await.expect("get").map(|p| p.config.name), Some("Versioned 2".into()));
    assert!(matches!(store.delete(&p, &[]).await, Err(StoreError::Conflict)), "stale delete must conflict");
    store.delete(&v2, &[]).await.expect("delete at the current version");
    assert_eq!(store.get(&c, &p.id).await.expect("get"), None);
    assert!(store.replace(&v2, &v2).await.is_err(), "replacing a deleted project must fail");
}

pub async fn project_and_flow_ids_are_located_while_they_exist(store: &dyn ProjectStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = active_project(&g, &c, 1_700_000_000);
    store.insert(&p).await.expect("insert");
    let flow = p.flow.as_ref().expect("onboarding flow").id.to_string();
    let owner = Some((c.clone(), p.id.clone()));
    assert_eq!(store.locate(p.id.as_str()).await.expect("locate"), owner, "the project id");
    assert_eq!(store.locate(&flow).await.expect("locate"), owner, "its onboarding flow id");
    assert_eq!(store.locate("ffffffffffffffffffffffff").await.expect("locate"), None);
    // A login flow added later is found; removed, it is not.
    let ctx = WriteCtx { ids: &g, codes: &Zeros, now: Timestamp::from_unix_seconds(1_700_000_100) };
    let body = json!({"type": "login", "loginSettings": {"email": true}});
    let with_login = crate::flows::create(&p, crate::config::FlowType::Login, body.as_object().expect("object"), &ctx).expect("login flow");
    store.replace(&with_login, &p).await.expect("replace");
    let login = with_login.login.as_ref().expect("login").id.clone();
    assert_eq!(store.locate(login.as_str()).await.expect("locate"), owner, "a flow added by a replace");
    let (without, _) = crate::flows::remove(&with_login, &login, &ctx).expect("remove");
    store.replace(&without, &with_login).await.expect("replace");
    assert_eq!(store.locate(login.as_str()).await.expect("locate"), None, "a flow removed by a replace");
    let mut paused = without.clone();
    paused.status = crate::project::ProjectStatus::Paused;
    paused.version += 1;
    store.replace(&paused, &without).await.expect("pause");
    store.delete(&paused, &[]).await.expect("delete");
    assert_eq!(store.locate(p.id.as_str()).await.expect("locate"), None, "a deleted project");
    assert_eq!(store.locate(&flow).await.expect("locate"), None, "a deleted project's flow");
}

pub async fn lists_are_newest_first_filtered_and_paginated(store: &dyn ProjectStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let mut made = Vec::new();
    for i in 0..7 {
        let mut p = project(&g, &c, &format!("Project {i} {}", if i % 2 == 0 { "Alpha" } else { "Beta" }), 1_700_000_000 + i);
        if i >= 5 {
            p.status = ProjectStatus::Paused;
        }
        store.insert(&p).await.expect("insert");
        made.push(p);
    }
    let q = |f: &dyn Fn(&mut ProjectQuery)| {
        let mut q = ProjectQuery { limit: 3, ..ProjectQuery::default() };
        f(&mut q);
        q
    };
    let page1 = store.list(&c, &q(&|_| {})).await.expect("list");
    assert_eq!(page1.total, 7);
    let names: Vec<_> = page1.items.iter().map(|p| p.config.name.clone()).collect();
    assert_eq!(names, ["Project 6 Alpha", "Project 5 Beta", "Project 4 Alpha"], "newest first");
    let page3 = store.list(&c, &q(&|q| q.page = 3)).await.expect("list");
    assert_eq!((page3.total, page3.items.len()), (7, 1));
    let beyond = store.list(&c, &q(&|q| q.page = 9)).await.expect("list");
    assert_eq!((beyond.total, beyond.items.len()), (7, 0));
    let alpha = store.list(&c, &q(&|q| q.name_contains = Some("alpha".into()))).await.expect("list");
    assert_eq!(alpha.total, 4, "like_name is a case-insensitive contains");
    let paused = store.list(&c, &q(&|q| q.statuses = Some(vec![ProjectStatus::Paused]))).await.expect("list");
    assert_eq!(paused.total, 2);
    let none = store.list(&c, &q(&|q| q.statuses = Some(vec![]))).await.expect("list");
    assert_eq!(none.total, 0);
    let business = store.list(&c, &q(&|q| q.target = Some(crate::config::Target::Business))).await.expect("list");
    assert_eq!(business.total, 0);
    let day = made[0].created_at.to_iso()[..10].to_string();
    let on_day = store.list(&c, &q(&|q| q.created_prefix = Some(day.clone()))).await.expect("list");
    assert_eq!(on_day.total, 7);

    // A cursor walk visits every match once, newest first, and ends without a next cursor.
    let mut walked = Vec::new();
    let mut cursor = None;
    for _ in 0..5 {
        let page = store.list(&c, &q(&|q| q.after = cursor.clone())).await.expect("list");
        assert_eq!(page.total, 7, "total counts every match, not only those after the cursor");
        walked.extend(page.items.iter().map(|p| p.id.clone()));
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    let newest_first: Vec<_> = made.iter().rev().map(|p| p.id.clone()).collect();
    assert_eq!(walked, newest_first, "a cursor walk must list everything once, newest first");
    let paused_after = store
        .list(
            &c,
            &q(&|q| {
                q.statuses = Some(vec![ProjectStatus::Paused]);
                q.after = Some(crate::query::ListCursor::of(&made[6]));
            }),
        )
        .await
        .expect("list");
    assert_eq!(paused_after.items.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec![made[5].id.clone()]);
    assert_eq!(paused_after.next, None);
    let alpha_after = store
        .list(
            &c,
            &q(&|q| {
                q.name_contains = Some("alpha".into());
                q.after = Some(crate::query::ListCursor::of(&made[6]));
            }),
        )
        .await
        .expect("list");
    assert_eq!(alpha_after.total, 4, "a filtered total counts every match, also when resuming from a cursor");
    assert_eq!(alpha_after.items.len(), 3);

    // Totals follow status changes and deletions.
    let mut active = made[0].clone();
    active.status = ProjectStatus::Active;
    active.version += 1;
    store.replace(&active, &made[0]).await.expect("replace");
    store.delete(&made[5], &[]).await.expect("delete");
    let mut totals = Vec::new();
    for s in [ProjectStatus::Draft, ProjectStatus::Active, ProjectStatus::Paused] {
        totals.push(store.list(&c, &q(&|q| q.statuses = Some(vec![s]))).await.expect("list").total);
    }
    assert_eq!(totals, vec![4, 1, 1], "per-status totals after one activation and one deletion");
    assert_eq!(store.list(&c, &q(&|_| {})).await.expect("list").total, 6);
    let other = client_id(seed, 2);
    assert_eq!(store.list(&other, &q(&|_| {})).await.expect("list").total, 0, "another client's totals are its own");
}

pub async fn clients_are_stored_and_versioned(store: &dyn ClientStore, seed: u32) {
    let id = client_id(seed, 9);
    let t = Timestamp::from_unix_seconds(1_700_000_000);
    let c = Client::new(id.clone(), "Acme Bank".into(), Some("ops@acme.test".into()), None, t);
    store.insert(&c).await.expect("insert");
    assert!(matches!(store.insert(&c).await, Err(StoreError::Duplicate)));
    assert_eq!(store.get(&id).await.expect("get").as_ref(), Some(&c));
    let mut next = c.clone();
    next.token_generation = 1;
    next.version = 2;
    store.replace(&next, 1).await.expect("replace");
    assert!(matches!(store.replace(&next, 1).await, Err(StoreError::Conflict)));
    assert_eq!(store.get(&id).await.expect("get").map(|c| c.token_generation), Some(1));
    assert_eq!(store.get(&client_id(seed, 10)).await.expect("get"), None);

    // Logins find clients by a contact's key; two clients may share an address.
    use crate::client::{contact_key, normalise_email, normalise_phone};
    use crate::otp::Channel;
    let email = format!("login{seed}@acme.test");
    let phone = format!("+57 300 {seed:07}");
    let a = Client::new(client_id(seed, 11), "A".into(), Some(email.to_uppercase()), Some(phone.clone()), t);
    let b = Client::new(client_id(seed, 12), "B".into(), Some(email.clone()), None, t);
    store.insert(&a).await.expect("insert");
    store.insert(&b).await.expect("insert");
    let by_email = contact_key(Channel::Email, &normalise_email(&email).expect("email"));
    let mut found = store.find_by_contact(&by_email).await.expect("find");
    found.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(found, vec![a.id.clone(), b.id.clone()], "both clients with the address, however it was spelt");
    let by_phone = contact_key(Channel::Phone, &normalise_phone(&phone).expect("phone"));
    assert_eq!(store.find_by_contact(&by_phone).await.expect("find"), vec![a.id.clone()]);
    let nobody = contact_key(Channel::Email, &format!("nobody{seed}@acme.test"));
    assert!(store.find_by_contact(&nobody).await.expect("find").is_empty());
}

pub async fn the_request_over_the_limit_is_refused_and_the_next_window_starts_fresh(limiter: &dyn RateLimiter, seed: u32) {
    let c = client_id(seed, 1);
    let t0 = 1_700_000_040;
    let key = RateKey::at(&c, Category::Projects, t0);
    let now = Timestamp::from_unix_seconds(t0);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let d = limiter.hit(&key, 3, now).await.expect("hit");
        seen.push((d.allowed, d.remaining));
    }
    assert_eq!(seen, [(true, 2), (true, 1), (true, 0), (false, 0), (false, 0)]);
    let other = RateKey::at(&c, Category::ProjectFlows, t0);
    assert!(limiter.hit(&other, 3, now).await.expect("hit").allowed, "categories count separately");
    let next = RateKey::at(&c, Category::Projects, t0 + 60);
    let d = limiter.hit(&next, 3, Timestamp::from_unix_seconds(t0 + 60)).await.expect("hit");
    assert!(d.allowed && d.remaining == 2, "a new window starts from zero");
    assert_eq!(d.reset_at, next.window_start + 60);
}

/// [`ClientStore::admit`]: counts only requests with a current token, exactly up to the limit
/// even when they race, and a token renewal neither resets nor escapes the count.
pub async fn a_client_request_is_counted_only_with_a_current_token(store: &dyn ClientStore, limiter: &dyn RateLimiter, seed: u32) {
    use crate::ports::Admission;
    let id = client_id(seed, 11);
    let t0 = 1_700_000_040;
    let now = Timestamp::from_unix_seconds(t0);
    let c = Client::new(id.clone(), "Acme Bank".into(), None, None, now);
    store.insert(&c).await.expect("insert");
    let key = RateKey::at(&id, Category::Projects, t0);
    let id = &id;
    let admit =
        |generation: u32, key: RateKey| async move { store.admit(id, generation, Some((&key, 3)), limiter, now).await.expect("admit") };
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(match admit(0, key.clone()).await {
            Admission::Admitted { client, rate: Some(d) } => {
                assert_eq!(client, c, "the admitted client is the stored record");
                format!("ok {}", d.remaining)
            }
            Admission::Limited(d) => format!("limited {} {}", d.remaining, d.reset_at),
            other => format!("{other:?}"),
        });
    }
    let reset = key.reset_at();
    assert_eq!(seen, ["ok 2", "ok 1", "ok 0", &format!("limited 0 {reset}"), &format!("limited 0 {reset}")]);
    assert_eq!(admit(1, key.clone()).await, Admission::Unknown, "a generation the client never had");
    let stranger = client_id(seed, 12);
    assert_eq!(
        store.admit(&stranger, 0, Some((&RateKey::at(&stranger, Category::Projects, t0), 3)), limiter, now).await.expect("admit"),
        Admission::Unknown
    );
    // Renewal: generation 1 is current and the window's count carries over.
    let mut renewed = c.clone();
    renewed.token_generation = 1;
    renewed.version = 2;
    store.replace(&renewed, 1).await.expect("replace");
    assert!(matches!(admit(1, key.clone()).await, Admission::Limited(_)), "renewing a token does not reset the limit");
    // The next window: revoked tokens are refused and not counted.
    let next = RateKey::at(id, Category::Projects, t0 + 60);
    for _ in 0..4 {
        assert_eq!(admit(0, next.clone()).await, Admission::Unknown, "a revoked token");
    }
    match admit(1, next.clone()).await {
        Admission::Admitted { client, rate: Some(d) } => {
            assert_eq!(client, renewed);
            assert_eq!((d.remaining, d.reset_at), (2, next.reset_at()), "a new window starts from zero; revoked tokens counted nothing");
        }
        other => panic!("expected admission, got {other:?}"),
    }
    // Categories count apart, and a request without a category is not counted.
    let flows = RateKey::at(id, Category::ProjectFlows, t0 + 60);
    assert!(matches!(admit(1, flows).await, Admission::Admitted { rate: Some(d), .. } if d.remaining == 2));
    assert_eq!(store.admit(id, 1, None, limiter, now).await.expect("admit"), Admission::Admitted { client: renewed.clone(), rate: None });
    // Racing requests in a fresh window: exactly the limit is admitted.
    let racing = RateKey::at(id, Category::Projects, t0 + 120);
    let outcomes = futures_util::future::join_all((0..10).map(|_| {
        let key = racing.clone();
        async move { store.admit(id, 1, Some((&key, 4)), limiter, now).await.expect("admit") }
    }))
    .await;
    let admitted = outcomes.iter().filter(|o| matches!(o, Admission::Admitted { .. })).count();
    assert_eq!(admitted, 4, "racing requests: {outcomes:?}");
}

/// [`crate::ports::WebhookStore`]: webhooks scoped by client and versioned; deliveries made once
/// per id, versioned, listed newest first by webhook and status, and gone with their webhook.
pub async fn webhooks_and_their_deliveries_are_scoped_versioned_and_listed(store: &dyn crate::ports::WebhookStore, seed: u32) {
    use crate::webhook::{Delivery, DeliveryStatus, SendOutcome, WebhookInput};
    let ids = ids(seed);
    let c = client_id(seed, 21);
    let other = client_id(seed, 22);
    let t = |s: i64| Timestamp::from_unix_seconds(1_700_000_000 + s);
    let make = |name: &str, at: i64| {
        WebhookInput::parse(&json!({"name": name, "url": "https://hooks.example.com/x"}), true).expect("input").create(
            ids.object_id(),
            &c,
            &[seed as u8; crate::webhook::SECRET_BYTES],
            t(at),
        )
    };
    let a = make("first", 0);
    let b = make("second", 1);
    store.insert_webhook(&a).await.expect("insert");
    store.insert_webhook(&b).await.expect("insert");
    assert!(matches!(store.insert_webhook(&a).await, Err(StoreError::Duplicate)));
    assert_eq!(store.get_webhook(&c, &a.id).await.expect("get").as_ref(), Some(&a));
    assert_eq!(store.get_webhook(&other, &a.id).await.expect("get"), None, "another client's webhook is invisible");
    assert_eq!(store.webhooks(&c).await.expect("list").iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["first", "second"]);
    assert!(store.webhooks(&other).await.expect("list").is_empty());
    let mut renamed = a.clone();
    renamed.name = "renamed".into();
    renamed.version += 1;
    store.replace_webhook(&renamed, a.version).await.expect("replace");
    assert!(matches!(store.replace_webhook(&renamed, a.version).await, Err(StoreError::Conflict)));

    let mut made = Vec::new();
    for i in 0..5 {
        let d = Delivery::new(&c, &a.id, &format!("evt{i}"), "onboarding_app_registration_created", Some("r1"), "{}".into(), t(10 + i));
        assert!(store.insert_delivery(&d).await.expect("insert"), "a new delivery");
        assert!(!store.insert_delivery(&d).await.expect("insert"), "the same id again makes nothing");
        made.push(d);
    }
    let elsewhere = Delivery::new(&c, &b.id, "evt0", "onboarding_app_registration_created", None, "{}".into(), t(10));
    assert!(store.insert_delivery(&elsewhere).await.expect("insert"), "the same event to another webhook is another delivery");
    let mut failed = made[1].clone();
    let outcome = SendOutcome::Answered { status: 410, retry_after: None, excerpt: String::new() };
    failed.record(outcome.attempt(t(20), 5), outcome.verdict(), &Default::default(), 0.5);
    store.replace_delivery(&failed, made[1].version).await.expect("replace");
    assert!(matches!(store.replace_delivery(&failed, made[1].version).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_delivery(&c, &failed.id).await.expect("get").as_ref(), Some(&failed));
    assert_eq!(store.get_delivery(&other, &failed.id).await.expect("get"), None);
    let page = store.deliveries(&c, &a.id, None, 1, 2).await.expect("list");
    assert_eq!(page.total, 5);
    assert_eq!(page.items.iter().map(|d| d.event_id.as_str()).collect::<Vec<_>>(), ["evt3", "evt2"], "newest first, from the offset");
    let only_failed = store.deliveries(&c, &a.id, Some(DeliveryStatus::Failed), 0, 10).await.expect("list");
    assert_eq!((only_failed.total, only_failed.items.len()), (1, 1));
    assert_eq!(store.deliveries(&other, &a.id, None, 0, 10).await.expect("list").total, 0);

    assert!(store.delete_webhook(&c, &a.id).await.expect("delete"));
    assert!(!store.delete_webhook(&c, &a.id).await.expect("delete"));
    assert_eq!(store.get_delivery(&c, &made[0].id).await.expect("get"), None, "its deliveries went with it");
    assert_eq!(store.deliveries(&c, &b.id, None, 0, 10).await.expect("list").total, 1, "another webhook's log stays");
}

fn blob(content_type: &str, bytes: &[u8]) -> Blob {
    Blob { content_type: content_type.into(), bytes: bytes.to_vec() }
}

pub async fn blobs_read_back_byte_for_byte_and_can_be_replaced_and_deleted(store: &dyn BlobStore, seed: u32) {
    let c = client_id(seed, 1);
    let key = BlobKey::new(&c, "projects/p1/documents/front.jpg").expect("key");
    assert_eq!(store.get(&key).await.expect("get"), None, "a missing object must read as None");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    store.put(&key, blob("image/jpeg", &bytes)).await.expect("put");
    assert_eq!(store.get(&key).await.expect("get"), Some(blob("image/jpeg", &bytes)), "an object must read back byte for byte");
    store.put(&key, blob("image/png", b"second")).await.expect("replace");
    assert_eq!(store.get(&key).await.expect("get"), Some(blob("image/png", b"second")), "a put must replace the object");
    store.delete(&key).await.expect("delete");
    assert_eq!(store.get(&key).await.expect("get"), None, "a deleted object must be gone");
    store.delete(&key).await.expect("deleting a missing object must succeed");
}

pub async fn deleting_a_folder_removes_exactly_that_folder(store: &dyn BlobStore, seed: u32) {
    let (a, b) = (client_id(seed, 1), client_id(seed, 2));
    let k = |c: &ClientId, p: &str| BlobKey::new(c, p).expect("key");
    for path in ["projects/p1/a.jpg", "projects/p1/sub/b.jpg", "projects/p10/c.jpg", "projects/p2/d.jpg"] {
        store.put(&k(&a, path), blob("image/jpeg", path.as_bytes())).await.expect("put");
    }
    store.put(&k(&b, "projects/p1/a.jpg"), blob("image/jpeg", b"other tenant")).await.expect("put");
    assert_eq!(store.delete_folder(&k(&a, "projects/p1")).await.expect("purge"), 2, "the folder held two objects");
    assert_eq!(store.get(&k(&a, "projects/p1/a.jpg")).await.expect("get"), None);
    assert_eq!(store.get(&k(&a, "projects/p1/sub/b.jpg")).await.expect("get"), None);
    assert!(store.get(&k(&a, "projects/p10/c.jpg")).await.expect("get").is_some(), "a sibling with a longer name must survive");
    assert!(store.get(&k(&a, "projects/p2/d.jpg")).await.expect("get").is_some(), "another folder must survive");
    assert!(store.get(&k(&b, "projects/p1/a.jpg")).await.expect("get").is_some(), "another client's folder must survive");
    assert_eq!(store.delete_folder(&k(&a, "projects/p1")).await.expect("purge again"), 0, "purging twice deletes nothing more");
}

/// Receives until the queue answers empty (a standard queue may return fewer than asked).
async fn drain(queue: &dyn JobQueue, visibility: u32) -> Vec<crate::jobs::Delivery> {
    let mut all = Vec::new();
    for _ in 0..20 {
        let got = queue.receive(10, visibility).await.expect("receive");
        if got.is_empty() {
            break;
        }
        all.extend(got);
    }
    all
}

pub async fn a_job_is_redelivered_until_it_is_acknowledged(queue: &dyn JobQueue) {
    queue.send(r#"{"n":1}"#).await.expect("send");
    let first = drain(queue, 30).await;
    assert_eq!(first.len(), 1, "one job sent, one delivered");
    assert_eq!((first[0].body.as_str(), first[0].receive_count), (r#"{"n":1}"#, 1));
    assert!(drain(queue, 30).await.is_empty(), "a received job is hidden from other receivers");
    queue.retry_later(&first[0].receipt, 0).await.expect("retry later");
    let second = drain(queue, 30).await;
    assert_eq!(second.len(), 1, "a failed attempt makes the job visible again");
    assert_eq!(second[0].receive_count, 2, "the redelivery counts as the second receive");
    queue.ack(&second[0].receipt).await.expect("ack");
    queue.retry_later(&second[0].receipt, 0).await.ok();
    assert!(drain(queue, 0).await.is_empty(), "an acknowledged job is never delivered again");
}

pub async fn a_batch_is_delivered_whole(queue: &dyn JobQueue) {
    let bodies: Vec<String> = (0..25).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    queue.send_batch(&bodies).await.expect("send batch");
    let mut got: Vec<String> = drain(queue, 30).await.into_iter().map(|d| d.body).collect();
    got.sort();
    let mut want = bodies.clone();
    want.sort();
    assert_eq!(got, want, "every job of a 25-job batch must arrive exactly once");
}

/// `queue` must allow at most two receives per job.
pub async fn a_job_failing_every_attempt_ends_in_the_dead_letter_queue(queue: &dyn JobQueue) {
    queue.send("poison").await.expect("send");
    for attempt in 1..=2 {
        let got = drain(queue, 30).await;
        assert_eq!(got.len(), 1, "attempt {attempt} must deliver the job");
        queue.retry_later(&got[0].receipt, 0).await.expect("retry later");
    }
    assert!(drain(queue, 30).await.is_empty(), "after its last attempt the job must leave the queue");
    let dead = queue.dead_letters(10).await.expect("dead letters");
    assert_eq!(dead.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(), vec!["poison"], "and land in the dead-letter queue");
}

// ---------------------------------------------------------------------------------------------
// App registrations
// ---------------------------------------------------------------------------------------------

/// An active demo-mode project with a complete onboarding flow, as the API would hold it.
pub fn active_project(ids: &dyn IdGenerator, client: &ClientId, t: i64) -> Project {
    let ctx = WriteCtx { ids, codes: &Zeros, now: Timestamp::from_unix_seconds(t) };
    let mut p = create(
        client,
        json!({
            "name": "Acme KYC", "allowedCountries": ["Colombia"], "contactEmail": "p@acme.com", "demoMode": true, "demoOTP": "123456",
            "privacyUrl": "https://acme.com/p", "termsAndConditionsUrl": "https://acme.com/t",
            "dataProtection": {"name": "DPO", "email": "dpo@acme.com", "address": "1 Main", "city": "Bogota", "country": "Colombia", "postalCode": "110111"}
        })
        .as_object()
        .expect("object"),
        &ctx,
    )
    .expect("create");
    for body in [
        json!({"projectFlow": {"target": "personal", "type": "onboarding", "signUpForm": {"fullName": true, "email": true, "phone": true}}}),
        json!({"projectFlow": {"steps": {"document": "mandatory"}, "documents": {"verificationMethods": ["scan"], "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "government_id"}]}]}}}),
        json!({"projectFlow": {"steps": {"liveness": "mandatory"}, "liveness": {"minScore": 0.7}}}),
        json!({"projectFlow": {"integrations": {"redirectUrl": "https://acme.com/done", "source": "NONE", "strategy": "none"}}}),
        json!({"branding": {"backgroundColor": "#000000"}}),
        json!({"status": "active"}),
    ] {
        p = crate::lifecycle::update(&p, body.as_object().expect("object"), &ctx).expect("step");
    }
    p
}

/// A registration started on `project` at `t` with these identifiers, and its events.
pub fn registration(ids: &dyn IdGenerator, project: &Project, body: serde_json::Value, t: i64) -> (Registration, Vec<Event>) {
    let ctx = StartCtx {
        id: RegistrationId::parse(&ids.object_id()).expect("id"),
        now: Timestamp::from_unix_seconds(t),
        origin: Origin::Operator,
        lifetime_seconds: 3600,
        ids,
    };
    let flow = project.flow.as_ref().expect("flow").id.clone();
    start(project, &flow, body.as_object().expect("object"), &ctx).expect("valid registration")
}

pub async fn a_registration_and_its_events_are_stored_together_and_scoped_by_client(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let (a, b) = (client_id(seed, 1), client_id(seed, 2));
    let p = active_project(&g, &a, 1_700_000_000);
    let (r, events) = registration(&g, &p, json!({"email": "ana@example.com", "phone": "3001234567", "countryCode": "+57"}), 1_700_000_100);
    store.create(&r, &events).await.expect("create");
    assert_eq!(store.get(&a, &r.id).await.expect("get").as_ref(), Some(&r), "a stored registration must read back equal");
    assert_eq!(store.events(&a, &r.id).await.expect("events"), events, "its events are stored with it");
    assert_eq!(store.get(&b, &r.id).await.expect("get"), None, "another client's registration is invisible");
    assert!(store.events(&b, &r.id).await.expect("events").is_empty(), "and so are its events");
}

pub async fn the_same_email_or_phone_twice_in_a_flow_is_refused_and_nothing_is_half_written(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = active_project(&g, &c, 1_700_000_000);
    let (first, events) =
        registration(&g, &p, json!({"email": "ana@example.com", "phone": "3001234567", "countryCode": "+57"}), 1_700_000_100);
    store.create(&first, &events).await.expect("create");
    let (second, events2) =
        registration(&g, &p, json!({"email": "ANA@example.com", "phone": "3009999999", "countryCode": "+57"}), 1_700_000_200);
    assert!(matches!(store.create(&second, &events2).await, Err(StoreError::Duplicate)), "the same email in one flow must be Duplicate");
    assert_eq!(store.get(&c, &second.id).await.expect("get"), None, "the refused registration was not written");
    assert!(store.events(&c, &second.id).await.expect("events").is_empty(), "nor its events");
    let keys = second.unique_keys();
    assert_eq!(store.key_holder(&c, &keys[0]).await.expect("holder"), Some(first.id.clone()), "the email key names its holder");
    assert_eq!(store.key_holder(&c, &keys[1]).await.expect("holder"), None, "the new phone was not claimed by the refused write");
    let (third, events3) = registration(&g, &p, json!({"phone": "300 123 4567", "countryCode": "57"}), 1_700_000_300);
    assert!(matches!(store.create(&third, &events3).await, Err(StoreError::Duplicate)), "the same phone in one flow must be Duplicate");
    // The same identifiers in another project's flow are a different registration.
    let other = active_project(&g, &c, 1_700_000_000);
    let (elsewhere, events4) = registration(&g, &other, json!({"email": "ana@example.com"}), 1_700_000_400);
    store.create(&elsewhere, &events4).await.expect("the same email in another flow is allowed");
}

pub async fn a_registration_update_with_a_stale_version_is_a_conflict_and_appends_no_event(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = active_project(&g, &c, 1_700_000_000);
    let (r, events) = registration(&g, &p, json!({"email": "ana@example.com"}), 1_700_000_100);
    store.create(&r, &events).await.expect("create");
    let mut next = r.clone();
    next.status = RegistrationStatus::Ongoing;
    next.version += 1;
    let synced = next.event("app_registration_sync_sign_up_form", json!({}), &g, Timestamp::from_unix_seconds(1_700_000_200));
    store.update(&next, r.version, std::slice::from_ref(&synced)).await.expect("update");
    assert!(
        matches!(store.update(&next, r.version, std::slice::from_ref(&synced)).await, Err(StoreError::Conflict)),
        "a write from a stale version must be Conflict"
    );
    assert_eq!(store.get(&c, &r.id).await.expect("get").map(|x| x.status), Some(RegistrationStatus::Ongoing));
    let kinds: Vec<String> = store.events(&c, &r.id).await.expect("events").into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["onboarding_app_registration_created", "onboarding_app_registration_sync_sign_up_form"], "events in order, once");
}

pub async fn an_erased_registration_leaves_nothing_behind_and_frees_its_identifiers(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = active_project(&g, &c, 1_700_000_000);
    let (r, events) =
        registration(&g, &p, json!({"email": "erase@example.com", "phone": "3001234567", "countryCode": "+57"}), 1_700_000_100);
    store.create(&r, &events).await.expect("create");
    let mut next = r.clone();
    next.version += 1;
    let more: Vec<Event> = (0..30)
        .map(|i| next.event("app_registration_sync_instructions", json!({"i": i}), &g, Timestamp::from_unix_seconds(1_700_000_200 + i)))
        .collect();
    store.update(&next, r.version, &more).await.expect("update");
    assert_eq!(store.erase(&client_id(seed, 2), &r.id).await.expect("erase"), None, "another client cannot erase it");
    assert_eq!(store.erase(&c, &r.id).await.expect("erase"), Some(31), "the record and its 31 events");
    assert_eq!(store.get(&c, &r.id).await.expect("get"), None);
    assert!(store.events(&c, &r.id).await.expect("events").is_empty());
    for key in r.unique_keys() {
        assert_eq!(store.key_holder(&c, &key).await.expect("holder"), None, "its identifiers are free again");
    }
    assert_eq!(store.list(&c, &RegistrationQuery::default()).await.expect("list").total, 0);
    assert_eq!(store.erase(&c, &r.id).await.expect("erase"), None, "erasing twice finds nothing");
    let (again, events) = registration(&g, &p, json!({"email": "erase@example.com"}), 1_700_000_300);
    store.create(&again, &events).await.expect("the same email can start again after an erasure");
}

pub async fn registration_lists_are_newest_first_filtered_and_counted(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let (p, q) = (active_project(&g, &c, 1_700_000_000), active_project(&g, &c, 1_700_000_000));
    let mut made = Vec::new();
    for i in 0..5i64 {
        let project = if i < 3 { &p } else { &q };
        let (mut r, events) = registration(&g, project, json!({"email": format!("u{i}@example.com")}), 1_700_000_100 + i);
        if i == 1 {
            r.status = RegistrationStatus::Completed;
        }
        store.create(&r, &events).await.expect("create");
        made.push(r);
    }
    let all = store.list(&c, &RegistrationQuery { limit: 2, ..Default::default() }).await.expect("list");
    assert_eq!(all.total, 5);
    assert_eq!(all.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![made[4].id.clone(), made[3].id.clone()], "newest first");
    let page3 = store.list(&c, &RegistrationQuery { limit: 2, page: 3, ..Default::default() }).await.expect("list");
    assert_eq!(page3.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![made[0].id.clone()]);
    let of_p = store.list(&c, &RegistrationQuery { project: Some(p.id.clone()), ..Default::default() }).await.expect("list");
    assert_eq!(of_p.total, 3);
    let completed = store
        .list(&c, &RegistrationQuery { statuses: Some(vec![RegistrationStatus::Completed]), ..Default::default() })
        .await
        .expect("list");
    assert_eq!((completed.total, completed.items.len()), (1, 1));
    assert_eq!(completed.items[0].id, made[1].id);
    let none = store.list(&c, &RegistrationQuery { statuses: Some(vec![]), ..Default::default() }).await.expect("list");
    assert_eq!(none.total, 0);
    let other = store.list(&client_id(seed, 9), &RegistrationQuery::default()).await.expect("list");
    assert_eq!(other.total, 0, "another client lists nothing");
}

pub async fn unfinished_registrations_past_their_lifetime_are_due_for_expiry(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let p = active_project(&g, &c, 1_700_000_000);
    // Started at t, lifetime 3600 s (the suite's registrations): due from t + 3600.
    let (early, e1) = registration(&g, &p, json!({"email": "early@example.com"}), 1_700_000_000);
    let (late, e2) = registration(&g, &p, json!({"email": "late@example.com"}), 1_700_000_500);
    let (mut done, e3) = registration(&g, &p, json!({"email": "done@example.com"}), 1_700_000_000);
    done.status = RegistrationStatus::Completed;
    for (r, e) in [(&early, &e1), (&late, &e2), (&done, &e3)] {
        store.create(r, e).await.expect("create");
    }
    let at = |s: i64| s * 1000;
    let due = store.due_for_expiry(at(1_700_003_700), 10).await.expect("due");
    let mine: Vec<_> = due.iter().filter(|(client, _)| client == &c).map(|(_, id)| id.clone()).collect();
    assert_eq!(mine, vec![early.id.clone()], "only the unfinished one whose lifetime is over");
    let due = store.due_for_expiry(at(1_700_004_200), 10).await.expect("due");
    let mine: Vec<_> = due.iter().filter(|(client, _)| client == &c).map(|(_, id)| id.clone()).collect();
    assert_eq!(mine, vec![early.id.clone(), late.id.clone()], "soonest first");
    let mut expired = early.clone();
    expired.status = RegistrationStatus::Expired;
    expired.version += 1;
    store.update(&expired, early.version, &[]).await.expect("update");
    let due = store.due_for_expiry(at(1_700_004_200), 10).await.expect("due");
    assert!(!due.iter().any(|(_, id)| id == &early.id), "an expired registration is no longer due");
}

pub async fn finished_registrations_past_their_retention_are_due_for_erasure(store: &dyn RegistrationStore, seed: u32) {
    let g = ids(seed);
    let c = client_id(seed, 1);
    let mut p = active_project(&g, &c, 1_700_000_000);
    p.config.retention_days = Some(2);
    let finish = |r: &mut Registration, at: i64| {
        r.status = RegistrationStatus::Completed;
        r.history.push(HistoryEntry {
            at: Timestamp::from_unix_seconds(at),
            by: "system".into(),
            action: "COMPLETED".into(),
            reason: None,
            note: None,
        });
        r.updated_at = Timestamp::from_unix_seconds(at + 50); // a later write does not move the clock
        r.version += 1;
    };
    let (first, e1) = registration(&g, &p, json!({"email": "first@example.com"}), 1_700_000_000);
    let (second, e2) = registration(&g, &p, json!({"email": "second@example.com"}), 1_700_000_000);
    let (open, e3) = registration(&g, &p, json!({"email": "open@example.com"}), 1_700_000_000);
    p.config.retention_days = None;
    let (kept, e4) = registration(&g, &p, json!({"email": "kept@example.com"}), 1_700_000_000);
    for (r, e) in [(&first, &e1), (&second, &e2), (&open, &e3), (&kept, &e4)] {
        store.create(r, e).await.expect("create");
    }
    assert_eq!(
        store.due_for_erasure(4_000_000_000_000, 10).await.expect("due").iter().filter(|(k, _)| k == &c).count(),
        0,
        "nothing unfinished is due"
    );
    for (r, at) in [(&first, 1_700_001_000), (&second, 1_700_002_000), (&kept, 1_700_001_000)] {
        let mut done = r.clone();
        finish(&mut done, at);
        store.update(&done, r.version, &[]).await.expect("finish");
    }
    let two_days = 2 * 86_400;
    let mine = |due: Vec<(ClientId, RegistrationId)>| due.into_iter().filter(|(k, _)| k == &c).map(|(_, id)| id).collect::<Vec<_>>();
    assert_eq!(mine(store.due_for_erasure((1_700_001_000 + two_days - 1) * 1000, 10).await.expect("due")), vec![], "not before");
    assert_eq!(
        mine(store.due_for_erasure((1_700_001_000 + two_days) * 1000, 10).await.expect("due")),
        vec![first.id.clone()],
        "retention counts from the moment it finished"
    );
    assert_eq!(
        mine(store.due_for_erasure((1_700_002_000 + two_days) * 1000, 10).await.expect("due")),
        vec![first.id.clone(), second.id.clone()],
        "soonest first; a registration of a project that keeps them is never due"
    );
    store.erase(&c, &first.id).await.expect("erase");
    assert_eq!(mine(store.due_for_erasure(4_000_000_000_000, 10).await.expect("due")), vec![second.id.clone()], "an erased one is gone");
}

pub async fn a_blocklist_is_replaced_whole_and_scoped_by_client_and_flow(store: &dyn crate::ports::BlocklistStore, seed: u32) {
    use crate::ids::FlowId;
    let (a, b) = (client_id(seed, 1), client_id(seed, 2));
    let (f1, f2) = (
        FlowId::parse(&format!("{:024x}", 0xf1u64 + u64::from(seed))).expect("id"),
        FlowId::parse(&format!("{:024x}", 0xf200u64 + u64::from(seed))).expect("id"),
    );
    let h = |n: u32| format!("{n:064x}");
    assert!(!store.any_listed(&a, &f1, &[h(1)]).await.expect("read"), "no list: nothing is listed");
    let many: Vec<String> = (0..60).map(h).collect();
    assert_eq!(store.replace_list(&a, &f1, &many).await.expect("replace"), 60);
    assert!(store.any_listed(&a, &f1, &[h(999), h(59)]).await.expect("read"), "any of the hashes");
    assert!(!store.any_listed(&a, &f1, &[h(999)]).await.expect("read"));
    assert!(!store.any_listed(&a, &f2, &[h(1)]).await.expect("read"), "another flow's list is its own");
    assert!(!store.any_listed(&b, &f1, &[h(1)]).await.expect("read"), "another client's is invisible");
    assert_eq!(store.replace_list(&a, &f1, &[h(100)]).await.expect("replace"), 1);
    assert!(!store.any_listed(&a, &f1, &[h(1)]).await.expect("read"), "the old list is gone whole");
    assert!(store.any_listed(&a, &f1, &[h(100)]).await.expect("read"));
    assert_eq!(store.replace_list(&a, &f1, &[]).await.expect("clear"), 0);
    assert!(!store.any_listed(&a, &f1, &[h(100)]).await.expect("read"), "cleared");
    assert!(!store.any_listed(&a, &f1, &[]).await.expect("read"), "no hashes: nothing listed");
}

pub async fn an_idempotency_key_is_claimed_once_answered_replayed_released_and_expires(
    store: &dyn crate::idempotency::IdempotencyStore,
    seed: u32,
) {
    use crate::idempotency::{Claim, PENDING_SECONDS, StoredResponse, TTL_SECONDS, record_key};
    let now = Timestamp::from_unix_seconds(1_900_000_000 + i64::from(seed));
    let at = |s: i64| Timestamp::from_unix_seconds(now.unix_seconds() + s);
    let key = record_key(&format!("client:{seed}"), "projects-create", "k-1");
    assert_eq!(store.claim(&key, "fp-1", now).await.expect("claim"), Claim::Claimed);
    match store.claim(&key, "fp-1", at(1)).await.expect("claim") {
        Claim::Held(r) => assert!(r.response.is_none() && r.fingerprint == "fp-1", "a running request's claim: {r:?}"),
        other => panic!("a second claim of a live key must see it held: {other:?}"),
    }
    store.release(&key, "fp-other").await.expect("release");
    assert!(matches!(store.claim(&key, "fp-1", at(2)).await.expect("claim"), Claim::Held(_)), "only the claim's own request releases it");
    let answer = StoredResponse { status: 201, content_type: Some("application/json".into()), body: "{\"data\":{\"_id\":\"x\"}}".into() };
    assert!(matches!(store.complete(&key, "fp-other", &answer).await, Err(StoreError::Conflict)), "another request cannot answer it");
    store.complete(&key, "fp-1", &answer).await.expect("complete");
    match store.claim(&key, "fp-1", at(PENDING_SECONDS + 5)).await.expect("claim") {
        Claim::Held(r) => assert_eq!(r.response.as_ref(), Some(&answer), "the answer is kept past the pending window"),
        other => panic!("an answered key must stay held: {other:?}"),
    }
    assert_eq!(store.claim(&key, "fp-2", at(TTL_SECONDS)).await.expect("claim"), Claim::Claimed, "a day later the key is free again");

    // A claim whose request died frees its key after the pending window; a released one at once.
    let stale = record_key(&format!("client:{seed}"), "projects-create", "k-2");
    assert_eq!(store.claim(&stale, "fp-1", now).await.expect("claim"), Claim::Claimed);
    assert!(matches!(store.claim(&stale, "fp-1", at(PENDING_SECONDS - 1)).await.expect("claim"), Claim::Held(_)));
    assert_eq!(store.claim(&stale, "fp-1", at(PENDING_SECONDS)).await.expect("claim"), Claim::Claimed);
    store.release(&stale, "fp-1").await.expect("release");
    assert_eq!(store.claim(&stale, "fp-1", at(PENDING_SECONDS)).await.expect("claim"), Claim::Claimed, "released: claimable at once");

    // Racing requests: exactly one claims.
    let raced = record_key(&format!("client:{seed}"), "projects-create", "k-3");
    let tries = futures_util::future::join_all((0..8).map(|_| store.claim(&raced, "fp-1", now))).await;
    let claimed = tries.into_iter().map(|t| t.expect("claim")).filter(|c| *c == Claim::Claimed).count();
    assert_eq!(claimed, 1, "of eight racing claims exactly one wins");
}

//! Webhooks end to end on the single-node server, with real local HTTP receivers: signed
//! deliveries that verify with the documented function, retries with backoff and `Retry-After`,
//! 4xx stopping, the failed state and replay, one slow receiver not holding up a fast one, and no
//! event lost when the server is killed mid-delivery.

use crate::enrollment::{activate, demo_project};
use crate::helpers::{Server, Tenant};
use reqwest::Method;
use serde_json::{Value, json};
use smartenroll_domain::webhook::{canonical_json, verify};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One POST as a receiver saw it.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    at: Instant,
    pub(crate) id: String,
    pub(crate) timestamp: String,
    pub(crate) signature: String,
    pub(crate) body: String,
    answered: u16,
}

/// Answers to give, in order: status and `Retry-After`.
type Script = Arc<Mutex<VecDeque<(u16, Option<&'static str>)>>>;

/// A receiver answering from a script (then `fallback`), each answer after `delay`.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) hits: Arc<Mutex<Vec<Hit>>>,
    script: Script,
    fallback: Arc<Mutex<u16>>,
    delay: Duration,
}

impl Receiver {
    pub(crate) async fn start(script: &[(u16, Option<&'static str>)], fallback: u16, delay: Duration) -> Receiver {
        let r = Receiver {
            url: String::new(),
            hits: Default::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            fallback: Arc::new(Mutex::new(fallback)),
            delay,
        };
        let state = r.clone();
        let handle = move |headers: axum::http::HeaderMap, body: String| {
            let state = state.clone();
            async move {
                tokio::time::sleep(state.delay).await;
                let (status, retry_after) =
                    state.script.lock().expect("lock").pop_front().unwrap_or((*state.fallback.lock().expect("lock"), None));
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                state.hits.lock().expect("lock").push(Hit {
                    at: Instant::now(),
                    id: h("webhook-id"),
                    timestamp: h("webhook-timestamp"),
                    signature: h("webhook-signature"),
                    body,
                    answered: status,
                });
                let mut resp = axum::response::Response::new(axum::body::Body::from("ok"));
                *resp.status_mut() = axum::http::StatusCode::from_u16(status).expect("status");
                if let Some(ra) = retry_after {
                    resp.headers_mut().insert("retry-after", ra.parse().expect("header"));
                }
                resp
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handle));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, ..r }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }

    async fn wait(&self, what: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let started = Instant::now();
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}: {hits:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn webhook(server: &Server, t: &Tenant, url: &str, flow: &str) -> (String, String) {
    let r = server.call(Method::POST, "/v2/webhooks", Some(&t.token), Some(&json!({"name": "ops", "url": url, "link": [flow]}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["secret"].as_str().expect("secret shown once").to_string();
    assert!(secret.starts_with("whsec_"));
    assert!(!r.body["data"].to_string().contains(&secret), "the webhook object never carries the secret");
    (r.body["data"]["_id"].as_str().expect("id").to_string(), secret)
}

async fn register(server: &Server, t: &Tenant, project: &str, flow: &str, n: u32) -> String {
    let body = json!({"project": project, "projectFlow": flow, "email": format!("person{n}@example.com"), "phone": format!("30012{n:05}"), "countryCode": "+57", "fullName": "Ana Pérez"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"]["_id"].as_str().or(r.body["data"]["appRegistration"]["_id"].as_str()).expect("registration id").to_string()
}

async fn deliveries(server: &Server, t: &Tenant, webhook: &str) -> Vec<Value> {
    let r = server.call(Method::GET, &format!("/v2/webhooks/{webhook}/deliveries?perPage=100"), Some(&t.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().expect("list").clone()
}

async fn settled(server: &Server, t: &Tenant, webhook: &str, want: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let list = deliveries(server, t, webhook).await;
        if list.len() >= want && list.iter().all(|d| d["status"] != "PENDING") {
            return list;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "deliveries did not settle: {list:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_events_are_retried_until_taken_and_failures_stop_end_failed_and_replay() {
    let server = Server::start_env(&[], &[("SMARTENROLL_WEBHOOK_RETRY_SCHEDULE", "1,1")]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let flaky = Receiver::start(&[(503, None), (500, None)], 200, Duration::ZERO).await;
    let down = Receiver::start(&[], 500, Duration::ZERO).await;
    let gone = Receiver::start(&[], 410, Duration::ZERO).await;
    let busy = Receiver::start(&[(429, Some("3"))], 200, Duration::ZERO).await;
    let (flaky_id, secret) = webhook(&server, &acme, &flaky.url, &flow).await;
    let (down_id, _) = webhook(&server, &acme, &down.url, &flow).await;
    let (gone_id, _) = webhook(&server, &acme, &gone.url, &flow).await;
    let (busy_id, _) = webhook(&server, &acme, &busy.url, &flow).await;
    let registration = register(&server, &acme, &project, &flow, 1).await;

    // Fails twice, then succeeds: the same event id and body every time, each signed afresh.
    let hits = flaky.wait("the third attempt", |h| h.len() >= 3).await;
    assert_eq!(hits.iter().map(|h| h.answered).collect::<Vec<_>>(), [503, 500, 200]);
    assert!(hits.iter().all(|h| h.id == hits[0].id && h.body == hits[0].body), "one event, one body: {hits:#?}");
    for h in &hits {
        assert_eq!(verify(&secret, &h.id, &h.timestamp, &h.signature, h.body.as_bytes(), now_s()), Ok(()), "{h:?}");
        let mut changed = h.body.clone().into_bytes();
        changed[5] ^= 1;
        assert!(verify(&secret, &h.id, &h.timestamp, &h.signature, &changed, now_s()).is_err(), "a one-byte change fails");
        // A receiver that re-serialises the parsed JSON (sorted keys, compact) still verifies.
        let reserialised = canonical_json(&serde_json::from_str::<Value>(&h.body).expect("json"));
        assert_eq!(verify(&secret, &h.id, &h.timestamp, &h.signature, reserialised.as_bytes(), now_s()), Ok(()));
    }
    let body: Value = serde_json::from_str(&hits[0].body).expect("json");
    assert_eq!((body["type"].as_str(), body["sequence"].as_u64()), (Some("onboarding_app_registration_created"), Some(1)));
    assert_eq!(body["appRegistration"], json!(registration));
    assert_eq!(body["id"], json!(hits[0].id));
    let log = settled(&server, &acme, &flaky_id, 1).await;
    assert_eq!(log.len(), 1, "one delivery for one event");
    assert_eq!(log[0]["status"], "SUCCEEDED");
    let errors: Vec<Value> = log[0]["attempts"].as_array().expect("attempts").iter().map(|a| a["error"].clone()).collect();
    assert_eq!(errors, [json!("http_503"), json!("http_500"), Value::Null]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(flaky.hits().iter().filter(|h| h.answered == 200).count(), 1, "taken exactly once");

    // 4xx stops at once.
    let failed = settled(&server, &acme, &gone_id, 1).await;
    assert_eq!((failed[0]["status"].as_str(), failed[0]["attempts"].as_array().map(Vec::len)), (Some("FAILED"), Some(1)));
    assert_eq!(gone.hits().len(), 1, "no retry after a 410");

    // Retry-After is honoured over the (1 s) schedule.
    let hits = busy.wait("the retry after 429", |h| h.len() >= 2).await;
    let gap = hits[1].at.duration_since(hits[0].at);
    assert!(gap >= Duration::from_millis(2900), "Retry-After: 3 waited only {gap:?}");

    // A permanently failing receiver ends FAILED after the schedule; replay delivers once fixed.
    let failed = settled(&server, &acme, &down_id, 1).await;
    assert_eq!((failed[0]["status"].as_str(), failed[0]["attempts"].as_array().map(Vec::len)), (Some("FAILED"), Some(3)));
    *down.fallback.lock().expect("lock") = 200;
    let r = server.call(Method::POST, &format!("/v2/webhooks/{down_id}/replay-failed"), Some(&acme.token), None).await;
    assert_eq!((r.status.as_u16(), &r.body["data"]["replayed"]), (202, &json!(1)), "{}", r.body);
    let hits = down.wait("the replayed delivery", |h| h.iter().any(|x| x.answered == 200)).await;
    assert!(hits.iter().all(|h| h.id == hits[0].id), "a replay carries the same event id");
    let log = settled(&server, &acme, &down_id, 1).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["replays"].as_u64()), (Some("SUCCEEDED"), Some(1)));

    // One delivery read alone, and a signed ping.
    let one = server
        .call(Method::GET, &format!("/v2/webhooks/{down_id}/deliveries/{}", log[0]["_id"].as_str().expect("id")), Some(&acme.token), None)
        .await;
    assert_eq!((one.status.as_u16(), one.body["data"]["attempts"].as_array().map(Vec::len)), (200, Some(4)), "{}", one.body);
    let r = server.call(Method::POST, &format!("/v2/webhooks/{flaky_id}/test"), Some(&acme.token), None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let hits = flaky.wait("the ping", |h| h.iter().any(|x| x.body.contains("\"type\":\"ping\""))).await;
    let ping = hits.iter().find(|x| x.body.contains("\"type\":\"ping\"")).expect("ping");
    assert_eq!(verify(&secret, &ping.id, &ping.timestamp, &ping.signature, ping.body.as_bytes(), now_s()), Ok(()));

    // Another client sees none of it.
    let other = server.new_client("Other");
    let r = server.call(Method::GET, &format!("/v2/webhooks/{flaky_id}/deliveries"), Some(&other.token), None).await;
    r.assert_error(404, "NotFound");
    let r = server.call(Method::GET, "/v2/webhooks", Some(&other.token), None).await;
    assert_eq!(r.body["total"], json!(0), "{}", r.body);
    let _ = busy_id;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_receiver_does_not_delay_deliveries_to_a_fast_one() {
    let server = Server::start(&[]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let slow = Receiver::start(&[], 200, Duration::from_secs(3)).await;
    let fast = Receiver::start(&[], 200, Duration::ZERO).await;
    webhook(&server, &acme, &slow.url, &flow).await;
    webhook(&server, &acme, &fast.url, &flow).await;
    let started = Instant::now();
    for n in 0..6 {
        register(&server, &acme, &project, &flow, n).await;
    }
    let fast_hits = fast.wait("the fast receiver's six events", |h| h.len() >= 6).await;
    let fast_done = fast_hits.iter().map(|h| h.at).max().expect("hits").duration_since(started);
    assert!(slow.hits().len() < 6, "the slow receiver is still being served");
    assert!(fast_done < Duration::from_secs(3), "the fast receiver waited {fast_done:?} behind the slow one");
    slow.wait("the slow receiver's six events", |h| h.len() >= 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_recorded_before_the_server_is_killed_are_all_delivered_after_the_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = [("SMARTENROLL_WEBHOOK_RETRY_SCHEDULE", "1,1,1")];
    let server = Server::start_on_env(dir.path(), &[], &env).expect("server");
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    // A receiver slow enough that deliveries are mid-flight when the process dies.
    let receiver = Receiver::start(&[], 200, Duration::from_millis(700)).await;
    webhook(&server, &acme, &receiver.url, &flow).await;
    let mut registrations = Vec::new();
    for n in 0..5 {
        registrations.push(register(&server, &acme, &project, &flow, n).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill_hard();
    let server = Server::start_on_env(dir.path(), &[], &env).expect("restart");
    let mut expected = Vec::new();
    for id in &registrations {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for e in r.body["data"].as_array().expect("events") {
            expected.push(e["_id"].as_str().expect("event id").to_string());
        }
    }
    assert!(expected.len() >= 5);
    let hits =
        receiver.wait("every recorded event", |h| expected.iter().all(|id| h.iter().any(|x| &x.id == id && x.answered == 200))).await;
    let unknown: Vec<_> = hits.iter().filter(|h| !expected.contains(&h.id)).collect();
    assert!(unknown.is_empty(), "only recorded events, by their own ids: {unknown:#?}");
}

#[tokio::test]
async fn webhook_urls_pointing_inside_the_network_are_refused_when_saved() {
    let server = Server::start_env(&[], &[("SMARTENROLL_ALLOW_PRIVATE_TARGETS", "0")]);
    let acme = server.new_client("Acme");
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://2130706433/hook",
        "http://0x7f.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:169.254.169.254]/latest",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://[fd00::8]/hook",
    ] {
        let r = server.call(Method::POST, "/v2/webhooks", Some(&acme.token), Some(&json!({"name": "x", "url": url}))).await;
        r.assert_error(422, "UnprocessableEntity");
        assert_eq!(r.detail_fields(), ["url"], "{url}: {}", r.body);
    }
    let r = server.call(Method::POST, "/v2/webhooks", Some(&acme.token), Some(&json!({"name": "x", "url": "file:///etc/passwd"}))).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = server.call(Method::POST, "/v2/webhooks", Some(&acme.token), Some(&json!({"name": "x"}))).await;
    r.assert_error(409, "MissingParameter");
    assert_eq!(r.body["message"], "missing url", "the reference's answer to a create without url");
    // A name that does not resolve yet is accepted (every send checks again) and updates are checked too.
    let r =
        server.call(Method::POST, "/v2/webhooks", Some(&acme.token), Some(&json!({"name": "x", "url": "https://hooks.invalid/kyc"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["data"]["_id"].as_str().expect("id");
    let r = server.call(Method::PUT, &format!("/v2/webhooks/{id}"), Some(&acme.token), Some(&json!({"url": "http://127.0.0.1/x"}))).await;
    r.assert_error(422, "UnprocessableEntity");
}

/// The AWS path with the server on the AWS backend: the registration's events and their dispatch
/// job in one DynamoDB transaction (the outbox), the jobs and webhooks queues on SQS, the store in
/// DynamoDB; a receiver failing once gets the event again after the retry delay, signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_delivered_and_retried_on_the_aws_backend() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (scripts/test sets it)");
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    let queue = format!("{endpoint}/123456789012/e2e-webhooks-{}", hex::encode(suffix));
    let server =
        Server::start_aws_env(&[], &[("SMARTENROLL_WEBHOOKS_QUEUE_URL", queue.as_str()), ("SMARTENROLL_WEBHOOK_RETRY_SCHEDULE", "1,1")]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let flaky = Receiver::start(&[(503, None)], 200, Duration::ZERO).await;
    let (hook, secret) = webhook(&server, &acme, &flaky.url, &flow).await;
    let registration = register(&server, &acme, &project, &flow, 1).await;
    let hits = flaky.wait("the retried attempt", |h| h.iter().any(|x| x.answered == 200)).await;
    let first = &hits[0];
    let body: Value = serde_json::from_str(&first.body).expect("json");
    assert_eq!((body["type"].as_str(), &body["appRegistration"]), (Some("onboarding_app_registration_created"), &json!(registration)));
    for h in hits.iter().filter(|h| h.id == first.id) {
        assert_eq!(verify(&secret, &h.id, &h.timestamp, &h.signature, h.body.as_bytes(), now_s()), Ok(()), "{h:?}");
    }
    let log = settled(&server, &acme, &hook, 1).await;
    let created = log.iter().find(|d| d["eventId"] == json!(first.id)).expect("the created event's delivery");
    assert_eq!(created["status"], "SUCCEEDED", "{created}");
    assert!(created["attempts"].as_array().is_some_and(|a| a.len() >= 2), "failed once, then taken: {created}");
}

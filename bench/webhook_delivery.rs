//! Webhook delivery benchmark for the single-node server (`cargo bench --bench webhook_delivery`).
//!
//! Starts the real `smartenroll` binary (release build) on a fresh data directory and a local HTTP
//! receiver, links a webhook to an active project's flow, then starts `BENCH_REGISTRATIONS`
//! (default 300) registrations from `BENCH_CONCURRENCY` (default 8) concurrent callers. Each
//! registration records an `onboarding_app_registration_created` event, which the outbox dispatch
//! turns into a signed delivery. Prints delivery throughput (events received per second, from
//! the first registration to the last receipt) and the p50/p99 delay from the event's time (the
//! state change, as recorded in the same write) to its receipt.

#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::{Server, step_one, steps_two_to_six};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let total = env_num("BENCH_REGISTRATIONS", 300);
    let concurrency = env_num("BENCH_CONCURRENCY", 8);
    let limits = "projects=1000000,projectFlows=1000000";
    let server = Server::start_env(&[], &[("SMARTENROLL_RATE_LIMITS", limits)]);
    let acme = server.new_client("Bench");

    // (event time ms, receipt time ms) per received event id.
    let seen: Arc<Mutex<Vec<(String, i64, i64)>>> = Default::default();
    let sink = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let received = now_ms();
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                let at = v["timestamp"]
                    .as_str()
                    .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                    .unwrap_or(received);
                let id = headers.get("webhook-id").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
                sink.lock().expect("lock").push((id, at, received));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let r = server.call(Method::POST, "/v3/projects", Some(&acme.token), Some(&step_one("Bench KYC"))).await;
    let project = r.body["data"]["_id"].as_str().expect("project").to_string();
    for body in steps_two_to_six() {
        server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&body)).await;
    }
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&json!({"status": "active"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let flow = r.body["data"]["projectFlows"][0]["_id"].as_str().expect("flow").to_string();
    let r = server.call(Method::POST, "/v2/webhooks", Some(&acme.token), Some(&json!({"name": "bench", "url": url, "link": [flow]}))).await;
    assert_eq!(r.status, 201, "{}", r.body);

    let started = Instant::now();
    let server = Arc::new(server);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (server, next, token, project, flow) = (server.clone(), next.clone(), acme.token.clone(), project.clone(), flow.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let body = json!({"project": project, "projectFlow": flow, "email": format!("p{n}@bench.example"), "phone": format!("31{n:08}"), "countryCode": "+57", "fullName": "Bench Person"});
                let r = server.call(Method::POST, "/v2/app-registrations", Some(&token), Some(&body)).await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
        }));
    }
    for t in tasks {
        t.await.expect("caller");
    }
    let created = started.elapsed();
    while seen.lock().expect("lock").len() < total {
        assert!(started.elapsed() < Duration::from_secs(300), "only {} of {total} delivered", seen.lock().expect("lock").len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let mut delays: Vec<i64> = seen.lock().expect("lock").iter().map(|(_, at, received)| received - at).collect();
    delays.sort_unstable();
    let pct = |p: f64| delays[((delays.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "webhook delivery: {total} events, {concurrency} concurrent callers: registrations created in {:.2} s; all delivered in {:.2} s = {:.0} events/s; state change → receipt p50 {} ms, p99 {} ms, max {} ms",
        created.as_secs_f64(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        delays.last().copied().unwrap_or_default()
    );
}

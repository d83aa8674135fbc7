//! HTTP load benchmark for the single-node server (`cargo bench --bench http_load`).
//!
//! Starts the real server stack in-process on a free loopback port (its own runtime, 2 worker
//! threads), with one extra route: a minimal hello-world `lambda_http` handler dispatched by the
//! same server code. Then drives, one after the other, with the same client and concurrency:
//!   1. `GET /bench/hello`            — the HTTP stack alone;
//!   2. `GET /v3/projects/{id}`       — JWT verification + revocation check + rate-limit check + store read;
//!   3. `PUT /v3/projects/{id}` (step 4, liveness) — the same plus merge, re-validation and a durable write.
//!
//! and prints requests/s and p50/p99 latency for each, and the GET/hello throughput ratio.
//!
//! Knobs: BENCH_SECONDS (default 5 per scenario), BENCH_CONCURRENCY (default 16), BENCH_ONLY
//! (`get`: only the GET scenario, e.g. under `perf record`; `micro`: time the handler's parts
//! in-process without HTTP).

use lambda_http::{Body, Request, Response};
use serde_json::json;
use smartenroll_api::Deps;
use smartenroll_api::routes::{BoxResponse, Route};
use smartenroll_domain::client::Client;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ratelimit::RateLimits;
use smartenroll_functions::bootstrap::DataDir;
use std::time::{Duration, Instant};

/// The same allocator as the `smartenroll` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn hello(_deps: &Deps, _req: Request) -> Response<Body> {
    let mut resp = Response::new(Body::Text(r#"{"data":{"hello":"world"}}"#.into()));
    resp.headers_mut().insert("content-type", lambda_http::http::HeaderValue::from_static("application/json"));
    resp
}
fn hello_boxed<'a>(deps: &'a Deps, req: Request) -> BoxResponse<'a> {
    Box::pin(hello(deps, req))
}
static HELLO: [Route; 1] = [Route {
    method: "GET",
    path: "/bench/hello",
    function: "bench-hello",
    access: smartenroll_api::routes::Access::Public,
    handler: hello_boxed,
}];

/// A project configured through step 3: the GET scenario reads it, the PUT scenario edits step 4.
fn bench_project() -> serde_json::Value {
    json!({
        "name": "Bench project", "allowedCountries": ["Colombia"], "contactEmail": "p@acme.example",
        "privacyUrl": "https://acme.example/p", "termsAndConditionsUrl": "https://acme.example/t",
        "dataProtection": {"name": "DPO", "email": "dpo@acme.example", "address": "1 Main", "city": "Bogota", "country": "Colombia", "postalCode": "110111"},
        "projectFlowType": "onboarding",
        "projectFlow": {"signUpForm": {"email": true}, "steps": {"document": "mandatory", "liveness": "mandatory"},
            "documents": {"verificationMethods": ["SCAN_PROMPT"], "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "government_id"}]}]}}
    })
}

struct Outcome {
    name: &'static str,
    rps: f64,
    p50_us: u64,
    p99_us: u64,
    errors: u64,
}

async fn drive(
    name: &'static str,
    concurrency: usize,
    seconds: u64,
    make: impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static + Clone,
) -> Outcome {
    // Warm up connections and caches for a second, then measure.
    for phase in [1u64, seconds] {
        let deadline = Instant::now() + Duration::from_secs(phase);
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let make = make.clone();
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("client");
                let mut lat = Vec::with_capacity(100_000);
                let mut errors = 0u64;
                let mut i = 0usize;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match make(&client, worker * 1_000_000 + i).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _body = r.bytes().await;
                            lat.push(t.elapsed().as_micros() as u64);
                        }
                        _ => errors += 1,
                    }
                    i += 1;
                }
                (lat, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (lat, e) = t.await.expect("join");
            all.extend(lat);
            errors += e;
        }
        if phase == seconds {
            all.sort_unstable();
            let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0);
            return Outcome { name, rps: all.len() as f64 / seconds as f64, p50_us: pct(0.50), p99_us: pct(0.99), errors };
        }
    }
    unreachable!("the loop returns in its last phase")
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").ok().and_then(|s| s.parse().ok()).unwrap_or(16);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = DataDir::open(dir.path()).expect("data dir");
    let limits = RateLimits::default().with_overrides("projects=1000000000").expect("limits");
    let deps = data.deps(limits).expect("deps");

    let server_rt =
        tokio::runtime::Builder::new_multi_thread().thread_name("server").worker_threads(2).enable_all().build().expect("server runtime");
    let client_rt =
        tokio::runtime::Builder::new_multi_thread().thread_name("client").worker_threads(2).enable_all().build().expect("client runtime");

    // A client, a token, and a project configured through step 3, created through the handlers' ports.
    let token = server_rt.block_on(async {
        let now = deps.clock.now();
        let client = Client::new(ClientId::parse(&deps.ids.object_id()).expect("id"), "Bench".into(), None, None, now);
        deps.clients.insert(&client).await.expect("client");
        deps.jwt.issue_client_token(&client, now, 3600).expect("token")
    });
    if std::env::var("BENCH_ONLY").is_ok_and(|o| o == "micro") {
        micro(&server_rt, &deps, &token);
        return;
    }
    let listener = server_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = server_rt.spawn(smartenroll_functions::server::serve(listener, deps, &HELLO, async {
        let _stopped = stop_rx.await;
    }));

    // One project per connection for the PUT scenario: writers to one record would measure
    // optimistic-concurrency conflicts, not the write path.
    let (token, project_ids) = client_rt.block_on(async {
        let http = reqwest::Client::new();
        let mut ids = Vec::new();
        for _ in 0..concurrency {
            let body = bench_project();
            let r: serde_json::Value = http
                .post(format!("{base}/v3/projects"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .expect("create")
                .json()
                .await
                .expect("json");
            ids.push(r["data"]["_id"].as_str().expect("id").to_string());
        }
        (token, ids)
    });
    let project_id = project_ids[0].clone();

    let results = client_rt.block_on(async {
        let mut out = Vec::new();
        if std::env::var("BENCH_ONLY").is_ok_and(|o| o == "get") {
            let (b, t, id) = (base.clone(), token.clone(), project_id.clone());
            out.push(
                drive("GET /v3/projects/{id}", concurrency, seconds, move |c, _| c.get(format!("{b}/v3/projects/{id}")).bearer_auth(&t))
                    .await,
            );
            return out;
        }
        let b = base.clone();
        out.push(drive("GET /bench/hello (hello world)", concurrency, seconds, move |c, _| c.get(format!("{b}/bench/hello"))).await);
        let (b, t, id) = (base.clone(), token.clone(), project_id.clone());
        out.push(
            drive("GET /v3/projects/{id}", concurrency, seconds, move |c, _| c.get(format!("{b}/v3/projects/{id}")).bearer_auth(&t)).await,
        );
        let (b, t, ids) = (base.clone(), token.clone(), project_ids.clone());
        out.push(
            drive("PUT /v3/projects/{id} (liveness step)", concurrency, seconds, move |c, i| {
                let score = 0.52 + (i % 38) as f64 / 100.0;
                let id = &ids[(i / 1_000_000) % ids.len()];
                c.put(format!("{b}/v3/projects/{id}"))
                    .bearer_auth(&t)
                    .json(&json!({"projectFlowType": "onboarding", "projectFlow": {"liveness": {"minScore": score}}}))
            })
            .await,
        );
        out
    });

    println!("\nsingle-node server, {concurrency} concurrent keep-alive connections, {seconds} s per scenario, client in-process");
    println!("{:<40} {:>10} {:>10} {:>10} {:>8}", "scenario", "req/s", "p50 µs", "p99 µs", "errors");
    for r in &results {
        println!("{:<40} {:>10.0} {:>10} {:>10} {:>8}", r.name, r.rps, r.p50_us, r.p99_us, r.errors);
    }
    if results.len() < 3 {
        return;
    }
    let ratio = results[1].rps / results[0].rps;
    println!("GET full path / hello world throughput: {:.0}% (target ≥ 50%)", ratio * 100.0);
    println!("PUT step / hello world throughput: {:.0}%", results[2].rps / results[0].rps * 100.0);
    // PUT conflicts under contention are retried server-side; any non-2xx counts as an error above.
    let _sent = stop_tx.send(());
    let _served = server_rt.block_on(server);
}

fn micro(rt: &tokio::runtime::Runtime, deps: &Deps, token: &str) {
    use smartenroll_domain::project::Reveal;
    rt.block_on(async {
        let claims = deps.jwt.verify_client_token(token, deps.clock.now()).expect("verify");
        let cid = ClientId::parse(&claims.client_id).expect("id");
        let body = bench_project();
        let p = smartenroll_domain::lifecycle::create(
            &cid,
            body.as_object().expect("o"),
            &smartenroll_domain::lifecycle::WriteCtx { ids: deps.ids.as_ref(), codes: deps.codes.as_ref(), now: deps.clock.now() },
        )
        .expect("p");
        deps.projects.insert(&p).await.expect("insert");
        let n = 20_000;
        let t = Instant::now();
        for _ in 0..n {
            let _c = deps.jwt.verify_client_token(token, deps.clock.now());
        }
        println!("jwt verify      {:>8.1} µs", t.elapsed().as_micros() as f64 / n as f64);
        let t = Instant::now();
        for _ in 0..n {
            let _c = deps.clients.get(&cid).await;
        }
        println!("clients.get     {:>8.1} µs", t.elapsed().as_micros() as f64 / n as f64);
        let t = Instant::now();
        for _ in 0..n {
            let _c = deps.projects.get(&cid, &p.id).await;
        }
        println!("projects.get    {:>8.1} µs", t.elapsed().as_micros() as f64 / n as f64);
        let t = Instant::now();
        for _ in 0..n {
            let _c = serde_json::to_string(&p.api_view(Reveal::Hidden));
        }
        println!("render          {:>8.1} µs", t.elapsed().as_micros() as f64 / n as f64);
        let doc = serde_json::to_string(&p).expect("doc");
        let t = Instant::now();
        for _ in 0..n {
            let _c: smartenroll_domain::project::Project = serde_json::from_str(&doc).expect("p");
        }
        println!("parse doc       {:>8.1} µs ({} bytes)", t.elapsed().as_micros() as f64 / n as f64, doc.len());
        let t = Instant::now();
        for _ in 0..n {
            let req = lambda_http::http::Request::builder()
                .uri(format!("/v3/projects/{}", p.id))
                .header("authorization", format!("Bearer {token}"))
                .body(Body::Empty)
                .expect("req");
            let req =
                lambda_http::RequestExt::with_path_parameters(req, std::collections::HashMap::from([("id".to_string(), p.id.to_string())]));
            let _r = smartenroll_api::projects::get(deps, req).await;
        }
        println!("whole handler   {:>8.1} µs", t.elapsed().as_micros() as f64 / n as f64);
    });
}

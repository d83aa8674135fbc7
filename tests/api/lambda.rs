//! The per-endpoint Lambda binaries, run for real: each is started against a minimal local Lambda
//! Runtime API (the two calls the runtime makes: `invocation/next` and `invocation/{id}/response`)
//! and fed API Gateway events from `events/`, over the DynamoDB adapters on the local AWS-protocol
//! server that scripts/test starts. Also prints each function's time from process start to its
//! first answered invocation; `bench/cold-start` runs this against release binaries for the
//! README's figures (no timing is asserted here).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use smartenroll_aws::dynamo::DynamoStore;
use smartenroll_aws::s3::S3Blobs;
use smartenroll_aws::sqs::SqsQueue;
use smartenroll_domain::blob::{Blob, BlobKey};
use smartenroll_domain::client::Client;
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ports::ClientStore;
use smartenroll_domain::ports::{BlobStore, JobQueue};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc};

const SECRET: &str = "lambda-test-secret-at-least-32-bytes-long";

struct RuntimeApi {
    /// When the function first asked for an invocation: the end of its init phase.
    ready: std::sync::OnceLock<Instant>,
    events: Mutex<mpsc::Receiver<(String, String)>>,
    responses: mpsc::Sender<(String, serde_json::Value)>,
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> axum::response::Response {
    api.ready.get_or_init(Instant::now);
    let Some((id, event)) = api.events.lock().await.recv().await else {
        return axum::response::Response::builder().status(500).body(axum::body::Body::empty()).expect("response");
    };
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_millis() + 30_000;
    axum::response::Response::builder()
        .header("lambda-runtime-aws-request-id", &id)
        .header("lambda-runtime-deadline-ms", deadline.to_string())
        .header("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
        .header("lambda-runtime-trace-id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(event))
        .expect("response")
}

async fn respond(State(api): State<Arc<RuntimeApi>>, Path(id): Path<String>, body: String) -> &'static str {
    let value = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    api.responses.send((id, value)).await.expect("the test is listening");
    "{}"
}

async fn error(State(api): State<Arc<RuntimeApi>>, Path(id): Path<String>, body: String) -> &'static str {
    api.responses.send((id, serde_json::json!({"runtimeError": body}))).await.expect("the test is listening");
    "{}"
}

async fn init_error(body: String) -> &'static str {
    panic!("the function failed to initialise: {body}");
}

/// A running function binary with its own runtime API.
struct Function {
    child: std::process::Child,
    events: mpsc::Sender<(String, String)>,
    responses: mpsc::Receiver<(String, serde_json::Value)>,
    started: Instant,
    api: Arc<RuntimeApi>,
    /// Process start → the first response, for the report.
    first: Duration,
    n: u32,
    name: String,
}

impl Function {
    async fn start(name: &str, env: &[(&str, &str)]) -> Function {
        let (etx, erx) = mpsc::channel(8);
        let (rtx, rrx) = mpsc::channel(8);
        let api = Arc::new(RuntimeApi { ready: std::sync::OnceLock::new(), events: Mutex::new(erx), responses: rtx });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        // `SMARTENROLL_LAMBDA_BIN_DIR` picks other builds of the functions (bench/cold-start: release).
        let exe = match std::env::var("SMARTENROLL_LAMBDA_BIN_DIR") {
            Ok(dir) => std::path::Path::new(&dir).join(name),
            Err(_) => std::path::Path::new(crate::helpers::BIN).with_file_name(name),
        };
        let started = Instant::now();
        let child = Command::new(exe)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
            .envs(env.iter().copied())
            .env("SMARTENROLL_JWT_SECRET", SECRET)
            .env("SMARTENROLL_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn the function binary");
        Function { child, events: etx, responses: rrx, started, api, first: Duration::ZERO, n: 0, name: name.to_string() }
    }

    /// The process's peak resident memory so far (Linux `VmHWM`), in MB.
    fn peak_memory_mb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
        line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).expect("kB") / 1024
    }

    /// Delivers one event and returns the function's API Gateway response.
    async fn invoke(&mut self, event: String) -> serde_json::Value {
        self.n += 1;
        let id = format!("req-{}", self.n);
        let sent = Instant::now();
        self.events.send((id.clone(), event)).await.expect("runtime API alive");
        let (got, response) =
            tokio::time::timeout(Duration::from_secs(20), self.responses.recv()).await.expect("answered in time").expect("response");
        assert_eq!(got, id);
        assert!(response.get("runtimeError").is_none(), "the handler failed: {response}");
        assert!(response.get("errorType").is_none(), "the handler failed: {response}");
        // The report: ready (process start → its first `next`), the first response after process
        // start, the first invocation (ready → first response) and the second, which repeats the
        // first's work (the difference is what coldness costs beyond the store's own latency). The
        // event is queued before the function asks for it, so `sent` is only the start of the
        // second invocation's clock; the first one runs from `ready`.
        match self.n {
            1 => self.first = self.started.elapsed(),
            2 => {
                let ready = self.api.ready.get().map_or(Duration::ZERO, |t| t.duration_since(self.started));
                eprintln!(
                    "cold start: {:<22} ready {:>3} ms | first response {:>3} ms after start | invocation cold {:>3} ms, warm {:>3} ms",
                    self.name,
                    ready.as_millis(),
                    self.first.as_millis(),
                    self.first.saturating_sub(ready).as_millis(),
                    sent.elapsed().as_millis()
                )
            }
            _ => {}
        }
        response
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if self.child.kill().is_ok() && self.child.wait().is_err() {
            eprintln!("could not reap the function process");
        }
    }
}

fn event(path: &str, token: &str, project: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    std::fs::read_to_string(root.join(path)).expect("event").replace("{{TOKEN}}", token).replace("{{PROJECT_ID}}", project)
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn each_lambda_binary_answers_api_gateway_events_over_dynamodb() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (scripts/test sets it)");
    assert!(endpoint.starts_with("http://127.0.0.1:"), "refusing a non-loopback AWS endpoint: {endpoint}");
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    let table = format!("lambda-{}", hex::encode(suffix));
    let conf = smartenroll_aws::sdk_config().await;
    let store = DynamoStore::from_conf(&conf, &table);
    store.create_table().await.expect("table");
    let bucket = S3Blobs::from_conf(&conf, &table);
    bucket.create_bucket().await.expect("bucket");
    let queue = SqsQueue::create(aws_sdk_sqs::Client::new(&conf), &table, 5).await.expect("queue");
    let queue_url = queue_url(&queue);
    let hooks_queue = SqsQueue::create(aws_sdk_sqs::Client::new(&conf), &format!("{table}-webhooks"), 5).await.expect("webhooks queue");
    let hooks_url = hooks_queue.url().to_string();
    let env = [
        ("SMARTENROLL_TABLE", table.as_str()),
        ("SMARTENROLL_BUCKET", table.as_str()),
        ("SMARTENROLL_JOBS_QUEUE_URL", queue_url.as_str()),
        ("SMARTENROLL_WEBHOOKS_QUEUE_URL", hooks_url.as_str()),
        // The receiver below listens on 127.0.0.1.
        ("SMARTENROLL_ALLOW_PRIVATE_TARGETS", "1"),
    ];
    let now =
        Timestamp::from_unix_seconds(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64);
    let client = Client::new(ClientId::parse("0123456789abcdef01234567").expect("id"), "Lambda client".into(), None, None, now);
    ClientStore::insert(&store, &client).await.expect("client");
    warm_up_the_emulator(&store, &bucket, &queue).await;
    let keys = smartenroll_api::auth::JwtKeys::from_secret(SECRET.as_bytes()).expect("keys");
    let token = keys.issue_client_token(&client, now, 3600).expect("token");

    let mut create = Function::start("projects-create", &env).await;
    let r = create.invoke(event("projects-create/step-one.201.json", &token, "")).await;
    assert_eq!(r["statusCode"], 201, "{r}");
    let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
    let id = body["data"]["_id"].as_str().expect("id").to_string();
    let r = create.invoke(event("projects-create/step-one.201.json", &token, "")).await;
    assert_eq!(r["statusCode"], 201, "{r}");
    let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
    let second = body["data"]["_id"].as_str().expect("id").to_string();
    let r = create.invoke(event("projects-create/min-score-out-of-range.422.json", &token, "")).await;
    assert_eq!(r["statusCode"], 422, "a warm function answers the next event too");

    let mut get = Function::start("projects-get", &env).await;
    for _ in 0..2 {
        let r = get.invoke(event("projects-get/existing.200.json", &token, &id)).await;
        assert_eq!(r["statusCode"], 200, "{r}");
    }
    let r = get.invoke(event("projects-get/unknown-id.404.json", &token, &id)).await;
    assert_eq!(r["statusCode"], 404);

    let mut update = Function::start("projects-update", &env).await;
    for _ in 0..2 {
        let r = update.invoke(event("projects-update/step-two-sign-up-form.200.json", &token, &id)).await;
        assert_eq!(r["statusCode"], 200, "{r}");
    }

    let mut list = Function::start("projects-list", &env).await;
    for _ in 0..2 {
        let r = list.invoke(event("projects-list/first-page.200.json", &token, &id)).await;
        let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
        assert_eq!(body["total"], 2);
        assert_eq!(body["data"][1]["projectFlows"][0]["signUpForm"]["email"], true, "the update is visible to another function");
    }

    let selfie = BlobKey::new(&client.id, &format!("projects/{id}/selfie.jpg")).expect("key");
    bucket.put(&selfie, Blob { content_type: "image/jpeg".into(), bytes: b"jpeg".to_vec() }).await.expect("put");
    let mut delete = Function::start("projects-delete", &env).await;
    for project in [&id, &second] {
        let r = delete.invoke(event("projects-delete/draft.200.json", &token, project)).await;
        assert_eq!(r["statusCode"], 200, "{r}");
    }
    // The deletes wrote their jobs to the table's outbox; the relay, fed the stream records of
    // those inserts, sends them to SQS and empties the outbox.
    let mut relay = Function::start("outbox-relay", &env).await;
    relay_the_outbox(&store, &mut relay).await;
    let queued = queue.receive(10, 30).await.expect("receive");
    let kinds: Vec<String> = queued
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(&d.body).ok())
        .filter_map(|j| j["kind"].as_str().map(String::from))
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "blobs.purge").count(), 2, "each delete queued the purge of its project's files");
    assert_eq!(kinds.iter().filter(|k| *k == "registrations.erase_project").count(), 2, "and the erasure of its registrations");

    // The queue consumer, fed the event SQS would deliver for that message plus one it cannot read.
    let mut worker = Function::start("jobs-worker", &env).await;
    let sqs_event = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/jobs-worker/purge-and-unknown-kind.partial-failure.json"),
    )
    .expect("fixture")
    .replace("{{CLIENT_ID}}", client.id.as_str())
    .replace("{{PROJECT_ID}}", &id);
    for _ in 0..2 {
        let r = worker.invoke(sqs_event.clone()).await;
        assert_eq!(r, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}));
    }
    assert_eq!(bucket.get(&selfie).await.expect("get"), None, "the worker purged the deleted project's files from S3");

    // The enrollee side: registrations on an active project (stored directly: the project
    // functions were exercised above).
    let ids =
        smartenroll_domain::ids::ObjectIdGenerator::new([7, 7, 7, 7, 7], 0, std::sync::Arc::new(smartenroll_domain::clock::SystemClock));
    let active = smartenroll_domain::conformance::active_project(&ids, &client.id, now.unix_seconds());
    smartenroll_domain::ports::ProjectStore::insert(&store, &active).await.expect("active project");
    let flow = active.flow.as_ref().expect("flow").id.to_string();
    let mut reg_create = Function::start("registrations-create", &env).await;
    let mut registration = String::new();
    for email in ["ana@example.com", "bob@example.com"] {
        let body = serde_json::json!({"project": active.id, "projectFlow": flow, "email": email});
        let r = reg_create.invoke(api_event("registrations-create/draft-project.409.json", &token, None, Some(&body))).await;
        assert_eq!(r["statusCode"], 200, "{r}");
        let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
        registration = body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    }
    for (function, fixture) in [
        ("registrations-get", "registrations-get/unknown-id.404.json"),
        ("registrations-events", "registrations-events/unknown-id.404.json"),
        ("registrations-list", "registrations-list/status-filter.200.json"),
    ] {
        let mut f = Function::start(function, &env).await;
        for _ in 0..2 {
            let r = f.invoke(api_event(fixture, &token, Some(&registration), None)).await;
            assert_eq!(r["statusCode"], 200, "{function}: {r}");
        }
    }

    // The flows resource and the public view, on the active project.
    for (function, fixture) in
        [("project-flows-get", "project-flows-get/existing.200.json"), ("project-flows-list", "project-flows-list/by-project.200.json")]
    {
        let mut f = Function::start(function, &env).await;
        for _ in 0..2 {
            let text = event(fixture, &token, active.id.as_str()).replace("{{FLOW_ID}}", &flow);
            let r = f.invoke(text).await;
            assert_eq!(r["statusCode"], 200, "{function}: {r}");
            let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
            assert!(body.to_string().contains(&flow), "{function} shows the flow: {body}");
        }
    }
    let mut public = Function::start("projects-public", &env).await;
    for _ in 0..2 {
        let mut e: serde_json::Value =
            serde_json::from_str(&event("projects-public/draft-project.404.json", "", active.id.as_str())).expect("json");
        e["queryStringParameters"]["id"] = active.id.as_str().into();
        e["rawQueryString"] = format!("id={}", active.id).into();
        let r = public.invoke(e.to_string()).await;
        assert_eq!(r["statusCode"], 200, "the active project's public view: {r}");
    }

    // An enrollee's document goes to S3, its check into the table and its job onto the queue.
    let reg_id = smartenroll_domain::ids::RegistrationId::parse(&registration).expect("id");
    let stored = smartenroll_domain::ports::RegistrationStore::get(&store, &client.id, &reg_id).await.expect("get").expect("registration");
    let enrollee = keys.issue_enrollee_token(&stored, "enroll", now, 3600).expect("enrollee token");
    let mut submit = Function::start("document-validations-submit", &env).await;
    for attempt in 0..2 {
        let image = crate::enrollment::png_base64(320, 200, attempt);
        let body = serde_json::json!({"image": image, "force": attempt > 0});
        let r = submit
            .invoke(
                api_event("registrations-create/draft-project.409.json", &enrollee, None, Some(&body))
                    .replace("/v2/app-registrations", "/v2/document-validations/app-registration"),
            )
            .await;
        // The second is refused while the first is still being checked (no worker runs here).
        let expected = if attempt == 0 { 200 } else { 409 };
        assert_eq!(r["statusCode"], expected, "{r}");
    }
    relay_the_outbox(&store, &mut relay).await;
    let jobs = queue.receive(10, 30).await.expect("receive");
    assert!(jobs.iter().any(|d| d.body.contains("checks.run")), "the check's job reached SQS through the outbox");

    // The face APIs: the models (what the template's layer ships) planned once at cold start.
    let models = crate::faces::models();
    let face_env: Vec<(&str, &str)> = env.iter().copied().chain([("SMARTENROLL_MODELS_DIR", models.as_str())]).collect();
    let mut face = Function::start("face-compare", &face_env).await;
    let (probe, gallery) = (crate::faces::photo_base64("obama"), crate::faces::photo_base64("obama2"));
    for _ in 0..2 {
        let body = serde_json::json!({"probe": [probe], "gallery": [gallery], "search_mode": "FAST"});
        let r = face
            .invoke(
                api_event("registrations-create/draft-project.409.json", &token, None, Some(&body))
                    .replace("/v2/app-registrations", "/v2/face-recognition/compare"),
            )
            .await;
        assert_eq!(r["statusCode"], 200, "{r}");
        let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
        assert!(body["data"]["score"].as_f64().is_some_and(|s| s > 0.8), "{body}");
    }
    eprintln!("peak memory: face-compare {} MB", face.peak_memory_mb());
    let mut challenge = Function::start("face-liveness-challenge", &env).await;
    for _ in 0..2 {
        let r = challenge.invoke(event("face-liveness-challenge/issued.200.json", &token, "")).await;
        assert_eq!(r["statusCode"], 200, "{r}");
    }

    // Webhooks: created and pinged through their functions, the attempt made by the webhooks
    // worker fed the SQS event of the queued message, signed, to a real local receiver.
    let receiver = crate::webhooks::Receiver::start(&[], 200, Duration::ZERO).await;
    let mut hook_create = Function::start("webhooks-create", &env).await;
    let mut webhook = String::new();
    let mut secret = String::new();
    for _ in 0..2 {
        let body = serde_json::json!({"name": "Decisions", "url": receiver.url});
        let r = hook_create.invoke(api_event("webhooks-create/created.201.json", &token, None, Some(&body))).await;
        assert_eq!(r["statusCode"], 201, "{r}");
        let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
        webhook = body["data"]["_id"].as_str().expect("id").to_string();
        secret = body["secret"].as_str().expect("secret").to_string();
    }
    let webhook_event = |fixture: &str| event(fixture, &token, "").replace("{{WEBHOOK_ID}}", &webhook);
    let mut ping = Function::start("webhooks-test", &env).await;
    for _ in 0..2 {
        let r = ping.invoke(webhook_event("webhooks-test/ping.202.json")).await;
        assert_eq!(r["statusCode"], 202, "{r}");
    }
    let mut get_hook = Function::start("webhooks-get", &env).await;
    for _ in 0..2 {
        let r = get_hook.invoke(webhook_event("webhooks-get/existing.200.json")).await;
        assert_eq!(r["statusCode"], 200, "{r}");
    }
    let attempts = hooks_queue.receive(10, 30).await.expect("receive");
    assert_eq!(attempts.len(), 2, "each ping queued one attempt");
    let records: Vec<serde_json::Value> = attempts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            serde_json::json!({"messageId": format!("m-{i}"), "receiptHandle": d.receipt, "body": d.body,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhooks", "awsRegion": "us-east-1"})
        })
        .collect();
    let mut hook_worker = Function::start("webhooks-worker", &env).await;
    for one in records.chunks(1) {
        let r = hook_worker.invoke(serde_json::json!({"Records": one}).to_string()).await;
        assert_eq!(r, serde_json::json!({"batchItemFailures": []}), "the attempt succeeded");
    }
    let hits = receiver.hits.lock().expect("lock").clone();
    assert_eq!(hits.len(), 2, "the receiver got both pings");
    for hit in &hits {
        let ts: i64 = hit.timestamp.parse().expect("timestamp");
        assert_eq!(
            smartenroll_domain::webhook::verify(&secret, &hit.id, &hit.timestamp, &hit.signature, hit.body.as_bytes(), ts),
            Ok(()),
            "the signature verifies"
        );
    }
    let mut log = Function::start("webhooks-deliveries", &env).await;
    for _ in 0..2 {
        let r = log.invoke(webhook_event("webhooks-deliveries/log.200.json").replace("status=PENDING", "status=SUCCEEDED")).await;
        let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
        assert_eq!(body["total"], 2, "both attempts are in the delivery log: {body}");
    }

    let mut session = Function::start("auth-session", &env).await;
    for _ in 0..2 {
        let r = session.invoke(event("auth-session/refresh.200.json", &token, &id)).await;
        assert_eq!(r["statusCode"], 200, "{r}");
    }
    // Renewal revokes the token it was called with, so the second call uses the first's new token.
    let mut renew = Function::start("auth-renew-and-revoke", &env).await;
    let mut current = token.clone();
    for _ in 0..2 {
        let r = renew.invoke(event("auth-renew-and-revoke/renew.200.json", &current, &id)).await;
        assert_eq!(r["statusCode"], 200, "{r}");
        let body: serde_json::Value = serde_json::from_str(r["body"].as_str().expect("body")).expect("json");
        current = body["token"].as_str().expect("a new token").to_string();
    }
}

/// An `events/` fixture with its token, and optionally its `{id}` path parameter and body
/// replaced.
fn api_event(fixture: &str, token: &str, id: Option<&str>, body: Option<&serde_json::Value>) -> String {
    let mut e: serde_json::Value = serde_json::from_str(&event(fixture, token, "")).expect("fixture json");
    if let Some(id) = id {
        let path = e["rawPath"].as_str().expect("rawPath").replace("65f1c2a9e4b0a1b2c3d4e5f6", id);
        e["rawPath"] = path.clone().into();
        e["requestContext"]["http"]["path"] = path.into();
        e["pathParameters"]["id"] = id.into();
    }
    if let Some(b) = body {
        e["body"] = b.to_string().into();
    }
    e.to_string()
}

/// The local AWS-protocol server loads each operation's code on its first call (tens of ms, once
/// per server process), which DynamoDB, S3 and SQS never make a caller wait for. Every kind of
/// call the functions make is made once here first, under another client, so the functions'
/// cold starts measure the functions, not the emulator's own warm-up.
async fn warm_up_the_emulator(store: &DynamoStore, bucket: &S3Blobs, queue: &SqsQueue) {
    use smartenroll_domain::ports::{ProjectStore, RateLimiter};
    let other = ClientId::parse("fedcba9876543210fedcba98").expect("id");
    let ids =
        smartenroll_domain::ids::ObjectIdGenerator::new([9, 9, 9, 9, 9], 0, std::sync::Arc::new(smartenroll_domain::clock::SystemClock));
    let project = smartenroll_domain::conformance::project(&ids, &other, "warm-up", 1_700_000_000);
    ProjectStore::insert(store, &project).await.expect("warm-up insert");
    ProjectStore::get(store, &other, &project.id).await.expect("warm-up get");
    ProjectStore::list(store, &other, &Default::default()).await.expect("warm-up list");
    ProjectStore::delete(store, &project, &[]).await.expect("warm-up delete");
    let key = smartenroll_domain::ratelimit::RateKey::at(&other, smartenroll_domain::ratelimit::Category::Projects, 0);
    store.hit(&key, 10, Timestamp::from_unix_seconds(0)).await.expect("warm-up rate count");
    use smartenroll_domain::ports::RegistrationStore;
    let active = smartenroll_domain::conformance::active_project(&ids, &other, 1_700_000_000);
    let (reg, events) =
        smartenroll_domain::conformance::registration(&ids, &active, serde_json::json!({"email": "warm@example.com"}), 1_700_000_100);
    RegistrationStore::create(store, &reg, &events).await.expect("warm-up registration");
    RegistrationStore::get(store, &other, &reg.id).await.expect("warm-up registration get");
    let query = smartenroll_domain::query::RegistrationQuery {
        statuses: Some(vec![smartenroll_domain::registration::RegistrationStatus::Started]),
        ..Default::default()
    };
    RegistrationStore::list(store, &other, &query).await.expect("warm-up registration list");
    RegistrationStore::events(store, &other, &reg.id).await.expect("warm-up events");
    let folder = BlobKey::new(&other, "warm-up").expect("key");
    bucket.delete_folder(&folder).await.expect("warm-up purge");
    queue.send("{}").await.expect("warm-up send");
    for job in queue.receive(10, 30).await.expect("warm-up receive") {
        queue.ack(&job.receipt).await.expect("warm-up ack");
    }
}

fn queue_url(queue: &SqsQueue) -> String {
    queue.url().to_string()
}

/// Invokes the `outbox-relay` function with the DynamoDB stream event the table's stream would
/// deliver for the entries now in the outbox (their inserts), and checks it emptied the outbox.
async fn relay_the_outbox(store: &DynamoStore, relay: &mut Function) {
    let entries = store.outbox_entries().await.expect("outbox");
    assert!(!entries.is_empty(), "the writes put their jobs in the outbox");
    let records: Vec<serde_json::Value> = entries
        .iter()
        .enumerate()
        .map(|(i, (sk, body))| {
            serde_json::json!({
                "eventID": format!("e{i}"), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"pk": {"S": "OUTBOX"}, "sk": {"S": sk}},
                    "NewImage": {"pk": {"S": "OUTBOX"}, "sk": {"S": sk}, "body": {"S": body}},
                    "SequenceNumber": format!("{}", 1000 + i), "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-26T00:00:00.000"
            })
        })
        .collect();
    let r = relay.invoke(serde_json::json!({ "Records": records }).to_string()).await;
    assert_eq!(r["relayed"], entries.len(), "{r}");
    assert_eq!(store.outbox_entries().await.expect("outbox"), vec![], "the relay deleted what it sent");
}

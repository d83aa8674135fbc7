//! Every `events/<function>/<name>.<status>.json` file is a real-shaped API Gateway HTTP API (v2)
//! event. Each is deserialised exactly as the Lambda runtime does (`lambda_http::request::from_str`)
//! and run through its function's handler over the embedded adapters; the status in the file name
//! is the expected answer. Placeholders `{{TOKEN}}`, `{{PROJECT_ID}}` and `{{FLOW_ID}}` get a freshly
//! minted token (under a fixed clock, so fixtures never expire) and a freshly created draft project
//! with its onboarding flow; `{{WEBHOOK_ID}}` and `{{DELIVERY_ID}}` a webhook with one pending
//! delivery.

use smartenroll_api::routes::{ROUTES, handler_for};
use smartenroll_domain::client::Client;
use smartenroll_domain::clock::{FixedClock, Timestamp};
use smartenroll_domain::ids::ClientId;
use smartenroll_functions::aws::WORKERS;
use smartenroll_functions::bootstrap::DataDir;
use std::path::Path;
use std::sync::Arc;

const NOW: i64 = 1_795_683_600; // the fixtures' requestContext time

#[tokio::test]
async fn every_event_fixture_runs_through_its_handler_with_the_expected_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut data = DataDir::open(dir.path()).expect("data dir");
    data.clock = Arc::new(FixedClock(Timestamp::from_unix_seconds(NOW)));
    let deps = data.deps(Default::default()).expect("deps");
    let now = deps.clock.now();
    let client = Client::new(ClientId::parse("0123456789abcdef01234567").expect("id"), "Fixture client".into(), None, None, now);
    deps.clients.insert(&client).await.expect("client");

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut ran = 0;
    let mut functions: Vec<_> = std::fs::read_dir(&root).expect("events/").map(|e| e.expect("entry").path()).collect();
    functions.sort();
    for function_dir in functions {
        let function = function_dir.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        if WORKERS.contains(&function.as_str()) {
            continue; // SQS events, run by the test below
        }
        let handler = handler_for(&function).unwrap_or_else(|| panic!("events/{function} names no function in the routing table"));
        let mut files: Vec<_> = std::fs::read_dir(&function_dir).expect("dir").map(|e| e.expect("entry").path()).collect();
        files.sort();
        for file in files {
            let name = file.file_name().and_then(|n| n.to_str()).expect("name").to_string();
            let expected: u16 = name
                .trim_end_matches(".json")
                .rsplit('.')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{name}: no status"));
            // Each fixture gets its own project and a token of the current generation.
            let current = deps.clients.get(&client.id).await.expect("get").expect("client");
            let token = deps.jwt.issue_client_token(&current, now, 3600).expect("token");
            let create = smartenroll_domain::lifecycle::create(
                &client.id,
                serde_json::json!({"name": "Fixture project", "allowedCountries": ["Colombia"], "projectFlowType": "onboarding", "projectFlow": {"type": "onboarding"}})
                    .as_object()
                    .expect("object"),
                &smartenroll_domain::lifecycle::WriteCtx { ids: deps.ids.as_ref(), codes: deps.codes.as_ref(), now },
            )
            .expect("project");
            deps.projects.insert(&create).await.expect("insert");
            let flow = create.flow.as_ref().map(|f| f.id.to_string()).expect("the fixture project's onboarding flow");
            let hooks = deps.webhooks.as_ref().expect("the embedded backend has webhooks");
            let input = smartenroll_domain::webhook::WebhookInput::parse(
                &serde_json::json!({"name": "Fixture webhook", "url": "https://93.184.215.14/hooks"}),
                true,
            )
            .expect("webhook input");
            let webhook = input.create(deps.ids.object_id(), &client.id, &[7; smartenroll_domain::webhook::SECRET_BYTES], now);
            hooks.store.insert_webhook(&webhook).await.expect("webhook");
            let delivery =
                smartenroll_domain::webhook::Delivery::new(&client.id, &webhook.id, &deps.ids.object_id(), "ping", None, "{}".into(), now);
            hooks.store.insert_delivery(&delivery).await.expect("delivery");
            let text = std::fs::read_to_string(&file)
                .expect("read")
                .replace("{{TOKEN}}", &token)
                .replace("{{PROJECT_ID}}", create.id.as_str())
                .replace("{{FLOW_ID}}", &flow)
                .replace("{{WEBHOOK_ID}}", &webhook.id)
                .replace("{{DELIVERY_ID}}", &delivery.id);
            let request =
                lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{function}/{name} is not an API Gateway event: {e}"));
            let route_key =
                serde_json::from_str::<serde_json::Value>(&text).expect("json")["routeKey"].as_str().map(str::to_string).expect("routeKey");
            assert!(
                ROUTES.iter().any(|r| format!("{} {}", r.method, r.path) == route_key && r.function == function),
                "{function}/{name}: routeKey {route_key} is not a route of {function}"
            );
            // The published contract documents this answer.
            let (method, path) = route_key.split_once(' ').expect("METHOD /path");
            let documented = &smartenroll_api::openapi::DOCUMENT["paths"][path][method.to_ascii_lowercase()]["responses"];
            assert!(documented.get(expected.to_string()).is_some(), "{function}/{name}: status {expected} is not in the OpenAPI document");
            let response = handler(&deps, request).await;
            let body = match response.body() {
                lambda_http::Body::Text(t) => t.clone(),
                _ => String::new(),
            };
            assert_eq!(response.status().as_u16(), expected, "{function}/{name}: {body}");
            let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if expected < 400 && !content_type.starts_with("application/json") {
                // The hosted page and its files: text, in a type the document lists.
                let listed = &documented[expected.to_string()]["content"];
                let essence = content_type.split(';').next().unwrap_or_default();
                assert!(listed.get(essence).is_some() && !body.is_empty(), "{function}/{name}: {content_type} is not documented");
                ran += 1;
                continue;
            }
            let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{function}/{name}: body is not JSON"));
            if expected >= 400 {
                assert!(json["message"].is_string() && json["code"].is_string(), "{function}/{name}: {json}");
            } else {
                assert!(
                    json.get("data").is_some() || json.get("token").is_some() || json.get("accessToken").is_some(),
                    "{function}/{name}: {json}"
                );
            }
            ran += 1;
        }
    }
    assert!(ran >= 20, "only {ran} fixtures ran");
    let with_fixtures: std::collections::HashSet<_> =
        std::fs::read_dir(&root).expect("events/").map(|e| e.expect("entry").file_name().into_string().expect("utf8")).collect();
    for r in ROUTES.iter() {
        assert!(with_fixtures.contains(r.function), "function {} has no events/ fixtures", r.function);
    }
}

/// The jobs-worker's SQS event, as SQS delivers it, through the batch handler over real files: the
/// purge runs, the message this version cannot read is the only one reported failed.
#[tokio::test]
async fn an_sqs_batch_runs_each_job_and_reports_only_the_failed_message() {
    use smartenroll_domain::blob::{Blob, BlobKey};
    use smartenroll_domain::ports::BlobStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = std::sync::Arc::new(smartenroll_adapters::files::FsBlobs::open(dir.path()).expect("blobs"));
    let client = ClientId::parse("0123456789abcdef01234567").expect("id");
    let project = "65f1c2a9e4b0a1b2c3d4e5f6";
    let key = |p: &str| BlobKey::new(&client, p).expect("key");
    for path in [format!("projects/{project}/front.jpg"), format!("projects/{project}/selfie.jpg"), "projects/other/front.jpg".into()] {
        blobs.put(&key(&path), Blob { content_type: "image/jpeg".into(), bytes: b"jpeg".to_vec() }).await.expect("put");
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/jobs-worker/purge-and-unknown-kind.partial-failure.json"),
    )
    .expect("fixture")
    .replace("{{CLIENT_ID}}", client.as_str())
    .replace("{{PROJECT_ID}}", project);
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_str(&text).expect("an SQS event");
    let store = Arc::new(smartenroll_adapters::sqlite::SqliteStore::open(&dir.path().join("db")).expect("store"));
    let clock: Arc<dyn smartenroll_domain::clock::Clock> = Arc::new(FixedClock(Timestamp::from_unix_seconds(NOW)));
    let ids = Arc::new(smartenroll_domain::ids::ObjectIdGenerator::new([1, 2, 3, 4, 5], 0, clock.clone()));
    let deps = smartenroll_api::jobs::JobDeps {
        blobs: blobs.clone(),
        registrations: store,
        clock,
        ids,
        webhooks: None,
        biometrics: None,
        ocr: None,
        sources: Default::default(),
    };
    let response = smartenroll_functions::worker::handle_sqs_batch(&deps, event).await;
    assert_eq!(
        serde_json::to_value(&response).expect("json"),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]})
    );
    assert_eq!(blobs.get(&key(&format!("projects/{project}/front.jpg"))).await.expect("get"), None, "the purge ran");
    assert!(blobs.get(&key("projects/other/front.jpg")).await.expect("get").is_some(), "and touched nothing else");
}

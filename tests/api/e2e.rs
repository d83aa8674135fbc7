//! End to end: the real binary over HTTP, as an operator's client would use it.

use crate::helpers::{Server, step_one, steps_two_to_six};
use reqwest::Method;
use serde_json::{Value, json};
use smartenroll_domain::blob::{Blob, BlobKey};
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ports::BlobStore;

#[tokio::test]
async fn the_six_steps_configure_a_project_progressively_through_its_whole_lifecycle() {
    whole_lifecycle(&Server::start(&[])).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn the_whole_lifecycle_also_works_on_the_aws_backend() {
    let server = Server::start_aws(&[]);
    whole_lifecycle(&server).await;
    tenant_isolation(&server).await;
    let bucket = server.env_value("SMARTENROLL_BUCKET").expect("bucket").to_string();
    let blobs = smartenroll_aws::s3::S3Blobs::from_conf(&smartenroll_aws::sdk_config().await, bucket);
    deleting_a_project_purges_its_files(&server, &blobs).await;
}

#[tokio::test]
async fn deleting_a_project_purges_its_stored_files_in_the_background() {
    let server = Server::start(&[]);
    let blobs = smartenroll_adapters::files::FsBlobs::open(&server.data_dir.join("blobs")).expect("blobs");
    deleting_a_project_purges_its_files(&server, &blobs).await;
}

/// Files under a deleted project's folder disappear (the server's worker runs the queued purge);
/// another project's files stay.
async fn deleting_a_project_purges_its_files(server: &Server, blobs: &dyn BlobStore) {
    let t = server.new_client("Purge Co");
    let client = ClientId::parse(&t.id).expect("client id");
    let mut ids = Vec::new();
    for name in ["Purged", "Kept"] {
        let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&step_one(name))).await;
        ids.push(r.body["data"]["_id"].as_str().expect("id").to_string());
    }
    let key = |id: &str| BlobKey::new(&client, &format!("projects/{id}/documents/front.jpg")).expect("key");
    for id in &ids {
        blobs.put(&key(id), Blob { content_type: "image/jpeg".into(), bytes: b"jpeg".to_vec() }).await.expect("put");
    }
    let r = server.call(Method::DELETE, &format!("/v3/projects/{}", ids[0]), Some(&t.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut gone = false;
    for _ in 0..150 {
        if blobs.get(&key(&ids[0])).await.expect("get").is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the deleted project's files must be purged within 15 s");
    assert!(blobs.get(&key(&ids[1])).await.expect("get").is_some(), "another project's files stay");
}

async fn whole_lifecycle(server: &Server) {
    let t = server.new_client("Acme Bank");
    let tok = Some(t.token.as_str());

    let created = server.call(Method::POST, "/v3/projects", tok, Some(&step_one("Acme KYC"))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let p = &created.body["data"];
    let id = p["_id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!((p["status"].as_str(), p["lastStep"].as_u64(), p["currentStep"].as_u64()), (Some("draft"), Some(1), Some(2)));
    assert_eq!(p["client"], t.id.as_str());
    assert!(p["createdAt"].as_str().is_some_and(|s| s.ends_with('Z')) && p["updatedAt"].is_string());
    assert_eq!(p["allowedCountries"], json!(["Colombia", "Mexico"]));

    for (i, body) in steps_two_to_six().iter().enumerate() {
        let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(body)).await;
        assert_eq!(r.status, 200, "step {}: {}", i + 2, r.body);
        assert_eq!(r.body["status"], "completed");
        assert_eq!(r.body["data"]["lastStep"].as_u64(), Some(i as u64 + 2), "step {}", i + 2);
    }
    let got = server.call(Method::GET, &format!("/v3/projects/{id}"), tok, None).await;
    assert_eq!(got.status, 200);
    let d = &got.body["data"];
    let flow = &d["projectFlows"][0];
    assert_eq!(flow["signUpForm"]["phoneGateway"], "sms", "step 2 survived later steps");
    assert_eq!(flow["documents"]["documentTypes"][0]["country"], "Colombia");
    assert_eq!(flow["liveness"]["minScore"], 0.65);
    assert_eq!(flow["integrations"]["redirectUrl"], "https://acme.example/kyc/done");
    assert_eq!(flow["project"], id.as_str());
    assert_eq!(d["branding"]["logo"], "https://acme.example/logo.png");
    assert_eq!(d["dataProtection"]["postalCode"], "110111");
    assert_eq!(d["__v"], 6);

    let activate = json!({"status": "active", "projectFlow": {"status": "active"}});
    let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(&activate)).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["status"].as_str()), (200, Some("active")), "{}", r.body);
    assert_eq!(r.body["data"]["projectFlows"][0]["status"], "active");

    let r = server.call(Method::DELETE, &format!("/v3/projects/{id}"), tok, None).await;
    r.assert_error(409, "Conflict");

    let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(&json!({"status": "paused"}))).await;
    assert_eq!(r.body["data"]["status"], "paused");
    let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(&activate)).await;
    assert_eq!(r.body["data"]["status"], "active", "a paused project resumes");
    let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(&json!({"status": "draft"}))).await;
    r.assert_error(409, "Conflict");
    server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(&json!({"status": "paused"}))).await;

    let r = server.call(Method::DELETE, &format!("/v3/projects/{id}"), tok, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"], json!({"_id": id, "name": "Acme KYC", "status": "deleted"}));
    server.call(Method::GET, &format!("/v3/projects/{id}"), tok, None).await.assert_error(404, "NotFound");
}

#[tokio::test]
async fn a_complete_project_is_created_in_a_single_request() {
    let server = Server::start(&[]);
    let t = server.new_client("Acme");
    let mut body = step_one("All at once");
    for step in steps_two_to_six() {
        merge(&mut body, &step);
    }
    body["projectFlow"]["status"] = json!("draft");
    body["projectFlow"]["version"] = json!(3);
    let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let d = &r.body["data"];
    assert_eq!((d["lastStep"].as_u64(), d["status"].as_str()), (Some(6), Some("draft")));
    let flow = &d["projectFlows"][0];
    assert_eq!(flow["type"], "onboarding");
    assert_eq!(flow["steps"], json!({"document": "mandatory", "liveness": "mandatory"}));
    assert_eq!(flow["_id"].as_str().map(str::len), Some(24));
}

fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

#[tokio::test]
async fn the_v2_paths_behave_like_v3_with_the_same_status_codes() {
    let server = Server::start(&[]);
    let t = server.new_client("Legacy client");
    let tok = Some(t.token.as_str());
    let r = server.call(Method::POST, "/v2/projects", tok, Some(&step_one("Via v2"))).await;
    assert_eq!(r.status, 201);
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    let bad = json!({"projectFlowType": "onboarding", "projectFlow": {"liveness": {"minScore": 0.95}}});
    let r = server.call(Method::PUT, &format!("/v2/projects/{id}"), tok, Some(&bad)).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["projectFlow.liveness.minScore"]);
    let r = server.call(Method::PUT, &format!("/v2/projects/{id}"), tok, Some(&json!({"name": "Renamed"}))).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["name"].as_str()), (200, Some("Renamed")));
    let r = server.call(Method::GET, "/v2/projects", tok, None).await;
    assert_eq!(r.body["total"], 1);
    let r = server.call(Method::GET, &format!("/v3/projects/{id}"), tok, None).await;
    assert_eq!(r.body["data"]["name"], "Renamed", "v2 and v3 are the same resource");
    let r = server.call(Method::DELETE, &format!("/v2/projects/{id}"), tok, None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn listing_paginates_newest_first_and_filters() {
    let server = Server::start(&[]);
    let t = server.new_client("Lister");
    let tok = Some(t.token.as_str());
    let mut ids = Vec::new();
    for i in 0..12 {
        let name = if i % 3 == 0 { format!("Retail {i}") } else { format!("Wholesale {i}") };
        let r = server.call(Method::POST, "/v3/projects", tok, Some(&json!({"name": name, "allowedCountries": ["Peru"]}))).await;
        ids.push(r.body["data"]["_id"].as_str().expect("id").to_string());
    }
    let r = server.call(Method::GET, "/v3/projects?limit=5&page=3", tok, None).await;
    assert_eq!(
        (r.body["total"].as_u64(), r.body["pages"].as_u64(), r.body["page"].as_u64(), r.body["limit"].as_u64()),
        (Some(12), Some(3), Some(3), Some(5))
    );
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(2));
    let r = server.call(Method::GET, "/v3/projects", tok, None).await;
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(10), "default limit is 10");
    assert_eq!(r.body["data"][0]["_id"], ids[11].as_str(), "newest first");
    let r = server.call(Method::GET, "/v3/projects?like_name=RETAIL", tok, None).await;
    assert_eq!(r.body["total"], 4);
    let r = server.call(Method::GET, "/v3/projects?where_status=active", tok, None).await;
    assert_eq!(r.body["total"], 0);
    let r = server.call(Method::GET, "/v3/projects?in_status[]=draft&in_status[]=paused&where_target=personal", tok, None).await;
    assert_eq!(r.body["total"], 12);
    let r = server.call(Method::GET, "/v3/projects?in_status%5B%5D=draft", tok, None).await;
    assert_eq!(r.body["total"], 12, "an encoded [] is the same parameter");
    server.call(Method::GET, "/v3/projects?limit=101", tok, None).await.assert_error(422, "UnprocessableEntity");
    server.call(Method::GET, "/v3/projects?where_status=gone", tok, None).await.assert_error(422, "UnprocessableEntity");
}

#[tokio::test]
async fn activation_is_refused_with_the_list_of_what_is_missing() {
    let server = Server::start(&[]);
    let t = server.new_client("Impatient");
    let tok = Some(t.token.as_str());
    let r = server.call(Method::POST, "/v3/projects", tok, Some(&step_one("Half done"))).await;
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    for body in &steps_two_to_six()[..3] {
        server.call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(body)).await;
    }
    let r = server
        .call(Method::PUT, &format!("/v3/projects/{id}"), tok, Some(&json!({"status": "active", "projectFlow": {"status": "active"}})))
        .await;
    r.assert_error(409, "Conflict");
    assert_eq!(r.detail_fields(), ["projectFlow.integrations.redirectUrl"]);
    let r = server.call(Method::GET, &format!("/v3/projects/{id}"), tok, None).await;
    assert_eq!(r.body["data"]["status"], "draft", "nothing half-written");
}

#[tokio::test]
async fn bad_input_gets_a_clear_client_error_and_never_a_500() {
    let server = Server::start(&[]);
    let t = server.new_client("Fuzzy");
    let tok = Some(t.token.as_str());
    let url = |p: &str| format!("{}{}", server.base, p);
    let h = &server.http;
    let r =
        server.raw(h.post(url("/v3/projects")).bearer_auth(&t.token).header("content-type", "application/json").body("{\"name\": ")).await;
    r.assert_error(400, "BadRequest");
    let r = server.raw(h.post(url("/v3/projects")).bearer_auth(&t.token).header("content-type", "text/plain").body("{}")).await;
    r.assert_error(400, "BadRequest");
    let r = server.raw(h.post(url("/v3/projects")).bearer_auth(&t.token).header("content-type", "application/json").body("[1,2]")).await;
    r.assert_error(400, "BadRequest");
    let r = server
        .raw(h.post(url("/v3/projects")).bearer_auth(&t.token).header("content-type", "application/json").body(vec![0xff, 0xfe, 0x00]))
        .await;
    r.assert_error(400, "BadRequest");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = server.raw(h.post(url("/v3/projects")).bearer_auth(&t.token).header("content-type", "application/json").body(big)).await;
    r.assert_error(413, "PayloadTooLarge");
    // Shapes no endpoint takes are refused before any handler walks them: nesting (past ours, and
    // past the parser's own 128 levels) and a list longer than any the API accepts.
    for depth in [40, 300] {
        let deep = format!("{{\"name\": {}1{}}}", "[".repeat(depth), "]".repeat(depth));
        let r = server.raw(h.post(url("/v3/projects")).bearer_auth(&t.token).header("content-type", "application/json").body(deep)).await;
        r.assert_error(422, "UnprocessableEntity");
        assert_eq!(r.detail_fields(), ["body"], "{}", r.body);
    }
    let wide = json!({"name": "Wide", "allowedCountries": vec!["Colombia"; 50_001]});
    let r = server.call(Method::POST, "/v3/projects", tok, Some(&wide)).await;
    r.assert_error(422, "UnprocessableEntity");
    assert!(r.body["message"].as_str().is_some_and(|m| m.contains("at most 50000")), "{}", r.body);
    let r = server
        .call(Method::POST, "/v3/projects", tok, Some(&json!({"name": 5, "allowedCountries": ["Narnia"], "contactEmail": "x"})))
        .await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["name", "allowedCountries[0]", "contactEmail"]);
    server.call(Method::GET, "/v3/projects/not-hex", tok, None).await.assert_error(400, "BadRequest");
    server.call(Method::GET, "/v3/projects/ffffffffffffffffffffffff", tok, None).await.assert_error(404, "NotFound");
    server.call(Method::PATCH, "/v3/projects/ffffffffffffffffffffffff", tok, None).await.assert_error(405, "MethodNotAllowed");
    server.call(Method::GET, "/v9/anything", tok, None).await.assert_error(404, "NotFound");
    let mut unknown_fields = step_one("Echoed fields");
    unknown_fields["_id"] = json!("zzz");
    unknown_fields["__v"] = json!(7);
    unknown_fields["somethingNew"] = json!({"a": 1});
    let r = server.call(Method::POST, "/v3/projects", tok, Some(&unknown_fields)).await;
    assert_eq!(r.status, 201, "unknown fields are ignored: {}", r.body);
    assert!(!r.body.to_string().contains("somethingNew"));
}

#[tokio::test]
async fn tokens_that_are_missing_forged_expired_or_revoked_get_401() {
    let server = Server::start(&[]);
    let t = server.new_client("Careful");
    server.call(Method::GET, "/v3/projects", None, None).await.assert_error(401, "Unauthorized");
    server.call(Method::GET, "/v3/projects", Some("not.a.jwt"), None).await.assert_error(401, "Unauthorized");

    let secret = std::fs::read_to_string(server.data_dir.join("jwt-secret")).expect("the server created its secret");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64;
    let sign = |claims: Value, key: &[u8]| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .expect("sign")
    };
    let claims = |iat: i64, exp: i64, aud: &str| json!({"clientId": t.id, "iat": iat, "exp": exp, "jti": "j1", "aud": aud, "gen": 0});
    let valid = sign(claims(now, now + 600, "smartenroll:client"), secret.trim().as_bytes());
    assert_eq!(server.call(Method::GET, "/v3/projects", Some(&valid), None).await.status, 200, "a token signed with the secret works");
    let expired = sign(claims(now - 7200, now - 3600, "smartenroll:client"), secret.trim().as_bytes());
    server.call(Method::GET, "/v3/projects", Some(&expired), None).await.assert_error(401, "Unauthorized");
    let forged = sign(claims(now, now + 600, "smartenroll:client"), b"some-other-secret-that-is-32-bytes-long!");
    server.call(Method::GET, "/v3/projects", Some(&forged), None).await.assert_error(401, "Unauthorized");
    let enrollee = sign(claims(now, now + 600, "smartenroll:enrollee"), secret.trim().as_bytes());
    server.call(Method::GET, "/v3/projects", Some(&enrollee), None).await.assert_error(401, "Unauthorized");

    let r = server.call(Method::POST, "/v2/auth/renew-and-revoke", Some(&t.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = r.body["token"].as_str().expect("token").to_string();
    server.call(Method::GET, "/v3/projects", Some(&t.token), None).await.assert_error(401, "Unauthorized");
    server.call(Method::GET, "/v3/projects", Some(&valid), None).await.assert_error(401, "Unauthorized");
    assert_eq!(server.call(Method::GET, "/v3/projects", Some(&fresh), None).await.status, 200);
    let r = server.call(Method::GET, "/v2/auth/session?origin=refresh&expiresIn=1", Some(&fresh), None).await;
    assert_eq!((r.status.as_u16(), r.body["tokenType"].as_str()), (200, Some("bearer")));
}

#[tokio::test]
async fn another_clients_project_is_not_found_for_every_operation() {
    tenant_isolation(&Server::start(&[])).await;
}

async fn tenant_isolation(server: &Server) {
    let a = server.new_client("Tenant A");
    let b = server.new_client("Tenant B");
    let r = server.call(Method::POST, "/v3/projects", Some(&a.token), Some(&step_one("A's project"))).await;
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    let path = format!("/v3/projects/{id}");
    server.call(Method::GET, &path, Some(&b.token), None).await.assert_error(404, "NotFound");
    server.call(Method::PUT, &path, Some(&b.token), Some(&json!({"name": "Hijacked"}))).await.assert_error(404, "NotFound");
    server.call(Method::DELETE, &path, Some(&b.token), None).await.assert_error(404, "NotFound");
    assert_eq!(server.call(Method::GET, "/v3/projects", Some(&b.token), None).await.body["total"], 0);
    let r = server.call(Method::GET, &path, Some(&a.token), None).await;
    assert_eq!(r.body["data"]["name"], "A's project");
}

#[tokio::test]
async fn racing_partial_updates_never_lose_a_write() {
    let server = Server::start(&["--rate-limits", "projects=1000"]);
    let t = server.new_client("Racer");
    let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&step_one("Contended"))).await;
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    let fields =
        ["backgroundColor", "buttonColor", "buttonTextColor", "titleColor", "textColor", "tabColor", "borderColor", "secondaryButtonColor"];
    let mut tasks = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let (http, url, token) = (server.http.clone(), format!("{}/v3/projects/{id}", server.base), t.token.clone());
        let body = json!({"branding": {*field: format!("#00000{i}")}});
        tasks.push(tokio::spawn(async move { http.put(url).bearer_auth(token).json(&body).send().await.map(|r| r.status().as_u16()) }));
    }
    let mut applied = Vec::new();
    for (task, field) in tasks.into_iter().zip(fields) {
        let status = task.await.expect("join").expect("HTTP");
        assert!(status == 200 || status == 409, "{field}: {status}");
        if status == 200 {
            applied.push(field);
        }
    }
    let r = server.call(Method::GET, &format!("/v3/projects/{id}"), Some(&t.token), None).await;
    for (i, field) in fields.iter().enumerate() {
        if applied.contains(field) {
            assert_eq!(r.body["data"]["branding"][*field], format!("#00000{i}"), "{field} was acknowledged, so it must be stored");
        }
    }
    assert_eq!(r.body["data"]["__v"].as_u64(), Some(1 + applied.len() as u64), "every acknowledged write is one version");
}

#[tokio::test]
async fn the_request_over_the_rate_limit_gets_429_with_retry_headers() {
    let server = Server::start(&["--rate-limits", "projects=5"]);
    let a = server.new_client("Busy");
    let b = server.new_client("Quiet");
    for i in 0..5 {
        let r = server.call(Method::GET, "/v3/projects", Some(&a.token), None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-remaining"), Some((4 - i).to_string().as_str()));
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
    }
    let r = server.call(Method::GET, "/v3/projects", Some(&a.token), None).await;
    r.assert_error(429, "RateLimitExceeded");
    let retry: i64 = r.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert!(r.header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()).is_some());
    assert_eq!(server.call(Method::GET, "/v3/projects", Some(&b.token), None).await.status, 200, "limits are per client");
}

#[tokio::test]
async fn data_survives_a_restart_and_a_second_server_on_the_same_directory_is_refused() {
    let server = Server::start(&[]);
    let t = server.new_client("Durable");
    let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&step_one("Survivor"))).await;
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    let second = Server::start_on(&server.data_dir.clone(), &[]);
    assert!(second.as_ref().err().is_some_and(|e| e.contains("already using")), "one server per data dir");
    let data_dir = server.data_dir.clone();
    let dir = server.stop();
    let again = Server::start_on(&data_dir, &[]).expect("restart");
    let r = again.call(Method::GET, &format!("/v3/projects/{id}"), Some(&t.token), None).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["name"].as_str()), (200, Some("Survivor")), "same secret, same data after restart");
    drop(again);
    drop(dir);
}

#[tokio::test]
async fn token_issue_refuses_an_unknown_client() {
    let server = Server::start(&[]);
    let err = server.cli(&["token", "issue", "--client", "aaaaaaaaaaaaaaaaaaaaaaaa"]).unwrap_err();
    assert!(err.contains("unknown client"), "{err}");
    let err = server.cli(&["token", "issue", "--client", "nope"]).unwrap_err();
    assert!(err.contains("not a client id"), "{err}");
}

#[tokio::test]
async fn the_server_publishes_the_openapi_document_of_its_routing_table() {
    let server = Server::start(&[]);
    let r = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body["openapi"], "3.1.0");
    assert_eq!(r.body, *smartenroll_api::openapi::DOCUMENT, "the served document is the generated one");
    let operations: usize = r.body["paths"].as_object().expect("paths").values().map(|p| p.as_object().map_or(0, |m| m.len())).sum();
    assert_eq!(operations, smartenroll_api::routes::ROUTES.len(), "one operation per route");
    crate::helpers::report(
        "openapi",
        &format!("openapi: {operations} operations, generated from the routing table, committed copy current"),
    );
}

#[tokio::test]
async fn branding_colours_below_wcag_contrast_are_kept_and_warned_about_when_saved() {
    let server = Server::start(&[]);
    let t = server.new_client("Contrast");
    let mut one = step_one("Contrast KYC");
    one["branding"] = json!({"buttonColor": "#FFFF00", "buttonTextColor": "#FFFFFF"});
    let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&one)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let warnings = r.body["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{}", r.body);
    assert!(warnings[0].as_str().is_some_and(|w| w.contains("buttonTextColor #FFFFFF on buttonColor #FFFF00 is 1.07:1")), "{warnings:?}");
    assert_eq!(r.body["data"]["branding"]["buttonColor"], "#FFFF00", "the save stands");
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();

    // A fix clears the warning; a save that does not touch branding says nothing about it.
    let r = server
        .call(Method::PUT, &format!("/v3/projects/{id}"), Some(&t.token), Some(&json!({"branding": {"buttonTextColor": "#000000"}})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("warnings").is_none(), "{}", r.body);
    let r =
        server.call(Method::PUT, &format!("/v3/projects/{id}"), Some(&t.token), Some(&json!({"branding": {"textColor": "#DDDDDD"}}))).await;
    assert!(
        r.body["warnings"][0].as_str().is_some_and(|w| w.starts_with("contrast: textColor #DDDDDD on the page's white card")),
        "{}",
        r.body
    );
    let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), Some(&t.token), Some(&json!({"name": "Renamed"}))).await;
    assert!(r.body.get("warnings").is_none(), "{}", r.body);
}

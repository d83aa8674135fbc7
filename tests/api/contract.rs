//! The published contract against the live server. schemathesis (PyPI; scripts/test installs it,
//! pinned and hash-checked, into .cache/venv-st and names its `st` in `SMARTENROLL_SCHEMATHESIS`)
//! reads the server's own `/openapi.json` and sends every operation at least 50 generated
//! requests, valid and invalid, then walks the documented links statefully (create → read →
//! update → delete). With every check on except one (below), the run must end with zero failures:
//! no 5xx, no answer outside its schema, no schema-invalid body accepted, 405 with `Allow` for
//! undeclared methods, no resource usable after its delete.
//!
//! `positive_data_acceptance` is off on purpose: the schemas are allowed to be looser than the
//! readers (see shared/api/src/schemas.rs), and a generated valid body still meets state (an
//! unknown id is 404, a project that is not active is 409, a selfie without faces is 422).
//!
//! The same test checks the other half of the drift guard: every events/ fixture answered 2xx
//! validates against its operation's request schema, and the answers of the success paths
//! schemathesis cannot reach by itself against their documented responses
//! (tests/schemathesis/fixtures.py).

use crate::enrollment::{activate, demo_project};
use crate::helpers::{Server, report};
use reqwest::Method;
use serde_json::{Value, json};
use smartenroll_domain::ratelimit::Category;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fixed, so a failure reproduces (`st replay` prints the case too).
const SEED: u64 = 7;
const EXAMPLES: u32 = 50;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

struct Run {
    operations: u64,
    cases: u64,
}

/// Runs `st` on the server's document with `filter` (which operations).
fn schemathesis(st: &str, server: &Server, dir: &Path, name: &str, config: &str, filter: &[&str], tokens: &[(&str, &str)]) -> Run {
    let config_path = dir.join(format!("{name}.toml"));
    std::fs::write(&config_path, config).expect("write the schemathesis config");
    let reports = dir.join(name);
    let out = Command::new(st)
        .arg("--config-file")
        .arg(&config_path)
        .args(["run", &format!("{}/openapi.json", server.base), "--checks", "all", "--exclude-checks", "positive_data_acceptance"])
        .args(["--report", "json", "--report-dir"])
        .arg(&reports)
        .args(["--seed", &SEED.to_string(), "--max-examples", &EXAMPLES.to_string(), "--workers", "1"])
        .args(filter)
        // Its cache of found crashes goes to the temporary folder, not the working tree.
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(tokens.iter().copied())
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis ({name}) found failures:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_dir(&reports)
        .expect("the report folder")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "json"))
        .expect("a JSON report");
    let report: Value = serde_json::from_slice(&std::fs::read(report.path()).expect("read the report")).expect("JSON");
    assert_eq!(report["exit_code"], 0, "{report}");
    Run {
        operations: report["operations"]["tested"].as_u64().expect("operations tested"),
        cases: report["test_cases"]["generated"].as_u64().expect("cases generated"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_server_keeps_its_published_contract_under_schemathesis() {
    let st = std::env::var("SMARTENROLL_SCHEMATHESIS").expect("SMARTENROLL_SCHEMATHESIS: the schemathesis `st` (scripts/test installs it)");
    // Limits high enough that generated traffic meets the handlers, not the limiter; the face and
    // document engines on, so their endpoints answer 4xx for undecodable images, not 503.
    let limits: Vec<String> = Category::ALL.iter().map(|c| format!("{}=1000000", c.as_str())).collect();
    let models = std::env::var("SMARTENROLL_MODELS_DIR").unwrap_or_else(|_| repo().join(".cache/models").display().to_string());
    let server = Server::start_env(&["--rate-limits", &limits.join(",")], &[("SMARTENROLL_MODELS_DIR", models.as_str())]);

    // Something to find: an active project with its flow and one registration (the enrollee
    // token's). schemathesis creates and deletes its own resources through the links.
    let t = server.new_client("Contract");
    let (project, flow) = demo_project(&server, &t).await;
    activate(&server, &t, &project).await;
    let body =
        json!({"project": project, "projectFlow": flow, "email": "contract@example.com", "phone": "3001234567", "countryCode": "+57"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let enrollee = r.body["data"]["token"].as_str().expect("enrollee token").to_string();
    let registration = r.body["data"]["appRegistration"]["_id"].as_str().expect("registration id").to_string();

    let dir = tempfile::tempdir().expect("temp dir");
    let answers = success_paths(&server, &t.token, &project, &flow, (&registration, &enrollee)).await;
    let answers_path = dir.path().join("answers.json");
    std::fs::write(&answers_path, serde_json::to_vec(&answers).expect("JSON")).expect("write the answers");
    let auth = r#"
[checks]
# 413 is the documented answer to a body over an endpoint's size limit.
negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
[auth.openapi.clientToken]
bearer = "${ST_CLIENT_TOKEN}"
[auth.openapi.enrolleeToken]
bearer = "${ST_ENROLLEE_TOKEN}"
"#;
    let tokens = [("ST_CLIENT_TOKEN", t.token.as_str()), ("ST_ENROLLEE_TOKEN", enrollee.as_str())];
    // renew-and-revoke revokes the very token schemathesis sends: it runs last, on its own (and
    // without the stateful phase, which has no link to follow from it).
    let all = schemathesis(&st, &server, dir.path(), "all", auth, &["--exclude-operation-id", "auth-renew-and-revoke"], &tokens);
    let renew = schemathesis(
        &st,
        &server,
        dir.path(),
        "renew",
        auth,
        &["--include-operation-id", "auth-renew-and-revoke", "--phases", "examples,coverage,fuzzing"],
        &tokens,
    );
    let operations = all.operations + renew.operations;
    let documented = smartenroll_api::routes::ROUTES.len() as u64;
    assert_eq!(operations, documented, "every operation of the document is tested");
    assert!(all.cases + renew.cases >= documented * u64::from(EXAMPLES), "{} cases", all.cases + renew.cases);

    // The positive half: the committed fixtures the API accepts are valid by the schemas.
    let doc = dir.path().join("openapi.json");
    std::fs::write(&doc, smartenroll_api::openapi::pretty()).expect("write the document");
    let python = Path::new(&st).with_file_name("python");
    let out = Command::new(&python)
        .arg(repo().join("tests/schemathesis/fixtures.py"))
        .arg(&doc)
        .arg(repo().join("events"))
        .arg(&answers_path)
        .output()
        .expect("run the fixture check");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(out.status.success(), "events fixtures outside their request schema:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let counts: Vec<&str> = stdout.split_whitespace().collect();
    let (fixtures, checked_answers) = (counts.first().copied().unwrap_or("0"), counts.get(2).copied().unwrap_or("0"));
    assert!(fixtures.parse::<u32>().is_ok_and(|n| n >= 10), "{stdout}");
    assert_eq!(checked_answers, answers.len().to_string(), "{stdout}");

    report(
        "schemathesis",
        &format!(
            "schemathesis (seed {SEED}, >= {EXAMPLES} examples/op, stateful): {operations} operations, {} cases, 0 failures; {fixtures} accepted events fixtures valid by their request schemas; {checked_answers} success answers schemathesis cannot reach valid by their response schemas",
            all.cases + renew.cases
        ),
    );
}

/// Walks the success paths schemathesis cannot reach by itself (they need a registration, an
/// enrollee's codes, a webhook delivery) and records each answer: `{method, path, status, body}`
/// with `path` the route's pattern, for the response-schema check.
async fn success_paths(server: &Server, client: &str, project: &str, flow: &str, (reg, enrollee): (&str, &str)) -> Vec<Value> {
    let mut out = Vec::new();
    let mut call = async |method: Method, pattern: &str, path: String, token: Option<&str>, body: Option<Value>, expected: u16| {
        let r = server.call(method.clone(), &path, token, body.as_ref()).await;
        assert_eq!(r.status.as_u16(), expected, "{method} {path}: {}", r.body);
        out.push(json!({"method": method.as_str(), "path": pattern, "status": expected, "body": r.body.clone()}));
        r.body
    };
    let (c, e) = (Some(client), Some(enrollee));
    let body =
        json!({"project": project, "projectFlow": flow, "email": "answers@example.com", "phone": "3007654321", "countryCode": "+57"});
    let created = call(Method::POST, "/v2/app-registrations", "/v2/app-registrations".into(), c, Some(body), 200).await;
    let other = created["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    call(Method::GET, "/v2/app-registrations", "/v2/app-registrations".into(), c, None, 200).await;
    call(Method::GET, "/v2/app-registrations/{id}", format!("/v2/app-registrations/{reg}"), c, None, 200).await;
    call(Method::GET, "/v2/app-registrations/{id}", format!("/v2/app-registrations/{reg}"), e, None, 200).await;
    call(Method::GET, "/v2/app-registrations/{id}/events", format!("/v2/app-registrations/{reg}/events"), c, None, 200).await;
    call(Method::GET, "/v2/app-registrations/{id}/evidence", format!("/v2/app-registrations/{reg}/evidence"), c, None, 200).await;
    let v = call(
        Method::POST,
        "/v2/email-validations/app-registration",
        "/v2/email-validations/app-registration".into(),
        e,
        Some(json!({"email": "contract@example.com"})),
        200,
    )
    .await;
    let validation = v["data"]["_id"].as_str().expect("validation id").to_string();
    call(
        Method::PUT,
        "/v2/email-validations/{id}",
        format!("/v2/email-validations/{validation}"),
        e,
        Some(json!({"email": "contract@example.com", "otp": "424242"})),
        200,
    )
    .await;
    let phone = json!({"phone": "3001234567", "countryCode": "+57"});
    call(
        Method::POST,
        "/v2/phone-validations/app-registration",
        "/v2/phone-validations/app-registration".into(),
        e,
        Some(phone.clone()),
        200,
    )
    .await;
    call(
        Method::PUT,
        "/v2/phone-validations",
        "/v2/phone-validations".into(),
        e,
        Some(json!({"phone": "3001234567", "countryCode": "+57", "otp": "424242"})),
        200,
    )
    .await;
    call(
        Method::PUT,
        "/v2/app-registrations/{id}/sync",
        format!("/v2/app-registrations/{reg}/sync"),
        e,
        Some(json!({"step": "signUpForm", "status": "ONGOING"})),
        200,
    )
    .await;
    call(Method::POST, "/v2/face-recognition/liveness/challenge", "/v2/face-recognition/liveness/challenge".into(), e, None, 200).await;
    call(Method::POST, "/v2/app-registrations/{id}/resend-link", format!("/v2/app-registrations/{reg}/resend-link"), c, None, 200).await;
    call(Method::DELETE, "/v2/app-registrations/{id}", format!("/v2/app-registrations/{other}"), c, None, 200).await;
    call(Method::GET, "/v2/projects/kyc", format!("/v2/projects/kyc?id={project}"), None, None, 200).await;
    call(Method::GET, "/v2/auth/session", "/v2/auth/session".into(), c, None, 200).await;
    // A webhook whose receiver is not listening: the test delivery is still being retried, so a
    // replay of it is refused (409, in the error shape); replay-failed finds none to replay.
    let hook = call(
        Method::POST,
        "/v2/webhooks",
        "/v2/webhooks".into(),
        c,
        Some(json!({"name": "contract", "url": "http://127.0.0.1:9/hook"})),
        201,
    )
    .await;
    let hook = hook["data"]["_id"].as_str().expect("webhook id").to_string();
    let d = call(Method::POST, "/v2/webhooks/{id}/test", format!("/v2/webhooks/{hook}/test"), c, None, 202).await;
    let delivery = d["data"]["_id"].as_str().expect("delivery id").to_string();
    call(Method::GET, "/v2/webhooks/{id}/deliveries", format!("/v2/webhooks/{hook}/deliveries"), c, None, 200).await;
    call(Method::GET, "/v2/webhooks/{id}/deliveries/{deliveryId}", format!("/v2/webhooks/{hook}/deliveries/{delivery}"), c, None, 200)
        .await;
    call(
        Method::POST,
        "/v2/webhooks/{id}/deliveries/{deliveryId}/replay",
        format!("/v2/webhooks/{hook}/deliveries/{delivery}/replay"),
        c,
        None,
        409,
    )
    .await;
    call(Method::POST, "/v2/webhooks/{id}/replay-failed", format!("/v2/webhooks/{hook}/replay-failed"), c, None, 202).await;
    call(Method::POST, "/v2/webhooks/{id}/rotate-secret", format!("/v2/webhooks/{hook}/rotate-secret"), c, None, 200).await;
    out
}

// What schemathesis found, each kept as its own regression test.

#[tokio::test]
async fn an_undeclared_method_is_405_with_the_allowed_methods_listed() {
    let server = Server::start(&[]);
    let t = server.new_client("Allow");
    let r = server.call(Method::PATCH, "/v3/projects/65a1b2c3d4e5f60718293a4b", Some(&t.token), None).await;
    r.assert_error(405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("GET, PUT, DELETE"));
    // A path spelled out in the routing table is only itself, not also an `{id}` of another route.
    let r = server.call(Method::GET, "/v2/projects/email-login", Some(&t.token), None).await;
    r.assert_error(405, "MethodNotAllowed");
    assert_eq!(r.header("allow"), Some("POST"));
    let r = server.call(Method::PUT, "/v2/email-validations/app-registration", None, Some(&json!({"otp": "123456"}))).await;
    assert_eq!((r.status.as_u16(), r.header("allow")), (405, Some("POST")), "{}", r.body);
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_refused_where_it_used_to_be_ignored() {
    let server = Server::start(&[]);
    let t = server.new_client("Types");
    let (project, flow) = demo_project(&server, &t).await;
    // A blocklist upload names one list: a second one (here of the wrong type) is not ignored.
    let body = json!({"entries": [], "whiteList": {}});
    let r = server.call(Method::PUT, &format!("/v2/project-flows/{flow}/blacklist"), Some(&t.token), Some(&body)).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["entries", "whiteList"]);
    // The phone channel preference is sms or whatsapp, not any value.
    let body = json!({"phone": "3001234567", "countryCode": "+57", "phoneGateway": 5});
    let r = server.call(Method::POST, "/v2/projects/phone-login", None, Some(&body)).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["phoneGateway"]);
    // Resending a link: sendEmail is true or false.
    activate(&server, &t, &project).await;
    let body = json!({"project": project, "projectFlow": flow, "email": "types@example.com"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    let r =
        server.call(Method::POST, &format!("/v2/app-registrations/{id}/resend-link"), Some(&t.token), Some(&json!({"sendEmail": 1}))).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["sendEmail"]);
}

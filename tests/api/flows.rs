//! End to end, the project-flows resource and the tokenless edge: a flow configured through
//! `/v2/project-flows` is the project's embedded flow (one per project and type), and a hosted page
//! reads a project's public view and signs enrollees up without a token when the project allows it,
//! limited per source address. Both run on the embedded store and on the AWS backend.

use crate::helpers::{Server, step_one, steps_two_to_six};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn flows_configured_through_the_resource_are_the_projects_own_flows() {
    flows(&Server::start(&[])).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn the_flows_resource_also_works_on_the_aws_backend() {
    flows(&Server::start_aws(&[])).await;
}

/// The sections of steps 2–5 as one flow body (what the project steps send inside `projectFlow`).
fn onboarding_body(project: &str) -> Value {
    let mut body = json!({"project": project, "type": "onboarding", "name": "Main onboarding"});
    for step in steps_two_to_six().into_iter().take(4) {
        for (k, v) in step["projectFlow"].as_object().expect("flow").iter() {
            body[k] = v.clone();
        }
    }
    body["steps"] = json!({"document": "mandatory", "liveness": "mandatory"});
    body
}

async fn flows(server: &Server) {
    let acme = server.new_client("Acme");
    let other = server.new_client("Other");
    let r = server.call(Method::POST, "/v3/projects", Some(&acme.token), Some(&step_one("Acme flows"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let project = r.body["data"]["_id"].as_str().expect("id").to_string();

    // Invalid sections are refused with the flow's own field names, and nothing is written.
    let mut bad = onboarding_body(&project);
    bad["liveness"]["minScore"] = json!(2);
    let r = server.call(Method::POST, "/v2/project-flows", Some(&acme.token), Some(&bad)).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["liveness.minScore"]);

    let r = server.call(Method::POST, "/v2/project-flows", Some(&acme.token), Some(&onboarding_body(&project))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let flow = r.body["data"]["_id"].as_str().expect("flow id").to_string();
    assert_eq!((r.body["data"]["type"].as_str(), r.body["data"]["name"].as_str()), (Some("onboarding"), Some("Main onboarding")));
    let p = server.call(Method::GET, &format!("/v3/projects/{project}"), Some(&acme.token), None).await;
    assert_eq!(p.body["data"]["projectFlows"][0]["_id"], flow.as_str(), "the resource's flow is the project's embedded flow");
    assert_eq!(p.body["data"]["lastStep"], 5, "{}", p.body);

    // One flow per project and type.
    let r = server.call(Method::POST, "/v2/project-flows", Some(&acme.token), Some(&onboarding_body(&project))).await;
    r.assert_error(409, "Conflict");
    let login =
        json!({"project": project, "type": "login", "loginSettings": {"email": true, "faceLiveness": true, "searchMode": "ACCURATE"}});
    let r = server.call(Method::POST, "/v2/project-flows", Some(&acme.token), Some(&login)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let login_id = r.body["data"]["_id"].as_str().expect("login flow id").to_string();
    assert_eq!(r.body["data"]["loginSettings"]["steps"], json!(["email", "liveness"]));

    // Reads: by id (another client's is a 404), and listed with filters.
    let r = server.call(Method::GET, &format!("/v2/project-flows/{flow}"), Some(&acme.token), None).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["project"].as_str()), (200, Some(project.as_str())), "{}", r.body);
    server.call(Method::GET, &format!("/v2/project-flows/{flow}"), Some(&other.token), None).await.assert_error(404, "NotFound");
    server.call(Method::GET, &format!("/v2/project-flows/{project}"), Some(&acme.token), None).await.assert_error(404, "NotFound");
    let r = server.call(Method::GET, &format!("/v2/project-flows?project={project}"), Some(&acme.token), None).await;
    assert_eq!(r.body["total"], 2, "{}", r.body);
    let r = server.call(Method::GET, "/v2/project-flows?type=login&limit=1", Some(&acme.token), None).await;
    assert_eq!((r.body["total"].as_u64(), r.body["data"][0]["_id"].as_str()), (Some(1), Some(login_id.as_str())), "{}", r.body);
    let r = server.call(Method::GET, "/v2/project-flows", Some(&other.token), None).await;
    assert_eq!(r.body["total"], 0, "another client sees none: {}", r.body);

    // Writing the flow's status moves the project, through the same activation checks.
    let r = server.call(Method::PUT, &format!("/v2/project-flows/{flow}"), Some(&acme.token), Some(&json!({"status": "active"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = server.call(Method::GET, &format!("/v3/projects/{project}"), Some(&acme.token), None).await;
    assert_eq!(p.body["data"]["status"], "active");
    let r = server
        .call(Method::PUT, &format!("/v3/project-flows/{flow}"), Some(&acme.token), Some(&json!({"integrations": {"redirectUrl": null}})))
        .await;
    r.assert_error(409, "Conflict");
    assert!(r.detail_fields().contains(&"integrations.redirectUrl".to_string()), "{}", r.body);

    // An enrollee mid-flow pins the flow: edits are allowed, deleting it is not.
    let ana = json!({"project": project, "projectFlow": flow, "email": "ana@example.com", "fullName": "Ana"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&ana)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server
        .call(Method::PUT, &format!("/v3/project-flows/{flow}"), Some(&acme.token), Some(&json!({"liveness": {"minScore": 0.8}})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.call(Method::DELETE, &format!("/v3/project-flows/{flow}"), Some(&acme.token), None).await.assert_error(409, "Conflict");
    server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&json!({"status": "paused"}))).await;
    let r = server.call(Method::DELETE, &format!("/v3/project-flows/{flow}"), Some(&acme.token), None).await;
    r.assert_error(409, "Conflict");
    assert_eq!(r.body["message"], "Cannot delete project flow with active users");

    let r = server.call(Method::DELETE, &format!("/v3/project-flows/{login_id}"), Some(&acme.token), None).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["status"].as_str()), (200, Some("deleted")), "{}", r.body);
    server.call(Method::GET, &format!("/v2/project-flows/{login_id}"), Some(&acme.token), None).await.assert_error(404, "NotFound");
}

#[tokio::test]
async fn a_hosted_page_reads_the_public_view_and_signs_up_without_a_token_when_allowed() {
    public_sign_up(&Server::start_env(&[], &[("SMARTENROLL_RATE_LIMITS", "publicSignUp=3")])).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn public_sign_up_also_works_on_the_aws_backend() {
    public_sign_up(&Server::start_aws_env(&[], &[("SMARTENROLL_RATE_LIMITS", "publicSignUp=3")])).await;
}

async fn public_sign_up(server: &Server) {
    let acme = server.new_client("Acme");
    let (project, flow) = crate::enrollment::demo_project(server, &acme).await;

    // A draft is not public.
    server.call(Method::GET, &format!("/v2/projects/kyc?id={project}"), None, None).await.assert_error(404, "NotFound");
    crate::enrollment::activate(server, &acme, &project).await;
    let r = server.call(Method::GET, &format!("/v2/projects/kyc?id={project}"), None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let view = &r.body["data"];
    assert_eq!(view["projectFlow"]["_id"], flow.as_str());
    assert_eq!(view["privacyUrl"], "https://acme.example/privacy");
    assert_eq!(view["projectFlow"]["signUpForm"]["email"], true);
    let text = r.body.to_string();
    for secret in ["424242", "demoOTP", "contactEmail", "client", "minScore", "apiUrl"] {
        assert!(!text.contains(secret), "the public view shows nothing an operator keeps to itself ({secret}): {text}");
    }
    server.call(Method::GET, "/v2/projects/kyc", None, None).await.assert_error(400, "BadRequest");

    // Without a token: refused until the operator allows public sign-up.
    let signup =
        |n: u32| json!({"project": project, "projectFlow": flow, "email": format!("walk-in{n}@example.com"), "fullName": "Walk In"});
    let r = server.call(Method::POST, "/v2/app-registrations", None, Some(&signup(0))).await;
    r.assert_error(401, "Unauthorized");
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&json!({"publicSignUp": true}))).await;
    assert_eq!((r.status.as_u16(), &r.body["data"]["publicSignUp"]), (200, &json!(true)), "{}", r.body);
    let r = server.call(Method::POST, "/v2/app-registrations", None, Some(&signup(1))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["data"]["token"].as_str().expect("enrollee token").to_string();
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    let own = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&token), None).await;
    assert_eq!(own.status, 200, "the enrollee token works: {}", own.body);
    let seen = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
    assert_eq!(seen.status, 200, "the operator sees the walk-in: {}", seen.body);

    // Per source address: the limit (3 a minute here) counts every tokenless sign-up from this
    // address. Seven quick calls span at most two windows, so one of them sees a fourth call.
    let mut refused = 0;
    for n in 2..9 {
        let r = server.call(Method::POST, "/v2/app-registrations", None, Some(&signup(n))).await;
        if r.status == 429 {
            r.assert_error(429, "RateLimitExceeded");
            assert!(r.header("retry-after").is_some(), "a refusal says when to come back");
            refused += 1;
        } else {
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
    assert!(refused >= 1, "the per-source limit refused nothing");
    // The operator's own budget is untouched.
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&signup(99))).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn an_uploaded_blocklist_refuses_listed_sign_ups_and_keeps_only_hashes() {
    let server = Server::start(&[]);
    uploaded_blocklist(&server).await;
    for file in ["smartenroll.db", "smartenroll.db-wal"] {
        let bytes = std::fs::read(server.data_dir.join(file)).unwrap_or_default();
        for identifier in ["someone@example.com", "3009990000", "AB123456"] {
            assert!(!bytes.windows(identifier.len()).any(|w| w == identifier.as_bytes()), "{identifier} is stored in the clear in {file}");
        }
    }
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn uploaded_blocklists_also_work_on_the_aws_backend() {
    uploaded_blocklist(&Server::start_aws(&[])).await;
}

async fn upload(server: &Server, token: &str, flow: &str, csv: &str) -> crate::helpers::Reply {
    let req = server
        .http
        .put(format!("{}/v2/project-flows/{flow}/blacklist", server.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string());
    server.raw(req).await
}

async fn uploaded_blocklist(server: &Server) {
    let acme = server.new_client("Acme");
    let (project, flow) = crate::enrollment::demo_project(server, &acme).await;
    let csv_source = json!({"projectFlow": {"integrations": {"redirectUrl": "https://acme.example/kyc/done", "source": "CSV", "strategy": "blacklist"}}});
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&csv_source)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    crate::enrollment::activate(server, &acme, &project).await;

    let r = upload(server, &acme.token, &flow, "email,documentNumber\nnot-an-email,\n").await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["line 2.email"]);
    let csv = "Name,Email,Country Code,Phone,Document Number\nFraud,FRAUD@example.com,,,\nMule,,+57,300 999 0000,\nForger,,,,AB-123 456\n";
    let r = upload(server, &acme.token, &flow, csv).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["data"]["entries"].as_u64(), r.body["data"]["inForce"].as_bool()), (Some(3), Some(true)), "{}", r.body);
    let other = server.new_client("Other");
    upload(server, &other.token, &flow, "email\nx@example.com\n").await.assert_error(404, "NotFound");

    let signup =
        |email: &str, phone: &str| json!({"project": project, "projectFlow": flow, "email": email, "phone": phone, "countryCode": "+57"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&signup("fraud@example.com", "3001110000"))).await;
    r.assert_error(403, "Forbidden");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("blocked_by_blacklist")), "{}", r.body);
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&signup("mule@example.com", "3009990000"))).await;
    r.assert_error(403, "Forbidden");
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&signup("ok@example.com", "3001110001"))).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A new upload replaces the list whole.
    let r = server
        .call(
            Method::PUT,
            &format!("/v2/project-flows/{flow}/blacklist"),
            Some(&acme.token),
            Some(&json!({"whiteList": [{"email": "someone@example.com"}]})),
        )
        .await;
    assert_eq!(r.body["data"]["entries"], 1, "{}", r.body);
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&signup("fraud@example.com", "3001110002"))).await;
    assert_eq!(r.status, 200, "no longer listed: {}", r.body);
}

//! End to end, the enrollee side: an operator configures and activates a demo-mode project, starts
//! registrations for enrollees, and reads them and their events; an enrollee reads their own.
//! The same scenario runs on the embedded store and on the AWS backend.

use crate::helpers::{Server, Tenant, step_one, steps_two_to_six};
use reqwest::Method;
use serde_json::{Value, json};

const PUBLIC_URL: &str = "https://enroll.acme.example";

#[tokio::test]
async fn an_operator_starts_registrations_and_an_enrollee_reads_their_own() {
    registrations(&Server::start_env(&[], &[("SMARTENROLL_PUBLIC_URL", PUBLIC_URL)])).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn registrations_also_work_on_the_aws_backend() {
    registrations(&Server::start_aws_env(&[], &[("SMARTENROLL_PUBLIC_URL", PUBLIC_URL)])).await;
}

/// A configured demo-mode project (not yet active) and its onboarding flow id.
pub async fn demo_project(server: &Server, t: &Tenant) -> (String, String) {
    let mut one = step_one("Acme demo KYC");
    one["demoMode"] = json!(true);
    one["demoOTP"] = json!("424242");
    let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&one)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    for body in steps_two_to_six() {
        let r = server.call(Method::PUT, &format!("/v3/projects/{id}"), Some(&t.token), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = server.call(Method::GET, &format!("/v3/projects/{id}"), Some(&t.token), None).await;
    let flow = r.body["data"]["projectFlows"][0]["_id"].as_str().expect("flow id").to_string();
    (id, flow)
}

pub async fn activate(server: &Server, t: &Tenant, project: &str) -> Value {
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&t.token), Some(&json!({"status": "active"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn registrations(server: &Server) {
    let acme = server.new_client("Acme");
    let other = server.new_client("Other");
    let (project, flow) = demo_project(server, &acme).await;
    let ana = json!({"project": project, "projectFlow": flow, "email": "Ana.Perez@Example.com", "phone": "300 123 4567", "countryCode": "+57", "fullName": "Ana Pérez"});

    // Only an active project takes registrations.
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&ana)).await;
    r.assert_error(409, "Conflict");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("project_not_active")), "{}", r.body);
    let activated = activate(server, &acme, &project).await;
    assert!(
        activated["warnings"].as_array().is_some_and(|w| w.iter().any(|x| x.as_str().is_some_and(|s| s.contains("demoMode")))),
        "activating a demo-mode project warns: {activated}"
    );

    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&ana)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reg = &r.body["data"]["appRegistration"];
    let id = reg["_id"].as_str().expect("id").to_string();
    assert_eq!(
        (reg["status"].as_str(), reg["email"].as_str(), reg["demo"].as_bool()),
        (Some("STARTED"), Some("ana.perez@example.com"), Some(true))
    );
    assert_eq!(r.body["data"]["informationValidation"]["fullName"], "Ana Pérez");
    let token = r.body["data"]["token"].as_str().expect("enrollee token").to_string();
    let link = r.body["data"]["link"].as_str().expect("link");
    assert!(link.starts_with(&format!("{PUBLIC_URL}/enroll/{id}#token=")), "the link comes from the configured base URL: {link}");

    // The same email, or the same phone, again in this flow is the documented conflict.
    let again = json!({"project": project, "projectFlow": flow, "email": "ANA.PEREZ@example.com"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&again)).await;
    r.assert_error(409, "Conflict");
    assert_eq!(r.body["message"], "email_is_registered_already");
    let again = json!({"project": project, "projectFlow": flow, "phone": "3001234567", "countryCode": "57"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&again)).await;
    assert_eq!(r.body["message"], "phone_is_registered_already", "{}", r.body);

    // Bad input names its fields.
    let r = server
        .call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&json!({"project": project, "projectFlow": flow})))
        .await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["email"]);
    let r =
        server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&json!({"projectFlow": flow, "email": "x@y.co"}))).await;
    assert_eq!(r.detail_fields(), ["project"]);
    let wrong_flow = json!({"project": project, "projectFlow": project, "email": "x@y.co"});
    server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&wrong_flow)).await.assert_error(404, "NotFound");
    let theirs = json!({"project": project, "projectFlow": flow, "email": "x@y.co"});
    server.call(Method::POST, "/v2/app-registrations", Some(&other.token), Some(&theirs)).await.assert_error(404, "NotFound");

    let bob = json!({"project": project, "projectFlow": flow, "email": "bob@example.com", "firstName": "Bob", "lastName": "Ruiz"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&bob)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let bob_id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    assert_eq!(r.body["data"]["appRegistration"]["fullName"], "Bob Ruiz");

    // The enrollee reads their own registration, reduced; nobody else's; no operator endpoint.
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["status"], "STARTED");
    assert!(r.body["data"].get("history").is_none(), "the enrollee view leaves out the decision history");
    assert!(r.header("x-ratelimit-limit").is_some(), "enrollee calls are rate limited");
    server.call(Method::GET, &format!("/v2/app-registrations/{bob_id}"), Some(&token), None).await.assert_error(404, "NotFound");
    server.call(Method::GET, "/v3/projects", Some(&token), None).await.assert_error(401, "Unauthorized");
    server.call(Method::GET, "/v2/app-registrations", Some(&token), None).await.assert_error(401, "Unauthorized");
    server.call(Method::POST, "/v2/app-registrations", Some(&token), Some(&bob)).await.assert_error(401, "Unauthorized");

    // The operator sees everything, scoped to their own account.
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["history"][0]["action"], "created");
    assert_eq!(r.body["data"]["consent"]["privacyUrl"], "https://acme.example/privacy");
    server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&other.token), None).await.assert_error(404, "NotFound");
    server.call(Method::GET, "/v2/app-registrations/not-an-id", Some(&acme.token), None).await.assert_error(400, "BadRequest");
    let r = server.call(Method::GET, "/v2/app-registrations?limit=1", Some(&acme.token), None).await;
    assert_eq!((r.body["total"].as_u64(), r.body["pages"].as_u64()), (Some(2), Some(2)), "{}", r.body);
    assert_eq!(r.body["data"][0]["_id"], bob_id.as_str(), "newest first");
    let r = server
        .call(Method::GET, &format!("/v2/app-registrations?where_project={project}&in_status[]=STARTED"), Some(&acme.token), None)
        .await;
    assert_eq!(r.body["total"], 2, "{}", r.body);
    let r = server.call(Method::GET, "/v2/app-registrations?where_status=COMPLETED", Some(&acme.token), None).await;
    assert_eq!(r.body["total"], 0);
    let r = server.call(Method::GET, "/v2/app-registrations", Some(&other.token), None).await;
    assert_eq!(r.body["total"], 0, "another client lists none of them");
    server
        .call(Method::GET, "/v2/app-registrations?where_status=DRAFT", Some(&acme.token), None)
        .await
        .assert_error(422, "UnprocessableEntity");

    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = r.body["data"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{}", r.body);
    assert_eq!(events[0]["type"], "onboarding_app_registration_created");
    assert_eq!(events[0]["demo"], true);
    assert_eq!(events[0]["object"]["_id"], id.as_str());
    server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&other.token), None).await.assert_error(404, "NotFound");
    server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&token), None).await.assert_error(401, "Unauthorized");
}

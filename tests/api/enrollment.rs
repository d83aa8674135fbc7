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
    assert!(link.starts_with(&format!("{PUBLIC_URL}/sign-up/{project}#token=")), "the link comes from the configured base URL: {link}");

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

/// A project like [`demo_project`] but not in demo mode (codes really go out), activated, with
/// a registration started for `email` / `phone`: returns the enrollee token and registration id.
async fn live_registration(server: &Server, t: &Tenant, email: &str, phone: &str) -> (String, String) {
    let r = server.call(Method::POST, "/v3/projects", Some(&t.token), Some(&step_one("Acme live KYC"))).await;
    let project = r.body["data"]["_id"].as_str().expect("id").to_string();
    for body in steps_two_to_six() {
        let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&t.token), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = activate(server, t, &project).await;
    assert!(r.get("warnings").is_none(), "no demo warning for a live project: {r}");
    let flow = r["data"]["projectFlows"][0]["_id"].as_str().expect("flow").to_string();
    let body = json!({"project": project, "projectFlow": flow, "email": email, "phone": phone, "countryCode": "+57"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (
        r.body["data"]["token"].as_str().expect("token").to_string(),
        r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string(),
    )
}

#[tokio::test]
async fn codes_go_out_through_the_providers_and_validate_and_nothing_personal_is_logged() {
    let receiver = crate::helpers::MessageReceiver::start().await;
    let mut env = receiver.env();
    env.push(("SMARTENROLL_LOG", "debug".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_env(&[], &env);
    one_time_codes(&server, &receiver).await;
    let logs = server.logs();
    assert!(logs.contains("one-time code issued"), "the server logged at debug level: {logs}");
    for secret in ["carla@example.com", "3005550101", "+573005550101", "Carla"] {
        assert!(!logs.contains(secret), "personal data {secret:?} appears in the logs");
    }
    for (_, form) in receiver.seen() {
        let text = form.iter().find(|(k, _)| k == "text" || k == "Body").map(|(_, v)| v.clone()).expect("message text");
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        assert!(!logs.contains(&code), "a one-time code appears in the logs");
    }
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn codes_also_work_on_the_aws_backend() {
    let receiver = crate::helpers::MessageReceiver::start().await;
    let env = receiver.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    one_time_codes(&Server::start_aws_env(&[], &env), &receiver).await;
}

async fn one_time_codes(server: &Server, receiver: &crate::helpers::MessageReceiver) {
    let acme = server.new_client("Acme");
    let (token, id) = live_registration(server, &acme, "carla@example.com", "300 555 0101").await;
    let email = json!({"project": null, "validationMethod": "verificationCode", "email": "Carla@Example.com", "type": "onboarding"});

    // Email: Mailgun gets the code; a wrong code is 403, the right one validates.
    let r = server.call(Method::POST, "/v2/email-validations/app-registration", Some(&token), Some(&email)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["data"]["status"].as_str(), r.body["data"]["sent"].as_bool()), (Some("sent"), Some(true)));
    assert!(r.body["data"].get("otp").is_none(), "neither the code nor its hash is returned");
    let validation = r.body["data"]["_id"].as_str().expect("id").to_string();
    let (path, form) = receiver.seen().last().cloned().expect("a message went out");
    assert_eq!(path, "/v3/mg.acme.example/messages");
    assert!(form.contains(&("to".into(), "carla@example.com".into())), "{form:?}");
    let code = receiver.last_code_to("carla@example.com").expect("a six-digit code in the email");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let check = |otp: &str| json!({"email": "carla@example.com", "otp": otp});
    let r = server.call(Method::PUT, &format!("/v2/email-validations/{validation}"), Some(&token), Some(&check(wrong))).await;
    r.assert_error(403, "Forbidden");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("otp_does_not_match")), "{}", r.body);
    let r = server.call(Method::PUT, &format!("/v2/email-validations/{validation}"), Some(&token), Some(&check(&code))).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["status"].as_str()), (200, Some("validated")), "{}", r.body);
    let r = server.call(Method::PUT, "/v2/email-validations/ffffffffffffffffffffffff", Some(&token), Some(&check(&code))).await;
    r.assert_error(404, "NotFound");

    // Phone: an SMS with the code (the flow's phoneGateway is sms), then five wrong codes lock it.
    let phone = json!({"phone": "3005550101", "countryCode": "+57", "validationMethod": "verificationCode", "type": "onboarding"});
    let r = server.call(Method::POST, "/v2/phone-validations/app-registration", Some(&token), Some(&phone)).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["phoneGateway"].as_str()), (200, Some("sms")), "{}", r.body);
    let (path, form) = receiver.seen().last().cloned().expect("an SMS went out");
    assert_eq!(path, "/2010-04-01/Accounts/AC0001/Messages.json");
    assert!(form.contains(&("To".into(), "+573005550101".into())) && form.contains(&("From".into(), "+15550001111".into())), "{form:?}");
    let code = receiver.last_code_to("+573005550101").expect("a code in the SMS");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let check = |otp: &str| json!({"phone": "3005550101", "countryCode": "+57", "otp": otp});
    for i in 1..=5 {
        let r = server.call(Method::PUT, "/v2/phone-validations", Some(&token), Some(&check(wrong))).await;
        r.assert_error(403, "Forbidden");
        assert!(r.body["message"].as_str().is_some_and(|m| m.ends_with(&format!("{} attempts left", 5 - i))), "{}", r.body);
    }
    let r = server.call(Method::PUT, "/v2/phone-validations", Some(&token), Some(&check(&code))).await;
    r.assert_error(429, "TooManyAttempts");
    assert!(r.header("retry-after").is_some(), "a lockout says when to come back");
    let r = server.call(Method::POST, "/v2/phone-validations/app-registration", Some(&token), Some(&phone)).await;
    r.assert_error(429, "TooManyAttempts");

    // The events record every step, and the operator reads them.
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await;
    let kinds: Vec<&str> = r.body["data"].as_array().expect("events").iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "onboarding_app_registration_created",
            "onboarding_email_validation_created",
            "onboarding_email_validation_otp_incorect",
            "onboarding_email_validation_validated",
            "onboarding_phone_validation_created",
            "onboarding_phone_validation_otp_incorect",
            "onboarding_phone_validation_otp_incorect",
            "onboarding_phone_validation_otp_incorect",
            "onboarding_phone_validation_otp_incorect",
            "onboarding_phone_validation_locked",
        ]
    );
    for e in r.body["data"].as_array().expect("events") {
        let text = e.to_string();
        assert!(!text.contains(&code), "an event carries no code");
    }

    // Only the address the registration was started with; only with an enrollee token.
    let r = server
        .call(Method::POST, "/v2/email-validations/app-registration", Some(&token), Some(&json!({"email": "other@example.com"})))
        .await;
    r.assert_error(422, "UnprocessableEntity");
    server
        .call(Method::POST, "/v2/email-validations/app-registration", Some(&acme.token), Some(&email))
        .await
        .assert_error(401, "Unauthorized");
}

#[tokio::test]
async fn demo_mode_accepts_the_demo_code_and_sends_nothing_and_codes_expire_and_sends_are_capped() {
    let server = Server::start_env(&[], &[("SMARTENROLL_OTP_TTL_SECONDS", "1")]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let start = |email: &str| json!({"project": project, "projectFlow": flow, "email": email, "phone": "3001112233", "countryCode": "+57"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&start("demo@example.com"))).await;
    let token = r.body["data"]["token"].as_str().expect("token").to_string();

    // Demo: the project's demoOTP, nothing sent (no provider is configured on this server at all).
    let email = json!({"email": "demo@example.com"});
    let r = server.call(Method::POST, "/v2/email-validations/app-registration", Some(&token), Some(&email)).await;
    assert_eq!(
        (r.status.as_u16(), r.body["data"]["sent"].as_bool(), r.body["data"]["demo"].as_bool()),
        (200, Some(false), Some(true)),
        "{}",
        r.body
    );
    let validation = r.body["data"]["_id"].as_str().expect("id").to_string();
    let r = server
        .call(
            Method::PUT,
            &format!("/v2/email-validations/{validation}"),
            Some(&token),
            Some(&json!({"email": "demo@example.com", "otp": 424242})),
        )
        .await;
    assert_eq!(r.body["data"]["status"], "validated", "{}", r.body);

    // A code past its lifetime (1 s on this server) is 412 and the validation is expired.
    let phone = json!({"phone": "3001112233", "countryCode": "57"});
    let r = server.call(Method::POST, "/v2/phone-validations/app-registration", Some(&token), Some(&phone)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let r = server
        .call(
            Method::PUT,
            "/v2/phone-validations",
            Some(&token),
            Some(&json!({"phone": "3001112233", "countryCode": "+57", "otp": "424242"})),
        )
        .await;
    r.assert_error(412, "PreconditionFailed");
    assert_eq!(r.body["message"], "phoneValidation_has_expired");

    // Five codes an hour per registration: the expired one above and four resends, then 429.
    for _ in 0..4 {
        let r = server.call(Method::POST, "/v2/phone-validations/app-registration", Some(&token), Some(&phone)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["data"]["existing"], true, "a resend keeps the validation");
    }
    let r = server.call(Method::POST, "/v2/phone-validations/app-registration", Some(&token), Some(&phone)).await;
    r.assert_error(429, "TooManyAttempts");

    // A live project on a server without a provider says so (503), rather than pretending.
    let (live_token, _) = live_registration(&server, &acme, "live@example.com", "3009998877").await;
    let r = server
        .call(Method::POST, "/v2/email-validations/app-registration", Some(&live_token), Some(&json!({"email": "live@example.com"})))
        .await;
    r.assert_error(503, "ServiceUnavailable");
}

/// A real PNG (a gradient), as base64: what a camera upload looks like to the API.
pub fn png_base64(width: u32, height: u32, seed: u8) -> String {
    use base64::Engine;
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8 ^ seed, (y % 241) as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

/// Follows an evidence link as a reviewer's browser would: the API's own relative URL, or the
/// object store's presigned one with its signed headers. (status, bytes)
async fn fetch_evidence(server: &Server, link: &Value) -> (u16, Vec<u8>) {
    let url = link["url"].as_str().expect("url");
    let full = if url.starts_with('/') { format!("{}{url}", server.base) } else { url.to_string() };
    let mut req = server.http.get(full);
    for h in link["headers"].as_array().into_iter().flatten() {
        req = req.header(h["name"].as_str().unwrap_or_default(), h["value"].as_str().unwrap_or_default());
    }
    let resp = req.send().await.expect("evidence request");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.expect("body").to_vec())
}

/// Polls the operator's view of a registration until `done` holds (the worker is asynchronous).
async fn wait_for(server: &Server, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(token), None).await;
        if done(&r.body["data"]) {
            return r.body["data"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("registration {id} never reached the expected state");
}

/// Starts a registration on the active demo project and validates its email and phone with the
/// demo code. Returns (enrollee token, registration id).
async fn signed_up(server: &Server, t: &Tenant, project: &str, flow: &str, email: &str, phone: &str) -> (String, String) {
    let body =
        json!({"project": project, "projectFlow": flow, "email": email, "phone": phone, "countryCode": "+57", "fullName": "Dana Gómez"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["data"]["token"].as_str().expect("token").to_string();
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    let r = server.call(Method::POST, "/v2/email-validations/app-registration", Some(&token), Some(&json!({"email": email}))).await;
    let validation = r.body["data"]["_id"].as_str().expect("validation id").to_string();
    let r = server
        .call(Method::PUT, &format!("/v2/email-validations/{validation}"), Some(&token), Some(&json!({"email": email, "otp": "424242"})))
        .await;
    assert_eq!(r.body["data"]["status"], "validated", "{}", r.body);
    let p = json!({"phone": phone, "countryCode": "+57"});
    let r = server.call(Method::POST, "/v2/phone-validations/app-registration", Some(&token), Some(&p)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server
        .call(Method::PUT, "/v2/phone-validations", Some(&token), Some(&json!({"phone": phone, "countryCode": "+57", "otp": 424242})))
        .await;
    assert_eq!(r.body["data"]["status"], "validated", "{}", r.body);
    (token, id)
}

#[tokio::test]
async fn an_enrollee_goes_through_the_whole_flow_and_the_operator_reviews_the_decision() {
    whole_flow(&Server::start(&[])).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn the_whole_flow_also_works_on_the_aws_backend() {
    whole_flow(&Server::start_aws(&[])).await;
}

async fn whole_flow(server: &Server) {
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(server, &acme).await;
    activate(server, &acme, &project).await;
    let (token, id) = signed_up(server, &acme, &project, &flow, "dana@example.com", "3007770001").await;

    // Steps before the checks; a mandatory step missing refuses `end`.
    for step in ["signUpForm", "instructions"] {
        let r = server
            .call(Method::PUT, &format!("/v2/app-registrations/{id}/sync"), Some(&token), Some(&json!({"step": step, "status": "ONGOING"})))
            .await;
        assert_eq!((r.status.as_u16(), r.body["data"]["status"].as_str()), (200, Some("ONGOING")), "{}", r.body);
    }
    let end = json!({"step": "end", "status": "COMPLETED"});
    let r = server.call(Method::PUT, &format!("/v2/app-registrations/{id}/sync"), Some(&token), Some(&end)).await;
    r.assert_error(409, "Conflict");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("document_step_missing")), "{}", r.body);
    let r = server
        .call(
            Method::PUT,
            &format!("/v2/app-registrations/{id}/sync"),
            Some(&token),
            Some(&json!({"step": "teleport", "status": "ONGOING"})),
        )
        .await;
    r.assert_error(422, "UnprocessableEntity");
    let r = server.call(Method::PUT, &format!("/v2/app-registrations/{id}/sync"), Some(&acme.token), Some(&end)).await;
    r.assert_error(401, "Unauthorized");

    // The document (front and back) and the selfie: accepted for checking, never decided here.
    let doc = json!({"image": format!("data:image/png;base64,{}", png_base64(640, 400, 1)), "backImage": png_base64(640, 400, 2), "inputMethod": "CAMERA"});
    let r = server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&doc)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["documentValidation"]["status"], "ASSESSING");
    let r = server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&doc)).await;
    r.assert_error(409, "Conflict");
    let selfie = json!({"image": png_base64(480, 640, 3), "os": "ANDROID"});
    let r = server.call(Method::POST, "/v2/biometric-validations/app-registration", Some(&token), Some(&selfie)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["biometricValidation"]["status"], "new");
    let r = server
        .call(Method::POST, "/v2/biometric-validations/app-registration", Some(&token), Some(&json!({"image": png_base64(64, 64, 4)})))
        .await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["os"]);

    // `end`: decided by the server once both checks are recorded. No engine is installed, so the
    // checks are inconclusive with that reason and the registration waits for a person.
    let r = server.call(Method::PUT, &format!("/v2/app-registrations/{id}/sync"), Some(&token), Some(&end)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["redirectUrl"], "https://acme.example/kyc/done");
    let reg = wait_for(server, &acme.token, &id, |d| d["status"] == "NEEDS_MANUAL_VERIFICATION").await;
    let checks = reg["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 2);
    for c in checks {
        assert_eq!(c["result"]["outcome"], "inconclusive", "{c}");
        assert!(c["result"]["reason"].as_str().is_some_and(|r| r.starts_with("no_engine")), "the reason is visible: {c}");
    }
    assert_eq!(checks[0]["status"], "NEEDS_MANUAL_VERIFICATION");
    let r = server
        .call(
            Method::POST,
            "/v2/document-validations/app-registration",
            Some(&token),
            Some(&json!({"image": png_base64(64, 64, 5), "force": true})),
        )
        .await;
    r.assert_error(409, "Conflict");

    // The reviewer sees the evidence through short-lived links (client token only); handing out
    // the links, and each download the product serves itself, go into the history.
    let evidence = format!("/v2/app-registrations/{id}/evidence");
    server.call(Method::GET, &evidence, Some(&token), None).await.assert_error(401, "Unauthorized");
    server.call(Method::GET, &evidence, Some(&server.new_client("Snoop").token), None).await.assert_error(404, "NotFound");
    let r = server.call(Method::GET, &evidence, Some(&acme.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let links = r.body["data"].as_array().expect("links").clone();
    let names: Vec<&str> = links.iter().filter_map(|l| l["image"].as_str()).collect();
    assert_eq!(names, ["front", "back", "selfie"]);
    let uploaded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(png_base64(640, 400, 1)).expect("base64")
    };
    assert_eq!(fetch_evidence(server, &links[0]).await, (200, uploaded), "the link serves the uploaded front image");
    let url = links[0]["url"].as_str().expect("url");
    if url.starts_with('/') {
        // The product's own links (single node); S3 checks its presigned signatures itself (the
        // local emulator does not, so nothing is claimed about it here).
        let mut forged = links[0].clone();
        let flipped = if url.ends_with('0') { '1' } else { '0' };
        forged["url"] = json!(format!("{}{flipped}", &url[..url.len() - 1]));
        assert_eq!(fetch_evidence(server, &forged).await.0, 404, "a tampered link serves nothing");
    }

    // The operator reviews: a reason code is required; approval completes it, once.
    let review = format!("/v2/app-registrations/{id}/review");
    let r = server.call(Method::POST, &review, Some(&acme.token), Some(&json!({"decision": "approve"}))).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["reasonCode"]);
    server
        .call(Method::POST, &review, Some(&token), Some(&json!({"decision": "approve", "reasonCode": "x"})))
        .await
        .assert_error(401, "Unauthorized");
    let other = server.new_client("Other");
    server
        .call(Method::POST, &review, Some(&other.token), Some(&json!({"decision": "approve", "reasonCode": "x"})))
        .await
        .assert_error(404, "NotFound");
    let r = server
        .call(
            Method::POST,
            &review,
            Some(&acme.token),
            Some(&json!({"decision": "approve", "reasonCode": "documents_checked_by_hand", "note": "ID matches selfie"})),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body["data"]["status"].as_str()), (200, Some("COMPLETED")), "{}", r.body);
    let history: Vec<(String, String)> = r.body["data"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["by"].as_str().unwrap_or_default().to_string(), h["action"].as_str().unwrap_or_default().to_string()))
        .collect();
    let decisions: Vec<_> = history.iter().filter(|(_, a)| !a.starts_with("evidence_")).cloned().collect();
    assert_eq!(
        decisions,
        [
            (format!("client:{}", acme.id), "created".to_string()),
            ("system".to_string(), "NEEDS_MANUAL_VERIFICATION".to_string()),
            (format!("client:{}", acme.id), "COMPLETED".to_string()),
        ]
    );
    assert!(history.contains(&(format!("client:{}", acme.id), "evidence_viewed".to_string())), "{history:?}");
    if url.starts_with('/') {
        let downloads = history.iter().filter(|(_, a)| a == "evidence_downloaded").count();
        assert_eq!(downloads, 1, "the product served one download, the tampered one is not counted: {history:?}");
    }
    server
        .call(Method::POST, &review, Some(&acme.token), Some(&json!({"decision": "reject", "reasonCode": "x"})))
        .await
        .assert_error(409, "Conflict");

    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await;
    let kinds: Vec<&str> = r.body["data"].as_array().expect("events").iter().filter_map(|e| e["type"].as_str()).collect();
    for expected in [
        "onboarding_app_registration_ongoing",
        "onboarding_app_registration_sync_instructions",
        "onboarding_document_validation_created",
        "onboarding_document_validation_manual_verification_required",
        "onboarding_biometric_validation_created",
        "onboarding_biometric_validation_needs_manual_verification",
        "onboarding_app_registration_needs_manual_verification",
        "onboarding_app_registration_completed",
    ] {
        assert!(kinds.contains(&expected), "missing event {expected}: {kinds:?}");
    }
    // `end` while a check still runs is `…_sync_end` (status unchanged), then the decision's event
    // when the last check is recorded; `end` after both are recorded decides at once (reference
    // 7.3: a status change is `app_registration_<status>`). The worker's speed picks the path.
    let sync_end = kinds.iter().position(|k| *k == "onboarding_app_registration_sync_end");
    let decided = kinds.iter().position(|k| *k == "onboarding_app_registration_needs_manual_verification");
    assert!(sync_end.is_none_or(|s| decided.is_some_and(|d| s < d)), "sync_end, if any, comes before the decision: {kinds:?}");
    assert!(r.body["data"].as_array().expect("events").iter().all(|e| e["demo"] == true), "demo registrations mark every event");

    // The attempt limit (3 in this flow) on another enrollee.
    let (token, _) = signed_up(server, &acme, &project, &flow, "eve@example.com", "3007770002").await;
    let mut refused = None;
    for attempt in 1..=4 {
        let body = json!({"image": png_base64(64, 64, attempt), "force": attempt > 1});
        // Wait for the previous attempt to be checked first.
        for _ in 0..100 {
            let r = server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&body)).await;
            if r.status == 409 && r.body["message"].as_str().is_some_and(|m| m.contains("in_progress")) {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
            if r.status != 200 {
                refused = Some((attempt, r.body["message"].as_str().unwrap_or_default().to_string()));
            }
            break;
        }
    }
    let (attempt, message) = refused.expect("the fourth attempt is refused");
    assert_eq!(attempt, 4);
    assert!(message.starts_with("attempt_limit_reached"), "{message}");
}

#[tokio::test]
async fn a_document_accepted_just_before_a_crash_is_still_checked_after_the_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    // No workers: the job can only be waiting in the queue when the process dies.
    let server = Server::start_on(dir.path(), &["--workers", "0"]).expect("server");
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let (token, id) = signed_up(&server, &acme, &project, &flow, "kim@example.com", "3007770003").await;
    let r = server
        .call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&json!({"image": png_base64(320, 200, 9)})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.kill_hard();
    let server = Server::start_on(dir.path(), &[]).expect("restart");
    let reg = wait_for(&server, &acme.token, &id, |d| d["checks"][0]["status"] != "ASSESSING").await;
    assert_eq!(reg["checks"][0]["status"], "NEEDS_MANUAL_VERIFICATION", "{reg}");
}

#[tokio::test]
async fn oversized_malformed_and_bomb_images_get_clear_client_errors() {
    let server = Server::start(&[]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let (token, _) = signed_up(&server, &acme, &project, &flow, "lee@example.com", "3007770004").await;
    let post = |body: Value| {
        let token = token.clone();
        let server = &server;
        async move { server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&body)).await }
    };
    post(json!({})).await.assert_error(422, "UnprocessableEntity");
    post(json!({"image": "bm90IGFuIGltYWdl"})).await.assert_error(412, "PreconditionFailed");
    post(json!({"image": "!!!"})).await.assert_error(422, "UnprocessableEntity");
    // 4 MB of random-looking bytes twice: over the 4.5 MB per request.
    let big = {
        use base64::Engine;
        let bytes: Vec<u8> = (0..2_400_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    post(json!({"image": big, "backImage": big})).await.assert_error(413, "PayloadTooLarge");
}

#[tokio::test]
async fn erasing_a_registration_leaves_no_image_or_personal_field_behind() {
    let server = Server::start(&[]);
    let client = erasure(&server).await;
    let (acme, id) = client;
    let folder = server.data_dir.join("blobs").join("clients").join(&acme).join("registrations").join(&id);
    assert!(!folder.exists(), "the registration's image folder is gone");
    for file in ["smartenroll.db", "smartenroll.db-wal"] {
        let bytes = std::fs::read(server.data_dir.join(file)).unwrap_or_default();
        for secret in ["zoe@example.com", "3007770005", "Dana Gómez"] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret:?} can still be read from {file}");
        }
    }
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn erasure_also_works_on_the_aws_backend() {
    use smartenroll_domain::ports::{BlobStore, RegistrationStore};
    let server = Server::start_aws(&[]);
    let (acme, id) = erasure(&server).await;
    let conf = smartenroll_aws::sdk_config().await;
    let client = smartenroll_domain::ids::ClientId::parse(&acme).expect("client id");
    let registration = smartenroll_domain::ids::RegistrationId::parse(&id).expect("id");
    let store = smartenroll_aws::dynamo::DynamoStore::from_conf(&conf, server.env_value("SMARTENROLL_TABLE").expect("table"));
    assert_eq!(store.get(&client, &registration).await.expect("get"), None);
    assert!(store.events(&client, &registration).await.expect("events").is_empty());
    let bucket = smartenroll_aws::s3::S3Blobs::from_conf(&conf, server.env_value("SMARTENROLL_BUCKET").expect("bucket"));
    let folder = smartenroll_domain::blob::BlobKey::new(&client, &format!("registrations/{id}")).expect("key");
    assert_eq!(bucket.delete_folder(&folder).await.expect("list"), 0, "no object is left under the registration's folder");
}

/// A registration with a document and a selfie, erased by its operator: returns (client id,
/// registration id) for the backend-specific checks.
async fn erasure(server: &Server) -> (String, String) {
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(server, &acme).await;
    activate(server, &acme, &project).await;
    let (token, id) = signed_up(server, &acme, &project, &flow, "zoe@example.com", "3007770005").await;
    let doc = json!({"image": png_base64(320, 200, 11), "backImage": png_base64(320, 200, 12)});
    assert_eq!(server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&doc)).await.status, 200);
    let selfie = json!({"image": png_base64(200, 260, 13), "os": "IOS"});
    assert_eq!(server.call(Method::POST, "/v2/biometric-validations/app-registration", Some(&token), Some(&selfie)).await.status, 200);
    wait_for(server, &acme.token, &id, |d| d["checks"].as_array().is_some_and(|c| c.iter().all(|c| c["result"]["outcome"] != "pending")))
        .await;
    // On a single node the images are files, encrypted: none holds a PNG.
    let folder = server.data_dir.join("blobs").join("clients").join(&acme.id).join("registrations").join(&id);
    if folder.exists() {
        let mut files = Vec::new();
        let mut dirs = vec![folder];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).expect("dir").map(|e| e.expect("entry").path()) {
                if e.is_dir() { dirs.push(e) } else { files.push(std::fs::read(e).expect("file")) }
            }
        }
        assert_eq!(files.len(), 3);
        for f in files {
            assert!(f.starts_with(b"SEB1") && !f.windows(4).any(|w| w == b"\x89PNG"), "an image file is stored in the clear");
        }
    }

    let other = server.new_client("Other");
    server.call(Method::DELETE, &format!("/v2/app-registrations/{id}"), Some(&other.token), None).await.assert_error(404, "NotFound");
    server.call(Method::DELETE, &format!("/v2/app-registrations/{id}"), Some(&token), None).await.assert_error(401, "Unauthorized");
    let r = server.call(Method::DELETE, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let receipt = &r.body["data"];
    assert_eq!((receipt["status"].as_str(), receipt["erased"]["images"].as_u64()), (Some("deleted"), Some(3)), "{receipt}");
    assert!(receipt["erased"]["events"].as_u64().is_some_and(|n| n >= 8), "{receipt}");
    assert!(!receipt.to_string().contains("zoe@example.com"), "the receipt holds no personal data");

    server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await.assert_error(404, "NotFound");
    server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await.assert_error(404, "NotFound");
    server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&token), None).await.assert_error(404, "NotFound");
    server.call(Method::DELETE, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await.assert_error(404, "NotFound");
    let r = server.call(Method::GET, "/v2/app-registrations", Some(&acme.token), None).await;
    assert_eq!(r.body["total"], 0);
    let again = json!({"project": project, "projectFlow": flow, "email": "zoe@example.com"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&again)).await;
    assert_eq!(r.status, 200, "an erased identifier can start again: {}", r.body);
    let fresh = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    // Leave the store as the erasure left it (the fresh registration holds the email again).
    server.call(Method::DELETE, &format!("/v2/app-registrations/{fresh}"), Some(&acme.token), None).await;
    (acme.id, id)
}

#[tokio::test]
async fn deleting_a_project_erases_its_registrations_in_the_background() {
    let server = Server::start(&[]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let (token, id) = signed_up(&server, &acme, &project, &flow, "ana@example.com", "3007770006").await;
    let doc = json!({"image": png_base64(100, 80, 21)});
    assert_eq!(server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&doc)).await.status, 200);
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&json!({"status": "paused"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server.call(Method::DELETE, &format!("/v3/projects/{project}"), Some(&acme.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for _ in 0..100 {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
        if r.status == 404 {
            let folder = server.data_dir.join("blobs").join("clients").join(&acme.id).join("registrations").join(&id);
            assert!(!folder.exists(), "its images went with it");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the deleted project's registration was never erased");
}

/// A local stand-in for an operator's blocklist API: `blocked@…` is listed (the reference's
/// "user data" answer), `flaky@…` gets a 500 every time, everyone else a 404.
async fn blocklist_api() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::extract::State;
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;
    async fn check(State(seen): State<Seen>, body: String) -> (axum::http::StatusCode, String) {
        let q: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        seen.lock().expect("lock").push(q.clone());
        match q["value"].as_str().unwrap_or_default() {
            v if v.starts_with("blocked@") => (axum::http::StatusCode::OK, json!({"email": v, "name": "Listed Person"}).to_string()),
            v if v.starts_with("flaky@") => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new()),
            _ => (axum::http::StatusCode::NOT_FOUND, String::new()),
        }
    }
    let seen: Seen = Default::default();
    let app = axum::Router::new().route("/blocklist", axum::routing::post(check)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/blocklist", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn a_blocklist_hit_refuses_the_sign_up_and_an_unreachable_blocklist_holds_it_for_review() {
    blocklist(&Server::start(&[])).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn the_blocklist_also_works_on_the_aws_backend() {
    blocklist(&Server::start_aws(&[])).await;
}

async fn blocklist(server: &Server) {
    let (url, seen) = blocklist_api().await;
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(server, &acme).await;
    let integrations = json!({"projectFlowType": "onboarding", "projectFlow": {"integrations": {
        "redirectUrl": "https://acme.example/kyc/done", "source": "API", "strategy": "blacklist",
        "apiUrl": url, "apiTestType": "email", "apiTestValue": "blocked@example.com"}}});
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&integrations)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["integrationTest"], json!({"ok": true, "listed": true}), "saving the integration tests it: {}", r.body);
    activate(server, &acme, &project).await;
    let start = |email: &str| json!({"project": project, "projectFlow": flow, "email": email});

    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&start("blocked@example.com"))).await;
    r.assert_error(403, "Forbidden");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("blocked_by_blacklist")), "{}", r.body);
    let list = server.call(Method::GET, "/v2/app-registrations", Some(&acme.token), None).await;
    assert_eq!(list.body["total"], 0, "a refused sign-up stores nothing");

    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&start("ok@example.com"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["appRegistration"]["holds"], json!([]));

    // The API fails (three tries): the default failMode `closed` holds the registration for review.
    let before = seen.lock().expect("lock").len();
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&start("flaky@example.com"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let holds = r.body["data"]["appRegistration"]["holds"].as_array().expect("holds").clone();
    assert!(holds.len() == 1 && holds[0].as_str().is_some_and(|h| h.starts_with("blacklist_unverified")), "{holds:?}");
    assert_eq!(seen.lock().expect("lock").len() - before, 3, "the API was tried three times");
    let q = seen.lock().expect("lock").last().cloned().expect("a query");
    assert_eq!(
        (q["type"].as_str(), q["value"].as_str(), q["project"].as_str()),
        (Some("email"), Some("flaky@example.com"), Some(project.as_str()))
    );
}

#[tokio::test]
async fn links_are_resent_while_unfinished_and_an_abandoned_registration_expires() {
    let receiver = crate::helpers::MessageReceiver::start().await;
    let mut env = receiver.env();
    env.push(("SMARTENROLL_PUBLIC_URL", PUBLIC_URL.into()));
    env.push(("SMARTENROLL_REGISTRATION_LIFETIME_HOURS", "0.001".into())); // 3.6 seconds
    env.push(("SMARTENROLL_SWEEP_SECONDS", "1".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_env(&[], &env);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let r = server
        .call(
            Method::POST,
            "/v2/app-registrations",
            Some(&acme.token),
            Some(&json!({"project": project, "projectFlow": flow, "email": "max@example.com"})),
        )
        .await;
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();

    let resend = format!("/v2/app-registrations/{id}/resend-link");
    let r = server.call(Method::POST, &resend, Some(&acme.token), Some(&json!({"sendEmail": "true"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = r.body["data"]["link"].as_str().expect("link").to_string();
    assert!(link.starts_with(&format!("{PUBLIC_URL}/sign-up/{project}#token=")), "{link}");
    assert_eq!(
        (r.body["data"]["emailSent"]["sent"].as_bool(), r.body["data"]["accessType"].as_str()),
        (Some(true), Some("app_registration_initiated"))
    );
    let (_, form) = receiver.seen().last().cloned().expect("the link was emailed");
    assert!(
        form.contains(&("to".into(), "max@example.com".into())) && form.iter().any(|(k, v)| k == "text" && v.contains(&link)),
        "{form:?}"
    );
    let token = r.body["data"]["token"].as_str().expect("token").to_string();
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&token), None).await;
    assert_eq!(r.status, 200, "the continuation token is an enrollee token for this registration: {}", r.body);
    server.call(Method::POST, &resend, Some(&token), None).await.assert_error(401, "Unauthorized");

    // Nobody finishes it: the sweeper expires it once its lifetime is over.
    let reg = wait_for(&server, &acme.token, &id, |d| d["status"] == "EXPIRED").await;
    let last = reg["history"].as_array().and_then(|h| h.last()).cloned().expect("history");
    assert_eq!((last["by"].as_str(), last["action"].as_str()), (Some("system"), Some("EXPIRED")));
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await;
    assert!(r.body["data"].as_array().expect("events").iter().any(|e| e["type"] == "onboarding_app_registration_expired"), "{}", r.body);
    let r = server.call(Method::POST, &resend, Some(&acme.token), None).await;
    r.assert_error(409, "Conflict");
    assert_eq!(r.body["message"], "cannot_resend_link_for_this_status");
    let r = server
        .call(
            Method::PUT,
            &format!("/v2/app-registrations/{id}/sync"),
            Some(&token),
            Some(&json!({"step": "signUpForm", "status": "ONGOING"})),
        )
        .await;
    r.assert_error(409, "Conflict");
}

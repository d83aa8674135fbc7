//! Business onboarding (KYB) end to end over HTTP against the single-node server with the real
//! document and face engines: an operator configures and activates a demo-mode business project,
//! companies register and upload a company document, representatives are invited and verified as
//! people, and each business reaches its decision.

use crate::helpers::{Server, Tenant, step_one};
use reqwest::Method;
use serde_json::{Value, json};

fn cache() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache")
}

fn photo(name: &str) -> image::RgbImage {
    image::open(cache().join("test-images").join(format!("{name}.jpg"))).expect("photo (run scripts/fetch-models)").to_rgb8()
}

/// A passport photo is head and shoulders: obama2.jpg is a full-length portrait, so its upper
/// part (where the head is) becomes the passport's photo (as the hosted page's browser test does).
/// The representatives' selfies are other photos of the same person (the test photos hold one
/// person in several photos).
fn portrait() -> image::RgbImage {
    let full = photo("obama2");
    let (w, h) = full.dimensions();
    image::imageops::crop_imm(&full, w * 15 / 100, h * 8 / 100, w * 70 / 100, h * 47 / 100).to_image()
}

fn jpeg_base64(img: &image::RgbImage, quality: u8) -> String {
    use base64::Engine;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).expect("encode");
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// A synthetic certificate of existence from a chamber of commerce, naming `legal_name`.
fn company_document(legal_name: &str, nit: &str) -> String {
    let font = std::fs::read(cache().join("fonts/OCRB.otf")).expect("OCR-B font (run scripts/fetch-models)");
    let page = smartenroll_documents::synthetic::company_page(
        &font,
        "CERTIFICADO DE EXISTENCIA",
        &[("CAMARA DE COMERCIO DE BOGOTA", "MATRICULA 01234567"), ("RAZON SOCIAL", legal_name), ("NIT", nit)],
    )
    .expect("page");
    jpeg_base64(&page, 92)
}

/// The business flow of the issue: the company verified (documents, screening), two kinds of
/// company document from Colombia, mandatory representatives with a passport and a passive selfie.
fn business_steps() -> Vec<Value> {
    vec![
        json!({"projectFlowType": "onboarding", "projectFlow": {"target": "business", "type": "onboarding",
            "signUpForm": {"fullName": true, "email": true, "emailGateway": "mailgun", "phone": false}}}),
        json!({"projectFlow": {
        "steps": {"businessVerification": true, "legalRepresentative": "mandatory"},
        "business": {"attemptLimit": 2, "screening": true, "informationVerification": true, "criminalHistoryVerification": false,
            "documentTypes": [{"country": "Colombia", "configurations": [
                {"active": true, "documentCategory": "business_document"}, {"active": true, "documentCategory": "tax_document"}]}]},
        "representatives": {
            "information": {"fullName": true, "email": true, "emailGateway": "mailgun"},
            "documents": {"attemptLimit": 3, "verificationMethods": ["upload"], "screening": false,
                "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "passport"}]}]},
            "liveness": {"minScore": 0.8}
        }}}),
        json!({"projectFlow": {"steps": {"liveness": "mandatory"}}}),
        json!({"projectFlow": {"integrations": {"redirectUrl": "https://acme.example/kyb/done"}}}),
    ]
}

async fn business_project(server: &Server, acme: &Tenant, demo: bool) -> (String, String) {
    let mut one = step_one("Acme business onboarding");
    one["target"] = json!("business");
    if demo {
        one["demoMode"] = json!(true);
        one["demoOTP"] = json!("424242");
    }
    let r = server.call(Method::POST, "/v3/projects", Some(&acme.token), Some(&one)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let project = r.body["data"]["_id"].as_str().expect("id").to_string();
    let steps = business_steps();
    for (i, body) in steps.iter().enumerate() {
        if i == 1 {
            // Before the company and representative steps, activation names them.
            let r =
                server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&json!({"status": "active"}))).await;
            r.assert_error(409, "Conflict");
            let fields = r.detail_fields();
            for f in ["projectFlow.steps.businessVerification", "projectFlow.steps.legalRepresentative"] {
                assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
            }
            // A personal category in the company's documents is refused with its field.
            let mut bad = body.clone();
            bad["projectFlow"]["business"]["documentTypes"][0]["configurations"][0]["documentCategory"] = json!("passport");
            let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&bad)).await;
            r.assert_error(422, "UnprocessableEntity");
            assert!(
                r.detail_fields().contains(&"projectFlow.business.documentTypes[0].configurations[0].documentCategory".to_string()),
                "{}",
                r.body
            );
        }
        let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    crate::enrollment::activate(server, acme, &project).await;
    let r = server.call(Method::GET, &format!("/v3/projects/{project}"), Some(&acme.token), None).await;
    assert_eq!(r.body["data"]["projectFlows"][0]["business"]["screening"], true, "{}", r.body);
    assert_eq!(r.body["data"]["projectFlows"][0]["steps"]["legalRepresentative"], "mandatory", "{}", r.body);
    let flow = r.body["data"]["projectFlows"][0]["_id"].as_str().expect("flow id").to_string();
    // The hosted page renders a representative's link from the personal flow the business sets.
    let public = server.call(Method::GET, &format!("/v2/projects/kyc?id={project}"), None, None).await;
    let people = &public.body["data"]["projectFlow"]["representativeFlow"];
    assert_eq!((people["target"].as_str(), people["steps"]["document"].as_str()), (Some("personal"), Some("mandatory")), "{}", public.body);
    assert_eq!(people["documents"]["documentTypes"][0]["categories"], json!(["passport"]), "{}", public.body);
    (project, flow)
}

async fn validate_email(server: &Server, token: &str, email: &str) {
    let r = server.call(Method::POST, "/v2/email-validations/app-registration", Some(token), Some(&json!({"email": email}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let validation = r.body["data"]["_id"].as_str().expect("validation id").to_string();
    let r = server
        .call(Method::PUT, &format!("/v2/email-validations/{validation}"), Some(token), Some(&json!({"email": email, "otp": "424242"})))
        .await;
    assert_eq!(r.body["data"]["status"], "validated", "{}", r.body);
}

async fn sync(server: &Server, token: &str, id: &str, step: &str, status: &str) -> crate::helpers::Reply {
    server.call(Method::PUT, &format!("/v2/app-registrations/{id}/sync"), Some(token), Some(&json!({"step": step, "status": status}))).await
}

/// Waits (up to two minutes: the engines are slow on a busy machine) for `done` on the operator's
/// view of a registration.
async fn wait_for(server: &Server, acme: &Tenant, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1200 {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
        if r.status == 200 && done(&r.body["data"]) {
            return r.body["data"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
    panic!("{what} never happened: {}\n{}", r.body, server.logs());
}

/// A company signs up, validates its email, uploads its certificate; returns (token, id).
async fn company_signs_up(server: &Server, acme: &Tenant, project: &str, flow: &str, legal_name: &str, email: &str) -> (String, String) {
    let company = json!({"legalName": legal_name, "registrationNumber": "01234567", "countryOfIncorporation": "CO",
        "taxId": "900.123.456-8", "address": "Cra 7 # 71-21, Bogota", "website": "https://acme-andina.example"});
    let body = json!({"project": project, "projectFlow": flow, "email": email, "fullName": "Laura Applicant", "company": company});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reg = &r.body["data"]["appRegistration"];
    assert_eq!((reg["target"].as_str(), reg["company"]["legalName"].as_str()), (Some("business"), Some(legal_name)), "{reg}");
    let token = r.body["data"]["token"].as_str().expect("token").to_string();
    let id = reg["_id"].as_str().expect("id").to_string();
    validate_email(server, &token, email).await;
    assert_eq!(sync(server, &token, &id, "signUpForm", "ONGOING").await.status, 200);

    let submit = "/v2/document-validations/app-registration";
    let doc = company_document(&legal_name.to_uppercase(), "900.123.456-8");
    // A personal category is not a company document of this flow.
    let r = server.call(Method::POST, submit, Some(&token), Some(&json!({"image": doc, "documentCategory": "passport"}))).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["documentCategory"]);
    let r = server
        .call(
            Method::POST,
            submit,
            Some(&token),
            Some(&json!({"image": doc, "documentCategory": "business_document", "inputMethod": "FILE_UPLOAD"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["companyDocumentValidation"]["status"], "ASSESSING", "{}", r.body);
    (token, id)
}

/// Invites a person; returns (their token, their id).
async fn invite(server: &Server, inviter: &str, business: &str, body: Value) -> (String, String) {
    let r = server.call(Method::POST, &format!("/v2/app-registrations/{business}/representatives"), Some(inviter), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let data = &r.body["data"];
    assert_eq!(data["appRegistration"]["representativeOf"]["business"], business, "{data}");
    assert_eq!(data["invitation"]["sent"], false, "a demo project sends nothing: {data}");
    (data["token"].as_str().expect("token").to_string(), data["appRegistration"]["_id"].as_str().expect("id").to_string())
}

/// A representative signs in with the code, shows a passport carrying `face` and takes `selfie`.
async fn representative_enrols(
    server: &Server,
    token: &str,
    id: &str,
    email: &str,
    (surname, given): (&str, &str),
    face: &image::RgbImage,
    selfie: String,
) {
    validate_email(server, token, email).await;
    assert_eq!(sync(server, token, id, "signUpForm", "ONGOING").await.status, 200);
    let passport = crate::documents::passport_jpeg_of(face, surname, given, "PA0042917", "340930");
    use base64::Engine;
    let doc = json!({"image": base64::engine::general_purpose::STANDARD.encode(passport), "inputMethod": "CAMERA"});
    let r = server.call(Method::POST, "/v2/document-validations/app-registration", Some(token), Some(&doc)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server
        .call(Method::POST, "/v2/biometric-validations/app-registration", Some(token), Some(&json!({"image": selfie, "os": "IOS"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = sync(server, token, id, "end", "COMPLETED").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn history_actions(reg: &Value) -> Vec<String> {
    reg["history"].as_array().map(|h| h.iter().filter_map(|e| e["action"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

async fn event_types(server: &Server, acme: &Tenant, id: &str) -> Vec<String> {
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&acme.token), None).await;
    let list = r.body["data"].as_array().cloned().or_else(|| r.body["data"]["docs"].as_array().cloned()).unwrap_or_default();
    list.iter().filter_map(|e| e["type"].as_str().map(str::to_string)).collect()
}

/// The operator's company registry, on a free port: it knows every company registered as
/// `01234567` except Northwind (`not_found`). Every request body is kept.
async fn company_registry() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::extract::State;
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;
    async fn answer(State(seen): State<Seen>, body: String) -> String {
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        seen.lock().expect("lock").push(body.clone());
        let company = &body["company"];
        let known = company["registrationNumber"] == "01234567" && !company["legalName"].as_str().unwrap_or_default().contains("Northwind");
        if known {
            json!({"result": "match", "reference": "rues-1", "fields": {"status": "ACTIVA"}}).to_string()
        } else {
            json!({"result": "not_found"}).to_string()
        }
    }
    let seen: Seen = Default::default();
    let app = axum::Router::new().route("/companies", axum::routing::post(answer)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

#[tokio::test]
async fn a_company_with_two_verified_representatives_is_completed_a_listed_one_goes_to_review_and_a_failed_selfie_blocks_completion() {
    let models = crate::faces::models();
    let lists = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        lists.path().join("opensanctions.csv"),
        "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n\
         os-co-0001,Company,Northwind Shell Holdings Ltd,Northwind Shell,,gb,,,,,,sample_sanctions,2026-01-01,2026-11-01,2026-11-01\n",
    )
    .expect("list");
    let (registry, asked) = company_registry().await;
    let sources = lists.path().join("sources.json");
    let endpoint = json!({"url": format!("{registry}/companies"), "timeoutMs": 2000, "retries": 1, "backoffMs": 10});
    std::fs::write(&sources, json!({"companyRegistry": {"COL": endpoint}}).to_string()).expect("sources");
    let server = Server::start_env(
        &["--rate-limits", "biometricVerification=1000,projects=10000"],
        &[
            ("SMARTENROLL_MODELS_DIR", models.as_str()),
            ("SMARTENROLL_SCREENING_DIR", lists.path().to_str().expect("path")),
            ("SMARTENROLL_SOURCES_FILE", sources.to_str().expect("path")),
            ("SMARTENROLL_ALLOW_PRIVATE_TARGETS", "1"),
        ],
    );
    let acme = server.new_client("Acme");
    let (project, flow) = business_project(&server, &acme, true).await;

    // A business registration needs its company.
    let r = server
        .call(
            Method::POST,
            "/v2/app-registrations",
            Some(&acme.token),
            Some(&json!({"project": project, "projectFlow": flow, "email": "x@acme.example"})),
        )
        .await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["company"]);

    // 1. Acme Andina: the company check passes; two representatives, both verified.
    let (token, business) = company_signs_up(&server, &acme, &project, &flow, "Acme Andina S.A.S.", "laura@acme-andina.example").await;
    // The decision waits for the people: none invited yet is a refusal, not a decision.
    let r = sync(&server, &token, &business, "end", "COMPLETED").await;
    r.assert_error(409, "Conflict");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("representatives_missing")), "{}", r.body);
    let r = server
        .call(
            Method::POST,
            &format!("/v2/app-registrations/{business}/representatives"),
            Some(&token),
            Some(&json!({"email": "o@acme.example", "role": "ubo"})),
        )
        .await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["ownershipPercentage"]);
    let (rep1_token, rep1) = invite(
        &server,
        &token,
        &business,
        json!({"email": "jose@acme-andina.example", "fullName": "José Luis García Márquez", "role": "legal_representative"}),
    )
    .await;
    let (rep2_token, rep2) = invite(&server, &acme.token, &business,
        json!({"email": "ana@acme-andina.example", "fullName": "Ana Maria Eriksson", "role": "ultimate_beneficial_owner", "ownershipPercentage": 60})).await;
    let r = sync(&server, &token, &business, "end", "COMPLETED").await;
    assert_eq!(r.status, 200, "{}", r.body);

    representative_enrols(
        &server,
        &rep1_token,
        &rep1,
        "jose@acme-andina.example",
        ("GARCIA MARQUEZ", "JOSE LUIS"),
        &portrait(),
        jpeg_base64(&photo("obama"), 90),
    )
    .await;
    let pending = server.call(Method::GET, &format!("/v2/app-registrations/{business}"), Some(&acme.token), None).await;
    assert_ne!(pending.body["data"]["status"], "COMPLETED", "one representative is not enough");
    representative_enrols(
        &server,
        &rep2_token,
        &rep2,
        "ana@acme-andina.example",
        ("ERIKSSON", "ANA MARIA"),
        &portrait(),
        jpeg_base64(&photo("obama"), 90),
    )
    .await;

    let case = wait_for(&server, &acme, &business, "the business decision", |d| d["status"] != "ONGOING" && d["status"] != "STARTED").await;
    assert_eq!(case["status"], "COMPLETED", "{case}");
    // The operator reads the whole case: company, its check, the people with roles, the history.
    let company_check = case["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["documentCategory"] == "business_document").cloned())
        .expect("company check");
    assert_eq!(company_check["status"], "ACTIVE", "{company_check}");
    assert_eq!(company_check["nameConsistency"]["nameFound"], true, "{company_check}");
    assert_eq!(company_check["formats"]["taxId"]["status"], "valid", "{company_check}");
    assert_eq!(company_check["screening"]["status"], "clear", "{company_check}");
    assert_eq!(company_check["infoValidationSupported"], true, "{company_check}");
    assert_eq!(company_check["informationVerification"]["result"], "match", "the company registry confirmed it: {company_check}");
    let first = asked.lock().expect("lock")[0].clone();
    assert_eq!((first["check"].as_str(), first["country"].as_str()), (Some("companyRegistry"), Some("COL")), "{first}");
    assert_eq!(first["company"]["legalName"], "Acme Andina S.A.S.", "{first}");
    let people = case["representatives"].as_array().expect("representatives");
    assert_eq!(people.len(), 2);
    assert_eq!((people[0]["role"].as_str(), people[0]["status"].as_str()), (Some("legal_representative"), Some("COMPLETED")), "{case}");
    assert_eq!(
        (people[1]["role"].as_str(), people[1]["ownershipPercentage"].as_f64()),
        (Some("ultimate_beneficial_owner"), Some(60.0)),
        "{case}"
    );
    assert!(history_actions(&case).ends_with(&["COMPLETED".to_string()]), "{case}");
    let events = event_types(&server, &acme, &business).await;
    for e in ["business_representative_invited", "business_representative_completed", "app_registration_completed"] {
        assert!(events.iter().any(|x| x.ends_with(e)), "{e} in {events:?}");
    }
    let rep = server.call(Method::GET, &format!("/v2/app-registrations/{rep1}"), Some(&acme.token), None).await;
    let passport = rep.body["data"]["checks"].as_array().and_then(|c| c.first().cloned()).expect("passport check");
    assert_eq!(passport["screening"]["status"], "clear", "the business screens, so its people are screened: {passport}");
    assert_eq!(
        (rep.body["data"]["status"].as_str(), rep.body["data"]["representativeOf"]["role"].as_str()),
        (Some("COMPLETED"), Some("legal_representative"))
    );

    // 2. A company whose name is on a sanctions list: the company check goes to a person, and so
    //    does the business, whatever its representative does; the operator then decides.
    let (token, listed) = company_signs_up(&server, &acme, &project, &flow, "Northwind Shell Holdings Ltd", "ops@northwind.example").await;
    let (rep_token, rep) = invite(
        &server,
        &token,
        &listed,
        json!({"email": "dir@northwind.example", "fullName": "José Luis García Márquez", "role": "director"}),
    )
    .await;
    representative_enrols(
        &server,
        &rep_token,
        &rep,
        "dir@northwind.example",
        ("GARCIA MARQUEZ", "JOSE LUIS"),
        &portrait(),
        jpeg_base64(&photo("obama"), 90),
    )
    .await;
    assert_eq!(sync(&server, &token, &listed, "end", "COMPLETED").await.status, 200);
    let case = wait_for(&server, &acme, &listed, "the listed company's decision", |d| {
        d["status"] == "NEEDS_MANUAL_VERIFICATION" || d["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(case["status"], "NEEDS_MANUAL_VERIFICATION", "{case}");
    let reason = case["history"].as_array().and_then(|h| h.last()).and_then(|e| e["reason"].as_str()).unwrap_or_default().to_string();
    assert!(reason.contains("screening_hit") && reason.contains("company_registry_not_found"), "{reason}");
    let r = server
        .call(
            Method::POST,
            &format!("/v2/app-registrations/{listed}/review"),
            Some(&acme.token),
            Some(&json!({"decision": "reject", "reasonCode": "sanctions_match", "note": "confirmed listed entity"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["status"], "FAILED", "{}", r.body);

    // 3. A representative whose selfie fails liveness keeps the business from COMPLETED.
    let (token, blocked) = company_signs_up(&server, &acme, &project, &flow, "Acme Pacifico S.A.S.", "ops@acme-pacifico.example").await;
    let (ok_token, ok) = invite(
        &server,
        &token,
        &blocked,
        json!({"email": "ok@acme-pacifico.example", "fullName": "José Luis García Márquez", "role": "legal_representative"}),
    )
    .await;
    let (bad_token, bad) = invite(
        &server,
        &token,
        &blocked,
        json!({"email": "bad@acme-pacifico.example", "fullName": "Ana Maria Eriksson", "role": "director"}),
    )
    .await;
    representative_enrols(
        &server,
        &ok_token,
        &ok,
        "ok@acme-pacifico.example",
        ("GARCIA MARQUEZ", "JOSE LUIS"),
        &portrait(),
        jpeg_base64(&photo("obama"), 90),
    )
    .await;
    // A photo of a screen: a pixel grid over the face, re-encoded at low quality.
    let face = photo("obama");
    let screen = image::RgbImage::from_fn(face.width(), face.height(), |x, y| {
        let grid = if x % 3 == 0 || y % 3 == 0 { 0.55 } else { 1.0 };
        image::Rgb(face.get_pixel(x, y).0.map(|c| (f32::from(c) * grid) as u8))
    });
    representative_enrols(
        &server,
        &bad_token,
        &bad,
        "bad@acme-pacifico.example",
        ("ERIKSSON", "ANA MARIA"),
        &portrait(),
        jpeg_base64(&screen, 8),
    )
    .await;
    assert_eq!(sync(&server, &token, &blocked, "end", "COMPLETED").await.status, 200);
    let failed = wait_for(&server, &acme, &bad, "the representative's decision", |d| d["status"] != "ONGOING").await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    let selfie = failed["checks"].as_array().and_then(|c| c.iter().find(|c| c["os"] == "IOS").cloned()).expect("selfie check");
    assert_eq!(selfie["result"]["reason"], "liveness_score_not_acceptable", "failed on liveness: {selfie}");
    let case = wait_for(&server, &acme, &blocked, "the blocked company's decision", |d| d["status"] != "ONGOING").await;
    assert_eq!(case["status"], "NEEDS_MANUAL_VERIFICATION", "{case}");
    let reason = case["history"].as_array().and_then(|h| h.last()).and_then(|e| e["reason"].as_str()).unwrap_or_default().to_string();
    assert!(reason.contains(&format!("representative {bad} (director) is FAILED")), "{reason}");

    // Nothing personal or read off a document in the logs.
    let logs = server.logs();
    for secret in [
        "laura@acme-andina.example",
        "jose@acme-andina.example",
        "García",
        "GARCIA",
        "Eriksson",
        "Acme Andina",
        "900.123.456",
        rep1_token.as_str(),
    ] {
        assert!(!logs.contains(secret), "{secret} is in the logs");
    }
}

#[tokio::test]
async fn on_a_live_project_the_invitation_goes_to_the_representative_by_email_with_the_link() {
    let receiver = crate::helpers::MessageReceiver::start().await;
    let mut env: Vec<(&str, String)> = receiver.env();
    env.push(("SMARTENROLL_PUBLIC_URL", "https://kyc.acme.example".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_env(&[], &env);
    let acme = server.new_client("Acme");
    let (project, flow) = business_project(&server, &acme, false).await;
    let company = json!({"legalName": "Acme Andina S.A.S.", "registrationNumber": "01234567", "countryOfIncorporation": "Colombia"});
    let body = json!({"project": project, "projectFlow": flow, "email": "laura@acme-andina.example", "company": company});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let business = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    let applicant = r.body["data"]["token"].as_str().expect("token").to_string();
    // The applicant invites only once their own email is proven.
    let early = json!({"email": "someone@acme-andina.example", "role": "director"});
    let r = server.call(Method::POST, &format!("/v2/app-registrations/{business}/representatives"), Some(&applicant), Some(&early)).await;
    r.assert_error(409, "Conflict");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("signUpForm_validation_not_passed")), "{}", r.body);
    let invite = json!({"email": "Jose@Acme-Andina.example", "fullName": "José Luis García Márquez", "role": "authorized signatory", "mandatory": false});
    let r = server.call(Method::POST, &format!("/v2/app-registrations/{business}/representatives"), Some(&acme.token), Some(&invite)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let data = &r.body["data"];
    assert_eq!((data["invitation"]["sent"].as_bool(), data["invitation"]["channel"].as_str()), (Some(true), Some("email")), "{data}");
    let link = data["link"].as_str().expect("link").to_string();
    assert!(link.starts_with(&format!("https://kyc.acme.example/sign-up/{project}#token=")), "{link}");
    assert_eq!(data["appRegistration"]["representativeOf"]["role"], "authorised_signatory");
    assert_eq!(data["business"]["representatives"][0]["mandatory"], false, "{data}");
    let sent = receiver.seen();
    let (_, form) = sent
        .iter()
        .find(|(_, f)| f.iter().any(|(k, v)| k == "to" && v == "jose@acme-andina.example"))
        .expect("an email to the representative");
    let text = form.iter().find(|(k, _)| k == "text").map(|(_, v)| v.clone()).unwrap_or_default();
    assert!(text.contains(&link) && text.contains("Acme Andina S.A.S.") && text.contains("authorised signatory"), "{text}");
    // The same person twice in one business is refused; invited to it by another tenant, not found.
    let r = server.call(Method::POST, &format!("/v2/app-registrations/{business}/representatives"), Some(&acme.token), Some(&invite)).await;
    r.assert_error(409, "Conflict");
    let other = server.new_client("Other");
    let r =
        server.call(Method::POST, &format!("/v2/app-registrations/{business}/representatives"), Some(&other.token), Some(&invite)).await;
    r.assert_error(404, "NotFound");
    // Erasing the person takes them off the business, which then waits for someone else.
    let person = data["appRegistration"]["_id"].as_str().expect("id").to_string();
    let r = server.call(Method::DELETE, &format!("/v2/app-registrations/{person}"), Some(&acme.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{business}"), Some(&acme.token), None).await;
    assert_eq!(r.body["data"]["representatives"], json!([]), "{}", r.body);
    assert!(history_actions(&r.body["data"]).contains(&"representative_erased".to_string()), "{}", r.body);
    assert!(!server.logs().contains("jose@acme-andina.example"), "no address in the logs");
}

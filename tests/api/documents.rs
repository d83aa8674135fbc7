//! The document engine from the operator's CLI: `smartenroll mrz parse` checks a typed zone.

use crate::helpers::BIN;
use std::process::Command;

fn mrz(lines: &[&str]) -> (bool, serde_json::Value, String) {
    let out = Command::new(BIN).args(["mrz", "parse"]).args(lines).output().expect("run the CLI");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mrz_parse_prints_the_fields_and_fails_on_a_bad_check_digit_or_an_expired_document() {
    // The ICAO visa specimen expires in 2094: valid.
    let (ok, out, err) = mrz(&["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C<3UTO6908061F9406236ZE184226B<<<<<<<"]);
    assert!(ok, "{err}");
    assert_eq!((out["valid"].as_bool(), out["zone"]["format"].as_str()), (Some(true), Some("MRV-A")), "{out}");
    assert_eq!(out["zone"]["dateOfExpiry"], "2094-06-23");
    // The passport specimen expired in 2012.
    let (ok, out, err) = mrz(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]);
    assert!(!ok && err.contains("expired on 2012-04-15"), "{err}");
    assert_eq!((out["valid"].as_bool(), out["expired"].as_bool()), (Some(true), Some(true)));
    // One digit of the birth date changed.
    let (ok, out, err) = mrz(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408132F1204159ZE184226B<<<<<10"]);
    assert!(!ok && err.contains("dateOfBirth"), "{err}");
    assert_eq!(out["failedCheckDigits"], serde_json::json!(["dateOfBirth", "composite"]));
    let (ok, _, err) = mrz(&["NOT A ZONE", "EITHER"]);
    assert!(!ok && !err.is_empty());
}

/// A synthetic passport page (OCR-B, a real face photo) as base64 JPEG.
fn passport_page(surname: &str, given: &str, number: &str, expiry: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(passport_jpeg(surname, given, number, expiry))
}

/// The same page as JPEG bytes.
fn passport_jpeg(surname: &str, given: &str, number: &str, expiry: &str) -> Vec<u8> {
    let cache = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache");
    let face = image::open(cache.join("test-images/obama2.jpg")).expect("photo (run scripts/fetch-models)").to_rgb8();
    passport_jpeg_of(&face, surname, given, number, expiry)
}

/// A passport page with `face` as its portrait, as JPEG bytes.
pub fn passport_jpeg_of(face: &image::RgbImage, surname: &str, given: &str, number: &str, expiry: &str) -> Vec<u8> {
    let cache = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache");
    let font = std::fs::read(cache.join("fonts/OCRB.otf")).expect("OCR-B font (run scripts/fetch-models)");
    let fields = smartenroll_documents::synthetic::Td3 { surname, given, number, nationality: "COL", birth: "690521", sex: 'M', expiry };
    let page = smartenroll_documents::synthetic::passport_page(&font, face, &smartenroll_documents::synthetic::td3(&fields)).expect("page");
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&page).expect("encode");
    out
}

use crate::helpers::{Server, Tenant};
use reqwest::Method;
use serde_json::{Value, json};

/// A synthetic Colombian driver's licence (no zone; OCR-B, a real face photo) as base64 JPEG.
fn licence_card(surname: &str, given: &str, number: &str, expiry: &str) -> String {
    use base64::Engine;
    let cache = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache");
    let font = std::fs::read(cache.join("fonts/OCRB.otf")).expect("OCR-B font (run scripts/fetch-models)");
    let face = image::open(cache.join("test-images/obama2.jpg")).expect("photo (run scripts/fetch-models)").to_rgb8();
    let fields = smartenroll_documents::synthetic::Licence {
        issuer: "REPUBLICA DE COLOMBIA",
        surname,
        given,
        number,
        birth: "21/05/1969",
        issued: "15/03/2021",
        expiry,
    };
    let card = smartenroll_documents::synthetic::licence_card(&font, &face, &fields).expect("card");
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&card).expect("encode");
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// An active project whose documents step accepts Colombian passports, with `extra` (screening,
/// informationVerification, criminalHistoryVerification) merged into the step.
async fn passport_project(server: &Server, acme: &Tenant, extra: Value) -> (String, String) {
    use crate::enrollment::{activate, demo_project};
    let (project, flow) = demo_project(server, acme).await;
    let mut documents = json!({"attemptLimit": 3, "verificationMethods": ["SCAN_PROMPT"], "documentTypes": [{"country": "Colombia",
        "configurations": [{"active": true, "documentCategory": "passport", "documentTemplates": []},
            {"active": true, "documentCategory": "license", "documentTemplates": []}]}],
        "screening": false, "informationVerification": false, "criminalHistoryVerification": false});
    for (k, v) in extra.as_object().expect("object") {
        documents[k] = v.clone();
    }
    let r = server
        .call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&json!({"projectFlow": {"documents": documents}})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    activate(server, acme, &project).await;
    (project, flow)
}

/// A registration for `full_name`: its enrollee token and id.
async fn enrol(server: &Server, acme: &Tenant, project: &str, flow: &str, full_name: &str, email: &str, phone: &str) -> (String, String) {
    let body =
        json!({"project": project, "projectFlow": flow, "email": email, "phone": phone, "countryCode": "+57", "fullName": full_name});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (
        r.body["data"]["token"].as_str().expect("token").to_string(),
        r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string(),
    )
}

/// The document check of attempt `attempt` once the worker recorded it.
async fn finished(server: &Server, acme: &Tenant, id: &str, attempt: u64) -> Value {
    // Up to two minutes: the visual-zone read takes seconds alone, and much longer on a machine
    // busy with other builds and tests (a 30-second wait once ran out that way).
    for _ in 0..1200 {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
        let done = r.body["data"]["checks"].as_array().and_then(|c| {
            c.iter().find(|c| c["attempt"] == attempt && c["inputMethod"] == "CAMERA" && c["status"] != "ASSESSING").cloned()
        });
        if let Some(check) = done {
            return check;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the document check never finished: {}", server.logs());
}

const SUBMIT: &str = "/v2/document-validations/app-registration";

#[tokio::test]
async fn the_document_worker_reads_a_passport_to_active_with_its_fields_and_fails_an_expired_one() {
    let models = crate::faces::models();
    let server = Server::start_env(&[], &[("SMARTENROLL_MODELS_DIR", models.as_str())]);
    let acme = server.new_client("Acme");
    let (project, flow) = passport_project(&server, &acme, json!({})).await;
    let (token, id) = enrol(&server, &acme, &project, &flow, "José Luis García Márquez", "jose@example.com", "3007770097").await;

    let expired = json!({"image": passport_page("GARCIA MARQUEZ", "JOSE LUIS", "PA0042917", "240930"), "inputMethod": "CAMERA"});
    let r = server.call(Method::POST, SUBMIT, Some(&token), Some(&expired)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let check: Value = finished(&server, &acme, &id, 1).await;
    assert_eq!((check["status"].as_str(), check["result"]["reason"].as_str()), (Some("FAILED"), Some("document_expired")), "{check}");

    let valid =
        json!({"image": passport_page("GARCIA MARQUEZ", "JOSE LUIS", "PA0042917", "340930"), "inputMethod": "CAMERA", "force": true});
    let r = server.call(Method::POST, SUBMIT, Some(&token), Some(&valid)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let check = finished(&server, &acme, &id, 2).await;
    assert_eq!(check["status"], "ACTIVE", "{check}");
    let ocr = &check["OCRExtraction"];
    assert_eq!(
        (ocr["documentNumber"].as_str(), ocr["lastName"].as_str(), ocr["firstName"].as_str()),
        (Some("PA0042917"), Some("GARCIA MARQUEZ"), Some("JOSE LUIS")),
        "{check}"
    );
    assert_eq!(
        (ocr["dateOfBirth"].as_str(), ocr["expirationDate"].as_str(), ocr["country"].as_str()),
        (Some("1969-05-21"), Some("2034-09-30"), Some("COL"))
    );
    assert_eq!((check["namesMatch"].as_bool(), check["fullNameMatchPercentage"].as_f64()), (Some(true), Some(100.0)), "{check}");
    assert_eq!(check["documentNumber"], "PA0042917");
    assert!(!server.logs().contains("PA0042917") && !server.logs().contains("GARCIA"), "nothing read is logged");
}

/// The operator's registry and criminal-history provider, on a free port: the registry confirms
/// document `PB7700001` and is down (503) for any other; the provider reports records for
/// `PA5500001` and none otherwise. Every request body is kept.
async fn sources_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::extract::State;
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;
    async fn answer(State(seen): State<Seen>, body: String) -> (axum::http::StatusCode, String) {
        let body: Value = serde_json::from_str(&body).unwrap_or_default();
        seen.lock().expect("lock").push(body.clone());
        let number = body["document"]["number"].as_str().unwrap_or_default();
        match (body["check"].as_str(), number) {
            (Some("informationVerification"), "PB7700001") => {
                (axum::http::StatusCode::OK, r#"{"result": "match", "reference": "reg-1"}"#.into())
            }
            (Some("informationVerification"), _) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new()),
            (_, "PA5500001") => (axum::http::StatusCode::OK, r#"{"result": "records_found", "records": [{"offence": "fraud"}]}"#.into()),
            _ => (axum::http::StatusCode::OK, r#"{"result": "clear", "records": []}"#.into()),
        }
    }
    let seen: Seen = Default::default();
    let app = axum::Router::new().route("/check", axum::routing::post(answer)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

#[tokio::test]
async fn screening_information_and_criminal_history_send_a_listed_holder_to_review_and_pass_a_clean_one() {
    let models = crate::faces::models();
    let (base, seen) = sources_server().await;
    let config = tempfile::tempdir().expect("temp dir");
    let lists = config.path().join("screening");
    std::fs::create_dir_all(&lists).expect("lists dir");
    std::fs::write(
        lists.join("targets.simple.csv"),
        "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n\
         fict-77,Person,Ramiro Estupiñán Quevedo,,1969-05-21,co,,,,,,fictional,,,\n",
    )
    .expect("list");
    let sources = config.path().join("sources.json");
    let endpoint = |on_failure: &str| json!({"url": format!("{base}/check"), "timeoutMs": 2000, "retries": 1, "backoffMs": 10, "onFailure": on_failure});
    std::fs::write(
        &sources,
        json!({"informationVerification": {"*": endpoint("open")}, "criminalHistory": {"COL": endpoint("closed")}}).to_string(),
    )
    .expect("sources");
    let server = Server::start_env(
        &[],
        &[
            ("SMARTENROLL_MODELS_DIR", models.as_str()),
            ("SMARTENROLL_SCREENING_DIR", lists.to_str().expect("path")),
            ("SMARTENROLL_SOURCES_FILE", sources.to_str().expect("path")),
            ("SMARTENROLL_ALLOW_PRIVATE_TARGETS", "1"),
        ],
    );
    let acme = server.new_client("Acme");
    let all = json!({"screening": true, "informationVerification": true, "criminalHistoryVerification": true});
    let (project, flow) = passport_project(&server, &acme, all).await;

    // Listed (the name written without accents and in another order), with records; the registry is down.
    let (token, listed) = enrol(&server, &acme, &project, &flow, "Ramiro Estupiñán Quevedo", "ramiro@example.com", "3007770098").await;
    let page = json!({"image": passport_page("ESTUPINAN QUEVEDO", "RAMIRO", "PA5500001", "340930"), "inputMethod": "CAMERA"});
    assert_eq!(server.call(Method::POST, SUBMIT, Some(&token), Some(&page)).await.status, 200);
    let check = finished(&server, &acme, &listed, 1).await;
    assert_eq!(check["status"], "NEEDS_MANUAL_VERIFICATION", "{check}");
    let reason = check["result"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("screening_hit") && reason.contains("criminal_records_found"), "{reason}");
    assert!(!reason.contains("information"), "the registry fails open here: {reason}");
    let hit = &check["screening"]["hits"][0];
    assert_eq!((hit["entryId"].as_str(), hit["birthDate"].as_str()), (Some("fict-77"), Some("same")), "{check}");
    assert_eq!(
        (check["infoValidationSupported"].as_bool(), check["infoValidationSupportedReason"].as_str()),
        (Some(false), Some("source_unavailable"))
    );
    assert_eq!(check["criminalHistory"]["records"][0]["offence"], "fraud");
    assert_eq!(check["OCRExtraction"]["documentNumber"], "PA5500001", "the reviewer sees what was read");

    // Clean: no list entry, the registry confirms, no records.
    let (token, clean) = enrol(&server, &acme, &project, &flow, "Lucía Fernanda Rojas", "lucia@example.com", "3007770099").await;
    let page = json!({"image": passport_page("ROJAS", "LUCIA FERNANDA", "PB7700001", "340930"), "inputMethod": "CAMERA"});
    assert_eq!(server.call(Method::POST, SUBMIT, Some(&token), Some(&page)).await.status, 200);
    let check = finished(&server, &acme, &clean, 1).await;
    assert_eq!(check["status"], "ACTIVE", "{check}");
    assert_eq!((check["screening"]["status"].as_str(), check["screening"]["entries"].as_u64()), (Some("clear"), Some(1)));
    assert_eq!(
        (check["infoValidationSupported"].as_bool(), check["informationVerification"]["reference"].as_str()),
        (Some(true), Some("reg-1"))
    );
    assert_eq!(check["criminalHistory"]["result"], "clear");

    let kinds = |id: String| {
        let (server, token) = (&server, acme.token.clone());
        async move {
            let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(&token), None).await;
            r.body["data"].as_array().expect("events").iter().filter_map(|e| e["type"].as_str().map(str::to_string)).collect::<Vec<_>>()
        }
    };
    let listed_events = kinds(listed).await;
    for expected in ["onboarding_document_validation_data_source_error", "onboarding_information_validation_background_check"] {
        assert!(listed_events.iter().any(|k| k == expected), "{expected}: {listed_events:?}");
    }
    assert!(kinds(clean).await.iter().any(|k| k == "onboarding_document_validation_source_lookup"));
    // The registry was tried twice for the listed holder (one retry), once for the clean one;
    // the provider once each.
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.iter().filter(|b| b["check"] == "informationVerification").count(), 3);
    assert_eq!(seen.iter().filter(|b| b["check"] == "criminalHistory").count(), 2);
    assert_eq!(seen[0]["person"]["lastName"], "ESTUPINAN QUEVEDO");
    let logs = server.logs();
    assert!(!logs.contains("ESTUPINAN") && !logs.contains("PA5500001") && !logs.contains("fraud"), "nothing read or answered is logged");
}

#[tokio::test]
async fn a_licence_without_a_zone_is_read_from_its_visual_zone_and_an_expired_one_fails() {
    let models = crate::faces::models();
    let server = Server::start_env(&[], &[("SMARTENROLL_MODELS_DIR", models.as_str())]);
    let acme = server.new_client("Acme");
    let (project, flow) = passport_project(&server, &acme, json!({})).await;
    let (token, id) = enrol(&server, &acme, &project, &flow, "Lucía Fernanda Rojas Peña", "lucia@example.com", "3007770100").await;

    let card = json!({"image": licence_card("ROJAS PENA", "LUCIA FERNANDA", "88412977", "15/03/2031"), "inputMethod": "CAMERA"});
    assert_eq!(server.call(Method::POST, SUBMIT, Some(&token), Some(&card)).await.status, 200);
    let check = finished(&server, &acme, &id, 1).await;
    assert_eq!(check["status"], "ACTIVE", "{check}");
    let ocr = &check["OCRExtraction"];
    assert_eq!(
        (ocr["documentType"].as_str(), ocr["documentNumber"].as_str(), ocr["lastName"].as_str(), ocr["expirationDate"].as_str()),
        (Some("driver_license"), Some("88412977"), Some("ROJAS PENA"), Some("2031-03-15")),
        "{check}"
    );
    assert_eq!((ocr["dateOfBirth"].as_str(), ocr["country"].as_str()), (Some("1969-05-21"), Some("COL")));
    assert_eq!(check["namesMatch"], true);

    let expired =
        json!({"image": licence_card("ROJAS PENA", "LUCIA FERNANDA", "88412977", "15/03/2024"), "inputMethod": "CAMERA", "force": true});
    assert_eq!(server.call(Method::POST, SUBMIT, Some(&token), Some(&expired)).await.status, 200);
    let check = finished(&server, &acme, &id, 2).await;
    assert_eq!((check["status"].as_str(), check["result"]["reason"].as_str()), (Some("FAILED"), Some("document_expired")), "{check}");
    assert!(!server.logs().contains("88412977") && !server.logs().contains("ROJAS"), "nothing read is logged");
}

#[test]
fn document_read_prints_a_passports_zone_or_a_licences_visual_fields_and_screen_prints_explained_hits() {
    use base64::Engine;
    let models = crate::faces::models();
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, b64: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, base64::engine::general_purpose::STANDARD.decode(b64).expect("base64")).expect("write");
        path
    };
    let read = |path: &std::path::Path| {
        let out = Command::new(BIN).args(["document", "read"]).arg(path).env("SMARTENROLL_MODELS_DIR", &models).output().expect("run");
        (
            out.status.success(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = read(&write("passport.jpg", passport_page("GARCIA MARQUEZ", "JOSE LUIS", "PA0042917", "340930")));
    assert!(ok, "{err}");
    assert_eq!(
        (out["readFrom"].as_str(), out["valid"].as_bool(), out["expired"].as_bool()),
        (Some("machine_readable_zone"), Some(true), Some(false)),
        "{out}"
    );
    assert_eq!(out["zone"]["documentNumber"], "PA0042917");
    assert_eq!(out["zoneLines"].as_array().map(Vec::len), Some(2));
    let (ok, out, err) = read(&write("licence.jpg", licence_card("ROJAS PENA", "LUCIA FERNANDA", "88412977", "15/03/2031")));
    assert!(ok, "{err}");
    assert_eq!(
        (out["readFrom"].as_str(), out["visual"]["documentNumber"]["value"].as_str()),
        (Some("visual_zone"), Some("88412977")),
        "{out}"
    );
    std::fs::write(dir.path().join("blank.png"), []).expect("write");
    let (ok, _, err) = read(&dir.path().join("blank.png"));
    assert!(!ok && err.contains("not a readable image"), "{err}");

    // The repository's own sample lists (the functions package sits one level below the root).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repository root");
    let fixtures = root.join("shared").join("documents").join("tests").join("fixtures");
    let screen = |args: &[&str]| {
        let out = Command::new(BIN).arg("screen").args(args).arg("--lists").arg(&fixtures).output().expect("run");
        (
            out.status.success(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = screen(&["asante KOFI Mensa", "--dob", "1966-02-17"]);
    assert!(ok, "{err}");
    assert_eq!((out["hits"][0]["entryId"].as_str(), out["hits"][0]["birthDate"].as_str()), (Some("FXi.001"), Some("same")), "{out}");
    assert_eq!(out["lists"].as_array().map(Vec::len), Some(3), "all three formats loaded: {out}");
    let (ok, out, _) = screen(&["Maria Fernanda Lopez"]);
    assert!(ok && out["hits"].as_array().is_some_and(Vec::is_empty), "{out}");
    let (ok, _, err) = screen(&["Kofi Asante", "--dob", "17/02/1966"]);
    assert!(!ok && err.contains("YYYY-MM-DD"), "{err}");
}

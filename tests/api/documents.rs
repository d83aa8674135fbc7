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
    let cache = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache");
    let font = std::fs::read(cache.join("fonts/OCRB.otf")).expect("OCR-B font (run scripts/fetch-models)");
    let face = image::open(cache.join("test-images/obama2.jpg")).expect("photo (run scripts/fetch-models)").to_rgb8();
    let fields = smartenroll_documents::synthetic::Td3 { surname, given, number, nationality: "COL", birth: "690521", sex: 'M', expiry };
    let page =
        smartenroll_documents::synthetic::passport_page(&font, &face, &smartenroll_documents::synthetic::td3(&fields)).expect("page");
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&page).expect("encode");
    base64::engine::general_purpose::STANDARD.encode(out)
}

#[tokio::test]
async fn the_document_worker_reads_a_passport_to_active_with_its_fields_and_fails_an_expired_one() {
    use crate::enrollment::{activate, demo_project};
    use crate::helpers::Server;
    use reqwest::Method;
    use serde_json::{Value, json};
    let models = crate::faces::models();
    let server = Server::start_env(&[], &[("SMARTENROLL_MODELS_DIR", models.as_str())]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    let passports = json!({"projectFlow": {"documents": {"attemptLimit": 3, "verificationMethods": ["SCAN_PROMPT"], "documentTypes": [{"country": "Colombia",
        "configurations": [{"active": true, "documentCategory": "passport", "documentTemplates": []}]}],
        "screening": false, "informationVerification": false, "criminalHistoryVerification": false}}});
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&passports)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    activate(&server, &acme, &project).await;
    let body = json!({"project": project, "projectFlow": flow, "email": "jose@example.com", "phone": "3007770097", "countryCode": "+57", "fullName": "José Luis García Márquez"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["data"]["token"].as_str().expect("token").to_string();
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();

    let finished = |attempt: u64| {
        let (server, token, id) = (&server, acme.token.clone(), id.clone());
        async move {
            for _ in 0..300 {
                let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&token), None).await;
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
    };
    let submit = "/v2/document-validations/app-registration";
    let expired = json!({"image": passport_page("GARCIA MARQUEZ", "JOSE LUIS", "PA0042917", "240930"), "inputMethod": "CAMERA"});
    let r = server.call(Method::POST, submit, Some(&token), Some(&expired)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let check: Value = finished(1).await;
    assert_eq!((check["status"].as_str(), check["result"]["reason"].as_str()), (Some("FAILED"), Some("document_expired")), "{check}");

    let valid =
        json!({"image": passport_page("GARCIA MARQUEZ", "JOSE LUIS", "PA0042917", "340930"), "inputMethod": "CAMERA", "force": true});
    let r = server.call(Method::POST, submit, Some(&token), Some(&valid)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let check = finished(2).await;
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

//! The face engine inside the product: a server started with the models (fetched by
//! scripts/fetch-models) runs an enrollee's selfie check on its worker, against the photo on the
//! document the enrollee submitted, and records the scores; a redelivered job changes nothing.

use crate::enrollment::{activate, demo_project};
use crate::helpers::Server;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn models() -> String {
    std::env::var("SMARTENROLL_MODELS_DIR").unwrap_or_else(|_| repo().join(".cache/models").display().to_string())
}

fn photo(name: &str) -> image::RgbImage {
    let path = repo().join(".cache/test-images").join(format!("{name}.jpg"));
    image::open(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-models)", path.display())).to_rgb8()
}

fn jpeg_base64(img: &image::RgbImage) -> String {
    use base64::Engine;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).expect("encode");
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// A synthetic ID card: a card with a border, the portrait in a photo box, text-like bars.
fn id_card(portrait: &image::RgbImage) -> image::RgbImage {
    let mut card = image::RgbImage::from_fn(1000, 630, |x, y| {
        if !(12..988).contains(&x) || !(12..618).contains(&y) { image::Rgb([40, 70, 120]) } else { image::Rgb([226, 232, 240]) }
    });
    let h = 420;
    let w = portrait.width() * h / portrait.height();
    let small = image::imageops::resize(portrait, w, h, image::imageops::FilterType::CatmullRom);
    image::imageops::replace(&mut card, &small, 60, 120);
    for i in 0..5u32 {
        for x in 420..880 {
            for y in 140 + i * 70..160 + i * 70 {
                card.put_pixel(x, y, image::Rgb([30, 30, 30]));
            }
        }
    }
    card
}

async fn events(server: &Server, token: &str, id: &str) -> Vec<String> {
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}/events"), Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = r.body["data"].as_array().cloned().or_else(|| r.body["data"]["docs"].as_array().cloned()).unwrap_or_default();
    list.iter().filter_map(|e| e["type"].as_str().or_else(|| e["event"].as_str()).map(str::to_string)).collect()
}

#[tokio::test]
async fn a_selfie_is_checked_against_the_document_photo_to_validated_with_its_scores_and_a_redelivered_job_changes_nothing() {
    let models = models();
    let server = Server::start_env(&[], &[("SMARTENROLL_MODELS_DIR", models.as_str())]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    activate(&server, &acme, &project).await;
    let body = json!({"project": project, "projectFlow": flow, "email": "face@example.com", "phone": "3007770099", "countryCode": "+57", "fullName": "Face Test"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["data"]["token"].as_str().expect("token").to_string();
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();

    let doc = json!({"image": format!("data:image/jpeg;base64,{}", jpeg_base64(&id_card(&photo("obama2")))), "inputMethod": "CAMERA"});
    let r = server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&doc)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let selfie = json!({"image": jpeg_base64(&photo("obama")), "os": "ANDROID"});
    let r = server.call(Method::POST, "/v2/biometric-validations/app-registration", Some(&token), Some(&selfie)).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let selfie_check = |d: &Value| d["checks"].as_array().and_then(|c| c.iter().find(|c| c["os"] == "ANDROID").cloned());
    let mut reg = Value::Null;
    for _ in 0..300 {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
        if selfie_check(&r.body["data"]).is_some_and(|c| c["status"] != "new") {
            reg = r.body["data"].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let check = selfie_check(&reg).unwrap_or_else(|| panic!("the selfie check never finished: {}", server.logs()));
    assert_eq!(check["status"], "validated", "{check}");
    let detail = &check["result"]["detail"];
    let compare = &detail["compareResult"];
    assert!(compare["score"].as_f64().is_some_and(|s| s > 0.80), "{check}");
    assert_eq!((compare["passed"].as_bool(), compare["compare_min_score"].as_f64()), (Some(true), Some(0.8)), "{check}");
    assert!(detail["livenessScore"].as_f64().is_some_and(|s| s > 0.65), "{check}");
    assert_eq!(detail["liveness"]["signals"].as_array().map(Vec::len), Some(5), "{check}");

    let before = events(&server, &acme.token, &id).await;
    for kind in ["biometric_validation_validated", "face_verification_compare"] {
        assert_eq!(before.iter().filter(|e| e.ends_with(kind)).count(), 1, "{kind} once: {before:?}");
    }
    // The same job again, as a queue delivers a message twice.
    let job = smartenroll_domain::jobs::Job::RunCheck {
        client_id: acme.id.clone(),
        registration_id: id.clone(),
        check_id: check["_id"].as_str().expect("check id").to_string(),
    };
    let store =
        smartenroll_adapters::sqlite::SqliteStore::open(&server.data_dir.join(smartenroll_functions::bootstrap::DB_FILE)).expect("store");
    let queue = smartenroll_adapters::queue::SqliteQueue::new(store, smartenroll_adapters::queue::JOBS_QUEUE, 5);
    smartenroll_domain::ports::JobQueue::send(&queue, &job.to_body()).await.expect("send");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
    assert_eq!(selfie_check(&r.body["data"]), Some(check), "the recorded check is unchanged");
    assert_eq!(events(&server, &acme.token, &id).await, before, "no event twice");
}

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

pub fn models() -> String {
    std::env::var("SMARTENROLL_MODELS_DIR").unwrap_or_else(|_| repo().join(".cache/models").display().to_string())
}

fn photo(name: &str) -> image::RgbImage {
    let path = repo().join(".cache/test-images").join(format!("{name}.jpg"));
    image::open(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-models)", path.display())).to_rgb8()
}

/// A test photo as base64 JPEG.
pub fn photo_base64(name: &str) -> String {
    jpeg_base64(&photo(name))
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
    let compare = "/v2/face-recognition/compare/app-registration";
    server.call(Method::POST, compare, Some(&token), Some(&json!({}))).await.assert_error(412, "PreconditionFailed");
    let r = server.call(Method::POST, "/v2/biometric-validations/app-registration", Some(&token), Some(&selfie)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The enrollee's own compare of what they submitted, with the flow's mode and threshold.
    let r = server.call(Method::POST, compare, Some(&token), Some(&json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["data"]["score"].as_f64().is_some_and(|s| s > 0.80) && r.body["data"]["passed"] == true, "{}", r.body);
    assert_eq!(r.body["data"]["appRegistration"], id.as_str());
    server.call(Method::POST, compare, Some(&acme.token), Some(&json!({}))).await.assert_error(401, "Unauthorized");

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

fn b64(img: &image::RgbImage) -> Value {
    Value::String(jpeg_base64(img))
}

/// Serves the test photos over HTTP on a free port: `/<name>.jpg`.
async fn photo_server() -> String {
    use axum::extract::Path;
    let app = axum::Router::new().route(
        "/{name}",
        axum::routing::get(|Path(name): Path<String>| async move {
            let file = repo().join(".cache/test-images").join(name.replace('/', ""));
            match std::fs::read(file) {
                Ok(bytes) => (axum::http::StatusCode::OK, bytes),
                Err(_) => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn with_models(extra: &[(&str, &str)]) -> Server {
    let models = models();
    let mut env = vec![("SMARTENROLL_MODELS_DIR", models.as_str())];
    env.extend_from_slice(extra);
    Server::start_env(&["--rate-limits", "biometricVerification=1000"], &env)
}

#[tokio::test]
async fn the_compare_api_scores_the_same_person_above_and_another_below_the_threshold_in_the_face_envelope() {
    let server = with_models(&[]);
    let acme = server.new_client("Acme");
    let photos = photo_server().await;
    let call = |path: &'static str, body: Value| {
        let (server, token) = (&server, acme.token.clone());
        async move { server.call(Method::POST, path, Some(&token), Some(&body)).await }
    };
    let (obama, obama2, biden) = (photo("obama"), photo("obama2"), photo("biden"));
    for mode in ["FAST", "ACCURATE"] {
        let r = call("/v2/face-recognition/compare", json!({"probe": [b64(&obama)], "gallery": [b64(&obama2)], "search_mode": mode})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let d = &r.body["data"];
        assert!(d["score"].as_f64().is_some_and(|s| s > 0.80), "{mode}: {d}");
        assert_eq!(
            (d["passed"].as_bool(), d["compare_min_score"].as_f64(), d["search_mode"].as_str()),
            (Some(true), Some(0.85), Some(mode))
        );
        assert_eq!(d["result"]["score"], d["score"]);
        assert!(d["probe"][0].as_str().is_some_and(|l| l.starts_with("sha256:")), "inline images are never echoed: {d}");
        assert_eq!(r.body["id"].as_str().map(str::len), Some(5), "{}", r.body);
        assert!(r.body["signature"]["dateTime"].as_str().is_some_and(|t| t.contains(", 20")), "{}", r.body);

        // The GitBook shape (probe as one string), a gallery URL fetched by the server, another person.
        let gallery = json!([format!("{photos}/biden.jpg")]);
        let r = call("/v2/face-recognition/compare", json!({"probe": b64(&obama), "gallery": gallery, "search_mode": mode})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body["data"]["score"].as_f64().is_some_and(|s| s < 0.70), "{mode}: {}", r.body);
        assert_eq!(r.body["data"]["passed"], false);
        assert_eq!(r.body["data"]["gallery"], gallery, "a URL is echoed as sent");
    }
    // The best pair of a gallery wins.
    let r = call(
        "/v2/face-recognition/compare",
        json!({"probe": b64(&obama), "gallery": [b64(&biden), format!("{photos}/obama3.jpg")], "search_mode": "fast", "compare_min_score": "0.9"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["result"]["bestMatch"], json!({"probe": 0, "gallery": 1}), "{}", r.body);
    assert_eq!(r.body["data"]["compare_min_score"], 0.9);

    // Compare with liveness: the compare first, liveness on the probe only when it is met.
    let r = call(
        "/v2/face-recognition/compare-with-liveness",
        json!({"probe": b64(&obama), "gallery": [b64(&obama2)], "search_mode": "FAST", "os": "IOS"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = &r.body["data"];
    assert!(d["comparison"]["score"].as_f64().is_some_and(|s| s > 0.80), "{d}");
    assert_eq!(d["comparison"]["type"], "compareLive");
    let score = d["liveness"]["liveness_score"].as_f64().expect("liveness ran");
    assert_eq!(d["liveness"]["passed"].as_bool(), Some(score > 0.6), "{d}");
    assert_eq!(d["liveness"]["signals"].as_array().map(Vec::len), Some(5), "{d}");
    let r = call(
        "/v2/face-recognition/compare-with-liveness",
        json!({"probe": b64(&biden), "gallery": [b64(&obama2)], "search_mode": "FAST", "compare_min_score": 0.8}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["data"]["comparison"]["passed"].as_bool(), &r.body["data"]["liveness"]), (Some(false), &Value::Null), "{}", r.body);
}

#[tokio::test]
async fn the_face_apis_refuse_bad_input_each_with_its_own_code() {
    let server = with_models(&[]);
    let acme = server.new_client("Acme");
    let t = Some(acme.token.as_str());
    let obama = b64(&photo("obama"));
    let blank = b64(&image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])));
    let pair = {
        let (a, b) = (photo("obama"), photo("biden"));
        let h = 400;
        let (a, b) = (
            image::imageops::resize(&a, a.width() * h / a.height(), h, image::imageops::FilterType::Triangle),
            image::imageops::resize(&b, b.width() * h / b.height(), h, image::imageops::FilterType::Triangle),
        );
        let mut both = image::RgbImage::new(a.width() + b.width(), h);
        image::imageops::replace(&mut both, &a, 0, 0);
        image::imageops::replace(&mut both, &b, i64::from(a.width()), 0);
        b64(&both)
    };
    let tiny = b64(&image::imageops::resize(&photo("obama"), 60, 80, image::imageops::FilterType::Triangle));
    let compare = "/v2/face-recognition/compare";
    let liveness = "/v2/face-recognition/liveness";
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (liveness, json!({"image": obama}), 409, "MissingParameter"),
        (liveness, json!({"os": "IOS"}), 409, "MissingParameter"),
        (liveness, json!({"os": "WINDOWS", "image": obama}), 422, "UnprocessableEntity"),
        (liveness, json!({"os": "IOS", "image": obama, "liveness_min_score": 0.3}), 422, "UnprocessableEntity"),
        (liveness, json!({"os": "IOS", "image": obama, "collection_id": "65f1c2a9e4b0a1b2c3d4e5f6"}), 404, "NotFound"),
        (liveness, json!({"os": "IOS", "image": "aGVsbG8="}), 412, "PreconditionFailed"),
        (liveness, json!({"os": "IOS", "image": blank}), 422, "face_not_found"),
        (liveness, json!({"os": "IOS", "image": pair}), 422, "multiple_faces"),
        (liveness, json!({"os": "IOS", "image": tiny}), 422, "face_too_small"),
        (liveness, json!({"os": "IOS", "frames": [obama, obama]}), 409, "MissingParameter"),
        (compare, json!({"probe": [obama], "gallery": [obama]}), 409, "MissingParameter"),
        (compare, json!({"probe": [obama], "search_mode": "FAST"}), 409, "MissingParameter"),
        (compare, json!({"probe": [obama], "gallery": [obama], "search_mode": "SLOW"}), 422, "UnprocessableEntity"),
        (
            compare,
            json!({"probe": [obama], "gallery": [obama], "search_mode": "FAST", "compare_min_score": 0.5}),
            422,
            "UnprocessableEntity",
        ),
        (compare, json!({"probe": [obama], "gallery": [blank], "search_mode": "FAST"}), 422, "face_not_found"),
        (compare, json!({"probe": [obama], "gallery": ["ftp://example.com/a.jpg"], "search_mode": "FAST"}), 422, "UnprocessableEntity"),
    ];
    for (path, body, status, code) in cases {
        let r = server.call(Method::POST, path, t, Some(&body)).await;
        assert_eq!(
            (r.status.as_u16(), r.body["code"].as_str()),
            (status, Some(code)),
            "{path} {}: {}",
            &body.to_string()[..60.min(body.to_string().len())],
            r.body
        );
    }
    let r = server.call(Method::POST, compare, t, Some(&json!({"probe": [obama], "gallery": [blank], "search_mode": "FAST"}))).await;
    assert_eq!(r.detail_fields(), vec!["gallery".to_string()], "the refusal names the field: {}", r.body);
    server.call(Method::POST, compare, None, Some(&json!({}))).await.assert_error(401, "Unauthorized");
    assert!(!server.logs().contains(obama.as_str().expect("text").get(..40).expect("prefix")), "no image in the logs");

    // Without models the face APIs say so; nothing is made up.
    let bare = Server::start(&[]);
    let other = bare.new_client("Other");
    let body = json!({"probe": [obama], "gallery": [obama], "search_mode": "FAST"});
    bare.call(Method::POST, compare, Some(&other.token), Some(&body)).await.assert_error(503, "ServiceUnavailable");
}

#[tokio::test]
async fn image_urls_go_through_the_outbound_guard() {
    let server = with_models(&[("SMARTENROLL_ALLOW_PRIVATE_TARGETS", "0")]);
    let acme = server.new_client("Acme");
    let photos = photo_server().await;
    let obama = b64(&photo("obama"));
    for (url, says) in [
        (format!("{photos}/obama2.jpg"), "https"),
        (format!("{}/obama2.jpg", photos.replace("http://", "https://")), "loopback"),
        ("https://169.254.169.254/latest/meta-data/".to_string(), "link-local"),
        ("https://[::ffff:10.0.0.1]/a.jpg".to_string(), "private"),
    ] {
        let body = json!({"probe": [obama], "gallery": [url], "search_mode": "FAST"});
        let r = server.call(Method::POST, "/v2/face-recognition/compare", Some(&acme.token), Some(&body)).await;
        assert_eq!(r.status, 422, "{url}: {}", r.body);
        assert!(r.body["message"].as_str().is_some_and(|m| m.contains(says)), "{url}: {}", r.body);
    }
}

/// A burst that turns the way `turns` (as the challenge names them) asks, from `name`'s photo:
/// facing the camera first, then each turn out and back.
fn burst_for(engine: &smartenroll_biometrics::Biometrics, name: &str, turns: &[&str], flip: bool) -> Vec<Value> {
    let p = photo(name);
    let face = engine.face(&p, smartenroll_biometrics::Mode::Fast).expect("inference").expect("a face").face;
    let mut degrees = vec![0.0f32];
    for t in turns {
        let sign = if (*t == "turn_left") != flip { 1.0 } else { -1.0 };
        degrees.extend([15.0 * sign, 35.0 * sign, 15.0 * sign, 0.0]);
    }
    degrees.iter().map(|d| b64(&smartenroll_biometrics::synthetic::turn_head(&p, &face, *d))).collect()
}

#[tokio::test]
async fn the_active_challenge_passes_frames_that_turn_as_asked_and_fails_the_wrong_way_and_another_callers_challenge() {
    let server = with_models(&[]);
    let (acme, globex) = (server.new_client("Acme"), server.new_client("Globex"));
    let engine = smartenroll_biometrics::Biometrics::load(std::path::Path::new(&models())).expect("models");
    let issue = |token: String| {
        let server = &server;
        async move {
            let r = server.call(Method::POST, "/v2/face-recognition/liveness/challenge", Some(&token), Some(&json!({}))).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let turns: Vec<String> =
                r.body["data"]["turns"].as_array().expect("turns").iter().map(|t| t.as_str().expect("turn").to_string()).collect();
            (r.body["data"]["challenge"].as_str().expect("challenge").to_string(), turns)
        }
    };
    let (challenge, turns) = issue(acme.token.clone()).await;
    assert_eq!(turns.len(), 2);
    assert!(turns.iter().all(|t| t == "turn_left" || t == "turn_right"), "{turns:?}");
    let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
    let liveness = "/v2/face-recognition/liveness";
    let frames = burst_for(&engine, "obama2", &turns, false);
    let body = json!({"os": "ANDROID", "challenge": challenge, "frames": frames});
    let r = server.call(Method::POST, liveness, Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = &r.body["data"];
    assert_eq!((d["mode"].as_str(), d["challenge"]["passed"].as_bool()), (Some("active"), Some(true)), "{d}");
    assert_eq!(d["challenge"]["turns"], json!(turns));
    assert!(d["liveness_score"].as_f64().is_some_and(|s| s >= 0.5), "{d}");
    let names: Vec<&str> = d["signals"].as_array().expect("signals").iter().filter_map(|s| s["name"].as_str()).collect();
    for name in ["continuity", "motion", "wrong_direction", "turn"] {
        assert!(names.contains(&name), "{name} reported: {names:?}");
    }

    // The mirror image of the asked turns goes the wrong way first.
    let wrong = json!({"os": "ANDROID", "challenge": challenge, "frames": burst_for(&engine, "obama2", &turns, true)});
    let r = server.call(Method::POST, liveness, Some(&acme.token), Some(&wrong)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["data"]["challenge"]["failed"].as_str(), r.body["data"]["passed"].as_bool()),
        (Some("wrong_direction"), Some(false))
    );

    // Another client's challenge, or a forged one, is refused.
    let r = server.call(Method::POST, liveness, Some(&globex.token), Some(&body)).await;
    r.assert_error(403, "Forbidden");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("challenge_invalid")), "{}", r.body);
    let forged = json!({"os": "ANDROID", "challenge": acme.token, "frames": frames});
    server.call(Method::POST, liveness, Some(&acme.token), Some(&forged)).await.assert_error(403, "Forbidden");
    let one = json!({"os": "ANDROID", "challenge": challenge, "frames": [frames[0]]});
    server.call(Method::POST, liveness, Some(&acme.token), Some(&one)).await.assert_error(422, "UnprocessableEntity");
}

#[tokio::test]
async fn an_enrollee_in_an_active_liveness_flow_answers_a_challenge_with_frames_and_the_worker_scores_the_challenge() {
    let server = with_models(&[]);
    let acme = server.new_client("Acme");
    let (project, flow) = demo_project(&server, &acme).await;
    let active = json!({"projectFlow": {"liveness": {"attemptLimit": 3, "minScore": 0.65, "searchMinScore": 0.80, "searchMode": "FAST", "mode": "active"}}});
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&active)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    activate(&server, &acme, &project).await;
    let body = json!({"project": project, "projectFlow": flow, "email": "turn@example.com", "phone": "3007770098", "countryCode": "+57", "fullName": "Turn Test"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["data"]["token"].as_str().expect("token").to_string();
    let id = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();
    let doc = json!({"image": jpeg_base64(&id_card(&photo("obama2"))), "inputMethod": "CAMERA"});
    let r = server.call(Method::POST, "/v2/document-validations/app-registration", Some(&token), Some(&doc)).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let submit = "/v2/biometric-validations/app-registration";
    // The flow asks for a challenge: a lone selfie is refused, saying what to do.
    let r = server.call(Method::POST, submit, Some(&token), Some(&json!({"image": photo_base64("obama"), "os": "IOS"}))).await;
    r.assert_error(409, "MissingParameter");
    let r = server.call(Method::POST, "/v2/face-recognition/liveness/challenge", Some(&token), Some(&json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let challenge = r.body["data"]["challenge"].as_str().expect("challenge").to_string();
    let turns: Vec<String> =
        r.body["data"]["turns"].as_array().expect("turns").iter().map(|t| t.as_str().expect("turn").to_string()).collect();
    let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
    let engine = smartenroll_biometrics::Biometrics::load(std::path::Path::new(&models())).expect("models");
    let frames = burst_for(&engine, "obama", &turns, false);
    let r = server.call(Method::POST, submit, Some(&token), Some(&json!({"os": "IOS", "challenge": challenge, "frames": frames}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["biometricValidation"]["challenge"]["frames"], frames.len(), "{}", r.body);

    let mut check = Value::Null;
    for _ in 0..300 {
        let r = server.call(Method::GET, &format!("/v2/app-registrations/{id}"), Some(&acme.token), None).await;
        if let Some(c) =
            r.body["data"]["checks"].as_array().and_then(|c| c.iter().find(|c| c["os"] == "IOS" && c["status"] != "new").cloned())
        {
            check = c;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(check["status"], "validated", "{check} {}", server.logs());
    let live = &check["result"]["detail"]["liveness"];
    assert_eq!((live["mode"].as_str(), live["challenge"]["passed"].as_bool()), (Some("active"), Some(true)), "{check}");
    assert!(check["result"]["detail"]["compareResult"]["score"].as_f64().is_some_and(|s| s > 0.8), "{check}");
}

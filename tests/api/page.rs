//! The hosted onboarding page in a real browser: Debian's Chromium driven by playwright-core
//! (`tests/browser/onboard.mjs`), against the real server with the real face and document
//! engines, on a demo-mode project with public sign-up and passive liveness. Three runs: a fake
//! camera fed from a real face photo (with a reload in the middle), camera permission denied
//! (uploads only), and the page inside an iframe of another local origin opened from the
//! operator's link, whose selfie is handed off to another device through the page's QR link. Each ends at the project's redirect; the operator then reads each
//! registration's decision. Screenshots of every step at phone and desktop width go to
//! `target/screenshots/hosted-page/<run>/`.

use crate::helpers::{Server, report};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A still face as a YUV4MPEG2 video (4:2:0, BT.601 full range), the format Chromium's fake
/// capture device reads: one frame, which it repeats.
fn y4m(photo: &image::RgbImage, width: u32, height: u32) -> Vec<u8> {
    let img = image::imageops::resize(photo, width, height, image::imageops::FilterType::Triangle);
    let px = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))
    };
    let mut out = format!("YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    for y in 0..height {
        for x in 0..width {
            let (r, g, b) = px(x, y);
            out.push((0.299 * r + 0.587 * g + 0.114 * b).round().clamp(0.0, 255.0) as u8);
        }
    }
    let chroma = |f: &dyn Fn(f32, f32, f32) -> f32| -> Vec<u8> {
        let mut plane = Vec::new();
        for y in (0..height).step_by(2) {
            for x in (0..width).step_by(2) {
                let mut sum = 0.0;
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let (r, g, b) = px(x + dx, y + dy);
                    sum += f(r, g, b);
                }
                plane.push((sum / 4.0 + 128.0).round().clamp(0.0, 255.0) as u8);
            }
        }
        plane
    };
    out.extend(chroma(&|r, g, b| -0.168_736 * r - 0.331_264 * g + 0.5 * b));
    out.extend(chroma(&|r, g, b| 0.5 * r - 0.418_688 * g - 0.081_312 * b));
    out
}

/// Another local origin: an operator's page embedding the hosted page (`/embed?src=<url>`), and
/// the redirect target (`/done`).
async fn operator_site() -> String {
    async fn embed(uri: axum::http::Uri) -> axum::response::Html<String> {
        let url = reqwest::Url::parse(&format!("http://site{uri}")).expect("url");
        let src = url.query_pairs().find(|(k, _)| k == "src").map(|(_, v)| v.to_string()).unwrap_or_default();
        let src = src.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
        axum::response::Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Acme onboarding</title></head><body>\
             <h1>Acme Bank</h1><iframe title=\"Identity verification\" src=\"{src}\" allow=\"camera\" width=\"420\" height=\"860\"></iframe></body></html>"
        ))
    }
    let banner = png(&image::RgbaImage::from_fn(600, 900, |x, y| image::Rgba([20, 60 + (y / 8) as u8, 140 + (x / 8) as u8, 255])));
    let app = axum::Router::new()
        .route("/embed", axum::routing::get(embed))
        .route("/banner.png", axum::routing::get(move || async move { ([(axum::http::header::CONTENT_TYPE, "image/png")], banner) }))
        .route(
            "/done",
            axum::routing::get(|| async {
                axum::response::Html(
                    "<!doctype html><html lang=\"en\"><head><title>Done</title></head><body><h1>Welcome back</h1></body></html>",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn png(img: &image::RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// Runs the browser script for one run and returns its result line.
fn browse(config: &Value) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.json");
    std::fs::write(&path, config.to_string()).expect("config");
    let out = std::process::Command::new("node")
        .arg(repo().join("tests/browser/onboard.mjs"))
        .arg(&path)
        .current_dir(repo().join("tests/browser"))
        .output()
        .expect("node (scripts/test checks it is installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("the browser script printed no result: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(line).expect("result json")
}

#[tokio::test]
#[ignore = "needs Chromium and playwright-core: run scripts/test"]
async fn the_hosted_page_takes_an_enrollee_from_sign_up_to_the_redirect_in_chromium_with_camera_without_it_and_in_an_iframe() {
    let chromium = std::env::var("SMARTENROLL_CHROMIUM").expect("SMARTENROLL_CHROMIUM (scripts/test installs Chromium and sets it)");
    let models = crate::faces::models();
    // No public URL configured: the hand-off link is then built by the page from its own origin.
    let server = Server::start_env(&[], &[("SMARTENROLL_MODELS_DIR", models.as_str())]);
    let acme = server.new_client("Acme");
    let (project, flow) = crate::enrollment::demo_project(&server, &acme).await;
    let page_url = format!("{}/sign-up/{project}", server.base);
    let site = operator_site().await;
    let documents = json!({"attemptLimit": 3, "verificationMethods": ["SCAN_PROMPT"], "documentTypes": [{"country": "Colombia",
        "configurations": [{"active": true, "documentCategory": "passport", "documentTemplates": []},
            {"active": true, "documentCategory": "government_id", "documentTemplates": []}]}],
        "screening": false, "informationVerification": false, "criminalHistoryVerification": false});
    // Branding images: the logo as a data URI, the side image by URL from the operator's site;
    // both stored at save time and served by the product.
    let logo = png(&image::RgbaImage::from_fn(360, 120, |x, y| {
        if (20..340).contains(&x) && (20..100).contains(&y) { image::Rgba([0, 35, 109, 255]) } else { image::Rgba([0, 0, 0, 0]) }
    }));
    let logo_uri = {
        use base64::Engine;
        format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&logo))
    };
    let form = json!({"fullName": true, "fullNameStyle": "together", "email": true, "emailGateway": "mailgun", "phone": true, "phoneGateway": "sms",
        "allowAdditionalFields": true, "additionalFields": [{"name": "occupation", "label": "Occupation", "type": "text", "required": true}],
        "showPrivacyNotice": true, "showTermsAndConditions": true});
    let update = json!({"publicSignUp": true, "branding": {"logo": logo_uri, "image": format!("{site}/banner.png")}, "projectFlow": {"signUpForm": form, "documents": documents,
        "integrations": {"redirectUrl": format!("{site}/done"), "webhook": null, "source": "NONE", "strategy": "none"}}});
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&acme.token), Some(&update)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body["warnings"].to_string().contains("branding."), "both images stored: {}", r.body["warnings"]);
    crate::enrollment::activate(&server, &acme, &project).await;
    for (slot, size) in [("logo", (360, 120)), ("image", (600, 900))] {
        let r = server.http.get(format!("{}/sign-up/{project}/branding/{slot}", server.base)).send().await.expect("image");
        assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().ok()), (200, Some("image/png")), "{slot}");
        let stored = image::load_from_memory(&r.bytes().await.expect("bytes")).expect("a PNG");
        assert_eq!((stored.width(), stored.height()), size, "{slot}");
    }
    // Not an image: the save stands, says so, and the page falls back to the name.
    let r = server
        .call(
            Method::PUT,
            &format!("/v3/projects/{project}"),
            Some(&acme.token),
            Some(&json!({"branding": {"image": "data:image/png;base64,aGVsbG8="}})),
        )
        .await;
    assert!(r.body["warnings"].to_string().contains("branding.image: not stored"), "{}", r.body);
    let r = server.http.get(format!("{}/sign-up/{project}/branding/image", server.base)).send().await.expect("image");
    assert_eq!(r.status(), 404, "the replaced image is gone");
    let r = server
        .call(
            Method::PUT,
            &format!("/v3/projects/{project}"),
            Some(&acme.token),
            Some(&json!({"branding": {"image": format!("{site}/banner.png")}})),
        )
        .await;
    assert!(!r.body["warnings"].to_string().contains("branding."), "{}", r.body);

    // The files the browser uses: a synthetic passport page with a real face photo, that person's
    // selfie, and the same selfie as the fake camera's video.
    let files = tempfile::tempdir().expect("temp dir");
    let passport = files.path().join("passport.jpg");
    // A passport photo is head and shoulders: obama2.jpg is a full-length portrait, so its upper
    // part (where the head is) becomes the passport's photo.
    let full = image::open(repo().join(".cache/test-images/obama2.jpg")).expect("photo (run scripts/fetch-models)").to_rgb8();
    let (w, h) = full.dimensions();
    let portrait = image::imageops::crop_imm(&full, w * 15 / 100, h * 8 / 100, w * 70 / 100, h * 47 / 100).to_image();
    std::fs::write(&passport, crate::documents::passport_jpeg_of(&portrait, "GOMEZ", "DANA", "PA0071234", "340930")).expect("passport");
    let expired = files.path().join("expired-passport.jpg");
    std::fs::write(&expired, crate::documents::passport_jpeg_of(&portrait, "GOMEZ", "DANA", "PA0071234", "240930")).expect("passport");
    let selfie = repo().join(".cache/test-images/obama.jpg");
    let video = files.path().join("face.y4m");
    let face = image::open(&selfie).expect("photo (run scripts/fetch-models)").to_rgb8();
    std::fs::write(&video, y4m(&face, 720, 900)).expect("video");
    let screenshots = repo().join("target/screenshots/hosted-page");
    if screenshots.exists() {
        std::fs::remove_dir_all(&screenshots).expect("clear the screenshots of an earlier run");
    }

    // The iframe run starts from the operator's link, with the token in the query as the
    // reference writes it (`?token=`); the page must drop it from the address at once.
    let body = json!({"project": project, "projectFlow": flow, "email": "iris@example.com", "phone": "3007770003", "countryCode": "+57", "fullName": "Dana Gómez", "additionalFields": {"occupation": "Engineer"}});
    // Only the form's own additional fields, and its required ones, are taken.
    for (extra, field) in [(json!({"nickname": "Dee"}), "additionalFields.nickname"), (json!({}), "additionalFields.occupation")] {
        let mut wrong = body.clone();
        wrong["additionalFields"] = extra;
        let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&wrong)).await;
        r.assert_error(422, "UnprocessableEntity");
        assert!(r.detail_fields().contains(&field.to_string()), "{}", r.body);
    }
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&acme.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let invited_token = r.body["data"]["token"].as_str().expect("token").to_string();

    let runs = [
        ("camera", "en-US", "dana@example.com", "3007770001", None),
        ("denied", "es-CO", "dana.two@example.com", "3007770002", None),
        ("iframe", "en-GB", "iris@example.com", "3007770003", Some(format!("{page_url}?token={invited_token}"))),
    ];
    let mut lines = Vec::new();
    for (run, locale, email, phone, link) in runs {
        let config = json!({
            "chromium": chromium, "base": server.base, "embedBase": site, "projectId": project, "otp": "424242",
            "run": run, "locale": locale, "email": email, "phone": phone, "fullName": "Dana Gómez", "link": link,
            "files": {"passport": passport, "expiredPassport": expired, "selfie": selfie, "video": video}, "screenshots": screenshots,
        });
        // Off the test's runtime, which must keep serving the operator's site meanwhile.
        let result = tokio::task::spawn_blocking(move || browse(&config)).await.expect("browser run");
        let r =
            server.call(Method::GET, &format!("/v2/app-registrations?where_project={project}&limit=100"), Some(&acme.token), None).await;
        let listed = r.body["data"].as_array().expect("list").iter().find(|g| g["email"] == email).cloned();
        let full = match listed {
            Some(reg) => server
                .call(Method::GET, &format!("/v2/app-registrations/{}", reg["_id"].as_str().expect("id")), Some(&acme.token), None)
                .await
                .body["data"]
                .clone(),
            None => Value::Null,
        };
        assert!(result.get("error").is_none(), "{run}: {}\nregistration: {full}", result["error"].as_str().unwrap_or_default());
        assert_eq!(result["problems"], json!([]), "{run}: CSP reports, page errors or axe violations");
        assert!(result["redirectedTo"].as_str().is_some_and(|u| u == format!("{site}/done")), "{run}: {result}");
        assert!(!result["stored"].as_str().unwrap_or_default().contains("eyJ"), "{run}: the token stays in storage after the end");

        // What the operator sees: the registration decided by the engines, the document uploaded.
        assert_eq!(full["status"], "COMPLETED", "{run}: {full}");
        assert_eq!(result["status"], "COMPLETED", "{run}: the page showed the decision");
        assert_eq!(full["language"], &locale[..2], "{run}: the page signed up in the browser's language");
        let document = full["checks"].as_array().expect("checks").iter().find(|c| c["inputMethod"].is_string()).cloned().expect("document");
        assert_eq!(document["inputMethod"], "FILE_UPLOAD", "{run}");
        let documents: Vec<&Value> = full["checks"].as_array().expect("checks").iter().filter(|c| c["inputMethod"].is_string()).collect();
        if run == "denied" {
            // The expired passport failed, the page offered another try, the second passed.
            let outcomes: Vec<_> = documents.iter().map(|c| (c["result"]["outcome"].as_str(), c["result"]["reason"].as_str())).collect();
            assert_eq!(outcomes, [(Some("failed"), Some("document_expired")), (Some("passed"), None)], "{run}");
        } else {
            assert_eq!(documents.len(), 1, "{run}");
        }
        assert!(full["consent"]["acceptedAt"].is_string(), "{run}: consent recorded: {}", full["consent"]);
        assert_eq!(full["additionalFields"], json!({"occupation": "Engineer"}), "{run}: the form's additional field");
        let serious: u64 = result["axe"].as_array().expect("axe").iter().map(|a| a["seriousOrCritical"].as_u64().unwrap_or(0)).sum();
        let minor: u64 =
            result["axe"].as_array().expect("axe").iter().map(|a| a["violations"].as_u64().unwrap_or(0)).sum::<u64>() - serious;
        let steps = result["axe"].as_array().map_or(0, Vec::len);
        assert!(steps >= 9, "{run}: axe ran on every step: {result}");
        lines.push(format!(
            "{run}: {steps} steps, {} screenshots, axe: {serious} serious/critical, {minor} moderate/minor violations",
            result["screenshots"]
        ));
    }

    let logs = server.logs();
    for secret in ["dana@example.com", "iris@example.com", "Dana", "3007770001", invited_token.as_str()] {
        assert!(!logs.contains(secret), "personal data or a token in the logs: {secret}");
    }
    report("hosted-page", &format!("hosted page in Chromium ({}): {}", chromium_version(&chromium), lines.join("; ")));
}

fn chromium_version(path: &str) -> String {
    std::process::Command::new(path)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

//! What each fuzz target does with one input, shared by the targets (fuzz/fuzz_targets/) and by
//! the test that replays every kept input on each `cargo test` (tests/api/fuzz.rs), so a fixed
//! crash stays fixed.

use base64::Engine;
use lambda_http::{Body, http};
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::ids::{ClientId, CodeGenerator, IdGenerator};
use smartenroll_domain::lifecycle::{WriteCtx, create, update};

struct Ids(std::sync::atomic::AtomicU64);
impl IdGenerator for Ids {
    fn object_id(&self) -> String {
        format!("{:024x}", self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}
struct Zeros;
impl CodeGenerator for Zeros {
    fn digits(&self, n: usize) -> String {
        "0".repeat(n)
    }
}

/// Any bytes as a JSON request body, through the API's body reader (content type, size, shape
/// limits) and every parser of a body: a project create and update, a webhook, a registration's
/// flow. Returns whether the body was read as a JSON object.
pub fn request_bodies(data: &[u8]) -> bool {
    let Ok(req) = http::Request::builder().header("content-type", "application/json").body(Body::Binary(data.to_vec())) else {
        return false;
    };
    let Ok(body) = smartenroll_api::http::json_object(&req) else { return false };
    let ids = Ids(std::sync::atomic::AtomicU64::new(1));
    let ctx = WriteCtx { ids: &ids, codes: &Zeros, now: Timestamp::from_unix_seconds(1_795_683_600) };
    let Ok(client) = ClientId::parse("0123456789abcdef01234567") else { return false };
    // Every parser sees the body; what each made of it is kept from the optimiser.
    let mut parsed = 0;
    if let Ok(project) = create(&client, &body, &ctx) {
        parsed += 1 + usize::from(update(&project, &body, &ctx).is_ok());
    }
    parsed += usize::from(smartenroll_domain::webhook::WebhookInput::parse(&serde_json::Value::Object(body.clone()), true).is_ok());
    parsed += usize::from(smartenroll_domain::registration::requested_flow(&body).is_ok());
    std::hint::black_box(parsed);
    true
}

/// Any text as what OCR read off a document: the zone finder and the line parser (check digits,
/// dates, names). Returns whether a zone was parsed.
pub fn mrz(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else { return false };
    let found = smartenroll_documents::zone::find(text).is_ok();
    let lines: Vec<&str> = text.lines().take(3).collect();
    match smartenroll_documents::zone::parse_lines(&lines) {
        Ok(read) => {
            std::hint::black_box((found, read.checks.all_valid(), read.checks.failed(), read.expired_on("2026-11-27")));
            true
        }
        Err(_) => false,
    }
}

/// Any bytes as an uploaded image (base64 in a JSON field, plain and as a data URI) and as stored
/// image bytes, under the API's limits. Returns whether the upload decoded.
pub fn images(data: &[u8]) -> bool {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let decoded = smartenroll_api::images::decode("image", &encoded).is_ok();
    let data_uri = smartenroll_api::images::decode("image", &format!("data:image/png;base64,{encoded}")).is_ok();
    let stored = smartenroll_api::images::rgb_from_bytes(data).is_ok();
    std::hint::black_box((data_uri, stored));
    decoded
}

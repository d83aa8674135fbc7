//! The direct face APIs of the reference (6.11), answered synchronously by the local face engine:
//!
//! - `POST /v2/face-recognition/liveness` (client token): passive liveness of one `image`, or —
//!   with `challenge` and `frames` — the active head-turn challenge. `{passed, min_score,
//!   liveness_score}` plus the signals that passed or failed; passed ⇔ `liveness_score > min_score`.
//! - `POST /v2/face-recognition/liveness/challenge` (client or enrollee token, a product
//!   addition): a random sequence of head turns, signed, valid two minutes for the caller it was
//!   issued to. Stateless, so within those two minutes the same caller could answer it twice.
//! - `POST /v2/face-recognition/compare` (client token): `probe` (a string or a list: both are
//!   documented) against `gallery`; the score is the best probe–gallery pair's.
//! - `POST /v2/face-recognition/compare-with-liveness` (client token): the compare first, then
//!   liveness on the probe only if `compare_min_score` is omitted or met (the reference's order).
//! - `POST /v2/face-recognition/compare/app-registration` (enrollee token): the registration's
//!   latest selfie against its latest document's photo, with the flow's `searchMode` and
//!   `searchMinScore`. It answers and records nothing (the recorded compare is the worker's).
//!
//! Images are base64, data URIs or `https://` URLs fetched through the outbound guard
//! ([`crate::Deps::remote_images`]). Every request is counted against the client's
//! `biometricVerification` rate limit (the enrollee's own limit for enrollee tokens). An image the
//! engine refuses is a 422 with the refusal's own code (`face_not_found`, `multiple_faces`,
//! `face_too_small`, `face_too_blurred`, `face_too_dark`, `face_overexposed`) and the field it was
//! in. The answer is the face APIs' envelope `{id, data, signature}` (reference 1.3). Nothing is
//! stored and no image or score is logged.

use crate::Deps;
use crate::error::ApiError;
use crate::faces::{mode_of, round};
use crate::http::{Reply, json_object_up_to};
use crate::images::{self, MAX_IMAGE_BYTES};
use image::RgbImage;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use smartenroll_biometrics::liveness::{MAX_FRAMES, MIN_FRAMES, Signal, Turn};
use smartenroll_biometrics::{Biometrics, EngineError, FaceError, FoundFace, Mode, calibration};
use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::error::FieldError;
use smartenroll_domain::ports::FetchError;
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::verification::CheckKind;
use std::sync::Arc;

/// Largest request: what API Gateway and Lambda accept (URL images are fetched apart from it).
const MAX_REQUEST: usize = 6 * 1024 * 1024;
pub(crate) const MAX_PROBES: usize = 3;
pub(crate) const MAX_GALLERY: usize = 5;
/// The reference's liveness threshold: default 0.6, range 0.52–1 (the only range it documents).
const DEFAULT_LIVENESS_MIN: f64 = 0.6;
pub(crate) const LIVENESS_MIN_RANGE: (f64, f64) = (0.52, 1.0);
/// The reference's compare threshold: default 0.85, range 0.67–0.95.
const DEFAULT_COMPARE_MIN: f64 = 0.85;
pub(crate) const COMPARE_MIN_RANGE: (f64, f64) = (0.67, 0.95);
/// How long a challenge may be answered, and how many turns it asks for.
pub const CHALLENGE_SECONDS: i64 = 120;
const CHALLENGE_TURNS: usize = 2;

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

fn missing(field: &str) -> ApiError {
    ApiError::MissingParameter(vec![FieldError::new(field, format!("\"{field}\" is required"))])
}

fn engine(deps: &Deps) -> Result<Arc<Biometrics>, ApiError> {
    deps.biometrics.clone().ok_or_else(|| {
        ApiError::Unavailable(
            "face_engine_unavailable: this deployment has no face models (set SMARTENROLL_MODELS_DIR; scripts/fetch-models fetches them)"
                .into(),
        )
    })
}

/// The face APIs' envelope: a short random id, the data, and the signature block.
fn enveloped(deps: &Deps, data: Value) -> Result<Reply, ApiError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut raw = [0u8; 5];
    getrandom::fill(&mut raw).map_err(|_| ApiError::Internal)?;
    let id: String = raw.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    let at = time::OffsetDateTime::from_unix_timestamp(deps.clock.now().unix_seconds()).map_err(|_| ApiError::Internal)?;
    let format =
        time::macros::format_description!("[month repr:long] [day padding:none], [year] [hour repr:12 padding:none]:[minute] [period]");
    let date_time = at.format(&format).map_err(|_| ApiError::Internal)?;
    Reply::json(
        StatusCode::OK,
        &json!({"id": id, "data": data, "signature": {"message": "Certified by SmartEnroll Self-Hosted", "dateTime": date_time}}),
    )
}

/// `os`: DESKTOP, IOS or ANDROID (any case).
fn os(body: &Map<String, Value>, required: bool) -> Result<Option<String>, ApiError> {
    match body.get("os") {
        None | Some(Value::Null) if required => Err(missing("os")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if matches!(s.to_ascii_uppercase().as_str(), "DESKTOP" | "IOS" | "ANDROID") => {
            Ok(Some(s.to_ascii_uppercase()))
        }
        Some(_) => Err(invalid("os", "must be DESKTOP, IOS or ANDROID")),
    }
}

/// `search_mode`: FAST or ACCURATE (any case); FAST where it is optional and absent.
fn search_mode(body: &Map<String, Value>, required: bool) -> Result<Mode, ApiError> {
    match body.get("search_mode") {
        None | Some(Value::Null) if required => Err(missing("search_mode")),
        None | Some(Value::Null) => Ok(Mode::Fast),
        Some(Value::String(s)) => Mode::parse(s).ok_or_else(|| invalid("search_mode", "must be FAST or ACCURATE")),
        Some(_) => Err(invalid("search_mode", "must be FAST or ACCURATE")),
    }
}

/// A threshold: a number or a numeric string, within `range`; `None` when absent.
fn threshold(body: &Map<String, Value>, key: &str, (lo, hi): (f64, f64)) -> Result<Option<f64>, ApiError> {
    let value = match body.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(Some(v)),
        _ => Err(invalid(key, &format!("must be a number from {lo} to {hi}"))),
    }
}

/// A list of images: one string or an array of strings (both shapes are documented).
fn image_list(body: &Map<String, Value>, key: &str, max: usize) -> Result<Vec<String>, ApiError> {
    let items: Vec<String> = match body.get(key) {
        None | Some(Value::Null) => return Err(missing(key)),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| invalid(key, "must be an image or a list of images (strings)")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid(key, "must be an image or a list of images (strings)")),
    };
    if items.iter().all(|s| s.trim().is_empty()) {
        return Err(missing(key));
    }
    if items.len() > max {
        return Err(invalid(key, &format!("at most {max} images")));
    }
    Ok(items)
}

/// An image given in a request, decoded; `label` is what the answer may say about it (the URL
/// as sent, or a digest of inline bytes: the image itself is never echoed).
struct Given {
    field: String,
    label: String,
    pixels: RgbImage,
}

async fn load(deps: &Deps, field: String, value: &str) -> Result<Given, ApiError> {
    let text = value.trim();
    if text.starts_with("https://") || text.starts_with("http://") {
        let bytes = deps.remote_images.fetch(text, MAX_IMAGE_BYTES).await.map_err(|e| match e {
            FetchError::TooLarge(n) => ApiError::PayloadTooLarge(n),
            other => invalid(&field, &format!("could not be fetched: {other}")),
        })?;
        let (_, pixels) = images::bytes_rgb(&field, bytes)?;
        return Ok(Given { label: text.to_string(), field, pixels });
    }
    let (image, pixels) = images::decode_rgb(&field, text)?;
    let digest = {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(&image.bytes)[..8])
    };
    Ok(Given { label: format!("sha256:{digest}"), field, pixels })
}

async fn load_all(deps: &Deps, key: &str, values: &[String]) -> Result<Vec<Given>, ApiError> {
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let field = if values.len() == 1 { key.to_string() } else { format!("{key}[{i}]") };
        out.push(load(deps, field, v).await?);
    }
    Ok(out)
}

/// Runs engine work on the blocking pool (it is CPU-bound); an engine failure is logged and is a
/// 500 (the models are loaded at start, so this is a bug, not the caller's input).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "the face engine task stopped");
        ApiError::Internal
    })?
}

fn engine_failed(e: EngineError) -> ApiError {
    tracing::error!(error = %e, "face engine failed");
    ApiError::Internal
}

fn refused(field: &str, e: &FaceError) -> ApiError {
    ApiError::Face { field: field.to_string(), code: e.code(), message: e.to_string() }
}

/// The one usable face of each image, or the first refusal.
fn faces(engine: &Biometrics, given: &[Given], mode: Mode) -> Result<Vec<FoundFace>, ApiError> {
    given.iter().map(|g| engine.face(&g.pixels, mode).map_err(engine_failed)?.map_err(|e| refused(&g.field, &e))).collect()
}

fn signals_json(signals: &[Signal]) -> Value {
    Value::Array(
        signals.iter().map(|s| json!({"name": s.name, "value": round(s.value), "score": round(s.score), "passed": s.passed})).collect(),
    )
}

/// The best probe–gallery pair's cosine and indexes, and the probes' faces (for liveness, so a
/// probe is not detected twice): every face embedded once, in one batch.
fn best_match(
    engine: &Biometrics,
    probes: &[Given],
    gallery: &[Given],
    mode: Mode,
) -> Result<(f32, usize, usize, Vec<FoundFace>), ApiError> {
    let p = faces(engine, probes, mode)?;
    let g = faces(engine, gallery, mode)?;
    let all: Vec<&FoundFace> = p.iter().chain(g.iter()).collect();
    let embeddings = engine.embed(&all, mode).map_err(engine_failed)?;
    let (pe, ge) = embeddings.split_at(p.len());
    let mut best = (f32::NEG_INFINITY, 0, 0);
    for (i, a) in pe.iter().enumerate() {
        for (j, b) in ge.iter().enumerate() {
            let cos = a.cosine(b);
            if cos > best.0 {
                best = (cos, i, j);
            }
        }
    }
    Ok((best.0, best.1, best.2, p))
}

fn labels(given: &[Given]) -> Value {
    given.iter().map(|g| Value::String(g.label.clone())).collect()
}

/// `POST /v2/face-recognition/compare`.
pub async fn compare(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::BiometricVerification));
    let outcome = async {
        let body = json_object_up_to(&req, MAX_REQUEST)?;
        let mode = search_mode(&body, true)?;
        os(&body, false)?;
        let min = threshold(&body, "compare_min_score", COMPARE_MIN_RANGE)?.unwrap_or(DEFAULT_COMPARE_MIN);
        let (probe_values, gallery_values) = (image_list(&body, "probe", MAX_PROBES)?, image_list(&body, "gallery", MAX_GALLERY)?);
        let engine = engine(deps)?;
        let probes = load_all(deps, "probe", &probe_values).await?;
        let gallery = load_all(deps, "gallery", &gallery_values).await?;
        let (probe_labels, gallery_labels) = (labels(&probes), labels(&gallery));
        let (cosine, i, j, _) = blocking(move || best_match(&engine, &probes, &gallery, mode)).await?;
        let score = round(calibration::score(cosine));
        enveloped(
            deps,
            json!({
                "_id": deps.ids.object_id(),
                "type": "compare",
                "client": auth.client.id,
                "probe": probe_labels,
                "gallery": gallery_labels,
                "search_mode": mode.as_str(),
                "compare_min_score": min,
                "score": score,
                "passed": score >= min,
                "result": {"score": score, "passed": score >= min, "bestMatch": {"probe": i, "gallery": j}},
                "status": "success",
                "deleted": false,
                "comparedAt": deps.clock.now().to_iso(),
            }),
        )
    };
    auth.respond(outcome.await)
}

/// The liveness block of an answer.
fn liveness_json(score: f32, min: f64, signals: &[Signal], mode: Mode, os: Option<&str>) -> Value {
    let passed = f64::from(score) > min;
    let score = round(score);
    json!({
        "type": "liveness",
        "status": "success",
        "search_mode": mode.as_str(),
        "os": os,
        "liveness_min_score": min,
        "liveness_score": score,
        "min_score": min,
        "passed": passed,
        "result": {"liveness_score": score, "passed": passed, "min_score": min},
        "signals": signals_json(signals),
    })
}

/// `POST /v2/face-recognition/compare-with-liveness`.
pub async fn compare_with_liveness(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::BiometricVerification));
    let outcome = async {
        let body = json_object_up_to(&req, MAX_REQUEST)?;
        let mode = search_mode(&body, true)?;
        let os = os(&body, false)?;
        let live_min = threshold(&body, "liveness_min_score", LIVENESS_MIN_RANGE)?.unwrap_or(DEFAULT_LIVENESS_MIN);
        let compare_min = threshold(&body, "compare_min_score", COMPARE_MIN_RANGE)?;
        let probe_values = image_list(&body, "probe", 1)?;
        let gallery_values = image_list(&body, "gallery", MAX_GALLERY)?;
        let engine = engine(deps)?;
        let probes = load_all(deps, "probe", &probe_values).await?;
        let gallery = load_all(deps, "gallery", &gallery_values).await?;
        let (probe_labels, gallery_labels) = (labels(&probes), labels(&gallery));
        let (cosine, liveness) = blocking(move || {
            let (cosine, _, _, probe_faces) = best_match(&engine, &probes, &gallery, mode)?;
            // Liveness only when the compare did not already decide (reference CWL), on the face
            // the compare already found.
            let met = compare_min.is_none_or(|m| f64::from(calibration::score(cosine)) >= m);
            let liveness = match probe_faces.first() {
                Some(face) if met => Some(engine.liveness_of(&probes[0].pixels, face, mode).map_err(engine_failed)?),
                _ => None,
            };
            Ok((cosine, liveness))
        })
        .await?;
        let score = round(calibration::score(cosine));
        let now = deps.clock.now().to_iso();
        let mut comparison = json!({
            "_id": deps.ids.object_id(),
            "type": "compareLive",
            "client": auth.client.id,
            "probe": probe_labels,
            "gallery": gallery_labels,
            "search_mode": mode.as_str(),
            "status": "success",
            "score": score,
            "result": {"score": score},
            "comparedAt": now,
        });
        if let Some(m) = compare_min {
            comparison["compare_min_score"] = json!(m);
            comparison["passed"] = json!(score >= m);
        }
        let liveness = match liveness {
            Some(l) => {
                let mut v = liveness_json(l.score, live_min, &l.signals, mode, os.as_deref());
                v["_id"] = json!(deps.ids.object_id());
                v["client"] = json!(auth.client.id);
                v
            }
            None => Value::Null,
        };
        enveloped(deps, json!({"comparison": comparison, "liveness": liveness}))
    };
    auth.respond(outcome.await)
}

/// `POST /v2/face-recognition/liveness`: passive on `image`, or active on `frames` answering
/// `challenge`.
pub async fn liveness(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::BiometricVerification));
    let outcome = async {
        let body = json_object_up_to(&req, MAX_REQUEST)?;
        let os = os(&body, true)?;
        let mode = search_mode(&body, false)?;
        let min = threshold(&body, "liveness_min_score", LIVENESS_MIN_RANGE)?.unwrap_or(DEFAULT_LIVENESS_MIN);
        if body.get("collection_id").is_some_and(|v| !v.is_null()) {
            // Face collections (1:N search) are not part of this product yet, so no collection
            // belongs to the client.
            return Err(ApiError::NotFound("collection"));
        }
        let engine = engine(deps)?;
        let subject = auth.client.id.to_string();
        let data = if body.contains_key("frames") || body.contains_key("challenge") {
            active(deps, engine, &body, &subject, mode, min, os.as_deref()).await?
        } else {
            let given = load(deps, "image".into(), body.get("image").and_then(Value::as_str).ok_or_else(|| missing("image"))?).await?;
            let l = blocking(move || {
                let face = engine.face(&given.pixels, mode).map_err(engine_failed)?.map_err(|e| refused(&given.field, &e))?;
                engine.liveness_of(&given.pixels, &face, mode).map_err(engine_failed)
            })
            .await?;
            let mut v = liveness_json(l.score, min, &l.signals, mode, os.as_deref());
            v["mode"] = json!("passive");
            v
        };
        let mut data = data;
        data["_id"] = json!(deps.ids.object_id());
        data["client"] = json!(auth.client.id);
        enveloped(deps, data)
    };
    auth.respond(outcome.await)
}

/// The active challenge: the frames must show the turns the signed challenge asked for.
async fn active(
    deps: &Deps,
    engine: Arc<Biometrics>,
    body: &Map<String, Value>,
    subject: &str,
    mode: Mode,
    min: f64,
    os: Option<&str>,
) -> Result<Value, ApiError> {
    let token = body.get("challenge").and_then(Value::as_str).filter(|s| !s.trim().is_empty()).ok_or_else(|| missing("challenge"))?;
    let claims = deps.jwt.verify_challenge(token.trim(), subject, deps.clock.now())?;
    let turns: Vec<Turn> = claims.turns.iter().filter_map(|t| Turn::parse(t)).collect();
    let values = image_list(body, "frames", MAX_FRAMES)?;
    if values.len() < MIN_FRAMES {
        return Err(invalid("frames", &format!("at least {MIN_FRAMES} frames, at most {MAX_FRAMES}")));
    }
    let frames = load_all(deps, "frames", &values).await?;
    let asked = turns.clone();
    let result = blocking(move || {
        let pixels: Vec<RgbImage> = frames.into_iter().map(|g| g.pixels).collect();
        engine
            .active_liveness(&asked, &pixels, mode)
            .map_err(engine_failed)?
            .map_err(|r| refused(&format!("frames[{}]", r.image), &r.error))
    })
    .await?;
    let mut v = liveness_json(result.score, min, &result.signals, mode, os);
    v["mode"] = json!("active");
    v["challenge"] =
        json!({"turns": turns.iter().map(|t| t.as_str()).collect::<Vec<_>>(), "passed": result.passed_challenge, "failed": result.failed});
    Ok(v)
}

/// `POST /v2/face-recognition/liveness/challenge`: a fresh random challenge for the caller.
pub async fn challenge(deps: &Deps, req: Request) -> Response<Body> {
    let caller = match crate::auth::authorize_either(deps, &req, Category::BiometricVerification).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let subject = match &caller {
        crate::auth::Caller::Operator(a) => a.client.id.to_string(),
        crate::auth::Caller::Enrollee(e) => e.registration.to_string(),
    };
    let outcome = (|| {
        let mut raw = [0u8; CHALLENGE_TURNS];
        getrandom::fill(&mut raw).map_err(|_| ApiError::Internal)?;
        let turns: Vec<&str> = raw.iter().map(|b| if b & 1 == 0 { Turn::Left.as_str() } else { Turn::Right.as_str() }).collect();
        let now = deps.clock.now();
        let token = deps.jwt.issue_challenge(&subject, &turns, now, CHALLENGE_SECONDS).map_err(|e| {
            tracing::error!(error = %e, "challenge signing failed");
            ApiError::Internal
        })?;
        enveloped(
            deps,
            json!({
                "challenge": token,
                "turns": turns,
                "expiresAt": now.plus_seconds(CHALLENGE_SECONDS).to_iso(),
                "frames": {"min": MIN_FRAMES, "max": MAX_FRAMES},
                "instructions": "Capture the first frame facing the camera, then frames while the person turns their head each way \
                                 asked, in order (turn_left is the person's own left), and send them as frames with this challenge.",
            }),
        )
    })();
    caller.respond(outcome)
}

/// `POST /v2/face-recognition/compare/app-registration`: the enrollee's latest selfie against
/// their latest document's photo, as the flow configures the match.
pub async fn app_registration(deps: &Deps, req: Request) -> Response<Body> {
    let read = |client, id| async move { crate::registrations::load(deps, &client, &id).await };
    let (auth, reg) = match crate::auth::authorize_enrollee_with(deps, &req, read).await {
        Ok(both) => both,
        Err(response) => return response,
    };
    let outcome = async {
        let reg = reg?;
        let latest = |kind: CheckKind| reg.checks.iter().rev().find(|c| c.kind == kind).and_then(|c| c.images.first().cloned());
        let selfie = latest(CheckKind::Liveness)
            .ok_or_else(|| ApiError::PreconditionFailed("selfie_missing: submit a selfie before comparing it".into()))?;
        let document = latest(CheckKind::Document)
            .ok_or_else(|| ApiError::PreconditionFailed("document_missing: submit a document before comparing against it".into()))?;
        let settings = reg.flow_config.liveness.as_ref();
        let mode = settings.map_or(Mode::Fast, |l| mode_of(l.search_mode));
        let min = settings.map_or(crate::faces::DEFAULT_SEARCH_MIN_SCORE, |l| l.search_min_score.value());
        let engine = engine(deps)?;
        let client = &reg.client;
        let stored = |path: String, field: &'static str| async move {
            let key = BlobKey::new(client, &path).ok_or(ApiError::Internal)?;
            let blob = deps.blobs.get(&key).await?.ok_or(ApiError::NotFound(field))?;
            images::rgb_from_bytes(&blob.bytes).map(|pixels| Given { field: field.into(), label: path, pixels }).map_err(|e| {
                tracing::error!(error = %e, "a stored image could not be decoded");
                ApiError::Internal
            })
        };
        let selfie = stored(selfie, "selfie").await?;
        let document = stored(document, "document").await?;
        let (cosine, _, _, _) = blocking(move || best_match(&engine, &[selfie], &[document], mode)).await?;
        let score = round(calibration::score(cosine));
        enveloped(
            deps,
            json!({
                "_id": deps.ids.object_id(),
                "type": "compare",
                "appRegistration": reg.id,
                "search_mode": mode.as_str(),
                "compare_min_score": min,
                "score": score,
                "passed": score >= min,
                "result": {"score": score, "passed": score >= min},
                "status": "success",
                "comparedAt": deps.clock.now().to_iso(),
            }),
        )
    };
    auth.respond(outcome.await)
}

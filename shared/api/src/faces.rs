//! The biometric check a worker runs on an enrollee's selfie (`checks.run` for a liveness check):
//! passive liveness against the flow's `liveness.minScore`, then the face match against the
//! document's photo and the flow's `searchMinScore`, in the flow's `searchMode`.
//!
//! - The document face is taken from the registration's latest document submission. While that
//!   document is still being read, the selfie waits: the job fails with a reason and its queue
//!   delivers it again later. When the flow skips the document step, or no document was submitted,
//!   the check is liveness only (and says so in its result).
//! - A selfie the engine refuses (no face, several, too small, blurred, dark) fails with that
//!   refusal's code; a document whose photo yields no face leaves the check to a reviewer, because
//!   the enrollee's selfie may be fine.
//! - A selfie sent with an active challenge's frames (`check.challenge`; required in flows with
//!   `liveness.mode: active`) is scored by the challenge on those frames instead of the passive
//!   score; an active-mode check without frames (recorded before frames were taken) goes to a
//!   reviewer with that reason, never a guessed score.
//!
//! The engine runs on the blocking pool (it is CPU-bound) and never sees anything but pixels.

use crate::jobs::JobDeps;
use serde_json::{Value, json};
use smartenroll_biometrics::{Biometrics, Comparison, FaceError, Mode, Signal, Turn};
use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::config::{LivenessMode, SearchMode, StepMode};
use smartenroll_domain::registration::Registration;
use smartenroll_domain::verification::{Check, CheckKind, Outcome, step_mode};
use std::sync::Arc;

/// The reference's defaults when a flow sets no liveness thresholds (BVC: livenessMinScore 0.6 for
/// the direct API; the flow editor recommends 0.65 and 0.80).
const DEFAULT_MIN_SCORE: f64 = 0.65;
pub const DEFAULT_SEARCH_MIN_SCORE: f64 = 0.80;

/// What the selfie check concluded, or why it must run again later.
pub enum Run {
    Done(Outcome),
    /// The document it compares against is still being read.
    Later(String),
}

pub fn mode_of(search: SearchMode) -> Mode {
    match search {
        SearchMode::Fast => Mode::Fast,
        SearchMode::Accurate => Mode::Accurate,
    }
}

fn signals_json(signals: &[Signal]) -> Value {
    Value::Array(
        signals.iter().map(|s| json!({"name": s.name, "value": round(s.value), "score": round(s.score), "passed": s.passed})).collect(),
    )
}

/// Scores are reported to four decimals (the engine's own precision is not better than that).
pub fn round(v: f32) -> f64 {
    (f64::from(v) * 10_000.0).round() / 10_000.0
}

fn refused(error: &FaceError, of: &str) -> Value {
    json!({"code": error.code(), "message": format!("{of}: {error}")})
}

async fn load_image(deps: &JobDeps, reg: &Registration, path: &str) -> Result<Option<image::RgbImage>, String> {
    let key = BlobKey::new(&reg.client, path).ok_or("checks.run: a stored image path is not a blob key")?;
    let Some(blob) = deps.blobs.get(&key).await.map_err(|e| format!("checks.run: {e}"))? else { return Ok(None) };
    Ok(crate::images::rgb_from_bytes(&blob.bytes).ok())
}

/// The latest document submission's front image path, or `Later` while it is still being read.
fn document_front(reg: &Registration) -> Result<Option<&Check>, String> {
    if step_mode(reg, CheckKind::Document) == StepMode::Skip {
        return Ok(None);
    }
    match reg.checks.iter().rev().find(|c| c.kind == CheckKind::Document) {
        Some(doc) if doc.is_pending() => Err("the document is still being read; the selfie's face match waits for it".into()),
        other => Ok(other),
    }
}

/// Runs the selfie check `check` of `reg` with `engine`.
pub async fn run_selfie(deps: &JobDeps, engine: &Arc<Biometrics>, reg: &Registration, check: &Check) -> Result<Run, String> {
    let settings = reg.flow_config.liveness.as_ref();
    let turns: Option<Vec<Turn>> = check.challenge.as_ref().map(|t| t.iter().filter_map(|x| Turn::parse(x)).collect());
    if turns.is_none() && settings.is_some_and(|l| l.mode == LivenessMode::Active) {
        return Ok(Run::Done(Outcome::review(
            "active_liveness_needs_frames: the flow asks for an active challenge, which needs the challenge frames of \
                     POST /v2/face-recognition/liveness; a single selfie cannot answer it, so a reviewer must look",
        )));
    }
    let min_score = settings.map_or(DEFAULT_MIN_SCORE, |l| l.min_score.value());
    let search_min_score = settings.map_or(DEFAULT_SEARCH_MIN_SCORE, |l| l.search_min_score.value());
    let mode = settings.map_or(Mode::Fast, |l| mode_of(l.search_mode));
    let document = match document_front(reg) {
        Ok(d) => d,
        Err(wait) => return Ok(Run::Later(wait)),
    };
    let Some(selfie_path) = check.images.first() else {
        return Ok(Run::Done(Outcome::Failed { reason: "image_missing".into(), detail: json!({}) }));
    };
    let Some(selfie) = load_image(deps, reg, selfie_path).await? else {
        return Ok(Run::Done(Outcome::review("image_unreadable: the stored selfie could not be read")));
    };
    let doc_image = match document.and_then(|d| d.images.first()) {
        Some(path) => load_image(deps, reg, path).await?,
        None => None,
    };
    let mut frames = Vec::new();
    if turns.is_some() {
        for path in check.images.iter().skip(1) {
            match load_image(deps, reg, path).await? {
                Some(f) => frames.push(f),
                None => {
                    return Ok(Run::Done(Outcome::review("image_unreadable: a stored frame could not be read")));
                }
            }
        }
    }
    let engine = engine.clone();
    let burst = turns.map(|t| (t, frames));
    let result = tokio::task::spawn_blocking(move || evaluate(&engine, &selfie, doc_image.as_ref(), mode, burst.as_ref()))
        .await
        .map_err(|e| format!("checks.run: the face engine stopped: {e}"))?
        .map_err(|e| format!("checks.run: {e}"))?;
    Ok(Run::Done(outcome(result, mode, min_score, search_min_score, document.is_some())))
}

/// A liveness result, passive or from an active challenge (`challenge` then says how it went).
struct Live {
    score: f32,
    signals: Vec<Signal>,
    challenge: Option<Value>,
}

struct Evaluated {
    /// The liveness, or the refusal of the selfie (or of a frame: `String` names which).
    selfie: Result<Live, (String, FaceError)>,
    compare: Option<Result<Comparison, FaceError>>,
}

fn evaluate(
    engine: &Biometrics,
    selfie: &image::RgbImage,
    document: Option<&image::RgbImage>,
    mode: Mode,
    burst: Option<&(Vec<Turn>, Vec<image::RgbImage>)>,
) -> Result<Evaluated, smartenroll_biometrics::EngineError> {
    let face = match engine.face(selfie, mode)? {
        Ok(f) => f,
        Err(e) => return Ok(Evaluated { selfie: Err(("selfie".into(), e)), compare: None }),
    };
    let liveness = match burst {
        None => {
            let l = engine.liveness_of(selfie, &face, mode)?;
            Ok(Live { score: l.score, signals: l.signals, challenge: None })
        }
        Some((turns, frames)) => match engine.active_liveness(turns, frames, mode)? {
            Ok(a) => Ok(Live {
                score: a.score,
                signals: a.signals,
                challenge: Some(json!({
                    "turns": turns.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "passed": a.passed_challenge,
                    "failed": a.failed,
                })),
            }),
            Err(r) => return Ok(Evaluated { selfie: Err((format!("frames[{}]", r.image), r.error)), compare: None }),
        },
    };
    let compare = match document {
        None => None,
        Some(doc) => Some(match engine.face(doc, mode)? {
            Ok(doc_face) => Ok(engine.compare_faces(&face, &doc_face, mode)?),
            Err(e) => Err(e),
        }),
    };
    Ok(Evaluated { selfie: liveness, compare })
}

fn outcome(r: Evaluated, mode: Mode, min_score: f64, search_min_score: f64, has_document: bool) -> Outcome {
    let liveness = match r.selfie {
        Ok(l) => l,
        Err((what, e)) => {
            return Outcome::Failed { reason: e.code().into(), detail: json!({"selfie": refused(&e, &what), "searchMode": mode.as_str()}) };
        }
    };
    let challenge_passed = liveness.challenge.as_ref().is_none_or(|c| c["passed"] == true);
    let live_passed = f64::from(liveness.score) > min_score && challenge_passed;
    let mut detail = json!({
        "searchMode": mode.as_str(),
        "livenessScore": round(liveness.score),
        "liveness": {"liveness_score": round(liveness.score), "min_score": min_score, "passed": live_passed, "signals": signals_json(&liveness.signals),
                     "mode": if liveness.challenge.is_some() { "active" } else { "passive" }},
    });
    if let Some(c) = liveness.challenge {
        detail["liveness"]["challenge"] = c;
    }
    let compare = match r.compare {
        None => {
            detail["compareResult"] = Value::Null;
            detail["compareSkipped"] = json!(if has_document { "document_unreadable" } else { "no_document" });
            None
        }
        Some(Err(e)) => {
            return Outcome::review(format!("document_face_unusable: {} ({})", e, e.code()));
        }
        Some(Ok(c)) => {
            let passed = f64::from(c.score) >= search_min_score;
            detail["compareResult"] = json!({"score": round(c.score), "passed": passed, "compare_min_score": search_min_score});
            Some(passed)
        }
    };
    if !live_passed {
        return Outcome::Failed { reason: "liveness_score_not_acceptable".into(), detail };
    }
    if compare == Some(false) {
        return Outcome::Failed { reason: "face_mismatch".into(), detail };
    }
    Outcome::Passed { detail }
}

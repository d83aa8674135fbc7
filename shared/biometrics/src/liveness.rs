//! Liveness, in two modes.
//!
//! **Passive** ([`CaptureCues`], one image): capture cues measured from the pixels, each reported
//! as its own [`Signal`] and combined by fixed weights. They catch crude presentation attacks (a
//! small photo of a photo, a blurred or re-encoded copy, a screen's pixel grid close up) and say
//! nothing about a good print, a mask or an injected video; no validated presentation-attack model
//! ships on the package registries (README, Face engine), so none is claimed.
//!
//! **Active** ([`evaluate_active`], a burst of frames): the server issues a random head-turn
//! challenge; the frames must show one face throughout (embedding continuity), must differ from
//! each other, and the face's yaw must move the way the challenge says, in order. A flat photo
//! moved in front of the camera keeps the nose where it is relative to the eyes, so it cannot turn.
//!
//! Neither mode's error rates have been measured on attack samples (none exist here); the README
//! says what each stops and does not.

use crate::{Biometrics, EngineError, FoundFace, LivenessScorer, Mode, Refusal, calibration, quality};
use image::RgbImage;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// One measured cue: its raw value, its 0..1 score, and whether the score clears 0.5.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub name: &'static str,
    pub value: f32,
    pub score: f32,
    pub passed: bool,
}

impl Signal {
    fn new(name: &'static str, value: f32, score: f32) -> Signal {
        let score = score.clamp(0.0, 1.0);
        Signal { name, value, score, passed: score >= 0.5 }
    }

    fn gate(name: &'static str, value: f32, score: f32, passed: bool) -> Signal {
        Signal { name, value, score: score.clamp(0.0, 1.0), passed }
    }
}

/// A passive liveness result: the combined score (0..1) and every signal behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct PassiveLiveness {
    pub score: f32,
    pub signals: Vec<Signal>,
}

/// The passive scorer: face size and pose, sharpness, screen-grid energy and JPEG recompression.
pub struct CaptureCues;

/// Weights of the passive signals (they sum to 1).
const WEIGHTS: [(&str, f32); 5] =
    [("face_size", 0.15), ("pose", 0.15), ("sharpness", 0.25), ("screen_pattern", 0.25), ("recompression", 0.20)];

impl LivenessScorer for CaptureCues {
    fn score(&self, image: &RgbImage, found: &FoundFace, _mode: Mode) -> Result<PassiveLiveness, EngineError> {
        let q = &found.quality;
        let (w, h) = image.dimensions();
        // A selfie at arm's length fills a third or more of the frame's short side; a photo held
        // up to the camera, or a screen at a distance, much less.
        let share = q.width_px as f32 / w.min(h).max(1) as f32;
        let size = Signal::new("face_size", share, (share - 0.10) / 0.25);
        let pose_score = (1.0 - (q.yaw.abs() - 0.05).max(0.0) / 0.25).min(1.0 - (q.roll_deg.abs() - 10.0).max(0.0) / 20.0);
        let pose = Signal::new("pose", q.yaw, pose_score);
        let sharp = Signal::new("sharpness", q.sharpness, q.sharpness / 200.0);
        let peak = screen_peak_ratio(image, found);
        // Natural skin and light give a smooth spectrum (peaks a few times their ring's median);
        // a screen's pixel grid or a halftone print gives isolated peaks tens of times higher.
        let screen = Signal::new("screen_pattern", peak, 1.0 - (peak / 12.0).max(1.0).ln() / 4f32.ln());
        let blocks = blockiness(image);
        let recompression = Signal::new("recompression", blocks, 1.0 - (blocks - 1.15) / 0.5);
        let signals = vec![size, pose, sharp, screen, recompression];
        let score = signals.iter().zip(WEIGHTS).map(|(s, (_, w))| s.score * w).sum::<f32>();
        Ok(PassiveLiveness { score: score.clamp(0.0, 1.0), signals })
    }
}

/// The strongest isolated peak of the face region's spectrum, as a multiple of the median
/// magnitude at its own frequency radius (so the natural 1/f fall-off does not count), over the
/// upper frequencies (a quarter to a half of the sampling rate). Measured at the photo's own
/// resolution: resizing first would average the grid away.
pub fn screen_peak_ratio(image: &RgbImage, found: &FoundFace) -> f32 {
    let (w, h) = image.dimensions();
    let side = (found.face.width().clamp(32.0, 256.0) as u32).next_power_of_two() / 2;
    let side = side.clamp(32, 256).min(w.min(h).next_power_of_two() / 2).max(2) as usize;
    let cx = ((found.face.bbox[0] + found.face.bbox[2]) / 2.0).round() as i64;
    let cy = ((found.face.bbox[1] + found.face.bbox[3]) / 2.0).round() as i64;
    let x0 = (cx - side as i64 / 2).clamp(0, (w as i64 - side as i64).max(0)) as u32;
    let y0 = (cy - side as i64 / 2).clamp(0, (h as i64 - side as i64).max(0)) as u32;
    let n = side;
    let hann: Vec<f32> = (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos()).collect();
    let mut data: Vec<Complex<f32>> = Vec::with_capacity(n * n);
    let mut mean = 0.0;
    for y in 0..n as u32 {
        for x in 0..n as u32 {
            let p = image.get_pixel((x0 + x).min(w - 1), (y0 + y).min(h - 1));
            mean += 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
        }
    }
    mean /= (n * n) as f32;
    for y in 0..n {
        for x in 0..n {
            let p = image.get_pixel((x0 + x as u32).min(w - 1), (y0 + y as u32).min(h - 1));
            let l = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
            data.push(Complex::new((l - mean) * hann[x] * hann[y], 0.0));
        }
    }
    let fft = FftPlanner::<f32>::new().plan_fft_forward(n);
    for row in data.chunks_mut(n) {
        fft.process(row);
    }
    let mut column = vec![Complex::new(0.0, 0.0); n];
    for x in 0..n {
        for y in 0..n {
            column[y] = data[y * n + x];
        }
        fft.process(&mut column);
        for y in 0..n {
            data[y * n + x] = column[y];
        }
    }
    // Rings of integer radius over the upper frequencies.
    let half = n / 2;
    let mut rings: Vec<Vec<f32>> = vec![Vec::new(); half + 1];
    for y in 0..n {
        for x in 0..n {
            let fy = if y <= half { y } else { n - y } as f32;
            let fx = if x <= half { x } else { n - x } as f32;
            let r = (fx * fx + fy * fy).sqrt().round() as usize;
            if r >= n / 4 && r <= half {
                rings[r].push(data[y * n + x].norm());
            }
        }
    }
    let mut worst = 1.0f32;
    for ring in rings.iter_mut().filter(|r| r.len() >= 8) {
        ring.sort_by(|a, b| a.total_cmp(b));
        let median = ring[ring.len() / 2].max(1e-6);
        let max = ring[ring.len() - 1];
        worst = worst.max(max / median);
    }
    worst
}

/// JPEG blockiness of the whole image: the mean luma step across 8-pixel block boundaries divided
/// by the mean step elsewhere. About 1 for a camera's own high-quality JPEG; clearly above 1 once
/// a copy has been re-encoded at low quality on the block grid.
pub fn blockiness(image: &RgbImage) -> f32 {
    let (w, h) = image.dimensions();
    if w < 16 || h < 16 {
        return 1.0;
    }
    let luma = quality::luma(image);
    let (w, h) = (w as usize, h as usize);
    let (mut on, mut on_n, mut off, mut off_n) = (0.0f64, 0usize, 0.0f64, 0usize);
    for y in 0..h {
        for x in 0..w - 1 {
            let d = f64::from((luma[y * w + x + 1] - luma[y * w + x]).abs());
            if x % 8 == 7 {
                on += d;
                on_n += 1;
            } else {
                off += d;
                off_n += 1;
            }
        }
    }
    for y in 0..h - 1 {
        for x in 0..w {
            let d = f64::from((luma[(y + 1) * w + x] - luma[y * w + x]).abs());
            if y % 8 == 7 {
                on += d;
                on_n += 1;
            } else {
                off += d;
                off_n += 1;
            }
        }
    }
    let on = on / on_n.max(1) as f64;
    let off = off / off_n.max(1) as f64;
    if off <= 1e-9 { 1.0 } else { (on / off) as f32 }
}

/// A head turn the active challenge asks for, in the enrollee's own terms: `Left` is the
/// enrollee's left. In the camera's (unmirrored) frame the nose then moves toward the image's
/// right, so the measured yaw rises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Left,
    Right,
}

impl Turn {
    /// `left`, `right`, `turn_left`, `turn_right`, in any case.
    pub fn parse(s: &str) -> Option<Turn> {
        match s.trim().to_ascii_lowercase().trim_start_matches("turn_") {
            "left" => Some(Turn::Left),
            "right" => Some(Turn::Right),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Turn::Left => "turn_left",
            Turn::Right => "turn_right",
        }
    }

    fn sign(self) -> f32 {
        match self {
            Turn::Left => 1.0,
            Turn::Right => -1.0,
        }
    }
}

/// The yaw change (in eye distances, about 20° of head rotation) a turn must reach from the first
/// frame.
pub const TURN_MIN_YAW: f32 = 0.15;
/// Consecutive frames whose aligned faces differ by less than this mean luma step (0–255) count as
/// the same picture.
pub const SAME_FRAME_STEP: f32 = 1.0;
/// Fewest frames a burst may have, and most.
pub const MIN_FRAMES: usize = 2;
pub const MAX_FRAMES: usize = 12;

/// An active liveness result: `passed_challenge` says whether every hard check held; `score` is 0
/// when one failed, otherwise 0.5 + 0.5 × the first frame's passive score (a completed challenge
/// alone stays below the reference's lowest `minScore`, 0.52, so capture quality still counts).
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveLiveness {
    pub passed_challenge: bool,
    pub score: f32,
    /// The first hard check that failed (`continuity`, `motion`, `wrong_direction`, `turn`).
    pub failed: Option<&'static str>,
    pub signals: Vec<Signal>,
}

/// Evaluates a burst of `frames` against `challenge` (see the module's notes).
pub fn evaluate_active(
    bio: &Biometrics,
    challenge: &[Turn],
    frames: &[RgbImage],
    mode: Mode,
) -> Result<Result<ActiveLiveness, Refusal>, EngineError> {
    let mut found = Vec::with_capacity(frames.len());
    for (image, frame) in frames.iter().enumerate() {
        match bio.face(frame, mode)? {
            Ok(f) => found.push(f),
            Err(error) => return Ok(Err(Refusal { image, error })),
        }
    }
    let Some(first) = found.first() else {
        return Ok(Ok(ActiveLiveness { passed_challenge: false, score: 0.0, failed: Some("motion"), signals: vec![] }));
    };
    let mut signals = Vec::new();

    // One face throughout: every frame's embedding against the first's.
    let embeddings = bio.embed(&found.iter().collect::<Vec<_>>(), Mode::Fast)?;
    let min_cos = embeddings.iter().skip(1).map(|e| e.cosine(&embeddings[0])).fold(1.0f32, f32::min);
    let continuity_ok = min_cos >= calibration::PUBLISHED_COSINE;
    signals.push(Signal::gate("continuity", min_cos, calibration::score(min_cos), continuity_ok));

    // Frames that differ from the one before (a repeated still is not a capture of a moving head).
    let moved = found.windows(2).filter(|p| mean_step(&p[0].aligned, &p[1].aligned) >= SAME_FRAME_STEP).count();
    let motion_ok = frames.len() >= MIN_FRAMES && moved * 2 >= frames.len() - 1 && moved > 0;
    signals.push(Signal::gate("motion", moved as f32, moved as f32 / (frames.len().max(2) - 1) as f32, motion_ok));

    // The turns, in order, each measured from the first frame's yaw.
    let base = first.quality.yaw;
    let mut cursor = 1;
    let mut weakest = f32::INFINITY;
    let mut turns_ok = !challenge.is_empty();
    for turn in challenge {
        let reached =
            found.iter().enumerate().skip(cursor).map(|(j, f)| (j, (f.quality.yaw - base) * turn.sign())).find(|(_, d)| *d >= TURN_MIN_YAW);
        match reached {
            Some((j, delta)) => {
                cursor = j + 1;
                weakest = weakest.min(delta);
            }
            None => {
                turns_ok = false;
                weakest = weakest.min(found.iter().skip(cursor).map(|f| (f.quality.yaw - base) * turn.sign()).fold(0.0, f32::max));
                break;
            }
        }
    }
    let weakest = if weakest.is_finite() { weakest } else { 0.0 };
    // The first clear movement must go the way the challenge starts.
    let first_move = found.iter().skip(1).map(|f| f.quality.yaw - base).find(|d| d.abs() >= TURN_MIN_YAW);
    let direction_ok = match (first_move, challenge.first()) {
        (Some(d), Some(t)) => d * t.sign() > 0.0,
        _ => true,
    };
    signals.push(Signal::gate("wrong_direction", if direction_ok { 0.0 } else { 1.0 }, if direction_ok { 1.0 } else { 0.0 }, direction_ok));
    signals.push(Signal::gate("turn", weakest, weakest / (2.0 * TURN_MIN_YAW), turns_ok && direction_ok));

    let passive = bio.liveness.score(&frames[0], first, mode)?;
    signals.extend(passive.signals.iter().cloned());
    let failed = [("continuity", continuity_ok), ("motion", motion_ok), ("wrong_direction", direction_ok), ("turn", turns_ok)]
        .into_iter()
        .find(|(_, ok)| !ok)
        .map(|(name, _)| name);
    let score = if failed.is_none() { 0.5 + 0.5 * passive.score } else { 0.0 };
    Ok(Ok(ActiveLiveness { passed_challenge: failed.is_none(), score, failed, signals }))
}

/// Mean absolute luma step between two same-sized images.
fn mean_step(a: &RgbImage, b: &RgbImage) -> f32 {
    let (la, lb) = (quality::luma(a), quality::luma(b));
    la.iter().zip(&lb).map(|(x, y)| (x - y).abs()).sum::<f32>() / la.len().max(1) as f32
}

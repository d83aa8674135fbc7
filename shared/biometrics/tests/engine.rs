//! The face engine on real photos (official portraits from the face_recognition package, fetched
//! and digest-checked by scripts/fetch-models, which scripts/test runs first) and on images made
//! from them: same person against different people in both modes, each refusal with its own code,
//! passive signals, and active challenges over bursts of frames.
//!
//! No video of a real head turn ships on the registries, so the turn frames are rendered from a
//! still portrait by a depth warp (`turn_head`: the face as a cylinder with a nose, rotated about
//! the vertical axis). The detector and embedder see those frames like any other.

use image::{Rgb, RgbImage};
use smartenroll_biometrics::{Biometrics, FaceError, Mode, Refusal, Turn, calibration, model_loads};
use std::path::PathBuf;
use std::sync::OnceLock;

fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache")
}

fn engine() -> &'static Biometrics {
    static ENGINE: OnceLock<Biometrics> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = std::env::var_os("SMARTENROLL_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| cache().join("models"));
        Biometrics::load(&dir).unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models, or scripts/test which runs it)"))
    })
}

fn photo(name: &str) -> RgbImage {
    static PHOTOS: OnceLock<std::sync::Mutex<std::collections::HashMap<String, RgbImage>>> = OnceLock::new();
    let cache_map = PHOTOS.get_or_init(Default::default);
    let mut map = cache_map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(name.to_string())
        .or_insert_with(|| {
            let path = cache().join("test-images").join(format!("{name}.jpg"));
            image::open(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-models)", path.display())).to_rgb8()
        })
        .clone()
}

fn score(a: &str, b: &str, mode: Mode) -> f32 {
    match engine().compare(&photo(a), &photo(b), mode).expect("inference") {
        Ok(c) => c.score,
        Err(e) => panic!("{a} vs {b}: {e}"),
    }
}

fn refusal(image: &RgbImage, mode: Mode) -> FaceError {
    match engine().face(image, mode).expect("inference") {
        Ok(f) => panic!("expected a refusal, got a face {:?}", f.quality),
        Err(e) => e,
    }
}

#[test]
fn every_same_person_pair_scores_above_the_default_search_min_score_and_every_other_pair_below_0_70() {
    for mode in [Mode::Fast, Mode::Accurate] {
        let same: Vec<f32> =
            [("obama", "obama2"), ("obama", "obama3"), ("obama2", "obama3")].iter().map(|(a, b)| score(a, b, mode)).collect();
        let different: Vec<f32> = ["obama", "obama2", "obama3"].iter().map(|a| score(a, "biden", mode)).collect();
        eprintln!("{mode:?}: same person {same:?}; different people {different:?}");
        assert!(same.iter().all(|s| *s > 0.80), "{mode:?} same person: {same:?}");
        assert!(different.iter().all(|s| *s < 0.70), "{mode:?} different people: {different:?}");
    }
}

#[test]
fn a_selfie_matches_a_synthetic_id_document_carrying_a_photo_of_the_same_person_and_not_another() {
    let document = id_document(&photo("obama2"));
    for mode in [Mode::Fast, Mode::Accurate] {
        let same = engine().compare(&photo("obama"), &document, mode).expect("inference").expect("faces");
        let other = engine().compare(&photo("biden"), &document, mode).expect("inference").expect("faces");
        eprintln!("{mode:?}: selfie vs document {same:?}; other person vs document {other:?}");
        assert!(same.score > 0.80 && other.score < 0.70, "{mode:?}: {same:?} / {other:?}");
    }
}

#[test]
fn one_portrait_has_one_face_with_its_eyes_above_its_mouth() {
    let faces = engine().detect(&photo("obama2")).expect("inference");
    assert_eq!(faces.len(), 1, "{faces:?}");
    let k = faces[0].keypoints;
    assert!(k[0].0 < k[1].0, "the image-left eye is left of the other: {k:?}");
    assert!(k[0].1 < k[3].1 && k[1].1 < k[3].1, "eyes above the mouth: {k:?}");
}

#[test]
fn an_image_without_a_face_is_refused_as_no_face() {
    let blank = RgbImage::from_fn(640, 480, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    for mode in [Mode::Fast, Mode::Accurate] {
        assert_eq!(refusal(&blank, mode).code(), "face_not_found");
    }
}

fn side_by_side(a: &RgbImage, b: &RgbImage, height: u32) -> RgbImage {
    let scale = |img: &RgbImage| {
        let w = (img.width() as f32 * height as f32 / img.height() as f32).round() as u32;
        image::imageops::resize(img, w, height, image::imageops::FilterType::Triangle)
    };
    let (a, b) = (scale(a), scale(b));
    let mut both = RgbImage::new(a.width() + b.width(), height);
    image::imageops::replace(&mut both, &a, 0, 0);
    image::imageops::replace(&mut both, &b, i64::from(a.width()), 0);
    both
}

#[test]
fn two_people_side_by_side_are_refused_as_several_faces() {
    let both = side_by_side(&photo("obama2"), &photo("biden"), 600);
    assert_eq!(refusal(&both, Mode::Fast), FaceError::SeveralFaces(2));
    assert_eq!(FaceError::SeveralFaces(2).code(), "multiple_faces");
}

#[test]
fn a_face_a_few_dozen_pixels_wide_is_refused_as_too_small() {
    let p = photo("obama2");
    let tiny = image::imageops::resize(&p, 90, (90 * p.height()) / p.width(), image::imageops::FilterType::Triangle);
    match refusal(&tiny, Mode::Fast) {
        e @ FaceError::FaceTooSmall { width_px, .. } => {
            assert!(width_px < 64, "{width_px}");
            assert_eq!(e.code(), "face_too_small");
        }
        other => panic!("expected FaceTooSmall, got {other:?}"),
    }
}

#[test]
fn a_blurred_face_is_refused_as_too_blurred_and_a_dark_one_as_too_dark() {
    let p = photo("obama2");
    let blurred = image::imageops::blur(&p, 12.0);
    let e = refusal(&blurred, Mode::Accurate);
    assert!(matches!(e, FaceError::TooBlurred { .. }), "{e:?}");
    assert_eq!(e.code(), "face_too_blurred");
    let dark = RgbImage::from_fn(p.width(), p.height(), |x, y| Rgb(p.get_pixel(x, y).0.map(|c| c / 6)));
    let e = refusal(&dark, Mode::Accurate);
    assert!(matches!(e, FaceError::TooDark { .. }), "{e:?}");
    assert_eq!(e.code(), "face_too_dark");
    // The same photos, sharp and lit, pass both modes' gates.
    for mode in [Mode::Fast, Mode::Accurate] {
        let q = engine().face(&p, mode).expect("inference").expect("a face").quality;
        eprintln!("{mode:?} obama2 quality: {q:?}");
    }
}

#[test]
fn passive_liveness_reports_every_signal_and_scores_differ_across_inputs() {
    let p = photo("obama2");
    let original = engine().liveness(&p, Mode::Fast).expect("inference").expect("a face");
    let names: Vec<&str> = original.signals.iter().map(|s| s.name).collect();
    assert_eq!(names, ["face_size", "pose", "sharpness", "screen_pattern", "recompression"]);
    // A copy re-encoded at low JPEG quality, and one with a screen's pixel grid laid over it.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 8).encode_image(&p).expect("encode");
    let recompressed = image::load_from_memory(&jpeg).expect("decode").to_rgb8();
    let screen = RgbImage::from_fn(p.width(), p.height(), |x, y| {
        let grid = if x % 3 == 0 || y % 3 == 0 { 0.55 } else { 1.0 };
        Rgb(p.get_pixel(x, y).0.map(|c| (f32::from(c) * grid) as u8))
    });
    let re = engine().liveness(&recompressed, Mode::Fast).expect("inference").expect("a face");
    let sc = engine().liveness(&screen, Mode::Fast).expect("inference").expect("a face");
    let signal = |l: &smartenroll_biometrics::PassiveLiveness, name: &str| l.signals.iter().find(|s| s.name == name).cloned().expect(name);
    eprintln!("original {original:?}\nrecompressed {re:?}\nscreen {sc:?}");
    assert!(signal(&original, "recompression").passed && !signal(&re, "recompression").passed);
    assert!(signal(&original, "screen_pattern").passed && !signal(&sc, "screen_pattern").passed);
    assert!(re.score < original.score && sc.score < original.score, "{} {} {}", original.score, re.score, sc.score);
    let biden = engine().liveness(&photo("biden"), Mode::Fast).expect("inference").expect("a face");
    assert_ne!(biden.score, original.score);
}

fn turned_burst(name: &str, degrees: &[f32]) -> Vec<RgbImage> {
    let p = photo(name);
    let face = engine().face(&p, Mode::Fast).expect("inference").expect("a face").face;
    degrees.iter().map(|d| smartenroll_biometrics::synthetic::turn_head(&p, &face, *d)).collect()
}

#[test]
fn the_rendered_turn_moves_the_measured_yaw_the_way_it_was_turned() {
    let frames = turned_burst("obama2", &[0.0, 15.0, 30.0, -30.0]);
    let yaws: Vec<f32> = frames.iter().map(|f| engine().face(f, Mode::Fast).expect("inference").expect("a face").quality.yaw).collect();
    eprintln!("yaws at 0, 15, 30, -30 degrees: {yaws:?}");
    assert!(yaws[1] > yaws[0] && yaws[2] > yaws[1] && yaws[3] < yaws[0], "{yaws:?}");
}

#[test]
fn a_burst_that_turns_the_way_the_challenge_asks_passes_it() {
    let frames = turned_burst("obama2", &[0.0, 15.0, 35.0, 15.0, 0.0, -20.0, -35.0]);
    let r = engine().active_liveness(&[Turn::Left, Turn::Right], &frames, Mode::Fast).expect("inference").expect("faces");
    eprintln!("{r:?}");
    assert!(r.passed_challenge && r.failed.is_none(), "{r:?}");
    assert!(r.score >= 0.5);
}

#[test]
fn a_turn_in_the_wrong_direction_fails_the_challenge() {
    let frames = turned_burst("obama2", &[0.0, 15.0, 35.0]);
    let r = engine().active_liveness(&[Turn::Right], &frames, Mode::Fast).expect("inference").expect("faces");
    assert_eq!(r.failed, Some("wrong_direction"), "{r:?}");
    assert_eq!(r.score, 0.0);
}

#[test]
fn a_burst_of_identical_frames_fails_the_challenge() {
    let p = photo("obama2");
    let frames = vec![p.clone(), p.clone(), p.clone(), p];
    let r = engine().active_liveness(&[Turn::Left], &frames, Mode::Fast).expect("inference").expect("faces");
    assert_eq!(r.failed, Some("motion"), "{r:?}");
    assert!(!r.passed_challenge);
}

#[test]
fn frames_of_two_different_people_fail_the_continuity_check() {
    let mut frames = turned_burst("obama2", &[0.0, 15.0]);
    frames.extend(turned_burst("biden", &[35.0]));
    let r = engine().active_liveness(&[Turn::Left], &frames, Mode::Fast).expect("inference").expect("faces");
    assert_eq!(r.failed, Some("continuity"), "{r:?}");
}

#[test]
fn a_frame_without_a_face_is_refused_with_its_index() {
    let mut frames = turned_burst("obama2", &[0.0]);
    frames.push(RgbImage::from_pixel(320, 240, Rgb([90, 90, 90])));
    let r = engine().active_liveness(&[Turn::Left], &frames, Mode::Fast).expect("inference");
    assert_eq!(r, Err(Refusal { image: 1, error: FaceError::NoFace }));
}

#[test]
fn the_models_are_loaded_once_however_many_threads_use_the_engine() {
    let handles: Vec<_> = (0..4).map(|_| std::thread::spawn(|| engine().detect(&photo("obama")).map(|f| f.len()))).collect();
    for h in handles {
        assert_eq!(h.join().expect("thread").expect("inference"), 1);
    }
    assert_eq!(model_loads(), 2, "one detector and one embedder for the whole process");
}

#[test]
fn the_calibration_maps_the_published_decision_point_to_the_recommended_threshold() {
    assert!((calibration::score(calibration::PUBLISHED_COSINE) - 0.80).abs() < 1e-6);
}

/// A synthetic ID card: a light card with a printed border, the portrait scaled into a photo box on
/// the left, and text-like bars on the right (the document engine's own fixtures carry real MRZ
/// typography; here only the photo matters).
fn id_document(portrait: &RgbImage) -> RgbImage {
    let mut card = RgbImage::from_pixel(1000, 630, Rgb([226, 232, 240]));
    for x in 0..1000 {
        for y in 0..630 {
            if !(12..988).contains(&x) || !(12..618).contains(&y) {
                card.put_pixel(x, y, Rgb([40, 70, 120]));
            }
        }
    }
    let photo_h = 420;
    let photo_w = (portrait.width() * photo_h) / portrait.height();
    let small = image::imageops::resize(portrait, photo_w, photo_h, image::imageops::FilterType::CatmullRom);
    image::imageops::replace(&mut card, &small, 60, 120);
    for (i, len) in [520u32, 380, 450, 300, 480].iter().enumerate() {
        for x in 420..420 + len {
            for y in 140 + i as u32 * 70..160 + i as u32 * 70 {
                card.put_pixel(x, y, Rgb([30, 30, 30]));
            }
        }
    }
    // Printed and photographed: a JPEG round trip at a phone camera's quality.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85).encode_image(&card).expect("encode");
    image::load_from_memory(&jpeg).expect("decode").to_rgb8()
}

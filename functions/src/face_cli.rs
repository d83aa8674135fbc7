//! `smartenroll face …`: the face engine on an operator's own photos, printing JSON, so thresholds
//! can be tried and calibrated before a flow uses them.
//!
//! - `compare A B [--mode]`: the score a flow's `searchMinScore` is compared with, and the cosine.
//! - `liveness IMG [--mode]`: the passive score and every signal behind it.
//! - `eval DIR [--mode]`: `DIR/<person>/<photo>`; every pair of photos of one person is genuine,
//!   every pair across people an impostor. Prints TAR at fixed FARs and the ROC, with the number of
//!   pairs beside every figure and whether that number supports it (see
//!   `smartenroll_biometrics::eval`).

use serde_json::{Value, json};
use smartenroll_biometrics::{Biometrics, Embedding, Mode, calibration, eval};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum FaceCommand {
    /// Compare the faces of two photos.
    Compare {
        a: PathBuf,
        b: PathBuf,
        #[arg(long, default_value = "FAST", value_parser = parse_mode)]
        mode: Mode,
    },
    /// Passive liveness of one photo.
    Liveness {
        image: PathBuf,
        #[arg(long, default_value = "FAST", value_parser = parse_mode)]
        mode: Mode,
    },
    /// TAR/FAR and the ROC over a folder of labelled photos (one subfolder per person).
    Eval {
        dir: PathBuf,
        #[arg(long, default_value = "FAST", value_parser = parse_mode)]
        mode: Mode,
    },
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    Mode::parse(s).ok_or_else(|| format!("{s:?} is not FAST or ACCURATE"))
}

/// The FARs the evaluation reports TAR at.
const FARS: [f32; 4] = [0.1, 0.01, 0.001, 0.0001];

fn open(path: &Path) -> Result<image::RgbImage, String> {
    image::open(path).map(|i| i.to_rgb8()).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn run(models: &Path, command: &FaceCommand) -> Result<(), String> {
    let engine = Biometrics::load(models).map_err(|e| e.to_string())?;
    let out = match command {
        FaceCommand::Compare { a, b, mode } => match engine.compare(&open(a)?, &open(b)?, *mode).map_err(|e| e.to_string())? {
            Ok(c) => json!({"mode": mode.as_str(), "score": c.score, "cosine": c.cosine}),
            Err(r) => {
                let which = if r.image == 0 { a } else { b };
                json!({"mode": mode.as_str(), "refused": {"image": which, "code": r.error.code(), "message": r.error.to_string()}})
            }
        },
        FaceCommand::Liveness { image, mode } => match engine.liveness(&open(image)?, *mode).map_err(|e| e.to_string())? {
            Ok(l) => json!({
                "mode": mode.as_str(),
                "liveness_score": l.score,
                "signals": l.signals.iter().map(|s| json!({"name": s.name, "value": s.value, "score": s.score, "passed": s.passed})).collect::<Vec<_>>(),
            }),
            Err(e) => json!({"mode": mode.as_str(), "refused": {"code": e.code(), "message": e.to_string()}}),
        },
        FaceCommand::Eval { dir, mode } => evaluate(&engine, dir, *mode)?,
    };
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(())
}

fn evaluate(engine: &Biometrics, dir: &Path, mode: Mode) -> Result<Value, String> {
    let mut people: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for person in entries.into_iter().filter(|p| p.is_dir()) {
        let mut photos: Vec<PathBuf> = std::fs::read_dir(&person)
            .map_err(|e| format!("{}: {e}", person.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        photos.sort();
        let name = person.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        people.push((name, photos));
    }
    // One embedding per usable photo; refusals are counted, never scored.
    let mut embedded: Vec<(usize, Embedding)> = Vec::new();
    let mut refused = Vec::new();
    for (who, (_, photos)) in people.iter().enumerate() {
        for photo in photos {
            let img = match open(photo) {
                Ok(i) => i,
                Err(e) => {
                    refused.push(json!({"file": photo, "code": "unreadable", "message": e}));
                    continue;
                }
            };
            match engine.face(&img, mode).map_err(|e| e.to_string())? {
                Ok(face) => {
                    let e = engine.embed(&[&face], mode).map_err(|e| e.to_string())?;
                    embedded.extend(e.into_iter().map(|e| (who, e)));
                }
                Err(e) => refused.push(json!({"file": photo, "code": e.code(), "message": e.to_string()})),
            }
        }
    }
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for (i, (pa, ea)) in embedded.iter().enumerate() {
        for (pb, eb) in &embedded[i + 1..] {
            let s = calibration::score(ea.cosine(eb));
            if pa == pb { genuine.push(s) } else { impostor.push(s) }
        }
    }
    let counts = json!({"genuinePairs": genuine.len(), "impostorPairs": impostor.len()});
    let tar: Vec<Value> = FARS
        .iter()
        .map(|far| {
            let r = eval::tar_at_far(&genuine, &impostor, *far);
            let mut v = json!({
                "far": (f64::from(*far) * 1e6).round() / 1e6, "tar": r.tar, "threshold": r.threshold, "supported": r.supported,
                "impostorPairsNeeded": r.impostors_needed,
                "genuinePairs": genuine.len(), "impostorPairs": impostor.len(),
            });
            if !r.supported {
                v["note"] = json!(format!(
                    "too few impostor pairs: {} given, {} needed to show a FAR of {far}; this TAR is not supported by the data",
                    impostor.len(),
                    r.impostors_needed
                ));
            }
            v
        })
        .collect();
    let roc: Vec<Value> = eval::roc(&genuine, &impostor)
        .iter()
        .map(|p| json!({"threshold": p.threshold, "tar": p.tar, "far": p.far, "genuineAccepted": p.genuine_accepted, "impostorAccepted": p.impostor_accepted}))
        .collect();
    Ok(json!({
        "mode": mode.as_str(),
        "people": people.len(),
        "photos": people.iter().map(|(_, p)| p.len()).sum::<usize>(),
        "refused": refused,
        "pairs": counts,
        "tarAtFar": tar,
        "roc": roc,
        "scores": {"genuine": genuine, "impostor": impostor},
    }))
}

//! Face engine benchmark (`cargo bench -p smartenroll-biometrics --bench face_engine`).
//!
//! On the real test photos (scripts/fetch-models), in one thread (tract runs each plan on the
//! calling thread, so this is one core's figure), for FAST and ACCURATE: model loading, then the
//! median and p90 over `BENCH_RUNS` (default 20) of
//! - `detect`: one photo, decoded pixels in, faces out (one detector pass);
//! - `face`: detection, alignment and the quality gates (ACCURATE adds the refining pass);
//! - `embed`: one face's embedding (ACCURATE: the face and its mirror);
//! - `compare`: two photos end to end (both faces found, embedded, scored), JPEG decoding excluded;
//! - `compare+decode`: the same from the JPEG bytes;
//! - `liveness`: passive liveness of one photo (face found, every signal measured).
//!
//! Ends with the process's peak resident memory (VmHWM), the figure a Lambda memory size must
//! cover. Times are wall-clock on a machine that may be running other work: run it on an idle one.

use smartenroll_biometrics::{Biometrics, Mode};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "engine_common.rs"]
mod engine_common;
use engine_common::{cache, measure, ms, peak_rss};

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let models = std::env::var_os("SMARTENROLL_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| cache().join("models"));
    let t = Instant::now();
    let engine = Biometrics::load(&models).unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models)"));
    println!("load (both models, planned): {} ms", ms(t.elapsed()));
    let read = |name: &str| std::fs::read(cache().join("test-images").join(format!("{name}.jpg"))).expect("run scripts/fetch-models");
    let (a_bytes, b_bytes) = (read("obama"), read("obama2"));
    let decode = |b: &[u8]| image::load_from_memory(b).expect("decode").to_rgb8();
    let (a, b) = (decode(&a_bytes), decode(&b_bytes));
    println!("photos: obama.jpg {}x{}, obama2.jpg {}x{}; {runs} runs each, one thread", a.width(), a.height(), b.width(), b.height());
    println!("{:<10} {:<16} {:>10} {:>10}", "mode", "step", "p50 ms", "p90 ms");
    for mode in [Mode::Fast, Mode::Accurate] {
        let face = engine.face(&a, mode).expect("inference").expect("a face");
        let rows: Vec<(&str, (Duration, Duration))> = vec![
            ("detect", measure(runs, || drop(engine.detect(&a)))),
            ("face", measure(runs, || drop(engine.face(&a, mode)))),
            ("embed", measure(runs, || drop(engine.embed(&[&face], mode)))),
            ("compare", measure(runs, || drop(engine.compare(&a, &b, mode)))),
            ("compare+decode", measure(runs, || drop(engine.compare(&decode(&a_bytes), &decode(&b_bytes), mode)))),
            ("liveness", measure(runs, || drop(engine.liveness(&a, mode)))),
        ];
        for (step, (p50, p90)) in rows {
            println!("{:<10} {:<16} {:>10} {:>10}", mode.as_str(), step, ms(p50), ms(p90));
        }
    }
    println!("peak resident memory (VmHWM): {}", peak_rss());
}

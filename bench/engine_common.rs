//! What the engine benchmarks (face_engine, document_engine) share: the cache folder the fetch
//! step fills, a warmed-up p50/p90 timer, and the process's peak resident memory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `.cache` at the repository root (both bench crates sit two levels down).
pub fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache")
}

/// The median and 90th percentile of `runs` calls of `f`, after one warm-up call.
pub fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[(times.len() * 9 / 10).min(times.len() - 1)])
}

pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Linux's `VmHWM`: the peak resident memory of this process so far.
pub fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

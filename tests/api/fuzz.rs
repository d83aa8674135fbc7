//! Every input the fuzz targets keep — the seeds they start from (fuzz/seeds/) and the crashes
//! found and fixed (fuzz/regressions/) — replayed through the targets' own code
//! (fuzz/replay.rs) on each test run: none may panic.

#[path = "../../fuzz/replay.rs"]
mod replay;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        for e in entries.map(|e| e.expect("entry").path()) {
            out.push((e.display().to_string(), std::fs::read(&e).expect("read")));
        }
    }
    out.sort();
    out
}

#[test]
fn every_kept_fuzz_input_is_answered_without_a_panic() {
    let mut replayed = 0;
    for (target, run) in [("request_bodies", replay::request_bodies as fn(&[u8]) -> bool), ("mrz", replay::mrz), ("images", replay::images)]
    {
        let inputs = inputs(target);
        assert!(!inputs.is_empty(), "{target} keeps no inputs");
        for (path, data) in &inputs {
            let read = run(data);
            // The seeds are valid inputs, so the replay is known to reach past the first refusal.
            assert!(read || !path.contains("/seeds/"), "{target}: the seed {path} was refused");
        }
        replayed += inputs.len();
    }
    crate::helpers::report("fuzz-replay", &format!("fuzz inputs replayed: {replayed} (seeds and fixed crashes)"));
}

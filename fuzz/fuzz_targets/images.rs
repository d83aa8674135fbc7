//! libFuzzer target: see `replay::images` (fuzz/replay.rs) for what it exercises.
#![no_main]

#[path = "../replay.rs"]
mod replay;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    replay::images(data);
});

//! Document engine benchmark (`cargo bench -p smartenroll-documents --bench document_engine`;
//! `taskset -c 0` in front for the one-core figure the README gives).
//!
//! On synthetic documents made here (OCR-B font and a real face photo from `scripts/fetch-models`),
//! in one thread (tract runs each plan on the calling thread): model loading, then the median and
//! p90 over `BENCH_RUNS` (default 10) of
//! - `MRZ path`: a passport page from its JPEG bytes to the parsed zone with every check digit
//!   (decode, detection, the zone's lines recognised, parsed): what the worker does per passport;
//! - `visual path`: a driver's licence without a zone from its JPEG bytes to its labelled fields
//!   (decode, detection, the zone looked for and not found, every line recognised, fields found);
//! - `screen`: one name against 10,000 generated list entries (index lookup, scoring).
//!
//! Ends with the process's peak resident memory (VmHWM). Times are wall-clock: run on an idle
//! machine.

use smartenroll_documents::ocr::Ocr;
use smartenroll_documents::screening::{DEFAULT_THRESHOLD, Entry, Query, Screening};
use smartenroll_documents::synthetic;
use std::path::PathBuf;
use std::time::Instant;

#[path = "engine_common.rs"]
mod engine_common;
use engine_common::{cache, measure, ms, peak_rss};

fn jpeg(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img).expect("encode");
    out
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let models = std::env::var_os("SMARTENROLL_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| cache().join("models"));
    let t = Instant::now();
    let ocr = Ocr::load(&models).unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models)"));
    println!("load (detector and recogniser, planned): {} ms", ms(t.elapsed()));
    let font = std::fs::read(cache().join("fonts/OCRB.otf")).expect("OCR-B font (run scripts/fetch-models)");
    let face = image::open(cache().join("test-images/obama2.jpg")).expect("photo (run scripts/fetch-models)").to_rgb8();

    let zone = synthetic::td3(&synthetic::Td3 {
        surname: "GARCIA MARQUEZ",
        given: "JOSE LUIS",
        number: "PA0042917",
        nationality: "COL",
        birth: "690521",
        sex: 'M',
        expiry: "340930",
    });
    let passport = jpeg(&synthetic::passport_page(&font, &face, &zone).expect("page"));
    let licence = jpeg(
        &synthetic::licence_card(
            &font,
            &face,
            &synthetic::Licence {
                issuer: "REPUBLICA DE COLOMBIA",
                surname: "ROJAS PENA",
                given: "LUCIA FERNANDA",
                number: "88412977",
                birth: "12/04/1990",
                issued: "15/03/2021",
                expiry: "15/03/2031",
            },
        )
        .expect("card"),
    );
    let read = |bytes: &[u8]| ocr.read_document(&image::load_from_memory(bytes).expect("decode").to_rgb8()).expect("inference");
    let check = read(&passport);
    assert!(check.zone.zone.as_ref().is_ok_and(|z| z.checks.all_valid()), "the passport's zone reads");
    let check = read(&licence);
    assert!(check.visual.as_ref().is_some_and(|v| v.document_number.is_some()), "the licence's fields read");

    println!(
        "passport page 1250x880 ({} KB JPEG), licence card 1000x630 ({} KB JPEG); {runs} runs each, one thread",
        passport.len() / 1024,
        licence.len() / 1024
    );
    println!("{:<14} {:>10} {:>10}", "step", "p50 ms", "p90 ms");
    let (p50, p90) = measure(runs, || {
        read(&passport);
    });
    println!("{:<14} {:>10} {:>10}", "MRZ path", ms(p50), ms(p90));
    let (p50, p90) = measure(runs, || {
        read(&licence);
    });
    println!("{:<14} {:>10} {:>10}", "visual path", ms(p50), ms(p90));

    // 10,000 generated entries of two or three syllable words.
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut word = || {
        let n = 2 + next() % 2;
        (0..n)
            .map(|_| {
                format!("{}{}", char::from(b"bdfghjklmnprstvwyz"[(next() % 18) as usize]), char::from(b"aeiou"[(next() % 5) as usize]))
            })
            .collect::<String>()
    };
    let entries: Vec<Entry> = (0..10_000)
        .map(|i| Entry {
            list: "bench".into(),
            id: i.to_string(),
            names: vec![format!("{} {} {}", word(), word(), word())],
            birth_dates: vec![],
            countries: vec![],
            organization: false,
        })
        .collect();
    let probe = entries[4321].names[0].clone();
    let screening = Screening::new(entries);
    let (p50, p90) = measure(runs.max(100), || {
        assert!(!screening.screen(&Query { name: &probe, ..Default::default() }, DEFAULT_THRESHOLD).is_empty());
    });
    println!(
        "{:<14} {:>10} {:>10}   (10,000 entries, a listed name)",
        "screen",
        format!("{:.3}", p50.as_secs_f64() * 1000.0),
        format!("{:.3}", p90.as_secs_f64() * 1000.0)
    );
    println!("peak resident memory: {}", peak_rss());
}

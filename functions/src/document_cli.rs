//! The document engine from the operator's shell, each printing JSON:
//!
//! - `smartenroll mrz parse LINE1 LINE2 [LINE3]`: a machine-readable zone typed or copied by an
//!   operator, checked as the document worker checks it: layout, fields, every check digit, expiry
//!   against today. Exits non-zero when a check digit disagrees or the document expired.
//! - `smartenroll document read IMG`: an image read as the worker reads it: the zone's lines, its
//!   fields and check digits, or, without a zone, the visual zone's fields with their
//!   confidences. Exits non-zero when neither was found.
//! - `smartenroll screen "NAME" [--dob YYYY-MM-DD] [--country XX]`: the hits the worker's
//!   screening would report against the list files in `--lists` (the server's screening folder).

use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum MrzCommand {
    /// Parse and check a zone given as its 2 (TD2, TD3, visas) or 3 (TD1) lines.
    Parse {
        #[arg(num_args = 2..=3, required = true)]
        lines: Vec<String>,
    },
}

#[derive(clap::Subcommand)]
pub enum DocumentCommand {
    /// Read a document image (JPEG or PNG) as the document worker does.
    Read { image: PathBuf },
}

fn today() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", today.year(), u8::from(today.month()), today.day())
}

pub fn read(models: &Path, command: &DocumentCommand) -> Result<(), String> {
    let DocumentCommand::Read { image } = command;
    let bytes = std::fs::read(image).map_err(|e| format!("{}: {e}", image.display()))?;
    let img = image::load_from_memory(&bytes).map_err(|e| format!("{}: not a readable image: {e}", image.display()))?.to_rgb8();
    let ocr = smartenroll_documents::ocr::Ocr::load(models).map_err(|e| format!("{e} (run scripts/fetch-models)"))?;
    let started = std::time::Instant::now();
    let reading = ocr.read_document(&img).map_err(|e| e.to_string())?;
    let millis = started.elapsed().as_millis() as u64;
    let lines: Vec<&str> = reading.zone.lines.iter().map(|l| l.text.as_str()).collect();
    let out = match (&reading.zone.zone, &reading.visual) {
        (Ok(zone), _) => json!({
            "readFrom": "machine_readable_zone",
            "zoneLines": lines,
            "valid": zone.checks.all_valid(),
            "failedCheckDigits": zone.checks.failed(),
            "expired": zone.expired_on(&today()),
            "zone": zone,
            "millis": millis,
        }),
        (Err(e), visual) => json!({
            "readFrom": if visual.is_some() { "visual_zone" } else { "nothing" },
            "zoneNotFound": e.to_string(),
            "visual": visual,
            "millis": millis,
        }),
    };
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    match (&reading.zone.zone, &reading.visual) {
        (Ok(zone), _) if !zone.checks.all_valid() => Err(format!("check digits disagree: {}", zone.checks.failed().join(", "))),
        (Ok(_), _) => Ok(()),
        (Err(_), Some(v)) if v.surname.is_some() || v.document_number.is_some() => Ok(()),
        (Err(e), _) => Err(format!("no zone and no labelled field found: {e}")),
    }
}

/// Screens one name against every list file in `lists` (`.csv`: OpenSanctions or OFAC SDN;
/// `.xml`: the UN consolidated list).
pub fn screen(lists: &Path, name: &str, dob: Option<&str>, country: Option<&str>, threshold: f64) -> Result<(), String> {
    use smartenroll_documents::screening::{Query, Screening, load_list};
    if let Some(d) = dob
        && !(d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-' && d.replace('-', "").bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("--dob must be YYYY-MM-DD".into());
    }
    if !(0.0..=1.0).contains(&threshold) {
        return Err("--threshold must be from 0 to 1".into());
    }
    let mut entries = Vec::new();
    let mut files = Vec::new();
    let dir = std::fs::read_dir(lists).map_err(|e| format!("{}: {e} (put list files there, or pass --lists)", lists.display()))?;
    let mut names: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for path in names {
        let Some(file) = path.file_name().and_then(|f| f.to_str()).map(str::to_string) else { continue };
        let lower = file.to_ascii_lowercase();
        if !(lower.ends_with(".csv") || lower.ends_with(".xml")) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let loaded = load_list(&file, &bytes)?;
        files.push(json!({"file": file, "entries": loaded.len()}));
        entries.extend(loaded);
    }
    if entries.is_empty() {
        return Err(format!("no list entries in {} (.csv or .xml files)", lists.display()));
    }
    let screening = Screening::new(entries);
    let country = country.map(str::to_ascii_lowercase);
    let started = std::time::Instant::now();
    let hits = screening.screen(&Query { name, birth_date: dob, country: country.as_deref(), organization: false }, threshold);
    let micros = started.elapsed().as_micros() as u64;
    let out = json!({"lists": files, "entries": screening.len(), "threshold": threshold, "hits": hits, "micros": micros});
    println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
    Ok(())
}

pub fn run(command: &MrzCommand) -> Result<(), String> {
    match command {
        MrzCommand::Parse { lines } => {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let zone = smartenroll_documents::zone::parse_lines(&lines).map_err(|e| e.to_string())?;
            let today = today();
            let valid = zone.checks.all_valid();
            let expired = zone.expired_on(&today);
            let out = json!({"valid": valid, "failedCheckDigits": zone.checks.failed(), "expired": expired, "zone": zone});
            println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
            match (valid, expired) {
                (false, _) => Err(format!("check digits disagree: {}", zone.checks.failed().join(", "))),
                (true, true) => Err(format!("the document expired on {}", zone.date_of_expiry.as_deref().unwrap_or("?"))),
                (true, false) => Ok(()),
            }
        }
    }
}

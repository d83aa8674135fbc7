//! `smartenroll mrz parse LINE1 LINE2 [LINE3]`: a machine-readable zone typed or copied by an
//! operator, checked as the document worker checks it: layout, fields, every check digit, expiry
//! against today. Prints JSON; exits non-zero when a check digit disagrees or the document expired.

use serde_json::json;

#[derive(clap::Subcommand)]
pub enum MrzCommand {
    /// Parse and check a zone given as its 2 (TD2, TD3, visas) or 3 (TD1) lines.
    Parse {
        #[arg(num_args = 2..=3, required = true)]
        lines: Vec<String>,
    },
}

pub fn run(command: &MrzCommand) -> Result<(), String> {
    match command {
        MrzCommand::Parse { lines } => {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let zone = smartenroll_documents::zone::parse_lines(&lines).map_err(|e| e.to_string())?;
            let today = time::OffsetDateTime::now_utc().date();
            let today = format!("{:04}-{:02}-{:02}", today.year(), u8::from(today.month()), today.day());
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

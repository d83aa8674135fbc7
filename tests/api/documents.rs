//! The document engine from the operator's CLI: `smartenroll mrz parse` checks a typed zone.

use crate::helpers::BIN;
use std::process::Command;

fn mrz(lines: &[&str]) -> (bool, serde_json::Value, String) {
    let out = Command::new(BIN).args(["mrz", "parse"]).args(lines).output().expect("run the CLI");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mrz_parse_prints_the_fields_and_fails_on_a_bad_check_digit_or_an_expired_document() {
    // The ICAO visa specimen expires in 2094: valid.
    let (ok, out, err) = mrz(&["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C<3UTO6908061F9406236ZE184226B<<<<<<<"]);
    assert!(ok, "{err}");
    assert_eq!((out["valid"].as_bool(), out["zone"]["format"].as_str()), (Some(true), Some("MRV-A")), "{out}");
    assert_eq!(out["zone"]["dateOfExpiry"], "2094-06-23");
    // The passport specimen expired in 2012.
    let (ok, out, err) = mrz(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]);
    assert!(!ok && err.contains("expired on 2012-04-15"), "{err}");
    assert_eq!((out["valid"].as_bool(), out["expired"].as_bool()), (Some(true), Some(true)));
    // One digit of the birth date changed.
    let (ok, out, err) = mrz(&["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408132F1204159ZE184226B<<<<<10"]);
    assert!(!ok && err.contains("dateOfBirth"), "{err}");
    assert_eq!(out["failedCheckDigits"], serde_json::json!(["dateOfBirth", "composite"]));
    let (ok, _, err) = mrz(&["NOT A ZONE", "EITHER"]);
    assert!(!ok && !err.is_empty());
}

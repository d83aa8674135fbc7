//! An operator's own blocklist for a flow (`integrations.source: CSV`, `strategy: blacklist`):
//! the identifiers that may not enroll, uploaded as a CSV (or as the reference's `whiteList[]`
//! objects, its name for the CSV source's entries) and kept only as keyed hashes, never as the
//! identifiers themselves. This module reads and normalises uploads; the API hashes and the
//! store keeps the hashes ([`crate::ports::BlocklistStore`]).

use crate::error::FieldError;
use crate::registration::{normalise_country_code, normalise_email, normalise_phone};
use serde_json::Value;

/// Most identifiers one upload may hold (the reference's hosted page caps uploads at 500 rows; a
/// server-to-server upload may carry far more, within the request size limit).
pub const MAX_ENTRIES: usize = 50_000;
/// At most this many problems are reported for one upload.
const MAX_REPORTED: usize = 20;

/// What kind of identifier an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListedKind {
    Email,
    Phone,
    DocumentNumber,
}

impl ListedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::DocumentNumber => "documentNumber",
        }
    }
}

/// One normalised identifier: the email lower-cased, the phone as E.164, the document number upper-case
/// letters and digits only — the same forms registrations are compared in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    pub kind: ListedKind,
    pub value: String,
}

/// A document number as compared: upper case, letters and digits only (`AB-123 456` = `AB123456`).
pub fn normalise_document_number(raw: &str) -> Option<String> {
    let v: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    (4..=30).contains(&v.len()).then_some(v)
}

/// The fields of one row, by column name (`email`, `phone`, `countryCode`, `documentNumber`; `name`
/// and other columns are ignored). A phone without a country code may carry its own `+`.
fn read_row(get: impl Fn(&str) -> Option<String>, at: &str, out: &mut Vec<Listed>, errors: &mut Vec<FieldError>) {
    let mut any = false;
    if let Some(raw) = get("email") {
        any = true;
        match normalise_email(&raw) {
            Some(v) => out.push(Listed { kind: ListedKind::Email, value: v }),
            None => errors.push(FieldError::new(format!("{at}.email"), "is not an email address")),
        }
    }
    if let Some(raw) = get("phone") {
        any = true;
        let (code, number) = match get("countryCode") {
            Some(c) => (normalise_country_code(&c), raw),
            None => match raw.trim().strip_prefix('+') {
                // A full international number: the country code cannot be told apart, so the digits
                // are kept whole (E.164 is exactly `+` and digits).
                Some(rest) => (Some("+".to_string()), rest.to_string()),
                None => (None, raw),
            },
        };
        match (code, normalise_phone(&number)) {
            (Some(c), Some(n)) if c == "+" && (8..=15).contains(&n.len()) => {
                out.push(Listed { kind: ListedKind::Phone, value: format!("+{n}") })
            }
            (Some(c), Some(n)) if c != "+" => out.push(Listed { kind: ListedKind::Phone, value: format!("{c}{n}") }),
            _ => errors.push(FieldError::new(format!("{at}.phone"), "needs a countryCode column (+57) or a full +<digits> number")),
        }
    }
    if let Some(raw) = get("documentNumber") {
        any = true;
        match normalise_document_number(&raw) {
            Some(v) => out.push(Listed { kind: ListedKind::DocumentNumber, value: v }),
            None => errors.push(FieldError::new(format!("{at}.documentNumber"), "must have 4 to 30 letters and digits")),
        }
    }
    if !any {
        errors.push(FieldError::new(at.to_string(), "has no email, phone or documentNumber"));
    }
}

fn finish(mut out: Vec<Listed>, mut errors: Vec<FieldError>) -> Result<Vec<Listed>, Vec<FieldError>> {
    if out.len() > MAX_ENTRIES {
        errors.insert(0, FieldError::new("entries", format!("at most {MAX_ENTRIES} identifiers per upload")));
    }
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED);
        return Err(errors);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A CSV upload. With a header row naming `email`, `phone`, `countryCode`, `documentNumber`
/// (any case; other columns ignored), each row is read by those columns; without one, each line
/// is a single identifier: an email (has `@`), a `+<digits>` phone, or a document number.
/// All or nothing: any bad row refuses the upload, naming up to 20 problems by line.
pub fn parse_csv(text: &str) -> Result<Vec<Listed>, Vec<FieldError>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut rows = reader.records();
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let first = match rows.next() {
        None => return Ok(Vec::new()),
        Some(Err(_)) => return Err(vec![FieldError::new("line 1", "is not valid CSV")]),
        Some(Ok(r)) => r,
    };
    let columns = ["email", "phone", "countrycode", "documentnumber"];
    let header: Vec<String> = first.iter().map(|h| h.to_ascii_lowercase().replace(['_', ' '], "")).collect();
    let has_header = header.iter().any(|h| columns.contains(&h.as_str()));
    let canonical = |k: &str| {
        match k {
            "countryCode" => "countrycode",
            "documentNumber" => "documentnumber",
            other => other,
        }
        .to_string()
    };
    let mut line = 1;
    let handle = |record: &csv::StringRecord, line: usize, out: &mut Vec<Listed>, errors: &mut Vec<FieldError>| {
        let at = format!("line {line}");
        if record.iter().all(str::is_empty) {
            return;
        }
        if has_header {
            let get = |k: &str| {
                let want = canonical(k);
                header.iter().position(|h| *h == want).and_then(|i| record.get(i)).filter(|v| !v.is_empty()).map(str::to_string)
            };
            read_row(get, &at, out, errors);
        } else {
            let value = record.get(0).unwrap_or_default().to_string();
            let kind = if value.contains('@') {
                "email"
            } else if value.starts_with('+') {
                "phone"
            } else {
                "documentNumber"
            };
            read_row(|k: &str| (k == kind).then(|| value.clone()), &at, out, errors);
        }
    };
    if !has_header {
        handle(&first, line, &mut out, &mut errors);
    }
    for record in rows {
        line += 1;
        match record {
            Ok(r) => handle(&r, line, &mut out, &mut errors),
            Err(_) => errors.push(FieldError::new(format!("line {line}"), "is not valid CSV")),
        }
        if errors.len() > MAX_REPORTED {
            break;
        }
    }
    finish(out, errors)
}

/// The identifier fields of a JSON entry and their longest accepted length.
pub const ENTRY_FIELDS: [(&str, usize); 4] =
    [("email", crate::registration::EMAIL_MAX), ("phone", 32), ("countryCode", 8), ("documentNumber", 64)];

/// The reference's JSON form: `[{name, email, countryCode, phone}]` (its `whiteList[]`), with
/// `documentNumber` accepted too.
pub fn parse_entries(entries: &[Value]) -> Result<Vec<Listed>, Vec<FieldError>> {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for (i, e) in entries.iter().enumerate() {
        let at = format!("entries[{i}]");
        let Some(obj) = e.as_object() else {
            errors.push(FieldError::new(at, "must be an object {email, phone, countryCode, documentNumber}"));
            continue;
        };
        // Each identifier is text (or null) of a bounded length, counted as sent; a number or an
        // object where text belongs is refused, not skipped.
        let before = errors.len();
        for (key, max) in ENTRY_FIELDS {
            match obj.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(v)) if v.chars().count() <= max => {}
                Some(_) => errors.push(FieldError::new(format!("{at}.{key}"), format!("must be text of at most {max} characters"))),
            }
        }
        if errors.len() == before {
            let get = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
            read_row(get, &at, &mut out, &mut errors);
        }
        if errors.len() > MAX_REPORTED {
            break;
        }
    }
    finish(out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_field_that_is_not_text_or_is_too_long_is_refused_not_skipped() {
        let entries =
            [serde_json::json!({"email": 5, "phone": "+573001234567"}), serde_json::json!({"documentNumber": "-".repeat(61) + "1234"})];
        let errors = parse_entries(&entries).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["entries[0].email", "entries[1].documentNumber"]);
    }

    fn kinds(list: &[Listed]) -> Vec<(&str, &str)> {
        list.iter().map(|l| (l.kind.as_str(), l.value.as_str())).collect()
    }

    #[test]
    fn a_csv_with_a_header_is_read_by_column_and_normalised() {
        let csv = "\u{feff}Name,Email,Country Code,Phone,document_number\n\"Pérez, Ana\", Ana@Example.COM ,+57,300 123 4567,\nBob,,,,ab-123 456\n\n";
        let list = parse_csv(csv).expect("valid");
        assert_eq!(kinds(&list), [("email", "ana@example.com"), ("phone", "+573001234567"), ("documentNumber", "AB123456")]);
    }

    #[test]
    fn a_csv_without_a_header_is_one_identifier_per_line() {
        let list = parse_csv("eve@example.com\n+15551234567\nX9876543\neve@example.com\n").expect("valid");
        assert_eq!(kinds(&list), [("email", "eve@example.com"), ("phone", "+15551234567"), ("documentNumber", "X9876543")], "deduplicated");
    }

    #[test]
    fn any_bad_row_refuses_the_upload_naming_its_line() {
        let errors = parse_csv("email,phone\nnot-an-email,\nok@example.com,3001234567\n").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["line 2.email", "line 3.phone"]);
    }

    #[test]
    fn the_references_entry_objects_are_accepted() {
        let entries = serde_json::json!([{"name": "Ana", "email": "ANA@example.com", "countryCode": "+57", "phone": "3001234567"}]);
        let list = parse_entries(entries.as_array().expect("array")).expect("valid");
        assert_eq!(kinds(&list), [("email", "ana@example.com"), ("phone", "+573001234567")]);
        assert!(parse_entries(&[serde_json::json!("x")]).is_err());
    }
}

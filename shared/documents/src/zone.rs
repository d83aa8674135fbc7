//! Machine-readable zones (ICAO Doc 9303) read from text: the layout (TD1 ID cards, TD2, TD3
//! passports, MRV-A and MRV-B visas), every field, and every printed check digit, through the
//! `mrz` crate. From typed lines ([`parse_lines`]) the zone is taken as given; from OCR text
//! ([`find`]) the zone is located and a misread is repaired only where a check digit confirms the
//! repair (`mrz::find_and_parse`), and the result says so (`repaired`).
//!
//! What a valid zone proves: every field a check digit covers (document number, dates, TD3's
//! personal number, the composite) is consistent with its digit. Names, nationality and sex have no
//! digit on any layout, so they are cross-checked elsewhere (the declared names; the issuing state
//! against the flow's countries), never trusted because the digits agree.

use serde::Serialize;

/// A read zone. Dates are ISO `YYYY-MM-DD` when the field holds a real day, else `None` (an
/// issuer's unknown date, or a misread), with the raw field kept beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneRead {
    /// `TD1`, `TD2`, `TD3`, `MRV-A` or `MRV-B`.
    pub format: &'static str,
    /// `passport`, `national_id` or `visa` (from the document code), else `other`.
    pub document_kind: &'static str,
    /// The document code as printed (`P`, `PD`, `I`, `ID`, `V`, …).
    pub document_code: String,
    pub issuing_state: String,
    /// The full document number (reassembled when it overflows its 9-character field).
    pub document_number: String,
    pub surname: String,
    pub given_names: String,
    pub nationality: String,
    pub date_of_birth: Option<String>,
    pub date_of_birth_raw: String,
    /// `M`, `F`, or `<` (unspecified), as printed.
    pub sex: String,
    pub date_of_expiry: Option<String>,
    pub date_of_expiry_raw: String,
    pub optional_data: Option<String>,
    pub checks: CheckDigits,
    /// The zone as validated (after repair, when [`find`] repaired it).
    pub lines: Vec<String>,
    /// `find` changed characters of the text to reach a zone whose digits agree.
    pub repaired: bool,
}

/// Each printed check digit: `Some(true)` agrees, `Some(false)` disagrees, `None` not printed on
/// this layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckDigits {
    pub document_number: Option<bool>,
    pub date_of_birth: Option<bool>,
    pub date_of_expiry: Option<bool>,
    pub personal_number: Option<bool>,
    pub composite: Option<bool>,
}

impl CheckDigits {
    /// Every digit the layout prints agrees.
    pub fn all_valid(&self) -> bool {
        let printed = [self.document_number, self.date_of_birth, self.date_of_expiry, self.personal_number, self.composite];
        printed.iter().any(Option::is_some) && printed.iter().all(|c| *c != Some(false))
    }

    /// The names of the digits that disagree.
    pub fn failed(&self) -> Vec<&'static str> {
        [
            ("documentNumber", self.document_number),
            ("dateOfBirth", self.date_of_birth),
            ("dateOfExpiry", self.date_of_expiry),
            ("personalNumber", self.personal_number),
            ("composite", self.composite),
        ]
        .into_iter()
        .filter(|(_, c)| *c == Some(false))
        .map(|(name, _)| name)
        .collect()
    }
}

/// Why no zone could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("no machine-readable zone found")]
    NotFound,
    #[error("{0}")]
    Malformed(String),
}

impl ZoneRead {
    /// `today` (ISO `YYYY-MM-DD`) is after the expiry date. An unreadable expiry is not "expired":
    /// it is an invalid zone, which [`CheckDigits::all_valid`] already reports.
    pub fn expired_on(&self, today: &str) -> bool {
        self.date_of_expiry.as_deref().is_some_and(|expiry| expiry < today)
    }

    fn from(data: mrz::MrzData, repaired: bool) -> ZoneRead {
        let format = match data.format {
            mrz::Format::Td1 => "TD1",
            mrz::Format::Td2 => "TD2",
            mrz::Format::Td3 => "TD3",
            mrz::Format::MrvA => "MRV-A",
            mrz::Format::MrvB => "MRV-B",
            _ => "unknown",
        };
        let document_kind = match data.document_type.chars().next() {
            Some('P') => "passport",
            Some('I' | 'A' | 'C') => "national_id",
            Some('V') => "visa",
            _ => "other",
        };
        let date = |d: mrz::MrzDate| d.calendar().map(|c| format!("{:04}-{:02}-{:02}", c.year, c.month, c.day));
        let raw = |d: mrz::MrzDate| match d {
            mrz::MrzDate::Calendar(c) => format!("{:02}{:02}{:02}", c.year.rem_euclid(100), c.month, c.day),
            other => other.to_string(),
        };
        ZoneRead {
            format,
            document_kind,
            document_code: data.document_type.clone(),
            issuing_state: data.issuing_country.clone(),
            document_number: data.document_number_full.clone().unwrap_or_else(|| data.document_number.trim_end_matches('<').to_string()),
            surname: data.surname.clone(),
            given_names: data.given_names.clone(),
            nationality: data.nationality.clone(),
            date_of_birth: date(data.date_of_birth),
            date_of_birth_raw: raw(data.date_of_birth),
            sex: data.sex.to_string(),
            date_of_expiry: date(data.date_of_expiry),
            date_of_expiry_raw: raw(data.date_of_expiry),
            optional_data: data.optional_data_1.clone(),
            checks: CheckDigits {
                document_number: data.checks.document_number,
                date_of_birth: data.checks.date_of_birth,
                date_of_expiry: data.checks.date_of_expiry,
                personal_number: data.checks.personal_number,
                composite: data.checks.composite,
            },
            lines: data.mrz_lines.lines().map(str::to_string).collect(),
            repaired,
        }
    }
}

fn malformed(e: mrz::MrzError) -> ZoneError {
    ZoneError::Malformed(e.to_string())
}

/// The zone in exactly these lines (typed, or already located): the layout follows from the
/// number of lines, their length and the document code. Check digits are reported, not enforced.
pub fn parse_lines(lines: &[&str]) -> Result<ZoneRead, ZoneError> {
    let lines: Vec<String> = lines.iter().map(|l| l.trim().to_ascii_uppercase()).filter(|l| !l.is_empty()).collect();
    let visa = lines.first().is_some_and(|l| l.starts_with('V'));
    let data = match (lines.as_slice(), visa) {
        ([a, b, c], _) => mrz::parse_td1(a, b, c),
        ([a, b], true) if a.len() == 44 => mrz::parse_mrv_a(a, b),
        ([a, b], true) => mrz::parse_mrv_b(a, b),
        ([a, b], false) if a.len() == 44 => mrz::parse_td3(a, b),
        ([a, b], false) => mrz::parse_td2(a, b),
        _ => return Err(ZoneError::Malformed(format!("a zone has 2 or 3 lines, got {}", lines.len()))),
    }
    .map_err(malformed)?;
    Ok(ZoneRead::from(data, false))
}

/// Locates the zone in OCR `text` (any surrounding text ignored) and repairs misread characters
/// where, and only where, a check digit confirms the repair.
pub fn find(text: &str) -> Result<ZoneRead, ZoneError> {
    let data = mrz::find_and_parse(text).map_err(|e| match e {
        mrz::MrzError::NotFound => ZoneError::NotFound,
        other => malformed(other),
    })?;
    let given: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let found: String = data.mrz_lines.chars().filter(|c| !c.is_whitespace()).collect();
    let repaired = !given.contains(&found);
    Ok(ZoneRead::from(data, repaired))
}

/// Whether two ICAO state codes name the same state (`D` and `DEU` are Germany).
pub fn same_state(a: &str, b: &str) -> bool {
    mrz::codes_equivalent(a, b)
}

/// Whether `state` (an ICAO three-letter code from a zone) is one of `countries` (as a flow names
/// them: ICAO codes, or English country names such as "Colombia").
pub fn issuer_allowed(state: &str, countries: &[String]) -> bool {
    countries.iter().any(|c| {
        let c = c.trim();
        let code = if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) {
            Some(c.to_ascii_uppercase())
        } else {
            mrz::code_for_name(c).map(str::to_string)
        };
        code.is_some_and(|code| mrz::codes_equivalent(&code, state))
    })
}

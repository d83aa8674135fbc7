//! The visual zone: the printed fields of a document without a machine-readable zone (most
//! driver's licences, many older ID cards), found by their labels.
//!
//! Every text line of the page is read (the same PP-OCRv4 models, decoding limited to Latin
//! letters, digits and the punctuation of dates and numbers). A line that starts with a known label
//! (English, Spanish, Portuguese and French forms, with or without the numbered prefixes of the
//! EU/AAMVA licence layouts such as `1.` or `4b`) names a field; its value is the rest of that
//! line, else the nearest line below it starting about where the label starts, else the next
//! line to its right on the same row. Dates are read in the usual printed forms (`DD/MM/YYYY`,
//! `DD.MM.YYYY`, `YYYY-MM-DD`, `12 MAR 2031`); a date whose day and month could be swapped
//! (both 12 or under, a US `MM/DD` licence or a European `DD/MM` one) is kept with its confidence
//! halved, so the worker sends it to a reviewer rather than guess.
//!
//! Each field carries the recogniser's confidence (the mean probability of its characters). No
//! check digit protects any of it: the worker accepts a visual read only when every field it needs
//! was read confidently, and says the document was read from its visual zone.

use crate::ocr::TextLine;
use serde::Serialize;

/// One field as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub value: String,
    /// 0–1.
    pub confidence: f32,
}

/// The fields found on a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VisualRead {
    pub surname: Option<Field>,
    pub given_names: Option<Field>,
    pub document_number: Option<Field>,
    /// ISO `YYYY-MM-DD`.
    pub date_of_birth: Option<Field>,
    pub date_of_expiry: Option<Field>,
    pub date_of_issue: Option<Field>,
    pub sex: Option<Field>,
    /// A country named anywhere on the page (its ICAO alpha-3 code), e.g. from `REPUBLICA DE
    /// COLOMBIA`; the issuing state is not a labelled field on most licences.
    pub country: Option<String>,
    /// How many text lines the page had.
    pub lines: usize,
}

/// What the recogniser may read on a visual zone.
pub const VISUAL_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 /-.:,'ÁÉÍÓÚÑÜÇÀÈÂÊÔÃÕáéíóúñüçàèâêôãõ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Surname,
    Given,
    Number,
    Birth,
    Expiry,
    Issue,
    Sex,
}

/// Labels, folded (lower case, no accents, single spaces). Longer forms first where one starts
/// another.
const LABELS: &[(&str, Kind)] = &[
    ("surnames", Kind::Surname),
    ("surname", Kind::Surname),
    ("last name", Kind::Surname),
    ("family name", Kind::Surname),
    ("apellidos", Kind::Surname),
    ("apellido", Kind::Surname),
    ("sobrenome", Kind::Surname),
    ("nom", Kind::Surname),
    ("given names", Kind::Given),
    ("given name", Kind::Given),
    ("first name", Kind::Given),
    ("first names", Kind::Given),
    ("nombres", Kind::Given),
    ("nombre", Kind::Given),
    ("prenoms", Kind::Given),
    ("prenom", Kind::Given),
    ("nome", Kind::Given),
    ("licence number", Kind::Number),
    ("license number", Kind::Number),
    ("licence no", Kind::Number),
    ("license no", Kind::Number),
    ("document number", Kind::Number),
    ("document no", Kind::Number),
    ("dl no", Kind::Number),
    ("lic no", Kind::Number),
    ("id no", Kind::Number),
    ("numero de documento", Kind::Number),
    ("numero", Kind::Number),
    ("no", Kind::Number),
    ("date of birth", Kind::Birth),
    ("birth date", Kind::Birth),
    ("fecha de nacimiento", Kind::Birth),
    ("data de nascimento", Kind::Birth),
    ("date de naissance", Kind::Birth),
    ("dob", Kind::Birth),
    ("date of expiry", Kind::Expiry),
    ("expiry date", Kind::Expiry),
    ("expiration date", Kind::Expiry),
    ("expiry", Kind::Expiry),
    ("expires", Kind::Expiry),
    ("exp", Kind::Expiry),
    ("valid until", Kind::Expiry),
    ("fecha de vencimiento", Kind::Expiry),
    ("vencimiento", Kind::Expiry),
    ("vence", Kind::Expiry),
    ("validade", Kind::Expiry),
    ("date of issue", Kind::Issue),
    ("issue date", Kind::Issue),
    ("issued", Kind::Issue),
    ("fecha de expedicion", Kind::Issue),
    ("expedicion", Kind::Issue),
    ("sex", Kind::Sex),
    ("sexo", Kind::Sex),
];

/// Lower case, accents off, punctuation to spaces, single spaces.
fn fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().map(|c| fold_char(c).unwrap_or(' ')) {
        if c != ' ' || !out.ends_with(' ') {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// A character folded for comparison (lower case, accents off), or `None` for anything but a
/// letter or digit.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        'á' | 'à' | 'â' | 'ã' | 'Á' | 'À' | 'Â' | 'Ã' => 'a',
        'é' | 'è' | 'ê' | 'É' | 'È' | 'Ê' => 'e',
        'í' | 'Í' => 'i',
        'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' | 'Õ' => 'o',
        'ú' | 'ü' | 'Ú' | 'Ü' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
        _ => return None,
    })
}

/// [`LABELS`] without their spaces, longest first: built once, read for every line.
static COMPACT_LABELS: std::sync::LazyLock<Vec<(String, Kind)>> = std::sync::LazyLock::new(|| {
    let mut labels: Vec<(String, Kind)> = LABELS.iter().map(|(l, k)| (l.replace(' ', ""), *k)).collect();
    labels.sort_by_key(|(l, _)| std::cmp::Reverse(l.len()));
    labels
});

/// The label a line starts with (after a layout number such as `1.` or `4b`), and the rest of
/// the line's original text after it. Compared without spaces (the recogniser may drop them),
/// longest label first; a label of three letters or fewer (`No`, `Exp`, `DOB`, `Sex`) must be
/// followed by a separator or the end, so a name starting with those letters is not a label.
fn label_of(text: &str) -> Option<(Kind, String)> {
    // Each letter or digit folded, with the byte offset just after it in `text`.
    let chars: Vec<(char, usize)> = text.char_indices().filter_map(|(i, c)| fold_char(c).map(|f| (f, i + c.len_utf8()))).collect();
    let compact: String = chars.iter().map(|(c, _)| *c).collect();
    let digits = compact.chars().take_while(char::is_ascii_digit).count();
    let starts: &[usize] = match digits {
        0 => &[0],
        1 | 2 => &[digits, digits + 1],
        _ => return None,
    };
    for &start in starts {
        let Some(rest) = compact.get(start..) else { continue };
        for (label, kind) in COMPACT_LABELS.iter() {
            if !rest.starts_with(label.as_str()) {
                continue;
            }
            let end = chars[start + label.len() - 1].1;
            let after = &text[end..];
            if label.len() <= 3 && after.chars().next().is_some_and(char::is_alphanumeric) {
                continue;
            }
            return Some((*kind, after.trim().trim_start_matches([':', '.', '-', ',']).trim().to_string()));
        }
    }
    None
}

fn left(l: &TextLine) -> f32 {
    l.line.center.0 - l.line.length / 2.0
}

/// The value line for the label on line `i`: below it, starting near where it starts; else to its
/// right on the same row.
fn value_near(lines: &[TextLine], i: usize) -> Option<&TextLine> {
    let label = &lines[i];
    let h = label.line.height.max(1.0);
    let below = lines
        .iter()
        .enumerate()
        .filter(|(j, l)| {
            *j != i
                && label_of(&l.text).is_none()
                && l.line.center.1 > label.line.center.1 + 0.4 * h
                && l.line.center.1 - label.line.center.1 < 3.0 * h
                && (left(l) - left(label)).abs() < 2.0 * h
        })
        .min_by(|a, b| a.1.line.center.1.total_cmp(&b.1.line.center.1))
        .map(|(_, l)| l);
    below.or_else(|| {
        lines
            .iter()
            .enumerate()
            .filter(|(j, l)| {
                *j != i && label_of(&l.text).is_none() && (l.line.center.1 - label.line.center.1).abs() < 0.5 * h && left(l) > left(label)
            })
            .min_by(|a, b| left(a.1).total_cmp(&left(b.1)))
            .map(|(_, l)| l)
    })
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
/// Spanish and Portuguese month abbreviations that differ from the English ones.
const MONTHS_ES: [(&str, u32); 8] = [("ene", 1), ("abr", 4), ("ago", 8), ("dic", 12), ("fev", 2), ("mai", 5), ("set", 9), ("out", 10)];

/// An ISO date from a printed one, and whether day and month could have been the other way round.
pub fn parse_date(text: &str) -> Option<(String, bool)> {
    let folded = fold(text);
    let parts: Vec<&str> = folded.split(' ').filter(|p| !p.is_empty()).collect();
    let valid = |y: u32, m: u32, d: u32| (1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d);
    let iso = |y: u32, m: u32, d: u32| format!("{y:04}-{m:02}-{d:02}");
    let num = |s: &str| s.parse::<u32>().ok();
    match parts.as_slice() {
        // 2031 03 12 (from 2031-03-12)
        [y, m, d, ..] if y.len() == 4 => {
            let (y, m, d) = (num(y)?, num(m)?, num(d)?);
            valid(y, m, d).then(|| (iso(y, m, d), false))
        }
        // 12 MAR 2031
        [d, m, y, ..] if m.chars().all(|c| c.is_ascii_alphabetic()) => {
            let month = MONTHS
                .iter()
                .position(|x| m.starts_with(x))
                .map(|i| i as u32 + 1)
                .or_else(|| MONTHS_ES.iter().find(|(x, _)| m.starts_with(x)).map(|(_, n)| *n))?;
            let (y, d) = (num(y)?, num(d)?);
            valid(y, month, d).then(|| (iso(y, month, d), false))
        }
        // 12/03/2031, 12.03.2031, 03-12-2031
        [a, b, y, ..] if y.len() == 4 => {
            let (a, b, y) = (num(a)?, num(b)?, num(y)?);
            match (valid(y, b, a), valid(y, a, b)) {
                (true, true) => Some((iso(y, b, a), a != b)),
                (true, false) => Some((iso(y, b, a), false)),
                (false, true) => Some((iso(y, a, b), false)),
                (false, false) => None,
            }
        }
        _ => None,
    }
}

/// The fields of a page from its text lines.
pub fn fields(lines: &[TextLine]) -> VisualRead {
    let mut read = VisualRead { lines: lines.len(), ..Default::default() };
    for (i, line) in lines.iter().enumerate() {
        let Some((kind, rest)) = label_of(&line.text) else { continue };
        let (value, confidence) = if !rest.is_empty() {
            (rest, line.confidence)
        } else {
            match value_near(lines, i) {
                Some(v) => (v.text.trim().to_string(), v.confidence.min(line.confidence.max(v.confidence))),
                None => continue,
            }
        };
        let slot = match kind {
            Kind::Surname => &mut read.surname,
            Kind::Given => &mut read.given_names,
            Kind::Number => &mut read.document_number,
            Kind::Birth => &mut read.date_of_birth,
            Kind::Expiry => &mut read.date_of_expiry,
            Kind::Issue => &mut read.date_of_issue,
            Kind::Sex => &mut read.sex,
        };
        if slot.is_some() {
            continue; // the first label of a kind wins (a later `No.` is often another number)
        }
        let field = match kind {
            Kind::Birth | Kind::Expiry | Kind::Issue => match parse_date(&value) {
                Some((iso, ambiguous)) => Field { value: iso, confidence: if ambiguous { confidence / 2.0 } else { confidence } },
                None => continue,
            },
            Kind::Number => {
                let v: String = value.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
                if v.len() < 4 || !v.chars().any(|c| c.is_ascii_digit()) {
                    continue;
                }
                Field { value: v, confidence }
            }
            Kind::Sex => match fold(&value).chars().next() {
                Some('m') | Some('h') => Field { value: "M".into(), confidence },
                Some('f') => Field { value: "F".into(), confidence },
                _ => continue,
            },
            Kind::Surname | Kind::Given => {
                if value.chars().any(|c| c.is_ascii_digit()) || value.trim().is_empty() {
                    continue;
                }
                Field { value: value.trim().to_uppercase(), confidence }
            }
        };
        *slot = Some(field);
    }
    read.country = lines.iter().find_map(|l| country_in(&l.text));
    read
}

/// Country names printed on licences and ID cards, folded, with their ICAO codes. Only the names a
/// deployment is likely to configure; the page's country otherwise stays unknown (and the worker
/// asks a reviewer).
const COUNTRIES: &[(&str, &str)] = &[
    ("colombia", "COL"),
    ("mexico", "MEX"),
    ("peru", "PER"),
    ("chile", "CHL"),
    ("argentina", "ARG"),
    ("ecuador", "ECU"),
    ("brasil", "BRA"),
    ("brazil", "BRA"),
    ("espana", "ESP"),
    ("spain", "ESP"),
    ("united states", "USA"),
    ("usa", "USA"),
    ("canada", "CAN"),
    ("united kingdom", "GBR"),
    ("france", "FRA"),
    ("deutschland", "D"),
    ("germany", "D"),
    ("italia", "ITA"),
    ("portugal", "PRT"),
    ("panama", "PAN"),
    ("venezuela", "VEN"),
    ("bolivia", "BOL"),
    ("uruguay", "URY"),
    ("paraguay", "PRY"),
    ("costa rica", "CRI"),
    ("guatemala", "GTM"),
];

/// A country named in `text`: as a word, or (names of five letters or more) inside a run the
/// recogniser wrote without spaces (`REPUBLICADECOLOMBIA`).
fn country_in(text: &str) -> Option<String> {
    let folded = format!(" {} ", fold(text));
    let compact = folded.replace(' ', "");
    COUNTRIES
        .iter()
        .find(|(name, _)| folded.contains(&format!(" {name} ")) || (name.len() >= 5 && compact.contains(&name.replace(' ', ""))))
        .map(|(_, code)| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::LineBox;

    fn line(text: &str, x: f32, y: f32) -> TextLine {
        let length = 14.0 * text.len() as f32;
        TextLine {
            text: text.into(),
            confidence: 0.97,
            line: LineBox { center: (x + length / 2.0, y), angle: 0.0, length, height: 24.0, score: 0.9 },
        }
    }

    #[test]
    fn labels_find_their_values_on_the_same_line_below_or_to_the_right() {
        let lines = vec![
            line("REPUBLICA DE COLOMBIA", 40.0, 30.0),
            line("LICENCIA DE CONDUCCION", 40.0, 60.0),
            line("1. Apellidos", 300.0, 120.0),
            line("ROJAS PEÑA", 300.0, 150.0),
            line("2. Nombres", 300.0, 200.0),
            line("LUCIA FERNANDA", 300.0, 230.0),
            line("4a. Fecha de expedición 15/03/2021", 300.0, 280.0),
            line("4b. Vence", 300.0, 330.0),
            line("15/03/2031", 450.0, 330.0),
            line("Licence No: CO-88.412.977", 300.0, 380.0),
            line("Date of birth 1990-04-12", 300.0, 430.0),
            line("Sexo F", 300.0, 480.0),
        ];
        let read = fields(&lines);
        assert_eq!(read.surname.map(|f| f.value).as_deref(), Some("ROJAS PEÑA"));
        assert_eq!(read.given_names.map(|f| f.value).as_deref(), Some("LUCIA FERNANDA"));
        assert_eq!(read.date_of_issue.map(|f| f.value).as_deref(), Some("2021-03-15"));
        assert_eq!(read.date_of_expiry.map(|f| f.value).as_deref(), Some("2031-03-15"));
        assert_eq!(read.document_number.map(|f| f.value).as_deref(), Some("CO88412977"));
        assert_eq!(read.date_of_birth.map(|f| f.value).as_deref(), Some("1990-04-12"));
        assert_eq!(read.sex.map(|f| f.value).as_deref(), Some("F"));
        assert_eq!(read.country.as_deref(), Some("COL"));
    }

    #[test]
    fn printed_dates_are_read_and_an_ambiguous_day_and_month_is_flagged() {
        assert_eq!(parse_date("12 MAR 2031"), Some(("2031-03-12".into(), false)));
        assert_eq!(parse_date("12 ENE 2031"), Some(("2031-01-12".into(), false)));
        assert_eq!(parse_date("25.12.2030"), Some(("2030-12-25".into(), false)));
        assert_eq!(parse_date("12/25/2030"), Some(("2030-12-25".into(), false)), "US order when the day cannot be a month");
        assert_eq!(parse_date("03/04/2030"), Some(("2030-04-03".into(), true)), "3 April or March 4th: flagged");
        assert_eq!(parse_date("2030-02-07"), Some(("2030-02-07".into(), false)));
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("40/40/2030"), None);
    }
}

//! Sanctions and PEP screening: lists loaded from the files operators really have, names matched
//! the way names are written, every hit explained.
//!
//! - Formats: OpenSanctions `targets.simple.csv` (header row; `name`, `aliases` separated by `;`,
//!   `birth_date`, `countries`, `id`, `dataset`), OFAC's `SDN.CSV` (no header; column 2 the name
//!   as `LAST, First`, column 3 the type — only `individual` rows are kept — and dates of birth in
//!   the remarks as `DOB 12 Aug 1974`) and the UN Security Council consolidated list XML
//!   (`INDIVIDUALS/INDIVIDUAL`: `FIRST_NAME`…`FOURTH_NAME`, `INDIVIDUAL_ALIAS/ALIAS_NAME`,
//!   `INDIVIDUAL_DATE_OF_BIRTH/DATE` or `YEAR`; entities are not people and are skipped);
//!   [`load_list`] tells them apart by name and content. Loading is a pure function of the file's bytes, so a list
//!   is refreshed by loading the new file and swapping the [`Screening`] in, without a redeploy.
//! - Matching: names are split into words after ICAO transliteration (the same normalisation as
//!   the declared-name comparison: case, accents and word order do not matter), candidates come from
//!   an index of each word's first and last three letters (so a one-letter slip still finds the
//!   entry). A candidate's name score is how much of the name with fewer words is found in the other
//!   (so a middle name missing on either side does not hide a match), word by word: each word takes
//!   its most similar unused word on the other side, counting its Jaro–Winkler similarity if that
//!   reaches [`WORD_MATCH`] (a slip of a letter) and nothing otherwise (a different word is not
//!   partly the same person), weighted by length. The shorter side needs two words, unless both
//!   names are one word.
//! - Corroboration: a date of birth on both sides moves the score (+0.05 same day, −0.15 different
//!   year); a nationality on both sides that agrees adds 0.03. Every hit carries the list, the
//!   entry, the listed name that matched, the name score and what the corroboration found.

use crate::names::{coverage, words};
use serde::Serialize;
use std::collections::HashMap;

/// The score from which a candidate is a hit (tunable per call).
pub const DEFAULT_THRESHOLD: f64 = 0.88;
/// The Jaro–Winkler similarity from which two words count as the same word.
pub const WORD_MATCH: f64 = 0.88;

/// One listed person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub list: String,
    pub id: String,
    /// The primary name first, then aliases.
    pub names: Vec<String>,
    /// ISO `YYYY-MM-DD` or `YYYY`.
    pub birth_dates: Vec<String>,
    /// Lower-case ISO 3166 alpha-2 codes, as OpenSanctions writes them.
    pub countries: Vec<String>,
    /// A company, organisation or other legal entity (screened against company names only), not
    /// a person.
    #[serde(default)]
    pub organization: bool,
}

/// A hit, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    pub list: String,
    pub entry_id: String,
    pub matched_name: String,
    pub name_score: f64,
    /// `same`, `same_year` (a list giving only the year, or the same year), `different` or
    /// `unknown` (missing on either side).
    pub birth_date: &'static str,
    pub nationality: &'static str,
    pub score: f64,
}

/// What is screened: a name, and optionally a date of birth (`YYYY-MM-DD`) and nationality
/// (alpha-2).
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pub name: &'a str,
    pub birth_date: Option<&'a str>,
    pub country: Option<&'a str>,
    /// Screen against the listed organisations instead of the listed people.
    pub organization: bool,
}

/// Loaded lists with their word index.
#[derive(Debug, Default)]
pub struct Screening {
    entries: Vec<Entry>,
    /// Per entry, per name: its words.
    words: Vec<Vec<Vec<String>>>,
    index: HashMap<String, Vec<u32>>,
}

fn keys(word: &str) -> [String; 2] {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len().min(3);
    [format!("^{}", chars[..n].iter().collect::<String>()), format!("{}$", chars[chars.len() - n..].iter().collect::<String>())]
}

fn name_words(name: &str) -> Vec<String> {
    words(name, mrz::TransliterationStyle::Simple)
}

impl Screening {
    pub fn new(entries: Vec<Entry>) -> Screening {
        let mut s = Screening::default();
        for e in entries {
            let id = s.entries.len() as u32;
            let per_name: Vec<Vec<String>> = e.names.iter().map(|n| name_words(n)).collect();
            for w in per_name.iter().flatten().filter(|w| w.len() >= 2) {
                for k in keys(w) {
                    let slot = s.index.entry(k).or_default();
                    if slot.last() != Some(&id) {
                        slot.push(id);
                    }
                }
            }
            s.entries.push(e);
            s.words.push(per_name);
        }
        s
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry scoring at least `threshold`, best first.
    pub fn screen(&self, q: &Query, threshold: f64) -> Vec<Hit> {
        let query = name_words(q.name);
        let mut candidates: Vec<u32> =
            query.iter().filter(|w| w.len() >= 2).flat_map(|w| keys(w)).filter_map(|k| self.index.get(&k)).flatten().copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut hits = Vec::new();
        for id in candidates {
            let entry = &self.entries[id as usize];
            if entry.organization != q.organization {
                continue;
            }
            let best = self.words[id as usize]
                .iter()
                .zip(&entry.names)
                .filter(|(w, _)| w.len().min(query.len()) >= 2 || (w.len() == 1 && query.len() == 1))
                .map(|(w, name)| {
                    (if w.len() <= query.len() { coverage(w, &query, WORD_MATCH) } else { coverage(&query, w, WORD_MATCH) }, name)
                })
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let Some((name_score, matched)) = best else { continue };
            let birth_date = match q.birth_date {
                Some(d) if !entry.birth_dates.is_empty() => {
                    if entry.birth_dates.iter().any(|b| b == d) {
                        "same"
                    } else if entry.birth_dates.iter().any(|b| d.starts_with(b.as_str()) || b.get(..4) == d.get(..4)) {
                        "same_year"
                    } else {
                        "different"
                    }
                }
                _ => "unknown",
            };
            let nationality = match q.country {
                Some(c) if !entry.countries.is_empty() => {
                    if entry.countries.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                        "same"
                    } else {
                        "different"
                    }
                }
                _ => "unknown",
            };
            let score = name_score
                + match birth_date {
                    "same" => 0.05,
                    "different" => -0.15,
                    _ => 0.0,
                }
                + if nationality == "same" { 0.03 } else { 0.0 };
            let score = (score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
            if score >= threshold {
                hits.push(Hit {
                    list: entry.list.clone(),
                    entry_id: entry.id.clone(),
                    matched_name: matched.clone(),
                    name_score: (name_score * 1000.0).round() / 1000.0,
                    birth_date,
                    nationality,
                    score,
                });
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits
    }
}

/// OpenSanctions `targets.simple.csv`: `Person` rows, and the legal entities (`Company`,
/// `Organization`, `LegalEntity`, `PublicBody`) as organisations. Vessels, aircraft and the rest
/// are not screened.
pub fn load_opensanctions_csv(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| format!("OpenSanctions CSV: {e}"))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or(format!("OpenSanctions CSV: no {name} column"));
    let (id, schema, name, aliases, birth, countries, dataset) =
        (col("id")?, col("schema")?, col("name")?, col("aliases")?, col("birth_date")?, col("countries")?, col("dataset")?);
    let split = |s: Option<&str>| -> Vec<String> {
        s.unwrap_or_default().split(';').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
    };
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("OpenSanctions CSV: {e}"))?;
        let organization = match row.get(schema) {
            Some("Person") => false,
            Some("Company" | "Organization" | "LegalEntity" | "PublicBody") => true,
            _ => continue,
        };
        let mut names = split(row.get(name));
        names.extend(split(row.get(aliases)));
        if names.is_empty() {
            continue;
        }
        out.push(Entry {
            list: format!("opensanctions:{}", row.get(dataset).unwrap_or("default")),
            id: row.get(id).unwrap_or_default().to_string(),
            names,
            birth_dates: split(row.get(birth)),
            countries: split(row.get(countries)).into_iter().map(|c| c.to_ascii_lowercase()).collect(),
            organization,
        });
    }
    Ok(out)
}

/// OFAC `SDN.CSV` (no header): individuals, their `LAST, First` name turned to reading order, and
/// the `DOB dd Mon yyyy` dates in the remarks.
pub fn load_ofac_sdn_csv(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("OFAC SDN CSV: {e}"))?;
        // SDN_Type: `individual`, `-0-` for entities; vessels and aircraft are not screened.
        let organization = match row.get(2).map(str::trim) {
            Some("individual") => false,
            Some("-0-") => true,
            _ => continue,
        };
        let raw = row.get(1).unwrap_or_default().trim();
        let name = match raw.split_once(',') {
            Some((last, first)) if !organization => format!("{} {}", first.trim(), last.trim()),
            _ => raw.to_string(),
        };
        let remarks = row.get(11).unwrap_or_default();
        out.push(Entry {
            list: "ofac:sdn".into(),
            id: row.get(0).unwrap_or_default().trim().to_string(),
            names: vec![name],
            birth_dates: ofac_dates(remarks),
            countries: vec![],
            organization,
        });
    }
    Ok(out)
}

/// `DOB 12 Aug 1974` (also `DOB 1974`, `alt. DOB …`, several separated by `;`) → ISO dates or
/// years.
fn ofac_dates(remarks: &str) -> Vec<String> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let mut out = Vec::new();
    for part in remarks.split(';') {
        // `DOB 12 Aug 1974`, and `alt. DOB 1969` for further dates.
        let Some(rest) = part.find("DOB ").map(|i| &part[i + 4..]) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        match fields.as_slice() {
            [d, m, y, ..] => {
                let month = MONTHS.iter().position(|x| m.to_ascii_lowercase().starts_with(x));
                if let (Ok(d), Some(m), Ok(y)) = (d.parse::<u32>(), month, y.trim_end_matches('.').parse::<u32>()) {
                    out.push(format!("{y:04}-{:02}-{d:02}", m + 1));
                }
            }
            [y] => {
                if let Ok(y) = y.trim_end_matches('.').parse::<u32>() {
                    out.push(format!("{y:04}"));
                }
            }
            _ => {}
        }
    }
    out
}

/// The UN Security Council consolidated list (`consolidated.xml`): entities (their name in
/// `FIRST_NAME` and aliases) as organisations, and individuals, their name parts
/// joined in order, good- and low-quality aliases, and dates (or years) of birth. Nationalities are
/// country names there, not codes, so they are not used for corroboration.
pub fn load_un_consolidated_xml(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "UN consolidated XML: not UTF-8".to_string())?;
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("UN consolidated XML: {e}"))?;
    let child_text = |node: roxmltree::Node, name: &str| -> Option<String> {
        node.children().find(|c| c.has_tag_name(name)).and_then(|c| c.text()).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
    };
    let mut out = Vec::new();
    for person in doc.descendants().filter(|n| n.has_tag_name("INDIVIDUAL")) {
        let primary: Vec<String> =
            ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"].iter().filter_map(|t| child_text(person, t)).collect();
        let mut names = Vec::new();
        if !primary.is_empty() {
            names.push(primary.join(" "));
        }
        names.extend(person.children().filter(|c| c.has_tag_name("INDIVIDUAL_ALIAS")).filter_map(|a| child_text(a, "ALIAS_NAME")));
        if names.is_empty() {
            continue;
        }
        let birth_dates = person
            .children()
            .filter(|c| c.has_tag_name("INDIVIDUAL_DATE_OF_BIRTH"))
            .filter_map(|d| child_text(d, "DATE").map(|x| x.chars().take(10).collect()).or_else(|| child_text(d, "YEAR")))
            .collect();
        let id = child_text(person, "REFERENCE_NUMBER").or_else(|| child_text(person, "DATAID")).unwrap_or_default();
        out.push(Entry { list: "un:consolidated".into(), id, names, birth_dates, countries: vec![], organization: false });
    }
    for entity in doc.descendants().filter(|n| n.has_tag_name("ENTITY")) {
        let mut names: Vec<String> = child_text(entity, "FIRST_NAME").into_iter().collect();
        names.extend(entity.children().filter(|c| c.has_tag_name("ENTITY_ALIAS")).filter_map(|a| child_text(a, "ALIAS_NAME")));
        if names.is_empty() {
            continue;
        }
        let id = child_text(entity, "REFERENCE_NUMBER").or_else(|| child_text(entity, "DATAID")).unwrap_or_default();
        out.push(Entry { list: "un:consolidated".into(), id, names, birth_dates: vec![], countries: vec![], organization: true });
    }
    if out.is_empty() && !doc.descendants().any(|n| n.has_tag_name("CONSOLIDATED_LIST")) {
        return Err("UN consolidated XML: no CONSOLIDATED_LIST element".into());
    }
    Ok(out)
}

/// A list file of any supported format: `.xml` is the UN list; a CSV whose first line starts with
/// the OpenSanctions header (`id,schema,name`) is OpenSanctions; any other CSV is OFAC SDN.
pub fn load_list(file_name: &str, bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xml") {
        return load_un_consolidated_xml(bytes);
    }
    if !lower.ends_with(".csv") {
        return Err(format!("{file_name}: not a list file (.csv or .xml)"));
    }
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if start.starts_with(b"id,schema,name") || start.starts_with(b"\"id\",\"schema\"") {
        load_opensanctions_csv(start)
    } else {
        load_ofac_sdn_csv(start)
    }
}

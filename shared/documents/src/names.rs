//! Name consistency: the names on a document against the name the enrollee declared at sign-up,
//! as the reference's `namesMatch`, `firstNameMatchPercentage`, `lastNameMatchPercentage` and
//! `fullNameMatchPercentage`.
//!
//! Normalisation: ICAO 9303 transliteration (a zone writes `Müller` as `MUELLER` or `MULLER`
//! depending on the issuer, so both forms are tried and the better kept), upper case, anything but
//! A–Z a separator, then words. Order does not matter and middle names may be missing on either
//! side: each word of the side with fewer words is paired with its most similar unused word on the
//! other side. Word similarity is Jaro–Winkler (a name measure: forgiving of a slip in a long word,
//! strict about a different short one), weighted by word length.
//!
//! - `lastNameMatchPercentage`: the document's surname words found in the declared name;
//! - `firstNameMatchPercentage`: the document's first given name found in it;
//! - `fullNameMatchPercentage`: all words, the shorter side against the longer;
//! - `namesMatch`: all three at least [`MATCH_THRESHOLD`].

use serde::Serialize;

/// The percentage each part must reach for `namesMatch`.
pub const MATCH_THRESHOLD: f64 = 85.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameMatch {
    pub names_match: bool,
    pub full_name_match_percentage: f64,
    pub first_name_match_percentage: f64,
    pub last_name_match_percentage: f64,
}

/// The words of `name` under one transliteration style.
pub(crate) fn words(name: &str, style: mrz::TransliterationStyle) -> Vec<String> {
    mrz::transliterate(name, style)
        .to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_uppercase())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// How much of `few` is found in `many` (0..1): each word of `few`, longest first, takes its most
/// similar word of `many` not taken yet, and counts that similarity if it reaches `floor`.
pub(crate) fn coverage(few: &[String], many: &[String], floor: f64) -> f64 {
    if few.is_empty() || many.is_empty() {
        return 0.0;
    }
    let mut order: Vec<&String> = few.iter().collect();
    order.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let mut taken = vec![false; many.len()];
    let (mut score, mut weight) = (0.0, 0.0);
    for w in order {
        let best = many
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken[*i])
            .map(|(i, m)| (i, strsim::jaro_winkler(w, m)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, s)) = best.filter(|(_, s)| *s >= floor) {
            taken[i] = true;
            score += s * w.len() as f64;
        }
        weight += w.len() as f64;
    }
    score / weight
}

/// [`coverage`] as a percentage with one decimal, every similarity counted.
fn percent(few: &[String], many: &[String]) -> f64 {
    (coverage(few, many, 0.0) * 1000.0).round() / 10.0
}

fn measure(surname: &str, given: &str, declared: &str, style: mrz::TransliterationStyle) -> NameMatch {
    let last = words(surname, style);
    let given = words(given, style);
    let declared = words(declared, style);
    let document: Vec<String> = last.iter().chain(given.iter()).cloned().collect();
    let full = if document.len() <= declared.len() { percent(&document, &declared) } else { percent(&declared, &document) };
    let first = percent(&given[..given.len().min(1)], &declared);
    let last = percent(&last, &declared);
    NameMatch {
        names_match: full >= MATCH_THRESHOLD && first >= MATCH_THRESHOLD && last >= MATCH_THRESHOLD,
        full_name_match_percentage: full,
        first_name_match_percentage: first,
        last_name_match_percentage: last,
    }
}

/// The document's `surname` and `given` names against the `declared` full name.
pub fn compare(surname: &str, given: &str, declared: &str) -> NameMatch {
    let a = measure(surname, given, declared, mrz::TransliterationStyle::Expanded);
    let b = measure(surname, given, declared, mrz::TransliterationStyle::Simple);
    if b.full_name_match_percentage > a.full_name_match_percentage { b } else { a }
}

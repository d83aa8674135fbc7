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

/// Words of a company name that say what kind of company it is, not which one (legal forms in
/// the supported countries' languages): left out of the comparison, since documents abbreviate
/// them in many ways (`S.A.S.`, `SAS`, `Sociedad por Acciones Simplificada`).
const LEGAL_FORMS: [&str; 30] = [
    "SAS",
    "SA",
    "LTDA",
    "LTD",
    "LIMITED",
    "LLC",
    "INC",
    "CORP",
    "CORPORATION",
    "GMBH",
    "AG",
    "SL",
    "SRL",
    "SPA",
    "PLC",
    "LLP",
    "BV",
    "NV",
    "CV",
    "DE",
    "CO",
    "COMPANY",
    "SOCIEDAD",
    "ACCIONES",
    "SIMPLIFICADA",
    "ANONIMA",
    "LIMITADA",
    "POR",
    "THE",
    "AND",
];

/// How well a company's legal name is found in a document's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyNameMatch {
    pub name_found: bool,
    /// The best line (or two consecutive lines, for a name that wraps) as a percentage, one
    /// decimal.
    pub match_percentage: f64,
}

/// The distinguishing words of `legal_name` (legal forms and one-letter words left out) looked
/// for in each line of `lines`, and in each pair of consecutive lines; the best coverage counts,
/// with the same word similarity floor as screening (Jaro-Winkler 0.88). Found when it reaches
/// [`MATCH_THRESHOLD`].
pub fn company_name_in_text(legal_name: &str, lines: &[String]) -> CompanyNameMatch {
    let key = |name: &str| -> Vec<String> {
        words(name, mrz::TransliterationStyle::Simple).into_iter().filter(|w| w.len() > 1 && !LEGAL_FORMS.contains(&w.as_str())).collect()
    };
    let mut wanted = key(legal_name);
    if wanted.is_empty() {
        // A name made only of legal-form words: compare it whole.
        wanted = words(legal_name, mrz::TransliterationStyle::Simple);
    }
    let read: Vec<Vec<String>> = lines.iter().map(|l| words(l, mrz::TransliterationStyle::Simple)).collect();
    let mut best = 0.0f64;
    for i in 0..read.len() {
        best = best.max(coverage(&wanted, &read[i], 0.88));
        if let Some(next) = read.get(i + 1) {
            let joined: Vec<String> = read[i].iter().chain(next.iter()).cloned().collect();
            best = best.max(coverage(&wanted, &joined, 0.88));
        }
    }
    let match_percentage = (best * 1000.0).round() / 10.0;
    CompanyNameMatch { name_found: match_percentage >= MATCH_THRESHOLD, match_percentage }
}

#[cfg(test)]
mod company_tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_company_name_is_found_whatever_its_legal_form_is_written_like_and_across_a_wrapped_line() {
        let doc = lines(&[
            "CAMARA DE COMERCIO DE BOGOTA",
            "CERTIFICADO DE EXISTENCIA",
            "RAZON SOCIAL: ACME ANDINA",
            "SOCIEDAD POR ACCIONES SIMPLIFICADA",
        ]);
        assert!(company_name_in_text("Acme Andina S.A.S.", &doc).name_found);
        assert!(company_name_in_text("ACME ANDINA SAS", &doc).name_found);
        let wrapped = lines(&["NAME OF COMPANY: NORTHERN LANTERN", "TRADING COMPANY LIMITED"]);
        assert!(company_name_in_text("Northern Lantern Trading Co. Ltd", &wrapped).name_found);
        let misread = lines(&["RAZON SOCIAL: ACME ANDlNA S A S"]);
        assert!(company_name_in_text("Acme Andina S.A.S.", &misread).name_found, "one misread letter");
    }

    #[test]
    fn another_company_s_document_does_not_carry_the_name() {
        let doc = lines(&["CERTIFICATE OF INCORPORATION", "ZENITH PACIFIC LOGISTICS LTD"]);
        let m = company_name_in_text("Acme Andina S.A.S.", &doc);
        assert!(!m.name_found, "{m:?}");
        assert!(!company_name_in_text("Acme Pacific Logistics Ltd", &doc).name_found, "two of three words are not the name");
    }
}

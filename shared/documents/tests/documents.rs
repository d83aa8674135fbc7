//! The document engine on the ICAO 9303 specimens (the fictitious Anna Maria Eriksson of Utopia, as
//! Doc 9303 prints them) and on names written the ways enrollees write them.

use smartenroll_documents::names::{self, MATCH_THRESHOLD};
use smartenroll_documents::zone::{self, ZoneError};

const TD3: [&str; 2] = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"];
const TD2: [&str; 2] = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"];
const TD1: [&str; 3] = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"];
const MRV_A: [&str; 2] = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C<3UTO6908061F9406236ZE184226B<<<<<<<"];
const MRV_B: [&str; 2] = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L898902C<3UTO6908061F9406236ZE184226"];

/// Lines, layout, kind, document number, birth and expiry dates.
type Specimen = (&'static [&'static str], &'static str, &'static str, &'static str, &'static str, &'static str);

#[test]
fn every_icao_specimen_parses_with_its_fields_and_every_check_digit_valid() {
    let cases: [Specimen; 5] = [
        (&TD3, "TD3", "passport", "L898902C3", "1974-08-12", "2012-04-15"),
        (&TD2, "TD2", "national_id", "D23145890", "1974-08-12", "2012-04-15"),
        (&TD1, "TD1", "national_id", "D23145890", "1974-08-12", "2012-04-15"),
        (&MRV_A, "MRV-A", "visa", "L898902C", "1969-08-06", "2094-06-23"),
        (&MRV_B, "MRV-B", "visa", "L898902C", "1969-08-06", "2094-06-23"),
    ];
    for (lines, format, kind, number, birth, expiry) in cases {
        let z = zone::parse_lines(lines).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!((z.format, z.document_kind, z.document_number.as_str()), (format, kind, number), "{z:?}");
        assert_eq!((z.surname.as_str(), z.given_names.as_str()), ("ERIKSSON", "ANNA MARIA"), "{format}");
        assert_eq!((z.issuing_state.as_str(), z.nationality.as_str(), z.sex.as_str()), ("UTO", "UTO", "F"), "{format}");
        assert_eq!((z.date_of_birth.as_deref(), z.date_of_expiry.as_deref()), (Some(birth), Some(expiry)), "{format}");
        assert!(z.checks.all_valid(), "{format}: {:?}", z.checks);
        assert!(!z.repaired);
    }
    let td3 = zone::parse_lines(&TD3).expect("td3");
    assert_eq!((td3.checks.personal_number, td3.optional_data.as_deref()), (Some(true), Some("ZE184226B")));
    assert_eq!(zone::parse_lines(&MRV_A).expect("visa").checks.composite, None, "visas print no composite digit");
}

#[test]
fn a_one_character_change_in_a_field_a_check_digit_covers_is_caught() {
    // Document number, date of birth, expiry and personal number, one character each.
    for (position, with) in [(3, '7'), (14, '5'), (22, '3'), (30, 'F')] {
        let mut line = TD3[1].to_string();
        line.replace_range(position..position + 1, &with.to_string());
        let z = zone::parse_lines(&[TD3[0], &line]).expect("still a zone");
        assert!(!z.checks.all_valid(), "position {position}: {:?}", z.checks);
        assert!(!z.checks.failed().is_empty());
    }
    let mut td1 = TD1[1].to_string();
    td1.replace_range(0..1, "8");
    let z = zone::parse_lines(&[TD1[0], &td1, TD1[2]]).expect("zone");
    assert_eq!(z.checks.failed(), vec!["dateOfBirth", "composite"]);
}

#[test]
fn ocr_text_is_searched_for_the_zone_and_a_misread_is_repaired_only_where_a_digit_confirms_it() {
    let text = format!("PASSPORT  UTOPIA\nSurname ERIKSSON\n{}\n{}\n", TD3[0], TD3[1].replacen("UTO", "UT0", 1));
    let z = zone::find(&text).expect("found");
    assert_eq!((z.issuing_state.as_str(), z.nationality.as_str()), ("UTO", "UTO"));
    assert!(z.checks.all_valid() && z.repaired, "{z:?}");
    assert_eq!(zone::find("no zone in this text at all"), Err(ZoneError::NotFound));
}

#[test]
fn expiry_is_judged_against_the_given_day_and_the_issuer_against_the_flows_countries() {
    let z = zone::parse_lines(&TD3).expect("td3");
    assert!(z.expired_on("2026-11-27"));
    assert!(!z.expired_on("2012-04-15"), "valid through its expiry day");
    let countries = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(zone::issuer_allowed("COL", &countries(&["Colombia", "Mexico"])));
    assert!(zone::issuer_allowed("MEX", &countries(&["col", "MEX"])));
    assert!(!zone::issuer_allowed("UTO", &countries(&["Colombia"])));
    assert!(!zone::issuer_allowed("COL", &[]));
}

#[test]
fn the_declared_name_matches_despite_case_accents_order_middle_names_and_a_typo() {
    for declared in
        ["Anna Maria Eriksson", "eriksson anna", "ÁNNA MARÍA ERIKSSON", "Anna Eriksson-", "Ana Maria Eriksson", "Anna Marie Erikson"]
    {
        let m = names::compare("ERIKSSON", "ANNA MARIA", declared);
        assert!(m.names_match, "{declared}: {m:?}");
    }
    let m = names::compare("MUELLER", "JOSE", "José Müller");
    assert_eq!(m.full_name_match_percentage, 100.0, "transliterated as the zone writes it: {m:?}");
    let m = names::compare("MULLER", "JOSE", "José Müller");
    assert_eq!(m.full_name_match_percentage, 100.0, "or as other issuers write it: {m:?}");
}

#[test]
fn a_different_person_does_not_match() {
    for declared in ["Carlos Perez", "Maria Gonzalez", "Anna Smith", "Erik Andersson"] {
        let m = names::compare("ERIKSSON", "ANNA MARIA", declared);
        assert!(!m.names_match, "{declared}: {m:?}");
        assert!(
            m.full_name_match_percentage < 100.0 && m.full_name_match_percentage.min(m.last_name_match_percentage) < MATCH_THRESHOLD,
            "{declared}: {m:?}"
        );
    }
}

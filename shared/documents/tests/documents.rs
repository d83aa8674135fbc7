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

mod reading {
    //! Synthetic documents made here: a passport data page in the OCR-B font with a real face
    //! photo and a zone whose check digits are computed for it, read back off the image.

    use image::{Rgb, RgbImage};
    use smartenroll_documents::ocr::Ocr;
    use smartenroll_documents::synthetic;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    fn cache() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache")
    }

    pub fn ocr() -> &'static Ocr {
        static OCR: OnceLock<Ocr> = OnceLock::new();
        OCR.get_or_init(|| {
            let dir = std::env::var("SMARTENROLL_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|_| cache().join("models"));
            Ocr::load(&dir).unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models)"))
        })
    }

    fn font() -> &'static [u8] {
        static FONT: OnceLock<Vec<u8>> = OnceLock::new();
        FONT.get_or_init(|| std::fs::read(cache().join("fonts/OCRB.otf")).expect("OCR-B font (run scripts/fetch-models)"))
    }

    fn td3(surname: &str, given: &str, number: &str, nationality: &str, birth: &str, sex: char, expiry: &str) -> [String; 2] {
        synthetic::td3(&synthetic::Td3 { surname, given, number, nationality, birth, sex, expiry })
    }

    fn passport(face: &RgbImage, zone: &[String; 2]) -> RgbImage {
        synthetic::passport_page(font(), face, zone).expect("page")
    }

    fn photo(name: &str) -> RgbImage {
        image::open(cache().join("test-images").join(format!("{name}.jpg"))).expect("photo (run scripts/fetch-models)").to_rgb8()
    }

    #[test]
    fn a_synthetic_licence_without_a_zone_is_read_from_its_labelled_fields() {
        let licence = synthetic::Licence {
            issuer: "REPUBLICA DE COLOMBIA",
            surname: "ROJAS PENA",
            given: "LUCIA FERNANDA",
            number: "88412977",
            birth: "12/04/1990",
            issued: "15/03/2021",
            expiry: "15/03/2031",
        };
        let card = synthetic::licence_card(font(), &photo("obama2"), &licence).expect("card");
        let reading = ocr().read_document(&card).expect("inference");
        assert!(reading.zone.zone.is_err(), "a licence has no zone");
        let visual = reading.visual.expect("the visual zone is read when there is no zone");
        let value = |f: &Option<smartenroll_documents::visual::Field>| f.as_ref().map(|f| f.value.clone());
        assert_eq!(value(&visual.surname).as_deref(), Some("ROJAS PENA"), "{visual:?}");
        assert_eq!(value(&visual.given_names).as_deref(), Some("LUCIA FERNANDA"), "{visual:?}");
        assert_eq!(value(&visual.document_number).as_deref(), Some("88412977"), "{visual:?}");
        assert_eq!(value(&visual.date_of_birth).as_deref(), Some("1990-04-12"), "{visual:?}");
        assert_eq!(value(&visual.date_of_issue).as_deref(), Some("2021-03-15"), "{visual:?}");
        assert_eq!(value(&visual.date_of_expiry).as_deref(), Some("2031-03-15"), "{visual:?}");
        assert_eq!(visual.country.as_deref(), Some("COL"));
        let least = [&visual.surname, &visual.given_names, &visual.document_number, &visual.date_of_expiry]
            .iter()
            .filter_map(|f| f.as_ref().map(|f| f.confidence))
            .fold(1.0f32, f32::min);
        eprintln!("licence: {} lines, least confidence of the required fields {least:.3}", visual.lines);
        assert!(least >= 0.9, "{visual:?}");
    }

    #[test]
    fn a_synthetic_passport_page_is_read_off_the_image_with_every_check_digit_valid() {
        let zone = td3("ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "740812", 'F', "340415");
        let page = passport(&photo("obama2"), &zone);
        let reading = ocr().read_zone(&page).expect("inference");
        let lines: Vec<&str> = reading.lines.iter().map(|l| l.text.as_str()).collect();
        let z = reading.zone.unwrap_or_else(|e| panic!("{e}: read {lines:?}"));
        assert!(z.checks.all_valid(), "{z:?}");
        assert_eq!((z.surname.as_str(), z.given_names.as_str(), z.document_number.as_str()), ("ERIKSSON", "ANNA MARIA", "L898902C3"));
        assert_eq!((z.date_of_birth.as_deref(), z.date_of_expiry.as_deref()), (Some("1974-08-12"), Some("2034-04-15")));
        assert_eq!(z.lines, zone.to_vec(), "read {lines:?}");
    }

    /// `page` photographed: laid on a darker table (a margin all round), turned by `degrees`.
    fn on_table(page: &RgbImage, degrees: f32) -> RgbImage {
        let (w, h) = (page.width() + 200, page.height() + 200);
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let (cos, sin) = (degrees.to_radians().cos(), degrees.to_radians().sin());
        RgbImage::from_fn(w, h, |x, y| {
            // The source point this pixel shows (the inverse rotation), in page coordinates.
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let (sx, sy) = (cx + dx * cos + dy * sin - 100.0, cy - dx * sin + dy * cos - 100.0);
            if sx >= 0.0 && sy >= 0.0 && sx < page.width() as f32 - 1.0 && sy < page.height() as f32 - 1.0 {
                *page.get_pixel(sx as u32, sy as u32)
            } else {
                Rgb([96, 84, 70])
            }
        })
    }

    /// The camera a little below the page: the top edge 5% narrower than the bottom.
    fn keystone(page: &RgbImage) -> RgbImage {
        let (w, h) = (page.width() as f32, page.height() as f32);
        RgbImage::from_fn(page.width(), page.height(), |x, y| {
            let shrink = 1.0 - 0.05 * (1.0 - y as f32 / h);
            let sx = w / 2.0 + (x as f32 - w / 2.0) / shrink;
            if sx >= 0.0 && sx < w { *page.get_pixel(sx as u32, y) } else { Rgb([96, 84, 70]) }
        })
    }

    fn jpeg(page: &RgbImage, quality: u8) -> RgbImage {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(page).expect("encode");
        image::load_from_memory(&bytes).expect("decode").to_rgb8()
    }

    /// The issue's target is 9 in 10; measured 22 of 24 (2026-11-27: both misses are the first,
    /// name-only line of one page, whose letters the recogniser drops under keystone or rotation
    /// with compression). The bound sits one read below what was
    /// measured, because the inference kernels tract picks differ across CPUs; the figure is
    /// printed and recorded in the README.
    #[test]
    fn perturbed_pages_are_read_and_the_read_rate_is_reported() {
        let people = [
            (td3("ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "740812", 'F', "340415"), "obama2"),
            (td3("OKONKWO", "CHIDI", "A12345678", "NGA", "881103", 'M', "310228"), "obama"),
            (td3("GARCIA MARQUEZ", "JOSE LUIS", "PA0042917", "COL", "690521", 'M', "290930"), "biden"),
        ];
        type Perturb = fn(&RgbImage) -> RgbImage;
        let perturbations: [(&str, Perturb); 8] = [
            ("rotated -5", |p| on_table(p, -5.0)),
            ("rotated -2.5", |p| on_table(p, -2.5)),
            ("rotated +2.5", |p| on_table(p, 2.5)),
            ("rotated +5", |p| on_table(p, 5.0)),
            ("jpeg 50", |p| jpeg(p, 50)),
            ("blurred (sigma 1.2)", |p| image::imageops::blur(p, 1.2)),
            ("keystone 5%", keystone),
            ("rotated +3, jpeg 50", |p| jpeg(&on_table(p, 3.0), 50)),
        ];
        let (mut read, mut total, mut misses) = (0, 0, Vec::new());
        for (zone, face) in &people {
            let page = passport(&photo(face), zone);
            for (name, perturb) in &perturbations {
                total += 1;
                let reading = ocr().read_zone(&perturb(&page)).expect("inference");
                match reading.zone {
                    Ok(z) if z.checks.all_valid() && z.lines == zone.to_vec() => read += 1,
                    other => misses.push(format!(
                        "{} {name}: {:?} from {:?}",
                        zone[0],
                        other.map(|z| z.lines),
                        reading.lines.iter().map(|l| &l.text).collect::<Vec<_>>()
                    )),
                }
            }
        }
        let rate = read as f64 / total as f64;
        eprintln!("read rate: {read}/{total} = {rate:.3}; missed: {misses:#?}");
        assert!(rate >= 0.85, "read {read} of {total}: {misses:#?}");
    }
}

mod screening {
    //! Screening on sample files in the real formats (written here, fictional people) and on
    //! generated lists of 10,000 entries per format.

    use smartenroll_documents::screening::{self, DEFAULT_THRESHOLD, Query, Screening};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).expect("fixture")
    }

    fn samples() -> Screening {
        let mut entries = screening::load_opensanctions_csv(&fixture("opensanctions.simple.csv")).expect("OpenSanctions");
        entries.extend(screening::load_ofac_sdn_csv(&fixture("ofac_sdn.csv")).expect("OFAC"));
        entries.extend(screening::load_un_consolidated_xml(&fixture("un_consolidated.xml")).expect("UN"));
        Screening::new(entries)
    }

    fn hit_ids(s: &Screening, name: &str) -> Vec<String> {
        s.screen(&Query { name, ..Default::default() }, DEFAULT_THRESHOLD).into_iter().map(|h| h.entry_id).collect()
    }

    #[test]
    fn the_sample_files_load_people_with_their_aliases_and_dates_of_birth_and_organisations_apart() {
        let all = screening::load_opensanctions_csv(&fixture("opensanctions.simple.csv")).expect("OpenSanctions");
        let (orgs, os): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| e.organization);
        assert_eq!((os.len(), orgs.len()), (4, 1), "the company is an organisation, not a person");
        assert_eq!(orgs[0].names, vec!["Northwind Shell Holdings Ltd"]);
        assert_eq!(os[0].names, vec!["Jürgen Albrecht Müller", "Juergen Mueller", "J. A. Muller"]);
        assert_eq!(
            (os[2].birth_dates.clone(), os[2].countries.clone()),
            (vec!["1970".to_string()], vec!["ae".to_string(), "om".to_string()])
        );
        let ofac = screening::load_ofac_sdn_csv(&fixture("ofac_sdn.csv")).expect("OFAC");
        assert_eq!(ofac.len(), 3, "the vessel is not a person");
        assert_eq!((ofac[0].names[0].as_str(), ofac[0].birth_dates.clone()), ("Etienne Marcel DELACROIX", vec!["1974-08-12".to_string()]));
        assert_eq!(ofac[1].birth_dates, vec!["1968", "1969"]);
        let all = screening::load_un_consolidated_xml(&fixture("un_consolidated.xml")).expect("UN");
        let (orgs, un): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| e.organization);
        assert_eq!((un.len(), orgs.len()), (2, 1), "the entity is an organisation, not a person");
        assert!(orgs[0].names.contains(&"Lantern Trading".to_string()), "{:?}", orgs[0].names);
        assert_eq!(
            (un[0].id.as_str(), un[0].names.clone()),
            ("FXi.001", vec!["KOFI MENSAH ASANTE".to_string(), "Kofi Asante".to_string()])
        );
        assert_eq!(
            (un[0].birth_dates.clone(), un[1].birth_dates.clone()),
            (vec!["1966-02-17".to_string()], vec!["1979".to_string(), "1980".to_string()])
        );
        // One loader for any file: told apart by name and first line.
        for (file, list) in
            [("opensanctions.simple.csv", "opensanctions:"), ("ofac_sdn.csv", "ofac:sdn"), ("un_consolidated.xml", "un:consolidated")]
        {
            let entries = screening::load_list(file, &fixture(file)).expect(file);
            assert!(entries.iter().all(|e| e.list.starts_with(list)), "{file}");
        }
        assert!(screening::load_list("notes.txt", b"hello").is_err());
        assert!(screening::load_un_consolidated_xml(b"<CONSOLIDATED_LIST><INDIVIDUALS>").is_err(), "a cut-off file is refused");
    }

    #[test]
    fn a_listed_company_is_found_only_when_a_company_is_screened() {
        let s = samples();
        let org = |name: &str| -> Vec<String> {
            s.screen(&Query { name, organization: true, ..Default::default() }, DEFAULT_THRESHOLD).into_iter().map(|h| h.entry_id).collect()
        };
        assert_eq!(org("NORTHWIND SHELL HOLDINGS LTD"), vec!["os-fict-0003"]);
        assert_eq!(org("Northwind Shell Holdings"), vec!["os-fict-0003"]);
        assert!(hit_ids(&s, "Northwind Shell Holdings Ltd").is_empty(), "a person named like the company is not the company");
        assert!(org("Jurgen Albrecht Muller").is_empty(), "a listed person is not a listed company");
        assert!(org("Acme Andina SAS").is_empty());
    }

    #[test]
    fn a_listed_name_is_found_despite_case_accents_order_and_a_typo_and_a_different_name_is_not() {
        let s = samples();
        for name in
            ["jurgen albrecht muller", "MÜLLER Jürgen Albrecht", "Jurgen Albrect Muller", "Juergen Mueller", "Juergen Klaus Mueller"]
        {
            assert_eq!(hit_ids(&s, name), vec!["os-fict-0001"], "{name}");
        }
        assert_eq!(hit_ids(&s, "Etienne Delacroix"), vec!["9001"]);
        assert_eq!(hit_ids(&s, "Ahmad Al Farsi"), vec!["os-fict-0004"]);
        assert_eq!(hit_ids(&s, "Asante Kofi Mensah"), vec!["FXi.001"]);
        assert_eq!(hit_ids(&s, "Svetlana Kovalenco"), vec!["FXi.002"]);
        for name in ["Maria Fernanda Lopez", "Jurgen Schmidt", "Anna Maria Eriksson", "Olena Petrenko", "Etienne Dupont"] {
            assert!(hit_ids(&s, name).is_empty(), "{name}: {:?}", hit_ids(&s, name));
        }
    }

    #[test]
    fn a_hit_explains_itself_and_a_different_date_of_birth_lowers_it() {
        let s = samples();
        let same =
            s.screen(&Query { name: "Etienne Marcel Delacroix", birth_date: Some("1974-08-12"), country: None, organization: false }, 0.0);
        let other =
            s.screen(&Query { name: "Etienne Marcel Delacroix", birth_date: Some("1990-01-01"), country: None, organization: false }, 0.0);
        let (same, other) = (&same[0], &other[0]);
        assert_eq!((same.list.as_str(), same.matched_name.as_str(), same.birth_date), ("ofac:sdn", "Etienne Marcel DELACROIX", "same"));
        assert_eq!(other.birth_date, "different");
        assert!(same.score > other.score && other.score < DEFAULT_THRESHOLD, "{same:?} {other:?}");
    }

    /// A deterministic generator of plausible name words from syllables.
    struct Names(u64);

    impl Names {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        /// Two or three syllables of 18 consonants × 5 vowels (about 740,000 words).
        fn word(&mut self) -> String {
            const CONSONANTS: &[u8] = b"bdfghjklmnprstvwyz";
            const VOWELS: &[u8] = b"aeiou";
            let n = 2 + self.next() % 2;
            let mut w = String::new();
            for _ in 0..n {
                w.push(char::from(CONSONANTS[(self.next() % CONSONANTS.len() as u64) as usize]));
                w.push(char::from(VOWELS[(self.next() % VOWELS.len() as u64) as usize]));
            }
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        }
        fn name(&mut self) -> String {
            let words = 2 + self.next() % 2;
            (0..words).map(|_| self.word()).collect::<Vec<_>>().join(" ")
        }
    }

    #[test]
    fn ten_thousand_entries_per_format_are_screened_with_a_reported_false_positive_rate() {
        let mut names = Names(7);
        let listed: Vec<String> = (0..10_000).map(|_| names.name()).collect();
        let mut os = String::from(
            "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n",
        );
        let mut ofac = String::new();
        let mut un = String::from("<CONSOLIDATED_LIST><INDIVIDUALS>");
        for (i, n) in listed.iter().enumerate() {
            let parts: String =
                n.split(' ').zip(["FIRST_NAME", "SECOND_NAME", "THIRD_NAME"]).map(|(w, t)| format!("<{t}>{w}</{t}>")).collect();
            un.push_str(&format!(
                "<INDIVIDUAL><DATAID>{i}</DATAID>{parts}<REFERENCE_NUMBER>GEN.{i}</REFERENCE_NUMBER><INDIVIDUAL_DATE_OF_BIRTH><YEAR>1970</YEAR></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL>"
            ));
            os.push_str(&format!("gen-{i},Person,{n},,19{:02}-01-01,xx,,,,,,generated,,,\n", i % 100));
            let (first, last) = n.rsplit_once(' ').expect("two words");
            ofac.push_str(&format!(
                "{},\"{}, {first}\",\"individual\",\"GEN\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"-0-\",\"DOB 1970.\"\n",
                100_000 + i,
                last.to_ascii_uppercase()
            ));
        }
        let lists = [
            ("OpenSanctions", screening::load_opensanctions_csv(os.as_bytes()).expect("generated OpenSanctions")),
            ("OFAC SDN", screening::load_ofac_sdn_csv(ofac.as_bytes()).expect("generated OFAC")),
            (
                "UN consolidated",
                screening::load_un_consolidated_xml(format!("{un}</INDIVIDUALS></CONSOLIDATED_LIST>").as_bytes()).expect("generated UN"),
            ),
        ];
        let mut others = Names(99);
        let unlisted: Vec<String> = (0..2_000).map(|_| others.name()).filter(|n| !listed.contains(n)).collect();
        for (format, entries) in lists {
            assert_eq!(entries.len(), 10_000, "{format}");
            let s = Screening::new(entries);
            // Every listed name is found again with its words reversed and one letter dropped.
            let mut found = 0;
            for n in listed.iter().step_by(50) {
                let mut words: Vec<String> = n.split(' ').map(str::to_string).rev().collect();
                let w = &mut words[0];
                w.remove(w.len() / 2);
                let query = words.join(" ");
                found += usize::from(!s.screen(&Query { name: &query, ..Default::default() }, DEFAULT_THRESHOLD).is_empty());
            }
            let flagged =
                unlisted.iter().filter(|n| !s.screen(&Query { name: n, ..Default::default() }, DEFAULT_THRESHOLD).is_empty()).count();
            let rate = flagged as f64 / unlisted.len() as f64;
            eprintln!("{format}: 10000 entries; listed names found {found}/200; false positives {flagged}/{} = {rate:.4}", unlisted.len());
            assert_eq!(found, 200, "{format}");
            assert!(rate < 0.02, "{format}: {flagged} of {} unlisted names flagged", unlisted.len());
        }
    }
}

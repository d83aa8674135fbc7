//! Countries. The API speaks display names (the reference's 38 supported countries, plus `"All"`
//! for `allowedCountries`); inside, a country is its ISO 3166-1 alpha-3 code, because identity
//! documents (MRZ) speak ISO codes. This table is the one mapping between the two.

use serde::{Deserialize, Serialize};

/// (alpha-3, alpha-2, display name)
const TABLE: [(&str, &str, &str); 38] = [
    ("ARG", "AR", "Argentina"),
    ("AUS", "AU", "Australia"),
    ("AUT", "AT", "Austria"),
    ("BEL", "BE", "Belgium"),
    ("BRA", "BR", "Brazil"),
    ("CAN", "CA", "Canada"),
    ("CHL", "CL", "Chile"),
    ("COL", "CO", "Colombia"),
    ("CRI", "CR", "Costa Rica"),
    ("ECU", "EC", "Ecuador"),
    ("SLV", "SV", "El Salvador"),
    ("FRA", "FR", "France"),
    ("DEU", "DE", "Germany"),
    ("GTM", "GT", "Guatemala"),
    ("HND", "HN", "Honduras"),
    ("IRL", "IE", "Ireland"),
    ("ITA", "IT", "Italy"),
    ("MEX", "MX", "Mexico"),
    ("NLD", "NL", "Netherlands"),
    ("NIC", "NI", "Nicaragua"),
    ("NOR", "NO", "Norway"),
    ("PAN", "PA", "Panama"),
    ("PRY", "PY", "Paraguay"),
    ("PER", "PE", "Peru"),
    ("PRT", "PT", "Portugal"),
    ("PRI", "PR", "Puerto Rico"),
    ("RUS", "RU", "Russia"),
    ("ESP", "ES", "Spain"),
    ("SWE", "SE", "Sweden"),
    ("CHE", "CH", "Switzerland"),
    ("TTO", "TT", "Trinidad and Tobago"),
    ("GBR", "GB", "United Kingdom"),
    ("USA", "US", "United States"),
    ("URY", "UY", "Uruguay"),
    ("VEN", "VE", "Venezuela"),
    ("VNM", "VN", "Vietnam"),
    ("YEM", "YE", "Yemen"),
    ("UZB", "UZ", "Uzbekistan"),
];

/// Display names that older pages of the reference use for the same country.
const ALIASES: [(&str, &str); 1] = [("United States of America", "USA")];

/// A supported country (a row of the table), identified by its ISO alpha-3 code. Serialised as
/// its display name, the API's form; parsed from either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(u8);

impl Country {
    /// Accepts a display name (any case; older aliases too) or an ISO alpha-3 code.
    pub fn parse(s: &str) -> Option<Country> {
        let s = s.trim();
        TABLE
            .iter()
            .position(|(a3, _, name)| name.eq_ignore_ascii_case(s) || a3.eq_ignore_ascii_case(s))
            .map(|i| Country(i as u8))
            .or_else(|| ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(s)).and_then(|(_, a3)| Country::parse(a3)))
    }
    fn row(self) -> (&'static str, &'static str, &'static str) {
        TABLE[usize::from(self.0) % TABLE.len()]
    }
    pub fn alpha3(self) -> &'static str {
        self.row().0
    }
    pub fn alpha2(self) -> &'static str {
        self.row().1
    }
    pub fn display_name(self) -> &'static str {
        self.row().2
    }
    pub fn all() -> impl Iterator<Item = Country> {
        (0..TABLE.len()).map(|i| Country(i as u8))
    }
}

impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Country::parse(&s).ok_or_else(|| format!("unsupported country {s}"))
    }
}
impl From<Country> for String {
    fn from(c: Country) -> String {
        c.display_name().to_string()
    }
}

/// `allowedCountries`: every supported country, or a list. Serialised as the API shows it: display
/// names, or `["All"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<&'static str>")]
pub enum AllowedCountries {
    All,
    Only(Vec<Country>),
}

impl TryFrom<Vec<String>> for AllowedCountries {
    type Error = String;
    fn try_from(v: Vec<String>) -> Result<Self, String> {
        if v.iter().any(|s| s.eq_ignore_ascii_case("all")) {
            return Ok(AllowedCountries::All);
        }
        v.iter()
            .map(|s| Country::parse(s).ok_or_else(|| format!("unsupported country {s}")))
            .collect::<Result<_, _>>()
            .map(AllowedCountries::Only)
    }
}
impl From<AllowedCountries> for Vec<&'static str> {
    fn from(a: AllowedCountries) -> Self {
        a.display_names()
    }
}

impl AllowedCountries {
    pub fn allows(&self, c: Country) -> bool {
        match self {
            AllowedCountries::All => true,
            AllowedCountries::Only(list) => list.contains(&c),
        }
    }
    /// The API form: display names, or `["All"]`.
    pub fn display_names(&self) -> Vec<&'static str> {
        match self {
            AllowedCountries::All => vec!["All"],
            AllowedCountries::Only(list) => list.iter().map(|c| c.display_name()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_aliases_and_iso_codes_map_to_one_country() {
        let usa = Country::parse("United States");
        assert_eq!(usa.map(Country::alpha3), Some("USA"));
        assert_eq!(Country::parse("United States of America"), usa);
        assert_eq!(Country::parse("usa"), usa);
        assert_eq!(Country::parse("  united states "), usa);
        assert_eq!(usa.map(Country::alpha2), Some("US"));
        assert_eq!(Country::parse("Trinidad and Tobago").map(Country::display_name), Some("Trinidad and Tobago"));
        assert_eq!(Country::parse("Atlantis"), None);
        assert_eq!(Country::all().count(), 38);
    }

    #[test]
    fn every_table_row_round_trips_through_its_display_name_and_code() {
        for c in Country::all() {
            assert_eq!(Country::parse(c.display_name()), Some(c));
            assert_eq!(Country::parse(c.alpha3()), Some(c));
            assert_eq!(c.alpha3().len(), 3);
            assert_eq!(c.alpha2().len(), 2);
        }
    }
}

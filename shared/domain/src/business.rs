//! Business onboarding (KYB): the company a business registration is about, and the people linked
//! to it. A business registration is an app registration on a `target: business` flow: the
//! applicant signs up with their email or phone as any enrollee does, and the registration carries
//! the [`Company`]. Each representative is a personal registration of its own, on the personal flow
//! the business flow's `representatives` section describes, linked to the business by a
//! [`Link`] (role, ownership); so a representative is verified by exactly the document, selfie and
//! screening machinery a person is, and the business decision reads their outcomes.

pub mod formats;

use crate::country::Country;
use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The company data given at sign-up. Field names are ours (the reference names none); they follow
/// the reference's camelCase and the words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    pub legal_name: String,
    pub registration_number: String,
    pub country_of_incorporation: Country,
    #[serde(default)]
    pub tax_id: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
}

pub const LEGAL_NAME_MAX: usize = 200;
pub const NUMBER_MAX: usize = 40;
pub const ADDRESS_MAX: usize = 300;
/// The most people one business registration links (a bound on the record's size).
pub const REPRESENTATIVES_MAX: usize = 25;

/// Reads `company` from a registration request: legal name, registration number and country of
/// incorporation required; tax id, address and website optional. The country accepts a name or an
/// ISO code as project countries do. Number formats are not judged here: a number that fails its
/// country's rule is a failed company check, visible to the operator, not a refused sign-up (the
/// applicant may have typed it as printed on a document the check then reads).
pub fn read_company(body: &Map<String, Value>) -> Result<Company, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(c) = body.get("company").and_then(Value::as_object) else {
        let message = match body.get("company") {
            None | Some(Value::Null) => {
                "is required on a business flow: {legalName, registrationNumber, countryOfIncorporation, taxId, address, website}"
            }
            Some(_) => "must be an object {legalName, registrationNumber, countryOfIncorporation, taxId, address, website}",
        };
        return Err(vec![FieldError::new("company", message)]);
    };
    let mut text = |key: &str, required: bool, max: usize| -> Option<String> {
        let field = format!("company.{key}");
        match c.get(key) {
            None | Some(Value::Null) => {
                if required {
                    errors.push(FieldError::new(field, "is required"));
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                if required {
                    errors.push(FieldError::new(field, "is required"));
                }
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                errors.push(FieldError::new(field, format!("must be at most {max} characters")));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                errors.push(FieldError::new(field, "must be a string"));
                None
            }
        }
    };
    let legal_name = text("legalName", true, LEGAL_NAME_MAX);
    let registration_number = text("registrationNumber", true, NUMBER_MAX);
    let country = text("countryOfIncorporation", true, 60);
    let tax_id = text("taxId", false, NUMBER_MAX);
    let address = text("address", false, ADDRESS_MAX);
    let website = text("website", false, 300);
    let country = country.and_then(|name| {
        let alpha2 = || Country::all().find(|c| c.alpha2().eq_ignore_ascii_case(&name));
        Country::parse(&name).or_else(alpha2).or_else(|| {
            errors.push(FieldError::new("company.countryOfIncorporation", "country not supported"));
            None
        })
    });
    if let Some(w) = &website {
        let with_scheme = if w.contains("://") { w.clone() } else { format!("https://{w}") };
        if !url::Url::parse(&with_scheme)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| h.contains('.')))
        {
            errors.push(FieldError::new("company.website", "must be a web address such as https://acme.com"));
        }
    }
    for (key, value) in [("registrationNumber", &registration_number), ("taxId", &tax_id)] {
        if value.as_ref().is_some_and(|v| !v.chars().any(|c| c.is_ascii_alphanumeric())) {
            errors.push(FieldError::new(format!("company.{key}"), "must contain letters or digits"));
        }
    }
    match (legal_name, registration_number, country) {
        (Some(legal_name), Some(registration_number), Some(country_of_incorporation)) if errors.is_empty() => {
            Ok(Company { legal_name, registration_number, country_of_incorporation, tax_id, address, website })
        }
        _ => Err(errors),
    }
}

crate::config::string_enum!(
    /// What a linked person is to the business (the four roles; the British and American
    /// spellings of the signatory, and `ubo`, are accepted on input).
    Role {
        LegalRepresentative = "legal_representative",
        Director = "director",
        UltimateBeneficialOwner = "ultimate_beneficial_owner" | "ubo" | "beneficial_owner",
        AuthorisedSignatory = "authorised_signatory" | "authorized_signatory"
    }
);

impl Role {
    /// Also with hyphens or spaces for underscores.
    pub fn parse_lenient(s: &str) -> Option<Role> {
        Role::parse(&s.trim().replace(['-', ' '], "_"))
    }
}

/// A representative registration's link to its business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    /// The business registration's id.
    pub business: crate::ids::RegistrationId,
    pub role: Role,
    /// Share of the company this person owns, in percent (0 < p ≤ 100); required for an ultimate
    /// beneficial owner.
    #[serde(default)]
    pub ownership_percentage: Option<f64>,
    /// Whether the business decision waits for this person's `COMPLETED`.
    pub mandatory: bool,
}

/// One person invited to a business, as the business registration keeps it: the link, and the
/// person's registration status as last reported (updated by a job when that registration changes
/// status; see `verification::representative_changed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Representative {
    #[serde(rename = "_id")]
    pub registration: crate::ids::RegistrationId,
    pub role: Role,
    #[serde(default)]
    pub ownership_percentage: Option<f64>,
    pub mandatory: bool,
    pub status: crate::registration::RegistrationStatus,
    pub invited_at: crate::clock::Timestamp,
    pub updated_at: crate::clock::Timestamp,
}

/// Reads an invitation's role, ownership and whether it is mandatory. `default_mandatory` is the
/// flow's `steps.legalRepresentative == mandatory`.
pub fn read_link(
    body: &Map<String, Value>,
    business: crate::ids::RegistrationId,
    default_mandatory: bool,
) -> Result<Link, Vec<FieldError>> {
    let mut errors = Vec::new();
    let role = match body.get("role") {
        Some(Value::String(s)) => Role::parse_lenient(s).or_else(|| {
            errors.push(FieldError::new("role", format!("must be one of {}", Role::allowed())));
            None
        }),
        None | Some(Value::Null) => {
            errors.push(FieldError::new("role", format!("is required: one of {}", Role::allowed())));
            None
        }
        Some(_) => {
            errors.push(FieldError::new("role", "must be a string"));
            None
        }
    };
    let ownership = match body.get("ownershipPercentage") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64().filter(|p| *p > 0.0 && *p <= 100.0) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError::new("ownershipPercentage", "must be a number above 0 and at most 100"));
                None
            }
        },
    };
    if role == Some(Role::UltimateBeneficialOwner) && ownership.is_none() && !errors.iter().any(|e| e.field == "ownershipPercentage") {
        errors.push(FieldError::new("ownershipPercentage", "is required for an ultimate beneficial owner"));
    }
    let mandatory = match body.get("mandatory") {
        None | Some(Value::Null) => default_mandatory,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("mandatory", "must be true or false"));
            default_mandatory
        }
    };
    match role {
        Some(role) if errors.is_empty() => Ok(Link { business, role, ownership_percentage: ownership, mandatory }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn fields(e: Vec<FieldError>) -> Vec<String> {
        e.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn company_data_needs_a_name_a_number_and_a_supported_country() {
        let ok = read_company(&obj(json!({"company": {
            "legalName": " Acme Andina S.A.S. ", "registrationNumber": "01234567", "countryOfIncorporation": "CO",
            "taxId": "800.197.268-4", "address": "Cra 7 # 71-21, Bogota", "website": "acme.co"
        }})))
        .expect("valid");
        assert_eq!(ok.legal_name, "Acme Andina S.A.S.");
        assert_eq!(ok.country_of_incorporation.alpha2(), "CO");
        assert_eq!(fields(read_company(&obj(json!({}))).unwrap_err()), ["company"]);
        let bad = read_company(&obj(
            json!({"company": {"legalName": "", "registrationNumber": "--", "countryOfIncorporation": "Atlantis", "website": "not a site", "taxId": 7}}),
        ));
        assert_eq!(
            fields(bad.unwrap_err()),
            ["company.legalName", "company.taxId", "company.countryOfIncorporation", "company.website", "company.registrationNumber"]
        );
        let long = read_company(&obj(
            json!({"company": {"legalName": "x".repeat(201), "registrationNumber": "1", "countryOfIncorporation": "Peru"}}),
        ));
        assert_eq!(fields(long.unwrap_err()), ["company.legalName"]);
    }

    #[test]
    fn an_invitation_names_a_role_and_an_owner_names_a_share() {
        let id = crate::ids::RegistrationId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").expect("id");
        let link = read_link(&obj(json!({"role": "UBO", "ownershipPercentage": 40})), id.clone(), true).expect("valid");
        assert_eq!((link.role, link.ownership_percentage, link.mandatory), (Role::UltimateBeneficialOwner, Some(40.0), true));
        let link = read_link(&obj(json!({"role": "authorized signatory", "mandatory": false})), id.clone(), true).expect("valid");
        assert_eq!((link.role, link.mandatory), (Role::AuthorisedSignatory, false));
        assert_eq!(
            fields(read_link(&obj(json!({"role": "ultimate_beneficial_owner"})), id.clone(), true).unwrap_err()),
            ["ownershipPercentage"]
        );
        assert_eq!(
            fields(read_link(&obj(json!({"role": "director", "ownershipPercentage": 0})), id.clone(), true).unwrap_err()),
            ["ownershipPercentage"]
        );
        assert_eq!(
            fields(read_link(&obj(json!({"role": "director", "ownershipPercentage": 100.5})), id.clone(), true).unwrap_err()),
            ["ownershipPercentage"]
        );
        assert_eq!(fields(read_link(&obj(json!({"role": "mascot"})), id.clone(), true).unwrap_err()), ["role"]);
        assert_eq!(fields(read_link(&obj(json!({})), id, true).unwrap_err()), ["role"]);
    }
}

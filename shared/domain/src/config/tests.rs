//! Table-driven tests for every rule, enum and range of the configuration reader.

use super::*;
use serde_json::json;

fn step1() -> Value {
    json!({
        "name": "Acme KYC",
        "allowedCountries": ["Colombia", "United States"],
        "contactEmail": "privacy@acme.com",
        "privacyUrl": "https://acme.com/privacy",
        "termsAndConditionsUrl": "https://acme.com/terms",
        "dataProtection": {"name": "Acme DPO", "email": "dpo@acme.com", "address": "1 Main St", "city": "Bogota", "country": "Colombia", "postalCode": "110111"},
        "target": "personal"
    })
}

fn full() -> Value {
    let mut v = step1();
    merge(
        &mut v,
        &json!({
            "projectFlowType": "onboarding",
            "projectFlow": {
                "target": "personal", "type": "onboarding",
                "signUpForm": {"fullName": true, "fullNameStyle": "together", "email": true, "emailGateway": "mailgun", "phone": true, "phoneGateway": "sms", "allowAdditionalFields": false, "additionalFields": [], "showPrivacyNotice": true, "showTermsAndConditions": true},
                "steps": {"document": "mandatory", "liveness": "mandatory"},
                "documents": {"attemptLimit": 3, "verificationMethods": ["SCAN_PROMPT"], "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "government_id", "documentTemplates": []}]}], "screening": true},
                "liveness": {"attemptLimit": 3, "minScore": 0.65, "searchMinScore": 0.8, "searchMode": "FAST"},
                "integrations": {"redirectUrl": "https://acme.com/done", "webhook": null, "source": "NONE", "strategy": "none"}
            },
            "branding": {"buttonColor": "#B2BDD3"}
        }),
    );
    v
}

fn read(v: &Value) -> Result<ProjectConfig, Vec<FieldError>> {
    read_config(&normalise_patch(v.as_object().expect("object")))
}

/// Applies `patch` to the full valid document and returns the fields that failed.
fn failing_fields(patch: Value) -> Vec<String> {
    let mut v = full();
    merge(&mut v, &patch);
    match read(&v) {
        Ok(_) => vec![],
        Err(e) => e.into_iter().map(|e| e.field).collect(),
    }
}

#[test]
fn a_complete_project_reads_without_errors_and_round_trips_through_its_json_form() {
    let c = read(&full()).expect("valid");
    let again = read_config(&c.to_json()).expect("its own JSON form is valid");
    assert_eq!(c, again);
}

#[test]
fn every_rule_rejects_its_bad_value_and_names_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": "x".repeat(61)}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": 7}), "name"),
        (json!({"allowedCountries": ["Atlantis"]}), "allowedCountries[0]"),
        (json!({"allowedCountries": []}), "allowedCountries"),
        (json!({"allowedCountries": 3}), "allowedCountries"),
        (json!({"contactEmail": "not-an-email"}), "contactEmail"),
        (json!({"privacyUrl": "acme.com/privacy"}), "privacyUrl"),
        (json!({"termsAndConditionsUrl": "ftp://acme.com/t"}), "termsAndConditionsUrl"),
        (json!({"dataProtection": {"email": "dpo@"}}), "dataProtection.email"),
        (json!({"dataProtection": {"postalCode": "12"}}), "dataProtection.postalCode"),
        (json!({"dataProtection": {"postalCode": "1234567890123"}}), "dataProtection.postalCode"),
        (json!({"dataProtection": {"postalCode": "11_0111"}}), "dataProtection.postalCode"),
        (json!({"dataProtection": {"city": null}}), "dataProtection.city"),
        (json!({"defaultLanguage": "English"}), "defaultLanguage"),
        (json!({"target": "robots"}), "target"),
        (json!({"demoOTP": "12ab56"}), "demoOTP"),
        (json!({"projectFlowType": "survey"}), "projectFlowType"),
        (json!({"projectFlowType": "login", "projectFlow": {"type": "login"}}), "projectFlowType"),
        (json!({"projectFlow": {"signUpForm": {"fullNameStyle": "initials"}}}), "projectFlow.signUpForm.fullNameStyle"),
        (json!({"projectFlow": {"signUpForm": {"emailGateway": "pigeon"}}}), "projectFlow.signUpForm.emailGateway"),
        (json!({"projectFlow": {"signUpForm": {"phoneGateway": "fax"}}}), "projectFlow.signUpForm.phoneGateway"),
        (json!({"projectFlow": {"signUpForm": {"email": false, "phone": false}}}), "projectFlow.signUpForm"),
        (json!({"projectFlow": {"signUpForm": {"countryCode": "XX"}}}), "projectFlow.signUpForm.countryCode"),
        (json!({"projectFlow": {"steps": {"document": "sometimes"}}}), "projectFlow.steps.document"),
        (json!({"projectFlow": {"steps": {"liveness": "never"}}}), "projectFlow.steps.liveness"),
        (json!({"projectFlow": {"documents": {"attemptLimit": 0}}}), "projectFlow.documents.attemptLimit"),
        (json!({"projectFlow": {"documents": {"attemptLimit": 6}}}), "projectFlow.documents.attemptLimit"),
        (json!({"projectFlow": {"documents": {"attemptLimit": 2.5}}}), "projectFlow.documents.attemptLimit"),
        (json!({"projectFlow": {"documents": {"verificationMethods": null}}}), "projectFlow.documents.verificationMethods"),
        (json!({"projectFlow": {"documents": {"verificationMethods": []}}}), "projectFlow.documents.verificationMethods"),
        (json!({"projectFlow": {"documents": {"verificationMethods": ["FAX"]}}}), "projectFlow.documents.verificationMethods[0]"),
        (json!({"projectFlow": {"documents": {"documentTypes": null}}}), "projectFlow.documents.documentTypes"),
        (json!({"projectFlow": {"documents": {"documentTypes": []}}}), "projectFlow.documents.documentTypes"),
        (
            json!({"projectFlow": {"documents": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": false, "documentCategory": "passport"}]}]}}}),
            "projectFlow.documents.documentTypes[0].configurations",
        ),
        (
            json!({"projectFlow": {"documents": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "diploma"}]}]}}}),
            "projectFlow.documents.documentTypes[0].configurations[0].documentCategory",
        ),
        (
            json!({"projectFlow": {"documents": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "tax_document"}]}]}}}),
            "projectFlow.documents.documentTypes[0].configurations[0].documentCategory",
        ),
        (
            json!({"projectFlow": {"documents": {"documentTypes": [{"country": "Mars", "configurations": [{"active": true, "documentCategory": "passport"}]}]}}}),
            "projectFlow.documents.documentTypes[0].country",
        ),
        (
            json!({"projectFlow": {"documents": {"documentTypes": [{"country": "Peru", "configurations": [{"active": true, "documentCategory": "passport"}]}, {"country": "PER", "configurations": [{"active": true, "documentCategory": "passport"}]}]}}}),
            "projectFlow.documents.documentTypes[1].country",
        ),
        (json!({"projectFlow": {"liveness": {"attemptLimit": 0}}}), "projectFlow.liveness.attemptLimit"),
        (json!({"projectFlow": {"liveness": {"attemptLimit": 9}}}), "projectFlow.liveness.attemptLimit"),
        (json!({"projectFlow": {"liveness": {"minScore": 0.51}}}), "projectFlow.liveness.minScore"),
        (json!({"projectFlow": {"liveness": {"minScore": 0.91}}}), "projectFlow.liveness.minScore"),
        (json!({"projectFlow": {"liveness": {"minScore": "high"}}}), "projectFlow.liveness.minScore"),
        (json!({"projectFlow": {"liveness": {"searchMinScore": 0.69}}}), "projectFlow.liveness.searchMinScore"),
        (json!({"projectFlow": {"liveness": {"searchMinScore": 0.96}}}), "projectFlow.liveness.searchMinScore"),
        (json!({"projectFlow": {"liveness": {"searchMode": "SLOW"}}}), "projectFlow.liveness.searchMode"),
        (json!({"projectFlow": {"liveness": {"mode": "telepathic"}}}), "projectFlow.liveness.mode"),
        (json!({"projectFlow": {"integrations": {"source": "FTP"}}}), "projectFlow.integrations.source"),
        (json!({"projectFlow": {"integrations": {"strategy": "whitelist"}}}), "projectFlow.integrations.strategy"),
        (json!({"projectFlow": {"integrations": {"source": "API"}}}), "projectFlow.integrations.apiUrl"),
        (
            json!({"projectFlow": {"integrations": {"source": "API", "apiUrl": "https://acme.com/u", "apiTestValue": "a@b.co"}}}),
            "projectFlow.integrations.apiTestType",
        ),
        (
            json!({"projectFlow": {"integrations": {"source": "API", "apiUrl": "https://acme.com/u", "apiTestType": "email"}}}),
            "projectFlow.integrations.apiTestValue",
        ),
        (json!({"projectFlow": {"integrations": {"apiTestType": "fax"}}}), "projectFlow.integrations.apiTestType"),
        (json!({"projectFlow": {"integrations": {"strategy": "blacklist", "source": "NONE"}}}), "projectFlow.integrations.source"),
        (json!({"projectFlow": {"integrations": {"redirectUrl": "javascript:alert(1)"}}}), "projectFlow.integrations.redirectUrl"),
        (json!({"projectFlow": {"integrations": {"webhook": "123"}}}), "projectFlow.integrations.webhook"),
        (json!({"projectFlow": {"integrations": {"failMode": "maybe"}}}), "projectFlow.integrations.failMode"),
        (json!({"branding": {"backgroundColor": "blue"}}), "branding.backgroundColor"),
        (json!({"branding": {"buttonColor": "#12345"}}), "branding.buttonColor"),
        (json!({"branding": {"titleColor": "#GGGGGG"}}), "branding.titleColor"),
        (json!({"branding": {"logo": "not a url"}}), "branding.logo"),
        (json!({"branding": {"txtColor": "red"}}), "branding.textColor"),
    ];
    for (patch, field) in cases {
        let fields = failing_fields(patch.clone());
        assert!(fields.iter().any(|f| f == field), "patch {patch} should fail on {field}, failed on {fields:?}");
    }
}

#[test]
fn values_at_the_edges_of_each_range_are_accepted() {
    let ok: Vec<Value> = vec![
        json!({"name": "x".repeat(60)}),
        json!({"allowedCountries": ["All"]}),
        json!({"allowedCountries": "All"}),
        json!({"allowedCountries": ["United States of America", "MEX"]}),
        json!({"dataProtection": {"postalCode": "123"}}),
        json!({"dataProtection": {"postalCode": "SW1A 1AA-123"}}),
        json!({"projectFlow": {"documents": {"attemptLimit": 1}, "liveness": {"attemptLimit": 5, "minScore": 0.52, "searchMinScore": 0.95}}}),
        json!({"projectFlow": {"documents": {"attemptLimit": 5}, "liveness": {"attemptLimit": 1, "minScore": 0.90, "searchMinScore": 0.70, "searchMode": "ACCURATE"}}}),
        json!({"branding": {"backgroundColor": "#FFF", "buttonColor": "#ffffff80", "imageBackgroundColor": "white"}}),
        json!({"projectFlow": {"steps": {"document": "skip"}, "documents": null}}),
        json!({"projectFlow": {"integrations": {"source": "API", "apiUrl": "https://acme.com/users", "apiTestType": "phone", "apiTestValue": "+573001112233", "strategy": "blacklist"}}}),
    ];
    for patch in ok {
        assert_eq!(failing_fields(patch.clone()), Vec::<String>::new(), "{patch}");
    }
}

#[test]
fn documented_naming_variants_are_accepted_and_answered_in_one_form() {
    let mut v = full();
    merge(
        &mut v,
        &json!({
            "branding": {"bgColor": "#111111", "txtColor": "#222222", "buttonTxtColor": "#333333", "rightImage": "https://acme.com/side.png", "rightBackgroundColor": "black"},
            "projectFlow": {
                "signUpForm": {"fullNameStyle": "combined", "countryCode": true, "additionalFields": ["Role", {"name": "company", "label": "Company", "type": "text", "required": true}]},
                "steps": {"document": "mandatory", "liveness": "disabled"},
                "documents": {"verificationMethods": ["scan", "upload", "SCAN_ZERO", "SCAN_PROMPT"]}
            },
            "settings": {"defaultLanguage": "es"}
        }),
    );
    v.as_object_mut().map(|m| m.remove("defaultLanguage"));
    let c = read(&v).expect("variants are valid");
    let j = c.to_json();
    assert_eq!(j["branding"]["backgroundColor"], "#111111");
    assert_eq!(j["branding"]["textColor"], "#222222");
    assert_eq!(j["branding"]["buttonTextColor"], "#333333");
    assert_eq!(j["branding"]["image"], "https://acme.com/side.png");
    assert_eq!(j["branding"]["imageBackgroundColor"], "black");
    assert!(j["branding"].get("bgColor").is_none());
    assert_eq!(j["defaultLanguage"], "es");
    let flow = &j["projectFlow"];
    assert_eq!(flow["signUpForm"]["fullNameStyle"], "together");
    assert_eq!(flow["signUpForm"]["countryCode"], Value::Null);
    assert_eq!(flow["signUpForm"]["additionalFields"][0], json!({"name": "Role", "label": "Role", "type": "text", "required": false}));
    assert_eq!(flow["signUpForm"]["additionalFields"][1]["required"], true);
    assert_eq!(flow["steps"]["liveness"], "skip");
    assert_eq!(flow["documents"]["verificationMethods"], json!(["SCAN_PROMPT", "SCAN_STUDIO", "SCAN_ZERO"]));
}

#[test]
fn the_v3_branding_name_wins_over_its_legacy_twin_in_one_request() {
    let mut v = full();
    merge(&mut v, &json!({"branding": {"bgColor": "#111111", "backgroundColor": "#222222"}}));
    assert_eq!(read(&v).expect("valid").to_json()["branding"]["backgroundColor"], "#222222");
}

#[test]
fn countries_are_display_names_outside_and_iso_codes_inside() {
    let c = read(&full()).expect("valid");
    assert_eq!(c.allowed_countries, AllowedCountries::Only(vec![Country::parse("COL").unwrap(), Country::parse("USA").unwrap()]));
    assert_eq!(c.to_json()["allowedCountries"], json!(["Colombia", "United States"]));
    let flow = c.flow.expect("flow");
    assert_eq!(flow.documents.expect("documents").document_types[0].country.alpha3(), "COL");
}

#[test]
fn a_flow_needs_its_type_from_projectflowtype_or_its_own_type() {
    let mut v = step1();
    merge(&mut v, &json!({"projectFlow": {"signUpForm": {"email": true}}}));
    assert!(read(&v).unwrap_err().iter().any(|e| e.field == "projectFlowType"));
    merge(&mut v, &json!({"projectFlow": {"type": "onboarding"}}));
    assert!(read(&v).is_ok());
    merge(&mut v, &json!({"projectFlowType": "login"}));
    assert!(read(&v).is_err(), "conflicting types are rejected");
}

#[test]
fn liveness_without_settings_uses_the_recommended_values() {
    let mut v = step1();
    merge(&mut v, &json!({"projectFlowType": "onboarding", "projectFlow": {"steps": {"liveness": "mandatory"}}}));
    let l = read(&v).expect("valid").flow.and_then(|f| f.liveness).expect("defaults");
    assert_eq!((l.attempt_limit, l.min_score.value(), l.search_min_score.value(), l.search_mode), (3, 0.65, 0.80, SearchMode::Fast));
    assert_eq!(l.mode, LivenessMode::Passive);
}

#[test]
fn unknown_and_read_only_fields_are_ignored() {
    let mut v = full();
    merge(
        &mut v,
        &json!({"_id": "x", "__v": 9, "client": "y", "createdAt": "z", "currentStep": 99, "projectFlows": [1], "hello": "world"}),
    );
    assert!(read(&v).is_ok());
}

#[test]
fn every_error_is_reported_at_once() {
    let v = json!({"name": "", "allowedCountries": ["Mars"], "contactEmail": "nope", "privacyUrl": "nope"});
    let errors = read(&v).unwrap_err();
    assert!(errors.len() >= 4, "{errors:?}");
}

#[test]
fn json_merge_patch_replaces_arrays_merges_objects_and_removes_nulls() {
    let mut base = json!({"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": true});
    merge(&mut base, &json!({"a": {"c": 3}, "list": [9], "gone": null}));
    assert_eq!(base, json!({"a": {"b": 1, "c": 3}, "list": [9]}));
}

#[test]
fn a_length_limit_counts_the_characters_as_sent_surrounding_spaces_included() {
    // The published schema's maxLength counts them so; a reader trimming first would accept what
    // the schema calls invalid.
    let mut doc = step1();
    doc["name"] = json!(format!("{} ", "a".repeat(NAME_MAX)));
    let errors = read_config(doc.as_object().unwrap()).unwrap_err();
    assert_eq!(errors[0].field, "name", "{errors:?}");
    doc["name"] = json!(format!(" {} ", "a".repeat(NAME_MAX - 2)));
    assert_eq!(read_config(doc.as_object().unwrap()).map(|c| c.name.len()), Ok(NAME_MAX - 2), "stored trimmed");
}

#[test]
fn a_score_just_below_its_range_is_refused_exactly_at_the_published_minimum() {
    let mut doc = full();
    let below = f64::from_bits(LIVENESS_MIN_SCORE.0.to_bits() - 1);
    doc["projectFlow"]["liveness"]["minScore"] = json!(below);
    let errors = read_config(doc.as_object().unwrap()).unwrap_err();
    assert_eq!(errors[0].field, "projectFlow.liveness.minScore", "{errors:?}");
    doc["projectFlow"]["liveness"]["minScore"] = json!(LIVENESS_MIN_SCORE.0);
    assert!(read_config(doc.as_object().unwrap()).is_ok());
}

/// A complete business project (reference 5.7, business flow): company documents, two kinds of
/// checks on the company, representatives with their own form, documents and liveness.
fn business() -> Value {
    let mut v = step1();
    merge(
        &mut v,
        &json!({
            "target": "business",
            "projectFlowType": "onboarding",
            "projectFlow": {
                "target": "business", "type": "onboarding",
                "signUpForm": {"fullName": true, "email": true, "phone": false},
                "steps": {"businessVerification": true, "legalRepresentative": "mandatory", "liveness": "mandatory"},
                "business": {"attemptLimit": 2, "screening": true, "informationVerification": false, "criminalHistoryVerification": false,
                    "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "business_document"}, {"active": false, "documentCategory": "tax_document"}]}]},
                "representatives": {
                    "information": {"fullName": true, "fullNameStyle": "separate", "email": true, "phone": true},
                    "documents": {"attemptLimit": 3, "verificationMethods": ["upload"], "screening": false,
                        "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "passport"}]}]},
                    "liveness": {"minScore": 0.7}
                },
                "integrations": {"redirectUrl": "https://acme.com/done"}
            }
        }),
    );
    v
}

fn business_failing_fields(patch: Value) -> Vec<String> {
    let mut v = business();
    merge(&mut v, &patch);
    match read(&v) {
        Ok(_) => vec![],
        Err(e) => e.into_iter().map(|e| e.field).collect(),
    }
}

#[test]
fn a_complete_business_project_reads_and_round_trips_through_its_json_form() {
    let c = read(&business()).expect("valid");
    let flow = c.flow.as_ref().expect("flow");
    assert_eq!(flow.target, Target::Business);
    assert_eq!(flow.steps.business_verification, Some(true));
    assert_eq!(flow.steps.legal_representative, Some(StepMode::Mandatory));
    let company = flow.business.as_ref().expect("business section");
    assert_eq!((company.attempt_limit, company.screening), (2, true));
    assert_eq!(company.document_types[0].configurations[0].category, DocumentCategory::BusinessDocument);
    let reps = flow.representatives.as_ref().expect("representatives");
    assert_eq!(reps.information.full_name_style, FullNameStyle::Separate);
    assert_eq!(reps.liveness.min_score.value(), 0.7);
    assert_eq!(read_config(&c.to_json()).expect("its own JSON form is valid"), c);
}

#[test]
fn every_business_rule_rejects_its_bad_value_and_names_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"projectFlow": {"business": {"attemptLimit": 0}}}), "projectFlow.business.attemptLimit"),
        (json!({"projectFlow": {"business": {"attemptLimit": 6}}}), "projectFlow.business.attemptLimit"),
        (json!({"projectFlow": {"business": {"screening": "yes"}}}), "projectFlow.business.screening"),
        (json!({"projectFlow": {"business": {"documentTypes": []}}}), "projectFlow.business.documentTypes"),
        (json!({"projectFlow": {"business": {"documentTypes": null}}}), "projectFlow.business.documentTypes"),
        (
            json!({"projectFlow": {"business": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "passport"}]}]}}}),
            "projectFlow.business.documentTypes[0].configurations[0].documentCategory",
        ),
        (
            json!({"projectFlow": {"business": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": false, "documentCategory": "tax_document"}]}]}}}),
            "projectFlow.business.documentTypes[0].configurations",
        ),
        (json!({"projectFlow": {"business": null}}), "projectFlow.business"),
        (json!({"projectFlow": {"representatives": null}}), "projectFlow.representatives"),
        (json!({"projectFlow": {"representatives": {"information": null}}}), "projectFlow.representatives.information"),
        (
            json!({"projectFlow": {"representatives": {"information": {"email": false, "phone": false}}}}),
            "projectFlow.representatives.information",
        ),
        (
            json!({"projectFlow": {"representatives": {"documents": {"verificationMethods": []}}}}),
            "projectFlow.representatives.documents.verificationMethods",
        ),
        (
            json!({"projectFlow": {"representatives": {"documents": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "bank_document"}]}]}}}}),
            "projectFlow.representatives.documents.documentTypes[0].configurations[0].documentCategory",
        ),
        (json!({"projectFlow": {"representatives": {"liveness": {"minScore": 0.95}}}}), "projectFlow.representatives.liveness.minScore"),
        (json!({"projectFlow": {"steps": {"legalRepresentative": "sometimes"}}}), "projectFlow.steps.legalRepresentative"),
        (json!({"projectFlow": {"steps": {"businessVerification": "yes"}}}), "projectFlow.steps.businessVerification"),
        (json!({"projectFlow": {"steps": {"document": "mandatory"}}}), "projectFlow.steps.document"),
        (json!({"projectFlow": {"steps": {"legalRepresentative": "skip"}}}), "projectFlow.steps.liveness"),
        (json!({"projectFlow": {"documents": {"attemptLimit": 3}}}), "projectFlow.documents"),
        (json!({"projectFlow": {"liveness": {"minScore": 0.7}}}), "projectFlow.liveness"),
        (json!({"projectFlow": {"target": "personal"}}), "projectFlow.target"),
    ];
    for (patch, field) in cases {
        let failed = business_failing_fields(patch.clone());
        assert!(failed.iter().any(|f| f == field), "{patch} should fail on {field}, failed on {failed:?}");
    }
}

#[test]
fn a_personal_flow_refuses_the_business_sections_and_steps() {
    for (patch, field) in [
        (json!({"projectFlow": {"steps": {"legalRepresentative": "mandatory"}}}), "projectFlow.steps.legalRepresentative"),
        (json!({"projectFlow": {"steps": {"businessVerification": true}}}), "projectFlow.steps.businessVerification"),
        (json!({"projectFlow": {"business": {"screening": true}}}), "projectFlow.business"),
        (json!({"projectFlow": {"representatives": {}}}), "projectFlow.representatives"),
        (json!({"projectFlow": {"target": "business"}}), "projectFlow.target"),
    ] {
        let failed = failing_fields(patch.clone());
        assert!(failed.iter().any(|f| f == field), "{patch} should fail on {field}, failed on {failed:?}");
    }
}

#[test]
fn skipped_business_steps_need_no_sections() {
    let patch = json!({"projectFlow": {"steps": {"businessVerification": false, "legalRepresentative": "skip", "liveness": "skip"}, "business": null, "representatives": null}});
    assert_eq!(business_failing_fields(patch), Vec::<String>::new());
}

#[test]
fn a_representative_goes_through_a_personal_flow_made_of_the_representatives_sections() {
    let c = read(&business()).expect("valid");
    let flow = c.flow.as_ref().expect("flow");
    let rep = flow.representative_flow().expect("representatives are invited");
    assert_eq!(rep.target, Target::Personal);
    assert_eq!(rep.steps.document, Some(StepMode::Mandatory));
    assert_eq!(rep.steps.liveness, Some(StepMode::Mandatory));
    assert_eq!(rep.sign_up_form.as_ref().map(|f| f.full_name_style), Some(FullNameStyle::Separate));
    assert_eq!(rep.documents.as_ref().map(|d| d.document_types[0].configurations[0].category), Some(DocumentCategory::Passport));
    assert_eq!(rep.liveness.as_ref().map(|l| l.min_score.value()), Some(0.7));
    assert!(rep.documents.as_ref().is_some_and(|d| d.screening), "the business screens, so its people are screened");
    assert_eq!(rep.integrations, flow.integrations);
    assert!(rep.business.is_none() && rep.representatives.is_none());

    let mut none = business();
    merge(&mut none, &json!({"projectFlow": {"steps": {"legalRepresentative": "skip", "liveness": "skip"}}}));
    assert!(read(&none).expect("valid").flow.expect("flow").representative_flow().is_none());
    assert!(read(&full()).expect("valid").flow.expect("flow").representative_flow().is_none());
}

//! The JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of the request and success bodies, per
//! endpoint function. The OpenAPI document ([`crate::openapi`]) puts them in its operations.
//!
//! Where the rules live: bodies are read by hand-written readers (the domain's config reader, the
//! registration, webhook and blocklist readers, the handlers' own field checks) because they must
//! accept every documented naming variant and report every broken rule with its field path, which
//! serde derive cannot do. So these schemas are written next to the routes, from the readers'
//! own constants and enums (`NAME_MAX`, `Target::ALLOWED`, the score ranges, …), and kept true
//! by tests rather than by derivation:
//! - schemathesis (scripts/test) sends schema-invalid bodies to the live server and fails if one
//!   is accepted, and checks every answer against the success schema;
//! - every events fixture answered 2xx must validate against its operation's request schema
//!   (scripts/schemathesis checks the committed fixtures).
//!
//! The rule for writing one: a schema may be looser than its reader (a body it allows may still be
//! refused with a 422 naming the field), never stricter. Case-insensitive enums are patterns that
//! list the canonical values; `null` is allowed where the reader treats it as "not given"; lengths
//! count characters as sent (the readers count them the same way, surrounding spaces included).

use serde_json::{Map, Value, json};
use smartenroll_domain::config::{
    self, ApiTestType, BRANDING_ALIASES, BRANDING_FIELDS, ColourKind, DocumentCategory, EmailGateway, FailMode, FlowType, FullNameStyle,
    LivenessMode, LoginStep, PhoneGateway, Requiredness, SearchMode, Source, StepMode, Strategy, Target, VerificationMethod,
};
use smartenroll_domain::project::ProjectStatus;
use smartenroll_domain::registration::RegistrationStatus;

/// `^\s*(?:[aA][bB]|…)\s*$`: one of `allowed` (`a|b|c`), any case, surrounding spaces allowed.
fn any_case(allowed: &str) -> String {
    let alternatives: Vec<String> = allowed
        .split('|')
        .map(|word| {
            word.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect()
        })
        .collect();
    format!("^\\s*(?:{})\\s*$", alternatives.join("|"))
}

/// A case-insensitive choice, `null` meaning "not given".
fn choice(allowed: &str, description: &str) -> Value {
    json!({"type": ["string", "null"], "pattern": any_case(allowed), "description": format!("{description}: one of {allowed} (any case)")})
}

fn required_choice(allowed: &str, description: &str) -> Value {
    json!({"type": "string", "pattern": any_case(allowed), "description": format!("{description}: one of {allowed} (any case)")})
}

fn text(max: usize) -> Value {
    json!({"type": ["string", "null"], "maxLength": max})
}

fn required_text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn flag() -> Value {
    json!({"type": ["boolean", "null"]})
}

fn whole(min: i64, max: i64) -> Value {
    json!({"type": ["integer", "null"], "minimum": min, "maximum": max})
}

fn number((min, max): (f64, f64)) -> Value {
    json!({"type": ["number", "null"], "minimum": min, "maximum": max})
}

fn url() -> Value {
    json!({"type": ["string", "null"], "maxLength": config::URL_MAX, "description": "An absolute http(s) URL"})
}

fn object_id() -> Value {
    json!({"$ref": "#/components/schemas/ObjectId"})
}

fn object(properties: Value, required: &[&str]) -> Value {
    let mut o = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// The person a sign-up names (reference 6.4: email and/or phone with its country code, the name
/// together or separate, language, the form's additional fields), added to `extra`: the same in a
/// registration and in a representative's invitation, which both read it with one reader.
fn person_fields(mut extra: Value) -> Value {
    let person = json!({
        "email": text(smartenroll_domain::registration::EMAIL_MAX),
        "phone": text(32),
        "countryCode": text(8),
        "fullName": text(200),
        "firstName": text(100),
        "lastName": text(100),
        "language": {"type": ["string", "null"], "maxLength": 8, "pattern": "^\\s*[A-Za-z-]*\\s*$"},
        "additionalFields": {
            "type": ["object", "null"],
            "description": "Values of the sign-up form's additionalFields, by name (only names the form lists; required ones must be there)",
            "additionalProperties": {"type": ["string", "null"], "maxLength": smartenroll_domain::registration::ADDITIONAL_FIELD_MAX}
        },
    });
    if let (Value::Object(extra), Value::Object(person)) = (&mut extra, person) {
        extra.extend(person);
    }
    extra
}

fn nullable_object(properties: Value) -> Value {
    json!({"type": ["object", "null"], "properties": properties})
}

/// `projectFlow` (step 2–5 sections), as the project endpoints and the flow endpoints take them.
fn flow_sections() -> Map<String, Value> {
    let step = || choice(StepMode::allowed(), "The step's requirement (`disabled` = skip)");
    let additional_field = json!({"anyOf": [
        {"type": "string", "minLength": 1, "maxLength": 60},
        object(json!({"name": required_text(60), "label": text(120), "type": text(30), "required": flag()}), &["name"])
    ]});
    let template = object(
        json!({
            "promptTemplate": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 64}, object(json!({"_id": {"type": "string"}}), &["_id"])]},
            "required": choice(Requiredness::allowed(), "Whether the page must be sent"),
        }),
        &["promptTemplate"],
    );
    let configuration = object(
        json!({
            "active": flag(),
            "documentCategory": required_choice(DocumentCategory::allowed(), "What the document is (personal flows: government_id|passport|license; business flows: the other three)"),
            "documentTemplates": {"type": ["array", "null"], "items": template},
        }),
        &["documentCategory"],
    );
    let document_type = object(
        json!({"country": {"type": "string", "minLength": 1, "description": "A supported country's name"}, "configurations": {"type": "array", "items": configuration}}),
        &["country", "configurations"],
    );
    let (live_min, search_min) = (config::LIVENESS_MIN_SCORE, config::SEARCH_MIN_SCORE);
    let sign_up_form = nullable_object(json!({
        "fullName": flag(),
        "fullNameStyle": choice(FullNameStyle::allowed(), "One name field or first + last"),
        "email": flag(),
        "emailGateway": choice(EmailGateway::allowed(), "How email codes are sent"),
        "phone": flag(),
        "phoneGateway": choice(PhoneGateway::allowed(), "How phone codes are sent"),
        "countryCode": {"type": ["string", "boolean", "null"], "pattern": "^\\s*(?:[A-Za-z]{2})?\\s*$", "description": "A supported country's ISO alpha-2 code (a boolean is accepted and ignored)"},
        "allowAdditionalFields": flag(),
        "additionalFields": {"type": ["array", "null"], "items": additional_field},
        "showPrivacyNotice": flag(),
        "showTermsAndConditions": flag(),
    }));
    let documents = nullable_object(json!({
        "attemptLimit": whole(1, 5),
        "verificationMethods": {"type": ["array", "null"], "items": {"type": "string", "pattern": any_case(VerificationMethod::ALLOWED_WITH_ALIASES.trim_end_matches('|'))}},
        "documentTypes": {"type": ["array", "null"], "items": document_type},
        "informationVerification": flag(),
        "screening": flag(),
        "criminalHistoryVerification": flag(),
    }));
    let liveness = nullable_object(json!({
        "attemptLimit": whole(1, 5),
        "minScore": number(live_min),
        "searchMinScore": number(search_min),
        "searchMode": choice(SearchMode::allowed(), "Face search mode"),
        "mode": choice(LivenessMode::allowed(), "passive: one selfie; active: a challenge sequence"),
    }));
    let sections = json!({
        "type": choice(FlowType::allowed(), "The flow's type"),
        "target": choice(Target::allowed(), "Who enrolls"),
        "status": choice(ProjectStatus::ALLOWED, "The project's status (changes together with the project's)"),
        "signUpForm": sign_up_form,
        "steps": nullable_object(json!({
            "document": step(),
            "liveness": step(),
            "businessVerification": {"type": ["boolean", "null"], "description": "Business flows: whether the company's data and documents are verified"},
            "legalRepresentative": step(),
        })),
        "documents": documents,
        "liveness": liveness,
        "business": nullable_object(json!({
            "attemptLimit": whole(1, 5),
            "criminalHistoryVerification": flag(),
            "documentTypes": {"type": ["array", "null"], "items": document_type},
            "informationVerification": flag(),
            "screening": flag(),
        })),
        "representatives": nullable_object(json!({"information": sign_up_form, "documents": documents, "liveness": liveness})),
        "integrations": nullable_object(json!({
            "redirectUrl": url(),
            "webhook": {"type": ["string", "null"], "pattern": "^(?:[0-9a-fA-F]{24})?$", "description": "A webhook's id (empty or null: none)"},
            "webhookUrl": url(),
            "source": choice(Source::allowed(), "Where the blacklist comes from"),
            "strategy": choice(Strategy::allowed(), "What the list is used for"),
            "apiUrl": url(),
            "apiTestType": choice(ApiTestType::allowed(), "What the integration test sends"),
            "apiTestValue": text(254),
            "failMode": choice(FailMode::allowed(), "When the blacklist API cannot be reached: closed (manual review) or open"),
        })),
        "redirectUrl": url(),
        "webhookUrl": url(),
    });
    match sections {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn branding() -> Value {
    let kind_schema = |kind: ColourKind| match kind {
        ColourKind::Hex => json!({"type": ["string", "null"], "pattern": "^\\s*#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\\s*$"}),
        ColourKind::HexOrName => json!({"type": ["string", "null"], "description": "A CSS hex colour or colour name"}),
        ColourKind::Image => {
            json!({"type": ["string", "null"], "description": "An http(s) URL or a data:image/ URI (at most 700,000 bytes)"})
        }
        ColourKind::Text => json!({"type": ["string", "null"], "maxLength": config::BRANDING_TEXT_MAX}),
    };
    let mut props = Map::new();
    for (name, _, kind) in BRANDING_FIELDS {
        props.insert(name.to_string(), kind_schema(kind));
    }
    for (legacy, v3) in BRANDING_ALIASES {
        if let Some((_, _, kind)) = BRANDING_FIELDS.iter().find(|(n, _, _)| *n == v3) {
            let mut s = kind_schema(*kind);
            s["description"] = json!(format!("Legacy name of {v3}"));
            props.insert(legacy.to_string(), s);
        }
    }
    json!({"type": ["object", "null"], "properties": props})
}

/// A project create (`creating`) or partial update body (steps 1–6 and status).
fn project_body(creating: bool) -> Value {
    let flow = flow_sections();
    let props = json!({
        "name": if creating { required_text(config::NAME_MAX) } else { json!({"type": "string", "minLength": 1, "maxLength": config::NAME_MAX}) },
        "allowedCountries": {"anyOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "minItems": 1, "items": {"type": "string"}}
        ], "description": "Country names, or \"All\""},
        "contactEmail": text(smartenroll_domain::registration::EMAIL_MAX),
        "privacyUrl": url(),
        "termsAndConditionsUrl": url(),
        "dataProtection": {"anyOf": [{"type": "null"}, object(json!({
            "name": if creating { required_text(200) } else { text(200) },
            "email": if creating { required_text(254) } else { text(254) },
            "address": if creating { required_text(200) } else { text(200) },
            "address2": text(200),
            "city": if creating { required_text(100) } else { text(100) },
            "country": if creating { required_text(100) } else { text(100) },
            "postalCode": if creating { json!({"type": "string", "minLength": 3, "maxLength": 12, "pattern": "^[A-Za-z0-9 -]*$"}) } else { json!({"type": ["string", "null"], "maxLength": 12, "pattern": "^[A-Za-z0-9 -]*$"}) },
        }), if creating { &["name", "email", "address", "city", "country", "postalCode"] } else { &[] })]},
        "defaultLanguage": {"type": ["string", "null"], "pattern": "^\\s*(?:[a-z]{2,3}(?:-[A-Za-z]{2})?)?\\s*$", "description": "A language code such as en or es"},
        "settings": nullable_object(json!({"defaultLanguage": {"type": ["string", "null"]}})),
        "identifier": {"type": ["string", "null"], "maxLength": 64, "pattern": "^\\s*[a-z0-9_-]*\\s*$"},
        "target": choice(Target::allowed(), "Who enrolls: people (KYC) or businesses (KYB)"),
        "demoMode": flag(),
        "demoOTP": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^[0-9]{6}$"}, {"type": "integer", "minimum": 0, "maximum": 999_999}], "description": "The fixed code of a demo project: 6 digits"},
        "publicSignUp": flag(),
        "retentionDays": whole(1, config::RETENTION_MAX_DAYS as i64),
        "branding": branding(),
        "projectFlowType": choice(FlowType::allowed(), "The type of projectFlow (onboarding)"),
        "projectFlow": {"type": ["object", "null"], "properties": flow},
        "status": choice(ProjectStatus::ALLOWED, "A status change: draft → active → paused"),
    });
    let required: &[&str] = if creating { &["name", "allowedCountries"] } else { &[] };
    object(props, required)
}

fn login_settings() -> Value {
    nullable_object(json!({
        "email": flag(),
        "emailGateway": choice(EmailGateway::allowed(), "How email codes are sent"),
        "phone": flag(),
        "phoneGateway": choice(PhoneGateway::allowed(), "How phone codes are sent"),
        "faceLiveness": flag(),
        "showFaceLivenessRecommendation": flag(),
        "livenessMinScore": number(config::LOGIN_LIVENESS_MIN_SCORE),
        "searchMode": choice(SearchMode::allowed(), "Face search mode"),
        "searchMinScore": number(config::SEARCH_MIN_SCORE),
        "steps": {"type": ["array", "null"], "items": {"type": "string", "pattern": any_case(LoginStep::allowed())}},
        "allowPasskeys": flag(),
    }))
}

fn flow_body(creating: bool) -> Value {
    let mut props = flow_sections();
    props.insert("name".into(), json!({"type": ["string", "null"], "minLength": 1, "maxLength": smartenroll_domain::flows::NAME_MAX}));
    props.insert("loginSettings".into(), login_settings());
    if creating {
        props.insert("project".into(), object_id());
        props.insert("type".into(), required_choice(FlowType::allowed(), "The flow's type"));
        object(Value::Object(props), &["project", "type"])
    } else {
        object(Value::Object(props), &[])
    }
}

/// `phone` and `countryCode`; the client login also takes them as numbers (its query-string form).
fn phone_fields(props: &mut Map<String, Value>, numbers: bool) {
    let kind = if numbers { json!(["string", "integer"]) } else { json!("string") };
    props.insert(
        "phone".into(),
        json!({"type": kind, "minLength": 1, "minimum": 0, "description": "4 to 14 digits (spaces and dashes allowed)"}),
    );
    props.insert("countryCode".into(), json!({"type": kind, "minLength": 1, "minimum": 0, "description": "+ followed by 1 to 3 digits"}));
}

fn email() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": smartenroll_domain::registration::EMAIL_MAX, "description": "An email address"})
}

fn otp() -> Value {
    json!({"anyOf": [{"type": "string", "pattern": "^\\s*[0-9]{6}\\s*$"}, {"type": "integer", "minimum": 0, "maximum": 999_999}], "description": "The 6-digit code"})
}

fn gateway() -> Value {
    choice("sms|whatsapp", "Which channel sends the code")
}

fn images(max: usize) -> Value {
    json!({"anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "minItems": 1, "maxItems": max, "items": {"type": "string"}}], "description": "An image (base64 or a data URI), or a list of them"})
}

fn image() -> Value {
    json!({"type": "string", "minLength": 1, "description": "An image: base64 or a data URI (JPEG, PNG or WebP)"})
}

fn os(required: bool) -> Value {
    if required { required_choice("DESKTOP|IOS|ANDROID", "The device") } else { choice("DESKTOP|IOS|ANDROID", "The device") }
}

fn threshold(range: (f64, f64)) -> Value {
    json!({"anyOf": [number(range), {"type": "string", "description": "A number written as text"}]})
}

/// The request body of a function, when it takes one.
pub fn request(function: &str) -> Option<Value> {
    use crate::face_api::{COMPARE_MIN_RANGE, LIVENESS_MIN_RANGE, MAX_GALLERY, MAX_PROBES};
    Some(match function {
        "projects-create" => project_body(true),
        "projects-update" => project_body(false),
        "project-flows-create" => flow_body(true),
        "project-flows-update" => flow_body(false),
        "project-flows-blacklist" => {
            let fields: Map<String, Value> =
                smartenroll_domain::blocklist::ENTRY_FIELDS.iter().map(|(k, max)| (k.to_string(), text(*max))).collect();
            let entry = object(Value::Object(fields), &[]);
            let entries = json!({"type": "array", "maxItems": smartenroll_domain::blocklist::MAX_ENTRIES, "items": entry});
            json!({"type": "object", "description": "The whole list, one of: `csv` (the CSV text; `text/csv` bodies are taken too) or `entries` (also named `whiteList`/`blackList`)", "properties": {"csv": {"type": "string"}, "entries": entries, "whiteList": entries, "blackList": entries}})
        }
        "auth-email-login" => object(json!({"email": email()}), &["email"]),
        "auth-email-login-confirm" => object(json!({"email": email(), "otp": otp()}), &["email", "otp"]),
        "auth-phone-login" | "phone-validations-send" => {
            let mut props = Map::new();
            phone_fields(&mut props, function == "auth-phone-login");
            props.insert("phoneGateway".into(), gateway());
            if function == "phone-validations-send" {
                props.insert("project".into(), object_id());
            }
            object(Value::Object(props), &["phone", "countryCode"])
        }
        "auth-phone-login-confirm" | "phone-validations-check" => {
            let mut props = Map::new();
            phone_fields(&mut props, function == "auth-phone-login-confirm");
            props.insert("otp".into(), otp());
            object(Value::Object(props), &["phone", "countryCode", "otp"])
        }
        "email-validations-send" => object(json!({"email": email(), "project": object_id()}), &["email"]),
        "email-validations-check" => object(json!({"email": email(), "otp": otp()}), &["email", "otp"]),
        "registrations-create" => {
            object(person_fields(json!({"project": object_id(), "projectFlow": object_id()})), &["project", "projectFlow"])
        }
        "registrations-representatives" => object(
            person_fields(json!({
                "role": required_choice(smartenroll_domain::business::Role::ALLOWED_WITH_ALIASES.trim_end_matches('|'), "What the person is to the business"),
                "ownershipPercentage": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 100, "description": "Share owned, in percent (required for an ultimate beneficial owner)"},
                "mandatory": {"type": ["boolean", "null"], "description": "Whether the business decision waits for this person (default: the flow's legalRepresentative step is mandatory)"},
            })),
            &["role"],
        ),
        "registrations-resend-link" => json!({"type": "object", "properties": {
            "sendEmail": {"anyOf": [{"type": ["boolean", "null"]}, {"type": "string", "enum": ["true", "false"]}], "description": "true sends the link to the registration's email"}
        }}),
        "registrations-sync" => object(json!({"step": {"type": "string"}, "status": {"type": "string"}}), &["step", "status"]),
        "registrations-review" => object(
            json!({
                "decision": required_choice("approve|approved|completed|reject|rejected|failed", "The decision"),
                "reasonCode": {"type": "string", "minLength": 1, "maxLength": 64},
                "note": text(2000),
            }),
            &["decision", "reasonCode"],
        ),
        "document-validations-submit" => object(
            json!({
                "image": image(),
                "backImage": {"type": ["string", "null"]},
                "inputMethod": choice("CAMERA|FILE_UPLOAD", "How the image was taken"),
                "force": {"type": ["boolean", "string", "null"]},
            }),
            &["image"],
        ),
        "biometric-validations-submit" => object(
            json!({
                "image": {"type": ["string", "null"], "description": "The selfie (base64 or a data URI); with frames, the first frame"},
                "os": os(true),
                "challenge": {"type": "string", "minLength": 1, "description": "An active liveness challenge (POST /v2/face-recognition/liveness/challenge)"},
                "frames": {"type": "array", "minItems": smartenroll_biometrics::liveness::MIN_FRAMES, "maxItems": smartenroll_biometrics::liveness::MAX_FRAMES, "items": {"type": "string"}},
                "force": {"type": ["boolean", "string", "null"]},
            }),
            &["os"],
        ),
        "face-liveness" => object(
            json!({
                "os": os(true),
                "image": {"type": "string", "minLength": 1},
                "search_mode": choice(SearchMode::allowed(), "Face search mode"),
                "liveness_min_score": threshold(LIVENESS_MIN_RANGE),
                "challenge": {"type": "string", "minLength": 1},
                "frames": {"type": "array", "items": {"type": "string"}},
            }),
            &["os"],
        ),
        "face-compare" => object(
            json!({
                "search_mode": required_choice(SearchMode::allowed(), "Face search mode"),
                "os": os(false),
                "compare_min_score": threshold(COMPARE_MIN_RANGE),
                "probe": images(MAX_PROBES),
                "gallery": images(MAX_GALLERY),
            }),
            &["search_mode", "probe", "gallery"],
        ),
        "face-compare-with-liveness" => object(
            json!({
                "search_mode": required_choice(SearchMode::allowed(), "Face search mode"),
                "os": os(false),
                "liveness_min_score": threshold(LIVENESS_MIN_RANGE),
                "compare_min_score": threshold(COMPARE_MIN_RANGE),
                "probe": images(1),
                "gallery": images(MAX_GALLERY),
            }),
            &["search_mode", "probe", "gallery"],
        ),
        "webhooks-create" | "webhooks-update" => {
            let ids = json!({"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/ObjectId"}, {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/ObjectId"}}], "description": "Project flow ids"});
            let creating = function == "webhooks-create";
            let mut props = json!({
                "name": if creating { required_text(100) } else { json!({"type": ["string", "null"], "minLength": 1, "maxLength": 100}) },
                "url": if creating { json!({"type": "string", "minLength": 1, "maxLength": smartenroll_domain::webhook::URL_MAX}) } else { json!({"type": ["string", "null"], "maxLength": smartenroll_domain::webhook::URL_MAX}) },
                "description": {"type": ["string", "null"], "minLength": 1, "maxLength": 500},
                "isActive": flag(),
                "link": ids,
                "unlink": ids,
                "events": {"type": ["array", "null"], "minItems": 1, "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[a-z0-9_]*\\*?$"}, "description": "Event types (a trailing * matches a prefix); null for all"},
            });
            if creating {
                props["projectFlow"] = ids;
                object(props, &["name", "url"])
            } else {
                object(props, &[])
            }
        }
        "webhooks-rotate-secret" => json!({"type": "object", "properties": {
            "overlapSeconds": whole(0, smartenroll_domain::webhook::MAX_ROTATION_OVERLAP_SECONDS)
        }}),
        _ => return None,
    })
}

/// A query parameter (`in: query`, optional).
fn param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

/// `page`, `limit` and `perPage` as every list reads them (shared/domain/src/query.rs).
fn paging(max_page: i64, limit_name: &[&str]) -> Vec<Value> {
    let count = || json!({"type": "integer", "minimum": 1, "maximum": smartenroll_domain::query::MAX_LIMIT});
    let mut out = vec![param("page", json!({"type": "integer", "minimum": 1, "maximum": max_page}), "The page, from 1")];
    out.extend(limit_name.iter().map(|n| param(n, count(), "Items per page")));
    out
}

/// An id in a query (surrounding spaces are trimmed by the reader).
fn query_id() -> Value {
    json!({"type": "string", "pattern": "^\\s*[0-9a-fA-F]{24}\\s*$"})
}

/// The query parameters a function reads (unknown ones are ignored, as the reference does).
pub fn query(function: &str) -> Vec<Value> {
    let project_status = || json!({"type": "string", "pattern": any_case(ProjectStatus::ALLOWED)});
    let registration_status =
        json!({"type": "string", "pattern": any_case(&RegistrationStatus::ALL.map(RegistrationStatus::as_str).join("|"))});
    match function {
        "projects-list" => {
            let mut out = paging(1_000_000, &["limit", "perPage"]);
            out.extend([
                param("where_status", project_status(), "Only projects in this status (also `status`)"),
                param("status", project_status(), "Another name of where_status"),
                param("in_status[]", json!({"type": "string"}), "Any of these statuses, comma-separated"),
                param("like_name", json!({"type": "string"}), "Name contains (any case)"),
                param("where_target", json!({"type": "string", "pattern": any_case(Target::allowed())}), "personal or business"),
                param("where_createdAt", json!({"type": "string"}), "Created on this ISO-8601 date prefix (2024-05-01)"),
                param("cursor", json!({"type": "string"}), "The nextCursor of an earlier page"),
            ]);
            out
        }
        "registrations-list" => {
            let mut out = paging(1_000_000, &["limit", "perPage"]);
            out.extend([
                param("where_status", registration_status.clone(), "Only registrations in this status (also `status`)"),
                param("status", registration_status, "Another name of where_status"),
                param("in_status[]", json!({"type": "string"}), "Any of these statuses, comma-separated"),
                param("where_project", query_id(), "Only this project's (also `project`)"),
                param("where_projectFlow", query_id(), "Only this flow's (also `projectFlow`)"),
            ]);
            out
        }
        "project-flows-list" => {
            let mut out = paging(1_000_000, &["limit", "perPage"]);
            out.extend([
                param("project", query_id(), "Only this project's flows (also `where_project`)"),
                param(
                    "type",
                    json!({"type": "string", "pattern": any_case(FlowType::allowed())}),
                    "onboarding or login (also `where_type`)",
                ),
                param("status", project_status(), "Only flows of projects in this status (also `where_status`)"),
            ]);
            out
        }
        "webhooks-list" => {
            let mut out = paging(100_000, &["perPage"]);
            out.extend([
                param("like_name", json!({"type": "string"}), "Name contains (any case)"),
                param("where_url", json!({"type": "string"}), "This exact URL"),
            ]);
            out
        }
        "webhooks-deliveries" => {
            let mut out = paging(100_000, &["perPage"]);
            out.push(param(
                "status",
                json!({"type": "string", "pattern": any_case("PENDING|SUCCEEDED|FAILED")}),
                "Only deliveries in this state",
            ));
            out
        }
        "projects-public" => {
            vec![param("id", query_id(), "The project (also `projectId`); required"), param("projectId", query_id(), "Another name of id")]
        }
        "auth-session" => vec![
            param(
                "expiresIn",
                json!({"type": "integer", "minimum": 1, "maximum": 12}),
                "The new token's lifetime in months (also `expireIn`); 1 month = 30 days",
            ),
            param("origin", json!({"type": "string"}), "`refresh` in the reference's examples; informational"),
        ],
        _ => vec![],
    }
}

/// A named enum of the reference: the canonical values (`enum`, as answers carry them) and the
/// other spellings accepted on input.
fn named_enum(values: &[&str], aliases: &[&str], description: &str) -> Value {
    let mut d = format!("{description}. Any case on input");
    if !aliases.is_empty() {
        d.push_str(&format!("; also accepted: {}", aliases.join(", ")));
    }
    json!({"type": "string", "enum": values, "description": d})
}

/// Every enum of the reference's configuration and resources, by name in `components.schemas`.
pub fn enums() -> Map<String, Value> {
    macro_rules! config_enums {
        ($($name:ident: $description:literal),+ $(,)?) => {
            [$((stringify!($name), named_enum($name::VALUES, $name::ALIASES, $description))),+]
        };
    }
    let mut out: Map<String, Value> = config_enums!(
        Target: "Who enrolls: people (KYC) or businesses (KYB)",
        FlowType: "A flow's type",
        FullNameStyle: "One full-name field or first + last",
        EmailGateway: "How email codes are sent",
        PhoneGateway: "How phone codes are sent",
        StepMode: "A step's requirement",
        VerificationMethod: "How documents are captured and read",
        DocumentCategory: "What a document is",
        Requiredness: "Whether a document page must be sent",
        SearchMode: "Face search mode",
        LivenessMode: "passive: one selfie; active: a challenge sequence",
        Source: "Where a blacklist comes from",
        Strategy: "What a list is used for",
        ApiTestType: "What the blacklist API's test call sends",
        LoginStep: "A login flow's steps",
        FailMode: "What the blacklist check does when the operator's API cannot be reached",
    )
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    use smartenroll_domain::{otp::OtpStatus, verification::SyncStep, webhook::DeliveryStatus};
    out.insert("DeliveryStatus".into(), named_enum(&DeliveryStatus::ALL.map(DeliveryStatus::as_str), &[], "A webhook delivery's state"));
    out.insert("ValidationStatus".into(), named_enum(&OtpStatus::ALL.map(OtpStatus::as_str), &[], "An email or phone validation's state"));
    out.insert("SyncStep".into(), named_enum(&SyncStep::ALL.map(|(_, name)| name), &[], "A step an enrollee's client reports"));
    out
}

/// The resources the success bodies carry, by name in `components.schemas`.
pub fn resources() -> Map<String, Value> {
    let id = object_id();
    let when = json!({"type": ["string", "null"], "description": "An ISO 8601 time"});
    let m = json!({
        "ObjectId": {"type": "string", "pattern": "^[0-9a-fA-F]{24}$", "description": "A 24-hex-digit id"},
        "Project": {"type": "object", "required": ["_id", "name", "status"], "properties": {
            "_id": id, "name": {"type": "string"}, "status": {"$ref": "#/components/schemas/ProjectStatus"},
            "allowedCountries": {"type": "array", "items": {"type": "string"}}, "createdAt": when, "updatedAt": when
        }},
        "ProjectFlow": {"type": "object", "required": ["_id", "type"], "properties": {
            "_id": id, "type": {"$ref": "#/components/schemas/FlowType"}
        }},
        "AppRegistration": {"type": "object", "required": ["_id", "status"], "properties": {
            "_id": id, "status": {"$ref": "#/components/schemas/RegistrationStatus"}, "createdAt": when, "updatedAt": when
        }},
        "Webhook": {"type": "object", "required": ["_id", "name", "url", "isActive"], "properties": {
            "_id": id, "name": {"type": "string"}, "url": {"type": "string"}, "isActive": {"type": "boolean"},
            "events": {"type": ["array", "null"], "items": {"type": "string"}}
        }},
        "Delivery": {"type": "object", "required": ["_id", "webhook", "type", "status", "attempts"], "properties": {
            "_id": id, "webhook": {"type": "string"}, "type": {"type": "string"}, "status": {"$ref": "#/components/schemas/DeliveryStatus"}, "attempts": {"type": "array", "items": {"type": "object", "required": ["at"], "properties": {"at": {"type": "string"}, "statusCode": {"type": ["integer", "null"]}, "latencyMs": {"type": "integer", "minimum": 0}}}}
        }},
        "Validation": {"type": "object", "required": ["_id", "status"], "properties": {"_id": id, "status": {"$ref": "#/components/schemas/ValidationStatus"}}},
        "FaceResult": {"type": "object", "required": ["id", "data", "signature"], "properties": {
            "id": {"type": "string"}, "data": {"type": "object"},
            "signature": {"type": "object", "required": ["message", "dateTime"], "properties": {"message": {"type": "string"}, "dateTime": {"type": "string"}}}
        }},
    });
    match m {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn data(inner: Value) -> Value {
    json!({"type": "object", "required": ["data"], "properties": {"data": inner}})
}

fn list(item: Value) -> Value {
    json!({"type": "object", "required": ["data", "total", "limit", "page", "pages"], "properties": {
        "data": {"type": "array", "items": item},
        "total": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 0},
        "nextCursor": {"type": "string"}
    }})
}

/// The success body of a function (JSON ones; evidence downloads are images).
pub fn response(function: &str) -> Value {
    let token = |key: &str| json!({"type": "object", "required": [key, "tokenType"], "properties": {key: {"type": "string", "minLength": 1}, "tokenType": {"type": "string", "enum": ["bearer"]}}});
    let deleted = || {
        data(
            json!({"type": "object", "required": ["_id", "status"], "properties": {"_id": object_id(), "status": {"type": "string", "enum": ["deleted"]}}}),
        )
    };
    match function {
        "projects-create" => json!({"type": "object", "required": ["data"], "properties": {
            "data": reference("Project"),
            "warnings": {"type": "array", "items": {"type": "string"}, "description": "What the operator should know about the save (e.g. branding colours below WCAG AA contrast)"}
        }}),
        "projects-get" => data(reference("Project")),
        "projects-update" => json!({"type": "object", "required": ["data", "status"], "properties": {
            "data": reference("Project"), "status": {"type": "string", "enum": ["completed"]},
            "warnings": {"type": "array", "items": {"type": "string"}}, "integrationTest": {"type": "object"}
        }}),
        "projects-list" => list(reference("Project")),
        "projects-delete" => deleted(),
        "projects-public" => data(json!({"type": "object", "required": ["_id", "name", "status"], "properties": {
            "_id": object_id(), "name": {"type": "string"}, "status": {"$ref": "#/components/schemas/ProjectStatus"}
        }})),
        "project-flows-create" | "project-flows-get" | "project-flows-update" => {
            json!({"type": "object", "required": ["data"], "properties": {
                "data": reference("ProjectFlow"), "warnings": {"type": "array", "items": {"type": "string"}}, "integrationTest": {"type": "object"}
            }})
        }
        "project-flows-list" => list(reference("ProjectFlow")),
        "project-flows-delete" => deleted(),
        "project-flows-blacklist" => {
            data(json!({"type": "object", "required": ["entries"], "properties": {"entries": {"type": "integer", "minimum": 0}}}))
        }
        "auth-renew-and-revoke" => token("token"),
        "auth-session" | "auth-email-login-confirm" | "auth-phone-login-confirm" => {
            if function == "auth-session" {
                token("accessToken")
            } else {
                data(token("accessToken"))
            }
        }
        "auth-email-login"
        | "auth-phone-login"
        | "email-validations-send"
        | "email-validations-check"
        | "phone-validations-send"
        | "phone-validations-check" => data(reference("Validation")),
        "registrations-create" => data(json!({"type": "object", "required": ["appRegistration", "token"], "properties": {
            "appRegistration": reference("AppRegistration"), "token": {"type": "string", "minLength": 1}, "link": {"type": ["string", "null"]}
        }})),
        "registrations-representatives" => {
            data(json!({"type": "object", "required": ["appRegistration", "business", "token", "invitation"], "properties": {
                "appRegistration": reference("AppRegistration"), "business": reference("AppRegistration"),
            "token": {"type": ["string", "null"], "minLength": 1, "description": "The person's enrollee token: to the operator, or to anyone in demo mode (else it goes in the invitation only)"},
                "link": {"type": ["string", "null"]},
                "invitation": {"type": "object", "required": ["sent"], "properties": {"sent": {"type": "boolean"}, "channel": {"type": "string"}, "reason": {"type": "string"}}}
            }}))
        }
        "registrations-get" | "registrations-review" => data(reference("AppRegistration")),
        "registrations-list" => list(reference("AppRegistration")),
        "registrations-events" => {
            json!({"type": "object", "required": ["data", "total"], "properties": {"data": {"type": "array", "items": {"type": "object"}}, "total": {"type": "integer", "minimum": 0}}})
        }
        "registrations-evidence" => data(json!({"type": "array", "items": {"type": "object"}})),
        "registrations-delete" => {
            data(json!({"type": "object", "required": ["_id", "status", "receiptId", "erasedAt", "erased"], "properties": {
                "_id": object_id(), "project": object_id(), "status": {"type": "string", "enum": ["deleted"]}, "receiptId": object_id(),
                "erasedAt": {"type": "string"},
                "erased": {"type": "object", "required": ["images", "events"], "properties": {"images": {"type": "integer", "minimum": 0}, "events": {"type": "integer", "minimum": 0}}}
            }}))
        }
        "registrations-handoff" => data(json!({"type": "object", "required": ["token", "expiresAt", "link"], "properties": {
            "token": {"type": "string", "minLength": 1, "description": "A 15-minute enrollee token for another device"},
            "expiresAt": {"type": "string"},
            "link": {"type": ["string", "null"], "description": "The hosted page with the token, when a public URL is configured"}
        }})),
        "registrations-resend-link" => {
            data(json!({"type": "object", "required": ["token", "link", "appRegistrationId", "status", "emailSent"], "properties": {
                "token": {"type": "string", "minLength": 1}, "link": {"type": ["string", "null"]}, "appRegistrationId": object_id(),
                "status": {"$ref": "#/components/schemas/RegistrationStatus"}, "emailSent": {"type": ["boolean", "null"], "description": "Whether the link was emailed (null: not asked)"}
            }}))
        }
        "document-validations-submit" => {
            data(json!({"type": "object", "required": ["documentValidation"], "properties": {"documentValidation": {"type": "object"}}}))
        }
        "biometric-validations-submit" => {
            data(json!({"type": "object", "required": ["_id", "status", "biometricValidation"], "properties": {
                "_id": object_id(), "status": {"$ref": "#/components/schemas/RegistrationStatus"}, "biometricValidation": {"type": "object"}
            }}))
        }
        "face-liveness-challenge" => json!({"allOf": [reference("FaceResult"), {"type": "object", "properties": {"data": {
            "type": "object", "required": ["challenge", "turns", "expiresAt"], "properties": {
                "challenge": {"type": "string", "minLength": 1}, "turns": {"type": "array", "items": {"type": "string"}}, "expiresAt": {"type": "string"}
            }
        }}}]}),
        "face-compare-app-registration" => reference("FaceResult"),
        "webhooks-replay-failed" => {
            data(json!({"type": "object", "required": ["replayed"], "properties": {"replayed": {"type": "integer", "minimum": 0}}}))
        }
        "registrations-sync" => {
            data(json!({"type": "object", "required": ["token", "step", "status", "appRegistrationId"], "properties": {
                "token": {"type": "string"}, "step": {"type": "string"}, "appRegistrationId": object_id(),
                "status": {"$ref": "#/components/schemas/RegistrationStatus"}, "decision": {"type": "string", "enum": ["pending", "made", "not_requested"]}
            }}))
        }
        "face-liveness" | "face-compare" | "face-compare-with-liveness" => reference("FaceResult"),
        "webhooks-create" | "webhooks-rotate-secret" => {
            json!({"type": "object", "required": ["data", "secret"], "properties": {"data": reference("Webhook"), "secret": {"type": "string", "minLength": 1}}})
        }
        "webhooks-get" | "webhooks-update" | "webhooks-delete" => data(reference("Webhook")),
        "webhooks-list" => list(reference("Webhook")),
        "webhooks-test" | "webhooks-replay" | "webhooks-delivery" => data(reference("Delivery")),
        "webhooks-deliveries" => list(reference("Delivery")),
        _ => json!({"type": "object"}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_insensitive_choice_lists_each_value_letter_by_letter() {
        assert_eq!(any_case("sms|whats_app"), "^\\s*(?:[sS][mM][sS]|[wW][hH][aA][tT][sS]_[aA][pP][pP])\\s*$");
    }

    #[test]
    fn every_route_that_takes_a_body_is_described_or_named_as_taking_none() {
        // Bodies these functions ignore (an action on the resource in the path).
        const NONE: [&str; 7] = [
            "auth-renew-and-revoke",
            "registrations-handoff",
            "webhooks-test",
            "webhooks-replay",
            "webhooks-replay-failed",
            "face-liveness-challenge",
            "face-compare-app-registration",
        ];
        for route in crate::routes::ROUTES.iter().filter(|r| matches!(r.method, "POST" | "PUT")) {
            assert!(request(route.function).is_some() != NONE.contains(&route.function), "{}", route.function);
        }
    }
}

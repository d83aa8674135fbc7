//! Project configuration: the typed form of the six SmartEnroll v3 steps, and the one reader that
//! turns a JSON document into it, collecting every problem with its field path.
//!
//! How a write works: the request body is normalised (documented naming variants become one form,
//! see [`normalise_patch`]), deep-merged onto the stored configuration's own JSON form
//! ([`ProjectConfig::to_json`]), and the merged document is read as a whole by [`read_config`].
//! So a partial update is re-validated together with what is already stored, and the reader is the
//! only place where rules, enums and ranges live.

use crate::country::{AllowedCountries, Country};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub const NAME_MAX: usize = 60;
/// The longest retention a project may set (ten years).
pub const RETENTION_MAX_DAYS: u64 = 3650;
/// The longest URL a configuration field takes.
pub const URL_MAX: usize = 2048;
/// The longest free-text branding value (`rightImagePosition`, `customDomain`).
pub const BRANDING_TEXT_MAX: usize = 200;
/// `projectFlow.liveness.minScore`'s range (reference table).
pub const LIVENESS_MIN_SCORE: (f64, f64) = (0.52, 0.90);
/// `searchMinScore`'s range, in a flow's liveness and in login settings.
pub const SEARCH_MIN_SCORE: (f64, f64) = (0.70, 0.95);
/// `loginSettings.livenessMinScore`'s range: the table gives 0.51–0.9; the create page's prose says
/// "0–1, above 0.7 recommended", which is the score's domain rather than an accepted range.
pub const LOGIN_LIVENESS_MIN_SCORE: (f64, f64) = (0.51, 0.90);

/// A score bounded to a documented range; constructed only through [`Score::parse`].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Score(f64);
impl Score {
    pub fn parse(v: f64, min: f64, max: f64) -> Option<Score> {
        // Exact bounds: a JSON number and the range's literal parse to the same f64, and the published
        // schema's minimum/maximum mean exactly these (a value a hair below is refused by both).
        (v.is_finite() && v >= min && v <= max).then_some(Score(v))
    }
    pub fn value(self) -> f64 {
        self.0
    }
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown value {s}")))
            }
        }
        impl $name {
            /// Case-insensitive; documented aliases accepted.
            pub fn parse(s: &str) -> Option<Self> {
                $( if s.eq_ignore_ascii_case($text) $(|| s.eq_ignore_ascii_case($alias))* { return Some(Self::$variant); } )+
                None
            }
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            pub const ALLOWED: &'static str = concat!($($text, "|"),+);
            /// The canonical values, as answers carry them.
            pub const VALUES: &'static [&'static str] = &[$($text),+];
            /// Other spellings accepted on input (the reference's variants).
            pub const ALIASES: &'static [&'static str] = &[$($($alias,)*)+];
            /// Every accepted spelling, aliases included (`a|b|alias`), for the published schema.
            pub const ALLOWED_WITH_ALIASES: &'static str = concat!($($text, "|" $(, $alias, "|")*),+);
            pub fn allowed() -> &'static str {
                Self::ALLOWED.trim_end_matches('|')
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Who enrolls: people (KYC) or businesses (KYB).
    Target { Personal = "personal", Business = "business" }
);
string_enum!(FlowType { Onboarding = "onboarding", Login = "login" });
string_enum!(
    /// `together` = one full-name field; `separate` = first + last. The Spanish flow page calls
    /// the first `combined`.
    FullNameStyle { Together = "together" | "combined", Separate = "separate" }
);
string_enum!(EmailGateway { Mailgun = "mailgun", None = "none" });
string_enum!(PhoneGateway { Sms = "sms", Whatsapp = "whatsapp", Both = "both", None = "none" });
string_enum!(
    /// A step's requirement. The Spanish flow page writes `disabled` for `skip`.
    StepMode { Mandatory = "mandatory", Optional = "optional", Skip = "skip" | "disabled" }
);
string_enum!(
    /// How documents are captured and read. The reference documents both the upper-case method names
    /// and lower-case `scan`/`upload` (SEH examples). Decision: `scan` (camera capture read
    /// automatically) is `SCAN_PROMPT`, `upload` (a file read by the studio pipeline) is `SCAN_STUDIO`.
    VerificationMethod { ScanPrompt = "SCAN_PROMPT" | "scan", ScanStudio = "SCAN_STUDIO" | "upload", ScanZero = "SCAN_ZERO" }
);
string_enum!(DocumentCategory {
    GovernmentId = "government_id",
    Passport = "passport",
    License = "license",
    BankDocument = "bank_document",
    TaxDocument = "tax_document",
    BusinessDocument = "business_document",
});
string_enum!(Requiredness { Mandatory = "mandatory", Optional = "optional" });
string_enum!(SearchMode { Fast = "FAST", Accurate = "ACCURATE" });
string_enum!(
    /// Product addition: `passive` judges one selfie; `active` asks for a challenge sequence.
    LivenessMode { Passive = "passive", Active = "active" }
);
string_enum!(Source { None = "NONE", Api = "API", Csv = "CSV" });
string_enum!(Strategy { None = "none", Blacklist = "blacklist" });
string_enum!(ApiTestType { Email = "email", Phone = "phone" });
string_enum!(
    /// A login flow's steps (reference 5.4: `steps` such as `["email","phone","liveness"]`).
    LoginStep { Email = "email", Phone = "phone", Liveness = "liveness" }
);
string_enum!(
    /// Product addition: what the blacklist check does when the operator's API cannot be reached.
    /// `closed` (default) sends the enrollee to manual review; `open` lets them pass.
    FailMode { Open = "open", Closed = "closed" }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataProtection {
    pub name: String,
    pub email: String,
    pub address: String,
    pub address2: Option<String>,
    pub city: String,
    pub country: String,
    pub postal_code: String,
}

/// Branding in the v3 naming. Every field is optional: `None` means "not set by the operator" and
/// renders as the documented default, so step 6 counts as configured only once a value is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Branding {
    pub values: std::collections::BTreeMap<String, Option<String>>,
}

/// (v3 name, default, kind). Legacy-only fields that have no v3 twin keep their legacy name.
pub const BRANDING_FIELDS: [(&str, Option<&str>, ColourKind); 14] = [
    ("backgroundColor", Some("#01236D"), ColourKind::Hex),
    ("buttonColor", Some("#B2BDD3"), ColourKind::Hex),
    ("buttonTextColor", Some("#FFFFFF"), ColourKind::Hex),
    ("titleColor", Some("#000000"), ColourKind::Hex),
    ("textColor", Some("#8091B6"), ColourKind::Hex),
    ("imageBackgroundColor", Some("white"), ColourKind::HexOrName),
    ("tabColor", Some("#01236D"), ColourKind::Hex),
    ("borderColor", Some("#B2BDD3"), ColourKind::Hex),
    ("secondaryButtonColor", Some("#B2BDD3"), ColourKind::Hex),
    ("secondaryButtonTextColor", Some("#FFFFFF"), ColourKind::Hex),
    ("logo", None, ColourKind::Image),
    ("image", None, ColourKind::Image),
    ("rightImagePosition", Some("center center"), ColourKind::Text),
    ("customDomain", None, ColourKind::Text),
];

/// Legacy (v2) and generic-page branding names, mapped to the v3 names. The v3 name wins when a
/// request carries both.
pub const BRANDING_ALIASES: [(&str, &str); 7] = [
    ("bgColor", "backgroundColor"),
    ("txtColor", "textColor"),
    ("buttonTxtColor", "buttonTextColor"),
    ("rightImage", "image"),
    ("rightBackgroundColor", "imageBackgroundColor"),
    ("primaryColor", "buttonColor"),
    ("secondaryColor", "secondaryButtonColor"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourKind {
    Hex,
    HexOrName,
    Image,
    Text,
}

/// `#RGB`, `#RGBA`, `#RRGGBB` or `#RRGGBBAA`.
pub fn is_css_hex_colour(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| matches!(h.len(), 3 | 4 | 6 | 8) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// CSS named colours the reference uses for backgrounds, plus the keywords a background may take.
const CSS_NAMES: [&str; 20] = [
    "white",
    "black",
    "transparent",
    "gray",
    "grey",
    "silver",
    "red",
    "maroon",
    "yellow",
    "olive",
    "lime",
    "green",
    "aqua",
    "teal",
    "blue",
    "navy",
    "fuchsia",
    "purple",
    "orange",
    "whitesmoke",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditionalField {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpForm {
    pub full_name: bool,
    pub full_name_style: FullNameStyle,
    pub email: bool,
    pub email_gateway: EmailGateway,
    pub phone: bool,
    pub phone_gateway: PhoneGateway,
    pub country_code: Option<String>,
    pub allow_additional_fields: bool,
    pub additional_fields: Vec<AdditionalField>,
    pub show_privacy_notice: bool,
    pub show_terms_and_conditions: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Steps {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<StepMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<StepMode>,
    /// Business flows only: whether the company itself (its data and documents) is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_verification: Option<bool>,
    /// Business flows only: whether legal representatives must be invited and verified as people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_representative: Option<StepMode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentTemplate {
    pub prompt_template: String,
    pub required: Requiredness,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentConfiguration {
    pub active: bool,
    #[serde(rename = "documentCategory")]
    pub category: DocumentCategory,
    #[serde(rename = "documentTemplates")]
    pub templates: Vec<DocumentTemplate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentType {
    pub country: Country,
    pub configurations: Vec<DocumentConfiguration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Documents {
    pub attempt_limit: u8,
    pub verification_methods: Vec<VerificationMethod>,
    pub document_types: Vec<DocumentType>,
    pub information_verification: bool,
    pub screening: bool,
    pub criminal_history_verification: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Liveness {
    pub attempt_limit: u8,
    pub min_score: Score,
    pub search_min_score: Score,
    pub search_mode: SearchMode,
    pub mode: LivenessMode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integrations {
    pub redirect_url: Option<String>,
    pub webhook: Option<String>,
    pub webhook_url: Option<String>,
    pub source: Source,
    pub strategy: Strategy,
    pub api_url: Option<String>,
    pub api_test_type: Option<ApiTestType>,
    pub api_test_value: Option<String>,
    pub fail_mode: FailMode,
}

/// A business flow's company part (reference 5.7, `business`): the company documents accepted per
/// country (business categories only) and which company checks run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessSection {
    pub attempt_limit: u8,
    pub criminal_history_verification: bool,
    pub document_types: Vec<DocumentType>,
    pub information_verification: bool,
    pub screening: bool,
}

/// A business flow's representative part (reference 5.7, `representatives`): what each invited
/// person goes through, which is a personal flow of its own (see [`FlowConfig::representative_flow`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Representatives {
    pub information: SignUpForm,
    pub documents: Documents,
    pub liveness: Liveness,
}

/// The enrollee-facing flow configured in steps 2–5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    pub flow_type: FlowType,
    pub target: Target,
    pub sign_up_form: Option<SignUpForm>,
    pub steps: Steps,
    pub documents: Option<Documents>,
    pub liveness: Option<Liveness>,
    pub integrations: Option<Integrations>,
    /// Business flows only (`target: business`).
    #[serde(default)]
    pub business: Option<BusinessSection>,
    #[serde(default)]
    pub representatives: Option<Representatives>,
}

/// A login flow's settings (`loginSettings`, reference 5.4): how a returning enrollee proves who
/// they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginSettings {
    pub email: bool,
    pub email_gateway: EmailGateway,
    pub phone: bool,
    pub phone_gateway: PhoneGateway,
    pub face_liveness: bool,
    pub show_face_liveness_recommendation: bool,
    pub liveness_min_score: Score,
    pub search_mode: SearchMode,
    pub search_min_score: Score,
    pub steps: Vec<LoginStep>,
    pub allow_passkeys: bool,
}

/// Everything an operator configures on a project (the writable part of the project object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectConfig {
    pub name: String,
    pub allowed_countries: AllowedCountries,
    pub contact_email: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_and_conditions_url: Option<String>,
    pub data_protection: Option<DataProtection>,
    pub default_language: String,
    pub identifier: Option<String>,
    pub target: Target,
    pub demo_mode: bool,
    pub demo_otp: Option<String>,
    /// Product addition: enrollees may start a registration without a token, from the hosted
    /// page (rate-limited per source address). Off unless the operator turns it on.
    #[serde(default)]
    pub public_sign_up: bool,
    /// Product addition: finished registrations are erased this many days after they finish
    /// (`None`: kept until deleted). Taken by each registration when it starts, like its flow.
    #[serde(default)]
    pub retention_days: Option<u32>,
    pub branding: Branding,
    pub flow: Option<FlowConfig>,
}

// ---------------------------------------------------------------------------------------------
// Normalisation of naming variants (before merge)
// ---------------------------------------------------------------------------------------------

/// Top-level keys a client may write. Everything else (`_id`, `__v`, `client`, `createdAt`,
/// `projectFlows`, `currentStep`, …) is echoed back by clients and ignored, not rejected.
const WRITABLE: [&str; 16] = [
    "name",
    "allowedCountries",
    "contactEmail",
    "privacyUrl",
    "termsAndConditionsUrl",
    "dataProtection",
    "defaultLanguage",
    "identifier",
    "target",
    "demoMode",
    "demoOTP",
    "publicSignUp",
    "retentionDays",
    "branding",
    "projectFlow",
    "projectFlowType",
];

const FLOW_WRITABLE: [&str; 10] =
    ["target", "type", "signUpForm", "steps", "documents", "liveness", "integrations", "redirectUrl", "business", "representatives"];

/// Keeps the writable keys of a request body and rewrites documented variants into the one form the
/// reader and the responses use: legacy branding names, `settings.defaultLanguage` (generic page),
/// flow-level `redirectUrl`/`webhookUrl` (legacy flow object) into `integrations`.
pub fn normalise_patch(body: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in WRITABLE {
        if let Some(v) = body.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    if !out.contains_key("defaultLanguage")
        && let Some(lang) = body.get("settings").and_then(|s| s.get("defaultLanguage"))
    {
        out.insert("defaultLanguage".into(), lang.clone());
    }
    if let Some(Value::Object(b)) = out.get_mut("branding") {
        let mut renamed = Map::new();
        for (k, v) in b.iter() {
            let canonical = BRANDING_ALIASES.iter().find(|(legacy, _)| legacy == k).map(|(_, v3)| *v3);
            match canonical {
                Some(v3) if b.contains_key(v3) => {} // the v3 name wins
                Some(v3) => {
                    renamed.insert(v3.to_string(), v.clone());
                }
                None => {
                    renamed.insert(k.clone(), v.clone());
                }
            }
        }
        *b = renamed;
    }
    if let Some(Value::Object(flow)) = out.get_mut("projectFlow") {
        let mut kept = Map::new();
        for key in FLOW_WRITABLE {
            if let Some(v) = flow.get(key) {
                kept.insert(key.to_string(), v.clone());
            }
        }
        for legacy in ["redirectUrl", "webhookUrl"] {
            if let Some(v) = flow.get(legacy).cloned() {
                kept.remove(legacy);
                let integrations = kept.entry("integrations").or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(i) = integrations
                    && !i.contains_key(legacy)
                {
                    i.insert(legacy.to_string(), v);
                }
            }
        }
        *flow = kept;
    }
    // `{status: "active", projectFlow: {status: "active"}}` carries no flow configuration: an empty
    // section must not create a flow (nor demand projectFlowType).
    if out.get("projectFlow").and_then(Value::as_object).is_some_and(Map::is_empty) {
        out.remove("projectFlow");
    }
    out
}

/// JSON merge patch (RFC 7396): objects merge key by key, `null` removes a key, anything else
/// replaces. Arrays are replaced whole (a partial update of `documentTypes` sends the new list).
pub fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    b.remove(k);
                } else {
                    merge(b.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------------------------

/// Walks a JSON object, collecting one [`FieldError`] per broken rule.
struct Reader {
    errors: Vec<FieldError>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

impl Reader {
    fn err(&mut self, field: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(FieldError::new(field, msg));
    }

    fn object<'a>(&mut self, obj: &'a Map<String, Value>, path: &str, key: &str) -> Option<&'a Map<String, Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.err(join(path, key), "must be an object");
                None
            }
        }
    }

    fn string(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.err(join(path, key), "is required");
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                if required {
                    self.err(join(path, key), "must not be empty");
                }
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                self.err(join(path, key), "must be a string");
                None
            }
        }
    }

    /// A string of at most `max` characters as sent (surrounding spaces count, as the published
    /// schema's `maxLength` counts them), trimmed.
    fn bounded_string(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool, max: usize) -> Option<String> {
        let raw = obj.get(key).and_then(Value::as_str).map_or(0, |s| s.chars().count());
        let s = self.string(obj, path, key, required)?;
        if raw > max {
            self.err(join(path, key), format!("must be at most {max} characters"));
            return None;
        }
        Some(s)
    }

    fn email(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) -> Option<String> {
        let s = self.bounded_string(obj, path, key, required, 254)?;
        if email_address::EmailAddress::parse_with_options(&s, email_address::Options::default().without_display_text()).is_ok()
            && s.contains('.')
        {
            Some(s.to_ascii_lowercase())
        } else {
            self.err(join(path, key), "must be a valid email address");
            None
        }
    }

    fn url(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) -> Option<String> {
        let s = self.bounded_string(obj, path, key, required, URL_MAX)?;
        match url::Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => Some(s),
            _ => {
                self.err(join(path, key), "must be a valid http(s) URL");
                None
            }
        }
    }

    fn boolean(&mut self, obj: &Map<String, Value>, path: &str, key: &str, default: bool) -> bool {
        match obj.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.err(join(path, key), "must be true or false");
                default
            }
        }
    }

    fn choice<T>(&mut self, obj: &Map<String, Value>, path: &str, key: &str, parse: fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let v = parse(s.trim());
                if v.is_none() {
                    self.err(join(path, key), format!("must be one of {allowed}"));
                }
                v
            }
            Some(_) => {
                self.err(join(path, key), format!("must be one of {allowed}"));
                None
            }
        }
    }

    fn integer(&mut self, obj: &Map<String, Value>, path: &str, key: &str, min: i64, max: i64, default: i64) -> i64 {
        match obj.get(key) {
            None | Some(Value::Null) => default,
            Some(v) => match v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)) {
                Some(n) if (min..=max).contains(&n) => n,
                _ => {
                    self.err(join(path, key), format!("must be an integer from {min} to {max}"));
                    default
                }
            },
        }
    }

    fn score(&mut self, obj: &Map<String, Value>, path: &str, key: &str, min: f64, max: f64, default: f64) -> Score {
        let fallback = Score(default);
        match obj.get(key) {
            None | Some(Value::Null) => fallback,
            Some(v) => match v.as_f64().and_then(|f| Score::parse(f, min, max)) {
                Some(s) => s,
                None => {
                    self.err(join(path, key), format!("must be a number from {min} to {max}"));
                    fallback
                }
            },
        }
    }

    fn array<'a>(&mut self, obj: &'a Map<String, Value>, path: &str, key: &str) -> Option<&'a Vec<Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.err(join(path, key), "must be an array");
                None
            }
        }
    }
}

/// Reads a whole configuration document (API field names) into the typed configuration.
pub fn read_config(doc: &Map<String, Value>) -> Result<ProjectConfig, Vec<FieldError>> {
    let mut r = Reader { errors: Vec::new() };
    let name = r.bounded_string(doc, "", "name", true, NAME_MAX);
    let allowed_countries = read_allowed_countries(&mut r, doc);
    let contact_email = r.email(doc, "", "contactEmail", false);
    let privacy_url = r.url(doc, "", "privacyUrl", false);
    let terms_and_conditions_url = r.url(doc, "", "termsAndConditionsUrl", false);
    let data_protection = r.object(doc, "", "dataProtection").and_then(|dp| read_data_protection(&mut r, dp));
    let default_language = r.string(doc, "", "defaultLanguage", false).unwrap_or_else(|| "en".into());
    if !is_language_tag(&default_language) {
        r.err("defaultLanguage", "must be a language code such as en or es");
    }
    let identifier = r.bounded_string(doc, "", "identifier", false, 64);
    if let Some(id) = &identifier
        && !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        r.err("identifier", "must contain only lower-case letters, digits, hyphens and underscores");
    }
    let target = r.choice(doc, "", "target", Target::parse, Target::allowed()).unwrap_or(Target::Personal);
    let demo_mode = r.boolean(doc, "", "demoMode", false);
    let demo_otp = match doc.get("demoOTP") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.clone()),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v < 1_000_000) => n.as_u64().map(|v| format!("{v:06}")),
        Some(_) => {
            r.err("demoOTP", "must be 6 digits");
            None
        }
    };
    let public_sign_up = r.boolean(doc, "", "publicSignUp", false);
    let retention_days = match doc.get("retentionDays") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|d| (1..=RETENTION_MAX_DAYS).contains(d)) {
            Some(d) => Some(d as u32),
            None => {
                r.err("retentionDays", format!("must be a whole number of days from 1 to {RETENTION_MAX_DAYS}, or null to keep"));
                None
            }
        },
    };
    let branding = r.object(doc, "", "branding").map(|b| read_branding(&mut r, b)).unwrap_or_default();
    let flow = read_flow(&mut r, doc, target);

    match (r.errors.is_empty(), name, allowed_countries) {
        (true, Some(name), Some(allowed_countries)) => Ok(ProjectConfig {
            name,
            allowed_countries,
            contact_email,
            privacy_url,
            terms_and_conditions_url,
            data_protection,
            default_language,
            identifier,
            target,
            demo_mode,
            demo_otp,
            public_sign_up,
            retention_days,
            branding,
            flow,
        }),
        _ => Err(r.errors),
    }
}

fn is_language_tag(s: &str) -> bool {
    let (lang, region) = s.split_once('-').map_or((s, None), |(l, r)| (l, Some(r)));
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()))
}

fn read_allowed_countries(r: &mut Reader, doc: &Map<String, Value>) -> Option<AllowedCountries> {
    let values: Vec<&Value> = match doc.get("allowedCountries") {
        None | Some(Value::Null) => {
            r.err("allowedCountries", "is required");
            return None;
        }
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::String(_)) => vec![v],
        Some(_) => {
            r.err("allowedCountries", "must be an array of country names or \"All\"");
            return None;
        }
    };
    if values.is_empty() {
        r.err("allowedCountries", "must name at least one country, or \"All\"");
        return None;
    }
    let mut out = Vec::new();
    let mut all = false;
    for (i, v) in values.iter().enumerate() {
        match v.as_str().map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("all") => all = true,
            Some(s) => match Country::parse(s) {
                Some(c) if !out.contains(&c) => out.push(c),
                Some(_) => {}
                None => r.err(format!("allowedCountries[{i}]"), "country not supported"),
            },
            None => r.err(format!("allowedCountries[{i}]"), "must be a country name"),
        }
    }
    Some(if all { AllowedCountries::All } else { AllowedCountries::Only(out) })
}

fn read_data_protection(r: &mut Reader, dp: &Map<String, Value>) -> Option<DataProtection> {
    let p = "dataProtection";
    let before = r.errors.len();
    let name = r.bounded_string(dp, p, "name", true, 200);
    let email = r.email(dp, p, "email", true);
    let address = r.bounded_string(dp, p, "address", true, 200);
    let address2 = r.bounded_string(dp, p, "address2", false, 200);
    let city = r.bounded_string(dp, p, "city", true, 100);
    let country = r.bounded_string(dp, p, "country", true, 100);
    let postal_code = r.string(dp, p, "postalCode", true);
    if let Some(pc) = &postal_code {
        let ok_chars = pc.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
        if !(3..=12).contains(&pc.chars().count()) || !ok_chars {
            r.err("dataProtection.postalCode", "must be 3 to 12 letters, digits, spaces or hyphens");
        }
    }
    if r.errors.len() > before {
        return None;
    }
    Some(DataProtection {
        name: name?,
        email: email?,
        address: address?,
        address2,
        city: city?,
        country: country?,
        postal_code: postal_code?,
    })
}

fn read_branding(r: &mut Reader, b: &Map<String, Value>) -> Branding {
    let mut out = Branding::default();
    for (key, _, kind) in BRANDING_FIELDS {
        let field = join("branding", key);
        let value = match b.get(key) {
            None => continue,
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                r.err(field, "must be a string");
                continue;
            }
        };
        if let Some(v) = &value {
            let ok = match kind {
                ColourKind::Hex => is_css_hex_colour(v),
                ColourKind::HexOrName => is_css_hex_colour(v) || CSS_NAMES.contains(&v.to_ascii_lowercase().as_str()),
                ColourKind::Image => {
                    v.len() <= 700_000
                        && (v.starts_with("data:image/") || url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
                }
                // Counted as sent, like every length (the value here is trimmed).
                ColourKind::Text => b.get(key).and_then(Value::as_str).is_some_and(|raw| raw.chars().count() <= BRANDING_TEXT_MAX),
            };
            if !ok {
                let msg = match kind {
                    ColourKind::Hex => "must be a CSS hex colour such as #01236D",
                    ColourKind::HexOrName => "must be a CSS hex colour or colour name",
                    ColourKind::Image => "must be an http(s) URL or a data:image/ URI",
                    ColourKind::Text => "must be at most 200 characters",
                };
                r.err(field, msg);
                continue;
            }
        }
        out.values.insert(key.to_string(), value);
    }
    out
}

fn read_flow(r: &mut Reader, doc: &Map<String, Value>, project_target: Target) -> Option<FlowConfig> {
    let flow = r.object(doc, "", "projectFlow")?;
    let p = "projectFlow";
    let declared = r.choice(doc, "", "projectFlowType", FlowType::parse, FlowType::allowed());
    let inner = r.choice(flow, p, "type", FlowType::parse, FlowType::allowed());
    let flow_type = match (declared, inner) {
        (Some(a), Some(b)) if a != b => {
            r.err("projectFlowType", "must match projectFlow.type");
            a
        }
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => {
            r.err("projectFlowType", "is required when projectFlow is given");
            FlowType::Onboarding
        }
    };
    if flow_type == FlowType::Login {
        r.err("projectFlowType", "a project's projectFlow is its onboarding flow; create a login flow with POST /v2/project-flows");
    }
    let target = r.choice(flow, p, "target", Target::parse, Target::allowed()).unwrap_or(project_target);
    if target != project_target {
        // One project, one kind of enrollee: the flow's target follows the project's (step 1).
        r.err("projectFlow.target", format!("must match the project's target ({})", project_target.as_str()));
    }
    let sign_up_form = r.object(flow, p, "signUpForm").map(|s| read_sign_up_form(r, s, "projectFlow.signUpForm"));
    let steps = r.object(flow, p, "steps").map(|s| read_steps(r, s, target)).unwrap_or_default();
    let integrations = r.object(flow, p, "integrations").map(|i| read_integrations(r, i));
    if target == Target::Business {
        return Some(read_business_flow(r, flow, flow_type, sign_up_form, steps, integrations));
    }
    let document_step = steps.document.unwrap_or(StepMode::Skip);
    let documents = match r.object(flow, p, "documents") {
        Some(d) => read_documents(r, d, "projectFlow.documents", document_step != StepMode::Skip, target, "steps.document is not skip"),
        None => {
            if document_step != StepMode::Skip {
                r.err("projectFlow.documents", "is required when steps.document is not skip");
            }
            None
        }
    };
    let liveness = r.object(flow, p, "liveness").map(|l| read_liveness(r, l, "projectFlow.liveness")).or_else(|| {
        // A liveness step without settings runs on the documented recommended values.
        (steps.liveness.is_some_and(|m| m != StepMode::Skip)).then(|| read_liveness(r, &Map::new(), "projectFlow.liveness"))
    });
    for business_only in ["business", "representatives"] {
        if flow.get(business_only).is_some_and(|v| !v.is_null()) {
            r.err(join(p, business_only), "belongs to a business flow (target: business)");
        }
    }
    Some(FlowConfig { flow_type, target, sign_up_form, steps, documents, liveness, integrations, business: None, representatives: None })
}

/// Personal flows have the steps `document` and `liveness`; business flows (reference 5.7, TS)
/// `businessVerification`, `legalRepresentative` and `liveness` (the representatives' selfie).
fn read_steps(r: &mut Reader, s: &Map<String, Value>, target: Target) -> Steps {
    let p = "projectFlow.steps";
    let (own, foreign): (&[&str], &[&str]) = match target {
        Target::Personal => (&["document", "liveness"], &["businessVerification", "legalRepresentative"]),
        Target::Business => (&["businessVerification", "legalRepresentative", "liveness"], &["document"]),
    };
    for key in foreign {
        if s.get(*key).is_some_and(|v| !v.is_null()) {
            r.err(join(p, key), format!("is not a step of a {} flow (its steps: {})", target.as_str(), own.join(", ")));
        }
    }
    let business = target == Target::Business;
    Steps {
        document: if business { None } else { r.choice(s, p, "document", StepMode::parse, StepMode::allowed()) },
        liveness: r.choice(s, p, "liveness", StepMode::parse, StepMode::allowed()),
        business_verification: match s.get("businessVerification") {
            _ if !business => None,
            None | Some(Value::Null) => None,
            Some(_) => Some(r.boolean(s, p, "businessVerification", false)),
        },
        legal_representative: if business { r.choice(s, p, "legalRepresentative", StepMode::parse, StepMode::allowed()) } else { None },
    }
}

/// A business flow: the applicant's sign-up form, the company part (`business`) and the
/// representatives' part (`representatives`), each required when its step runs. The personal
/// sections `documents` and `liveness` have their business places (`business.documentTypes`,
/// `representatives.documents`, `representatives.liveness`) and are refused at the top level
/// rather than silently ignored.
fn read_business_flow(
    r: &mut Reader,
    flow: &Map<String, Value>,
    flow_type: FlowType,
    sign_up_form: Option<SignUpForm>,
    steps: Steps,
    integrations: Option<Integrations>,
) -> FlowConfig {
    let p = "projectFlow";
    for (personal, place) in
        [("documents", "business.documentTypes and representatives.documents"), ("liveness", "representatives.liveness")]
    {
        if flow.get(personal).is_some_and(|v| !v.is_null()) {
            r.err(join(p, personal), format!("is not used by a business flow; configure {place}"));
        }
    }
    let verify_company = steps.business_verification.unwrap_or(false);
    let business = match r.object(flow, p, "business") {
        Some(b) => Some(read_business_section(r, b, verify_company)),
        None => {
            if verify_company {
                r.err("projectFlow.business", "is required when steps.businessVerification is true");
            }
            None
        }
    };
    let representative_step = steps.legal_representative.unwrap_or(StepMode::Skip);
    let liveness_step = steps.liveness.unwrap_or(StepMode::Skip);
    if representative_step == StepMode::Skip && liveness_step != StepMode::Skip {
        r.err(
            "projectFlow.steps.liveness",
            "must be skip when steps.legalRepresentative is skip (liveness is the representatives' selfie)",
        );
    }
    let representatives = match r.object(flow, p, "representatives") {
        Some(o) => read_representatives(r, o, representative_step != StepMode::Skip),
        None => {
            if representative_step != StepMode::Skip {
                r.err("projectFlow.representatives", "is required when steps.legalRepresentative is not skip");
            }
            None
        }
    };
    FlowConfig {
        flow_type,
        target: Target::Business,
        sign_up_form,
        steps,
        documents: None,
        liveness: None,
        integrations,
        business,
        representatives,
    }
}

fn read_business_section(r: &mut Reader, b: &Map<String, Value>, needed: bool) -> BusinessSection {
    let p = "projectFlow.business";
    BusinessSection {
        attempt_limit: r.integer(b, p, "attemptLimit", 1, 5, 3) as u8,
        criminal_history_verification: r.boolean(b, p, "criminalHistoryVerification", false),
        document_types: read_document_types(r, b, p, needed, Target::Business, "steps.businessVerification is true"),
        information_verification: r.boolean(b, p, "informationVerification", false),
        screening: r.boolean(b, p, "screening", false),
    }
}

/// `representatives{information, documents, liveness}`: the personal sign-up form, identity
/// documents and liveness settings each representative goes through.
fn read_representatives(r: &mut Reader, o: &Map<String, Value>, needed: bool) -> Option<Representatives> {
    let p = "projectFlow.representatives";
    let information = match r.object(o, p, "information") {
        Some(s) => Some(read_sign_up_form(r, s, "projectFlow.representatives.information")),
        None => {
            if needed {
                r.err(join(p, "information"), "is required: the sign-up form each representative fills in");
            }
            None
        }
    };
    let documents = match r.object(o, p, "documents") {
        Some(d) => {
            read_documents(r, d, "projectFlow.representatives.documents", needed, Target::Personal, "steps.legalRepresentative is not skip")
        }
        None => {
            if needed {
                r.err(join(p, "documents"), "is required: the identity documents each representative shows");
            }
            None
        }
    };
    let empty = Map::new();
    let settings = r.object(o, p, "liveness").unwrap_or(&empty);
    let liveness = read_liveness(r, settings, "projectFlow.representatives.liveness");
    Some(Representatives { information: information?, documents: documents?, liveness })
}

fn read_sign_up_form(r: &mut Reader, s: &Map<String, Value>, p: &str) -> SignUpForm {
    let email = r.boolean(s, p, "email", false);
    let phone = r.boolean(s, p, "phone", false);
    if !email && !phone {
        r.err(p, "needs email or phone (or both) to identify the enrollee");
    }
    let email_gateway = r.choice(s, p, "emailGateway", EmailGateway::parse, EmailGateway::allowed());
    let phone_gateway = r.choice(s, p, "phoneGateway", PhoneGateway::parse, PhoneGateway::allowed());
    let country_code = match s.get("countryCode") {
        // The Spanish page types it as a boolean; only the string form carries information.
        None | Some(Value::Null) | Some(Value::Bool(_)) => None,
        Some(Value::String(c)) if c.trim().is_empty() => None,
        Some(Value::String(c)) => {
            let c = c.trim();
            let known = Country::all().any(|k| k.alpha2().eq_ignore_ascii_case(c));
            if !known {
                r.err(join(p, "countryCode"), "must be the ISO alpha-2 code of a supported country");
            }
            Some(c.to_ascii_uppercase())
        }
        Some(_) => {
            r.err(join(p, "countryCode"), "must be a country code such as US");
            None
        }
    };
    let mut additional_fields = Vec::new();
    if let Some(items) = r.array(s, p, "additionalFields") {
        for (i, item) in items.iter().enumerate() {
            let path = format!("{p}.additionalFields[{i}]");
            match item {
                // The TS model uses plain names; PU3's example uses objects. Names become objects.
                Value::String(n) if !n.trim().is_empty() && n.chars().count() <= 60 => additional_fields.push(AdditionalField {
                    name: n.trim().to_string(),
                    label: n.trim().to_string(),
                    kind: "text".into(),
                    required: false,
                }),
                Value::Object(o) => {
                    let name = r.bounded_string(o, &path, "name", true, 60);
                    let label = r.bounded_string(o, &path, "label", false, 120);
                    let kind = r.bounded_string(o, &path, "type", false, 30).unwrap_or_else(|| "text".into());
                    let required = r.boolean(o, &path, "required", false);
                    if let Some(name) = name {
                        additional_fields.push(AdditionalField { label: label.unwrap_or_else(|| name.clone()), name, kind, required });
                    }
                }
                _ => r.err(path, "must be a field name or {name, label, type, required}"),
            }
        }
    }
    SignUpForm {
        full_name: r.boolean(s, p, "fullName", true),
        full_name_style: r.choice(s, p, "fullNameStyle", FullNameStyle::parse, FullNameStyle::allowed()).unwrap_or(FullNameStyle::Together),
        email,
        email_gateway: email_gateway.unwrap_or(if email { EmailGateway::Mailgun } else { EmailGateway::None }),
        phone,
        phone_gateway: phone_gateway.unwrap_or(if phone { PhoneGateway::Sms } else { PhoneGateway::None }),
        country_code,
        allow_additional_fields: r.boolean(s, p, "allowAdditionalFields", false),
        additional_fields,
        show_privacy_notice: r.boolean(s, p, "showPrivacyNotice", true),
        show_terms_and_conditions: r.boolean(s, p, "showTermsAndConditions", true),
    }
}

fn read_documents(r: &mut Reader, d: &Map<String, Value>, p: &str, needed: bool, target: Target, when: &str) -> Option<Documents> {
    let attempt_limit = r.integer(d, p, "attemptLimit", 1, 5, 3) as u8;
    let mut verification_methods = Vec::new();
    match r.array(d, p, "verificationMethods") {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().and_then(VerificationMethod::parse) {
                    Some(m) if !verification_methods.contains(&m) => verification_methods.push(m),
                    Some(_) => {}
                    None => {
                        r.err(format!("{p}.verificationMethods[{i}]"), "must be one of SCAN_PROMPT|SCAN_STUDIO|SCAN_ZERO (or scan|upload)")
                    }
                }
            }
            if items.is_empty() && needed {
                r.err(format!("{p}.verificationMethods"), format!("must name at least one method when {when}"));
            }
        }
        None if needed => r.err(format!("{p}.verificationMethods"), format!("is required when {when}")),
        None => {}
    }
    let document_types = read_document_types(r, d, p, needed, target, when);
    Some(Documents {
        attempt_limit,
        verification_methods,
        document_types,
        information_verification: r.boolean(d, p, "informationVerification", false),
        screening: r.boolean(d, p, "screening", false),
        criminal_history_verification: r.boolean(d, p, "criminalHistoryVerification", false),
    })
}

/// `documentTypes`: one entry per country, each with at least one active configuration of the
/// target's categories (reference 5.7/5.8); a country listed twice is refused.
fn read_document_types(r: &mut Reader, d: &Map<String, Value>, p: &str, needed: bool, target: Target, when: &str) -> Vec<DocumentType> {
    let mut document_types: Vec<DocumentType> = Vec::new();
    match r.array(d, p, "documentTypes") {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{p}.documentTypes[{i}]");
                let Some(o) = item.as_object() else {
                    r.err(path, "must be an object {country, configurations}");
                    continue;
                };
                if let Some(dt) = read_document_type(r, o, &path, target) {
                    if document_types.iter().any(|e| e.country == dt.country) {
                        r.err(format!("{path}.country"), "is listed twice");
                    } else {
                        document_types.push(dt);
                    }
                }
            }
            if items.is_empty() && needed {
                r.err(format!("{p}.documentTypes"), format!("must list at least one country when {when}"));
            }
        }
        None if needed => r.err(format!("{p}.documentTypes"), format!("is required when {when}")),
        None => {}
    }
    document_types
}

fn read_document_type(r: &mut Reader, o: &Map<String, Value>, path: &str, target: Target) -> Option<DocumentType> {
    let country = match r.string(o, path, "country", true) {
        Some(c) => match Country::parse(&c) {
            Some(c) => Some(c),
            None => {
                r.err(format!("{path}.country"), "country not supported");
                None
            }
        },
        None => None,
    };
    let mut configurations = Vec::new();
    match r.array(o, path, "configurations") {
        Some(items) => {
            for (j, item) in items.iter().enumerate() {
                let cpath = format!("{path}.configurations[{j}]");
                let Some(c) = item.as_object() else {
                    r.err(cpath, "must be an object {active, documentCategory, documentTemplates}");
                    continue;
                };
                let active = r.boolean(c, &cpath, "active", false);
                let category = r.choice(c, &cpath, "documentCategory", DocumentCategory::parse, DocumentCategory::allowed());
                if category.is_none() && c.get("documentCategory").is_none_or(Value::is_null) {
                    r.err(format!("{cpath}.documentCategory"), "is required");
                }
                if let Some(cat) = category {
                    let business =
                        matches!(cat, DocumentCategory::BankDocument | DocumentCategory::TaxDocument | DocumentCategory::BusinessDocument);
                    if business != (target == Target::Business) {
                        let allowed = if target == Target::Business {
                            "bank_document|tax_document|business_document"
                        } else {
                            "government_id|passport|license"
                        };
                        r.err(format!("{cpath}.documentCategory"), format!("must be one of {allowed} for a {} flow", target.as_str()));
                    }
                }
                let mut templates = Vec::new();
                if let Some(ts) = r.array(c, &cpath, "documentTemplates") {
                    for (k, t) in ts.iter().enumerate() {
                        let tpath = format!("{cpath}.documentTemplates[{k}]");
                        let Some(t) = t.as_object() else {
                            r.err(tpath, "must be an object {promptTemplate, required}");
                            continue;
                        };
                        let prompt = match t.get("promptTemplate") {
                            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 64 => Some(s.trim().to_string()),
                            Some(Value::Object(pt)) => pt.get("_id").and_then(Value::as_str).map(str::to_string),
                            _ => None,
                        };
                        let required = r
                            .choice(t, &tpath, "required", Requiredness::parse, Requiredness::allowed())
                            .unwrap_or(Requiredness::Mandatory);
                        match prompt {
                            Some(prompt_template) => templates.push(DocumentTemplate { prompt_template, required }),
                            None => r.err(format!("{tpath}.promptTemplate"), "must be a template id or an object with _id"),
                        }
                    }
                }
                if let Some(category) = category {
                    configurations.push(DocumentConfiguration { active, category, templates });
                }
            }
            if !configurations.iter().any(|c| c.active) {
                r.err(format!("{path}.configurations"), "needs at least one active configuration");
            }
        }
        None => r.err(format!("{path}.configurations"), "is required"),
    }
    Some(DocumentType { country: country?, configurations })
}

/// Reads a login flow's `loginSettings` (reference 5.4), whole: a partial update is merged onto
/// [`LoginSettings::to_json`] first, as project updates are.
pub fn read_login_settings(l: &Map<String, Value>) -> Result<LoginSettings, Vec<FieldError>> {
    let mut r = Reader { errors: Vec::new() };
    let p = "loginSettings";
    let email = r.boolean(l, p, "email", false);
    let phone = r.boolean(l, p, "phone", false);
    let face_liveness = r.boolean(l, p, "faceLiveness", false);
    let email_gateway = r.choice(l, p, "emailGateway", EmailGateway::parse, EmailGateway::allowed());
    let phone_gateway = r.choice(l, p, "phoneGateway", PhoneGateway::parse, PhoneGateway::allowed());
    let (lo, hi) = LOGIN_LIVENESS_MIN_SCORE;
    let liveness_min_score = r.score(l, p, "livenessMinScore", lo, hi, 0.65);
    let search_mode = r.choice(l, p, "searchMode", SearchMode::parse, SearchMode::allowed()).unwrap_or(SearchMode::Fast);
    let search_min_score = r.score(l, p, "searchMinScore", SEARCH_MIN_SCORE.0, SEARCH_MIN_SCORE.1, 0.80);
    let mut steps = Vec::new();
    match r.array(l, p, "steps") {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                let field = format!("{p}.steps[{i}]");
                match item.as_str().and_then(LoginStep::parse) {
                    Some(step) if steps.contains(&step) => r.err(field, "is listed twice"),
                    Some(step) => {
                        let enabled = match step {
                            LoginStep::Email => email,
                            LoginStep::Phone => phone,
                            LoginStep::Liveness => face_liveness,
                        };
                        if !enabled {
                            let toggle = match step {
                                LoginStep::Email => "email",
                                LoginStep::Phone => "phone",
                                LoginStep::Liveness => "faceLiveness",
                            };
                            r.err(field, format!("needs {p}.{toggle}: true"));
                        }
                        steps.push(step);
                    }
                    None => r.err(field, format!("must be one of {}", LoginStep::allowed())),
                }
            }
        }
        // Without a list, the enabled factors in the documented order.
        None => {
            for (on, step) in [(email, LoginStep::Email), (phone, LoginStep::Phone), (face_liveness, LoginStep::Liveness)] {
                if on {
                    steps.push(step);
                }
            }
        }
    }
    if !email && !phone && !face_liveness {
        r.err(p, "needs at least one of email, phone or faceLiveness");
    }
    let settings = LoginSettings {
        email,
        email_gateway: email_gateway.unwrap_or(if email { EmailGateway::Mailgun } else { EmailGateway::None }),
        phone,
        phone_gateway: phone_gateway.unwrap_or(if phone { PhoneGateway::Sms } else { PhoneGateway::None }),
        face_liveness,
        show_face_liveness_recommendation: r.boolean(l, p, "showFaceLivenessRecommendation", false),
        liveness_min_score,
        search_mode,
        search_min_score,
        steps,
        allow_passkeys: r.boolean(l, p, "allowPasskeys", false),
    };
    if r.errors.is_empty() { Ok(settings) } else { Err(r.errors) }
}

impl LoginSettings {
    /// The API form, which [`read_login_settings`] reads back into equal settings.
    pub fn to_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }
}

fn read_liveness(r: &mut Reader, l: &Map<String, Value>, p: &str) -> Liveness {
    Liveness {
        attempt_limit: r.integer(l, p, "attemptLimit", 1, 5, 3) as u8,
        min_score: r.score(l, p, "minScore", LIVENESS_MIN_SCORE.0, LIVENESS_MIN_SCORE.1, 0.65),
        search_min_score: r.score(l, p, "searchMinScore", SEARCH_MIN_SCORE.0, SEARCH_MIN_SCORE.1, 0.80),
        search_mode: r.choice(l, p, "searchMode", SearchMode::parse, SearchMode::allowed()).unwrap_or(SearchMode::Fast),
        mode: r.choice(l, p, "mode", LivenessMode::parse, LivenessMode::allowed()).unwrap_or(LivenessMode::Passive),
    }
}

fn read_integrations(r: &mut Reader, i: &Map<String, Value>) -> Integrations {
    let p = "projectFlow.integrations";
    let source = r.choice(i, p, "source", Source::parse, Source::allowed()).unwrap_or(Source::None);
    let strategy = r.choice(i, p, "strategy", Strategy::parse, Strategy::allowed()).unwrap_or(Strategy::None);
    let api = source == Source::Api;
    let api_url = r.url(i, p, "apiUrl", api);
    let api_test_type = r.choice(i, p, "apiTestType", ApiTestType::parse, ApiTestType::allowed());
    if api && api_test_type.is_none() && i.get("apiTestType").is_none_or(Value::is_null) {
        r.err(join(p, "apiTestType"), "is required when source is API");
    }
    let api_test_value = r.bounded_string(i, p, "apiTestValue", api, 254);
    if strategy == Strategy::Blacklist && source == Source::None {
        r.err(join(p, "source"), "must be API or CSV when strategy is blacklist");
    }
    let webhook = match i.get("webhook") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => match crate::ids::parse_object_id(s) {
            Ok(id) => Some(id),
            Err(e) => {
                r.err(join(p, "webhook"), e.to_string());
                None
            }
        },
        Some(_) => {
            r.err(join(p, "webhook"), "must be a webhook id or null");
            None
        }
    };
    Integrations {
        redirect_url: r.url(i, p, "redirectUrl", false),
        webhook,
        webhook_url: r.url(i, p, "webhookUrl", false),
        source,
        strategy,
        api_url,
        api_test_type,
        api_test_value,
        fail_mode: r.choice(i, p, "failMode", FailMode::parse, FailMode::allowed()).unwrap_or(FailMode::Closed),
    }
}

// ---------------------------------------------------------------------------------------------
// The API (JSON) form of a configuration
// ---------------------------------------------------------------------------------------------

impl Branding {
    /// Explicitly set values only (the merge base).
    pub fn to_json_set(&self) -> Value {
        Value::Object(self.values.iter().map(|(k, v)| (k.clone(), v.clone().map_or(Value::Null, Value::String))).collect())
    }
    pub fn is_configured(&self) -> bool {
        !self.values.is_empty()
    }
    /// Every field, defaults filled in, plus the read-only fields GET responses carry.
    pub fn full(&self) -> BrandingFull<'_> {
        BrandingFull(self)
    }
}

/// Branding as responses show it: every v3 field, defaults filled in.
pub struct BrandingFull<'a>(&'a Branding);

impl Serialize for BrandingFull<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(BRANDING_FIELDS.len() + 2))?;
        for (key, default, _) in BRANDING_FIELDS {
            let v = match self.0.values.get(key) {
                Some(v) => v.as_deref(),
                None => default,
            };
            m.serialize_entry(key, &v)?;
        }
        m.serialize_entry("backgroundImage", &Option::<&str>::None)?;
        m.serialize_entry("backgroundImageColor", "")?;
        m.end()
    }
}

/// The flow's configured sections in API form (no ids, status or timestamps).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowSections<'a> {
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    pub target: Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_up_form: Option<&'a SignUpForm>,
    pub steps: &'a Steps,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<&'a Documents>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<&'a Liveness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrations: Option<&'a Integrations>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business: Option<&'a BusinessSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representatives: Option<&'a Representatives>,
}

impl FlowConfig {
    pub fn sections(&self) -> FlowSections<'_> {
        FlowSections {
            flow_type: self.flow_type,
            target: self.target,
            sign_up_form: self.sign_up_form.as_ref(),
            steps: &self.steps,
            documents: self.documents.as_ref(),
            liveness: self.liveness.as_ref(),
            integrations: self.integrations.as_ref(),
            business: self.business.as_ref(),
            representatives: self.representatives.as_ref(),
        }
    }

    /// The personal flow each representative of a business goes through: the representatives'
    /// sign-up form, a mandatory identity document (screened when the business is), and the
    /// business flow's liveness step, with
    /// the business flow's integrations (redirect, webhook). `None` for personal flows and for
    /// business flows that invite no representatives.
    pub fn representative_flow(&self) -> Option<FlowConfig> {
        let reps = self.representatives.as_ref()?;
        if self.target != Target::Business || self.steps.legal_representative.is_none_or(|m| m == StepMode::Skip) {
            return None;
        }
        let liveness_step = self.steps.liveness.unwrap_or(StepMode::Skip);
        // A business screened against the sanctions lists has its people screened too.
        let mut documents = reps.documents.clone();
        documents.screening |= self.business.as_ref().is_some_and(|b| b.screening);
        Some(FlowConfig {
            flow_type: self.flow_type,
            target: Target::Personal,
            sign_up_form: Some(reps.information.clone()),
            steps: Steps { document: Some(StepMode::Mandatory), liveness: Some(liveness_step), ..Steps::default() },
            documents: Some(documents),
            liveness: (liveness_step != StepMode::Skip).then(|| reps.liveness.clone()),
            integrations: self.integrations.clone(),
            business: None,
            representatives: None,
        })
    }
}

/// The project-level settings of steps 1 and 6 that responses and the merge base share.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Basics<'a> {
    pub name: &'a str,
    pub allowed_countries: &'a AllowedCountries,
    pub contact_email: &'a Option<String>,
    pub privacy_url: &'a Option<String>,
    pub terms_and_conditions_url: &'a Option<String>,
    pub data_protection: &'a Option<DataProtection>,
    pub default_language: &'a str,
    pub identifier: &'a Option<String>,
    pub target: Target,
    pub demo_mode: bool,
    pub public_sign_up: bool,
    pub retention_days: Option<u32>,
}

impl ProjectConfig {
    pub fn basics(&self) -> Basics<'_> {
        Basics {
            name: &self.name,
            allowed_countries: &self.allowed_countries,
            contact_email: &self.contact_email,
            privacy_url: &self.privacy_url,
            terms_and_conditions_url: &self.terms_and_conditions_url,
            data_protection: &self.data_protection,
            default_language: &self.default_language,
            identifier: &self.identifier,
            target: self.target,
            demo_mode: self.demo_mode,
            public_sign_up: self.public_sign_up,
            retention_days: self.retention_days,
        }
    }

    /// The writable part in API form: what [`read_config`] reads back into an equal configuration.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut m = match serde_json::to_value(self.basics()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        m.insert("demoOTP".into(), json!(self.demo_otp));
        m.insert("branding".into(), self.branding.to_json_set());
        if let Some(flow) = &self.flow {
            m.insert("projectFlow".into(), serde_json::to_value(flow.sections()).unwrap_or(Value::Null));
            m.insert("projectFlowType".into(), json!(flow.flow_type.as_str()));
        }
        // Nulls mean "absent" to the reader; leave them out so the merge base is minimal.
        m.retain(|_, v| !v.is_null());
        m
    }
}

#[cfg(test)]
mod tests;

//! App registrations: one enrollee's way through a project's flow (reference section 6). This
//! module owns the record, its statuses, the rules for starting one (who may, with which personal
//! fields, against which flow) and the events each change emits. A registration pins a snapshot of
//! the flow it began with, so an operator editing the flow never changes the rules for people
//! already on their way.

use crate::clock::Timestamp;
use crate::config::{FlowConfig, FlowType};
use crate::error::{DomainError, FieldError};
use crate::ids::{ClientId, FlowId, ProjectId, RegistrationId};
use crate::project::{Project, ProjectStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The reference's enrollee-token lifetime.
pub const ENROLLEE_TOKEN_MINUTES: i64 = 120;
/// How long a registration may stay unfinished before the sweeper marks it `EXPIRED` (default;
/// `SMARTENROLL_REGISTRATION_LIFETIME_HOURS` overrides it).
pub const DEFAULT_LIFETIME_HOURS: i64 = 72;

/// The reference's statuses (6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistrationStatus {
    Started,
    Ongoing,
    CompletedWithoutKyc,
    Completed,
    Failed,
    NeedsManualVerification,
    Expired,
}

impl RegistrationStatus {
    pub const ALL: [Self; 7] = [
        Self::Started,
        Self::Ongoing,
        Self::CompletedWithoutKyc,
        Self::Completed,
        Self::Failed,
        Self::NeedsManualVerification,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Ongoing => "ONGOING",
            Self::CompletedWithoutKyc => "COMPLETED_WITHOUT_KYC",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::NeedsManualVerification => "NEEDS_MANUAL_VERIFICATION",
            Self::Expired => "EXPIRED",
        }
    }

    /// Case-insensitive.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// No enrollee step can change a registration in this status any more.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::CompletedWithoutKyc | Self::Completed | Self::Failed | Self::Expired)
    }

    /// Finished, or waiting for a reviewer: either way the enrollee's part is over and no
    /// automatic decision applies any more.
    pub fn is_settled(self) -> bool {
        self.is_finished() || self == Self::NeedsManualVerification
    }
}

/// How the registration was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Server to server, with the operator's client token.
    Operator,
    /// From a hosted page without a token (projects that allow public sign-up).
    Public,
}

/// The enrollee's identifying fields, normalised: email lower-cased without spaces, phone as
/// E.164 (`+<country code><number>`, digits only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub email: Option<String>,
    /// The national number as given, digits only.
    pub phone: Option<String>,
    /// `+<1-3 digits>`.
    pub country_code: Option<String>,
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The sign-up form's additional fields (`signUpForm.additionalFields`), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub additional: BTreeMap<String, String>,
}

impl Person {
    /// `+<country code><number>`, when a phone was given.
    pub fn e164(&self) -> Option<String> {
        Some(format!("{}{}", self.country_code.as_deref()?, self.phone.as_deref()?))
    }
}

/// Consent evidence: the privacy notice and terms the enrollee was shown (the project's links at
/// the time) and when they were accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    pub privacy_url: Option<String>,
    pub terms_and_conditions_url: Option<String>,
    pub accepted_at: Option<Timestamp>,
}

/// One entry of the append-only decision history: who, when, what, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub at: Timestamp,
    /// `system`, `enrollee` or `client:<clientId>`.
    pub by: String,
    /// What happened: `created`, a status (`COMPLETED`, …), `evidence_viewed`, …
    pub action: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub id: RegistrationId,
    pub client: ClientId,
    pub project: ProjectId,
    pub flow: FlowId,
    pub flow_type: FlowType,
    /// The flow as it was when this registration began (its rules for this enrollee).
    pub flow_config: FlowConfig,
    /// The project's version when the flow was pinned.
    pub flow_revision: u64,
    /// Started on a `demoMode` project: marked in every object and event.
    pub demo: bool,
    pub status: RegistrationStatus,
    pub current_step: String,
    pub person: Person,
    pub language: String,
    pub consent: Consent,
    pub origin: Origin,
    /// The email and phone one-time-code validations (absent until a code is asked for).
    #[serde(default)]
    pub email_validation: Option<crate::otp::OtpState>,
    #[serde(default)]
    pub phone_validation: Option<crate::otp::OtpState>,
    /// Document and selfie attempts, in submission order.
    #[serde(default)]
    pub checks: Vec<crate::verification::Check>,
    /// When the enrollee synced `end` (the decision is made once no check is running).
    #[serde(default)]
    pub end_requested_at: Option<Timestamp>,
    /// Reasons a person must look before this registration can complete (e.g. the blocklist API
    /// could not be asked and the project fails closed).
    #[serde(default)]
    pub holds: Vec<String>,
    pub history: Vec<HistoryEntry>,
    /// Optimistic-concurrency version (`__v`).
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Unfinished after this moment → `EXPIRED`.
    pub expires_at: Timestamp,
    /// The project's retention when this registration started: erased this many days after it
    /// finishes (`None`: kept until deleted).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Business registrations: the company (KYB, see [`crate::business`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<crate::business::Company>,
    /// Representative registrations: the business this person was invited to and their role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative_of: Option<crate::business::Link>,
    /// Business registrations: the people invited, with their last known status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub representatives: Vec<crate::business::Representative>,
}

/// The uniqueness keys a registration claims in its flow: one per identifier, so the same email or
/// phone cannot start twice in one flow. Kept as a SHA-256 so the key itself carries no personal
/// data (erasure deletes the keys with the registration anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueKey {
    pub kind: IdentifierKind,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierKind {
    Email,
    Phone,
}

impl IdentifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }
    /// The reference's conflict message.
    pub fn taken_message(self) -> &'static str {
        match self {
            Self::Email => "email_is_registered_already",
            Self::Phone => "phone_is_registered_already",
        }
    }
}

pub fn unique_key(flow: &impl std::fmt::Display, kind: IdentifierKind, value: &str) -> UniqueKey {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{flow}\n{}\n{value}", kind.as_str()).as_bytes());
    UniqueKey { kind, key: format!("{flow}#{}#{}", kind.as_str(), hex::encode(digest)) }
}

impl Registration {
    /// A representative's identifiers are unique among its business's people, not in the whole
    /// flow: the same director may represent two companies, or be the business's own applicant.
    pub fn unique_keys(&self) -> Vec<UniqueKey> {
        let mut keys = Vec::new();
        let flow = match &self.representative_of {
            Some(link) => format!("{}~{}", self.flow, link.business),
            None => self.flow.to_string(),
        };
        if let Some(email) = &self.person.email {
            keys.push(unique_key(&flow, IdentifierKind::Email, email));
        }
        if let Some(phone) = self.person.e164() {
            keys.push(unique_key(&flow, IdentifierKind::Phone, &phone));
        }
        keys
    }
}

/// Something that happened to a registration, recorded in the same write as the change (the
/// outbox the webhooks deliver from). `kind` is the reference's event type (7.3), e.g.
/// `onboarding_app_registration_created`; `object` the entity snapshot it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub client: ClientId,
    pub registration: RegistrationId,
    pub kind: String,
    pub object: Value,
    pub demo: bool,
    pub created_at: Timestamp,
}

impl Event {
    /// `{_id, type, object, demo, createdAt}` — the delivery payload plus its id and time.
    pub fn api_json(&self) -> Value {
        json!({"_id": self.id, "type": self.kind, "object": self.object, "demo": self.demo, "createdAt": self.created_at})
    }
}

/// Normalises an email the way the reference does (lower-cased, spaces removed) and checks it.
/// The longest email address taken anywhere (RFC 5321's path limit), counted as sent.
pub const EMAIL_MAX: usize = 254;

pub fn normalise_email(raw: &str) -> Option<String> {
    let e: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    let ok = email_address::EmailAddress::parse_with_options(&e, email_address::Options::default().without_display_text()).is_ok();
    (ok && e.len() <= 254).then_some(e)
}

/// `+` and 1–3 digits.
pub fn normalise_country_code(raw: &str) -> Option<String> {
    let t = raw.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    (!digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'))
        .then(|| format!("+{digits}"))
}

/// The national number with spaces, dashes, dots and brackets removed: 4–14 digits.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    (digits.len() >= 4 && digits.len() <= 14 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn text(body: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>, max: usize) -> Option<String> {
    match body.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        // Counted as sent, surrounding spaces included (as the published schema's maxLength).
        Some(Value::String(s)) if s.chars().count() <= max => Some(s.trim().to_string()),
        Some(Value::String(_)) => {
            errors.push(FieldError::new(key, format!("must be at most {max} characters")));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(key, "must be a string"));
            None
        }
    }
}

/// The longest value an additional sign-up field takes, counted as sent.
pub const ADDITIONAL_FIELD_MAX: usize = 500;

/// `additionalFields: {name: value}`: only the names the flow's form lists (when it allows
/// additional fields), each a string of at most [`ADDITIONAL_FIELD_MAX`] characters; the ones the
/// form marks `required` must be there.
fn additional_fields(
    body: &Map<String, Value>,
    form: Option<&crate::config::SignUpForm>,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let fields: &[crate::config::AdditionalField] = match form {
        Some(f) if f.allow_additional_fields => &f.additional_fields,
        _ => &[],
    };
    match body.get("additionalFields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(given)) => {
            for (name, value) in given {
                let field = format!("additionalFields.{name}");
                if !fields.iter().any(|f| &f.name == name) {
                    errors.push(FieldError::new(field, "is not an additional field of this sign-up form"));
                    continue;
                }
                match value {
                    Value::Null => {}
                    Value::String(s) if s.chars().count() > ADDITIONAL_FIELD_MAX => {
                        errors.push(FieldError::new(field, format!("must be at most {ADDITIONAL_FIELD_MAX} characters")));
                    }
                    Value::String(s) if !s.trim().is_empty() => {
                        out.insert(name.clone(), s.trim().to_string());
                    }
                    Value::String(_) => {}
                    _ => errors.push(FieldError::new(field, "must be a string")),
                }
            }
        }
        Some(_) => errors.push(FieldError::new("additionalFields", "must be an object of field name to value")),
    }
    for f in fields.iter().filter(|f| f.required) {
        let field = format!("additionalFields.{}", f.name);
        if !out.contains_key(&f.name) && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(field, "is required"));
        }
    }
    out
}

/// What starting a registration needs besides the request body.
pub struct StartCtx<'a> {
    pub id: RegistrationId,
    pub now: Timestamp,
    pub origin: Origin,
    pub lifetime_seconds: i64,
    pub ids: &'a dyn crate::ids::IdGenerator,
}

/// The request's `project` and `projectFlow` ids (both required), checked before the project is
/// read.
pub fn requested_flow(body: &Map<String, Value>) -> Result<(ProjectId, FlowId), DomainError> {
    let mut errors = Vec::new();
    let project = crate::ids::required_id(body, "project", ProjectId::parse, &mut errors);
    let flow = crate::ids::required_id(body, "projectFlow", FlowId::parse, &mut errors);
    match (project, flow) {
        (Some(p), Some(f)) if errors.is_empty() => Ok((p, f)),
        _ => Err(DomainError::Invalid(errors)),
    }
}

/// Starts a registration on `project` (already read, scoped by client): the project must be
/// active and `flow` its onboarding flow; the body carries the enrollee's identifiers (6.4). The
/// returned events are the `created` event (to record in the same write).
pub fn start(
    project: &Project,
    flow: &FlowId,
    body: &Map<String, Value>,
    ctx: &StartCtx<'_>,
) -> Result<(Registration, Vec<Event>), DomainError> {
    if project.status != ProjectStatus::Active {
        return Err(DomainError::Conflict {
            message: format!("project_not_active: the project is {}; only an active project takes registrations", project.status.as_str()),
            details: vec![],
        });
    }
    let (Some(record), Some(flow_config)) = (&project.flow, &project.config.flow) else {
        return Err(DomainError::NotFound("Project flow"));
    };
    if &record.id != flow {
        return Err(DomainError::NotFound("Project flow"));
    }
    if flow_config.flow_type != FlowType::Onboarding {
        return Err(DomainError::Conflict { message: "project_flow_not_onboarding".into(), details: vec![] });
    }
    let mut errors = Vec::new();
    let person = read_person(body, flow_config.sign_up_form.as_ref(), &mut errors);
    let language = read_language(body, &project.config.default_language, &mut errors);
    // A business flow's registration is the company's: its applicant signs up as above and gives
    // the company data. Representatives are invited from it, not started here.
    let company = match flow_config.target {
        crate::config::Target::Business => crate::business::read_company(body).map_err(|e| errors.extend(e)).ok(),
        crate::config::Target::Personal => None,
    };
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let now = ctx.now;
    let registration = Registration {
        id: ctx.id.clone(),
        client: project.client.clone(),
        project: project.id.clone(),
        flow: record.id.clone(),
        flow_type: flow_config.flow_type,
        flow_config: flow_config.clone(),
        flow_revision: project.version,
        demo: project.config.demo_mode,
        status: RegistrationStatus::Started,
        current_step: "signUpForm".into(),
        person,
        language: language.to_lowercase(),
        consent: Consent {
            privacy_url: project.config.privacy_url.clone(),
            terms_and_conditions_url: project.config.terms_and_conditions_url.clone(),
            accepted_at: None,
        },
        origin: ctx.origin,
        email_validation: None,
        phone_validation: None,
        checks: Vec::new(),
        end_requested_at: None,
        holds: Vec::new(),
        history: vec![HistoryEntry {
            at: now,
            by: match ctx.origin {
                Origin::Operator => format!("client:{}", project.client),
                Origin::Public => "enrollee".into(),
            },
            action: "created".into(),
            reason: None,
            note: None,
        }],
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at: now.plus_seconds(ctx.lifetime_seconds),
        retention_days: project.config.retention_days,
        company,
        representative_of: None,
        representatives: Vec::new(),
    };
    let mut object = registration.api_json(View::Operator);
    object["projectFlow"] = json!({"_id": record.id, "type": flow_config.flow_type.as_str()});
    let event = registration.event("app_registration_created", object, ctx.ids, now);
    Ok((registration, vec![event]))
}

/// The enrollee's identifiers and names from a sign-up body (6.4): email and/or phone (with its
/// country code), the name together or separate, and the form's additional fields.
fn read_person(body: &Map<String, Value>, form: Option<&crate::config::SignUpForm>, errors: &mut Vec<FieldError>) -> Person {
    let email = text(body, "email", errors, EMAIL_MAX).and_then(|raw| {
        normalise_email(&raw).or_else(|| {
            errors.push(FieldError::new("email", "Invalid email format"));
            None
        })
    });
    let phone = text(body, "phone", errors, 32).and_then(|raw| {
        normalise_phone(&raw).or_else(|| {
            errors.push(FieldError::new("phone", "must be 4 to 14 digits (spaces and dashes allowed)"));
            None
        })
    });
    let country_code = text(body, "countryCode", errors, 8).and_then(|raw| {
        normalise_country_code(&raw).or_else(|| {
            errors.push(FieldError::new("countryCode", "Invalid countryCode format: + followed by 1 to 3 digits"));
            None
        })
    });
    if phone.is_some() && country_code.is_none() && !errors.iter().any(|e| e.field == "countryCode") {
        errors.push(FieldError::new("countryCode", "missing countryCode: required with phone"));
    }
    if email.is_none() && phone.is_none() && !errors.iter().any(|e| e.field == "email" || e.field == "phone") {
        errors.push(FieldError::new("email", "Needs an email or a phone at least"));
    }
    let full_name = text(body, "fullName", errors, 200);
    let first_name = text(body, "firstName", errors, 100);
    let last_name = text(body, "lastName", errors, 100);
    let additional = additional_fields(body, form, errors);
    let full_name = full_name.or_else(|| match (&first_name, &last_name) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        _ => None,
    });
    Person { email, phone, country_code, full_name, first_name, last_name, additional }
}

fn read_language(body: &Map<String, Value>, default: &str, errors: &mut Vec<FieldError>) -> String {
    let language = text(body, "language", errors, 8).unwrap_or_else(|| default.to_string());
    if !language.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        errors.push(FieldError::new("language", "must be a language code such as en or es"));
    }
    language
}

/// A registration written with its events.
pub type Started = (Registration, Vec<Event>);

/// Starts a representative's registration, invited from `business` (a business registration
/// not finished, on a flow that asks for representatives): the personal flow its representatives
/// go through (pinned with the business's flow when it started), the person from `body` as in a
/// sign-up, and the link (role, ownership, mandatory). Returns the representative's registration
/// and its `created` event, and the business with the person added and its
/// `business_representative_invited` event.
pub fn start_representative(
    project: &Project,
    business: &Registration,
    body: &Map<String, Value>,
    ctx: &StartCtx<'_>,
) -> Result<(Started, Started), DomainError> {
    use crate::config::StepMode;
    let conflict = |m: &str| DomainError::Conflict { message: m.into(), details: vec![] };
    if business.company.is_none() {
        return Err(conflict("not_a_business_registration: representatives are invited to a business registration"));
    }
    if business.status.is_settled() {
        return Err(conflict(&format!("registration_finished: the registration is {}", business.status.as_str())));
    }
    let mode = business.flow_config.steps.legal_representative.unwrap_or(StepMode::Skip);
    let Some(flow_config) = business.flow_config.representative_flow() else {
        return Err(conflict("representatives_not_asked: this business flow does not invite representatives"));
    };
    if project.status != ProjectStatus::Active {
        return Err(conflict(&format!("project_not_active: the project is {}", project.status.as_str())));
    }
    // The applicant invites only once their own email or phone is proven.
    if ctx.origin == Origin::Public
        && let Some(what) = crate::verification::sign_up_missing(business)
    {
        return Err(conflict(&format!("signUpForm_validation_not_passed: the {what} is not validated")));
    }
    let mut errors = Vec::new();
    let person = read_person(body, flow_config.sign_up_form.as_ref(), &mut errors);
    let language = read_language(body, &business.language, &mut errors);
    let link = crate::business::read_link(body, business.id.clone(), mode == StepMode::Mandatory).map_err(|e| errors.extend(e)).ok();
    let (Some(link), true) = (link, errors.is_empty()) else {
        return Err(DomainError::Invalid(errors));
    };
    if business.representatives.len() >= crate::business::REPRESENTATIVES_MAX {
        return Err(conflict(&format!("too_many_representatives: a business may link at most {}", crate::business::REPRESENTATIVES_MAX)));
    }
    let now = ctx.now;
    let by = match ctx.origin {
        Origin::Operator => format!("client:{}", project.client),
        Origin::Public => "enrollee".into(),
    };
    let rep = Registration {
        id: ctx.id.clone(),
        client: business.client.clone(),
        project: business.project.clone(),
        flow: business.flow.clone(),
        flow_type: business.flow_type,
        flow_config,
        flow_revision: business.flow_revision,
        demo: business.demo,
        status: RegistrationStatus::Started,
        current_step: "signUpForm".into(),
        person,
        language: language.to_lowercase(),
        // The person accepts the notice and terms themselves (not the applicant for them).
        consent: Consent { accepted_at: None, ..business.consent.clone() },
        origin: ctx.origin,
        email_validation: None,
        phone_validation: None,
        checks: Vec::new(),
        end_requested_at: None,
        holds: Vec::new(),
        history: vec![HistoryEntry {
            at: now,
            by: by.clone(),
            action: "created".into(),
            reason: Some(format!("invited as {}", link.role.as_str())),
            note: None,
        }],
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at: now.plus_seconds(ctx.lifetime_seconds),
        retention_days: business.retention_days,
        company: None,
        representative_of: Some(link.clone()),
        representatives: Vec::new(),
    };
    let mut rep_object = rep.api_json(View::Operator);
    rep_object["projectFlow"] = json!({"_id": rep.flow, "type": rep.flow_type.as_str()});
    let rep_event = rep.event("app_registration_created", rep_object, ctx.ids, now);
    let mut next = business.clone();
    next.representatives.push(crate::business::Representative {
        registration: rep.id.clone(),
        role: link.role,
        ownership_percentage: link.ownership_percentage,
        mandatory: link.mandatory,
        status: RegistrationStatus::Started,
        invited_at: now,
        updated_at: now,
    });
    next.history.push(HistoryEntry {
        at: now,
        by,
        action: "representative_invited".into(),
        reason: Some(format!("{} as {}", rep.id, link.role.as_str())),
        note: None,
    });
    // The business waits for its people: it does not expire before the last one invited.
    next.expires_at = next.expires_at.max(rep.expires_at);
    next.version += 1;
    next.updated_at = now;
    let business_event = next.event("business_representative_invited", next.api_json(View::Operator), ctx.ids, now);
    Ok(((rep, vec![rep_event]), (next, vec![business_event])))
}

/// Which fields a reader of a registration sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The operator (client token): everything, including the decision history.
    Operator,
    /// The enrollee (their own registration, enrollee token): status and progress, their own
    /// identifiers, nothing about the operator's decisions.
    Enrollee,
}

impl Registration {
    /// When the retention sweeper erases this registration: `retention_days` after it finished
    /// (the moment of the history entry that set its final status). `None` while unfinished, or
    /// when the project keeps registrations until they are deleted.
    pub fn erase_due(&self) -> Option<Timestamp> {
        let days = self.retention_days?;
        if !self.status.is_finished() {
            return None;
        }
        let finished = self.history.iter().rev().find(|h| h.action == self.status.as_str()).map_or(self.updated_at, |h| h.at);
        Some(finished.plus_seconds(i64::from(days) * 86_400))
    }

    /// An event named `<flow type>_<suffix>` (`onboarding_app_registration_created`).
    pub fn event(&self, suffix: &str, object: Value, ids: &dyn crate::ids::IdGenerator, now: Timestamp) -> Event {
        Event {
            id: ids.object_id(),
            client: self.client.clone(),
            registration: self.id.clone(),
            kind: format!("{}_{suffix}", self.flow_type.as_str()),
            object,
            demo: self.demo,
            created_at: now,
        }
    }

    /// The reference's AppRegistration object (6.2), with `demo` and our additions.
    pub fn api_json(&self, view: View) -> Value {
        let p = &self.person;
        let mut v = json!({
            "_id": self.id,
            "client": self.client,
            "project": self.project,
            "projectFlow": self.flow,
            "status": self.status.as_str(),
            "email": p.email,
            "phone": p.phone,
            "countryCode": p.country_code,
            "name": p.full_name,
            "fullName": p.full_name,
            "firstName": p.first_name,
            "lastName": p.last_name,
            "additionalFields": p.additional,
            "currentStep": self.current_step,
            "language": self.language,
            "demo": self.demo,
            "expiresAt": self.expires_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        });
        let latest = |kind| self.checks.iter().rev().find(|c| c.kind == kind).map(|c| c.id.clone());
        v["documentValidation"] = json!(latest(crate::verification::CheckKind::Document));
        v["biometricValidation"] = json!(latest(crate::verification::CheckKind::Liveness));
        v["emailValidation"] = json!(self.email_validation.as_ref().map(|s| &s.id));
        v["phoneValidation"] = json!(self.phone_validation.as_ref().map(|s| &s.id));
        v["progress"] = crate::verification::progress(self);
        if let Some(company) = &self.company {
            v["target"] = json!("business");
            v["company"] = json!(company);
            v["representatives"] = json!(self.representatives);
            v["companyDocumentValidation"] = json!(latest(crate::verification::CheckKind::Company));
        }
        if let Some(link) = &self.representative_of {
            v["representativeOf"] = json!(link);
        }
        if view == View::Operator {
            v["checks"] = self.checks.iter().map(|c| c.api_json(self)).collect();
            v["origin"] = json!(self.origin);
            v["consent"] = json!(self.consent);
            v["history"] = json!(self.history);
            v["holds"] = json!(self.holds);
            v["flowRevision"] = json!(self.flow_revision);
            v["__v"] = json!(self.version);
        }
        v
    }
}

#[cfg(test)]
mod tests;

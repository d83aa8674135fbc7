//! The project record and its API rendering. A project holds the operator's configuration
//! ([`ProjectConfig`]), its lifecycle status, wizard progress and an optimistic-concurrency version.

use crate::clock::Timestamp;
use crate::config::ProjectConfig;
use crate::ids::{ClientId, FlowId, ProjectId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// `draft` (configuring) → `active` (enrolling) ⇄ `paused` (no new enrollments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Draft,
    Active,
    Paused,
}

impl ProjectStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "draft" => Some(Self::Draft),
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }
}

/// The flow's identity; its configuration lives in `config.flow` and its status follows the
/// project's (the reference requires both active to enroll; keeping them in lockstep means a
/// project can never be "active" with a paused flow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowRecord {
    pub id: FlowId,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub client: ClientId,
    pub config: ProjectConfig,
    pub status: ProjectStatus,
    pub flow: Option<FlowRecord>,
    /// The first step (1–6) not yet configured; 6 once all are.
    pub current_step: u8,
    /// How many steps, counted from step 1 without a gap, are configured (0–6).
    pub last_step: u8,
    /// Optimistic-concurrency version, incremented by every write (`__v` in the API).
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How a response shows `demoOTP`: the code once to the operator who set it, otherwise null
/// (the reference returns it encrypted or null on reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    DemoOtp,
    Hidden,
}

impl Project {
    /// The project object as the v3 API returns it, with the flow embedded in `projectFlows`.
    pub fn to_api_json(&self, reveal: Reveal) -> Value {
        let c = &self.config;
        let flows: Vec<Value> = match (&self.flow, &c.flow) {
            (Some(rec), Some(flow)) => {
                let mut f = flow.to_json();
                let redirect = f.get("integrations").and_then(|i| i.get("redirectUrl")).cloned().unwrap_or(Value::Null);
                let webhook_url = f.get("integrations").and_then(|i| i.get("webhookUrl")).cloned().unwrap_or(Value::Null);
                f.insert("_id".into(), json!(rec.id));
                f.insert("client".into(), json!(self.client));
                f.insert("project".into(), json!(self.id));
                f.insert("status".into(), json!(self.status.as_str()));
                f.insert("version".into(), json!(3));
                f.insert("redirectUrl".into(), redirect);
                f.insert("webhookUrl".into(), webhook_url);
                f.insert("createdAt".into(), json!(rec.created_at.to_iso()));
                f.insert("updatedAt".into(), json!(self.updated_at.to_iso()));
                vec![Value::Object(f)]
            }
            _ => Vec::new(),
        };
        let mut m = Map::new();
        m.insert("_id".into(), json!(self.id));
        m.insert("client".into(), json!(self.client));
        m.insert("name".into(), json!(c.name));
        m.insert("allowedCountries".into(), json!(c.allowed_countries.display_names()));
        m.insert("contactEmail".into(), json!(c.contact_email));
        m.insert("privacyUrl".into(), json!(c.privacy_url));
        m.insert("termsAndConditionsUrl".into(), json!(c.terms_and_conditions_url));
        m.insert(
            "dataProtection".into(),
            c.data_protection.as_ref().map_or(Value::Null, |d| {
                json!({
                    "name": d.name, "email": d.email, "address": d.address, "address2": d.address2,
                    "city": d.city, "country": d.country, "postalCode": d.postal_code,
                })
            }),
        );
        m.insert("defaultLanguage".into(), json!(c.default_language));
        m.insert("identifier".into(), json!(c.identifier));
        m.insert("target".into(), json!(c.target.as_str()));
        m.insert("demoMode".into(), json!(c.demo_mode));
        m.insert("demoOTP".into(), if reveal == Reveal::DemoOtp { json!(c.demo_otp) } else { Value::Null });
        m.insert("branding".into(), c.branding.to_json_full());
        m.insert("status".into(), json!(self.status.as_str()));
        m.insert("currentStep".into(), json!(self.current_step));
        m.insert("lastStep".into(), json!(self.last_step));
        m.insert("version".into(), json!(2));
        m.insert("projectFlows".into(), Value::Array(flows));
        m.insert("createdAt".into(), json!(self.created_at.to_iso()));
        m.insert("updatedAt".into(), json!(self.updated_at.to_iso()));
        m.insert("__v".into(), json!(self.version));
        Value::Object(m)
    }
}

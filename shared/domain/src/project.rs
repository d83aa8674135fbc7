//! The project record and its API rendering. A project holds the operator's configuration
//! ([`ProjectConfig`]), its lifecycle status, wizard progress and an optimistic-concurrency version.

use crate::clock::Timestamp;
use crate::config::{Basics, BrandingFull, FlowSections, ProjectConfig};
use crate::ids::{ClientId, FlowId, ProjectId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `draft` (configuring) → `active` (enrolling) ⇄ `paused` (no new enrollments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Draft,
    Active,
    Paused,
}

impl ProjectStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Active, Self::Paused];

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

/// A project flow as responses show it (`projectFlows[i]`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a FlowId,
    pub client: &'a ClientId,
    pub project: &'a ProjectId,
    pub status: ProjectStatus,
    pub version: u8,
    #[serde(flatten)]
    pub sections: FlowSections<'a>,
    /// Mirrors of `integrations.redirectUrl`/`webhookUrl`, where legacy clients read them.
    pub redirect_url: Option<&'a str>,
    pub webhook_url: Option<&'a str>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The project object as the v3 API returns it, with its flow embedded in `projectFlows`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a ProjectId,
    pub client: &'a ClientId,
    #[serde(flatten)]
    pub basics: Basics<'a>,
    #[serde(rename = "demoOTP")]
    pub demo_otp: Option<&'a str>,
    pub branding: BrandingFull<'a>,
    pub status: ProjectStatus,
    pub current_step: u8,
    pub last_step: u8,
    /// The reference's project schema version (always 2 in its examples).
    pub version: u8,
    pub project_flows: Vec<FlowView<'a>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(rename = "__v")]
    pub revision: u64,
}

impl Project {
    pub fn api_view(&self, reveal: Reveal) -> ProjectView<'_> {
        let c = &self.config;
        let flows = match (&self.flow, &c.flow) {
            (Some(rec), Some(flow)) => {
                let integrations = flow.integrations.as_ref();
                vec![FlowView {
                    id: &rec.id,
                    client: &self.client,
                    project: &self.id,
                    status: self.status,
                    version: 3,
                    sections: flow.sections(),
                    redirect_url: integrations.and_then(|i| i.redirect_url.as_deref()),
                    webhook_url: integrations.and_then(|i| i.webhook_url.as_deref()),
                    created_at: rec.created_at,
                    updated_at: self.updated_at,
                }]
            }
            _ => Vec::new(),
        };
        ProjectView {
            id: &self.id,
            client: &self.client,
            basics: c.basics(),
            demo_otp: if reveal == Reveal::DemoOtp { c.demo_otp.as_deref() } else { None },
            branding: c.branding.full(),
            status: self.status,
            current_step: self.current_step,
            last_step: self.last_step,
            version: 2,
            project_flows: flows,
            created_at: self.created_at,
            updated_at: self.updated_at,
            revision: self.version,
        }
    }

    /// The API form as a JSON value (tests and tools; handlers serialise the view directly).
    pub fn to_api_json(&self, reveal: Reveal) -> Value {
        serde_json::to_value(self.api_view(reveal)).unwrap_or(Value::Null)
    }
}

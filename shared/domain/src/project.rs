//! The project record and its API rendering. A project holds the operator's configuration
//! ([`ProjectConfig`]), its lifecycle status, wizard progress and an optimistic-concurrency version.

use crate::clock::Timestamp;
use crate::config::{Basics, BrandingFull, FlowSections, FlowType, LoginSettings, ProjectConfig};
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
    /// The accepted values (any case), as the published schema lists them.
    pub const ALLOWED: &'static str = "draft|active|paused";

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
    /// The flow's display name (`name` of the project-flows resource; optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The project's login flow (type `login`, reference 5.4): how returning enrollees sign in. Kept on
/// the project record beside the onboarding flow, so that "one flow per (project, type)" is one
/// record's invariant and the two change together with the project's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginFlow {
    pub id: FlowId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub settings: LoginSettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: ProjectId,
    pub client: ClientId,
    pub config: ProjectConfig,
    pub status: ProjectStatus,
    pub flow: Option<FlowRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginFlow>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(flatten)]
    pub sections: FlowSections<'a>,
    /// Mirrors of `integrations.redirectUrl`/`webhookUrl`, where legacy clients read them.
    pub redirect_url: Option<&'a str>,
    pub webhook_url: Option<&'a str>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A login flow as responses show it (the legacy schema's `loginSettings`, version 1).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginFlowView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a FlowId,
    pub client: &'a ClientId,
    pub project: &'a ProjectId,
    #[serde(rename = "type")]
    pub flow_type: FlowType,
    pub status: ProjectStatus,
    pub version: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub login_settings: &'a LoginSettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Either kind of flow, as `projectFlows[i]` and the project-flows resource show it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum AnyFlowView<'a> {
    Onboarding(FlowView<'a>),
    Login(LoginFlowView<'a>),
}

impl AnyFlowView<'_> {
    pub fn id(&self) -> &FlowId {
        match self {
            AnyFlowView::Onboarding(f) => f.id,
            AnyFlowView::Login(f) => f.id,
        }
    }
    pub fn flow_type(&self) -> FlowType {
        match self {
            AnyFlowView::Onboarding(f) => f.sections.flow_type,
            AnyFlowView::Login(_) => FlowType::Login,
        }
    }
    pub fn status(&self) -> ProjectStatus {
        match self {
            AnyFlowView::Onboarding(f) => f.status,
            AnyFlowView::Login(f) => f.status,
        }
    }
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
    pub project_flows: Vec<AnyFlowView<'a>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(rename = "__v")]
    pub revision: u64,
}

impl Project {
    /// The project's flows (onboarding first, then login), as responses show them.
    pub fn flow_views(&self) -> Vec<AnyFlowView<'_>> {
        let mut out = Vec::new();
        if let (Some(rec), Some(flow)) = (&self.flow, &self.config.flow) {
            let integrations = flow.integrations.as_ref();
            out.push(AnyFlowView::Onboarding(FlowView {
                id: &rec.id,
                client: &self.client,
                project: &self.id,
                status: self.status,
                version: 3,
                name: rec.name.as_deref(),
                sections: flow.sections(),
                redirect_url: integrations.and_then(|i| i.redirect_url.as_deref()),
                webhook_url: integrations.and_then(|i| i.webhook_url.as_deref()),
                created_at: rec.created_at,
                updated_at: self.updated_at,
            }));
        }
        if let Some(login) = &self.login {
            out.push(AnyFlowView::Login(LoginFlowView {
                id: &login.id,
                client: &self.client,
                project: &self.id,
                flow_type: FlowType::Login,
                status: self.status,
                version: 1,
                name: login.name.as_deref(),
                login_settings: &login.settings,
                created_at: login.created_at,
                updated_at: login.updated_at,
            }));
        }
        out
    }

    /// The ids by which this project can be found without knowing its client: its own and its
    /// flows' (what [`crate::ports::ProjectStore::locate`] resolves).
    pub fn lookup_ids(&self) -> Vec<String> {
        let mut ids = vec![self.id.to_string()];
        ids.extend(self.flow.as_ref().map(|f| f.id.to_string()));
        ids.extend(self.login.as_ref().map(|f| f.id.to_string()));
        ids
    }

    pub fn api_view(&self, reveal: Reveal) -> ProjectView<'_> {
        let c = &self.config;
        let flows = self.flow_views();
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

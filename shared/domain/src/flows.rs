//! The project-flows resource (`/v2/project-flows`, `/v3/project-flows/{id}`, reference 5): one
//! flow per (project, type), types `onboarding` and `login`.
//!
//! The onboarding flow *is* the project's embedded `projectFlow`: a flow write is translated into
//! the project update it stands for and goes through the same merge, the same reader and the same
//! lifecycle rules ([`crate::lifecycle::update`]), so the two APIs can never disagree about what is
//! valid. The login flow (returning enrollees signing in, `loginSettings`, reference 5.4) is kept
//! beside it on the project record. A flow's `status` is its project's: writing it moves the
//! project (same activation checks), which keeps "active project, paused flow" impossible.
//!
//! Editing a flow never changes the rules of registrations already started: each registration
//! keeps a copy of the flow configuration it began with. So, unlike the reference (409 "Cannot
//! update project flow with active users"), updates are allowed while enrollees are mid-flow;
//! only deleting a flow with unfinished registrations is refused (checked by the handler, which
//! can ask the registration store).

use crate::config::{FlowType, merge, read_login_settings};
use crate::error::{DomainError, FieldError};
use crate::ids::{FlowId, ProjectId};
use crate::lifecycle::{self, WriteCtx};
use crate::project::{LoginFlow, Project};
use serde_json::{Map, Value, json};

/// Longest flow name accepted.
pub const NAME_MAX: usize = 100;

/// Body keys that describe the flow resource itself rather than its configuration: echoed back
/// by clients that send a read object, never part of the configuration patch.
const RESOURCE_KEYS: [&str; 10] =
    ["project", "status", "name", "_id", "client", "createdAt", "updatedAt", "__v", "version", "loginSettings"];

/// The project and flow type a create request names (both required).
pub fn requested(body: &Map<String, Value>) -> Result<(ProjectId, FlowType), DomainError> {
    let mut errors = Vec::new();
    let project = crate::ids::required_id(body, "project", ProjectId::parse, &mut errors);
    let flow_type = match body.get("type").and_then(Value::as_str) {
        Some(s) => FlowType::parse(s.trim()).or_else(|| {
            errors.push(FieldError::new("type", format!("must be one of {}", FlowType::allowed())));
            None
        }),
        None => {
            errors.push(FieldError::new("type", format!("is required: one of {}", FlowType::allowed())));
            None
        }
    };
    match (project, flow_type) {
        (Some(p), Some(t)) if errors.is_empty() => Ok((p, t)),
        _ => Err(DomainError::Invalid(errors)),
    }
}

/// Which of the project's flows `id` is, if any.
pub fn type_of(project: &Project, id: &FlowId) -> Option<FlowType> {
    if project.flow.as_ref().is_some_and(|f| &f.id == id) {
        Some(FlowType::Onboarding)
    } else if project.login.as_ref().is_some_and(|f| &f.id == id) {
        Some(FlowType::Login)
    } else {
        None
    }
}

/// Adds the flow of `flow_type` to `project`. A project has at most one flow of each type.
pub fn create(project: &Project, flow_type: FlowType, body: &Map<String, Value>, ctx: &WriteCtx<'_>) -> Result<Project, DomainError> {
    refuse_legacy(body)?;
    let exists = match flow_type {
        FlowType::Onboarding => project.flow.is_some(),
        FlowType::Login => project.login.is_some(),
    };
    if exists {
        return Err(DomainError::Conflict {
            message: format!("flow_exists: the project already has its {} flow (one per project and type)", flow_type.as_str()),
            details: vec![],
        });
    }
    let name = read_name(body)?.flatten();
    match flow_type {
        FlowType::Onboarding => {
            let mut next = lifecycle::update(project, &onboarding_patch(body), ctx).map_err(relocate)?;
            if let Some(rec) = next.flow.as_mut() {
                rec.name = name;
            }
            Ok(next)
        }
        FlowType::Login => {
            let settings = read_login_settings(&settings_patch(body, Map::new())?).map_err(DomainError::Invalid)?;
            let mut next = lifecycle::update(project, &status_patch(body), ctx).map_err(relocate)?;
            let id = FlowId::parse(&ctx.ids.object_id()).map_err(|_| DomainError::Internal("the id generator produced an invalid id"))?;
            next.login = Some(LoginFlow { id, name, settings, created_at: ctx.now, updated_at: ctx.now });
            Ok(next)
        }
    }
}

/// A partial update of flow `id` of `project` (`PUT /v2/project-flows/{id}` and the v3 form).
pub fn update(project: &Project, id: &FlowId, body: &Map<String, Value>, ctx: &WriteCtx<'_>) -> Result<Project, DomainError> {
    refuse_legacy(body)?;
    let flow_type = type_of(project, id).ok_or(DomainError::NotFound("Project flow"))?;
    if let Some(t) = body.get("type").filter(|v| !v.is_null())
        && t.as_str().and_then(FlowType::parse) != Some(flow_type)
    {
        return Err(DomainError::Invalid(vec![FieldError::new(
            "type",
            format!("is {} and cannot change; delete this flow and create one of the other type", flow_type.as_str()),
        )]));
    }
    let name = read_name(body)?;
    match flow_type {
        FlowType::Onboarding => {
            let mut next = lifecycle::update(project, &onboarding_patch(body), ctx).map_err(relocate)?;
            if let (Some(rec), Some(name)) = (next.flow.as_mut(), name) {
                rec.name = name;
            }
            Ok(next)
        }
        FlowType::Login => {
            let current = project.login.as_ref().ok_or(DomainError::NotFound("Project flow"))?;
            let settings = read_login_settings(&settings_patch(body, current.settings.to_json())?).map_err(DomainError::Invalid)?;
            let mut next = lifecycle::update(project, &status_patch(body), ctx).map_err(relocate)?;
            let mut login = current.clone();
            login.settings = settings;
            if let Some(name) = name {
                login.name = name;
            }
            login.updated_at = ctx.now;
            next.login = Some(login);
            Ok(next)
        }
    }
}

/// Removes flow `id` from `project`. The onboarding flow of an active project stays: enrollment
/// would stop without a word to anyone, so the project must be paused first.
pub fn remove(project: &Project, id: &FlowId, ctx: &WriteCtx<'_>) -> Result<(Project, FlowType), DomainError> {
    let flow_type = type_of(project, id).ok_or(DomainError::NotFound("Project flow"))?;
    match flow_type {
        FlowType::Onboarding => {
            if project.status == crate::project::ProjectStatus::Active {
                return Err(DomainError::Conflict {
                    message: "Cannot delete the onboarding flow of an active project; pause the project first".into(),
                    details: vec![],
                });
            }
            let patch = json!({"projectFlow": null, "projectFlowType": null});
            let patch = patch.as_object().cloned().unwrap_or_default();
            Ok((lifecycle::update(project, &patch, ctx).map_err(relocate)?, flow_type))
        }
        FlowType::Login => {
            let mut next = project.clone();
            next.login = None;
            next.version = project.version + 1;
            next.updated_at = ctx.now;
            Ok((next, flow_type))
        }
    }
}

/// The project update an onboarding-flow write stands for.
fn onboarding_patch(body: &Map<String, Value>) -> Map<String, Value> {
    let mut flow: Map<String, Value> =
        body.iter().filter(|(k, _)| !RESOURCE_KEYS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    // Never empty, so that a create with no sections yet still makes the flow (with defaults).
    flow.insert("type".into(), json!("onboarding"));
    let mut patch = status_patch(body);
    patch.insert("projectFlowType".into(), json!("onboarding"));
    patch.insert("projectFlow".into(), Value::Object(flow));
    patch
}

/// Only the status change a flow write asks for (login flows carry no project configuration).
fn status_patch(body: &Map<String, Value>) -> Map<String, Value> {
    body.get("status").map(|s| Map::from_iter([("status".to_string(), s.clone())])).unwrap_or_default()
}

/// `loginSettings` merged onto `base` (a partial update keeps what it does not name).
fn settings_patch(body: &Map<String, Value>, base: Map<String, Value>) -> Result<Map<String, Value>, DomainError> {
    let mut doc = Value::Object(base);
    match body.get("loginSettings") {
        None | Some(Value::Null) => {}
        Some(patch @ Value::Object(_)) => merge(&mut doc, patch),
        Some(_) => return Err(DomainError::Invalid(vec![FieldError::new("loginSettings", "must be an object")])),
    }
    Ok(match doc {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// `None`: not in the body; `Some(None)`: cleared with null; `Some(Some(name))`: set.
fn read_name(body: &Map<String, Value>) -> Result<Option<Option<String>>, DomainError> {
    match body.get("name") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= NAME_MAX => Ok(Some(Some(s.trim().to_string()))),
        Some(_) => Err(DomainError::Invalid(vec![FieldError::new("name", format!("must be a text of 1 to {NAME_MAX} characters"))])),
    }
}

/// The legacy (v1/v2) onboarding schema is a different shape with different ranges (e.g.
/// `document.maxAttempts` 3–10 against v3's `attemptLimit` 1–5); translating it would silently
/// change what the operator asked for, so it is refused with a pointer to the v3 sections.
fn refuse_legacy(body: &Map<String, Value>) -> Result<(), DomainError> {
    if body.contains_key("onboardingSettings") {
        return Err(DomainError::Invalid(vec![FieldError::new(
            "onboardingSettings",
            "the legacy onboarding schema is not accepted; send the v3 sections signUpForm, steps, documents, liveness and integrations",
        )]));
    }
    Ok(())
}

/// Field paths of the project API (`projectFlow.documents…`) as the flow resource names them
/// (`documents…`).
fn relocate(e: DomainError) -> DomainError {
    let fix = |mut f: FieldError| {
        f.field = match f.field.as_str() {
            "projectFlowType" => "type".to_string(),
            "projectFlow.status" => "status".to_string(),
            other => other.strip_prefix("projectFlow.").map(str::to_string).unwrap_or_else(|| other.to_string()),
        };
        f
    };
    match e {
        DomainError::Invalid(v) => DomainError::Invalid(v.into_iter().map(fix).collect()),
        DomainError::Conflict { message, details } => DomainError::Conflict { message, details: details.into_iter().map(fix).collect() },
        other => other,
    }
}

#[cfg(test)]
mod tests;

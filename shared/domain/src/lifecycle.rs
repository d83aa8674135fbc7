//! Decisions about a project's life: creating it from a request, applying a partial update (merge,
//! then re-validate the whole), tracking wizard progress, moving between statuses, and what blocks
//! activation or deletion. Pure functions; the API handlers load and store around them.

use crate::clock::Timestamp;
use crate::config::{ProjectConfig, StepMode, Target, merge, normalise_patch, read_config};
use crate::error::{DomainError, FieldError};
use crate::ids::{ClientId, CodeGenerator, FlowId, IdGenerator, ProjectId};
use crate::project::{FlowRecord, Project, ProjectStatus};
use serde_json::{Map, Value};

/// Ports a write needs besides storage.
pub struct WriteCtx<'a> {
    pub ids: &'a dyn IdGenerator,
    pub codes: &'a dyn CodeGenerator,
    pub now: Timestamp,
}

/// Builds a new draft project from a create request (step 1, or the whole project at once).
/// Only `name` and `allowedCountries` are needed to create: the reference documents minimal bodies
/// of 2, 5 and 6 fields (contradiction C29), so all three are accepted and whatever step 1 lacks is
/// reported by `lastStep` and blocks activation instead.
pub fn create(client: &ClientId, body: &Map<String, Value>, ctx: &WriteCtx<'_>) -> Result<Project, DomainError> {
    let patch = normalise_patch(body);
    let mut config = read_config(&patch).map_err(DomainError::Invalid)?;
    fill_demo_otp(&mut config, ctx.codes);
    let id = ProjectId::parse(&ctx.ids.object_id()).map_err(|_| DomainError::Internal("the id generator produced an invalid id"))?;
    let flow = flow_record(None, &config, ctx)?;
    let mut project = Project {
        id,
        client: client.clone(),
        config,
        status: ProjectStatus::Draft,
        flow,
        login: None,
        current_step: 0,
        last_step: 0,
        version: 1,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    refresh_progress(&mut project);
    // A single-request creation may ask for the project to start active.
    if let Some(target) = requested_status(body)?
        && target != ProjectStatus::Draft
    {
        transition(&mut project, target)?;
    }
    Ok(project)
}

/// Applies a partial update: merge onto the stored configuration, re-validate the merged whole,
/// then apply a requested status change. The caller stores the result with `version` as the
/// expected version (optimistic concurrency).
pub fn update(current: &Project, body: &Map<String, Value>, ctx: &WriteCtx<'_>) -> Result<Project, DomainError> {
    let patch = normalise_patch(body);
    let mut doc = Value::Object(current.config.to_json());
    merge(&mut doc, &Value::Object(patch));
    let Value::Object(doc) = doc else {
        return Err(DomainError::Invalid(vec![FieldError::new("", "must be a JSON object")]));
    };
    let mut config = read_config(&doc).map_err(DomainError::Invalid)?;
    fill_demo_otp(&mut config, ctx.codes);
    let mut next = current.clone();
    next.flow = flow_record(current.flow.as_ref(), &config, ctx)?;
    next.config = config;
    next.version = current.version + 1;
    next.updated_at = ctx.now;
    refresh_progress(&mut next);
    let target = requested_status(body)?.unwrap_or(current.status);
    transition(&mut next, target)?;
    Ok(next)
}

fn fill_demo_otp(config: &mut ProjectConfig, codes: &dyn CodeGenerator) {
    if config.demo_mode && config.demo_otp.is_none() {
        config.demo_otp = Some(codes.digits(6));
    }
}

fn flow_record(existing: Option<&FlowRecord>, config: &ProjectConfig, ctx: &WriteCtx<'_>) -> Result<Option<FlowRecord>, DomainError> {
    Ok(match (existing, &config.flow) {
        (Some(rec), Some(_)) => Some(rec.clone()),
        (None, Some(_)) => Some(FlowRecord {
            id: FlowId::parse(&ctx.ids.object_id()).map_err(|_| DomainError::Internal("the id generator produced an invalid id"))?,
            created_at: ctx.now,
            name: None,
        }),
        (_, None) => None,
    })
}

/// `status` and `projectFlow.status` (the activation body sends both; either alone is accepted).
fn requested_status(body: &Map<String, Value>) -> Result<Option<ProjectStatus>, DomainError> {
    let read = |v: Option<&Value>, field: &str| -> Result<Option<ProjectStatus>, DomainError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => ProjectStatus::parse(s)
                .map(Some)
                .ok_or_else(|| DomainError::Invalid(vec![FieldError::new(field, "must be one of draft|active|paused")])),
            Some(_) => Err(DomainError::Invalid(vec![FieldError::new(field, "must be one of draft|active|paused")])),
        }
    };
    let project = read(body.get("status"), "status")?;
    let flow = read(body.get("projectFlow").and_then(|f| f.get("status")), "projectFlow.status")?;
    match (project, flow) {
        (Some(a), Some(b)) if a != b => Err(DomainError::Invalid(vec![FieldError::new(
            "projectFlow.status",
            "must equal status: project and flow change status together",
        )])),
        (a, b) => Ok(a.or(b)),
    }
}

/// Moves a project to `target`, or explains why not. Staying active after a configuration change
/// re-checks activation, so an active project can never be edited into an incomplete state.
pub fn transition(project: &mut Project, target: ProjectStatus) -> Result<(), DomainError> {
    use ProjectStatus::*;
    let from = project.status;
    match (from, target) {
        (Draft, Draft) | (Paused, Paused) => {}
        (Draft | Paused | Active, Active) => {
            let missing = activation_blockers(&project.config);
            if !missing.is_empty() {
                let verb = if from == Active { "stay active" } else { "be activated" };
                return Err(DomainError::Conflict {
                    message: format!("Project cannot {verb}: {} required setting(s) missing", missing.len()),
                    details: missing,
                });
            }
        }
        (Active, Paused) => {}
        (Draft, Paused) => {
            return Err(DomainError::Conflict { message: "A draft project cannot be paused; activate it first".into(), details: vec![] });
        }
        (Active | Paused, Draft) => {
            return Err(DomainError::Conflict {
                message: format!("A {} project cannot return to draft; pause it instead", from.as_str()),
                details: vec![],
            });
        }
    }
    project.status = target;
    Ok(())
}

/// Which of the six steps are configured, in order.
pub fn steps_configured(c: &ProjectConfig) -> [bool; 6] {
    let flow = c.flow.as_ref();
    [
        c.contact_email.is_some() && c.privacy_url.is_some() && c.terms_and_conditions_url.is_some() && c.data_protection.is_some(),
        flow.is_some_and(|f| f.sign_up_form.is_some()),
        // Step 3 is the documents: the enrollee's, or for a business the company's and the
        // representatives' (both step settings chosen).
        flow.is_some_and(|f| match f.target {
            Target::Personal => f.steps.document.is_some(),
            Target::Business => f.steps.business_verification.is_some() && f.steps.legal_representative.is_some(),
        }),
        flow.is_some_and(|f| f.steps.liveness.is_some()),
        flow.and_then(|f| f.integrations.as_ref()).is_some_and(|i| i.redirect_url.is_some()),
        c.branding.is_configured(),
    ]
}

fn refresh_progress(p: &mut Project) {
    let done = steps_configured(&p.config);
    let last = done.iter().take_while(|d| **d).count() as u8;
    p.last_step = last;
    p.current_step = (last + 1).min(6);
}

/// What must be configured before a project may go live (steps 1–5; branding has defaults).
pub fn activation_blockers(c: &ProjectConfig) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut need = |field: &str, message: &str| out.push(FieldError::new(field, message));
    if c.contact_email.is_none() {
        need("contactEmail", "is required to activate (step 1)");
    }
    if c.privacy_url.is_none() {
        need("privacyUrl", "is required to activate (step 1)");
    }
    if c.terms_and_conditions_url.is_none() {
        need("termsAndConditionsUrl", "is required to activate (step 1)");
    }
    if c.data_protection.is_none() {
        need("dataProtection", "is required to activate (step 1)");
    }
    let Some(flow) = &c.flow else {
        need("projectFlow", "is required to activate: configure steps 2 to 5");
        return out;
    };
    if flow.sign_up_form.is_none() {
        need("projectFlow.signUpForm", "is required to activate (step 2)");
    }
    match flow.target {
        Target::Personal => {
            if flow.steps.document.is_none() {
                need("projectFlow.steps.document", "must be set to mandatory, optional or skip to activate (step 3)");
            }
        }
        Target::Business => {
            if flow.steps.business_verification.is_none() {
                need("projectFlow.steps.businessVerification", "must be set to true or false to activate (step 3)");
            }
            if flow.steps.legal_representative.is_none() {
                need("projectFlow.steps.legalRepresentative", "must be set to mandatory, optional or skip to activate (step 3)");
            }
            let verifies_company = flow.steps.business_verification == Some(true);
            let invites = flow.steps.legal_representative.is_some_and(|m| m != StepMode::Skip);
            if flow.steps.business_verification.is_some() && flow.steps.legal_representative.is_some() && !verifies_company && !invites {
                need(
                    "projectFlow.steps",
                    "a business flow must verify the company (businessVerification) or its representatives (legalRepresentative) to activate",
                );
            }
        }
    }
    if flow.steps.liveness.is_none() {
        need("projectFlow.steps.liveness", "must be set to mandatory, optional or skip to activate (step 4)");
    }
    if flow.target == Target::Personal && flow.steps.liveness.is_some_and(|m| m != StepMode::Skip) && flow.liveness.is_none() {
        need("projectFlow.liveness", "is required when the liveness step is not skip (step 4)");
    }
    if flow.integrations.as_ref().and_then(|i| i.redirect_url.as_ref()).is_none() {
        need("projectFlow.integrations.redirectUrl", "is required to activate (step 5)");
    }
    out
}

/// Only draft or paused projects may be deleted (the reference: 409 for an active one).
pub fn check_deletable(p: &Project) -> Result<(), DomainError> {
    if p.status == ProjectStatus::Active {
        return Err(DomainError::Conflict { message: "Cannot delete project with active flows; pause it first".into(), details: vec![] });
    }
    Ok(())
}

#[cfg(test)]
mod tests;

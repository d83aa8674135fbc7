//! The project-flows resource over the project record: one flow per type, the same validation as
//! the embedded `projectFlow`, status shared with the project.

use super::*;
use crate::clock::Timestamp;
use crate::config::LoginStep;
use crate::ids::ClientId;
use crate::project::ProjectStatus;
use crate::testing::{Seq, Sevens, obj};
use std::sync::atomic::AtomicU64;

fn ctx(ids: &Seq) -> WriteCtx<'_> {
    WriteCtx { ids, codes: &Sevens, now: Timestamp::from_unix_seconds(1_700_000_000) }
}

fn step1_project(ids: &Seq) -> Project {
    let body = json!({
        "name": "Acme KYC", "allowedCountries": ["Colombia"], "contactEmail": "p@acme.com",
        "privacyUrl": "https://acme.com/p", "termsAndConditionsUrl": "https://acme.com/t",
        "dataProtection": {"name": "DPO", "email": "dpo@acme.com", "address": "1 Main", "city": "Bogota", "country": "Colombia", "postalCode": "110111"}
    });
    let client = ClientId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").expect("id");
    lifecycle::create(&client, &obj(body), &ctx(ids)).expect("create")
}

fn complete_flow() -> Value {
    json!({
        "project": "ignored-here", "type": "onboarding", "name": "Main onboarding",
        "signUpForm": {"fullName": true, "email": true},
        "steps": {"document": "skip", "liveness": "skip"},
        "integrations": {"redirectUrl": "https://acme.com/done"}
    })
}

#[test]
fn an_onboarding_flow_created_through_the_resource_is_the_projects_embedded_flow() {
    let ids = Seq(AtomicU64::new(1));
    let p = step1_project(&ids);
    let next = create(&p, FlowType::Onboarding, &obj(complete_flow()), &ctx(&ids)).expect("create flow");
    let rec = next.flow.as_ref().expect("flow record");
    assert_eq!(rec.name.as_deref(), Some("Main onboarding"));
    assert!(next.config.flow.as_ref().is_some_and(|f| f.sign_up_form.is_some()));
    assert_eq!((next.version, next.last_step), (p.version + 1, 5), "steps 1 to 5 are configured by the one flow write");
    let again = create(&next, FlowType::Onboarding, &obj(complete_flow()), &ctx(&ids)).unwrap_err();
    assert!(matches!(again, DomainError::Conflict { message, .. } if message.starts_with("flow_exists")));
}

#[test]
fn flow_validation_errors_name_the_flows_own_fields() {
    let ids = Seq(AtomicU64::new(1));
    let p = step1_project(&ids);
    let body = json!({"type": "onboarding", "steps": {"document": "sometimes"}, "liveness": {"minScore": 3}});
    let DomainError::Invalid(details) = create(&p, FlowType::Onboarding, &obj(body), &ctx(&ids)).unwrap_err() else {
        panic!("expected a validation error")
    };
    let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
    assert!(fields.contains(&"steps.document"), "{fields:?}");
    assert!(fields.contains(&"liveness.minScore"), "{fields:?}");
    assert!(fields.iter().all(|f| !f.starts_with("projectFlow")), "{fields:?}");
}

#[test]
fn the_flow_status_moves_the_project_with_the_same_activation_checks() {
    let ids = Seq(AtomicU64::new(1));
    let p = step1_project(&ids);
    let bare = create(&p, FlowType::Onboarding, &obj(json!({"type": "onboarding"})), &ctx(&ids)).expect("create");
    let id = bare.flow.as_ref().expect("flow").id.clone();
    let DomainError::Conflict { details, .. } = update(&bare, &id, &obj(json!({"status": "active"})), &ctx(&ids)).unwrap_err() else {
        panic!("an incomplete flow cannot go live")
    };
    assert!(details.iter().any(|d| d.field == "signUpForm"), "{details:?}");
    let mut complete = complete_flow();
    complete["status"] = json!("active");
    let live = update(&bare, &id, &obj(complete), &ctx(&ids)).expect("activate");
    assert_eq!(live.status, ProjectStatus::Active);
    let changed = update(&live, &id, &obj(json!({"type": "login"})), &ctx(&ids)).unwrap_err();
    assert!(matches!(changed, DomainError::Invalid(d) if d[0].field == "type"));
}

#[test]
fn a_login_flow_sits_beside_the_onboarding_flow_and_validates_its_settings() {
    let ids = Seq(AtomicU64::new(1));
    let p = step1_project(&ids);
    let none = create(&p, FlowType::Login, &obj(json!({"type": "login", "loginSettings": {}})), &ctx(&ids)).unwrap_err();
    assert!(matches!(none, DomainError::Invalid(d) if d[0].field == "loginSettings"));
    let bad = json!({"type": "login", "loginSettings": {"email": true, "steps": ["email", "liveness"], "livenessMinScore": 0.95}});
    let DomainError::Invalid(details) = create(&p, FlowType::Login, &obj(bad), &ctx(&ids)).unwrap_err() else { panic!("invalid") };
    let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["loginSettings.livenessMinScore", "loginSettings.steps[1]"]);

    let body = json!({"type": "login", "name": "Returning users", "loginSettings": {"email": true, "faceLiveness": true}});
    let with_login = create(&p, FlowType::Login, &obj(body), &ctx(&ids)).expect("login flow");
    let login = with_login.login.as_ref().expect("login flow");
    assert_eq!(login.settings.steps, [LoginStep::Email, LoginStep::Liveness], "steps default to the enabled factors in order");
    assert_eq!(with_login.lookup_ids().len(), 2, "the project and its login flow");
    let id = login.id.clone();
    let patched = update(&with_login, &id, &obj(json!({"loginSettings": {"searchMode": "ACCURATE"}})), &ctx(&ids)).expect("partial update");
    let settings = &patched.login.as_ref().expect("login").settings;
    assert!(settings.email && settings.face_liveness, "a partial update keeps what it does not name");
    assert_eq!(settings.search_mode.as_str(), "ACCURATE");
    let (gone, kind) = remove(&patched, &id, &ctx(&ids)).expect("remove");
    assert_eq!((kind, gone.login.is_none()), (FlowType::Login, true));
}

#[test]
fn the_onboarding_flow_of_an_active_project_cannot_be_deleted_and_legacy_bodies_are_refused() {
    let ids = Seq(AtomicU64::new(1));
    let p = step1_project(&ids);
    let mut body = complete_flow();
    body["status"] = json!("active");
    let live = create(&p, FlowType::Onboarding, &obj(body), &ctx(&ids)).expect("create active");
    let id = live.flow.as_ref().expect("flow").id.clone();
    assert!(matches!(remove(&live, &id, &ctx(&ids)), Err(DomainError::Conflict { .. })));
    let paused = update(&live, &id, &obj(json!({"status": "paused"})), &ctx(&ids)).expect("pause");
    let (gone, _) = remove(&paused, &id, &ctx(&ids)).expect("remove when paused");
    assert!(gone.flow.is_none() && gone.config.flow.is_none());
    let legacy = json!({"type": "onboarding", "onboardingSettings": {"steps": {"document": "mandatory"}}});
    assert!(
        matches!(create(&p, FlowType::Onboarding, &obj(legacy), &ctx(&ids)), Err(DomainError::Invalid(d)) if d[0].field == "onboardingSettings")
    );
}

//! Lifecycle rules: progress, transitions, activation blockers, deletion.

use super::*;
use crate::clock::Timestamp;
use crate::testing::{Seq, Sevens};
use serde_json::json;
use std::sync::atomic::AtomicU64;

fn ctx<'a>(ids: &'a Seq) -> WriteCtx<'a> {
    WriteCtx { ids, codes: &Sevens, now: Timestamp::from_unix_seconds(1_700_000_000) }
}
fn obj(v: serde_json::Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}
fn client() -> ClientId {
    ClientId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap()
}

fn step1() -> Value {
    json!({
        "name": "Acme KYC", "allowedCountries": ["Colombia"], "contactEmail": "p@acme.com",
        "privacyUrl": "https://acme.com/p", "termsAndConditionsUrl": "https://acme.com/t",
        "dataProtection": {"name": "DPO", "email": "dpo@acme.com", "address": "1 Main", "city": "Bogota", "country": "Colombia", "postalCode": "110111"}
    })
}

fn steps_2_to_6() -> Vec<Value> {
    vec![
        json!({"projectFlowType": "onboarding", "projectFlow": {"target": "personal", "type": "onboarding", "signUpForm": {"fullName": true, "email": true, "phone": false}}}),
        json!({"projectFlowType": "onboarding", "projectFlow": {"steps": {"document": "mandatory"}, "documents": {"verificationMethods": ["scan"], "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "government_id"}]}]}}}),
        json!({"projectFlowType": "onboarding", "projectFlow": {"steps": {"liveness": "mandatory"}, "liveness": {"minScore": 0.7}}}),
        json!({"projectFlowType": "onboarding", "projectFlow": {"integrations": {"redirectUrl": "https://acme.com/done", "source": "NONE", "strategy": "none"}}}),
        json!({"branding": {"backgroundColor": "#000000"}}),
    ]
}

#[test]
fn each_step_advances_progress_and_earlier_sections_survive_later_updates() {
    let ids = Seq(AtomicU64::new(1));
    let mut p = create(&client(), &obj(step1()), &ctx(&ids)).expect("create");
    assert_eq!((p.last_step, p.current_step, p.version, p.status), (1, 2, 1, ProjectStatus::Draft));
    assert!(p.flow.is_none());
    for (i, body) in steps_2_to_6().into_iter().enumerate() {
        p = update(&p, &obj(body), &ctx(&ids)).expect("step");
        assert_eq!(p.last_step as usize, i + 2, "after step {}", i + 2);
    }
    assert_eq!((p.current_step, p.version), (6, 6));
    let flow = p.config.flow.as_ref().expect("flow");
    assert!(flow.sign_up_form.is_some() && flow.documents.is_some() && flow.liveness.is_some());
    assert_eq!(flow.liveness.as_ref().map(|l| l.min_score.value()), Some(0.7));
    assert!(p.flow.is_some(), "the flow record exists once a flow section is written");
}

#[test]
fn a_partial_update_is_validated_together_with_what_is_stored() {
    let ids = Seq(AtomicU64::new(1));
    let mut p = create(&client(), &obj(step1()), &ctx(&ids)).expect("create");
    p = update(&p, &obj(steps_2_to_6()[1].clone()), &ctx(&ids)).expect("documents step");
    // Turning the step on again later without documents would be fine; removing the list is not.
    let err = update(&p, &obj(json!({"projectFlow": {"documents": {"documentTypes": null}}})), &ctx(&ids)).unwrap_err();
    assert!(matches!(err, DomainError::Invalid(d) if d.iter().any(|e| e.field == "projectFlow.documents.documentTypes")));
    let ok = update(
        &p,
        &obj(json!({"projectFlow": {"steps": {"document": "skip"}, "documents": {"documentTypes": null, "verificationMethods": null}}})),
        &ctx(&ids),
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn activation_lists_everything_that_is_missing() {
    let ids = Seq(AtomicU64::new(1));
    let p = create(&client(), &obj(json!({"name": "Bare", "allowedCountries": ["Peru"]})), &ctx(&ids)).expect("minimal legacy body");
    assert_eq!(p.last_step, 0);
    let err = update(&p, &obj(json!({"status": "active", "projectFlow": {"status": "active"}})), &ctx(&ids)).unwrap_err();
    let DomainError::Conflict { details, .. } = err else { panic!("expected a conflict") };
    let fields: Vec<_> = details.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["contactEmail", "privacyUrl", "termsAndConditionsUrl", "dataProtection", "projectFlow"]);
}

fn active_project(ids: &Seq) -> Project {
    let mut p = create(&client(), &obj(step1()), &ctx(ids)).expect("create");
    for body in steps_2_to_6() {
        p = update(&p, &obj(body), &ctx(ids)).expect("step");
    }
    update(&p, &obj(json!({"status": "active", "projectFlow": {"status": "active"}})), &ctx(ids)).expect("activate")
}

#[test]
fn a_project_goes_draft_active_paused_active_and_never_back_to_draft() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    assert_eq!(p.status, ProjectStatus::Active);
    let paused = update(&p, &obj(json!({"status": "paused"})), &ctx(&ids)).expect("pause");
    assert_eq!(paused.status, ProjectStatus::Paused);
    let again = update(&paused, &obj(json!({"projectFlow": {"status": "active"}})), &ctx(&ids)).expect("resume via the flow status");
    assert_eq!(again.status, ProjectStatus::Active);
    assert!(matches!(update(&again, &obj(json!({"status": "draft"})), &ctx(&ids)), Err(DomainError::Conflict { .. })));
    assert!(matches!(update(&again, &obj(json!({"status": "deleted"})), &ctx(&ids)), Err(DomainError::Invalid(_))));
    assert!(matches!(
        update(&again, &obj(json!({"status": "paused", "projectFlow": {"status": "active"}})), &ctx(&ids)),
        Err(DomainError::Invalid(_))
    ));
}

#[test]
fn a_draft_cannot_be_paused() {
    let ids = Seq(AtomicU64::new(1));
    let p = create(&client(), &obj(step1()), &ctx(&ids)).expect("create");
    assert!(matches!(update(&p, &obj(json!({"status": "paused"})), &ctx(&ids)), Err(DomainError::Conflict { .. })));
}

#[test]
fn an_active_project_cannot_be_edited_into_an_incomplete_one() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    let err = update(&p, &obj(json!({"projectFlow": {"integrations": {"redirectUrl": null}}})), &ctx(&ids)).unwrap_err();
    assert!(matches!(err, DomainError::Conflict { details, .. } if details[0].field == "projectFlow.integrations.redirectUrl"));
    assert!(update(&p, &obj(json!({"name": "Renamed while live"})), &ctx(&ids)).is_ok());
}

#[test]
fn only_draft_or_paused_projects_can_be_deleted() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    assert!(check_deletable(&p).is_err());
    let paused = update(&p, &obj(json!({"status": "paused"})), &ctx(&ids)).expect("pause");
    assert!(check_deletable(&paused).is_ok());
}

#[test]
fn demo_mode_without_a_code_gets_a_generated_one() {
    let ids = Seq(AtomicU64::new(1));
    let mut body = step1();
    body["demoMode"] = json!(true);
    let p = create(&client(), &obj(body), &ctx(&ids)).expect("create");
    assert_eq!(p.config.demo_otp.as_deref(), Some("777777"));
}

#[test]
fn a_whole_project_in_one_request_can_be_created_active() {
    let ids = Seq(AtomicU64::new(1));
    let mut body = step1();
    for step in steps_2_to_6() {
        merge(&mut body, &step);
    }
    body["status"] = json!("active");
    let p = create(&client(), &obj(body), &ctx(&ids)).expect("create");
    assert_eq!((p.status, p.last_step), (ProjectStatus::Active, 6));
}

#[test]
fn a_business_project_is_configured_step_by_step_and_activation_checks_its_business_steps() {
    let ids = Seq(AtomicU64::new(1));
    let mut body = step1();
    body["target"] = json!("business");
    let mut p = create(&client(), &obj(body), &ctx(&ids)).expect("create");
    p = update(&p, &obj(json!({"projectFlowType": "onboarding", "projectFlow": {"type": "onboarding", "signUpForm": {"fullName": true, "email": true}}})), &ctx(&ids))
        .expect("step 2");
    assert_eq!(p.last_step, 2);
    let err = update(&p, &obj(json!({"status": "active"})), &ctx(&ids)).unwrap_err();
    let DomainError::Conflict { details, .. } = err else { panic!("expected a conflict") };
    let fields: Vec<_> = details.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "projectFlow.steps.businessVerification",
            "projectFlow.steps.legalRepresentative",
            "projectFlow.steps.liveness",
            "projectFlow.integrations.redirectUrl"
        ]
    );
    let company =
        json!({"documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "business_document"}]}]});
    let reps = json!({"information": {"email": true}, "documents": {"verificationMethods": ["upload"], "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "government_id"}]}]}});
    p = update(
        &p,
        &obj(json!({"projectFlow": {"steps": {"businessVerification": true, "legalRepresentative": "mandatory"}, "business": company, "representatives": reps}})),
        &ctx(&ids),
    )
    .expect("step 3");
    assert_eq!(p.last_step, 3);
    p = update(&p, &obj(json!({"projectFlow": {"steps": {"liveness": "mandatory"}}})), &ctx(&ids)).expect("step 4");
    p = update(&p, &obj(json!({"projectFlow": {"integrations": {"redirectUrl": "https://acme.com/done"}}})), &ctx(&ids)).expect("step 5");
    assert_eq!(p.last_step, 5);

    // Verifying neither the company nor anyone linked to it is not a business check.
    let nothing = json!({"projectFlow": {"steps": {"businessVerification": false, "legalRepresentative": "skip", "liveness": "skip"}}, "status": "active"});
    let err = update(&p, &obj(nothing), &ctx(&ids)).unwrap_err();
    assert!(matches!(&err, DomainError::Conflict { details, .. } if details.iter().any(|d| d.field == "projectFlow.steps")), "{err:?}");

    let active = update(&p, &obj(json!({"status": "active"})), &ctx(&ids)).expect("activate");
    assert_eq!(active.status, ProjectStatus::Active);
}

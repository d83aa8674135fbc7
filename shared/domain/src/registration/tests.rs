//! Starting a registration: which projects take one, how identifiers are normalised and checked,
//! what is pinned and what is emitted.

use super::*;
use crate::testing::Seq;
use std::sync::atomic::AtomicU64;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

const NOW: i64 = 1_700_000_000;

/// An active demo-mode project with a complete onboarding flow (the conformance fixture).
fn active_project(ids: &Seq) -> Project {
    let client = ClientId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").expect("id");
    let p = crate::conformance::active_project(ids, &client, NOW);
    assert_eq!(p.status, ProjectStatus::Active);
    p
}

fn start_ctx(ids: &Seq) -> StartCtx<'_> {
    StartCtx {
        id: RegistrationId::parse("bbbbbbbbbbbbbbbbbbbbbbbb").expect("id"),
        now: Timestamp::from_unix_seconds(NOW + 10),
        origin: Origin::Operator,
        lifetime_seconds: 3600,
        ids,
    }
}

fn flow_of(p: &Project) -> FlowId {
    p.flow.as_ref().expect("flow").id.clone()
}

#[test]
fn an_active_project_starts_a_registration_with_normalised_identifiers_and_a_created_event() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    let body = obj(
        json!({"project": p.id, "projectFlow": flow_of(&p), "email": " Ana.Perez@Example.COM ", "phone": "300 123-4567", "countryCode": "57", "firstName": "Ana", "lastName": "Pérez"}),
    );
    let (reg, events) = start(&p, &flow_of(&p), &body, &start_ctx(&ids)).expect("start");
    assert_eq!(reg.status, RegistrationStatus::Started);
    assert_eq!(reg.person.email.as_deref(), Some("ana.perez@example.com"));
    assert_eq!(reg.person.e164().as_deref(), Some("+573001234567"));
    assert_eq!(reg.person.full_name.as_deref(), Some("Ana Pérez"));
    assert!(reg.demo, "a demo-mode project's registrations are marked demo");
    assert_eq!(reg.flow_config, *p.config.flow.as_ref().expect("flow"), "the flow is pinned as it was");
    assert_eq!(reg.consent.privacy_url.as_deref(), Some("https://acme.com/p"));
    assert_eq!(reg.expires_at.unix_seconds(), NOW + 10 + 3600);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "onboarding_app_registration_created");
    assert!(events[0].demo);
    assert_eq!(events[0].object["projectFlow"]["_id"], json!(flow_of(&p)));
    let keys = reg.unique_keys();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| !k.key.contains("example") && !k.key.contains("3001234567")), "keys carry no personal data");
}

#[test]
fn the_same_identifier_gives_the_same_key_in_a_flow_and_a_different_one_elsewhere() {
    let a = FlowId::parse("cccccccccccccccccccccccc").expect("id");
    let b = FlowId::parse("dddddddddddddddddddddddd").expect("id");
    assert_eq!(unique_key(&a, IdentifierKind::Email, "x@y.co"), unique_key(&a, IdentifierKind::Email, "x@y.co"));
    assert_ne!(unique_key(&a, IdentifierKind::Email, "x@y.co").key, unique_key(&b, IdentifierKind::Email, "x@y.co").key);
    assert_ne!(unique_key(&a, IdentifierKind::Email, "x@y.co").key, unique_key(&a, IdentifierKind::Phone, "x@y.co").key);
}

#[test]
fn a_draft_or_paused_project_refuses_registrations() {
    let ids = Seq(AtomicU64::new(1));
    let mut p = active_project(&ids);
    for status in [ProjectStatus::Draft, ProjectStatus::Paused] {
        p.status = status;
        let body = obj(json!({"email": "a@b.co"}));
        match start(&p, &flow_of(&p), &body, &start_ctx(&ids)) {
            Err(DomainError::Conflict { message, .. }) => assert!(message.starts_with("project_not_active"), "{message}"),
            other => panic!("expected a conflict for {status:?}, got {other:?}"),
        }
    }
}

#[test]
fn another_flow_id_is_not_found() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    let other = FlowId::parse("eeeeeeeeeeeeeeeeeeeeeeee").expect("id");
    assert!(matches!(start(&p, &other, &obj(json!({"email": "a@b.co"})), &start_ctx(&ids)), Err(DomainError::NotFound(_))));
}

#[test]
fn identifiers_are_required_and_checked_with_a_detail_per_field() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    let cases = [
        (json!({}), vec!["email"]),
        (json!({"email": "not-an-email"}), vec!["email"]),
        (json!({"phone": "3001234567"}), vec!["countryCode"]),
        (json!({"phone": "12ab", "countryCode": "+5777"}), vec!["phone", "countryCode"]),
        (json!({"email": 5}), vec!["email"]),
        (json!({"email": "a@b.co", "language": "e n"}), vec!["language"]),
    ];
    for (body, fields) in cases {
        match start(&p, &flow_of(&p), &obj(body.clone()), &start_ctx(&ids)) {
            Err(DomainError::Invalid(details)) => {
                let got: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
                assert_eq!(got, fields, "{body}");
            }
            other => panic!("expected 422 for {body}, got {other:?}"),
        }
    }
}

#[test]
fn the_enrollee_view_leaves_out_the_operators_fields() {
    let ids = Seq(AtomicU64::new(1));
    let p = active_project(&ids);
    let (reg, _) = start(&p, &flow_of(&p), &obj(json!({"email": "a@b.co"})), &start_ctx(&ids)).expect("start");
    let operator = reg.api_json(View::Operator);
    let enrollee = reg.api_json(View::Enrollee);
    assert!(operator.get("history").is_some() && operator.get("consent").is_some());
    assert!(enrollee.get("history").is_none() && enrollee.get("consent").is_none() && enrollee.get("__v").is_none());
    assert_eq!(enrollee["status"], "STARTED");
}

#[test]
fn statuses_parse_case_insensitively_and_finished_ones_are_final() {
    assert_eq!(RegistrationStatus::parse("needs_manual_verification"), Some(RegistrationStatus::NeedsManualVerification));
    assert_eq!(RegistrationStatus::parse("nope"), None);
    assert!(RegistrationStatus::Completed.is_finished() && !RegistrationStatus::NeedsManualVerification.is_finished());
}

//! Attempts, outcomes, sync steps and the final decision.

use super::*;
use crate::conformance::{active_project, registration};
use crate::ids::IdGenerator;
use crate::otp::{Channel, OtpState, OtpStatus};
use std::sync::atomic::{AtomicU64, Ordering};

struct Seq(AtomicU64);
impl IdGenerator for Seq {
    fn object_id(&self) -> String {
        format!("{:024x}", self.0.fetch_add(1, Ordering::Relaxed))
    }
}

const T: i64 = 1_700_000_000;

fn at(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(T + s)
}

fn validated(channel: Channel, destination: &str) -> OtpState {
    OtpState {
        id: "v".into(),
        channel,
        destination: destination.into(),
        gateway: "demo".into(),
        code_hash: String::new(),
        status: OtpStatus::Validated,
        attempts: 0,
        sends: vec![],
        expires_at: at(600),
        locked_until: None,
        validated_at: Some(at(1)),
        created_at: at(0),
        updated_at: at(1),
    }
}

/// A registration on the conformance project (document and liveness mandatory) with its email
/// and phone validated.
fn signed_up() -> Registration {
    let ids = Seq(AtomicU64::new(1));
    let client = crate::conformance::client_id(1, 1);
    let p = active_project(&ids, &client, T);
    let (mut r, _) = registration(&ids, &p, json!({"email": "ana@example.com", "phone": "3001234567", "countryCode": "+57"}), T);
    r.email_validation = Some(validated(Channel::Email, "ana@example.com"));
    r.phone_validation = Some(validated(Channel::Phone, "+573001234567"));
    r
}

fn submit(r: &mut Registration, kind: CheckKind, force: bool) -> String {
    let attempt = next_attempt(r, kind, force).expect("attempt allowed");
    let id = format!("{}-{attempt}", kind.as_str());
    r.checks.push(Check {
        id: id.clone(),
        kind,
        attempt,
        images: vec![],
        os: None,
        input_method: None,
        challenge: None,
        category: None,
        outcome: Outcome::Pending,
        created_at: at(10),
        finished_at: None,
    });
    id
}

fn inconclusive() -> Outcome {
    Outcome::review("no engine installed")
}

#[test]
fn sign_up_sync_needs_the_validations_and_records_consent() {
    let mut r = signed_up();
    r.phone_validation = None;
    assert!(matches!(sync(&mut r, SyncStep::SignUpForm, "ONGOING", at(5)), Err(DomainError::Conflict { .. })));
    r.phone_validation = Some(validated(Channel::Phone, "+573001234567"));
    let s = sync(&mut r, SyncStep::SignUpForm, "ONGOING", at(5)).expect("sync");
    assert_eq!(s.events, ["app_registration_ongoing"], "STARTED → ONGOING is a status change");
    assert_eq!(r.consent.accepted_at, Some(at(5)), "reaching past the sign-up form accepts the notice and terms it showed");
    let s = sync(&mut r, SyncStep::Instructions, "ONGOING", at(6)).expect("sync");
    assert_eq!(s.events, ["app_registration_sync_instructions"]);
    assert!(matches!(sync(&mut r, SyncStep::Instructions, "COMPLETED", at(6)), Err(DomainError::Invalid(_))));
}

#[test]
fn end_with_a_mandatory_step_missing_is_refused_and_changes_nothing() {
    let mut r = signed_up();
    submit(&mut r, CheckKind::Document, false);
    let before = r.clone();
    match sync(&mut r, SyncStep::End, "COMPLETED", at(20)) {
        Err(DomainError::Conflict { message, .. }) => {
            assert!(message.starts_with("document_step_missing") || message.starts_with("liveness_step_missing"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r, before);
}

#[test]
fn end_while_checks_run_is_pending_and_the_last_outcome_decides() {
    let mut r = signed_up();
    let doc = submit(&mut r, CheckKind::Document, false);
    let selfie = submit(&mut r, CheckKind::Liveness, false);
    let s = sync(&mut r, SyncStep::End, "COMPLETED", at(20)).expect("sync");
    assert!(s.pending);
    assert_eq!(r.status, RegistrationStatus::Ongoing);
    let events = record_outcome(&mut r, &doc, Outcome::Passed { detail: json!({}) }, at(21)).expect("recorded");
    assert_eq!(events, ["document_validation_active"], "no decision while the selfie runs");
    assert_eq!(record_outcome(&mut r, &doc, inconclusive(), at(22)), None, "a second delivery of the same job changes nothing");
    let events = record_outcome(&mut r, &selfie, inconclusive(), at(23)).expect("recorded");
    assert_eq!(events, ["biometric_validation_needs_manual_verification", "app_registration_needs_manual_verification"]);
    assert_eq!(r.status, RegistrationStatus::NeedsManualVerification);
    assert_eq!(r.history.last().map(|h| (h.by.as_str(), h.action.as_str())), Some(("system", "NEEDS_MANUAL_VERIFICATION")));
}

#[test]
fn a_failed_mandatory_check_fails_and_a_failed_optional_one_does_not() {
    let mut r = signed_up();
    let doc = submit(&mut r, CheckKind::Document, false);
    let selfie = submit(&mut r, CheckKind::Liveness, false);
    record_outcome(&mut r, &doc, Outcome::Passed { detail: json!({}) }, at(21));
    record_outcome(&mut r, &selfie, Outcome::Failed { reason: "liveness score 0.2 under 0.7".into(), detail: json!({}) }, at(22));
    let mut optional = r.clone();
    assert!(matches!(decide(&r), Decision::Final(RegistrationStatus::Failed, _)));
    optional.flow_config.steps.liveness = Some(StepMode::Optional);
    assert_eq!(decide(&optional), Decision::Final(RegistrationStatus::Completed, "every required step passed".into()));
}

#[test]
fn attempts_need_force_and_stop_at_the_flows_limit() {
    let mut r = signed_up();
    let first = submit(&mut r, CheckKind::Document, false);
    assert!(next_attempt(&r, CheckKind::Document, true).is_err(), "not while the first is running");
    record_outcome(&mut r, &first, Outcome::Failed { reason: "blurred".into(), detail: json!({}) }, at(11));
    assert!(next_attempt(&r, CheckKind::Document, false).is_err(), "a new attempt needs force");
    let limit = attempt_limit(&r, CheckKind::Document);
    for _ in 1..limit {
        let id = submit(&mut r, CheckKind::Document, true);
        record_outcome(&mut r, &id, Outcome::Failed { reason: "blurred".into(), detail: json!({}) }, at(12));
    }
    match next_attempt(&r, CheckKind::Document, true) {
        Err(DomainError::Conflict { message, .. }) => assert!(message.starts_with("attempt_limit_reached"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn skip_kyc_completes_only_when_nothing_is_mandatory() {
    let mut r = signed_up();
    assert!(matches!(sync(&mut r, SyncStep::SkipKyc, "COMPLETED_WITHOUT_KYC", at(5)), Err(DomainError::Conflict { .. })));
    r.flow_config.steps.document = Some(StepMode::Optional);
    r.flow_config.steps.liveness = Some(StepMode::Skip);
    let s = sync(&mut r, SyncStep::SkipKyc, "COMPLETED_WITHOUT_KYC", at(5)).expect("skip");
    assert_eq!(s.events, ["app_registration_completed_without_kyc"]);
    assert_eq!(r.status, RegistrationStatus::CompletedWithoutKyc);
    assert!(matches!(sync(&mut r, SyncStep::Instructions, "ONGOING", at(6)), Err(DomainError::Conflict { .. })), "finished is final");
}

#[test]
fn steps_parse_and_name_their_events() {
    assert_eq!(SyncStep::parse("signUpForm").map(SyncStep::snake).as_deref(), Some("sign_up_form"));
    assert_eq!(SyncStep::parse("skipKYC").map(SyncStep::snake).as_deref(), Some("skip_kyc"));
    assert_eq!(SyncStep::parse("basicInformation").map(SyncStep::snake).as_deref(), Some("basic_information"));
    assert_eq!(SyncStep::parse("nope"), None);
}

#[test]
fn an_unfinished_registration_expires_after_its_lifetime_and_a_finished_one_never_does() {
    let mut r = signed_up();
    let due = r.expires_at;
    assert_eq!(expire(&mut r, due.plus_seconds(-1)), None, "not yet");
    assert_eq!(expire(&mut r, due).as_deref(), Some("app_registration_expired"));
    assert_eq!(r.status, RegistrationStatus::Expired);
    assert_eq!(expire(&mut r, due.plus_seconds(10)), None, "expired once");
    let mut review = signed_up();
    review.status = RegistrationStatus::NeedsManualVerification;
    assert_eq!(expire(&mut review, due.plus_seconds(10)), None, "waiting for a reviewer is not abandonment");
}

/// A registration on a business flow (company verified, representatives mandatory), signed up.
fn business() -> Registration {
    let mut r = signed_up();
    let doc = json!({
        "name": "Acme KYB", "allowedCountries": ["Colombia"], "target": "business",
        "projectFlowType": "onboarding",
        "projectFlow": {
            "type": "onboarding",
            "signUpForm": {"fullName": true, "email": true, "phone": true},
            "steps": {"businessVerification": true, "legalRepresentative": "mandatory", "liveness": "mandatory"},
            "business": {"documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "business_document"}]}]},
            "representatives": {"information": {"email": true}, "documents": {"verificationMethods": ["upload"],
                "documentTypes": [{"country": "Colombia", "configurations": [{"active": true, "documentCategory": "passport"}]}]}}
        }
    });
    r.flow_config = crate::config::read_config(doc.as_object().expect("object")).expect("valid").flow.expect("flow");
    r.company = crate::business::read_company(
        json!({"company": {"legalName": "Acme Andina S.A.S.", "registrationNumber": "1", "countryOfIncorporation": "CO"}})
            .as_object()
            .expect("object"),
    )
    .ok();
    r
}

fn person(id: &str, mandatory: bool, status: RegistrationStatus) -> crate::business::Representative {
    crate::business::Representative {
        registration: crate::ids::RegistrationId::parse(id).expect("id"),
        role: crate::business::Role::Director,
        ownership_percentage: None,
        mandatory,
        status,
        invited_at: at(2),
        updated_at: at(2),
    }
}

fn company_check_passed(r: &mut Registration) {
    let id = submit(r, CheckKind::Company, false);
    record_outcome(r, &id, Outcome::Passed { detail: json!({}) }, at(20));
}

#[test]
fn a_business_has_only_its_company_step_and_needs_a_mandatory_representative_before_its_decision() {
    let mut r = business();
    assert_eq!((step_mode(&r, CheckKind::Company), step_mode(&r, CheckKind::Document)), (StepMode::Mandatory, StepMode::Skip));
    assert_eq!(step_mode(&r, CheckKind::Liveness), StepMode::Skip, "the flow's liveness step is the representatives'");
    assert!(matches!(decide(&r), Decision::Incomplete(m) if m.starts_with("company_step_missing")));
    company_check_passed(&mut r);
    assert!(matches!(decide(&r), Decision::Incomplete(m) if m.starts_with("representatives_missing")));
    r.representatives.push(person("aaaaaaaaaaaaaaaaaaaaaaaa", false, RegistrationStatus::Completed));
    assert!(matches!(decide(&r), Decision::Incomplete(m) if m.starts_with("representatives_missing")), "an optional one is not enough");
}

#[test]
fn a_business_waits_for_its_mandatory_representatives_and_completes_when_each_has() {
    let mut r = business();
    company_check_passed(&mut r);
    r.representatives.push(person("aaaaaaaaaaaaaaaaaaaaaaaa", true, RegistrationStatus::Ongoing));
    r.representatives.push(person("bbbbbbbbbbbbbbbbbbbbbbbb", false, RegistrationStatus::Failed));
    assert_eq!(decide(&r), Decision::Pending);
    r.representatives[0].status = RegistrationStatus::Completed;
    assert_eq!(
        decide(&r),
        Decision::Final(RegistrationStatus::Completed, "every required step passed".into()),
        "an optional failure does not count"
    );
}

#[test]
fn a_failed_representative_sends_the_business_to_review_and_a_failed_company_check_fails_it() {
    let mut r = business();
    company_check_passed(&mut r);
    r.representatives.push(person("aaaaaaaaaaaaaaaaaaaaaaaa", true, RegistrationStatus::Failed));
    assert_eq!(
        decide(&r),
        Decision::Final(RegistrationStatus::NeedsManualVerification, "representative aaaaaaaaaaaaaaaaaaaaaaaa (director) is FAILED".into())
    );
    let id = submit(&mut r, CheckKind::Company, true);
    record_outcome(&mut r, &id, Outcome::Failed { reason: "document_not_accepted".into(), detail: json!({}) }, at(30));
    assert!(matches!(decide(&r), Decision::Final(RegistrationStatus::Failed, m) if m.contains("company: document_not_accepted")));
}

#[test]
fn a_representative_s_new_status_is_recorded_once_and_decides_a_business_that_asked() {
    let mut r = business();
    company_check_passed(&mut r);
    r.representatives.push(person("aaaaaaaaaaaaaaaaaaaaaaaa", true, RegistrationStatus::Ongoing));
    let s = sync(&mut r, SyncStep::End, "COMPLETED", at(40)).expect("end");
    assert!(s.pending, "waits for the representative");
    let mut rep = signed_up();
    rep.id = crate::ids::RegistrationId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").expect("id");
    rep.status = RegistrationStatus::Completed;
    rep.representative_of = Some(crate::business::Link {
        business: r.id.clone(),
        role: crate::business::Role::Director,
        ownership_percentage: None,
        mandatory: true,
    });
    let events = representative_changed(&mut r, &rep, at(50)).expect("changed");
    assert_eq!(events, ["business_representative_completed", "app_registration_completed"]);
    assert_eq!(r.status, RegistrationStatus::Completed);
    assert_eq!(representative_changed(&mut r, &rep, at(51)), None, "the same status twice changes nothing");
    rep.status = RegistrationStatus::Ongoing;
    assert_eq!(representative_changed(&mut r, &rep, at(52)), None, "a late, older status does not take a settled one back");
    rep.representative_of = None;
    rep.id = crate::ids::RegistrationId::parse("cccccccccccccccccccccccc").expect("id");
    assert_eq!(representative_changed(&mut r, &rep, at(53)), None, "someone not linked to this business");
}

#[test]
fn an_erased_representative_leaves_the_business_which_then_waits_for_someone_else() {
    let mut r = business();
    company_check_passed(&mut r);
    r.representatives.push(person("aaaaaaaaaaaaaaaaaaaaaaaa", true, RegistrationStatus::Ongoing));
    r.representatives.push(person("bbbbbbbbbbbbbbbbbbbbbbbb", true, RegistrationStatus::Completed));
    assert!(sync(&mut r, SyncStep::End, "COMPLETED", at(40)).expect("end").pending);
    let gone = crate::ids::RegistrationId::parse("aaaaaaaaaaaaaaaaaaaaaaaa").expect("id");
    let events = representative_erased(&mut r, &gone, at(50)).expect("on the list");
    assert_eq!(events, ["business_representative_erased", "app_registration_completed"], "the one left decides it");
    assert_eq!(representative_erased(&mut r, &gone, at(51)), None, "only once");

    let mut alone = business();
    company_check_passed(&mut alone);
    alone.representatives.push(person("aaaaaaaaaaaaaaaaaaaaaaaa", true, RegistrationStatus::Ongoing));
    assert!(sync(&mut alone, SyncStep::End, "COMPLETED", at(40)).expect("end").pending);
    assert_eq!(representative_erased(&mut alone, &gone, at(50)).expect("on the list"), ["business_representative_erased"]);
    assert_eq!(alone.status, RegistrationStatus::Ongoing, "no mandatory person left: it waits for a new invitation");
    assert!(matches!(decide(&alone), Decision::Incomplete(m) if m.starts_with("representatives_missing")));
}

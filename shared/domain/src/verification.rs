//! The checks of a registration (document and selfie/liveness attempts), their asynchronous
//! outcomes, the steps an enrollee syncs, and the final decision. Pure rules: which attempt may be
//! submitted, what a finished check changes, and which status a registration ends in.
//!
//! Checks run asynchronously (SQS-triggered workers in AWS, in-process workers on a single node):
//! a submission records the check as pending together with its job; the worker records the
//! outcome. Until verification engines are installed the worker records an *inconclusive*
//! outcome with its reason, which the decision turns into `NEEDS_MANUAL_VERIFICATION`: never a
//! made-up score.

use crate::clock::Timestamp;
use crate::config::StepMode;
use crate::error::DomainError;
use crate::registration::{HistoryEntry, Registration, RegistrationStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What a check verifies: the flow steps `document` and `liveness`, and on a business
/// registration the company's document (`company`, step `businessVerification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    Document,
    Liveness,
    Company,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Document => "document",
            CheckKind::Liveness => "liveness",
            CheckKind::Company => "company",
        }
    }
    /// The reference's object and event prefix.
    pub fn object_name(self) -> &'static str {
        match self {
            CheckKind::Document => "document_validation",
            CheckKind::Liveness => "biometric_validation",
            // Ours: the reference has no business validation objects or events.
            CheckKind::Company => "company_document_validation",
        }
    }
}

/// How a check ended (or that it has not yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Pending,
    Passed {
        detail: Value,
    },
    Failed {
        reason: String,
        detail: Value,
    },
    /// The engine could not decide (or none is installed): a person must look.
    Inconclusive {
        reason: String,
        /// What was read before the engine stopped deciding (the document's fields, the name
        /// percentages, screening hits), for the reviewer.
        #[serde(default, skip_serializing_if = "Value::is_null")]
        detail: Value,
    },
}

impl Outcome {
    /// A person must look, for `reason`, with nothing read to show.
    pub fn review(reason: impl Into<String>) -> Outcome {
        Outcome::Inconclusive { reason: reason.into(), detail: Value::Null }
    }
}

/// One submitted attempt of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub id: String,
    pub kind: CheckKind,
    /// 1 for the first attempt of its kind.
    pub attempt: u8,
    /// Blob paths under the client's folder (`registrations/<id>/…`): never the image itself.
    pub images: Vec<String>,
    /// `DESKTOP`, `IOS` or `ANDROID` (selfies).
    pub os: Option<String>,
    /// `CAMERA` or `FILE_UPLOAD` (documents; the reference's `inputMethod`).
    pub input_method: Option<String>,
    /// Selfies in flows with `liveness.mode: active`: the head turns the enrollee's challenge asked
    /// for, in order; `images[0]` is then the selfie and `images[1..]` the frames of the burst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Vec<String>>,
    /// Company documents: the configured category it was sent as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<crate::config::DocumentCategory>,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

impl Check {
    pub fn is_pending(&self) -> bool {
        self.outcome == Outcome::Pending
    }

    /// The reference's status word: documents `ASSESSING|ACTIVE|FAILED|NEEDS_MANUAL_VERIFICATION`,
    /// selfies `new|validated|failed` (plus `needs_manual_verification`, our addition).
    pub fn status(&self) -> &'static str {
        match (self.kind, &self.outcome) {
            (CheckKind::Document | CheckKind::Company, Outcome::Pending) => "ASSESSING",
            (CheckKind::Document | CheckKind::Company, Outcome::Passed { .. }) => "ACTIVE",
            (CheckKind::Document | CheckKind::Company, Outcome::Failed { .. }) => "FAILED",
            (CheckKind::Document | CheckKind::Company, Outcome::Inconclusive { .. }) => "NEEDS_MANUAL_VERIFICATION",
            (CheckKind::Liveness, Outcome::Pending) => "new",
            (CheckKind::Liveness, Outcome::Passed { .. }) => "validated",
            (CheckKind::Liveness, Outcome::Failed { .. }) => "failed",
            (CheckKind::Liveness, Outcome::Inconclusive { .. }) => "needs_manual_verification",
        }
    }

    /// The validation object as the reference shapes it (6.9 / 6.10), with `result`.
    pub fn api_json(&self, reg: &Registration) -> Value {
        let mut v = json!({
            "_id": self.id,
            "appRegistration": reg.id,
            "client": reg.client,
            "project": reg.project,
            "projectFlow": reg.flow,
            "status": self.status(),
            "attempt": self.attempt,
            "type": "onboarding",
            "demo": reg.demo,
            "result": self.outcome,
            "createdAt": self.created_at,
            "updatedAt": self.finished_at.unwrap_or(self.created_at),
        });
        match self.kind {
            CheckKind::Document => {
                v["validationMethod"] = json!("SCAN_PROMPT");
                v["inputMethod"] = json!(self.input_method.as_deref().unwrap_or("NOT_SET"));
                v["requiresBackSide"] = json!(self.images.len() < 2);
                // What the document engine read, where the reference puts it.
                if let Outcome::Passed { detail } | Outcome::Failed { detail, .. } | Outcome::Inconclusive { detail, .. } = &self.outcome {
                    for key in [
                        "OCRExtraction",
                        "namesMatch",
                        "fullNameMatchPercentage",
                        "firstNameMatchPercentage",
                        "lastNameMatchPercentage",
                        "validationMethod",
                        "infoValidationSupported",
                        "infoValidationSupportedReason",
                        "informationVerification",
                        "criminalHistory",
                        "screening",
                    ] {
                        if let Some(value) = detail.get(key) {
                            v[key] = value.clone();
                        }
                    }
                    if let Some(number) = detail.pointer("/OCRExtraction/documentNumber") {
                        v["documentNumber"] = number.clone();
                    }
                }
            }
            CheckKind::Company => {
                v["documentCategory"] = json!(self.category);
                v["inputMethod"] = json!(self.input_method.as_deref().unwrap_or("NOT_SET"));
                if let Outcome::Passed { detail } | Outcome::Failed { detail, .. } | Outcome::Inconclusive { detail, .. } = &self.outcome {
                    for key in [
                        "formats",
                        "nameConsistency",
                        "screening",
                        "infoValidationSupported",
                        "infoValidationSupportedReason",
                        "informationVerification",
                        "criminalHistory",
                    ] {
                        if let Some(value) = detail.get(key) {
                            v[key] = value.clone();
                        }
                    }
                }
            }
            CheckKind::Liveness => {
                v["os"] = json!(self.os);
                if let Some(turns) = &self.challenge {
                    v["challenge"] = json!({"turns": turns, "frames": self.images.len().saturating_sub(1)});
                }
            }
        }
        v
    }
}

/// The flow's requirement for a kind of check (a pinned flow without the step skips it). A
/// business registration has only the company step: the flow's liveness step is its
/// representatives'.
pub fn step_mode(reg: &Registration, kind: CheckKind) -> StepMode {
    let steps = &reg.flow_config.steps;
    let business = reg.company.is_some();
    match kind {
        CheckKind::Document if !business => steps.document,
        CheckKind::Liveness if !business => steps.liveness,
        CheckKind::Company if business => steps.business_verification.map(|on| if on { StepMode::Mandatory } else { StepMode::Skip }),
        _ => None,
    }
    .unwrap_or(StepMode::Skip)
}

/// How many attempts of a kind the flow allows (`attemptLimit`, 1–5; 3 if unset).
pub fn attempt_limit(reg: &Registration, kind: CheckKind) -> u8 {
    match kind {
        CheckKind::Document => reg.flow_config.documents.as_ref().map(|d| d.attempt_limit),
        CheckKind::Liveness => reg.flow_config.liveness.as_ref().map(|l| l.attempt_limit),
        CheckKind::Company => reg.flow_config.business.as_ref().map(|b| b.attempt_limit),
    }
    .unwrap_or(3)
}

pub fn checks_of(reg: &Registration, kind: CheckKind) -> impl Iterator<Item = &Check> {
    reg.checks.iter().filter(move |c| c.kind == kind)
}

/// Whether a new attempt of `kind` may be submitted now, and its number. A registration that
/// has finished, a skipped step, an attempt still running, an earlier attempt without `force`,
/// or the flow's attempt limit reached: each is a 409 with its own message.
pub fn next_attempt(reg: &Registration, kind: CheckKind, force: bool) -> Result<u8, DomainError> {
    let conflict = |m: String| DomainError::Conflict { message: m, details: vec![] };
    if reg.status.is_settled() {
        return Err(conflict(format!("registration_finished: the registration is {}", reg.status.as_str())));
    }
    if step_mode(reg, kind) == StepMode::Skip {
        return Err(conflict(format!("{}_step_skipped: this flow does not ask for it", kind.as_str())));
    }
    let made = checks_of(reg, kind).count() as u8;
    if checks_of(reg, kind).any(Check::is_pending) {
        return Err(conflict(format!("{}_in_progress: the previous attempt is still being checked", kind.object_name())));
    }
    if made > 0 && !force {
        return Err(conflict(format!("{}_exists: send force=true for a new attempt", kind.object_name())));
    }
    let limit = attempt_limit(reg, kind);
    if made >= limit {
        return Err(conflict(format!("attempt_limit_reached: {made} of {limit} {} attempts used", kind.as_str())));
    }
    Ok(made + 1)
}

/// What `sync` with step `end` (or a finished check after it) concludes.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A check is still running: decided when the last one finishes.
    Pending,
    /// The flow is not complete: the request is refused, nothing changes.
    Incomplete(String),
    /// The final status and why.
    Final(RegistrationStatus, String),
}

/// The sign-up requirements: the email and phone the flow validates must be validated.
pub fn sign_up_missing(reg: &Registration) -> Option<&'static str> {
    let (email, phone) = codes_wanted(reg);
    if email && !passed(&reg.email_validation) {
        return Some("email");
    }
    if phone && !passed(&reg.phone_validation) {
        return Some("phone");
    }
    None
}

/// Whether the flow's form asks for an email code and a phone code for this registration: the
/// channel is on, has a gateway, and the enrollee gave that contact.
fn codes_wanted(reg: &Registration) -> (bool, bool) {
    use crate::config::{EmailGateway, PhoneGateway};
    let form = reg.flow_config.sign_up_form.as_ref();
    (
        form.is_some_and(|f| f.email && f.email_gateway != EmailGateway::None) && reg.person.email.is_some(),
        form.is_some_and(|f| f.phone && f.phone_gateway != PhoneGateway::None) && reg.person.phone.is_some(),
    )
}

fn passed(v: &Option<crate::otp::OtpState>) -> bool {
    v.as_ref().is_some_and(|s| s.status == crate::otp::OtpStatus::Validated)
}

/// Where an enrollee stands, for a page that resumes after a reload or on another device: which
/// one-time codes the flow still needs (`needed`, `validated`, or `notNeeded`), whether the
/// notice and terms were accepted, and per verification step its mode, the latest attempt's
/// state (`null` before any; `pending`, `passed`, `failed`, `review`) and the attempts left.
/// Coarse on purpose: scores and reasons stay in the operator's view.
pub fn progress(reg: &Registration) -> Value {
    let code = |wanted: bool, done: bool| match (wanted, done) {
        (false, _) => "notNeeded",
        (true, true) => "validated",
        (true, false) => "needed",
    };
    let (email_wanted, phone_wanted) = codes_wanted(reg);
    let step = |kind: CheckKind| {
        let attempts = reg.checks.iter().filter(|c| c.kind == kind).count();
        let latest = reg.checks.iter().rev().find(|c| c.kind == kind).map(|c| match &c.outcome {
            Outcome::Pending => "pending",
            Outcome::Passed { .. } => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::Inconclusive { .. } => "review",
        });
        json!({
            "mode": step_mode(reg, kind).as_str(),
            "latest": latest,
            "attemptsLeft": usize::from(attempt_limit(reg, kind)).saturating_sub(attempts),
        })
    };
    json!({
        "emailCode": code(email_wanted, passed(&reg.email_validation)),
        "phoneCode": code(phone_wanted, passed(&reg.phone_validation)),
        "consentAccepted": reg.consent.accepted_at.is_some() || reg.current_step != "signUpForm",
        "document": step(CheckKind::Document),
        "liveness": step(CheckKind::Liveness),
        "company": step(CheckKind::Company),
        "representatives": reg.representatives.iter().map(|r| json!({"_id": r.registration, "role": r.role, "mandatory": r.mandatory, "status": r.status.as_str()})).collect::<Vec<_>>(),
        "endRequested": reg.end_requested_at.is_some(),
    })
}

/// The final status from the flow's requirements and the recorded checks (the latest attempt of
/// each kind counts): a mandatory step never submitted → incomplete; a check still running →
/// pending; a failed mandatory check → `FAILED`; an inconclusive mandatory one →
/// `NEEDS_MANUAL_VERIFICATION`; otherwise `COMPLETED`. A failed or inconclusive *optional* check is
/// kept on the record and does not change the outcome.
pub fn decide(reg: &Registration) -> Decision {
    if let Some(what) = sign_up_missing(reg) {
        return Decision::Incomplete(format!("signUpForm_validation_not_passed: the {what} is not validated"));
    }
    const KINDS: [CheckKind; 3] = [CheckKind::Document, CheckKind::Liveness, CheckKind::Company];
    // Every mandatory step must have been submitted before anything else is looked at.
    if let Some(kind) = KINDS.iter().find(|k| step_mode(reg, **k) == StepMode::Mandatory && checks_of(reg, **k).next().is_none()) {
        return Decision::Incomplete(format!("{}_step_missing: the {0} step is mandatory", kind.as_str()));
    }
    if reg.company.is_some()
        && reg.flow_config.steps.legal_representative == Some(StepMode::Mandatory)
        && !reg.representatives.iter().any(|r| r.mandatory)
    {
        return Decision::Incomplete(
            "representatives_missing: this flow needs at least one mandatory representative (POST /v2/app-registrations/{id}/representatives)".into(),
        );
    }
    let mut failed = Vec::new();
    let mut review = Vec::new();
    for kind in KINDS {
        let mode = step_mode(reg, kind);
        let latest = checks_of(reg, kind).max_by_key(|c| c.attempt);
        match (mode, latest) {
            (StepMode::Skip, _) | (_, None) => {}
            (_, Some(c)) if c.is_pending() => return Decision::Pending,
            (StepMode::Mandatory, Some(c)) => match &c.outcome {
                Outcome::Failed { reason, .. } => failed.push(format!("{}: {reason}", kind.as_str())),
                Outcome::Inconclusive { reason, .. } => review.push(format!("{}: {reason}", kind.as_str())),
                _ => {}
            },
            (StepMode::Optional, _) => {}
        }
    }
    if reg.company.is_some() {
        match representatives_verdict(reg) {
            Ok(reasons) => review.extend(reasons),
            Err(decision) => return decision,
        }
    }
    review.extend(reg.holds.iter().cloned());
    if !failed.is_empty() {
        Decision::Final(RegistrationStatus::Failed, failed.join("; "))
    } else if !review.is_empty() {
        Decision::Final(RegistrationStatus::NeedsManualVerification, review.join("; "))
    } else {
        Decision::Final(RegistrationStatus::Completed, "every required step passed".into())
    }
}

/// What the linked people add to a business decision (after [`decide`] refused one without a
/// mandatory representative on a flow that needs one): `Err(Pending)` while a mandatory one is
/// still enrolling, else the reasons for a reviewer (a mandatory representative who failed,
/// expired or waits for review). A failed representative does not fail the business: the operator
/// may have the company name someone else, so a person looks.
fn representatives_verdict(reg: &Registration) -> Result<Vec<String>, Decision> {
    let mode = reg.flow_config.steps.legal_representative.unwrap_or(StepMode::Skip);
    if mode == StepMode::Skip {
        return Ok(Vec::new());
    }
    let mandatory: Vec<&crate::business::Representative> = reg.representatives.iter().filter(|r| r.mandatory).collect();
    if mandatory.iter().any(|r| !r.status.is_settled()) {
        return Err(Decision::Pending);
    }
    Ok(mandatory
        .iter()
        .filter(|r| r.status != RegistrationStatus::Completed)
        .map(|r| format!("representative {} ({}) is {}", r.registration, r.role.as_str(), r.status.as_str()))
        .collect())
}

/// Records a representative's new status on its business (idempotent: the same status twice
/// changes nothing) and, when the business already asked for its decision, decides. Returns the
/// event suffixes to record on the business, or `None` when nothing changed.
pub fn representative_changed(business: &mut Registration, representative: &Registration, now: Timestamp) -> Option<Vec<String>> {
    let link = representative.representative_of.as_ref().filter(|l| l.business == business.id)?;
    // A person whose invitation's second write (the business's list) was lost is added from
    // their own link, so they are never left out of the decision.
    if !business.representatives.iter().any(|r| r.registration == representative.id) {
        business.representatives.push(crate::business::Representative {
            registration: representative.id.clone(),
            role: link.role,
            ownership_percentage: link.ownership_percentage,
            mandatory: link.mandatory,
            status: RegistrationStatus::Started,
            invited_at: representative.created_at,
            updated_at: now,
        });
    }
    let entry = business.representatives.iter_mut().find(|r| r.registration == representative.id)?;
    // A late job carrying an older status never takes a settled one back.
    if entry.status == representative.status || (entry.status.is_settled() && !representative.status.is_settled()) {
        return None;
    }
    entry.status = representative.status;
    entry.updated_at = now;
    business.updated_at = now;
    let mut events = vec![format!("business_representative_{}", representative.status.as_str().to_ascii_lowercase())];
    if business.end_requested_at.is_some()
        && !business.status.is_settled()
        && let Decision::Final(status, reason) = decide(business)
    {
        events.push(finish(business, status, "system", &reason, None, now));
    }
    Some(events)
}

/// Takes an erased representative off its business (the operator deleted the person): the entry
/// goes, the history says so, and a business that was waiting for its decision is decided again
/// (a flow that needs a mandatory person then waits for someone else to be invited). Returns the
/// event suffixes, or `None` when the person was not on the list.
pub fn representative_erased(
    business: &mut Registration,
    representative: &crate::ids::RegistrationId,
    now: Timestamp,
) -> Option<Vec<String>> {
    let at = business.representatives.iter().position(|r| &r.registration == representative)?;
    let gone = business.representatives.remove(at);
    business.history.push(HistoryEntry {
        at: now,
        by: "system".into(),
        action: "representative_erased".into(),
        reason: Some(format!("{} ({}) was erased", gone.registration, gone.role.as_str())),
        note: None,
    });
    business.updated_at = now;
    let mut events = vec!["business_representative_erased".to_string()];
    if business.end_requested_at.is_some()
        && !business.status.is_settled()
        && let Decision::Final(status, reason) = decide(business)
    {
        events.push(finish(business, status, "system", &reason, None, now));
    }
    Some(events)
}

/// Applies a final status: the status, a history entry (who, what, why) and the reference's
/// `app_registration_<status>` event name suffix, returned for the caller to record.
pub fn finish(reg: &mut Registration, status: RegistrationStatus, by: &str, reason: &str, note: Option<String>, now: Timestamp) -> String {
    reg.status = status;
    reg.current_step = "end".into();
    reg.history.push(HistoryEntry { at: now, by: by.into(), action: status.as_str().into(), reason: Some(reason.into()), note });
    format!("app_registration_{}", status.as_str().to_ascii_lowercase())
}

/// The steps of `PUT /v2/app-registrations/{id}/sync` (reference 6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStep {
    SkipKyc,
    Instructions,
    SignUpForm,
    BasicInformation,
    Document,
    Liveness,
    Form,
    End,
}

impl SyncStep {
    pub const ALL: [(SyncStep, &'static str); 8] = [
        (SyncStep::SkipKyc, "skipKYC"),
        (SyncStep::Instructions, "instructions"),
        (SyncStep::SignUpForm, "signUpForm"),
        (SyncStep::BasicInformation, "basicInformation"),
        (SyncStep::Document, "document"),
        (SyncStep::Liveness, "liveness"),
        (SyncStep::Form, "form"),
        (SyncStep::End, "end"),
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, name)| name.eq_ignore_ascii_case(s.trim())).map(|(step, _)| *step)
    }
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(step, _)| *step == self).map(|(_, name)| *name).unwrap_or("end")
    }
    /// `sign_up_form`, as event names spell steps.
    pub fn snake(self) -> String {
        let mut out = String::new();
        for c in self.as_str().chars() {
            if c.is_ascii_uppercase() {
                if !out.is_empty() && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out.replace("k_y_c", "kyc")
    }
    /// The statuses a client may send with the step.
    fn allows(self, status: &str) -> bool {
        let s = status.trim().to_ascii_uppercase();
        match self {
            SyncStep::SkipKyc => s == "COMPLETED_WITHOUT_KYC",
            SyncStep::End => matches!(s.as_str(), "COMPLETED" | "FAILED" | "NEEDS_MANUAL_VERIFICATION"),
            _ => s == "ONGOING",
        }
    }
}

/// What a sync did: the event name suffixes to record (in order) and whether the decision is
/// still waiting for a running check.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced {
    pub events: Vec<String>,
    pub pending: bool,
}

/// Applies a sync to `reg` (reference 6.5). The registration's final status is always the
/// server's decision: the status a client sends with `end` is only checked for shape.
pub fn sync(reg: &mut Registration, step: SyncStep, status: &str, now: Timestamp) -> Result<Synced, DomainError> {
    let conflict = |m: String| DomainError::Conflict { message: m, details: vec![] };
    if !step.allows(status) {
        return Err(DomainError::Invalid(vec![crate::error::FieldError::new(
            "status",
            format!("{status:?} is not a status of step {}", step.as_str()),
        )]));
    }
    if reg.status.is_settled() {
        return Err(conflict(format!("registration_finished: the registration is {}", reg.status.as_str())));
    }
    let before = reg.status;
    let mut pending = false;
    match step {
        SyncStep::SignUpForm => {
            if let Some(what) = sign_up_missing(reg) {
                return Err(conflict(format!("signUpForm_validation_not_passed: the {what} is not validated")));
            }
            // Reaching past the sign-up form is accepting the notice and terms it showed.
            let form = reg.flow_config.sign_up_form.as_ref();
            if form.is_some_and(|f| f.show_privacy_notice || f.show_terms_and_conditions) && reg.consent.accepted_at.is_none() {
                reg.consent.accepted_at = Some(now);
            }
        }
        SyncStep::SkipKyc => {
            if let Some(what) = sign_up_missing(reg) {
                return Err(conflict(format!("signUpForm_validation_not_passed: the {what} is not validated")));
            }
            let representatives = reg.company.is_some()
                && (reg.flow_config.steps.legal_representative == Some(StepMode::Mandatory)
                    || reg.representatives.iter().any(|r| r.mandatory));
            if representatives
                || [CheckKind::Document, CheckKind::Liveness, CheckKind::Company].iter().any(|k| step_mode(reg, *k) == StepMode::Mandatory)
            {
                return Err(conflict("skipKYC_not_allowed: this flow has mandatory verification steps".into()));
            }
            let event = finish(reg, RegistrationStatus::CompletedWithoutKyc, "enrollee", "no verification step is mandatory", None, now);
            reg.updated_at = now;
            return Ok(Synced { events: vec![event], pending: false });
        }
        SyncStep::End => match decide(reg) {
            Decision::Incomplete(m) => return Err(conflict(m)),
            Decision::Pending => {
                reg.end_requested_at = Some(now);
                pending = true;
            }
            Decision::Final(status, reason) => {
                reg.end_requested_at = Some(now);
                let event = finish(reg, status, "system", &reason, None, now);
                reg.updated_at = now;
                return Ok(Synced { events: vec![event], pending: false });
            }
        },
        _ => {}
    }
    reg.current_step = step.as_str().into();
    if reg.status == RegistrationStatus::Started {
        reg.status = RegistrationStatus::Ongoing;
    }
    reg.updated_at = now;
    let event = if reg.status != before {
        format!("app_registration_{}", reg.status.as_str().to_ascii_lowercase())
    } else {
        format!("app_registration_sync_{}", step.snake())
    };
    Ok(Synced { events: vec![event], pending })
}

/// Marks an unfinished registration (`STARTED`/`ONGOING`) whose lifetime has passed as `EXPIRED`,
/// with a history entry; returns the event suffix, or `None` if it is not due (or not open).
pub fn expire(reg: &mut Registration, now: Timestamp) -> Option<String> {
    let open = matches!(reg.status, RegistrationStatus::Started | RegistrationStatus::Ongoing);
    if !open || now < reg.expires_at {
        return None;
    }
    reg.updated_at = now;
    Some(finish(reg, RegistrationStatus::Expired, "system", "not finished within the registration lifetime", None, now))
}

/// Records a finished check (idempotent: a check already finished is left as it is, so a job
/// delivered twice changes nothing) and, when the enrollee already asked for the decision and
/// this was the last running check, decides. Returns the event suffixes to record, or `None`
/// when nothing changed.
pub fn record_outcome(reg: &mut Registration, check_id: &str, outcome: Outcome, now: Timestamp) -> Option<Vec<String>> {
    let check = reg.checks.iter_mut().find(|c| c.id == check_id && c.is_pending())?;
    check.outcome = outcome;
    check.finished_at = Some(now);
    let suffix = match (&check.outcome, check.kind) {
        (Outcome::Inconclusive { .. }, CheckKind::Document) => "document_validation_manual_verification_required".to_string(),
        (Outcome::Failed { .. }, CheckKind::Liveness) => "biometric_validation_liveness_failed".to_string(),
        (_, kind) => format!("{}_{}", kind.object_name(), check.status().to_ascii_lowercase()),
    };
    reg.updated_at = now;
    let mut events = vec![suffix];
    // The reference's finer biometric events: a face match ran (`face_verification_compare`), and
    // a selfie's liveness score was under the flow's threshold.
    if check.kind == CheckKind::Liveness {
        let detail = match &check.outcome {
            Outcome::Passed { detail } | Outcome::Failed { detail, .. } => Some(detail),
            _ => None,
        };
        if detail.and_then(|d| d.get("compareResult")).is_some_and(|c| c.is_object()) {
            events.push("face_verification_compare".to_string());
        }
        if matches!(&check.outcome, Outcome::Failed { reason, .. } if reason == "liveness_score_not_acceptable") {
            events.push("biometrics_liveness_score_not_acceptable".to_string());
        }
    }
    // The document's outside sources: a registry answered (`document_validation_source_lookup`),
    // or could not confirm the data (`document_validation_data_source_error`); a background check
    // ran (`information_validation_background_check`).
    if check.kind == CheckKind::Document
        && let Outcome::Passed { detail } | Outcome::Inconclusive { detail, .. } = &check.outcome
    {
        if detail.pointer("/informationVerification/result").is_some() {
            events.push("document_validation_source_lookup".to_string());
        }
        if detail.get("infoValidationSupported") == Some(&Value::Bool(false)) {
            events.push("document_validation_data_source_error".to_string());
        }
        if detail.get("criminalHistory").is_some_and(|c| c.get("result").is_some() || c.get("status") == Some(&json!("unavailable"))) {
            events.push("information_validation_background_check".to_string());
        }
    }
    if reg.end_requested_at.is_some()
        && !reg.status.is_settled()
        && let Decision::Final(status, reason) = decide(reg)
    {
        events.push(finish(reg, status, "system", &reason, None, now));
    }
    Some(events)
}

#[cfg(test)]
mod tests;

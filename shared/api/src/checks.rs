//! The enrollee's verification steps and the operator's review:
//!
//! - `POST /v2/document-validations/app-registration` (front, optional back) and
//!   `POST /v2/biometric-validations/app-registration` (selfie, `os`): the images go to the blob
//!   store (never the record store), the check is recorded pending together with its event and its
//!   job in one write, and a worker runs it (`crate::jobs`). The reference answers liveness
//!   synchronously (`409 liveness_failed`); here every outcome arrives by status, event and
//!   webhook, because checks run asynchronously.
//! - `PUT /v2/app-registrations/{id}/sync`: the step table of the reference (6.5) and the decision.
//! - `POST /v2/app-registrations/{id}/review` (client token): approve or reject a registration in
//!   `NEEDS_MANUAL_VERIFICATION`, with a reason code and a note, kept in its history.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, json_object_up_to, path_param};
use crate::images::{self, MAX_IMAGE_BYTES};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use smartenroll_domain::blob::{Blob, BlobKey};
use smartenroll_domain::config::{DocumentCategory, LivenessMode};
use smartenroll_domain::error::{FieldError, StoreError};
use smartenroll_domain::ids::{ClientId, RegistrationId};
use smartenroll_domain::jobs::Job;
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::registration::{ENROLLEE_TOKEN_MINUTES, Registration, RegistrationStatus, View};
use smartenroll_domain::verification::{self, Check, CheckKind, Outcome, SyncStep};

/// Image requests may be as large as Lambda's payload limit.
const MAX_IMAGE_REQUEST: usize = 6 * 1024 * 1024;
const WRITE_ATTEMPTS: usize = 3;

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

fn flag(body: &Map<String, Value>, key: &str) -> Result<bool, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => Ok(s.eq_ignore_ascii_case("true")),
        Some(_) => Err(invalid(key, "must be true or false")),
    }
}

pub async fn submit_document(deps: &Deps, req: Request) -> Response<Body> {
    submit_with_first_read(deps, req, CheckKind::Document).await
}

pub async fn submit_selfie(deps: &Deps, req: Request) -> Response<Body> {
    submit_with_first_read(deps, req, CheckKind::Liveness).await
}

/// The registration is read beside the enrollee's rate-limit count (one round trip, not two).
async fn submit_with_first_read(deps: &Deps, req: Request, kind: CheckKind) -> Response<Body> {
    let read = |client: ClientId, id: RegistrationId| async move { crate::registrations::load(deps, &client, &id).await };
    let (auth, first) = match crate::auth::authorize_enrollee_with(deps, &req, read).await {
        Ok(both) => both,
        Err(response) => return response,
    };
    auth.respond(submit(deps, &auth, &req, kind, first).await)
}

async fn submit(
    deps: &Deps,
    auth: &crate::auth::EnrolleeAuth,
    req: &Request,
    kind: CheckKind,
    first: Result<Registration, ApiError>,
) -> Result<Reply, ApiError> {
    // A registration that is gone (erased since the token was issued) is answered before the
    // images are even decoded.
    let first = match first {
        Err(ApiError::NotFound(what)) => return Err(ApiError::NotFound(what)),
        other => other,
    };
    let body = json_object_up_to(req, MAX_IMAGE_REQUEST)?;
    // On a business registration the document route takes the company's documents (one route for
    // both, as the reference has one; the registration says which).
    let kind = match (&first, kind) {
        (Ok(reg), CheckKind::Document) if reg.company.is_some() => CheckKind::Company,
        _ => kind,
    };
    let category = match (&first, kind) {
        (Ok(reg), CheckKind::Company) => Some(company_category(reg, &body)?),
        _ => None,
    };
    // An active challenge's answer: the challenge the enrollee was issued and the burst of frames.
    let challenge = match kind {
        CheckKind::Liveness => active_answer(deps, auth, &body)?,
        CheckKind::Document | CheckKind::Company => None,
    };
    let image = match body.get("image").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
        Some(v) => images::decode("image", v)?,
        // With frames, the first (facing the camera) is the selfie.
        None => match &challenge {
            Some((_, frames)) => frames[0].clone(),
            None => return Err(invalid("image", "missing image")),
        },
    };
    let mut files = vec![("front".to_string(), image)];
    let (os, input_method) = match kind {
        CheckKind::Document | CheckKind::Company => {
            match body.get("backImage") {
                None | Some(Value::Null) => {}
                Some(Value::String(v)) if v.trim().is_empty() => {}
                Some(Value::String(v)) => files.push(("back".to_string(), images::decode("backImage", v)?)),
                Some(_) => return Err(invalid("backImage", "must be an image (base64 or a data URI)")),
            }
            let input = match body.get("inputMethod") {
                None | Some(Value::Null) => "NOT_SET".into(),
                Some(Value::String(m)) if matches!(m.trim().to_ascii_uppercase().as_str(), "CAMERA" | "FILE_UPLOAD") => {
                    m.trim().to_ascii_uppercase()
                }
                Some(_) => return Err(invalid("inputMethod", "must be CAMERA or FILE_UPLOAD")),
            };
            (None, Some(input))
        }
        CheckKind::Liveness => {
            files[0].0 = "selfie".to_string();
            if let Some((_, frames)) = &challenge {
                files.extend(frames.iter().enumerate().map(|(i, f)| (format!("frame-{i:02}"), f.clone())));
            } else if reg_flow_is_active(&first) {
                return Err(ApiError::MissingParameter(vec![FieldError::new(
                    "challenge",
                    "\"challenge\" is required: this flow's liveness is active (POST /v2/face-recognition/liveness/challenge, then send its frames)",
                )]));
            }
            let os = body.get("os").and_then(Value::as_str).map(str::to_ascii_uppercase);
            match os.as_deref() {
                Some("DESKTOP" | "IOS" | "ANDROID") => (os, None),
                Some(_) => return Err(invalid("os", "must be DESKTOP, IOS or ANDROID")),
                None => return Err(invalid("os", "\"os\" is required")),
            }
        }
    };
    if files.iter().map(|(_, i)| i.bytes.len()).sum::<usize>() > MAX_IMAGE_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_IMAGE_BYTES));
    }
    let force = flag(&body, "force")?;
    let mut first = Some(first);
    let check_id = deps.ids.object_id();
    let mut stored: Option<Vec<String>> = None;
    for attempt in 0..WRITE_ATTEMPTS {
        // The read made beside authentication first; after a lost write race, a fresh one.
        let reg = match first.take() {
            Some(read) => read?,
            None => crate::registrations::load(deps, &auth.client, &auth.registration).await?,
        };
        let number = verification::next_attempt(&reg, kind, force)?;
        let now = deps.clock.now();
        // Files first, then the record that names them: a record never points at a missing file.
        // Stored once: a retry after a lost write race (the worker recording another check in
        // between) names the same files. (A submission refused on its retry leaves them under the
        // registration's folder, which erasure removes.)
        let paths = match &stored {
            Some(paths) => paths.clone(),
            None => {
                let mut paths = Vec::new();
                for (name, img) in &files {
                    let path = format!("registrations/{}/{}/{check_id}/{name}.{}", reg.id, kind.as_str(), img.extension);
                    let key = BlobKey::new(&reg.client, &path).ok_or(ApiError::Internal)?;
                    deps.blobs.put(&key, Blob { content_type: img.content_type.into(), bytes: img.bytes.clone() }).await?;
                    paths.push(path);
                }
                stored.insert(paths).clone()
            }
        };
        let check = Check {
            id: check_id.clone(),
            kind,
            attempt: number,
            images: paths,
            os: os.clone(),
            input_method: input_method.clone(),
            challenge: challenge.as_ref().map(|(turns, _)| turns.clone()),
            category,
            outcome: Outcome::Pending,
            created_at: now,
            finished_at: None,
        };
        let mut next = reg.clone();
        next.checks.push(check.clone());
        if next.status == RegistrationStatus::Started {
            next.status = RegistrationStatus::Ongoing;
        }
        next.current_step = kind.as_str().into();
        next.version += 1;
        next.updated_at = now;
        let mut object = check.api_json(&next);
        object["email"] = json!(next.person.email);
        object["phone"] = json!(next.person.phone);
        let event = next.event(&format!("{}_created", kind.object_name()), object, deps.ids.as_ref(), now);
        let job = Job::RunCheck { client_id: next.client.to_string(), registration_id: next.id.to_string(), check_id: check_id.clone() };
        match deps.registrations.update_with_jobs(&next, reg.version, &[event], &[job.to_body()]).await {
            Ok(()) => {}
            Err(StoreError::Conflict) if attempt + 1 < WRITE_ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
        tracing::info!(registration = %next.id, check = %check_id, kind = kind.as_str(), attempt = number, "check submitted");
        let data = match kind {
            CheckKind::Document => json!({"documentValidation": check.api_json(&next)}),
            CheckKind::Company => json!({"companyDocumentValidation": check.api_json(&next)}),
            CheckKind::Liveness => {
                let mut v = next.api_json(View::Enrollee);
                v["biometricValidation"] = check.api_json(&next);
                v
            }
        };
        return Reply::data(StatusCode::OK, &data);
    }
    Err(StoreError::Conflict.into())
}

/// A company document's `documentCategory` (required) and `country` (default: the country of
/// incorporation): an active configuration of the business flow's `business.documentTypes`.
fn company_category(reg: &Registration, body: &Map<String, Value>) -> Result<DocumentCategory, ApiError> {
    use smartenroll_domain::country::Country;
    let company = reg.company.as_ref().ok_or(ApiError::Internal)?;
    let country = match body.get("country") {
        None | Some(Value::Null) => company.country_of_incorporation,
        Some(Value::String(c)) => Country::parse(c)
            .or_else(|| Country::all().find(|k| k.alpha2().eq_ignore_ascii_case(c.trim())))
            .ok_or_else(|| invalid("country", "country not supported"))?,
        Some(_) => return Err(invalid("country", "must be a country name or code")),
    };
    let active: Vec<DocumentCategory> = reg
        .flow_config
        .business
        .iter()
        .flat_map(|b| b.document_types.iter())
        .filter(|t| t.country == country)
        .flat_map(|t| t.configurations.iter().filter(|c| c.active).map(|c| c.category))
        .collect();
    if active.is_empty() {
        return Err(invalid("country", &format!("this flow accepts no company documents from {}", country.display_name())));
    }
    let names = active.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("|");
    match body.get("documentCategory").and_then(Value::as_str).and_then(DocumentCategory::parse) {
        Some(c) if active.contains(&c) => Ok(c),
        _ => Err(invalid("documentCategory", &format!("is required: one of {names} for {}", country.display_name()))),
    }
}

/// Whether the registration (as first read) pins a flow whose liveness is active.
fn reg_flow_is_active(first: &Result<Registration, ApiError>) -> bool {
    first.as_ref().is_ok_and(|r| r.flow_config.liveness.as_ref().is_some_and(|l| l.mode == LivenessMode::Active))
}

/// An active challenge's answer: the turns it asked for and the frames, decoded.
type ActiveAnswer = (Vec<String>, Vec<images::Image>);

/// `challenge` (issued to this registration, unexpired) and `frames` (2–12 images), or `None` when
/// the submission carries neither.
fn active_answer(deps: &Deps, auth: &crate::auth::EnrolleeAuth, body: &Map<String, Value>) -> Result<Option<ActiveAnswer>, ApiError> {
    use smartenroll_biometrics::liveness::{MAX_FRAMES, MIN_FRAMES};
    if !body.contains_key("challenge") && !body.contains_key("frames") {
        return Ok(None);
    }
    let token = body
        .get("challenge")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::MissingParameter(vec![FieldError::new("challenge", "\"challenge\" is required with frames")]))?;
    let claims = deps.jwt.verify_challenge(token.trim(), auth.registration.as_str(), deps.clock.now())?;
    let frames = match body.get("frames") {
        Some(Value::Array(items)) if (MIN_FRAMES..=MAX_FRAMES).contains(&items.len()) => items,
        _ => return Err(invalid("frames", &format!("must be a list of {MIN_FRAMES} to {MAX_FRAMES} images"))),
    };
    let decoded = frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let field = format!("frames[{i}]");
            f.as_str().ok_or_else(|| invalid(&field, "must be an image (base64 or a data URI)")).and_then(|v| images::decode(&field, v))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((claims.turns, decoded)))
}

/// The mode of each step of the pinned flow, as the sync answer lists them.
fn steps(reg: &Registration) -> Value {
    let mode = |k| verification::step_mode(reg, k).as_str();
    json!({"signUpForm": "mandatory", "basicInformation": "skip", "document": mode(CheckKind::Document), "liveness": mode(CheckKind::Liveness), "form": "skip"})
}

fn redirect_url(reg: &Registration) -> Option<String> {
    reg.flow_config.integrations.as_ref().and_then(|i| i.redirect_url.clone())
}

/// `PUT /v2/app-registrations/{id}/sync` (enrollee token, their own registration).
pub async fn sync(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::enrollee!(deps, req);
    let outcome = async {
        let id = path_param(&req, "id").and_then(|s| RegistrationId::parse(s).ok());
        if id.as_ref() != Some(&auth.registration) {
            return Err(ApiError::NotFound("AppRegistration"));
        }
        let body = crate::http::json_object(&req)?;
        let step_text = body.get("step").and_then(Value::as_str).ok_or_else(|| invalid("step", "is required"))?;
        let step = SyncStep::parse(step_text).ok_or_else(|| {
            invalid("step", "step_not_supported: one of skipKYC, instructions, signUpForm, basicInformation, document, liveness, form, end")
        })?;
        let status = body.get("status").and_then(Value::as_str).ok_or_else(|| invalid("status", "is required"))?;
        for attempt in 0..WRITE_ATTEMPTS {
            let reg = crate::registrations::load(deps, &auth.client, &auth.registration).await?;
            let now = deps.clock.now();
            let mut next = reg.clone();
            let synced = verification::sync(&mut next, step, status, now)?;
            next.version += 1;
            let events: Vec<_> =
                synced.events.iter().map(|suffix| next.event(suffix, next.api_json(View::Operator), deps.ids.as_ref(), now)).collect();
            match deps.registrations.update(&next, reg.version, &events).await {
                Ok(()) => {}
                Err(StoreError::Conflict) if attempt + 1 < WRITE_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
            tracing::info!(registration = %next.id, step = step.as_str(), status = next.status.as_str(), pending = synced.pending, "registration synced");
            let token = deps.jwt.issue_enrollee_token(&next, "enroll", now, ENROLLEE_TOKEN_MINUTES * 60).map_err(|e| {
                tracing::error!(error = %e, "token signing failed");
                ApiError::Internal
            })?;
            let p = &next.person;
            return Reply::data(
                StatusCode::OK,
                &json!({
                    "token": token,
                    "firstName": p.first_name, "lastName": p.last_name, "fullName": p.full_name,
                    "step": step.as_str(),
                    "steps": steps(&next),
                    "appRegistrationId": next.id,
                    "status": next.status.as_str(),
                    "decision": if synced.pending { "pending" } else if next.status.is_settled() { "made" } else { "not_requested" },
                    "redirectUrl": redirect_url(&next),
                    "demo": next.demo,
                }),
            );
        }
        Err(StoreError::Conflict.into())
    };
    auth.respond(outcome.await)
}

/// `POST /v2/app-registrations/{id}/review` (client token): `{decision: "approve"|"reject",
/// reasonCode, note}` for a registration in `NEEDS_MANUAL_VERIFICATION`.
pub async fn review(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = path_param(&req, "id")
            .and_then(|s| RegistrationId::parse(s).ok())
            .ok_or_else(|| ApiError::BadRequest("Invalid app registration ID format".into()))?;
        let body = crate::http::json_object(&req)?;
        let mut errors = Vec::new();
        let status = match body.get("decision").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
            Some("approve" | "approved" | "completed") => Some(RegistrationStatus::Completed),
            Some("reject" | "rejected" | "failed") => Some(RegistrationStatus::Failed),
            _ => {
                errors.push(FieldError::new("decision", "must be approve or reject"));
                None
            }
        };
        let reason = body.get("reasonCode").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && s.len() <= 64);
        if reason.is_none() {
            errors.push(FieldError::new("reasonCode", "is required (at most 64 characters)"));
        }
        let note = match body.get("note") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= 2000 => Some(s.trim().to_string()),
            Some(_) => {
                errors.push(FieldError::new("note", "must be a string of at most 2000 characters"));
                None
            }
        };
        let (Some(status), Some(reason), true) = (status, reason, errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        for attempt in 0..WRITE_ATTEMPTS {
            let reg = crate::registrations::load(deps, &auth.client.id, &id).await?;
            if reg.status != RegistrationStatus::NeedsManualVerification {
                return Err(ApiError::Conflict {
                    message: format!("not_in_manual_review: the registration is {}", reg.status.as_str()),
                    details: vec![],
                });
            }
            let now = deps.clock.now();
            let mut next = reg.clone();
            let suffix = verification::finish(&mut next, status, &format!("client:{}", auth.client.id), reason, note.clone(), now);
            next.version += 1;
            next.updated_at = now;
            let event = next.event(&suffix, next.api_json(View::Operator), deps.ids.as_ref(), now);
            match deps.registrations.update(&next, reg.version, &[event]).await {
                Ok(()) => {}
                Err(StoreError::Conflict) if attempt + 1 < WRITE_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
            tracing::info!(registration = %next.id, status = next.status.as_str(), "manual review decided");
            return Reply::data(StatusCode::OK, &next.api_json(View::Operator));
        }
        Err(StoreError::Conflict.into())
    };
    auth.respond(outcome.await)
}

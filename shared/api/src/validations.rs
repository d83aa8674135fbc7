//! Email and phone one-time codes of a registration (reference 6.7, 6.8), enrollee token only:
//!
//! - `POST /v2/email-validations/app-registration`, `POST /v2/phone-validations/app-registration`
//!   send a code (or send a new one: same validation id, the `_resend` event);
//! - `PUT /v2/email-validations/{id}`, `PUT /v2/phone-validations` check it.
//!
//! Codes are six random digits, stored only as a keyed hash; a demo-mode project's code is its
//! `demoOTP` and nothing is sent. The state machine (expiry, attempts, lockout, caps) is
//! `smartenroll_domain::otp`; here are the sending, hashing and storing. The state change and its
//! event are one conditional write; a lost race is retried from a fresh read, so no wrong attempt
//! goes uncounted.

use crate::Deps;
use crate::auth::EnrolleeAuth;
use crate::error::ApiError;
use crate::http::{Reply, json_object, path_param};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::config::{EmailGateway, PhoneGateway};
use smartenroll_domain::error::{DomainError, FieldError, StoreError};
use smartenroll_domain::otp::{self, CODE_DIGITS, Channel, Checked, OtpState, OtpStatus, Send};
use smartenroll_domain::ports::{GatewayError, OutgoingEmail, OutgoingText, TextChannel};
use smartenroll_domain::ratelimit::RateKey;
use smartenroll_domain::registration::{self, Registration};

/// Reads and writes of one registration racing another request are retried this often.
const WRITE_ATTEMPTS: usize = 3;

pub async fn email_send(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::enrollee!(deps, req);
    auth.respond(send(deps, &auth, &req, Channel::Email).await)
}

pub async fn phone_send(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::enrollee!(deps, req);
    auth.respond(send(deps, &auth, &req, Channel::Phone).await)
}

pub async fn email_check(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::enrollee!(deps, req);
    auth.respond(check(deps, &auth, &req, Channel::Email).await)
}

pub async fn phone_check(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::enrollee!(deps, req);
    auth.respond(check(deps, &auth, &req, Channel::Phone).await)
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// The destination named in the body, normalised: the email, or `+<code><number>`.
fn destination(body: &Map<String, Value>, channel: Channel) -> Result<String, ApiError> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    match channel {
        Channel::Email => {
            let raw = text("email").ok_or_else(|| invalid("email", "is required"))?;
            if raw.chars().count() > registration::EMAIL_MAX {
                return Err(invalid("email", "must be at most 254 characters"));
            }
            registration::normalise_email(raw).ok_or_else(|| invalid("email", "Invalid email format"))
        }
        Channel::Phone => {
            let phone = text("phone").ok_or_else(|| invalid("phone", "is required"))?;
            let phone = registration::normalise_phone(phone).ok_or_else(|| invalid("phone", "must be 4 to 14 digits"))?;
            let code = text("countryCode").ok_or_else(|| invalid("countryCode", "is required"))?;
            let code = registration::normalise_country_code(code)
                .ok_or_else(|| invalid("countryCode", "Invalid countryCode format: + followed by 1 to 3 digits"))?;
            Ok(format!("{code}{phone}"))
        }
    }
}

/// What the registration was started with, for this channel.
fn registered_destination(reg: &Registration, channel: Channel) -> Option<String> {
    match channel {
        Channel::Email => reg.person.email.clone(),
        Channel::Phone => reg.person.e164(),
    }
}

fn state_of(reg: &Registration, channel: Channel) -> Option<&OtpState> {
    match channel {
        Channel::Email => reg.email_validation.as_ref(),
        Channel::Phone => reg.phone_validation.as_ref(),
    }
}

fn set_state(reg: &mut Registration, channel: Channel, state: OtpState) {
    match channel {
        Channel::Email => reg.email_validation = Some(state),
        Channel::Phone => reg.phone_validation = Some(state),
    }
}

/// The body's `phoneGateway` preference: `sms` or `whatsapp` (any case), absent or null for none;
/// anything else is refused, whether or not the flow lets the enrollee choose.
pub(crate) fn asked_gateway(body: &Map<String, Value>) -> Result<Option<&'static str>, ApiError> {
    match body.get("phoneGateway") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("sms") => Ok(Some("sms")),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("whatsapp") => Ok(Some("whatsapp")),
        Some(_) => Err(invalid("phoneGateway", "must be sms or whatsapp")),
    }
}

/// How the flow delivers this channel's codes, given the body's `phoneGateway` preference.
fn gateway(reg: &Registration, channel: Channel, body: &Map<String, Value>) -> Result<&'static str, ApiError> {
    let form = reg.flow_config.sign_up_form.as_ref();
    let off = || ApiError::Conflict {
        message: format!("{}_not_enabled: this flow does not validate it", channel.object_name()),
        details: vec![],
    };
    match channel {
        Channel::Email => match form.map(|f| f.email_gateway) {
            Some(EmailGateway::Mailgun) => Ok("mailgun"),
            _ => Err(off()),
        },
        Channel::Phone => {
            let asked = asked_gateway(body)?;
            match (form.map(|f| f.phone_gateway), asked) {
                (Some(PhoneGateway::Sms), _) => Ok("sms"),
                (Some(PhoneGateway::Whatsapp), _) => Ok("whatsapp"),
                (Some(PhoneGateway::Both), Some("sms")) => Ok("sms"),
                // The reference's default channel for phone codes.
                (Some(PhoneGateway::Both), _) => Ok("whatsapp"),
                _ => Err(off()),
            }
        }
    }
}

/// The validation object as the reference returns it (6.7/6.8), without the code or its hash.
fn view(reg: &Registration, s: &OtpState) -> Value {
    let mut v = json!({
        "_id": s.id,
        "status": s.status.as_str(),
        "validationMethod": "verificationCode",
        "type": "onboarding",
        "client": reg.client,
        "project": reg.project,
        "projectFlow": reg.flow,
        "appRegistration": reg.id,
        "expiresAt": s.expires_at,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
        "demo": reg.demo,
        "showFaceLivenessRecommendation": false,
    });
    match s.channel {
        Channel::Email => v["email"] = json!(s.destination),
        Channel::Phone => {
            v["phone"] = json!(reg.person.phone);
            v["countryCode"] = json!(reg.person.country_code);
            v["phoneGateway"] = json!(s.gateway);
        }
    }
    v
}

fn code_hash(deps: &Deps, validation: &str, code: &str) -> String {
    deps.jwt.keyed_hash(&["otp", validation, code])
}

/// Constant-time equality of two hashes (no early exit on the first differing byte).
pub(crate) fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

async fn load_active(deps: &Deps, auth: &EnrolleeAuth) -> Result<Registration, ApiError> {
    let reg = crate::registrations::load(deps, &auth.client, &auth.registration).await?;
    if reg.status.is_finished() {
        return Err(ApiError::Conflict {
            message: format!("registration_finished: the registration is {}", reg.status.as_str()),
            details: vec![],
        });
    }
    Ok(reg)
}

async fn send(deps: &Deps, auth: &EnrolleeAuth, req: &Request, channel: Channel) -> Result<Reply, ApiError> {
    let body = json_object(req)?;
    let dest = destination(&body, channel)?;
    for attempt in 0..WRITE_ATTEMPTS {
        let reg = load_active(deps, auth).await?;
        if let Some(project) = body.get("project").and_then(Value::as_str)
            && project != reg.project.as_str()
        {
            return Err(invalid("project", "is not the registration's project"));
        }
        if registered_destination(&reg, channel).as_deref() != Some(dest.as_str()) {
            let field = if channel == Channel::Email { "email" } else { "phone" };
            return Err(invalid(field, "must be the one the registration was started with"));
        }
        let gateway = gateway(&reg, channel, &body)?;
        let now = deps.clock.now();
        // Demo mode: the project's demo code, nothing sent (reference 3.2).
        let demo_code = if reg.demo {
            let project = deps.projects.get(&reg.client, &reg.project).await?;
            project.and_then(|p| p.config.demo_otp)
        } else {
            None
        };
        let previous = state_of(&reg, channel);
        let id = previous.map(|p| p.id.clone()).unwrap_or_else(|| deps.ids.object_id());
        let (code, gateway) = match &demo_code {
            Some(c) => (c.clone(), "demo"),
            None => (deps.codes.digits(CODE_DIGITS), gateway),
        };
        if code.len() != CODE_DIGITS {
            tracing::error!("the code generator made no code");
            return Err(ApiError::Internal);
        }
        let send = Send { id: id.clone(), channel, destination: &dest, gateway, code_hash: code_hash(deps, &id, &code), now };
        let (state, resend) = otp::issue(previous, send, &deps.enrollment.otp)?;
        if demo_code.is_none() {
            // Across registrations: one address or number gets at most so many codes an hour.
            let key = RateKey::for_destination(&deps.jwt.keyed_hash(&["destination", &dest]), now.unix_seconds());
            let limit = deps.limits.limit(smartenroll_domain::ratelimit::Category::OtpDestination);
            let decision = deps.rate_limiter.hit(&key, limit, now).await?;
            if !decision.allowed {
                return Err(ApiError::TooMany {
                    message: "otp_destination_limit: too many codes sent to this destination; try again later".into(),
                    retry_after: decision.reset_at - now.unix_seconds(),
                });
            }
        }
        let mut next = reg.clone();
        set_state(&mut next, channel, state.clone());
        next.version += 1;
        next.updated_at = now;
        let suffix = if resend { "resend" } else { "created" };
        let event = next.event(&format!("{}_{suffix}", channel.object_name()), view(&next, &state), deps.ids.as_ref(), now);
        match deps.registrations.update(&next, reg.version, &[event]).await {
            Ok(()) => {}
            Err(StoreError::Conflict) if attempt + 1 < WRITE_ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
        // Stored first, then sent: a code that reached the enrollee is always one we can check.
        if gateway != "demo" {
            deliver(deps, &next, channel, gateway, &dest, &code).await?;
        }
        tracing::info!(registration = %next.id, channel = channel.object_name(), gateway, resend, "one-time code issued");
        let mut data = view(&next, &state);
        data["sent"] = json!(gateway != "demo");
        data["existing"] = json!(resend);
        return Reply::data(StatusCode::OK, &data);
    }
    Err(StoreError::Conflict.into())
}

async fn deliver(deps: &Deps, reg: &Registration, channel: Channel, gateway: &str, dest: &str, code: &str) -> Result<(), ApiError> {
    let project = deps.projects.get(&reg.client, &reg.project).await?;
    let name = project.map(|p| p.config.name).unwrap_or_else(|| "SmartEnroll".into());
    let minutes = (deps.enrollment.otp.ttl_seconds + 59) / 60;
    let text = format!("Your {name} verification code is {code}. It expires in {minutes} minutes.");
    let about = format!("registration {}", reg.id);
    deliver_code(deps, &about, channel, gateway, dest, format!("{name}: your verification code"), text).await
}

/// Sends a message carrying a one-time code to `dest` through the channel's provider (`gateway`:
/// `sms` or `whatsapp` for phones). A provider that is not configured is 503, one that refused
/// is 502; both logged with `about` (an id, never the address or the code).
pub(crate) async fn deliver_code(
    deps: &Deps,
    about: &str,
    channel: Channel,
    gateway: &str,
    dest: &str,
    subject: String,
    text: String,
) -> Result<(), ApiError> {
    let sent = match channel {
        Channel::Email => deps.messenger.email(&OutgoingEmail { to: dest.to_string(), subject, text }).await,
        Channel::Phone => {
            let channel = if gateway == "sms" { TextChannel::Sms } else { TextChannel::Whatsapp };
            deps.messenger.text(&OutgoingText { to: dest.to_string(), body: text, channel }).await
        }
    };
    match sent {
        Ok(_) => Ok(()),
        Err(GatewayError::NotConfigured(what)) => {
            tracing::error!(about, what, "no message provider configured");
            Err(ApiError::Unavailable(format!("gateway_not_configured: this deployment has no provider for {what}")))
        }
        Err(e) => {
            tracing::error!(about, error = %e, "the message provider did not take the code");
            Err(ApiError::BadGateway("gateway_error: the message provider did not accept the code; request a new one".into()))
        }
    }
}

/// The `otp` field: a number (leading zeros lost on the way are restored) or a string of digits.
pub(crate) fn otp_field(body: &Map<String, Value>) -> Result<String, ApiError> {
    let code = match body.get("otp") {
        Some(Value::Number(n)) => n.as_u64().map(|n| format!("{n:0width$}", width = CODE_DIGITS)),
        Some(Value::String(s)) => Some(s.trim().to_string()),
        _ => return Err(invalid("otp", "is required")),
    };
    code.filter(|c| c.len() == CODE_DIGITS && c.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| invalid("otp", "must be the 6-digit code"))
}

async fn check(deps: &Deps, auth: &EnrolleeAuth, req: &Request, channel: Channel) -> Result<Reply, ApiError> {
    let body = json_object(req)?;
    let code = otp_field(&body)?;
    let dest = destination(&body, channel)?;
    let not_found = || ApiError::NotFound(if channel == Channel::Email { "EmailValidation" } else { "PhoneValidation" });
    for attempt in 0..WRITE_ATTEMPTS {
        let reg = crate::registrations::load(deps, &auth.client, &auth.registration).await?;
        let state = state_of(&reg, channel).ok_or_else(not_found)?;
        if channel == Channel::Email && path_param(req, "id") != Some(state.id.as_str()) {
            return Err(not_found());
        }
        if state.destination != dest {
            return Err(not_found());
        }
        let now = deps.clock.now();
        let matches = same(&code_hash(deps, &state.id, &code), &state.code_hash);
        let (next_state, suffix, outcome) = match state.check(matches, now, &deps.enrollment.otp) {
            Ok(Checked::Validated(s)) if state.status == OtpStatus::Validated => {
                return Reply::data(StatusCode::OK, &view(&reg, &s));
            }
            Ok(Checked::Validated(s)) => (s, "validated", Ok(())),
            Ok(Checked::Wrong(s)) => {
                let left = s.attempts_left(&deps.enrollment.otp);
                let suffix = if s.status == OtpStatus::Locked { "locked" } else { "otp_incorect" };
                (s, suffix, Err(ApiError::Forbidden(format!("otp_does_not_match: {left} attempts left"))))
            }
            Err(DomainError::PreconditionFailed(m)) if state.status == OtpStatus::Sent && m.ends_with("_has_expired") => {
                let mut s = state.clone();
                s.status = OtpStatus::Expired;
                s.code_hash.clear();
                s.updated_at = now;
                (s, "expired", Err(ApiError::PreconditionFailed(m)))
            }
            Err(e) => return Err(e.into()),
        };
        let mut next = reg.clone();
        set_state(&mut next, channel, next_state.clone());
        next.version += 1;
        next.updated_at = now;
        let event = next.event(&format!("{}_{suffix}", channel.object_name()), view(&next, &next_state), deps.ids.as_ref(), now);
        match deps.registrations.update(&next, reg.version, &[event]).await {
            Ok(()) => {}
            Err(StoreError::Conflict) if attempt + 1 < WRITE_ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
        tracing::info!(registration = %next.id, channel = channel.object_name(), outcome = suffix, "one-time code checked");
        outcome?;
        return Reply::data(StatusCode::OK, &view(&next, &next_state));
    }
    Err(StoreError::Conflict.into())
}

/// The moment a validation was passed, for the decision (`None` while it is not).
pub fn validated_at(reg: &Registration, channel: Channel) -> Option<Timestamp> {
    state_of(reg, channel).filter(|s| s.status == OtpStatus::Validated).and_then(|s| s.validated_at)
}

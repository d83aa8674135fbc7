//! Operators' passwordless login (reference 2.2): a one-time code to the contact email or phone a
//! client was created with (`smartenroll client create --email/--phone`), then the code for a
//! 30-day client token.
//!
//! - `POST /v2/projects/email-login` (`email` in the body, or `?email=` as the reference's examples
//!   send it), `POST /v2/projects/email-login/confirm` (`{email, otp}`);
//! - `POST /v2/projects/phone-login` (`{countryCode, phone, type: "login", phoneGateway?}`),
//!   `POST /v2/projects/phone-login/confirm` (`{countryCode, phone, otp}`).
//!
//! No token: these are public on purpose, limited per source address (`publicLogin`) and per
//! destination (`otpDestination`, the codes sent to one address per hour). The code's state machine
//! is the enrollees' (`smartenroll_domain::otp`: expiry, attempts, lockout, send caps), kept on the
//! client's own record and written with its version, so a wrong code is always counted. An
//! address no client has is the reference's 404 `invalid_email` (for phones, `invalid_phone`): the
//! reference answers so, and the per-source limit keeps probing slow. Codes and addresses are never
//! logged; the client id is.

use crate::Deps;
use crate::auth::CLIENT_TOKEN_DAYS;
use crate::error::ApiError;
use crate::http::{Reply, json_object, query_pairs};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use smartenroll_domain::client::{Client, contact_key, normalise_email, normalise_phone};
use smartenroll_domain::error::{DomainError, FieldError, StoreError};
use smartenroll_domain::otp::{self, CODE_DIGITS, Channel, Checked, OtpState, OtpStatus, Send};
use smartenroll_domain::ratelimit::{Category, RateKey};
use smartenroll_domain::registration;

/// Tries of a read-modify-write of the client's record that lost a race.
const WRITE_ATTEMPTS: usize = 3;

pub async fn email_login(deps: &Deps, req: Request) -> Response<Body> {
    public(deps, &req, |body| start(deps, body, Channel::Email)).await
}

pub async fn email_confirm(deps: &Deps, req: Request) -> Response<Body> {
    public(deps, &req, |body| confirm(deps, body, Channel::Email)).await
}

pub async fn phone_login(deps: &Deps, req: Request) -> Response<Body> {
    public(deps, &req, |body| start(deps, body, Channel::Phone)).await
}

pub async fn phone_confirm(deps: &Deps, req: Request) -> Response<Body> {
    public(deps, &req, |body| confirm(deps, body, Channel::Phone)).await
}

/// The source's limit first (before anything is read), then the body (JSON, or query parameters
/// where the reference's examples put them), then the step.
async fn public<'a, F, Fut>(deps: &'a Deps, req: &'a Request, step: F) -> Response<Body>
where
    F: FnOnce(Map<String, Value>) -> Fut,
    Fut: std::future::Future<Output = Result<Reply, ApiError>> + 'a,
{
    let rate = match crate::public::limit_source(deps, req, Category::PublicLogin).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let mut body = if crate::http::has_body(req) { json_object(req)? } else { Map::new() };
        for (k, v) in query_pairs(req) {
            body.entry(k).or_insert(Value::String(v));
        }
        step(body).await
    };
    crate::public::with_rate(outcome.await, &rate)
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// The address the body names, normalised as clients' contacts are.
fn destination(body: &Map<String, Value>, channel: Channel) -> Result<String, ApiError> {
    let text = |k: &str| body.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())));
    match channel {
        Channel::Email => {
            let raw = text("email").ok_or_else(|| invalid("email", "is required"))?;
            if raw.chars().count() > registration::EMAIL_MAX {
                return Err(invalid("email", "must be at most 254 characters"));
            }
            normalise_email(&raw).ok_or_else(|| invalid("email", "Invalid email format"))
        }
        Channel::Phone => {
            let phone = text("phone").ok_or_else(|| invalid("phone", "is required"))?;
            let phone = registration::normalise_phone(&phone).ok_or_else(|| invalid("phone", "must be 4 to 14 digits"))?;
            let code = text("countryCode").ok_or_else(|| invalid("countryCode", "is required"))?;
            let code = registration::normalise_country_code(&code)
                .ok_or_else(|| invalid("countryCode", "Invalid countryCode format: + followed by 1 to 3 digits"))?;
            normalise_phone(&format!("{code}{phone}")).ok_or_else(|| invalid("phone", "is not a valid international number"))
        }
    }
}

fn unknown(channel: Channel) -> ApiError {
    ApiError::NotFoundSlug(match channel {
        Channel::Email => "invalid_email",
        Channel::Phone => "invalid_phone",
    })
}

/// The one client with this contact.
async fn client_with(deps: &Deps, channel: Channel, dest: &str) -> Result<Client, ApiError> {
    let ids = deps.clients.find_by_contact(&contact_key(channel, dest)).await?;
    let id = match ids.as_slice() {
        [] => return Err(unknown(channel)),
        [one] => one.clone(),
        _ => {
            return Err(ApiError::Conflict {
                message: "ambiguous_contact: several accounts share this address; log in with the other contact or ask the operator's administrator".into(),
                details: vec![],
            });
        }
    };
    deps.clients.get(&id).await?.ok_or_else(|| unknown(channel))
}

fn code_hash(deps: &Deps, client: &Client, validation: &str, code: &str) -> String {
    deps.jwt.keyed_hash(&["login", client.id.as_str(), validation, code])
}

/// The login's validation object, as the reference shows it (`type: "login"`), without the code.
fn view(client: &Client, s: &OtpState) -> Value {
    let mut v = json!({
        "_id": s.id,
        "type": "login",
        "status": s.status.as_str(),
        "validationMethod": "verificationCode",
        "client": client.id,
        "expiresAt": s.expires_at,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    });
    match s.channel {
        Channel::Email => v["email"] = json!(s.destination),
        Channel::Phone => {
            v["phone"] = json!(s.destination);
            v["phoneGateway"] = json!(s.gateway);
        }
    }
    v
}

async fn start(deps: &Deps, body: Map<String, Value>, channel: Channel) -> Result<Reply, ApiError> {
    let dest = destination(&body, channel)?;
    let gateway = match channel {
        Channel::Email => "mailgun",
        // The reference's default for phone logins is WhatsApp.
        Channel::Phone => crate::validations::asked_gateway(&body)?.unwrap_or("whatsapp"),
    };
    for attempt in 0..WRITE_ATTEMPTS {
        let client = client_with(deps, channel, &dest).await?;
        let now = deps.clock.now();
        // A login in flight on this channel is resent (same id, its hourly send cap and lockout
        // kept); one already used, or on the other channel, starts afresh. Either way the
        // per-address limit below counts every code sent to the address.
        let previous = client.login.as_deref().filter(|l| l.channel == channel && l.status != OtpStatus::Validated);
        let id = previous.map(|p| p.id.clone()).unwrap_or_else(|| deps.ids.object_id());
        let code = deps.codes.digits(CODE_DIGITS);
        if code.len() != CODE_DIGITS {
            tracing::error!("the code generator made no code");
            return Err(ApiError::Internal);
        }
        let send = Send { id: id.clone(), channel, destination: &dest, gateway, code_hash: code_hash(deps, &client, &id, &code), now };
        let (state, resend) = otp::issue(previous, send, &deps.enrollment.otp)?;
        let key = RateKey::for_destination(&deps.jwt.keyed_hash(&["destination", &dest]), now.unix_seconds());
        let decision = deps.rate_limiter.hit(&key, deps.limits.limit(Category::OtpDestination), now).await?;
        if !decision.allowed {
            return Err(ApiError::TooMany {
                message: "otp_destination_limit: too many codes sent to this address; try again later".into(),
                retry_after: decision.reset_at - now.unix_seconds(),
            });
        }
        let Some(next) = store_login(deps, &client, state.clone(), attempt + 1 == WRITE_ATTEMPTS).await? else { continue };
        // Stored first, then sent: a code that reached the operator is always one we can check.
        deliver(deps, &next, channel, gateway, &dest, &code).await?;
        tracing::info!(client = %next.id, channel = channel.object_name(), gateway, resend, "login code sent");
        let mut data = view(&next, &state);
        data["new"] = json!(!resend);
        data["sent"] = json!(true);
        return Reply::data(StatusCode::OK, &data);
    }
    Err(StoreError::Conflict.into())
}

async fn deliver(deps: &Deps, client: &Client, channel: Channel, gateway: &str, dest: &str, code: &str) -> Result<(), ApiError> {
    let minutes = (deps.enrollment.otp.ttl_seconds + 59) / 60;
    let text =
        format!("Your SmartEnroll login code is {code}. It expires in {minutes} minutes. If you did not ask for it, ignore this message.");
    let about = format!("client {}", client.id);
    crate::validations::deliver_code(deps, &about, channel, gateway, dest, "SmartEnroll: your login code".into(), text).await
}

/// Writes `state` as the client's login, conditional on the version read: `Ok(None)` when another
/// request changed the record first and there are tries left (the caller reads it again).
async fn store_login(deps: &Deps, client: &Client, state: OtpState, last_try: bool) -> Result<Option<Client>, ApiError> {
    let mut next = client.clone();
    next.updated_at = state.updated_at;
    next.login = Some(Box::new(state));
    next.version += 1;
    match deps.clients.replace(&next, client.version).await {
        Ok(()) => Ok(Some(next)),
        Err(StoreError::Conflict) if !last_try => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn confirm(deps: &Deps, body: Map<String, Value>, channel: Channel) -> Result<Reply, ApiError> {
    let code = crate::validations::otp_field(&body)?;
    let dest = destination(&body, channel)?;
    let not_started = || ApiError::NotFound(if channel == Channel::Email { "EmailValidation" } else { "PhoneValidation" });
    for attempt in 0..WRITE_ATTEMPTS {
        let client = client_with(deps, channel, &dest).await?;
        let state = client.login.as_deref().filter(|l| l.channel == channel && l.destination == dest).cloned().ok_or_else(not_started)?;
        if state.status == OtpStatus::Validated {
            // Each code logs in once.
            return Err(not_started());
        }
        let now = deps.clock.now();
        let expected = code_hash(deps, &client, &state.id, &code);
        let matches = crate::validations::same(&state.code_hash, &expected);
        let (next_state, outcome) = match state.check(matches, now, &deps.enrollment.otp) {
            Ok(Checked::Validated(s)) => (s, Ok(())),
            Ok(Checked::Wrong(s)) => {
                let left = s.attempts_left(&deps.enrollment.otp);
                (s, Err(ApiError::Forbidden(format!("otp_does_not_match: {left} attempts left"))))
            }
            Err(DomainError::PreconditionFailed(m)) if state.status == OtpStatus::Sent && m.ends_with("_has_expired") => {
                let mut s = state.clone();
                s.status = OtpStatus::Expired;
                s.code_hash.clear();
                s.updated_at = now;
                (s, Err(ApiError::PreconditionFailed(m)))
            }
            Err(e) => return Err(e.into()),
        };
        let Some(next) = store_login(deps, &client, next_state, attempt + 1 == WRITE_ATTEMPTS).await? else { continue };
        tracing::info!(client = %next.id, channel = channel.object_name(), accepted = outcome.is_ok(), "login code checked");
        outcome?;
        let token = deps.jwt.issue_client_token(&next, now, CLIENT_TOKEN_DAYS * 86_400).map_err(|e| {
            tracing::error!(error = %e, "client token issue failed");
            ApiError::Internal
        })?;
        return Reply::data(StatusCode::OK, &json!({"accessToken": token, "tokenType": "bearer"}));
    }
    Err(StoreError::Conflict.into())
}

//! App registrations (`/v2/app-registrations`): an operator starts one for an enrollee, reads and
//! lists them, and reads each one's events; an enrollee reads their own, in a reduced view. The
//! rules live in `smartenroll_domain::registration`; this module turns them into HTTP.

use crate::Deps;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::{Reply, json_object, path_param, query_pairs};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, RegistrationId};
use smartenroll_domain::query::RegistrationQuery;
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::registration::{self, ENROLLEE_TOKEN_MINUTES, Origin, Registration, StartCtx, View};

fn registration_id(req: &Request) -> Result<RegistrationId, ApiError> {
    path_param(req, "id")
        .and_then(|s| RegistrationId::parse(s).ok())
        .ok_or_else(|| ApiError::BadRequest("Invalid app registration ID format".into()))
}

pub(crate) async fn load(deps: &Deps, client: &ClientId, id: &RegistrationId) -> Result<Registration, ApiError> {
    deps.registrations.get(client, id).await?.ok_or(ApiError::NotFound("AppRegistration"))
}

/// The hosted page's link for a registration and token, from the configured public base URL.
/// The token travels in the fragment, which browsers never send to servers (no token in access logs).
pub(crate) fn hosted_link(deps: &Deps, registration: &Registration, token: &str) -> Option<String> {
    deps.enrollment.public_url.as_ref().map(|base| format!("{base}/sign-up/{}#token={token}", registration.project))
}

/// `POST /v2/app-registrations`: starts a registration on an active project's onboarding flow.
/// Two ways in: with the operator's client token (server to server), or with no `Authorization`
/// header at all when the project has `publicSignUp` on (a hosted page), then rate-limited per
/// source address. 200 `{data: {appRegistration, informationValidation, token, link}}`; the same
/// email or phone twice in one flow is 409 `email_is_registered_already` /
/// `phone_is_registered_already`.
pub async fn create(deps: &Deps, req: Request) -> Response<Body> {
    if req.headers().get(lambda_http::http::header::AUTHORIZATION).is_none() {
        return create_public(deps, req).await;
    }
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let body = json_object(&req)?;
        let (project_id, flow_id) = registration::requested_flow(&body)?;
        let project = deps.projects.get(&auth.client.id, &project_id).await?.ok_or(ApiError::NotFound("Project"))?;
        start(deps, &project, &flow_id, &body, Origin::Operator).await
    };
    auth.respond(outcome.await)
}

/// The tokenless sign-up: the source's rate limit first (before anything is read), then the
/// project's consent to public sign-up.
async fn create_public(deps: &Deps, req: Request) -> Response<Body> {
    let rate = match crate::public::limit_source(deps, &req, Category::PublicSignUp).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let outcome = async {
        let body = json_object(&req)?;
        let (project_id, flow_id) = registration::requested_flow(&body)?;
        let project = crate::public::published_project(deps, &project_id).await?;
        if !project.config.public_sign_up {
            return Err(ApiError::Unauthorized(
                "Missing Authorization header: this project takes registrations from its operator only (publicSignUp is off)",
            ));
        }
        start(deps, &project, &flow_id, &body, Origin::Public).await
    };
    crate::public::with_rate(outcome.await, &rate)
}

/// Starts the registration (either way in): checks, screening, the conditional write, the token.
async fn start(
    deps: &Deps,
    project: &smartenroll_domain::project::Project,
    flow_id: &smartenroll_domain::ids::FlowId,
    body: &serde_json::Map<String, Value>,
    origin: Origin,
) -> Result<Reply, ApiError> {
    {
        let now = deps.clock.now();
        let id = RegistrationId::parse(&deps.ids.object_id()).map_err(|_| {
            tracing::error!("the id generator made a malformed id");
            ApiError::Internal
        })?;
        let ctx = StartCtx { id, now, origin, lifetime_seconds: deps.enrollment.lifetime_seconds, ids: deps.ids.as_ref() };
        let (mut reg, events) = registration::start(project, flow_id, body, &ctx)?;
        screen(deps, &mut reg).await?;
        match deps.registrations.create(&reg, &events).await {
            Ok(()) => {}
            Err(StoreError::Duplicate) => {
                for key in reg.unique_keys() {
                    if deps.registrations.key_holder(&reg.client, &key).await?.is_some() {
                        return Err(ApiError::Conflict { message: key.kind.taken_message().into(), details: vec![] });
                    }
                }
                return Err(StoreError::Conflict.into());
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(client = %reg.client, project = %reg.project, registration = %reg.id, demo = reg.demo, "app registration started");
        let token = deps.jwt.issue_enrollee_token(&reg, "enroll", now, ENROLLEE_TOKEN_MINUTES * 60).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::Internal
        })?;
        let p = &reg.person;
        Reply::data(
            StatusCode::OK,
            &json!({
                "appRegistration": reg.api_json(View::Operator),
                "informationValidation": {"fullName": p.full_name, "firstName": p.first_name, "lastName": p.last_name},
                "token": token,
                "link": hosted_link(deps, &reg, &token),
            }),
        )
    }
}

/// The flow's blocklist URL, when it screens sign-ups through the operator's API.
pub(crate) fn blacklist_url(flow: &smartenroll_domain::config::FlowConfig) -> Option<&str> {
    use smartenroll_domain::config::{Source, Strategy};
    let i = flow.integrations.as_ref()?;
    (i.strategy == Strategy::Blacklist && i.source == Source::Api).then_some(i.api_url.as_deref()).flatten()
}

/// Asks the operator's blocklist API about a sign-up (before anything is stored). Listed: 403
/// `blocked_by_blacklist`, nothing stored. No answer: the flow's `failMode` — `closed` (default)
/// holds the registration for a person to review, `open` lets it through with a note in its history.
async fn screen(deps: &Deps, reg: &mut Registration) -> Result<(), ApiError> {
    if crate::blocklist::uses_list(&reg.flow_config) && crate::blocklist::listed(deps, reg).await? {
        tracing::info!(client = %reg.client, project = %reg.project, "sign-up refused by the operator's uploaded blocklist");
        return Err(ApiError::Forbidden("blocked_by_blacklist: this identifier may not enroll in this project".into()));
    }
    let Some(url) = blacklist_url(&reg.flow_config).map(str::to_string) else { return Ok(()) };
    let p = &reg.person;
    let (kind, value) = match (&p.email, p.e164()) {
        (Some(e), _) => ("email", e.clone()),
        (None, Some(phone)) => ("phone", phone),
        (None, None) => return Ok(()),
    };
    let query = smartenroll_domain::ports::BlacklistQuery {
        kind,
        value,
        email: p.email.clone(),
        phone: p.e164(),
        country_code: p.country_code.clone(),
        project: reg.project.to_string(),
        project_flow: reg.flow.to_string(),
    };
    match deps.blacklist.is_listed(&url, &query).await {
        Ok(false) => Ok(()),
        Ok(true) => {
            tracing::info!(client = %reg.client, project = %reg.project, "sign-up refused by the operator's blocklist");
            Err(ApiError::Forbidden("blocked_by_blacklist: this identifier may not enroll in this project".into()))
        }
        Err(e) => {
            let open = reg.flow_config.integrations.as_ref().is_some_and(|i| i.fail_mode == smartenroll_domain::config::FailMode::Open);
            tracing::warn!(project = %reg.project, error = %e, fail_open = open, "the operator's blocklist API did not answer");
            let why = format!("blacklist_unverified: the blocklist API did not answer ({e})");
            if open {
                reg.history.push(smartenroll_domain::registration::HistoryEntry {
                    at: reg.created_at,
                    by: "system".into(),
                    action: "blacklist_skipped".into(),
                    reason: Some(why),
                    note: Some("failMode is open".into()),
                });
            } else {
                reg.holds.push(why);
            }
            Ok(())
        }
    }
}

/// `GET /v2/app-registrations/{id}`: the operator's full view (client token), or the enrollee's
/// reduced view of their own registration (enrollee token). Anyone else's is a 404.
pub async fn get(deps: &Deps, req: Request) -> Response<Body> {
    let caller = match crate::auth::authorize_either(deps, &req, Category::Projects).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let outcome = async {
        let id = registration_id(&req)?;
        let (client, view) = match &caller {
            Caller::Operator(a) => (&a.client.id, View::Operator),
            Caller::Enrollee(e) if e.registration == id => (&e.client, View::Enrollee),
            Caller::Enrollee(_) => return Err(ApiError::NotFound("AppRegistration")),
        };
        let reg = load(deps, client, &id).await?;
        Reply::data(StatusCode::OK, &reg.api_json(view))
    };
    caller.respond(outcome.await)
}

/// `GET /v2/app-registrations` (client token): `{data, total, limit, page, pages}`, newest first.
pub async fn list(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let query = RegistrationQuery::parse(&query_pairs(&req)).map_err(ApiError::Validation)?;
        let page = deps.registrations.list(&auth.client.id, &query).await?;
        let data: Vec<Value> = page.items.iter().map(|r| r.api_json(View::Operator)).collect();
        Reply::page(&data, page.total, query.limit, query.page)
    };
    auth.respond(outcome.await)
}

/// Erases a registration: its stored images first (so a failure leaves the record to retry
/// with), then the record, its uniqueness keys and its events. The receipt lists what went; it
/// carries ids and counts only.
pub async fn erase_registration(deps: &Deps, reg: &Registration) -> Result<Value, ApiError> {
    let (images, events) = erase_files_and_record(deps.blobs.as_ref(), deps.registrations.as_ref(), &reg.client, &reg.id).await?;
    let now = deps.clock.now();
    tracing::info!(client = %reg.client, registration = %reg.id, images, events, "registration erased");
    Ok(json!({
        "_id": reg.id,
        "project": reg.project,
        "status": "deleted",
        "receiptId": deps.ids.object_id(),
        "erasedAt": now,
        "erased": {"images": images, "events": events, "personalFields": ["email", "phone", "countryCode", "fullName", "firstName", "lastName", "additionalFields"], "deliveryLogs": 0},
    }))
}

/// The erasure itself, shared with the project-deletion cascade job: the registration's image
/// folder, then its record, keys and events. Returns (images, events) erased.
pub async fn erase_files_and_record(
    blobs: &dyn smartenroll_domain::ports::BlobStore,
    registrations: &dyn smartenroll_domain::ports::RegistrationStore,
    client: &ClientId,
    id: &RegistrationId,
) -> Result<(u64, u64), StoreError> {
    let folder = smartenroll_domain::blob::BlobKey::new(client, &format!("registrations/{id}"))
        .ok_or_else(|| StoreError::Backend("not a registration folder".into()))?;
    let images = blobs.delete_folder(&folder).await?;
    let events = registrations.erase(client, id).await?.unwrap_or(0);
    Ok((images, events))
}

/// `DELETE /v2/app-registrations/{id}` (client token): erasure, answered with a deletion receipt.
pub async fn delete(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = registration_id(&req)?;
        let reg = load(deps, &auth.client.id, &id).await?;
        let receipt = erase_registration(deps, &reg).await?;
        if let Some(link) = &reg.representative_of {
            off_the_business(deps, &reg.client, &link.business, &reg.id).await?;
        }
        Reply::data(StatusCode::OK, &receipt)
    };
    auth.respond(outcome.await)
}

/// The hand-off token's lifetime: long enough to pick up a phone and scan a code, short enough that
/// a photographed or forwarded code soon opens nothing.
pub const HANDOFF_MINUTES: i64 = 15;

/// `POST /v2/app-registrations/{id}/handoff` (enrollee token, their own registration): a fresh
/// 15-minute enrollee token to continue on another device; the hosted page shows it as a link and
/// a QR code (`<page>#token=<token>`). `link` is that link when a public URL is configured.
/// Finished registrations: 409 `cannot_hand_off_for_this_status`. The hand-off does not end the
/// first device's session: both may go on, and each screen follows the registration's state.
pub async fn handoff(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::enrollee!(deps, req);
    let outcome = async {
        let id = registration_id(&req)?;
        if id != auth.registration {
            return Err(ApiError::NotFound("AppRegistration"));
        }
        let reg = load(deps, &auth.client, &id).await?;
        if reg.status.is_finished() {
            return Err(ApiError::Conflict { message: "cannot_hand_off_for_this_status".into(), details: vec![] });
        }
        let now = deps.clock.now();
        let token = deps.jwt.issue_enrollee_token(&reg, "handoff", now, HANDOFF_MINUTES * 60).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::Internal
        })?;
        tracing::info!(registration = %reg.id, "hand-off token issued");
        Reply::data(
            StatusCode::OK,
            &json!({
                "token": token,
                "expiresAt": now.plus_seconds(HANDOFF_MINUTES * 60),
                "link": hosted_link(deps, &reg, &token),
            }),
        )
    };
    auth.respond(outcome.await)
}

/// The continuation token's lifetime (reference 6.6).
const CONTINUATION_MINUTES: i64 = 30;

/// `POST /v2/app-registrations/{id}/resend-link` (client token): a fresh 30-minute continuation
/// token and hosted link for an unfinished registration, emailed to the enrollee when `sendEmail`
/// is true. Finished registrations: 409 `cannot_resend_link_for_this_status`.
pub async fn resend_link(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = registration_id(&req)?;
        let body = if crate::http::has_body(&req) { json_object(&req)? } else { Default::default() };
        let reg = load(deps, &auth.client.id, &id).await?;
        if reg.status.is_finished() {
            return Err(ApiError::Conflict { message: "cannot_resend_link_for_this_status".into(), details: vec![] });
        }
        if body.get("recipientEmail").is_some() {
            return Err(ApiError::Forbidden("access_denied: recipientEmail is for the provider's staff only".into()));
        }
        let send = match body.get("sendEmail") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
            Some(_) => {
                return Err(ApiError::Validation(vec![smartenroll_domain::error::FieldError::new("sendEmail", "must be true or false")]));
            }
        };
        let now = deps.clock.now();
        let token = deps.jwt.issue_enrollee_token(&reg, "continue", now, CONTINUATION_MINUTES * 60).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::Internal
        })?;
        let link = hosted_link(deps, &reg, &token);
        let expires = now.plus_seconds(CONTINUATION_MINUTES * 60);
        let email_sent = if send {
            let (Some(email), Some(link)) = (reg.person.email.clone(), link.clone()) else {
                return Err(ApiError::Conflict {
                    message: "MissingParameter: the registration has no email, or no public URL is configured for links".into(),
                    details: vec![],
                });
            };
            let project = deps.projects.get(&reg.client, &reg.project).await?.map(|p| p.config.name).unwrap_or_default();
            let text = format!("Continue your {project} verification here (valid {CONTINUATION_MINUTES} minutes): {link}");
            let sent = deps
                .messenger
                .email(&smartenroll_domain::ports::OutgoingEmail {
                    to: email.clone(),
                    subject: format!("{project}: continue your verification"),
                    text,
                })
                .await;
            match sent {
                Ok(id) => json!({"sent": true, "email": email, "mailgunId": id}),
                Err(e) => {
                    tracing::warn!(registration = %reg.id, error = %e, "continuation email not sent");
                    json!({"sent": false, "email": email, "error": e.to_string()})
                }
            }
        } else {
            Value::Null
        };
        tracing::info!(registration = %reg.id, emailed = send, "continuation link issued");
        let p = &reg.person;
        Reply::data(
            StatusCode::OK,
            &json!({
                "token": token, "link": link,
                "firstName": p.first_name, "lastName": p.last_name, "fullName": p.full_name, "email": p.email,
                "step": reg.current_step, "appRegistrationId": reg.id, "status": reg.status.as_str(),
                "expiresAt": expires.to_iso().replace('T', " ").chars().take(19).collect::<String>(),
                "accessType": "app_registration_initiated", "issuedAt": now.unix_seconds(), "emailSent": email_sent,
            }),
        )
    };
    auth.respond(outcome.await)
}

/// `GET /v2/app-registrations/{id}/events` (client token): what happened to it, oldest first, as
/// recorded in the outbox (the webhooks deliver these same events).
pub async fn events(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let id = registration_id(&req)?;
        load(deps, &auth.client.id, &id).await?;
        let events = deps.registrations.events(&auth.client.id, &id).await?;
        let data: Vec<Value> = events.iter().map(|e| e.api_json()).collect();
        Reply::json(StatusCode::OK, &json!({"data": data, "total": data.len()}))
    };
    auth.respond(outcome.await)
}

/// After a representative's erasure: takes them off their business's list, so the business does
/// not wait for someone who no longer exists (`verification::representative_erased`).
async fn off_the_business(deps: &Deps, client: &ClientId, business: &RegistrationId, person: &RegistrationId) -> Result<(), ApiError> {
    for _ in 0..3 {
        let Some(current) = deps.registrations.get(client, business).await? else { return Ok(()) };
        let now = deps.clock.now();
        let mut next = current.clone();
        let Some(suffixes) = smartenroll_domain::verification::representative_erased(&mut next, person, now) else { return Ok(()) };
        next.version += 1;
        let object = next.api_json(View::Operator);
        let events: Vec<_> = suffixes.iter().map(|s| next.event(s, object.clone(), deps.ids.as_ref(), now)).collect();
        match deps.registrations.update(&next, current.version, &events).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// `POST /v2/app-registrations/{id}/representatives` (the operator's client token, or the
/// business applicant's enrollee token for their own registration): invites a person to a business
/// registration (KYB) with a role and, for owners, an ownership percentage. The person gets a
/// registration of their own on the flow's representatives part and an enrollee token; the answer
/// carries both and the hosted link, and the invitation goes out by email (or text) unless the
/// project is in demo mode or no provider is configured (then the answer says so and the inviter
/// passes the link on). Two writes: the person's registration first (its own uniqueness keys,
/// scoped to this business), then the business's list; a business write lost to a race is retried,
/// and the representative's link to its business is on its own record either way.
pub async fn invite_representative(deps: &Deps, req: Request) -> Response<Body> {
    let caller = match crate::auth::authorize_either(deps, &req, Category::Projects).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let outcome = async {
        let id = registration_id(&req)?;
        let (client, origin) = match &caller {
            Caller::Operator(a) => (a.client.id.clone(), Origin::Operator),
            Caller::Enrollee(e) if e.registration == id => (e.client.clone(), Origin::Public),
            Caller::Enrollee(_) => return Err(ApiError::NotFound("AppRegistration")),
        };
        let mut business = load(deps, &client, &id).await?;
        let body = json_object(&req)?;
        let project = deps.projects.get(&client, &business.project).await?.ok_or(ApiError::NotFound("Project"))?;
        let rep_id = RegistrationId::parse(&deps.ids.object_id()).map_err(|_| ApiError::Internal)?;
        let now = deps.clock.now();
        let ctx = StartCtx { id: rep_id, now, origin, lifetime_seconds: deps.enrollment.lifetime_seconds, ids: deps.ids.as_ref() };
        let ((rep, rep_events), (mut next, mut business_events)) = registration::start_representative(&project, &business, &body, &ctx)?;
        match deps.registrations.create(&rep, &rep_events).await {
            Ok(()) => {}
            Err(StoreError::Duplicate) => {
                return Err(ApiError::Conflict {
                    message: "representative_already_invited: this person is already linked to the business".into(),
                    details: vec![],
                });
            }
            Err(e) => return Err(e.into()),
        }
        for attempt in 0..3 {
            match deps.registrations.update(&next, business.version, &business_events).await {
                Ok(()) => break,
                Err(StoreError::Conflict) if attempt < 2 => {
                    business = load(deps, &client, &id).await?;
                    let ((_, _), (again, events)) = registration::start_representative(&project, &business, &body, &ctx)?;
                    // The same person, already created: only the business's list is written again.
                    (next, business_events) = (again, events);
                }
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(client = %client, business = %id, representative = %rep.id, "representative invited");
        let token = deps.jwt.issue_enrollee_token(&rep, "enroll", now, ENROLLEE_TOKEN_MINUTES * 60).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::Internal
        })?;
        let link = hosted_link(deps, &rep, &token);
        let invitation = send_invitation(deps, &project, &next, &rep, link.as_deref()).await;
        // The person's own token goes only to the operator (or, in demo mode, where nothing is
        // sent, to whoever invites): an applicant must not be able to verify someone else as
        // themselves; the person gets it in the invitation.
        let hand_over = origin == Origin::Operator || rep.demo;
        let (view, token, link) = if hand_over { (View::Operator, Some(token), link) } else { (View::Enrollee, None, None) };
        Reply::data(
            StatusCode::OK,
            &json!({
                "appRegistration": rep.api_json(view),
                "business": next.api_json(view),
                "token": token,
                "link": link,
                "invitation": invitation,
            }),
        )
    };
    caller.respond(outcome.await)
}

/// The invitation message, through the same providers as the one-time codes: email when the
/// person gave one (and the representatives' form sends email), else a text. Never fails the
/// invitation: the answer says whether it went and why not.
async fn send_invitation(
    deps: &Deps,
    project: &smartenroll_domain::project::Project,
    business: &Registration,
    rep: &Registration,
    link: Option<&str>,
) -> Value {
    use smartenroll_domain::config::{EmailGateway, PhoneGateway};
    use smartenroll_domain::ports::{OutgoingEmail, OutgoingText, TextChannel};
    if rep.demo {
        return json!({"sent": false, "reason": "demo_mode: demo projects send no messages; pass the link on"});
    }
    let Some(link) = link else {
        return json!({"sent": false, "reason": "no_public_url: no public URL is configured for links"});
    };
    let company = business.company.as_ref().map(|c| c.legal_name.as_str()).unwrap_or_default();
    let role = rep.representative_of.as_ref().map(|l| l.role.as_str().replace('_', " ")).unwrap_or_default();
    let text = format!("{} asks you to verify your identity as {role} of {company}: {link}", project.config.name);
    let form = rep.flow_config.sign_up_form.as_ref();
    let sent = match (&rep.person.email, rep.person.e164(), form) {
        (Some(email), _, Some(f)) if f.email_gateway != EmailGateway::None => deps
            .messenger
            .email(&OutgoingEmail {
                to: email.clone(),
                subject: format!("{}: verify your identity for {company}", project.config.name),
                text,
            })
            .await
            .map(|_| "email"),
        (_, Some(phone), Some(f)) if f.phone_gateway != PhoneGateway::None => {
            let channel = if f.phone_gateway == PhoneGateway::Whatsapp { TextChannel::Whatsapp } else { TextChannel::Sms };
            deps.messenger.text(&OutgoingText { to: phone, body: text, channel }).await.map(|_| "phone")
        }
        _ => return json!({"sent": false, "reason": "no_channel: the representatives' form sends no messages"}),
    };
    match sent {
        Ok(channel) => json!({"sent": true, "channel": channel}),
        Err(e) => {
            tracing::warn!(error = %e, "invitation not sent");
            let code = match e {
                smartenroll_domain::ports::GatewayError::NotConfigured(_) => "gateway_not_configured",
                _ => "gateway_error",
            };
            json!({"sent": false, "reason": code})
        }
    }
}

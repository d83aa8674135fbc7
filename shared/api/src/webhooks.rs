//! The webhooks resource (reference 7.2) and its delivery log, and the two jobs that deliver:
//! `events.dispatch` (a registration write's events → one delivery per interested webhook, on the
//! webhooks queue) and `webhooks.deliver` (one signed POST, recorded, then done, retried later or
//! failed). Deliveries are at least once with the same event id every time; the log is the
//! operator's view, with replay of one or all failed deliveries and a signed `ping`.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, json_object, path_param, query_pairs};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use smartenroll_domain::clock::Clock;
use smartenroll_domain::error::{FieldError, StoreError};
use smartenroll_domain::ids::{ClientId, RegistrationId};
use smartenroll_domain::jobs::Job;
use smartenroll_domain::ports::{JobQueue, ProjectStore, RegistrationStore, WebhookSender, WebhookStore};
use smartenroll_domain::ratelimit::Category;
use smartenroll_domain::webhook::{self, Delivery, DeliveryStatus, RetryPolicy, SECRET_BYTES, Webhook, WebhookInput};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// At most this many attempts to one webhook run at once; a slow receiver holds only these.
pub const PER_WEBHOOK_CONCURRENCY: usize = 2;

/// What delivering webhooks needs, shared by the API (replay, ping) and the workers.
pub struct WebhookRuntime {
    pub store: Arc<dyn WebhookStore>,
    pub projects: Arc<dyn ProjectStore>,
    /// The webhooks queue (`webhooks.deliver` jobs).
    pub queue: Arc<dyn JobQueue>,
    pub sender: Arc<dyn WebhookSender>,
    pub policy: RetryPolicy,
    inflight: Mutex<HashMap<String, usize>>,
}

impl WebhookRuntime {
    pub fn new(
        store: Arc<dyn WebhookStore>,
        projects: Arc<dyn ProjectStore>,
        queue: Arc<dyn JobQueue>,
        sender: Arc<dyn WebhookSender>,
        policy: RetryPolicy,
    ) -> Self {
        Self { store, projects, queue, sender, policy, inflight: Mutex::new(HashMap::new()) }
    }

    /// A slot for one attempt to `webhook`, if fewer than [`PER_WEBHOOK_CONCURRENCY`] are running.
    fn slot(&self, webhook: &str) -> Option<Slot<'_>> {
        let mut map = self.inflight.lock().ok()?;
        let n = map.entry(webhook.to_string()).or_insert(0);
        if *n >= PER_WEBHOOK_CONCURRENCY {
            return None;
        }
        *n += 1;
        Some(Slot { rt: self, webhook: webhook.to_string() })
    }

    /// Queues an attempt right away (the API's test and replays), the store's error as it is: a
    /// queue this deployment has not configured is a 503, a failing one a logged 500.
    async fn queue_now(&self, client: &ClientId, delivery: &str) -> Result<(), StoreError> {
        let body = Job::DeliverWebhook { client_id: client.to_string(), delivery_id: delivery.to_string() }.to_body();
        self.queue.send(&body).await
    }

    async fn queue_delivery(&self, client: &ClientId, delivery: &str, delay_ms: u64) -> Result<(), String> {
        let body = Job::DeliverWebhook { client_id: client.to_string(), delivery_id: delivery.to_string() }.to_body();
        let sent = if delay_ms == 0 { self.queue.send(&body).await } else { self.queue.send_delayed(&body, delay_ms).await };
        sent.map_err(|e| format!("webhooks.deliver: cannot queue: {e}"))
    }
}

struct Slot<'a> {
    rt: &'a WebhookRuntime,
    webhook: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.rt.inflight.lock()
            && let Some(n) = map.get_mut(&self.webhook)
        {
            *n = n.saturating_sub(1);
        }
    }
}

fn random_key() -> Result<[u8; SECRET_BYTES], ApiError> {
    let mut key = [0u8; SECRET_BYTES];
    getrandom::fill(&mut key).map_err(|e| {
        tracing::error!(error = %e, "no randomness for a webhook secret");
        ApiError::Internal
    })?;
    Ok(key)
}

fn jitter() -> f64 {
    let mut b = [0u8; 2];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(b)) / 65536.0
}

fn runtime(deps: &Deps) -> Result<&WebhookRuntime, ApiError> {
    deps.webhooks.as_deref().ok_or_else(|| ApiError::Unavailable("Webhooks are not available on this deployment's backend yet".into()))
}

fn webhook_id(req: &Request) -> Result<String, ApiError> {
    path_param(req, "id")
        .and_then(|s| smartenroll_domain::ids::parse_object_id(s).ok())
        .ok_or_else(|| ApiError::BadRequest("Invalid webhook ID format".into()))
}

async fn load(rt: &WebhookRuntime, client: &ClientId, id: &str) -> Result<Webhook, ApiError> {
    rt.store.get_webhook(client, id).await?.ok_or(ApiError::NotFound("Record"))
}

/// A URL's save-time check: 422 with the guard's reason.
async fn check_url(rt: &WebhookRuntime, url: &str) -> Result<(), ApiError> {
    rt.sender
        .check_destination(url)
        .await
        .map_err(|why| ApiError::Validation(vec![FieldError::new("url", format!("is not allowed: {why}"))]))
}

fn input(body: &serde_json::Map<String, serde_json::Value>, creating: bool) -> Result<WebhookInput, ApiError> {
    WebhookInput::parse(&serde_json::Value::Object(body.clone()), creating).map_err(|errors| {
        // The reference answers a create without `url` with 409 MissingParameter.
        if creating && errors.len() == 1 && errors[0].message == "missing url" {
            ApiError::MissingParameter(errors)
        } else {
            ApiError::Validation(errors)
        }
    })
}

/// `POST /v2/webhooks` `{url, name, isActive?, description?, link?, events?}`: 201
/// `{data: webhook, secret}` — the signing secret is shown this once.
pub async fn create(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let body = json_object(&req)?;
        let input = input(&body, true)?;
        check_url(rt, input.url.as_deref().unwrap_or_default()).await?;
        if rt.store.webhooks(&auth.client.id).await?.len() >= webhook::MAX_WEBHOOKS_PER_CLIENT {
            return Err(ApiError::Conflict {
                message: format!("A client can have at most {} webhooks", webhook::MAX_WEBHOOKS_PER_CLIENT),
                details: vec![],
            });
        }
        let w = input.create(deps.ids.object_id(), &auth.client.id, &random_key()?, deps.clock.now());
        rt.store.insert_webhook(&w).await?;
        tracing::info!(client = %auth.client.id, webhook = %w.id, "webhook created");
        Reply::json(StatusCode::CREATED, &json!({"data": w.api_json(), "secret": w.current_secret()}))
    };
    auth.respond(outcome.await)
}

fn paging(req: &Request) -> Result<(u32, u32), ApiError> {
    let pairs = query_pairs(req);
    let get = |k: &str, default: u32, max: u32| -> Result<u32, ApiError> {
        match pairs.iter().find(|(key, _)| key == k) {
            None => Ok(default),
            Some((_, v)) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::Validation(vec![FieldError::new(k, format!("must be a whole number from 1 to {max}"))])),
        }
    };
    Ok((get("page", 1, 100_000)?, get("perPage", 20, 100)?))
}

/// `GET /v2/webhooks?page&perPage&like_name&where_url`: `{data, total, limit, page, pages}`.
pub async fn list(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let (page, per_page) = paging(&req)?;
        let pairs = query_pairs(&req);
        let like = pairs.iter().find(|(k, _)| k == "like_name").map(|(_, v)| v.trim().to_lowercase());
        let url = pairs.iter().find(|(k, _)| k == "where_url").map(|(_, v)| v.trim().to_string());
        let all: Vec<Webhook> = rt
            .store
            .webhooks(&auth.client.id)
            .await?
            .into_iter()
            .rev()
            .filter(|w| like.as_ref().is_none_or(|l| w.name.to_lowercase().contains(l)))
            .filter(|w| url.as_ref().is_none_or(|u| &w.url == u))
            .collect();
        let data: Vec<_> = all.iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).map(Webhook::api_json).collect();
        Reply::page(&data, all.len() as u64, per_page, page)
    };
    auth.respond(outcome.await)
}

/// `GET /v2/webhooks/{id}`.
pub async fn get(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let w = load(rt, &auth.client.id, &webhook_id(&req)?).await?;
        Reply::data(StatusCode::OK, &w.api_json())
    };
    auth.respond(outcome.await)
}

/// `PUT /v2/webhooks/{id}` with any of `name`, `url`, `description`, `isActive`, `events`,
/// `link[]`, `unlink[]`.
pub async fn update(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let id = webhook_id(&req)?;
        let body = json_object(&req)?;
        let input = input(&body, false)?;
        if let Some(url) = &input.url {
            check_url(rt, url).await?;
        }
        let current = load(rt, &auth.client.id, &id).await?;
        let mut next = current.clone();
        input.apply(&mut next, deps.clock.now());
        rt.store.replace_webhook(&next, current.version).await?;
        Reply::data(StatusCode::OK, &next.api_json())
    };
    auth.respond(outcome.await)
}

/// `DELETE /v2/webhooks/{id}`: the deleted object; its delivery log goes with it.
pub async fn delete(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let id = webhook_id(&req)?;
        let w = load(rt, &auth.client.id, &id).await?;
        if !rt.store.delete_webhook(&auth.client.id, &id).await? {
            return Err(ApiError::NotFound("Record"));
        }
        Reply::data(StatusCode::OK, &w.api_json())
    };
    auth.respond(outcome.await)
}

/// `POST /v2/webhooks/{id}/rotate-secret` `{overlapSeconds?}`: a new secret (shown once); the
/// old one keeps signing beside it for the overlap (default a day, at most a week).
pub async fn rotate_secret(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let id = webhook_id(&req)?;
        let body = if crate::http::has_body(&req) { json_object(&req)? } else { Default::default() };
        let overlap = match body.get("overlapSeconds") {
            None | Some(serde_json::Value::Null) => webhook::DEFAULT_ROTATION_OVERLAP_SECONDS,
            Some(v) => v.as_i64().filter(|s| (0..=webhook::MAX_ROTATION_OVERLAP_SECONDS).contains(s)).ok_or_else(|| {
                ApiError::Validation(vec![FieldError::new(
                    "overlapSeconds",
                    format!("must be a whole number of seconds from 0 to {}", webhook::MAX_ROTATION_OVERLAP_SECONDS),
                )])
            })?,
        };
        let current = load(rt, &auth.client.id, &id).await?;
        let mut next = current.clone();
        next.rotate(&random_key()?, overlap, deps.clock.now());
        next.version += 1;
        next.updated_at = deps.clock.now();
        rt.store.replace_webhook(&next, current.version).await?;
        tracing::info!(client = %auth.client.id, webhook = %id, overlap, "webhook secret rotated");
        Reply::json(StatusCode::OK, &json!({"data": next.api_json(), "secret": next.current_secret()}))
    };
    auth.respond(outcome.await)
}

/// `POST /v2/webhooks/{id}/test`: queues a signed `ping` event to the webhook; 202 `{data: delivery}`
/// (follow it in the delivery log).
pub async fn ping(deps: &Deps, req: Request) -> Response<Body> {
    let path = &req;
    let (auth, found) = crate::authorized_with!(deps, req, Some(Category::Projects), |client: ClientId| async move {
        load(runtime(deps)?, &client, &webhook_id(path)?).await
    });
    let outcome = async {
        let rt = runtime(deps)?;
        let w = found?;
        let now = deps.clock.now();
        let event_id = deps.ids.object_id();
        let body = webhook::envelope(&event_id, "ping", None, 0, &json!({"webhook": w.id, "name": w.name}), false, now);
        let d = Delivery::new(&auth.client.id, &w.id, &event_id, "ping", None, body, now);
        rt.store.insert_delivery(&d).await?;
        rt.queue_now(&auth.client.id, &d.id).await?;
        Reply::data(StatusCode::ACCEPTED, &d.api_json())
    };
    auth.respond(outcome.await)
}

/// `GET /v2/webhooks/{id}/deliveries?status&page&perPage`: the delivery log, newest first.
pub async fn deliveries(deps: &Deps, req: Request) -> Response<Body> {
    let r = &req;
    // The webhook and its log are read side by side, and beside the token's admission; the log is
    // shown only if the webhook exists (another client's id finds neither).
    let (auth, read) = crate::authorized_with!(deps, req, Some(Category::Projects), |client: ClientId| async move {
        let rt = runtime(deps)?;
        let id = webhook_id(r)?;
        let (page, per_page) = paging(r)?;
        let status = match query_pairs(r).into_iter().find(|(k, _)| k == "status") {
            None => None,
            Some((_, v)) => Some(
                DeliveryStatus::parse(&v)
                    .ok_or_else(|| ApiError::Validation(vec![FieldError::new("status", "must be PENDING, SUCCEEDED or FAILED")]))?,
            ),
        };
        let (webhook, found) = futures_util::future::join(
            load(rt, &client, &id),
            rt.store.deliveries(&client, &id, status, u64::from((page - 1) * per_page), per_page),
        )
        .await;
        webhook?;
        Ok((found?, page, per_page))
    });
    let outcome = async {
        let (found, page, per_page) = read?;
        let data: Vec<_> = found.items.iter().map(Delivery::api_json).collect();
        Reply::page(&data, found.total, per_page, page)
    };
    auth.respond(outcome.await)
}

fn delivery_id(req: &Request) -> Result<String, ApiError> {
    path_param(req, "deliveryId")
        .filter(|s| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| ApiError::BadRequest("Invalid delivery ID format".into()))
}

async fn load_delivery(rt: &WebhookRuntime, client: &ClientId, webhook: &str, id: &str) -> Result<Delivery, ApiError> {
    rt.store.get_delivery(client, id).await?.filter(|d| d.webhook == webhook).ok_or(ApiError::NotFound("Record"))
}

/// `GET /v2/webhooks/{id}/deliveries/{deliveryId}`: one delivery with every attempt.
pub async fn delivery(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let d = load_delivery(rt, &auth.client.id, &webhook_id(&req)?, &delivery_id(&req)?).await?;
        let mut out = d.api_json();
        out["body"] = serde_json::Value::String(d.body.clone());
        Reply::data(StatusCode::OK, &out)
    };
    auth.respond(outcome.await)
}

async fn replay_one(deps: &Deps, rt: &WebhookRuntime, d: Delivery) -> Result<Delivery, ApiError> {
    let mut next = d.clone();
    next.replay(deps.clock.now());
    rt.store.replace_delivery(&next, d.version).await?;
    rt.queue_now(&d.client, &d.id).await?;
    Ok(next)
}

/// `POST /v2/webhooks/{id}/deliveries/{deliveryId}/replay`: delivers it again (same event id and
/// body, new signature time); 202 `{data: delivery}`. A pending delivery is 409.
pub async fn replay(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let d = load_delivery(rt, &auth.client.id, &webhook_id(&req)?, &delivery_id(&req)?).await?;
        if d.status == DeliveryStatus::Pending {
            return Err(ApiError::Conflict { message: "The delivery is still being attempted".into(), details: vec![] });
        }
        let next = replay_one(deps, rt, d).await?;
        Reply::data(StatusCode::ACCEPTED, &next.api_json())
    };
    auth.respond(outcome.await)
}

/// `POST /v2/webhooks/{id}/replay-failed`: replays every failed delivery of the webhook (up to
/// 1000 per call); 202 `{data: {replayed}}`.
pub async fn replay_failed(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let rt = runtime(deps)?;
        let id = webhook_id(&req)?;
        load(rt, &auth.client.id, &id).await?;
        let failed = rt.store.deliveries(&auth.client.id, &id, Some(DeliveryStatus::Failed), 0, 1000).await?;
        let mut replayed = 0;
        for d in failed.items {
            replay_one(deps, rt, d).await?;
            replayed += 1;
        }
        Reply::data(StatusCode::ACCEPTED, &json!({"replayed": replayed}))
    };
    auth.respond(outcome.await)
}

/// `events.dispatch`: one delivery per (event, interested webhook), then a `webhooks.deliver` job
/// for each. Safe to run twice: the delivery ids repeat and a delivery already made is not made
/// again (its job is queued again, and a settled delivery's job does nothing).
pub async fn dispatch(
    rt: &WebhookRuntime,
    registrations: &dyn RegistrationStore,
    clock: &dyn Clock,
    client: &ClientId,
    registration: &RegistrationId,
    event_ids: &[String],
) -> Result<usize, String> {
    let err = |e: smartenroll_domain::error::StoreError| format!("events.dispatch: {e}");
    let hooks = rt.store.webhooks(client).await.map_err(err)?;
    if hooks.iter().all(|w| !w.is_active) {
        return Ok(0);
    }
    let Some(reg) = registrations.get(client, registration).await.map_err(err)? else { return Ok(0) };
    let selected = rt
        .projects
        .get(client, &reg.project)
        .await
        .map_err(err)?
        .and_then(|p| p.config.flow.and_then(|f| f.integrations).and_then(|i| i.webhook));
    let events = registrations.events(client, registration).await.map_err(err)?;
    let now = clock.now();
    let mut jobs = Vec::new();
    for (i, e) in events.iter().enumerate().filter(|(_, e)| event_ids.contains(&e.id)) {
        for w in &hooks {
            if !w.wants(reg.flow.as_str(), selected.as_deref() == Some(w.id.as_str()), &e.kind) {
                continue;
            }
            let body = webhook::envelope(&e.id, &e.kind, Some(registration.as_str()), i as u64 + 1, &e.object, e.demo, e.created_at);
            let d = Delivery::new(client, &w.id, &e.id, &e.kind, Some(registration.as_str()), body, now);
            rt.store.insert_delivery(&d).await.map_err(err)?;
            jobs.push(Job::DeliverWebhook { client_id: client.to_string(), delivery_id: d.id }.to_body());
        }
    }
    if !jobs.is_empty() {
        rt.queue.send_batch(&jobs).await.map_err(err)?;
    }
    Ok(jobs.len())
}

/// `webhooks.deliver`: one attempt if the delivery is pending and due, recorded in its log; a
/// retry is a new delayed job (so the queue's own receive limit never cuts the schedule short).
pub async fn deliver(rt: &WebhookRuntime, clock: &dyn Clock, client: &ClientId, id: &str) -> Result<(), String> {
    let err = |e: smartenroll_domain::error::StoreError| format!("webhooks.deliver: {e}");
    let Some(d) = rt.store.get_delivery(client, id).await.map_err(err)? else { return Ok(()) };
    if d.status != DeliveryStatus::Pending {
        return Ok(());
    }
    let now = clock.now();
    if let Some(due) = d.next_attempt_at.filter(|t| *t > now) {
        return rt.queue_delivery(client, id, (due.unix_millis() - now.unix_millis()) as u64).await;
    }
    let Some(w) = rt.store.get_webhook(client, &d.webhook).await.map_err(err)? else { return Ok(()) };
    if !w.is_active {
        tracing::info!(webhook = %w.id, delivery = %d.id, "webhook inactive; delivery left pending (replay it after re-activating)");
        return Ok(());
    }
    let Some(_slot) = rt.slot(&w.id) else {
        // This receiver already has its share of attempts running: come back shortly.
        return rt.queue_delivery(client, id, 500).await;
    };
    let ts = now.unix_seconds();
    let headers = [
        ("webhook-id", d.event_id.clone()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", w.signature_header(&d.event_id, ts, d.body.as_bytes(), now)),
        ("x-smartenroll-delivery", d.id.clone()),
        ("x-smartenroll-attempt", (d.attempts.len() + 1).to_string()),
    ];
    let started = std::time::Instant::now();
    let outcome = rt.sender.post(&w.url, &headers, &d.body).await;
    let latency = started.elapsed().as_millis() as u64;
    let mut next = d.clone();
    next.record(outcome.attempt(now, latency), outcome.verdict(), &rt.policy, jitter());
    match rt.store.replace_delivery(&next, d.version).await {
        Ok(()) => {}
        // Another worker recorded an attempt first (a redelivered job): its record stands.
        Err(smartenroll_domain::error::StoreError::Conflict) => return Ok(()),
        Err(e) => return Err(err(e)),
    }
    let last = next.attempts.last();
    tracing::info!(
        webhook = %w.id,
        delivery = %d.id,
        attempt = next.attempts.len(),
        status = next.status.as_str(),
        code = last.and_then(|a| a.status_code),
        error = last.and_then(|a| a.error.as_deref()),
        latency_ms = latency,
        "webhook attempt"
    );
    if let (DeliveryStatus::Pending, Some(due)) = (next.status, next.next_attempt_at) {
        rt.queue_delivery(client, id, (due.unix_millis() - clock.now().unix_millis()).max(0) as u64).await?;
    }
    Ok(())
}

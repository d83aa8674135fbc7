//! The job runner: what a worker does with one queued job, the same in the Lambda queue consumer
//! (`functions::worker`) and in the single-node server's worker loop. A job that fails is retried
//! by its queue and, after the queue's last attempt, lands in the dead-letter queue; a body this
//! version cannot read fails the same way (visible to the operator, never dropped).

use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::clock::Clock;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ids::{IdGenerator, RegistrationId};
use smartenroll_domain::jobs::Job;
use smartenroll_domain::ports::{BlobStore, RegistrationStore};
use smartenroll_domain::verification::{self, CheckKind, Outcome};
use std::sync::Arc;

/// What jobs need: less than an API handler (no JWT secret, no rate limits), so a worker function
/// is granted only these.
#[derive(Clone)]
pub struct JobDeps {
    pub blobs: Arc<dyn BlobStore>,
    pub registrations: Arc<dyn RegistrationStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Webhook delivery (`None` where the backend has no webhook store yet).
    pub webhooks: Option<Arc<crate::webhooks::WebhookRuntime>>,
    /// The face engine, loaded once per process (`None` where its models are not configured:
    /// selfie checks then go to a reviewer, saying why).
    pub biometrics: Option<Arc<smartenroll_biometrics::Biometrics>>,
    /// The document engine's OCR, loaded once per process (`None` where its models are not
    /// configured: document checks then go to a reviewer, saying why).
    pub ocr: Option<Arc<dyn smartenroll_documents::DocumentReader>>,
    /// What a document check consults beyond the image.
    pub sources: CheckSources,
}

/// The lists and outside sources a document check consults (each `None` where the deployment has
/// none: a flow that asks for one then goes to a reviewer or says it was not supported, never a
/// silent pass).
#[derive(Clone, Default)]
pub struct CheckSources {
    /// Sanctions and PEP lists (`screening: true`).
    pub lists: Option<Arc<crate::screening::ScreeningLists>>,
    /// Information verification and criminal history endpoints.
    pub data: Option<Arc<dyn smartenroll_domain::sources::DataSources>>,
    /// The counter background checks are taken from (per operator, the reference's 5 a minute)
    /// and that limit.
    pub limiter: Option<(Arc<dyn smartenroll_domain::ports::RateLimiter>, u32)>,
}

/// Why a check is left for a person: no engine for it runs in this process (each runs when its
/// models are configured).
pub fn no_engine(kind: CheckKind) -> Outcome {
    let what = match kind {
        CheckKind::Document | CheckKind::Company => {
            "the document engine's models are not loaded in this process (run scripts/fetch-models and set SMARTENROLL_MODELS_DIR)"
        }
        CheckKind::Liveness => {
            "the face engine's models are not loaded in this process (run scripts/fetch-models and set SMARTENROLL_MODELS_DIR)"
        }
    };
    Outcome::review(format!("no_engine: {what}; a reviewer must look at the images"))
}

/// The expiry sweeper (a scheduled function in AWS, a loop in the single-node server): every
/// unfinished registration past its lifetime becomes `EXPIRED`, with its history entry and the
/// `app_registration_expired` event. Up to `max` per call; returns how many expired.
pub async fn expire_due(deps: &JobDeps, max: u32) -> Result<usize, String> {
    let now = deps.clock.now();
    let due = deps.registrations.due_for_expiry(now.unix_millis(), max).await.map_err(|e| format!("expiry sweep: {e}"))?;
    let mut expired = 0;
    for (client, id) in due {
        for _ in 0..WRITE_ATTEMPTS {
            let Some(reg) = deps.registrations.get(&client, &id).await.map_err(|e| format!("expiry sweep: {e}"))? else { break };
            let mut next = reg.clone();
            let Some(suffix) = verification::expire(&mut next, now) else { break };
            next.version += 1;
            let event = next.event(&suffix, next.api_json(smartenroll_domain::registration::View::Operator), deps.ids.as_ref(), now);
            match deps.registrations.update(&next, reg.version, &[event]).await {
                Ok(()) => {
                    expired += 1;
                    break;
                }
                Err(smartenroll_domain::error::StoreError::Conflict) => continue,
                Err(e) => return Err(format!("expiry sweep: {e}")),
            }
        }
    }
    if expired > 0 {
        tracing::info!(expired, "unfinished registrations expired");
    }
    Ok(expired)
}

/// The retention sweeper (the same schedule as expiry): every finished registration whose
/// project's retention period has passed is erased like `DELETE /v2/app-registrations/{id}` does
/// (images, record, keys, events). Up to `max` per call; returns how many were erased.
pub async fn erase_due(deps: &JobDeps, max: u32) -> Result<usize, String> {
    let now = deps.clock.now();
    let due = deps.registrations.due_for_erasure(now.unix_millis(), max).await.map_err(|e| format!("retention sweep: {e}"))?;
    let mut erased = 0;
    for (client, id) in due {
        // Re-read: only what is still finished and past its retention goes.
        let Some(reg) = deps.registrations.get(&client, &id).await.map_err(|e| format!("retention sweep: {e}"))? else { continue };
        if reg.erase_due().is_none_or(|t| t > now) {
            continue;
        }
        let (images, events) = crate::registrations::erase_files_and_record(deps.blobs.as_ref(), deps.registrations.as_ref(), &client, &id)
            .await
            .map_err(|e| format!("retention sweep: {e}"))?;
        tracing::info!(client = %client, registration = %id, images, events, "registration erased at the end of its retention");
        erased += 1;
    }
    Ok(erased)
}

/// A lost race on the registration (another write landed first) is retried this often.
const WRITE_ATTEMPTS: usize = 3;

async fn run_check(deps: &JobDeps, client: &ClientId, id: &RegistrationId, check_id: &str) -> Result<(), String> {
    for _ in 0..WRITE_ATTEMPTS {
        let Some(reg) = deps.registrations.get(client, id).await.map_err(|e| format!("checks.run: {e}"))? else {
            // Erased meanwhile: nothing left to check.
            tracing::info!(job = "checks.run", registration = %id, "registration gone; job dropped");
            return Ok(());
        };
        let Some(check) = reg.checks.iter().find(|c| c.id == check_id) else {
            return Err(format!("checks.run: registration {id} has no check {check_id}"));
        };
        if !check.is_pending() {
            return Ok(()); // delivered twice: already recorded
        }
        let outcome = match (check.kind, &deps.biometrics, &deps.ocr) {
            (CheckKind::Liveness, Some(engine), _) => match crate::faces::run_selfie(deps, engine, &reg, check).await? {
                crate::faces::Run::Done(outcome) => outcome,
                crate::faces::Run::Later(reason) => return Err(format!("checks.run: {reason}")),
            },
            (CheckKind::Document, _, Some(ocr)) => crate::documents::run_document(deps, ocr, &reg, check).await?,
            (CheckKind::Company, _, Some(ocr)) => crate::company::run_company(deps, ocr, &reg, check).await?,
            (kind, _, _) => no_engine(kind),
        };
        let now = deps.clock.now();
        let mut next = reg.clone();
        let Some(suffixes) = verification::record_outcome(&mut next, check_id, outcome, now) else { return Ok(()) };
        next.version += 1;
        let check_json = next.checks.iter().find(|c| c.id == check_id).map(|c| c.api_json(&next)).unwrap_or_default();
        let events: Vec<_> = suffixes
            .iter()
            .map(|suffix| {
                let object = if suffix.starts_with("app_registration_") {
                    next.api_json(smartenroll_domain::registration::View::Operator)
                } else {
                    check_json.clone()
                };
                next.event(suffix, object, deps.ids.as_ref(), now)
            })
            .collect();
        match deps.registrations.update(&next, reg.version, &events).await {
            Ok(()) => {
                tracing::info!(job = "checks.run", registration = %id, check = check_id, status = next.status.as_str(), "check recorded");
                return Ok(());
            }
            Err(smartenroll_domain::error::StoreError::Conflict) => continue,
            Err(e) => return Err(format!("checks.run: {e}")),
        }
    }
    Err("checks.run: the registration kept changing; retried later".into())
}

/// When `id` is a representative (KYB) whose status its business has not recorded yet, records it
/// there (`verification::representative_changed`), deciding the business if it was waiting. Retried
/// on a lost race like every job write; a business erased meanwhile is nothing to tell.
async fn tell_business(deps: &JobDeps, client: &ClientId, id: &RegistrationId) -> Result<(), String> {
    for _ in 0..WRITE_ATTEMPTS {
        // Both read afresh on every try: a stale copy of the person must not be written over a
        // newer status another job recorded meanwhile.
        let Some(rep) = deps.registrations.get(client, id).await.map_err(|e| format!("events.dispatch: {e}"))? else { return Ok(()) };
        let Some(link) = &rep.representative_of else { return Ok(()) };
        let Some(business) = deps.registrations.get(client, &link.business).await.map_err(|e| format!("events.dispatch: {e}"))? else {
            return Ok(());
        };
        let now = deps.clock.now();
        let mut next = business.clone();
        let Some(suffixes) = verification::representative_changed(&mut next, &rep, now) else { return Ok(()) };
        next.version += 1;
        let object = next.api_json(smartenroll_domain::registration::View::Operator);
        let events: Vec<_> = suffixes.iter().map(|suffix| next.event(suffix, object.clone(), deps.ids.as_ref(), now)).collect();
        match deps.registrations.update(&next, business.version, &events).await {
            Ok(()) => {
                tracing::info!(job = "events.dispatch", business = %next.id, representative = %rep.id, status = next.status.as_str(), "representative status recorded on its business");
                return Ok(());
            }
            Err(smartenroll_domain::error::StoreError::Conflict) => continue,
            Err(e) => return Err(format!("events.dispatch: {e}")),
        }
    }
    Err("events.dispatch: the business kept changing; retried later".into())
}

/// Runs the job in `body`. `Err` carries a reason for the logs (no personal data: ids and counts).
pub async fn run(deps: &JobDeps, body: &str) -> Result<(), String> {
    match Job::from_body(body)? {
        Job::PurgeBlobs { client_id, folder } => {
            let client = ClientId::parse(&client_id).map_err(|_| "blobs.purge: not a client id")?;
            let folder = BlobKey::new(&client, &folder).ok_or("blobs.purge: not a folder")?;
            let deleted = deps.blobs.delete_folder(&folder).await.map_err(|e| format!("blobs.purge: {e}"))?;
            tracing::info!(job = "blobs.purge", client = %client, deleted, "job done");
            Ok(())
        }
        Job::EraseProjectRegistrations { client_id, project_id } => {
            let client = ClientId::parse(&client_id).map_err(|_| "registrations.erase_project: not a client id")?;
            let project =
                smartenroll_domain::ids::ProjectId::parse(&project_id).map_err(|_| "registrations.erase_project: not a project id")?;
            let query = smartenroll_domain::query::RegistrationQuery { project: Some(project), limit: 100, ..Default::default() };
            let mut erased = 0u64;
            loop {
                let page = deps.registrations.list(&client, &query).await.map_err(|e| format!("registrations.erase_project: {e}"))?;
                if page.items.is_empty() {
                    break;
                }
                for reg in &page.items {
                    crate::registrations::erase_files_and_record(deps.blobs.as_ref(), deps.registrations.as_ref(), &client, &reg.id)
                        .await
                        .map_err(|e| format!("registrations.erase_project: {e}"))?;
                    erased += 1;
                }
            }
            tracing::info!(job = "registrations.erase_project", client = %client, erased, "job done");
            Ok(())
        }
        Job::DispatchEvents { client_id, registration_id, event_ids } => {
            let client = ClientId::parse(&client_id).map_err(|_| "events.dispatch: not a client id")?;
            let id = RegistrationId::parse(&registration_id).map_err(|_| "events.dispatch: not a registration id")?;
            // Every write that changes a registration records events, so this job follows every
            // status change (sync, a check's result, a review, expiry): the place where a
            // representative's new status reaches its business.
            tell_business(deps, &client, &id).await?;
            let Some(rt) = &deps.webhooks else { return Ok(()) };
            let queued = crate::webhooks::dispatch(rt, deps.registrations.as_ref(), deps.clock.as_ref(), &client, &id, &event_ids).await?;
            if queued > 0 {
                tracing::info!(job = "events.dispatch", client = %client, registration = %id, queued, "webhook deliveries queued");
            }
            Ok(())
        }
        Job::DeliverWebhook { client_id, delivery_id } => {
            let Some(rt) = &deps.webhooks else { return Err("webhooks.deliver: no webhook store on this backend".into()) };
            let client = ClientId::parse(&client_id).map_err(|_| "webhooks.deliver: not a client id")?;
            crate::webhooks::deliver(rt, deps.clock.as_ref(), &client, &delivery_id).await
        }
        Job::RunCheck { client_id, registration_id, check_id } => {
            let client = ClientId::parse(&client_id).map_err(|_| "checks.run: not a client id")?;
            let id = RegistrationId::parse(&registration_id).map_err(|_| "checks.run: not a registration id")?;
            run_check(deps, &client, &id, &check_id).await
        }
    }
}

//! The retention sweeper over the real embedded store and blob folder, under a clock the test
//! moves: a finished registration of a project with `retentionDays` is erased (record, events,
//! images) once that many days have passed since it finished, and not a moment before; one still in
//! progress, or of a project that keeps registrations, stays.

use smartenroll_api::jobs::{JobDeps, erase_due};
use smartenroll_domain::blob::{Blob, BlobKey};
use smartenroll_domain::clock::{FixedClock, Timestamp};
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::lifecycle::{WriteCtx, create, update};
use smartenroll_domain::registration::{HistoryEntry, Origin, RegistrationStatus, StartCtx, start};
use smartenroll_functions::bootstrap::DataDir;
use std::sync::Arc;

const T0: i64 = 1_795_683_600;
const DAY: i64 = 86_400;

#[tokio::test]
async fn finished_registrations_are_erased_when_their_projects_retention_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let deps = DataDir::open(dir.path()).expect("data dir").deps(Default::default()).expect("deps");
    let client = ClientId::parse("0123456789abcdef01234567").expect("id");
    let ctx = WriteCtx { ids: deps.ids.as_ref(), codes: deps.codes.as_ref(), now: Timestamp::from_unix_seconds(T0) };
    let body = |v: serde_json::Value| v.as_object().cloned().expect("object");
    let mut project =
        create(&client, &body(serde_json::json!({"name": "Retained", "allowedCountries": ["Colombia"]})), &ctx).expect("project");
    project = update(
        &project,
        &body(serde_json::json!({"retentionDays": 30, "projectFlowType": "onboarding", "projectFlow": {"type": "onboarding", "signUpForm": {"email": true}, "steps": {"document": "skip", "liveness": "skip"}, "integrations": {"redirectUrl": "https://acme.example/done"}}, "contactEmail": "p@acme.example", "privacyUrl": "https://acme.example/p", "termsAndConditionsUrl": "https://acme.example/t", "dataProtection": {"name": "DPO", "email": "dpo@acme.example", "address": "1 Main", "city": "Bogota", "country": "Colombia", "postalCode": "110111"}, "status": "active"})),
        &ctx,
    )
    .expect("configured and active");
    assert_eq!(project.config.retention_days, Some(30));
    deps.projects.insert(&project).await.expect("insert");
    let flow = project.flow.as_ref().expect("flow").id.clone();

    let mut started = Vec::new();
    for email in ["done@example.com", "busy@example.com"] {
        let id = smartenroll_domain::ids::RegistrationId::parse(&deps.ids.object_id()).expect("id");
        let sctx = StartCtx { id, now: ctx.now, origin: Origin::Operator, lifetime_seconds: 400 * DAY, ids: deps.ids.as_ref() };
        let (reg, events) = start(&project, &flow, &body(serde_json::json!({"email": email})), &sctx).expect("start");
        deps.registrations.create(&reg, &events).await.expect("create");
        let key = BlobKey::new(&client, &format!("registrations/{}/document/c1/front.png", reg.id)).expect("key");
        deps.blobs.put(&key, Blob { content_type: "image/png".into(), bytes: vec![1, 2, 3] }).await.expect("image");
        started.push((reg, key));
    }
    // The first finishes a day after it started; the second never does.
    let (done, done_image) = &started[0];
    let mut finished = done.clone();
    finished.status = RegistrationStatus::Completed;
    finished.history.push(HistoryEntry {
        at: Timestamp::from_unix_seconds(T0 + DAY),
        by: "system".into(),
        action: "COMPLETED".into(),
        reason: None,
        note: None,
    });
    finished.version += 1;
    deps.registrations.update(&finished, done.version, &[]).await.expect("finish");

    let at = |t: i64| JobDeps {
        blobs: deps.blobs.clone(),
        registrations: deps.registrations.clone(),
        clock: Arc::new(FixedClock(Timestamp::from_unix_seconds(t))),
        ids: deps.ids.clone(),
        webhooks: None,
        biometrics: None,
        ocr: None,
        sources: Default::default(),
    };
    assert_eq!(erase_due(&at(T0 + 31 * DAY - 1), 10).await.expect("sweep"), 0, "not a moment before 30 days after it finished");
    assert!(deps.registrations.get(&client, &done.id).await.expect("get").is_some());
    assert_eq!(erase_due(&at(T0 + 31 * DAY), 10).await.expect("sweep"), 1);
    assert!(deps.registrations.get(&client, &done.id).await.expect("get").is_none(), "the record is gone");
    assert!(deps.registrations.events(&client, &done.id).await.expect("events").is_empty(), "its events are gone");
    assert!(deps.blobs.get(done_image).await.expect("blob").is_none(), "its images are gone");
    let (busy, busy_image) = &started[1];
    assert_eq!(erase_due(&at(T0 + 1000 * DAY), 10).await.expect("sweep"), 0, "an unfinished registration is never erased by retention");
    assert!(deps.registrations.get(&client, &busy.id).await.expect("get").is_some());
    assert!(deps.blobs.get(busy_image).await.expect("blob").is_some());
}

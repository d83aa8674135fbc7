//! Wiring for AWS mode: `Deps` over DynamoDB, S3 and SQS from the environment, and the entrypoints
//! every per-endpoint function binary calls. Config is read once per cold start; SDK clients are
//! built once and reused by every invocation.

use crate::bootstrap::{BootError, SECRET_ENV};
use async_trait::async_trait;
use smartenroll_api::Deps;
use smartenroll_api::auth::JwtKeys;
use smartenroll_api::deps::OsCodes;
use smartenroll_api::jobs::JobDeps;
use smartenroll_api::routes::Handler;
use smartenroll_aws::dynamo::DynamoStore;
use smartenroll_aws::s3::S3Blobs;
use smartenroll_aws::sqs::SqsQueue;
use smartenroll_domain::blob::{Blob, BlobKey, PresignedRequest};
use smartenroll_domain::clock::{Clock, SystemClock};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::ObjectIdGenerator;
use smartenroll_domain::jobs::Delivery;
use smartenroll_domain::ports::{
    BlacklistApi, BlacklistQuery, BlobStore, FetchError, GatewayError, JobQueue, Messenger, OutgoingEmail, OutgoingText, RemoteImages,
    WebhookSender,
};
use smartenroll_domain::ratelimit::RateLimits;
use smartenroll_domain::webhook::SendOutcome;
use std::sync::Arc;

/// The DynamoDB table holding clients, projects and rate-limit counters.
pub const TABLE_ENV: &str = "SMARTENROLL_TABLE";
/// The Secrets Manager secret holding the JWT signing secret (what the SAM template sets).
pub const SECRET_ARN_ENV: &str = "SMARTENROLL_JWT_SECRET_ARN";
/// The S3 bucket for documents and selfies.
pub const BUCKET_ENV: &str = "SMARTENROLL_BUCKET";
/// The SQS queue URL for jobs, and its dead-letter queue's URL (optional; for the operator CLI).
pub const JOBS_QUEUE_ENV: &str = "SMARTENROLL_JOBS_QUEUE_URL";
pub const JOBS_DLQ_ENV: &str = "SMARTENROLL_JOBS_DLQ_URL";
/// The SQS queue URL for webhook attempts (`webhooks.deliver` jobs), and its dead-letter queue's.
pub const WEBHOOKS_QUEUE_ENV: &str = "SMARTENROLL_WEBHOOKS_QUEUE_URL";
pub const WEBHOOKS_DLQ_ENV: &str = "SMARTENROLL_WEBHOOKS_DLQ_URL";
/// A Secrets Manager secret holding the message providers' credentials: a JSON object whose keys
/// are the single-node variable names (`SMARTENROLL_MAILGUN_API_KEY`, …). Read at cold start by
/// the functions that send one-time codes.
pub const GATEWAYS_SECRET_ENV: &str = "SMARTENROLL_GATEWAYS_SECRET_ARN";
/// The Secrets Manager secret holding the data sources file (empty or unset: none).
pub const SOURCES_SECRET_ENV: &str = "SMARTENROLL_SOURCES_SECRET_ARN";

/// What one function may do to one resource of the template. Resources are named as in the
/// template: `table`, `index` (its `gsi1`), `expiry-index` (its `gsi2`), `secret`, `gateways-secret` (the message providers'
/// credentials), `bucket`, `objects` (the bucket's `clients/*`), `jobs-queue`, `webhooks-queue`.
pub type Grants = &'static [(&'static str, &'static [&'static str])];

const SECRET: (&str, &[&str]) = ("secret", &["secretsmanager:GetSecretValue"]);
const GATEWAYS: (&str, &[&str]) = ("gateways-secret", &["secretsmanager:GetSecretValue"]);
const WEBHOOKS_QUEUE: (&str, &[&str]) = ("webhooks-queue", &["sqs:SendMessage"]);
/// Every POST function keeps `Idempotency-Key` claims and first answers in the table
/// (`smartenroll_api::idempotency`): claim (PutItem), read a held key (GetItem), store the answer
/// (UpdateItem), release (DeleteItem).
/// The project saves store the step-6 logo and image for the hosted page (and delete replaced ones).
const BRANDING_FILES: (&str, &[&str]) = ("objects", &["s3:DeleteObject", "s3:PutObject"]);
const IDEMPOTENT: (&str, &[&str]) = ("table", &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);

/// Every function's permissions, from what its handler does. The SAM template grants exactly
/// these and nothing else; a test compares the two.
pub const GRANTS: &[(&str, Grants)] = &[
    ("projects-create", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), BRANDING_FILES, SECRET]),
    (
        "projects-list",
        &[("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]), ("index", &["dynamodb:Query"]), SECRET],
    ),
    ("projects-get", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "projects-update",
        &[("table", &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), BRANDING_FILES, SECRET],
    ),
    ("project-flows-create", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "project-flows-list",
        &[("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]), ("index", &["dynamodb:Query"]), SECRET],
    ),
    ("project-flows-get", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("project-flows-update", &[("table", &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "project-flows-delete",
        &[
            (
                "table",
                &[
                    "dynamodb:BatchGetItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
            ),
            ("index", &["dynamodb:Query"]),
            SECRET,
        ],
    ),
    ("projects-public", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("hosted-page", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), ("objects", &["s3:GetObject"]), SECRET]),
    (
        "project-flows-blacklist",
        &[("table", &["dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET],
    ),
    (
        "projects-delete",
        &[
            (
                "table",
                &[
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
            ),
            SECRET,
        ],
    ),
    ("auth-renew-and-revoke", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    ("auth-session", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    // Logins: the per-source and per-destination counters, the contact lookup, the client's record.
    ("auth-email-login", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET, GATEWAYS]),
    ("auth-email-login-confirm", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET]),
    ("auth-phone-login", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET, GATEWAYS]),
    ("auth-phone-login-confirm", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET]),
    (
        "registrations-create",
        &[IDEMPOTENT, ("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET],
    ),
    (
        "registrations-list",
        &[("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]), ("index", &["dynamodb:Query"]), SECRET],
    ),
    ("registrations-get", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("registrations-handoff", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    // The representative's registration (a conditional create with its keys) and the business's
    // update; the invitation message.
    (
        "registrations-representatives",
        &[
            IDEMPOTENT,
            ("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
            SECRET,
            GATEWAYS,
        ],
    ),
    ("registrations-events", &[("table", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET]),
    (
        "email-validations-send",
        &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET, GATEWAYS],
    ),
    ("email-validations-check", &[("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "phone-validations-send",
        &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET, GATEWAYS],
    ),
    ("phone-validations-check", &[("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    ("registrations-sync", &[("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    ("registrations-review", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "document-validations-submit",
        &[
            IDEMPOTENT,
            ("table", &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
            ("objects", &["s3:PutObject"]),
            SECRET,
        ],
    ),
    (
        "biometric-validations-submit",
        &[
            IDEMPOTENT,
            ("table", &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
            ("objects", &["s3:PutObject"]),
            SECRET,
        ],
    ),
    // The face APIs read nothing but the client (token check, rate count); their models come
    // from the function's package (the models layer), not from AWS.
    ("face-liveness", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("face-liveness-challenge", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("face-compare", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("face-compare-with-liveness", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "face-compare-app-registration",
        &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), ("objects", &["s3:GetObject"]), SECRET],
    ),
    // Receiving and deleting its messages is granted by SAM's SQS event source (see the template).
    (
        "jobs-worker",
        &[
            (
                "table",
                &[
                    "dynamodb:BatchGetItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    // The background-check rate counter.
                    "dynamodb:UpdateItem",
                ],
            ),
            ("index", &["dynamodb:Query"]),
            // Lists the folders it erases and the screening lists it loads.
            ("bucket", &["s3:ListBucket"]),
            // Reads selfies and document photos for the face checks; deletes on erasure.
            ("objects", &["s3:DeleteObject", "s3:GetObject"]),
            ("lists", &["s3:GetObject"]),
            WEBHOOKS_QUEUE,
            ("sources-secret", &["secretsmanager:GetSecretValue"]),
        ],
    ),
    // Receiving and deleting its messages is granted by SAM's SQS event source.
    ("webhooks-worker", &[("table", &["dynamodb:GetItem", "dynamodb:PutItem"]), WEBHOOKS_QUEUE]),
    (
        "registrations-evidence",
        &[("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), ("objects", &["s3:GetObject"]), SECRET],
    ),
    ("evidence-download", &[("table", &["dynamodb:GetItem", "dynamodb:PutItem"]), ("objects", &["s3:GetObject"]), SECRET]),
    ("registrations-resend-link", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET, GATEWAYS]),
    (
        "registrations-delete",
        &[
            ("table", &["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]),
            ("bucket", &["s3:ListBucket"]),
            ("objects", &["s3:DeleteObject"]),
            SECRET,
        ],
    ),
    // Reading the table's stream is granted by SAM's DynamoDB event source.
    ("outbox-relay", &[("table", &["dynamodb:DeleteItem", "dynamodb:Query"]), ("jobs-queue", &["sqs:SendMessage"])]),
    (
        "registrations-expire",
        &[
            ("table", &["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]),
            ("expiry-index", &["dynamodb:Query"]),
            ("bucket", &["s3:ListBucket"]),
            ("objects", &["s3:DeleteObject"]),
        ],
    ),
    (
        "webhooks-create",
        &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET],
    ),
    ("webhooks-list", &[("table", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]), SECRET]),
    ("webhooks-get", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("webhooks-update", &[("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    (
        "webhooks-delete",
        &[
            ("table", &["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]),
            ("index", &["dynamodb:Query"]),
            SECRET,
        ],
    ),
    ("webhooks-rotate-secret", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), SECRET]),
    ("webhooks-test", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), WEBHOOKS_QUEUE, SECRET]),
    (
        "webhooks-deliveries",
        &[("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]), ("index", &["dynamodb:Query"]), SECRET],
    ),
    ("webhooks-delivery", &[("table", &["dynamodb:GetItem", "dynamodb:UpdateItem"]), SECRET]),
    ("webhooks-replay", &[IDEMPOTENT, ("table", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]), WEBHOOKS_QUEUE, SECRET]),
    (
        "webhooks-replay-failed",
        &[
            IDEMPOTENT,
            ("table", &["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
            ("index", &["dynamodb:Query"]),
            WEBHOOKS_QUEUE,
            SECRET,
        ],
    ),
];

/// The queue consumers (functions outside the HTTP routing table).
pub const WORKERS: &[&str] = &["jobs-worker", "webhooks-worker", "outbox-relay", "registrations-expire"];

/// Stands in for an adapter a function does not have (not wired in, or its environment variable
/// unset): every call fails with this message (logged; a 503 to the caller), never a silent no-op.
struct Unconfigured(&'static str);

impl Unconfigured {
    fn err(&self) -> StoreError {
        StoreError::Unconfigured(self.0.to_string())
    }
}

#[async_trait]
impl BlobStore for Unconfigured {
    async fn put(&self, _: &BlobKey, _: Blob) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn get(&self, _: &BlobKey) -> Result<Option<Blob>, StoreError> {
        Err(self.err())
    }
    async fn delete(&self, _: &BlobKey) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn delete_folder(&self, _: &BlobKey) -> Result<u64, StoreError> {
        Err(self.err())
    }
    async fn presign_put(&self, _: &BlobKey, _: &str, _: u32) -> Result<Option<PresignedRequest>, StoreError> {
        Err(self.err())
    }
    async fn presign_get(&self, _: &BlobKey, _: u32) -> Result<Option<PresignedRequest>, StoreError> {
        Err(self.err())
    }
}

#[async_trait]
impl BlacklistApi for Unconfigured {
    async fn is_listed(&self, _: &str, _: &BlacklistQuery) -> Result<bool, GatewayError> {
        Err(GatewayError::NotConfigured(self.0))
    }
}

#[async_trait]
impl Messenger for Unconfigured {
    async fn email(&self, _: &OutgoingEmail) -> Result<String, GatewayError> {
        Err(GatewayError::NotConfigured(self.0))
    }
    async fn text(&self, _: &OutgoingText) -> Result<String, GatewayError> {
        Err(GatewayError::NotConfigured(self.0))
    }
}

#[async_trait]
impl WebhookSender for Unconfigured {
    async fn post(&self, _: &str, _: &[(&'static str, String)], _: &str) -> SendOutcome {
        SendOutcome::Connect(self.0.to_string())
    }
    async fn check_destination(&self, _: &str) -> Result<(), String> {
        Err(self.0.to_string())
    }
}

#[async_trait]
impl RemoteImages for Unconfigured {
    async fn fetch(&self, _: &str, _: usize) -> Result<Vec<u8>, FetchError> {
        Err(FetchError::Refused(self.0.to_string()))
    }
}

#[async_trait]
impl JobQueue for Unconfigured {
    async fn send(&self, _: &str) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn send_delayed(&self, _: &str, _: u64) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn send_batch(&self, _: &[String]) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn receive(&self, _: u32, _: u32) -> Result<Vec<Delivery>, StoreError> {
        Err(self.err())
    }
    async fn ack(&self, _: &str) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn retry_later(&self, _: &str, _: u32) -> Result<(), StoreError> {
        Err(self.err())
    }
    async fn dead_letters(&self, _: u32) -> Result<Vec<Delivery>, StoreError> {
        Err(self.err())
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Which SDK clients a function links. A binary names its constructors here, and only the named
/// ones end up in it: the others are never referenced, so the linker drops them (and their SDK
/// crates' code) from that binary.
#[derive(Clone, Copy)]
pub struct Wiring {
    pub blobs: fn(&aws_config::SdkConfig) -> Arc<dyn BlobStore>,
    pub jobs: QueueFn,
    /// The message providers, for the functions that send codes (`None`: this function sends none).
    pub messenger: Option<fn(Gateways) -> Arc<dyn Messenger>>,
    /// The operators' blocklist APIs, for the functions that screen sign-ups or test the integration.
    pub blacklist: Option<fn() -> Arc<dyn BlacklistApi>>,
    /// The webhook store (in the table) with the webhooks queue and the receivers as named, for
    /// the webhook endpoints and workers (`None`: this function has no webhook runtime).
    pub webhooks: Option<WebhookWiring>,
    /// Where jobs written to the table's outbox are sent right after the write commits (`serve
    /// --backend aws`, where no stream runs). `None` (every Lambda function): the `outbox-relay`
    /// function sends them from the table's stream, so a request never waits on SQS.
    pub inline_relay: Option<QueueFn>,
    /// The face engine and image URLs, for the face APIs (`None`: this function compares no faces).
    pub faces: Option<fn() -> Faces>,
}

/// The face engine (loaded from `SMARTENROLL_MODELS_DIR`, `None` when unset) and the fetcher of
/// image URLs.
pub type Faces = (Option<Arc<smartenroll_biometrics::Biometrics>>, Arc<dyn RemoteImages>);

fn http_images() -> Arc<dyn RemoteImages> {
    Arc::new(smartenroll_gateways::images::HttpImages::new(smartenroll_gateways::outbound::OutboundPolicy::from_env()))
}

/// Image URLs without the engine.
pub fn image_urls_only() -> Faces {
    (None, http_images())
}

/// The face models, planned once per cold start, from the folder the function's package ships
/// (`SMARTENROLL_MODELS_DIR`; the template's models layer puts them in /opt), and image URLs over
/// HTTPS through the outbound guard.
/// Images fetched by URL, without the face engine (the branding images).
pub fn images_only() -> Faces {
    (None, http_images())
}

pub fn face_engine() -> Faces {
    let engine = env(crate::bootstrap::MODELS_DIR_ENV).and_then(|dir| crate::bootstrap::load_biometrics(std::path::Path::new(&dir)));
    (engine, http_images())
}

/// Builds a queue adapter from the SDK config (named per binary, so only named ones are linked).
pub type QueueFn = fn(&aws_config::SdkConfig) -> Arc<dyn JobQueue>;

/// What a webhook function reaches besides the table: the webhooks queue (tests, replays,
/// dispatch, retries) and the receivers over HTTP (destination checks at save, attempts).
#[derive(Clone, Copy)]
pub struct WebhookWiring {
    pub queue: QueueFn,
    pub sender: fn() -> Arc<dyn WebhookSender>,
}

/// The webhook endpoints that read and write the store only.
pub const WEBHOOK_STORE: Wiring = Wiring { webhooks: Some(WebhookWiring { queue: no_jobs, sender: no_sender }), ..TABLE_ONLY };
/// The webhook endpoints that check a destination (create, update).
pub const WEBHOOK_DESTINATIONS: Wiring =
    Wiring { webhooks: Some(WebhookWiring { queue: no_jobs, sender: http_webhook_sender }), ..TABLE_ONLY };
/// The webhook endpoints that queue attempts (test, replays).
pub const WEBHOOK_QUEUE: Wiring =
    Wiring { webhooks: Some(WebhookWiring { queue: webhooks_sqs_from_env, sender: no_sender }), ..TABLE_ONLY };

/// The providers' settings as read at cold start.
pub type Gateways = (Option<smartenroll_gateways::MailgunConfig>, Option<smartenroll_gateways::TwilioConfig>);

/// The API functions that touch neither files nor queues nor message providers.
pub const TABLE_ONLY: Wiring =
    Wiring { blobs: no_blobs, jobs: no_jobs, messenger: None, blacklist: None, webhooks: None, inline_relay: None, faces: None };
/// The project saves: the branding images, stored once from a data URI or fetched through the
/// outbound guard; the update also tests the blocklist integration.
pub const PROJECT_CREATE: Wiring = Wiring { blobs: s3_from_env, faces: Some(images_only), ..TABLE_ONLY };
pub const PROJECT_UPDATE: Wiring = Wiring { blacklist: Some(http_blacklist), ..PROJECT_CREATE };
/// The hosted page serves the stored branding images.
pub const PAGE: Wiring = Wiring { blobs: s3_from_env, ..TABLE_ONLY };
/// The functions that store files (their jobs go through the table's outbox, not SQS).
pub const WITH_BLOBS: Wiring = Wiring { blobs: s3_from_env, ..TABLE_ONLY };
/// The face APIs that take images in the request.
pub const WITH_FACES: Wiring = Wiring { faces: Some(face_engine), ..TABLE_ONLY };
/// The face API that reads an enrollee's stored images.
pub const WITH_FACES_AND_BLOBS: Wiring = Wiring { faces: Some(face_engine), blobs: s3_from_env, ..TABLE_ONLY };
/// The functions that send one-time codes.
pub const WITH_MESSENGER: Wiring = Wiring { messenger: Some(http_messenger), ..TABLE_ONLY };
/// The functions that call operators' blocklist APIs.
pub const WITH_BLACKLIST: Wiring = Wiring { blacklist: Some(http_blacklist), ..TABLE_ONLY };
/// Everything (the operator CLI and the server on `--backend aws`).
pub const ALL_ADAPTERS: Wiring = Wiring {
    blobs: s3_from_env,
    jobs: sqs_from_env,
    messenger: Some(http_messenger),
    blacklist: Some(http_blacklist),
    webhooks: Some(WebhookWiring { queue: webhooks_sqs_from_env, sender: http_webhook_sender }),
    inline_relay: Some(sqs_from_env),
    // The server loads the engine itself from `--models-dir` (the CLI's commands need none).
    faces: Some(image_urls_only),
};

/// Webhook receivers over HTTP(S), through the outbound guard.
pub fn http_webhook_sender() -> Arc<dyn WebhookSender> {
    match smartenroll_gateways::webhooks::HttpWebhookSender::new(
        smartenroll_gateways::outbound::OutboundPolicy::from_env(),
        smartenroll_gateways::webhooks::DELIVERY_TIMEOUT,
    ) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!(error = %e, "could not build the webhook HTTP client");
            Arc::new(Unconfigured("webhook receivers (HTTP client failed to build)"))
        }
    }
}

pub fn no_sender() -> Arc<dyn WebhookSender> {
    Arc::new(Unconfigured("this function sends no webhooks"))
}

/// SQS from `SMARTENROLL_WEBHOOKS_QUEUE_URL` (and `SMARTENROLL_WEBHOOKS_DLQ_URL`).
pub fn webhooks_sqs_from_env(conf: &aws_config::SdkConfig) -> Arc<dyn JobQueue> {
    match env(WEBHOOKS_QUEUE_ENV) {
        Some(url) => Arc::new(SqsQueue::from_conf(conf, url, env(WEBHOOKS_DLQ_ENV))),
        None => Arc::new(Unconfigured("SMARTENROLL_WEBHOOKS_QUEUE_URL is not set")),
    }
}

/// The webhook runtime over the table (webhooks, deliveries, projects) and what `wiring` names.
fn webhook_runtime(
    conf: &aws_config::SdkConfig,
    store: &Arc<DynamoStore>,
    wiring: WebhookWiring,
) -> Result<Arc<smartenroll_api::webhooks::WebhookRuntime>, BootError> {
    Ok(Arc::new(smartenroll_api::webhooks::WebhookRuntime::new(
        store.clone(),
        store.clone(),
        (wiring.queue)(conf),
        (wiring.sender)(),
        crate::bootstrap::retry_policy()?,
    )))
}

/// Operators' blocklist APIs over HTTP(S).
pub fn http_blacklist() -> Arc<dyn BlacklistApi> {
    match smartenroll_gateways::HttpBlacklist::new(smartenroll_gateways::outbound::OutboundPolicy::from_env()) {
        Ok(b) => Arc::new(b),
        Err(e) => {
            tracing::error!(error = %e, "could not build the blocklist HTTP client");
            Arc::new(Unconfigured("blocklist API (HTTP client failed to build)"))
        }
    }
}

/// Mailgun and the Twilio-shaped text API over HTTPS.
pub fn http_messenger((mailgun, twilio): Gateways) -> Arc<dyn Messenger> {
    match smartenroll_gateways::HttpMessenger::new(mailgun, twilio) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            tracing::error!(error = %e, "could not build the message providers' HTTP client");
            Arc::new(Unconfigured("message providers (HTTP client failed to build)"))
        }
    }
}

/// S3 from `SMARTENROLL_BUCKET`.
pub fn s3_from_env(conf: &aws_config::SdkConfig) -> Arc<dyn BlobStore> {
    match env(BUCKET_ENV) {
        Some(bucket) => Arc::new(S3Blobs::from_conf(conf, bucket)),
        None => Arc::new(Unconfigured("SMARTENROLL_BUCKET is not set")),
    }
}

/// SQS from `SMARTENROLL_JOBS_QUEUE_URL` (and `SMARTENROLL_JOBS_DLQ_URL`).
pub fn sqs_from_env(conf: &aws_config::SdkConfig) -> Arc<dyn JobQueue> {
    match env(JOBS_QUEUE_ENV) {
        Some(url) => Arc::new(SqsQueue::from_conf(conf, url, env(JOBS_DLQ_ENV))),
        None => Arc::new(Unconfigured("SMARTENROLL_JOBS_QUEUE_URL is not set")),
    }
}

pub fn no_blobs(_: &aws_config::SdkConfig) -> Arc<dyn BlobStore> {
    Arc::new(Unconfigured("this function is not wired to a bucket"))
}

pub fn no_jobs(_: &aws_config::SdkConfig) -> Arc<dyn JobQueue> {
    Arc::new(Unconfigured("this function is not wired to a jobs queue"))
}

/// Creates what does not exist yet on a local AWS-protocol server: the table, the bucket, and the
/// jobs and webhooks queues with their dead-letter queues (named by the last segment of their URLs).
pub async fn create_resources(conf: &aws_config::SdkConfig, table: &DynamoStore) -> Result<(), StoreError> {
    table.create_table().await?;
    if let Some(bucket) = env(BUCKET_ENV) {
        S3Blobs::from_conf(conf, bucket).create_bucket().await?;
    }
    for var in [JOBS_QUEUE_ENV, WEBHOOKS_QUEUE_ENV] {
        if let Some(url) = env(var) {
            let name = url.rsplit('/').next().unwrap_or_default();
            SqsQueue::create(aws_sdk_sqs::Client::new(conf), name, 5).await?;
        }
    }
    Ok(())
}

/// Handlers' dependencies over DynamoDB and what `wiring` names. The JWT secret is read from
/// Secrets Manager (`SMARTENROLL_JWT_SECRET_ARN`, how the template configures functions) or, for
/// local runs, taken from `SMARTENROLL_JWT_SECRET`; there is no data directory in AWS mode.
pub async fn deps_from_env(conf: &aws_config::SdkConfig, limits: RateLimits, wiring: Wiring) -> Result<(Deps, DynamoStore), BootError> {
    let table = env(TABLE_ENV).ok_or_else(|| BootError::Config(format!("{TABLE_ENV} must name the DynamoDB table")))?;
    let secret = match (env(SECRET_ARN_ENV), env(SECRET_ENV)) {
        (Some(arn), _) => smartenroll_aws::secrets::secret_string(conf, &arn).await.map_err(BootError::Config)?,
        (_, Some(secret)) => secret,
        _ => return Err(BootError::Config(format!("set {SECRET_ARN_ENV} (or {SECRET_ENV} for local runs)"))),
    };
    let jwt = JwtKeys::from_secret(secret.as_bytes()).map_err(|e| BootError::Config(format!("JWT secret: {e}")))?;
    let jobs = (wiring.jobs)(conf);
    let store = match wiring.inline_relay {
        Some(queue) => DynamoStore::from_conf(conf, table).with_relay(queue(conf)),
        None => DynamoStore::from_conf(conf, table),
    };
    let shared = Arc::new(store.clone());
    let webhooks = wiring.webhooks.map(|w| webhook_runtime(conf, &shared, w)).transpose()?;
    let mut process = [0u8; 5];
    let mut counter = [0u8; 4];
    getrandom::fill(&mut process).and_then(|()| getrandom::fill(&mut counter)).map_err(|e| BootError::Config(e.to_string()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let messenger: Arc<dyn Messenger> = match wiring.messenger {
        None => Arc::new(Unconfigured("this function sends no messages")),
        Some(build) => {
            let secret: serde_json::Map<String, serde_json::Value> = match env(GATEWAYS_SECRET_ENV) {
                Some(arn) => {
                    let text = smartenroll_aws::secrets::secret_string(conf, &arn).await.map_err(BootError::Config)?;
                    serde_json::from_str(&text)
                        .map_err(|_| BootError::Config(format!("{GATEWAYS_SECRET_ENV}: the secret must be a JSON object")))?
                }
                None => Default::default(),
            };
            let lookup = |k: &str| secret.get(k).and_then(|v| v.as_str()).map(str::to_string).or_else(|| env(k));
            build(crate::bootstrap::gateway_settings(lookup))
        }
    };
    let (biometrics, remote_images): Faces = match wiring.faces {
        Some(build) => build(),
        None => (None, Arc::new(Unconfigured("this function fetches no images"))),
    };
    let deps = Deps {
        projects: shared.clone(),
        registrations: shared.clone(),
        clients: shared.clone(),
        blocklists: shared.clone(),
        webhooks,
        biometrics,
        remote_images,
        idempotency: shared.clone(),
        rate_limiter: shared,
        blobs: (wiring.blobs)(conf),
        jobs,
        messenger,
        blacklist: match wiring.blacklist {
            Some(build) => build(),
            None => Arc::new(Unconfigured("this function calls no blocklist API")),
        },
        limits,
        jwt,
        ids: Arc::new(ObjectIdGenerator::new(process, u32::from_be_bytes(counter), clock.clone())),
        clock,
        codes: Arc::new(OsCodes),
        enrollment: crate::bootstrap::enrollment_settings()?,
    };
    Ok((deps, store))
}

/// A worker's dependencies over the table, with `blobs` and the webhook runtime from `wiring` (no
/// secret, no rate limits). Its writes leave their jobs in the outbox for the stream relay.
fn worker_deps(wiring: Wiring) -> Result<JobDeps, BootError> {
    let table = env(TABLE_ENV).ok_or_else(|| BootError::Config(format!("{TABLE_ENV} must name the DynamoDB table")))?;
    let conf = smartenroll_aws::lambda_sdk_config().map_err(BootError::Config)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut process = [0u8; 5];
    let mut counter = [0u8; 4];
    getrandom::fill(&mut process).and_then(|()| getrandom::fill(&mut counter)).map_err(|e| BootError::Config(e.to_string()))?;
    let store = Arc::new(DynamoStore::from_conf(&conf, table));
    Ok(JobDeps {
        blobs: (wiring.blobs)(&conf),
        webhooks: wiring.webhooks.map(|w| webhook_runtime(&conf, &store, w)).transpose()?,
        registrations: store,
        ids: Arc::new(ObjectIdGenerator::new(process, u32::from_be_bytes(counter), clock.clone())),
        clock,
        biometrics: None,
        ocr: None,
        sources: Default::default(),
    })
}

/// What the `jobs-worker` function needs: the bucket, the table, and the webhooks queue (it turns
/// events into webhook deliveries).
pub async fn job_deps_from_env() -> Result<JobDeps, BootError> {
    env(BUCKET_ENV).ok_or_else(|| BootError::Config(format!("{BUCKET_ENV} must name the S3 bucket")))?;
    let mut deps = worker_deps(Wiring { webhooks: Some(WebhookWiring { queue: webhooks_sqs_from_env, sender: no_sender }), ..WITH_BLOBS })?;
    // The face and document engines run checks here: their models ship in the models layer
    // (`SMARTENROLL_MODELS_DIR=/opt`), planned once per cold start.
    if let Some(dir) = env(crate::bootstrap::MODELS_DIR_ENV) {
        deps.biometrics = crate::bootstrap::load_biometrics(std::path::Path::new(&dir));
        deps.ocr = crate::bootstrap::load_ocr(std::path::Path::new(&dir));
    }
    // Document checks: the screening lists under the bucket's `screening-lists/`, the data
    // sources from their secret, background checks counted in the table like API calls.
    let conf = smartenroll_aws::lambda_sdk_config().map_err(BootError::Config)?;
    let bucket = env(BUCKET_ENV).unwrap_or_default();
    let table = env(TABLE_ENV).unwrap_or_default();
    let sources = match env(SOURCES_SECRET_ENV) {
        Some(arn) => Some(smartenroll_aws::secrets::secret_string(&conf, &arn).await.map_err(BootError::Config)?),
        None => None,
    };
    let lists = Arc::new(smartenroll_aws::s3::S3ListFiles::from_conf(&conf, bucket));
    let limiter = Arc::new(DynamoStore::from_conf(&conf, table));
    let limits = crate::bootstrap::rate_limits(None)?;
    deps.sources = crate::bootstrap::check_sources(lists, sources.as_deref(), limiter, &limits)?;
    Ok(deps)
}

/// What the `webhooks-worker` function needs: the table, the webhooks queue (retries) and the
/// receivers.
pub fn webhook_worker_deps_from_env() -> Result<JobDeps, BootError> {
    env(WEBHOOKS_QUEUE_ENV).ok_or_else(|| BootError::Config(format!("{WEBHOOKS_QUEUE_ENV} must name the webhooks queue")))?;
    worker_deps(Wiring { webhooks: Some(WebhookWiring { queue: webhooks_sqs_from_env, sender: http_webhook_sender }), ..TABLE_ONLY })
}

/// What the `registrations-expire` function needs: the table and the bucket.
pub fn sweeper_deps_from_env() -> Result<JobDeps, BootError> {
    // The retention sweep erases finished registrations' images too.
    worker_deps(WITH_BLOBS)
}

/// What the `outbox-relay` function needs: the table and the jobs queue.
pub fn relay_from_env() -> Result<(DynamoStore, Arc<dyn JobQueue>), BootError> {
    let table = env(TABLE_ENV).ok_or_else(|| BootError::Config(format!("{TABLE_ENV} must name the DynamoDB table")))?;
    env(JOBS_QUEUE_ENV).ok_or_else(|| BootError::Config(format!("{JOBS_QUEUE_ENV} must name the jobs queue")))?;
    let conf = smartenroll_aws::lambda_sdk_config().map_err(BootError::Config)?;
    Ok((DynamoStore::from_conf(&conf, table), sqs_from_env(&conf)))
}

/// JSON lines to CloudWatch, filtered by `SMARTENROLL_LOG` (default `info`).
/// The filter is `Targets` (`info`, `smartenroll_api=debug,info`): the same directives the server's
/// `EnvFilter` takes for targets and levels, without its span and field matching, whose regex
/// engine would otherwise be linked into every function.
pub fn init_json_logs() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = std::env::var("SMARTENROLL_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let json = tracing_subscriber::fmt::layer().json().with_current_span(false).without_time();
    tracing_subscriber::registry().with(json).with(filter).init();
}

/// The whole `main` of a per-endpoint Lambda function: JSON logs, `Deps` once (over the SDK
/// clients `wiring` names), then the runtime loop calling the shared handler for `function` (a name
/// from the routing table).
/// `handler` is the function's own endpoint (`smartenroll_api::handler!(…)`), named in its `main` so
/// that the binary links that handler alone; a test checks each binary names the routing table's.
pub async fn run_lambda(function: &'static str, handler: Handler, wiring: Wiring) -> Result<(), lambda_http::Error> {
    init_json_logs();
    tracing::debug!(function, "starting");
    let limits = crate::bootstrap::rate_limits(None)?;
    let conf = smartenroll_aws::lambda_sdk_config()?;
    let (deps, _) = deps_from_env(&conf, limits, wiring).await?;
    // Lives as long as the process, like the runtime loop that uses it.
    let deps: &'static Deps = Box::leak(Box::new(deps));
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        Ok::<_, lambda_http::Error>(smartenroll_api::idempotency::call(deps, function, handler, req).await)
    }))
    .await
}

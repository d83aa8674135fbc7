//! Ports: the small capability traits the domain needs from the outside world. Each has an
//! embedded implementation (single node) and, from the AWS issue on, a DynamoDB one; both run the
//! same conformance suite (`conformance`, behind the feature of that name).

use crate::blob::{Blob, BlobKey, PresignedRequest};
use crate::client::Client;
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::ids::{ClientId, FlowId, ProjectId, RegistrationId};
use crate::jobs::Delivery;
use crate::project::Project;
use crate::query::{ProjectQuery, RegistrationQuery};
use crate::ratelimit::{RateDecision, RateKey};
use crate::registration::{Event, Registration, UniqueKey};
use crate::webhook::{Delivery as WebhookDelivery, DeliveryStatus, SendOutcome, Webhook};
use async_trait::async_trait;

/// One page of a list, with the total number of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// Where the next page starts, when there is one.
    pub next: Option<crate::query::ListCursor>,
}

#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Fails with `Duplicate` if the id exists.
    async fn insert(&self, project: &Project) -> Result<(), StoreError>;
    /// Scoped by client: another client's project is `None`.
    async fn get(&self, client: &ClientId, id: &ProjectId) -> Result<Option<Project>, StoreError>;
    /// Writes `project` over `previous` (the record as the caller read it) if the stored version is
    /// still `previous.version`, else `Conflict`. Passing the whole previous record lets a backend
    /// keep derived data (per-status counts) in step without reading it again.
    async fn replace(&self, project: &Project, previous: &Project) -> Result<(), StoreError>;
    /// Deletes `project` (scoped by its client) if the stored version is still its version, else
    /// `Conflict`; `jobs` (the purge of its files and registrations) are queued in the same
    /// write (the outbox), so a deleted project never leaves its data without a job to erase it.
    async fn delete(&self, project: &Project, jobs: &[String]) -> Result<(), StoreError>;
    /// Newest first (creation time, then id), filtered and paginated.
    async fn list(&self, client: &ClientId, query: &ProjectQuery) -> Result<Page<Project>, StoreError>;
    /// Who owns the project or project flow with this id ([`Project::lookup_ids`]): the key of a
    /// lookup kept in the same write as the project, so it is never stale. What the flows
    /// resource (a flow id alone in the path) and the public enrollee reads (a project id alone)
    /// resolve first; the caller then reads the project scoped by that client as usual.
    async fn locate(&self, id: &str) -> Result<Option<(ClientId, ProjectId)>, StoreError>;
}

/// App registrations with their uniqueness keys (one email or phone per flow) and their events.
/// Every write stores the record, its keys and its events together or not at all: the events are
/// the outbox webhooks deliver from, so a change without its event (or the reverse) never exists.
#[async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Inserts `registration`, claims its [`Registration::unique_keys`] and appends `events`.
    /// `Duplicate` if a key is held already (ask [`RegistrationStore::key_holder`] which one).
    async fn create(&self, registration: &Registration, events: &[Event]) -> Result<(), StoreError>;
    /// Scoped by client: another client's registration is `None`.
    async fn get(&self, client: &ClientId, id: &RegistrationId) -> Result<Option<Registration>, StoreError>;
    /// Writes `registration` if the stored version is still `expected_version` (else `Conflict`),
    /// appending `events`.
    async fn update(&self, registration: &Registration, expected_version: u64, events: &[Event]) -> Result<(), StoreError> {
        self.update_with_jobs(registration, expected_version, events, &[]).await
    }
    /// [`RegistrationStore::update`] that also queues `jobs` (job bodies) when, and only when, the
    /// write commits: the transactional outbox. A crash after the commit never loses them.
    async fn update_with_jobs(
        &self,
        registration: &Registration,
        expected_version: u64,
        events: &[Event],
        jobs: &[String],
    ) -> Result<(), StoreError>;
    /// Newest first, filtered and paginated.
    async fn list(&self, client: &ClientId, query: &RegistrationQuery) -> Result<Page<Registration>, StoreError>;
    /// The registration's events, oldest first.
    async fn events(&self, client: &ClientId, id: &RegistrationId) -> Result<Vec<Event>, StoreError>;
    /// The registration holding `key`, if any.
    async fn key_holder(&self, client: &ClientId, key: &UniqueKey) -> Result<Option<RegistrationId>, StoreError>;
    /// Erases the registration, its uniqueness keys and its events, so that none of it can be
    /// read back (the embedded store also overwrites the freed pages). `None` if there is no such
    /// registration; otherwise how many events went with it.
    async fn erase(&self, client: &ClientId, id: &RegistrationId) -> Result<Option<u64>, StoreError>;
    /// Up to `max` unfinished registrations (`STARTED`/`ONGOING`) of any client whose lifetime
    /// ended at or before `now` (unix ms), soonest first: the expiry sweeper's work list.
    async fn due_for_expiry(&self, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError>;
    /// Up to `max` finished registrations of any client whose retention ended at or before `now`
    /// (unix ms; [`Registration::erase_due`]), soonest first: the retention sweeper's work list.
    async fn due_for_erasure(&self, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError>;
}

/// The operators' own blocklists, per flow, as keyed hashes of normalised identifiers
/// ([`crate::blocklist`]). Readers see the old list or the new one, never a mix.
#[async_trait]
pub trait BlocklistStore: Send + Sync {
    /// Replaces the flow's whole list with `hashes` (empty: no list). Returns how many it holds.
    async fn replace_list(&self, client: &ClientId, flow: &FlowId, hashes: &[String]) -> Result<u64, StoreError>;
    /// Whether any of `hashes` is on the flow's list.
    async fn any_listed(&self, client: &ClientId, flow: &FlowId, hashes: &[String]) -> Result<bool, StoreError>;
}

/// Operators' webhooks and the log of their deliveries. A client has at most
/// [`crate::webhook::MAX_WEBHOOKS_PER_CLIENT`] webhooks, read whole.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError>;
    async fn get_webhook(&self, client: &ClientId, id: &str) -> Result<Option<Webhook>, StoreError>;
    /// `Conflict` unless the stored version is `expected_version`.
    async fn replace_webhook(&self, webhook: &Webhook, expected_version: u64) -> Result<(), StoreError>;
    /// Whether there was such a webhook. Its delivery log goes with it.
    async fn delete_webhook(&self, client: &ClientId, id: &str) -> Result<bool, StoreError>;
    /// All of the client's webhooks, oldest first.
    async fn webhooks(&self, client: &ClientId) -> Result<Vec<Webhook>, StoreError>;
    /// Stores a new delivery; `false` (and nothing written) if one with its id exists already.
    async fn insert_delivery(&self, delivery: &WebhookDelivery) -> Result<bool, StoreError>;
    async fn get_delivery(&self, client: &ClientId, id: &str) -> Result<Option<WebhookDelivery>, StoreError>;
    /// `Conflict` unless the stored version is `expected_version`.
    async fn replace_delivery(&self, delivery: &WebhookDelivery, expected_version: u64) -> Result<(), StoreError>;
    /// A webhook's deliveries, newest first, optionally only those in `status`.
    async fn deliveries(
        &self,
        client: &ClientId,
        webhook: &str,
        status: Option<DeliveryStatus>,
        offset: u64,
        limit: u32,
    ) -> Result<Page<WebhookDelivery>, StoreError>;
}

/// Sends one webhook delivery attempt.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `body` with `headers` to `url` once (no redirects, through the outbound guard) and
    /// says what happened.
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> SendOutcome;
    /// The save-time check of a destination: scheme, address rules, and where the name resolves
    /// now (a name that does not resolve yet passes; every send checks again). `Err` says why.
    async fn check_destination(&self, url: &str) -> Result<(), String>;
}

/// The outcome of [`ClientStore::admit`].
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// The client exists, the token's generation is current, and the request is within its limit.
    Admitted { client: Client, rate: Option<RateDecision> },
    /// No such client, or the token was revoked (its generation is not the client's): nothing
    /// was counted, so a leaked revoked token cannot keep its client at the limit.
    Unknown,
    /// Over the limit of the window.
    Limited(RateDecision),
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn insert(&self, client: &Client) -> Result<(), StoreError>;
    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// Replaces the client's record; a store that keeps rate counters with the client (see
    /// [`ClientStore::admit`]) keeps them across a replace, so renewing a token resets no limit.
    async fn replace(&self, client: &Client, expected_version: u64) -> Result<(), StoreError>;
    /// The clients with a contact of this key ([`crate::client::contact_key`]), for a login.
    /// Several clients may share an address; the caller decides what that means.
    async fn find_by_contact(&self, key: &str) -> Result<Vec<ClientId>, StoreError>;

    /// Authenticates one operator request: the client must exist with token generation
    /// `generation`, and then — only then — the request is counted against `rate` (its window's
    /// key and limit). The default reads the client and asks `limiter`, two round trips; a store
    /// that can keep the counters on the client's own record overrides it with one conditional
    /// write (DynamoDB), ignoring `limiter`.
    async fn admit(
        &self,
        id: &ClientId,
        generation: u32,
        rate: Option<(&RateKey, u32)>,
        limiter: &dyn RateLimiter,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        let Some(client) = self.get(id).await?.filter(|c| c.token_generation == generation) else {
            return Ok(Admission::Unknown);
        };
        let rate = match rate {
            Some((key, limit)) => {
                let decision = limiter.hit(key, limit, now).await?;
                if !decision.allowed {
                    return Ok(Admission::Limited(decision));
                }
                Some(decision)
            }
            None => None,
        };
        Ok(Admission::Admitted { client, rate })
    }
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request against `key` and says whether it is within `limit`. A refused request
    /// still leaves the counter at or above the limit, never below.
    async fn hit(&self, key: &RateKey, limit: u32, now: Timestamp) -> Result<RateDecision, StoreError>;
}

/// Private object storage for enrollee documents and selfies (S3 in AWS, files in single node).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores (or replaces) the object, encrypted at rest where the backend offers it.
    async fn put(&self, key: &BlobKey, blob: Blob) -> Result<(), StoreError>;
    async fn get(&self, key: &BlobKey) -> Result<Option<Blob>, StoreError>;
    /// Idempotent: deleting a missing object succeeds.
    async fn delete(&self, key: &BlobKey) -> Result<(), StoreError>;
    /// Deletes every object under `folder` (`folder/…`), returning how many there were.
    async fn delete_folder(&self, folder: &BlobKey) -> Result<u64, StoreError>;
    /// A direct upload for `ttl_seconds` (at most [`crate::blob::PRESIGN_MAX_SECONDS`]), or
    /// `None` when this backend takes uploads through the API itself (the single-node server,
    /// which has no payload limit to work around).
    async fn presign_put(&self, key: &BlobKey, content_type: &str, ttl_seconds: u32) -> Result<Option<PresignedRequest>, StoreError>;
    /// A direct download, as for [`BlobStore::presign_put`].
    async fn presign_get(&self, key: &BlobKey, ttl_seconds: u32) -> Result<Option<PresignedRequest>, StoreError>;
}

/// An at-least-once job queue with a dead-letter queue (SQS in AWS, a SQLite table in single node).
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn send(&self, body: &str) -> Result<(), StoreError>;
    /// Sends `body`, first deliverable after `delay_ms` (a backend may cap the delay — SQS at
    /// 15 minutes — so a receiver of a job that is early sends it on again).
    async fn send_delayed(&self, body: &str, delay_ms: u64) -> Result<(), StoreError>;
    /// Sends all of `bodies` (in as many backend batches as needed) or fails.
    async fn send_batch(&self, bodies: &[String]) -> Result<(), StoreError>;
    /// Up to `max` visible jobs, each hidden from other receivers for `visibility_seconds`.
    async fn receive(&self, max: u32, visibility_seconds: u32) -> Result<Vec<Delivery>, StoreError>;
    /// The job is done: it is never delivered again.
    async fn ack(&self, receipt: &str) -> Result<(), StoreError>;
    /// The attempt failed: deliver the job again after `delay_seconds`.
    async fn retry_later(&self, receipt: &str, delay_seconds: u32) -> Result<(), StoreError>;
    /// Jobs that were received the queue's maximum number of times without being acknowledged.
    async fn dead_letters(&self, max: u32) -> Result<Vec<Delivery>, StoreError>;
}

/// An email to an enrollee (one-time codes, links).
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextChannel {
    Sms,
    Whatsapp,
}

impl TextChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            TextChannel::Sms => "sms",
            TextChannel::Whatsapp => "whatsapp",
        }
    }
}

/// A text message (SMS or WhatsApp) to an E.164 number.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingText {
    pub to: String,
    pub body: String,
    pub channel: TextChannel,
}

/// Why a message did not go out. Carries no personal data (it is logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("no provider is configured for {0}")]
    NotConfigured(&'static str),
    #[error("the provider refused the message (HTTP {0})")]
    Refused(u16),
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
}

/// Email and text-message providers (Mailgun; a Twilio-shaped SMS/WhatsApp API).
#[async_trait]
pub trait Messenger: Send + Sync {
    /// Sends and returns the provider's message id.
    async fn email(&self, message: &OutgoingEmail) -> Result<String, GatewayError>;
    async fn text(&self, message: &OutgoingText) -> Result<String, GatewayError>;
}

/// What the operator's blocklist API is asked about an enrollee (integrations `source: API`,
/// `strategy: blacklist`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlacklistQuery {
    /// `email` or `phone`: which identifier `value` is (the email when there is one).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub country_code: Option<String>,
    pub project: String,
    pub project_flow: String,
}

/// The operator's blocklist API: `Ok(true)` when the identifier is listed.
#[async_trait]
pub trait BlacklistApi: Send + Sync {
    async fn is_listed(&self, url: &str, query: &BlacklistQuery) -> Result<bool, GatewayError>;
}

/// Why an image named by URL could not be fetched. Names the rule, never the URL's path or query
/// (they may carry a signed token); safe to send back to the caller and to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The outbound guard or the scheme rule refused the destination.
    #[error("refused: {0}")]
    Refused(String),
    #[error("the image is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the image server answered HTTP {0}")]
    Status(u16),
    #[error("the image server could not be reached: {0}")]
    Unreachable(String),
}

/// Images a caller names by URL instead of sending them (the direct face APIs accept `https://`
/// images), fetched server-side through the outbound guard.
#[async_trait]
pub trait RemoteImages: Send + Sync {
    /// The bytes at `url`, refused beyond `max_bytes` (checked while reading, not after).
    async fn fetch(&self, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError>;
}

/// The sanctions and PEP list files an operator supplies (a folder on a single node, an S3 prefix
/// in AWS), read by the screening step and re-read when they change, so a list is refreshed by
/// replacing its file, without a redeploy.
#[async_trait]
pub trait ListFiles: Send + Sync {
    /// Each list file's name and a version that changes whenever the file does (size and
    /// modification time; the ETag in S3). Cheap: called before every refresh.
    async fn versions(&self) -> Result<Vec<(String, String)>, StoreError>;
    async fn read(&self, name: &str) -> Result<Vec<u8>, StoreError>;
}

//! Wiring for the single-node mode: the data directory (SQLite database, JWT secret, server lock),
//! the adapters and the `Deps` every handler receives. The only place that reads the environment.

use smartenroll_adapters::files::FsBlobs;
use smartenroll_adapters::memory::MemoryRateLimiter;
use smartenroll_adapters::queue::SqliteQueue;
use smartenroll_adapters::sqlite::SqliteStore;
use smartenroll_api::Deps;
use smartenroll_api::auth::JwtKeys;
use smartenroll_api::deps::OsCodes;
use smartenroll_domain::clock::{Clock, SystemClock};
use smartenroll_domain::ids::ObjectIdGenerator;
use smartenroll_domain::ports::JobQueue;
use smartenroll_domain::ratelimit::RateLimits;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const SECRET_ENV: &str = "SMARTENROLL_JWT_SECRET";
pub const RATE_LIMITS_ENV: &str = "SMARTENROLL_RATE_LIMITS";
pub const PUBLIC_URL_ENV: &str = "SMARTENROLL_PUBLIC_URL";
pub const LIFETIME_ENV: &str = "SMARTENROLL_REGISTRATION_LIFETIME_HOURS";
pub const OTP_TTL_ENV: &str = "SMARTENROLL_OTP_TTL_SECONDS";
const SECRET_FILE: &str = "jwt-secret";
/// The key the blob files are encrypted with: 64 hex digits (256 bits).
pub const BLOB_KEY_ENV: &str = "SMARTENROLL_BLOB_KEY";
const BLOB_KEY_FILE: &str = "blob-key";
pub const DB_FILE: &str = "smartenroll.db";
const LOCK_FILE: &str = "server.lock";
/// Documents and selfies, one file per object.
pub const BLOBS_DIR: &str = "blobs";
/// The jobs queue in the embedded database, and how often a job is tried before it is dead.
const JOBS_QUEUE: &str = smartenroll_adapters::queue::JOBS_QUEUE;
const JOB_MAX_RECEIVES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Config(String),
    #[error("opening the database: {0}")]
    Store(String),
    #[error("another smartenroll server is already using {0}")]
    Locked(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BootError + '_ {
    move |source| BootError::DataDir { path: path.to_path_buf(), source }
}

/// An opened data directory: the store, the signing keys, and the id/code sources.
pub struct DataDir {
    pub path: PathBuf,
    pub store: SqliteStore,
    pub jwt: JwtKeys,
    pub clock: Arc<dyn Clock>,
}

impl DataDir {
    /// Creates the directory if needed and opens its database. The JWT secret comes from
    /// `SMARTENROLL_JWT_SECRET`, or else from `<data-dir>/jwt-secret`, created on first use (mode
    /// 0600) so `serve` and `token issue` agree with nothing else configured.
    pub fn open(path: &Path) -> Result<Self, BootError> {
        fs::create_dir_all(path).map_err(io_err(path))?;
        let secret = match std::env::var(SECRET_ENV) {
            Ok(s) if !s.is_empty() => s.into_bytes(),
            _ => secret_file(&path.join(SECRET_FILE))?,
        };
        let jwt = JwtKeys::from_secret(&secret).map_err(|e| BootError::Config(format!("{SECRET_ENV}: {e}")))?;
        let store = SqliteStore::open(&path.join(DB_FILE)).map_err(|e| BootError::Store(e.to_string()))?;
        Ok(Self { path: path.to_path_buf(), store, jwt, clock: Arc::new(SystemClock) })
    }

    /// Takes the directory's server lock: one server process owns a data dir (its in-memory rate
    /// counters are only exact if no other server counts the same clients). Held while the file lives.
    pub fn lock_for_server(&self) -> Result<File, BootError> {
        let p = self.path.join(LOCK_FILE);
        let f = OpenOptions::new().create(true).truncate(false).write(true).open(&p).map_err(io_err(&p))?;
        f.try_lock().map_err(|_| BootError::Locked(self.path.clone()))?;
        Ok(f)
    }

    /// The handlers' dependencies over this directory.
    pub fn deps(self, limits: RateLimits) -> Result<Deps, BootError> {
        let mut process = [0u8; 5];
        let mut counter = [0u8; 4];
        getrandom::fill(&mut process).and_then(|()| getrandom::fill(&mut counter)).map_err(|e| BootError::Config(e.to_string()))?;
        let blobs =
            FsBlobs::open_encrypted(&self.path.join(BLOBS_DIR), &blob_key(&self.path)?).map_err(|e| BootError::Store(e.to_string()))?;
        let jobs = SqliteQueue::new(self.store.clone(), JOBS_QUEUE, JOB_MAX_RECEIVES);
        let webhook_queue: Arc<dyn JobQueue> = Arc::new(SqliteQueue::new(self.store.clone(), WEBHOOKS_QUEUE, JOB_MAX_RECEIVES));
        let store = Arc::new(self.store);
        let sender = smartenroll_gateways::webhooks::HttpWebhookSender::new(
            smartenroll_gateways::outbound::OutboundPolicy::from_env(),
            smartenroll_gateways::webhooks::DELIVERY_TIMEOUT,
        )
        .map_err(BootError::Config)?;
        let webhooks = Arc::new(smartenroll_api::webhooks::WebhookRuntime::new(
            store.clone(),
            store.clone(),
            webhook_queue,
            Arc::new(sender),
            retry_policy()?,
        ));
        Ok(Deps {
            projects: store.clone(),
            registrations: store.clone(),
            blocklists: store.clone(),
            webhooks: Some(webhooks),
            biometrics: None,
            remote_images: Arc::new(smartenroll_gateways::images::HttpImages::new(
                smartenroll_gateways::outbound::OutboundPolicy::from_env(),
            )),
            idempotency: store.clone(),
            clients: store,
            blobs: Arc::new(blobs),
            jobs: Arc::new(jobs),
            messenger: messenger_from_env()?,
            blacklist: Arc::new(
                smartenroll_gateways::HttpBlacklist::new(smartenroll_gateways::outbound::OutboundPolicy::from_env())
                    .map_err(BootError::Config)?,
            ),
            rate_limiter: Arc::new(MemoryRateLimiter::new()),
            limits,
            jwt: self.jwt,
            ids: Arc::new(ObjectIdGenerator::new(process, u32::from_be_bytes(counter), self.clock.clone())),
            clock: self.clock,
            codes: Arc::new(OsCodes),
            enrollment: enrollment_settings()?,
        })
    }
}

/// Where the face engine's models are (`scripts/fetch-models` fills `.cache/models`).
pub const MODELS_DIR_ENV: &str = "SMARTENROLL_MODELS_DIR";

/// An engine loaded from `dir` (models planned once, here, for the whole process), or `None` with
/// a warning that names the fix. Only the folder, the timing and the reason are logged.
fn load_engine<T, E: std::fmt::Display>(
    dir: &Path,
    engine: &str,
    checks: &str,
    load: impl FnOnce(&Path) -> Result<T, E>,
) -> Option<Arc<T>> {
    let started = std::time::Instant::now();
    match load(dir) {
        Ok(loaded) => {
            tracing::info!(models = %dir.display(), load_ms = started.elapsed().as_millis() as u64, "{engine} engine loaded");
            Some(Arc::new(loaded))
        }
        Err(e) => {
            tracing::warn!(error = %e, "{engine} engine off: {checks} checks go to a reviewer (run scripts/fetch-models)");
            None
        }
    }
}

/// The face engine from `dir`.
pub fn load_biometrics(dir: &Path) -> Option<Arc<smartenroll_biometrics::Biometrics>> {
    load_engine(dir, "face", "selfie", smartenroll_biometrics::Biometrics::load)
}

/// The document engine's OCR from `dir`.
pub fn load_ocr(dir: &Path) -> Option<Arc<dyn smartenroll_documents::DocumentReader>> {
    load_engine(dir, "document", "document", smartenroll_documents::ocr::Ocr::load)
        .map(|o| o as Arc<dyn smartenroll_documents::DocumentReader>)
}

/// Where the single-node server reads sanctions and PEP list files (default `<data dir>/screening`).
pub const SCREENING_DIR_ENV: &str = "SMARTENROLL_SCREENING_DIR";
/// The screening score from which a listed entry is a hit (0.5–1; default 0.88).
pub const SCREENING_THRESHOLD_ENV: &str = "SMARTENROLL_SCREENING_THRESHOLD";
/// A JSON file of information-verification and criminal-history endpoints (README, "Data sources").
pub const SOURCES_FILE_ENV: &str = "SMARTENROLL_SOURCES_FILE";

/// What document checks consult: the lists in `lists` (looked at again every 5 minutes), the data
/// sources described by `sources_json` (none when `None`), and background checks counted in
/// `limiter` against the operator's `backgroundChecks` limit.
pub fn check_sources(
    lists: Arc<dyn smartenroll_domain::ports::ListFiles>,
    sources_json: Option<&str>,
    limiter: Arc<dyn smartenroll_domain::ports::RateLimiter>,
    limits: &RateLimits,
) -> Result<smartenroll_api::jobs::CheckSources, BootError> {
    let threshold = match std::env::var(SCREENING_THRESHOLD_ENV).ok().filter(|v| !v.trim().is_empty()) {
        None => smartenroll_documents::screening::DEFAULT_THRESHOLD,
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|t| (0.5..=1.0).contains(t))
            .ok_or_else(|| BootError::Config(format!("{SCREENING_THRESHOLD_ENV} must be a number from 0.5 to 1")))?,
    };
    let data = match sources_json {
        None => None,
        Some(text) => {
            let config = smartenroll_gateways::sources::SourcesConfig::from_json(text).map_err(BootError::Config)?;
            let policy = smartenroll_gateways::outbound::OutboundPolicy::from_env();
            Some(Arc::new(smartenroll_gateways::sources::HttpSources::new(config, policy).map_err(BootError::Config)?)
                as Arc<dyn smartenroll_domain::sources::DataSources>)
        }
    };
    Ok(smartenroll_api::jobs::CheckSources {
        lists: Some(Arc::new(smartenroll_api::screening::ScreeningLists::new(lists, smartenroll_api::screening::REFRESH_EVERY, threshold))),
        data,
        limiter: Some((limiter, limits.limit(smartenroll_domain::ratelimit::Category::BackgroundChecks))),
    })
}

/// The single-node webhooks queue (in the same database as the jobs queue).
pub const WEBHOOKS_QUEUE: &str = "webhooks";

/// `SMARTENROLL_WEBHOOK_RETRY_SCHEDULE`: seconds after each failed attempt (default: 10 retries
/// over about a day, see `smartenroll_domain::webhook::DEFAULT_RETRY_DELAYS`).
pub fn retry_policy() -> Result<smartenroll_domain::webhook::RetryPolicy, BootError> {
    match std::env::var("SMARTENROLL_WEBHOOK_RETRY_SCHEDULE") {
        Ok(spec) if !spec.trim().is_empty() => smartenroll_domain::webhook::RetryPolicy::parse(&spec)
            .map_err(|e| BootError::Config(format!("SMARTENROLL_WEBHOOK_RETRY_SCHEDULE: {e}"))),
        _ => Ok(Default::default()),
    }
}

/// `SMARTENROLL_PUBLIC_URL` and `SMARTENROLL_REGISTRATION_LIFETIME_HOURS`.
pub fn enrollment_settings() -> Result<smartenroll_api::deps::EnrollmentSettings, BootError> {
    let var = |name: &str| std::env::var(name).ok();
    smartenroll_api::deps::EnrollmentSettings::parse(
        var(PUBLIC_URL_ENV).as_deref(),
        var(LIFETIME_ENV).as_deref(),
        var(OTP_TTL_ENV).as_deref(),
    )
    .map_err(BootError::Config)
}

/// The message providers' settings, by variable name: `SMARTENROLL_MAILGUN_{API_KEY, DOMAIN, FROM,
/// BASE_URL}` and `SMARTENROLL_TWILIO_{ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, WHATSAPP_FROM, BASE_URL}`.
/// `lookup` reads the environment, or (AWS) a Secrets Manager secret's JSON object with these keys.
pub fn gateway_settings(
    lookup: impl Fn(&str) -> Option<String>,
) -> (Option<smartenroll_gateways::MailgunConfig>, Option<smartenroll_gateways::TwilioConfig>) {
    let get = |k: &str| lookup(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let mailgun = match (get("SMARTENROLL_MAILGUN_API_KEY"), get("SMARTENROLL_MAILGUN_DOMAIN"), get("SMARTENROLL_MAILGUN_FROM")) {
        (Some(api_key), Some(domain), Some(from)) => Some(smartenroll_gateways::MailgunConfig {
            base_url: get("SMARTENROLL_MAILGUN_BASE_URL").unwrap_or_else(|| "https://api.mailgun.net".into()),
            domain,
            api_key,
            from,
        }),
        _ => None,
    };
    let twilio = match (get("SMARTENROLL_TWILIO_ACCOUNT_SID"), get("SMARTENROLL_TWILIO_AUTH_TOKEN")) {
        (Some(account_sid), Some(auth_token)) => Some(smartenroll_gateways::TwilioConfig {
            base_url: get("SMARTENROLL_TWILIO_BASE_URL").unwrap_or_else(|| "https://api.twilio.com".into()),
            account_sid,
            auth_token,
            sms_from: get("SMARTENROLL_TWILIO_SMS_FROM"),
            whatsapp_from: get("SMARTENROLL_TWILIO_WHATSAPP_FROM"),
        }),
        _ => None,
    };
    (mailgun, twilio)
}

/// The providers configured in the environment (single node).
pub fn messenger_from_env() -> Result<Arc<dyn smartenroll_domain::ports::Messenger>, BootError> {
    let (mailgun, twilio) = gateway_settings(|k| std::env::var(k).ok());
    Ok(Arc::new(smartenroll_gateways::HttpMessenger::new(mailgun, twilio).map_err(BootError::Config)?))
}

/// Rate limits: the documented defaults, then `SMARTENROLL_RATE_LIMITS`, then the command line.
pub fn rate_limits(cli: Option<&str>) -> Result<RateLimits, BootError> {
    let mut limits = RateLimits::default();
    if let Ok(env) = std::env::var(RATE_LIMITS_ENV) {
        limits = limits.with_overrides(&env).map_err(|e| BootError::Config(format!("{RATE_LIMITS_ENV}: {e}")))?;
    }
    if let Some(spec) = cli {
        limits = limits.with_overrides(spec).map_err(|e| BootError::Config(format!("--rate-limits: {e}")))?;
    }
    Ok(limits)
}

/// The blob encryption key: `SMARTENROLL_BLOB_KEY` (64 hex digits; keep it outside the data
/// directory, e.g. from a secret manager, so that a copy of the directory alone reveals no image),
/// or else `<data-dir>/blob-key`, created on first use (mode 0600), which still keeps the images out
/// of any copy of the blob folder on its own.
fn blob_key(dir: &Path) -> Result<[u8; 32], BootError> {
    let text = match std::env::var(BLOB_KEY_ENV) {
        Ok(s) if !s.trim().is_empty() => s.trim().as_bytes().to_vec(),
        _ => secret_file(&dir.join(BLOB_KEY_FILE))?,
    };
    let bytes = hex::decode(&text)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| BootError::Config(format!("{BLOB_KEY_ENV}: must be 64 hexadecimal digits (256 bits)")))?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    Ok(key)
}

fn secret_file(p: &Path) -> Result<Vec<u8>, BootError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| BootError::Config(e.to_string()))?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(p) {
        Ok(mut f) => {
            let text = hex::encode(bytes);
            f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(io_err(p))?;
            Ok(text.into_bytes())
        }
        // Another process created it first (or it exists from an earlier run): use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut text = String::new();
            File::open(p).and_then(|mut f| f.read_to_string(&mut text)).map_err(io_err(p))?;
            Ok(text.trim().as_bytes().to_vec())
        }
        Err(e) => Err(io_err(p)(e)),
    }
}

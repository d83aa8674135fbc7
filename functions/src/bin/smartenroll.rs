//! `smartenroll`: the operator CLI and the single-node server.
//!
//! - `smartenroll serve [--addr 127.0.0.1:8080] [--data-dir ./data]`
//! - `smartenroll client create --name <name> [--email <e>] [--phone <p>]`
//! - `smartenroll token issue --client <clientId> [--days 30]`
//! - `smartenroll face compare A.jpg B.jpg [--mode FAST|ACCURATE]`, `smartenroll face liveness IMG`,
//!   `smartenroll face eval DIR`: the face engine on the operator's own photos, as JSON

use clap::{Parser, Subcommand};
use smartenroll_api::Deps;
use smartenroll_api::auth::CLIENT_TOKEN_DAYS;
use smartenroll_domain::client::Client;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ratelimit::RateLimits;
use smartenroll_functions::bootstrap::{self, DataDir};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "smartenroll", version, about = "SmartEnroll Self-Hosted: KYC/KYB onboarding you run yourself")]
struct Cli {
    /// Where the single-node store, the JWT secret and the server lock live.
    #[arg(long, global = true, default_value = "./data", env = "SMARTENROLL_DATA_DIR")]
    data_dir: PathBuf,
    /// `embedded` (SQLite in the data dir) or `aws` (DynamoDB from the standard AWS environment,
    /// `AWS_ENDPOINT_URL` included; table `SMARTENROLL_TABLE`; secret `SMARTENROLL_JWT_SECRET_ARN`
    /// or `SMARTENROLL_JWT_SECRET`).
    #[arg(long, global = true, value_enum, default_value_t = Backend::Embedded, env = "SMARTENROLL_BACKEND")]
    backend: Backend,
    /// With `--backend aws`: create the table, bucket and jobs queue first if they do not exist
    /// (local AWS-protocol servers).
    #[arg(long, global = true, alias = "create-resources")]
    create_table: bool,
    /// The face engine's models (filled by scripts/fetch-models). Without them selfie checks go to
    /// a reviewer, saying why.
    #[arg(long, global = true, default_value = ".cache/models", env = "SMARTENROLL_MODELS_DIR")]
    models_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the single-node server on the embedded store.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "SMARTENROLL_ADDR")]
        addr: String,
        /// Per-minute limits per client, e.g. `projects=1000,documentVerification=40`.
        #[arg(long)]
        rate_limits: Option<String>,
        /// Job workers in this process (0: none; the queued jobs wait for a server that has some).
        #[arg(long, default_value_t = 1, env = "SMARTENROLL_WORKERS")]
        workers: usize,
    },
    /// Manage clients (operator accounts).
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Manage client tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Try the face engine on your own photos (prints JSON).
    Face {
        #[command(subcommand)]
        command: smartenroll_functions::face_cli::FaceCommand,
    },
    /// Check a document's machine-readable zone (ICAO 9303) typed as its lines.
    Mrz {
        #[command(subcommand)]
        command: smartenroll_functions::document_cli::MrzCommand,
    },
    /// Read a document image as the document worker does (prints JSON).
    Document {
        #[command(subcommand)]
        command: smartenroll_functions::document_cli::DocumentCommand,
    },
    /// Print the API's OpenAPI 3.1 document (what `GET /openapi.json` serves; the committed copy is
    /// shared/api/openapi.json).
    Openapi,
    /// Screen a name against the sanctions and PEP list files (prints the hits as JSON).
    Screen {
        name: String,
        /// The date of birth, to corroborate or weaken a hit.
        #[arg(long)]
        dob: Option<String>,
        /// The nationality as an ISO alpha-2 code (`co`), to corroborate a hit.
        #[arg(long)]
        country: Option<String>,
        /// The folder of list files (default: the server's, `<data dir>/screening`).
        #[arg(long, env = "SMARTENROLL_SCREENING_DIR")]
        lists: Option<PathBuf>,
        #[arg(long, default_value_t = smartenroll_documents::screening::DEFAULT_THRESHOLD)]
        threshold: f64,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
enum Backend {
    Embedded,
    Aws,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Create a client and print its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a client token (HS256 JWT with clientId, iat, exp, jti).
    Issue {
        #[arg(long)]
        client: String,
        #[arg(long, default_value_t = CLIENT_TOKEN_DAYS)]
        days: i64,
    },
}

/// mimalloc: request handling is allocation-heavy (JSON documents in and out); glibc's allocator
/// was the largest single cost in the GET benchmark's profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SMARTENROLL_LOG").unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    if std::env::var("SMARTENROLL_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The handlers' dependencies over the chosen backend, and the embedded backend's server lock
/// when `lock` is asked for (held for as long as it lives).
/// The handlers' dependencies for `cli.backend`, the data directory's lock (single node) and, on
/// the AWS backend, the table (for the outbox relay).
async fn open(
    cli: &Cli,
    limits: RateLimits,
    lock: bool,
) -> Result<(Deps, Option<std::fs::File>, Option<smartenroll_aws::dynamo::DynamoStore>), String> {
    match cli.backend {
        Backend::Embedded => {
            let dir = DataDir::open(&cli.data_dir).map_err(|e| e.to_string())?;
            let held = if lock { Some(dir.lock_for_server().map_err(|e| e.to_string())?) } else { None };
            Ok((dir.deps(limits).map_err(|e| e.to_string())?, held, None))
        }
        Backend::Aws => {
            use smartenroll_functions::aws;
            let conf = smartenroll_aws::sdk_config().await;
            let (deps, table) = aws::deps_from_env(&conf, limits, aws::ALL_ADAPTERS).await.map_err(|e| e.to_string())?;
            if cli.create_table {
                aws::create_resources(&conf, &table).await.map_err(|e| e.to_string())?;
            }
            Ok((deps, None, Some(table)))
        }
    }
}

/// The lists (`SMARTENROLL_SCREENING_DIR`, default `<data dir>/screening`) and data sources
/// (`SMARTENROLL_SOURCES_FILE`) the server's document checks consult.
fn screening_and_sources(cli: &Cli, deps: &smartenroll_api::Deps) -> Result<smartenroll_api::jobs::CheckSources, String> {
    let dir = std::env::var(bootstrap::SCREENING_DIR_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| cli.data_dir.join("screening"));
    let sources = match std::env::var(bootstrap::SOURCES_FILE_ENV).ok().filter(|v| !v.is_empty()) {
        Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| format!("{}: {path}: {e}", bootstrap::SOURCES_FILE_ENV))?),
        None => None,
    };
    let lists = std::sync::Arc::new(smartenroll_adapters::files::DirListFiles::new(dir));
    bootstrap::check_sources(lists, sources.as_deref(), deps.rate_limiter.clone(), &deps.limits).map_err(|e| e.to_string())
}

/// Concurrent webhook attempts of a single-node server.
const WEBHOOK_WORKERS: usize = 8;

/// The embedded backend's queues (jobs and webhooks), to release at start.
fn dir_queues(cli: &Cli) -> Option<Vec<smartenroll_adapters::queue::SqliteQueue>> {
    if cli.backend != Backend::Embedded {
        return None;
    }
    let store = smartenroll_adapters::sqlite::SqliteStore::open(&cli.data_dir.join(smartenroll_functions::bootstrap::DB_FILE)).ok()?;
    Some(
        [smartenroll_adapters::queue::JOBS_QUEUE, smartenroll_functions::bootstrap::WEBHOOKS_QUEUE]
            .into_iter()
            .map(|name| smartenroll_adapters::queue::SqliteQueue::new(store.clone(), name, 1))
            .collect(),
    )
}

async fn run(cli: Cli) -> Result<(), String> {
    match &cli.command {
        Command::Serve { addr, rate_limits, workers } => {
            let limits = bootstrap::rate_limits(rate_limits.as_deref()).map_err(|e| e.to_string())?;
            let (mut deps, _lock, table) = open(&cli, limits, true).await?;
            // Planned once here, before the server says it is listening.
            deps.biometrics = bootstrap::load_biometrics(&cli.models_dir);
            let ocr = bootstrap::load_ocr(&cli.models_dir);
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            // Tests and scripts wait for this line (the port is chosen by the OS with --addr ...:0).
            println!("smartenroll listening on http://{local}");
            tracing::info!(%local, backend = ?cli.backend, "serving");
            // The server also works its job queue (in AWS the jobs-worker function does), unless on
            // the AWS backend without a queue configured.
            let has_queue = *workers > 0
                && (cli.backend == Backend::Embedded
                    || std::env::var(smartenroll_functions::aws::JOBS_QUEUE_ENV).is_ok_and(|v| !v.is_empty()));
            let job_deps = smartenroll_api::jobs::JobDeps {
                blobs: deps.blobs.clone(),
                registrations: deps.registrations.clone(),
                clock: deps.clock.clone(),
                ids: deps.ids.clone(),
                webhooks: deps.webhooks.clone(),
                biometrics: deps.biometrics.clone(),
                ocr,
                sources: screening_and_sources(&cli, &deps)?,
            };
            if let Some(dir) = dir_queues(&cli) {
                // This process holds the data directory: receives still in flight belong to a
                // process that is gone (killed), so their jobs are due again now.
                for q in dir {
                    match q.release_in_flight().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(released = n, "jobs cut short by the previous process are due again"),
                        Err(e) => tracing::warn!(error = %e, "could not release in-flight jobs; they wait out their visibility timeout"),
                    }
                }
            }
            let wake = smartenroll_adapters::sqlite::SqliteStore::job_signal();
            let mut tasks = Vec::new();
            for _ in 0..if has_queue { *workers } else { 0 } {
                tasks.push(tokio::spawn(smartenroll_functions::worker::run_local(
                    job_deps.clone(),
                    deps.jobs.clone(),
                    10,
                    Some(wake.clone()),
                )));
            }
            // Webhook attempts one at a time per task, so a slow receiver holds only the tasks
            // working for it (at most PER_WEBHOOK_CONCURRENCY of them), never the others' turn.
            if let (true, Some(rt)) = (has_queue, &deps.webhooks) {
                for _ in 0..WEBHOOK_WORKERS {
                    tasks.push(tokio::spawn(smartenroll_functions::worker::run_local(
                        job_deps.clone(),
                        rt.queue.clone(),
                        1,
                        Some(wake.clone()),
                    )));
                }
            }
            if has_queue {
                let every =
                    std::env::var("SMARTENROLL_SWEEP_SECONDS").ok().and_then(|v| v.parse::<u64>().ok()).filter(|s| *s > 0).unwrap_or(60);
                tasks.push(tokio::spawn(smartenroll_functions::worker::run_local_sweeper(
                    job_deps.clone(),
                    std::time::Duration::from_secs(every),
                )));
            }
            if let (true, Some(table)) = (has_queue, table) {
                tasks.push(tokio::spawn(smartenroll_functions::worker::run_local_relay(table, deps.jobs.clone())));
            }
            smartenroll_functions::server::serve(listener, deps, &[], shutdown_signal()).await.map_err(|e| e.to_string())?;
            // A job cut short is not lost: it is delivered again after its visibility timeout.
            for task in tasks {
                task.abort();
            }
            tracing::info!("stopped");
            Ok(())
        }
        Command::Face { command } => smartenroll_functions::face_cli::run(&cli.models_dir, command),
        Command::Mrz { command } => smartenroll_functions::document_cli::run(command),
        Command::Document { command } => smartenroll_functions::document_cli::read(&cli.models_dir, command),
        Command::Openapi => {
            print!("{}", smartenroll_api::openapi::pretty());
            Ok(())
        }
        Command::Screen { name, dob, country, lists, threshold } => {
            let lists = lists.clone().unwrap_or_else(|| cli.data_dir.join("screening"));
            smartenroll_functions::document_cli::screen(&lists, name, dob.as_deref(), country.as_deref(), *threshold)
        }
        Command::Client { command: ClientCommand::Create { name, email, phone } } => {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                return Err("--name must be 1 to 100 characters".into());
            }
            let (deps, _, _) = open(&cli, RateLimits::default(), false).await?;
            let id = ClientId::parse(&deps.ids.object_id()).map_err(|e| e.to_string())?;
            let client = Client::new(id.clone(), name, email.clone(), phone.clone(), deps.clock.now());
            deps.clients.insert(&client).await.map_err(|e| e.to_string())?;
            println!("{id}");
            Ok(())
        }
        Command::Token { command: TokenCommand::Issue { client, days } } => {
            if !(1..=365).contains(days) {
                return Err("--days must be from 1 to 365".into());
            }
            let id = ClientId::parse(client).map_err(|_| format!("--client: {client:?} is not a client id"))?;
            let (deps, _, _) = open(&cli, RateLimits::default(), false).await?;
            let record = deps
                .clients
                .get(&id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("unknown client {id}: create it first with `smartenroll client create`"))?;
            let token = deps.jwt.issue_client_token(&record, deps.clock.now(), days * 86_400)?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

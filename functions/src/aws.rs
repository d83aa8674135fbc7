//! Wiring for AWS mode: `Deps` over DynamoDB from the environment, and the Lambda entrypoint every
//! per-endpoint function binary calls. Config is read once per cold start; SDK clients are built
//! once and reused by every invocation.

use crate::bootstrap::{BootError, SECRET_ENV};
use smartenroll_api::Deps;
use smartenroll_api::auth::JwtKeys;
use smartenroll_api::deps::OsCodes;
use smartenroll_api::routes::handler_for;
use smartenroll_aws::dynamo::DynamoStore;
use smartenroll_domain::clock::{Clock, SystemClock};
use smartenroll_domain::ids::ObjectIdGenerator;
use smartenroll_domain::ratelimit::RateLimits;
use std::sync::Arc;

/// The DynamoDB table holding clients, projects and rate-limit counters.
pub const TABLE_ENV: &str = "SMARTENROLL_TABLE";

/// Handlers' dependencies over DynamoDB. In AWS mode the JWT secret must come from the
/// environment (the template fills it from Secrets Manager); there is no data directory.
pub async fn deps_from_env(limits: RateLimits) -> Result<(Deps, DynamoStore), BootError> {
    let table = std::env::var(TABLE_ENV).map_err(|_| BootError::Config(format!("{TABLE_ENV} must name the DynamoDB table")))?;
    let secret = std::env::var(SECRET_ENV).map_err(|_| BootError::Config(format!("{SECRET_ENV} must be set in AWS mode")))?;
    let jwt = JwtKeys::from_secret(secret.as_bytes()).map_err(|e| BootError::Config(format!("{SECRET_ENV}: {e}")))?;
    let conf = smartenroll_aws::sdk_config().await;
    let store = DynamoStore::from_conf(&conf, table);
    let shared = Arc::new(store.clone());
    let mut process = [0u8; 5];
    let mut counter = [0u8; 4];
    getrandom::fill(&mut process).and_then(|()| getrandom::fill(&mut counter)).map_err(|e| BootError::Config(e.to_string()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let deps = Deps {
        projects: shared.clone(),
        clients: shared.clone(),
        rate_limiter: shared,
        limits,
        jwt,
        ids: Arc::new(ObjectIdGenerator::new(process, u32::from_be_bytes(counter), clock.clone())),
        clock,
        codes: Arc::new(OsCodes),
    };
    Ok((deps, store))
}

/// The whole `main` of a per-endpoint Lambda function: JSON logs, `Deps` once, then the runtime
/// loop calling the shared handler for `function` (a name from the routing table).
pub async fn run_lambda(function: &'static str) -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SMARTENROLL_LOG").unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .without_time()
        .init();
    let handler = handler_for(function).ok_or_else(|| format!("{function} is not in the routing table"))?;
    let limits = crate::bootstrap::rate_limits(None)?;
    let (deps, _) = deps_from_env(limits).await?;
    // Lives as long as the process, like the runtime loop that uses it.
    let deps: &'static Deps = Box::leak(Box::new(deps));
    lambda_http::run(lambda_http::service_fn(move |req| async move { Ok::<_, lambda_http::Error>(handler(deps, req).await) })).await
}

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
/// The Secrets Manager secret holding the JWT signing secret (what the SAM template sets).
pub const SECRET_ARN_ENV: &str = "SMARTENROLL_JWT_SECRET_ARN";

/// The DynamoDB actions each function's handler performs (on the table, and on its `gsi1` index
/// where it lists). The SAM template grants exactly these and nothing else; a test compares them.
pub const TABLE_ACTIONS: &[(&str, &[&str])] = &[
    ("projects-create", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
    ("projects-list", &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]),
    ("projects-get", &["dynamodb:GetItem", "dynamodb:UpdateItem"]),
    ("projects-update", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
    ("projects-delete", &["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]),
    ("auth-renew-and-revoke", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]),
    ("auth-session", &["dynamodb:GetItem", "dynamodb:UpdateItem"]),
];

/// Functions that query the table's `gsi1` index.
pub const USES_INDEX: &[&str] = &["projects-list"];

/// Handlers' dependencies over DynamoDB. The JWT secret is read from Secrets Manager
/// (`SMARTENROLL_JWT_SECRET_ARN`, how the template configures functions) or, for local runs,
/// taken from `SMARTENROLL_JWT_SECRET`; there is no data directory in AWS mode.
pub async fn deps_from_env(limits: RateLimits) -> Result<(Deps, DynamoStore), BootError> {
    let table = std::env::var(TABLE_ENV).map_err(|_| BootError::Config(format!("{TABLE_ENV} must name the DynamoDB table")))?;
    let conf = smartenroll_aws::sdk_config().await;
    let secret = match (std::env::var(SECRET_ARN_ENV), std::env::var(SECRET_ENV)) {
        (Ok(arn), _) if !arn.is_empty() => smartenroll_aws::secrets::secret_string(&conf, &arn).await.map_err(BootError::Config)?,
        (_, Ok(secret)) if !secret.is_empty() => secret,
        _ => return Err(BootError::Config(format!("set {SECRET_ARN_ENV} (or {SECRET_ENV} for local runs)"))),
    };
    let jwt = JwtKeys::from_secret(secret.as_bytes()).map_err(|e| BootError::Config(format!("JWT secret: {e}")))?;
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

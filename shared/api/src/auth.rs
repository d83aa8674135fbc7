//! Client tokens: HS256 JWTs with `clientId`, `iat`, `exp`, `jti` (the reference's claim set), plus
//! `aud` — which kind of token it is, so an enrollee token never works where a client token is
//! required — and `gen`, the client's token generation, so "renew and revoke" can revoke every
//! earlier token at once. Expiry is checked against the injected clock, not the wall clock, so
//! tests and fixtures with a fixed clock behave the same as production.

use crate::Deps;
use crate::error::ApiError;
use crate::http::{Reply, set_rate_headers};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use smartenroll_domain::client::Client;
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ports::Admission;
use smartenroll_domain::ratelimit::{Category, RateDecision, RateKey};

pub const CLIENT_AUDIENCE: &str = "smartenroll:client";
/// Enrollee tokens: bound to one registration, its project and flow.
pub const ENROLLEE_AUDIENCE: &str = "smartenroll:enrollee";
/// Active-liveness challenges (`POST /v2/face-recognition/liveness/challenge`): which turns, for
/// whom, until when. Stateless: the answer must come from the same caller before it expires.
pub const CHALLENGE_AUDIENCE: &str = "smartenroll:liveness-challenge";
/// The reference's client-token lifetime.
pub const CLIENT_TOKEN_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientClaims {
    #[serde(rename = "clientId")]
    pub client_id: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub aud: String,
    #[serde(default, rename = "gen")]
    pub generation: u32,
}

/// An enrollee token's claims: `appRegistrationId` (the reference's claim name), the client,
/// project and flow it is bound to, and `purpose` (`enroll`, or `continue` for a resend-link token).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolleeClaims {
    #[serde(rename = "appRegistrationId")]
    pub registration_id: String,
    #[serde(rename = "clientId")]
    pub client_id: String,
    pub project: String,
    #[serde(rename = "projectFlow")]
    pub flow: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub aud: String,
    pub purpose: String,
}

/// An active-liveness challenge's claims: `sub` is the client id (client token) or the
/// registration id (enrollee token) it was issued to; `turns` the head turns asked for, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeClaims {
    pub sub: String,
    pub turns: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub aud: String,
}

/// The signing secret, as keys ready to use. Built once per process.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    enrollee_validation: Validation,
    challenge_validation: Validation,
    /// Derived from the secret for keyed hashes of one-time codes and source addresses.
    pepper: [u8; 32],
}

impl JwtKeys {
    /// At least 32 bytes: HS256 with a shorter secret is guessable.
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the JWT signing secret must be at least 32 bytes".into());
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[CLIENT_AUDIENCE]);
        validation.set_required_spec_claims(&["aud"]);
        validation.validate_exp = false; // checked against the injected clock below
        validation.validate_nbf = false;
        let mut enrollee_validation = validation.clone();
        enrollee_validation.set_audience(&[ENROLLEE_AUDIENCE]);
        let mut challenge_validation = validation.clone();
        challenge_validation.set_audience(&[CHALLENGE_AUDIENCE]);
        let pepper = {
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).map_err(|e| e.to_string())?;
            mac.update(b"smartenroll pepper v1");
            mac.finalize().into_bytes().into()
        };
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            enrollee_validation,
            challenge_validation,
            pepper,
        })
    }

    /// A keyed hash (HMAC-SHA256 under a key derived from the signing secret), hex: one-time
    /// codes are stored only as this, so a copy of the store alone cannot recover them by trying
    /// the million possible codes.
    pub fn keyed_hash(&self, parts: &[&str]) -> String {
        use hmac::Mac;
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.pepper) else {
            return String::new();
        };
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// Mints an enrollee token for `registration`, valid `ttl_seconds` from `now`.
    pub fn issue_enrollee_token(
        &self,
        registration: &smartenroll_domain::registration::Registration,
        purpose: &str,
        now: Timestamp,
        ttl_seconds: i64,
    ) -> Result<String, String> {
        let mut jti = [0u8; 12];
        getrandom::fill(&mut jti).map_err(|e| format!("no randomness for the token id: {e}"))?;
        let claims = EnrolleeClaims {
            registration_id: registration.id.to_string(),
            client_id: registration.client.to_string(),
            project: registration.project.to_string(),
            flow: registration.flow.to_string(),
            iat: now.unix_seconds(),
            exp: now.unix_seconds() + ttl_seconds,
            jti: hex::encode(jti),
            aud: ENROLLEE_AUDIENCE.into(),
            purpose: purpose.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Signature, audience (a client token is refused here) and expiry.
    pub fn verify_enrollee_token(&self, token: &str, now: Timestamp) -> Result<EnrolleeClaims, ApiError> {
        let data = jsonwebtoken::decode::<EnrolleeClaims>(token, &self.decoding, &self.enrollee_validation)
            .map_err(|_| ApiError::Unauthorized("Invalid or expired token."))?;
        if data.claims.exp <= now.unix_seconds() {
            return Err(ApiError::Unauthorized("Invalid or expired token."));
        }
        Ok(data.claims)
    }

    /// Mints an active-liveness challenge for `subject` asking for `turns`, valid `ttl_seconds`.
    pub fn issue_challenge(&self, subject: &str, turns: &[&str], now: Timestamp, ttl_seconds: i64) -> Result<String, String> {
        let mut jti = [0u8; 12];
        getrandom::fill(&mut jti).map_err(|e| format!("no randomness for the challenge id: {e}"))?;
        let claims = ChallengeClaims {
            sub: subject.into(),
            turns: turns.iter().map(|t| (*t).to_string()).collect(),
            iat: now.unix_seconds(),
            exp: now.unix_seconds() + ttl_seconds,
            jti: hex::encode(jti),
            aud: CHALLENGE_AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Signature, audience (no other token is a challenge), expiry and subject.
    pub fn verify_challenge(&self, token: &str, subject: &str, now: Timestamp) -> Result<ChallengeClaims, ApiError> {
        let refused = || ApiError::Forbidden("challenge_invalid: the challenge is unknown, expired or was issued to another caller".into());
        let data = jsonwebtoken::decode::<ChallengeClaims>(token, &self.decoding, &self.challenge_validation).map_err(|_| refused())?;
        if data.claims.exp <= now.unix_seconds() || data.claims.sub != subject {
            return Err(refused());
        }
        Ok(data.claims)
    }

    /// Mints a client token valid for `ttl_seconds` from `now`.
    pub fn issue_client_token(&self, client: &Client, now: Timestamp, ttl_seconds: i64) -> Result<String, String> {
        let mut jti = [0u8; 12];
        getrandom::fill(&mut jti).map_err(|e| format!("no randomness for the token id: {e}"))?;
        let claims = ClientClaims {
            client_id: client.id.to_string(),
            iat: now.unix_seconds(),
            exp: now.unix_seconds() + ttl_seconds,
            jti: hex::encode(jti),
            aud: CLIENT_AUDIENCE.into(),
            generation: client.token_generation,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Signature, audience and expiry; the caller checks revocation against the client record.
    pub fn verify_client_token(&self, token: &str, now: Timestamp) -> Result<ClientClaims, ApiError> {
        let data = jsonwebtoken::decode::<ClientClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthorized("Invalid or expired token."))?;
        if data.claims.exp <= now.unix_seconds() {
            return Err(ApiError::Unauthorized("Invalid or expired token."));
        }
        Ok(data.claims)
    }
}

pub(crate) fn bearer(req: &Request) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::Unauthorized("Missing Authorization header"))?;
    // `Bearer <jwt>`, or the bare token as the reference's renew page sends it.
    Ok(match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    })
}

/// `let auth = authorized!(deps, req, Some(Category::Projects));` — the authorised caller, or an
/// early return of the 401/429 response.
#[macro_export]
macro_rules! authorized {
    ($deps:expr, $req:expr, $category:expr) => {
        match $crate::auth::authorize($deps, &$req, $category).await {
            Ok(auth) => auth,
            Err(response) => return response,
        }
    };
}

/// `let (auth, read) = authorized_with!(deps, req, category, |client| read(client));` — see
/// [`authorize_with`].
#[macro_export]
macro_rules! authorized_with {
    ($deps:expr, $req:expr, $category:expr, $read:expr) => {
        match $crate::auth::authorize_with($deps, &$req, $category, $read).await {
            Ok(both) => both,
            Err(response) => return response,
        }
    };
}

/// A request that passed authentication and its rate limit.
pub struct Authorized {
    pub client: Client,
    pub claims: ClientClaims,
    pub rate: Option<RateDecision>,
}

impl Authorized {
    /// The handler's outcome as a response, carrying the rate-limit headers either way.
    pub fn respond(&self, outcome: Result<Reply, ApiError>) -> Response<Body> {
        let mut resp = match outcome {
            Ok(reply) => reply.into_response(),
            Err(e) => e.into_response(),
        };
        if let Some(d) = &self.rate {
            set_rate_headers(&mut resp, d);
        }
        resp
    }
}

/// JWT verification, revocation check (the client exists and the token's generation is current),
/// then the client's rate limit for `category`. An `Err` is the finished response.
pub async fn authorize(deps: &Deps, req: &Request, category: Option<Category>) -> Result<Authorized, Response<Body>> {
    let step = async {
        let (claims, id) = verified_client(deps, req)?;
        admit(deps, claims, &id, category).await
    };
    step.await.map_err(ApiError::into_response)
}

/// [`authorize`] with the handler's first read run beside the admission (one round trip to the
/// store instead of two in a row). `read` gets the client id of a token whose signature and
/// expiry are already checked, so it is scoped to that tenant; its result reaches the handler only
/// once the token is admitted (not revoked, within the limit), and a refused token's response is
/// the same 401/429 as without the read.
pub async fn authorize_with<T, Fut>(
    deps: &Deps,
    req: &Request,
    category: Option<Category>,
    read: impl FnOnce(ClientId) -> Fut,
) -> Result<(Authorized, Result<T, ApiError>), Response<Body>>
where
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let (claims, id) = verified_client(deps, req).map_err(ApiError::into_response)?;
    let (admitted, read) = futures_util::future::join(admit(deps, claims, &id, category), read(id.clone())).await;
    Ok((admitted.map_err(ApiError::into_response)?, read))
}

/// The client a token names, once its signature and expiry are checked (not yet its revocation).
fn verified_client(deps: &Deps, req: &Request) -> Result<(ClientClaims, ClientId), ApiError> {
    let claims = deps.jwt.verify_client_token(bearer(req)?, deps.clock.now())?;
    let id = ClientId::parse(&claims.client_id).map_err(|_| ApiError::Unauthorized("Invalid or expired token."))?;
    Ok((claims, id))
}

async fn admit(deps: &Deps, claims: ClientClaims, id: &ClientId, category: Option<Category>) -> Result<Authorized, ApiError> {
    let now = deps.clock.now();
    // Counted only after the revocation check (in the same conditional write where the store
    // can), never alongside it: otherwise a leaked token, once revoked, could still be
    // replayed to keep its client at the limit.
    let key = category.map(|cat| (RateKey::at(id, cat, now.unix_seconds()), deps.limits.limit(cat)));
    let rate = key.as_ref().map(|(k, limit)| (k, *limit));
    let (client, rate) = match deps.clients.admit(id, claims.generation, rate, deps.rate_limiter.as_ref(), now).await? {
        Admission::Admitted { client, rate } => (client, rate),
        Admission::Unknown => return Err(ApiError::Unauthorized("Invalid or expired token.")),
        Admission::Limited(decision) => {
            return Err(ApiError::RateLimited { decision, retry_after: decision.reset_at - now.unix_seconds() });
        }
    };
    Ok(Authorized { client, claims, rate })
}

/// `POST /v2/auth/renew-and-revoke`: a new 30-day token; every token issued before it stops working.
pub async fn renew_and_revoke(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = async {
        let now = deps.clock.now();
        let mut next = auth.client.clone();
        next.token_generation += 1;
        next.version += 1;
        next.updated_at = now;
        deps.clients.replace(&next, auth.client.version).await?;
        let token = deps.jwt.issue_client_token(&next, now, CLIENT_TOKEN_DAYS * 86_400).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::Internal
        })?;
        tracing::info!(client = %next.id, generation = next.token_generation, "client tokens revoked and renewed");
        Reply::json(StatusCode::OK, &json!({"token": token, "tokenType": "bearer"}))
    };
    auth.respond(outcome.await)
}

/// `GET /v2/auth/session?origin=refresh&expiresIn=<months>`: a fresh token for the same client
/// (earlier tokens stay valid). `expiresIn` (or the GitBook spelling `expireIn`) is 1–12 months.
pub async fn session(deps: &Deps, req: Request) -> Response<Body> {
    let auth = crate::authorized!(deps, req, Some(Category::Projects));
    let outcome = (|| {
        let pairs = crate::http::query_pairs(&req);
        let months = pairs.iter().find(|(k, _)| k == "expiresIn" || k == "expireIn").map(|(_, v)| v.trim().parse::<i64>());
        let days = match months {
            None => CLIENT_TOKEN_DAYS,
            Some(Ok(m)) if (1..=12).contains(&m) => m * 30,
            Some(_) => {
                return Err(ApiError::Validation(vec![smartenroll_domain::error::FieldError::new(
                    "expiresIn",
                    "must be a whole number of months from 1 to 12",
                )]));
            }
        };
        let token = deps.jwt.issue_client_token(&auth.client, deps.clock.now(), days * 86_400).map_err(|e| {
            tracing::error!(error = %e, "token signing failed");
            ApiError::Internal
        })?;
        Reply::json(StatusCode::OK, &json!({"accessToken": token, "tokenType": "bearer"}))
    })();
    auth.respond(outcome)
}

/// A request carrying a valid enrollee token, within its registration's rate limit.
pub struct EnrolleeAuth {
    pub claims: EnrolleeClaims,
    pub client: ClientId,
    pub registration: smartenroll_domain::ids::RegistrationId,
    pub rate: RateDecision,
}

impl EnrolleeAuth {
    pub fn respond(&self, outcome: Result<Reply, ApiError>) -> Response<Body> {
        let mut resp = match outcome {
            Ok(reply) => reply.into_response(),
            Err(e) => e.into_response(),
        };
        set_rate_headers(&mut resp, &self.rate);
        resp
    }
}

fn enrollee_from_claims(claims: EnrolleeClaims) -> Result<(EnrolleeClaims, ClientId, smartenroll_domain::ids::RegistrationId), ApiError> {
    let bad = || ApiError::Unauthorized("Invalid or expired token.");
    let client = ClientId::parse(&claims.client_id).map_err(|_| bad())?;
    let registration = smartenroll_domain::ids::RegistrationId::parse(&claims.registration_id).map_err(|_| bad())?;
    Ok((claims, client, registration))
}

/// Enrollee-token authentication (a client token is refused) and the per-registration rate
/// limit, which is counted apart from the operator's budget. An `Err` is the finished response.
pub async fn authorize_enrollee(deps: &Deps, req: &Request) -> Result<EnrolleeAuth, Response<Body>> {
    authorize_enrollee_with(deps, req, |_, _| async { Ok(()) }).await.map(|(auth, _)| auth)
}

/// [`authorize_enrollee`] with the handler's first read (of the token's registration) run beside
/// the rate-limit count: one round trip instead of two. Its result reaches the handler only once
/// the request is counted within the limit.
pub async fn authorize_enrollee_with<T, Fut>(
    deps: &Deps,
    req: &Request,
    read: impl FnOnce(ClientId, smartenroll_domain::ids::RegistrationId) -> Fut,
) -> Result<(EnrolleeAuth, Result<T, ApiError>), Response<Body>>
where
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let now = deps.clock.now();
    let verified = bearer(req).and_then(|t| deps.jwt.verify_enrollee_token(t, now)).and_then(enrollee_from_claims);
    let (claims, client, registration) = verified.map_err(ApiError::into_response)?;
    let key = RateKey::for_registration(&registration, now.unix_seconds());
    let (rate, read) = futures_util::future::join(
        deps.rate_limiter.hit(&key, deps.limits.limit(Category::Enrollee), now),
        read(client.clone(), registration.clone()),
    )
    .await;
    let rate = rate.map_err(|e| ApiError::from(e).into_response())?;
    if !rate.allowed {
        return Err(ApiError::RateLimited { decision: rate, retry_after: rate.reset_at - now.unix_seconds() }.into_response());
    }
    Ok((EnrolleeAuth { claims, client, registration, rate }, read))
}

/// `let auth = enrollee!(deps, req);` — the enrollee, or an early return of the 401/429 response.
#[macro_export]
macro_rules! enrollee {
    ($deps:expr, $req:expr) => {
        match $crate::auth::authorize_enrollee($deps, &$req).await {
            Ok(auth) => auth,
            Err(response) => return response,
        }
    };
}

/// Who is calling an endpoint that takes either token.
pub enum Caller {
    Operator(Authorized),
    Enrollee(EnrolleeAuth),
}

impl Caller {
    pub fn respond(&self, outcome: Result<Reply, ApiError>) -> Response<Body> {
        match self {
            Caller::Operator(a) => a.respond(outcome),
            Caller::Enrollee(e) => e.respond(outcome),
        }
    }
}

/// A client token goes through [`authorize`], an enrollee token through [`authorize_enrollee`]:
/// the token's own audience decides (its signature is checked either way).
pub async fn authorize_either(deps: &Deps, req: &Request, category: Category) -> Result<Caller, Response<Body>> {
    let is_enrollee = bearer(req).is_ok_and(|t| deps.jwt.verify_enrollee_token(t, deps.clock.now()).is_ok());
    if is_enrollee {
        authorize_enrollee(deps, req).await.map(Caller::Enrollee)
    } else {
        authorize(deps, req, Some(category)).await.map(Caller::Operator)
    }
}

//! Who gets in where: the auth matrix. Every route of the routing table is called with every
//! credential that must not work for it (none, malformed, `alg: none`, a wrong signature, expired,
//! revoked, the other kind of token, another client's token), and each answer must be the
//! documented 401 (credential) or 404 (someone else's resource) with `{message, code}`, never a
//! 5xx and never a byte of the other tenant's data. The cases come from `ROUTES` and each route's
//! declared [`Access`], so a route added without an access, or with a path parameter this file has
//! no resource for, fails here.

use crate::enrollment::{activate, demo_project};
use crate::helpers::{Reply, Server, Tenant};
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use smartenroll_api::routes::{Access, ROUTES};
use std::collections::BTreeMap;

const B64: base64::engine::general_purpose::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A genuine token's claims, re-signed or re-encoded: the forgeries of the matrix.
struct Forger {
    secret: Vec<u8>,
}

impl Forger {
    fn claims(token: &str) -> Value {
        let payload = token.split('.').nth(1).expect("a JWT has a payload");
        serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
    }

    fn sign(&self, claims: &Value, key: &[u8]) -> String {
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        jsonwebtoken::encode(&header, claims, &jsonwebtoken::EncodingKey::from_secret(key)).expect("sign")
    }

    /// The same claims with `alg: none` and no signature.
    fn unsigned(token: &str) -> String {
        let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        format!("{header}.{}.", token.split('.').nth(1).expect("payload"))
    }

    fn wrong_signature(&self, token: &str) -> String {
        self.sign(&Self::claims(token), b"not-the-server-secret-but-32-bytes-long!")
    }

    /// Signed with the real secret, expired an hour ago.
    fn expired(&self, token: &str) -> String {
        let mut claims = Self::claims(token);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64;
        claims["iat"] = json!(now - 7200);
        claims["exp"] = json!(now - 3600);
        self.sign(&claims, &self.secret)
    }
}

/// Tenant A's resources, which every other caller must be refused, and its words that must never
/// appear in an answer to anyone else.
struct Victim {
    tenant: Tenant,
    ids: BTreeMap<&'static str, String>,
    enrollee: String,
    /// Values only A's data holds (names, email, URL): none may leak to another caller.
    secrets: Vec<String>,
}

impl Victim {
    /// The route's path with A's resources in its parameters.
    fn path(&self, pattern: &str) -> String {
        let mut out = Vec::new();
        let segments: Vec<&str> = pattern.split('/').collect();
        for (i, s) in segments.iter().enumerate() {
            if !(s.starts_with('{') && s.ends_with('}')) {
                out.push(s.to_string());
                continue;
            }
            let kind = match (segments[i - 1], &s[1..s.len() - 1]) {
                ("projects", "id") => "project",
                ("project-flows", "id") => "flow",
                ("app-registrations", "id") => "registration",
                ("email-validations", "id") => "email-validation",
                ("webhooks", "id") => "webhook",
                ("deliveries", "deliveryId") => "delivery",
                ("evidence", "ticket") => "ticket",
                ("sign-up", "projectId") => "project",
                ("assets", "file") => "asset",
                ("branding", "image") => "branding-image",
                (parent, name) => {
                    panic!("no resource of tenant A for the parameter {{{name}}} after /{parent}/: add one to the auth matrix")
                }
            };
            out.push(self.ids.get(kind).unwrap_or_else(|| panic!("tenant A has no {kind}")).clone());
        }
        out.join("/")
    }
}

/// A body plausible enough that only the credential or the tenant can be the reason for a refusal.
fn body_for(function: &str, victim: &Victim) -> Option<Value> {
    let project = victim.ids.get("project").cloned().unwrap_or_default();
    let flow = victim.ids.get("flow").cloned().unwrap_or_default();
    Some(match function {
        "projects-create" => crate::helpers::step_one("Matrix probe"),
        "projects-update" | "project-flows-update" => json!({"name": "Hijacked"}),
        "project-flows-create" => json!({"project": project, "type": "onboarding"}),
        "project-flows-blacklist" => json!({"emails": ["x@example.com"]}),
        "registrations-create" => json!({"project": project, "projectFlow": flow, "email": "probe@example.com"}),
        "registrations-review" => json!({"decision": "approve", "reasonCode": "probe", "note": "probe"}),
        "registrations-sync" => json!({"step": "document", "status": "completed"}),
        "email-validations-send" => json!({"email": "probe@example.com"}),
        "email-validations-check" => json!({"email": "probe@example.com", "otp": "000000"}),
        "phone-validations-send" => json!({"phone": "3001234567", "countryCode": "+57"}),
        "phone-validations-check" => json!({"phone": "3001234567", "countryCode": "+57", "otp": "000000"}),
        "webhooks-create" => json!({"name": "probe", "url": "http://127.0.0.1:9/probe"}),
        "webhooks-update" => json!({"name": "Hijacked"}),
        _ if function.starts_with("face-") || function.ends_with("-submit") => json!({"image": "aGVsbG8="}),
        _ => return None,
    })
}

struct Matrix<'a> {
    server: &'a Server,
    victim: &'a Victim,
    cases: usize,
    routes: usize,
}

impl Matrix<'_> {
    async fn call(&self, method: &str, path: &str, function: &str, token: Option<&str>) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        self.server.call(method, path, token, body_for(function, self.victim).as_ref()).await
    }

    /// The answer is a refusal with one of `allowed` statuses, in the error shape, with none of
    /// A's data (the parameters of the request itself aside).
    fn refused(&mut self, what: &str, route: &str, path: &str, r: &Reply, allowed: &[u16]) {
        self.cases += 1;
        assert!(
            allowed.contains(&r.status.as_u16()),
            "{route} with {what}: status {} (wanted one of {allowed:?}), body {}",
            r.status,
            r.body
        );
        assert!(r.body["code"].as_str().is_some_and(|c| !c.is_empty()), "{route} with {what}: no error code in {}", r.body);
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{route} with {what}: no message in {}", r.body);
        self.no_data(what, route, path, r);
    }

    /// Whatever the status, no 5xx and nothing of A's in the answer.
    fn no_data(&self, what: &str, route: &str, path: &str, r: &Reply) {
        assert!(r.status.as_u16() < 500, "{route} with {what}: {} {}", r.status, r.body);
        let text = r.body.to_string();
        for secret in self.victim.secrets.iter().filter(|s| !path.contains(s.as_str())) {
            assert!(!text.contains(secret.as_str()), "{route} with {what} answered tenant A's data ({secret}): {text}");
        }
    }
}

#[tokio::test]
async fn every_route_refuses_every_credential_that_is_not_its_own_and_never_shows_another_tenants_data() {
    let server = Server::start(&[]);
    let secret = std::fs::read_to_string(server.data_dir.join("jwt-secret")).expect("the server created its secret");
    auth_matrix(&server, secret.trim(), "embedded").await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn the_auth_matrix_also_holds_on_the_aws_backend() {
    // The webhooks queue too (`--create-table` creates it): the matrix tests a webhook's delivery log.
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (scripts/test sets it)");
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    let queue = format!("{endpoint}/123456789012/matrix-webhooks-{}", hex::encode(suffix));
    let server = Server::start_aws_env(&[], &[("SMARTENROLL_WEBHOOKS_QUEUE_URL", queue.as_str())]);
    let secret = server.env_value("SMARTENROLL_JWT_SECRET").expect("the AWS test server's secret").to_string();
    auth_matrix(&server, &secret, "aws").await;
}

async fn auth_matrix(server: &Server, secret: &str, backend: &str) {
    let forger = Forger { secret: secret.as_bytes().to_vec() };

    // Tenant A: an active project with two registrations (one erased below), a validation code,
    // a webhook with a delivery.
    let a = server.new_client("Matrix victim");
    let (project, flow) = demo_project(server, &a).await;
    let r = server.call(Method::PUT, &format!("/v3/projects/{project}"), Some(&a.token), Some(&json!({"name": "Victim KYC secret"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    activate(server, &a, &project).await;
    let mut registrations = Vec::new();
    for email in ["victim.one@example.com", "victim.two@example.com"] {
        let body = json!({"project": project, "projectFlow": flow, "email": email, "fullName": "Victoria Secreta"});
        let r = server.call(Method::POST, "/v2/app-registrations", Some(&a.token), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        registrations.push((
            r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string(),
            r.body["data"]["token"].as_str().expect("token").to_string(),
        ));
    }
    let (registration, enrollee) = registrations[0].clone();
    let r = server
        .call(Method::POST, "/v2/email-validations/app-registration", Some(&enrollee), Some(&json!({"email": "victim.one@example.com"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let validation = r.body["data"]["_id"].as_str().expect("validation id").to_string();
    let hook_url = "http://127.0.0.1:9/victim-hook";
    let r = server.call(Method::POST, "/v2/webhooks", Some(&a.token), Some(&json!({"name": "victim-hook", "url": hook_url}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let webhook = r.body["data"]["_id"].as_str().expect("id").to_string();
    let r = server.call(Method::POST, &format!("/v2/webhooks/{webhook}/test"), Some(&a.token), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = server.call(Method::GET, &format!("/v2/webhooks/{webhook}/deliveries"), Some(&a.token), None).await;
    let delivery = r.body["data"][0]["_id"].as_str().expect("a delivery").to_string();
    // The second registration is erased: its enrollee token is a revoked one.
    let (erased, erased_token) = registrations[1].clone();
    let r = server.call(Method::DELETE, &format!("/v2/app-registrations/{erased}"), Some(&a.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A ticket of the right shape that the server never signed.
    let ticket = format!("{}.{}", B64.encode(format!("{}|{registration}|document/front.jpg|9999999999", a.id)), B64.encode([7u8; 32]));

    let ids = BTreeMap::from([
        ("project", project.clone()),
        ("flow", flow.clone()),
        ("registration", registration.clone()),
        ("email-validation", validation),
        ("webhook", webhook.clone()),
        ("delivery", delivery.clone()),
        ("ticket", ticket),
        // The hosted page's files are the same for everyone; one of them.
        ("asset", "app.js".to_string()),
        ("branding-image", "logo".to_string()),
    ]);
    let victim = Victim {
        tenant: a,
        ids,
        enrollee: enrollee.clone(),
        secrets: vec![
            "Victim KYC secret".into(),
            "victim.one@example.com".into(),
            "victim.two@example.com".into(),
            "Victoria Secreta".into(),
            "victim-hook".into(),
            registration.clone(),
            webhook.clone(),
            delivery.clone(),
        ],
    };

    // Tenant B, a genuine client with its own enrollee; tenant C, whose first token is revoked.
    let mut b = server.new_client("Matrix intruder");
    let (b_project, b_flow) = demo_project(server, &b).await;
    activate(server, &b, &b_project).await;
    let r = server
        .call(
            Method::POST,
            "/v2/app-registrations",
            Some(&b.token),
            Some(&json!({"project": b_project, "projectFlow": b_flow, "email": "intruder@example.com"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b_enrollee = r.body["data"]["token"].as_str().expect("token").to_string();
    let c = server.new_client("Matrix revoked");
    let r = server.call(Method::POST, "/v2/auth/renew-and-revoke", Some(&c.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let revoked = c.token.clone();

    let client_forgeries = [
        ("a malformed token", "not.a.jwt".to_string()),
        ("alg: none", Forger::unsigned(&victim.tenant.token)),
        ("a wrong signature", forger.wrong_signature(&victim.tenant.token)),
        ("an expired token", forger.expired(&victim.tenant.token)),
        ("a revoked token", revoked),
    ];
    let enrollee_forgeries = [
        ("a malformed token", "eyJhbGciOiJIUzI1NiJ9.bm9wZQ.c2ln".to_string()),
        ("alg: none", Forger::unsigned(&victim.enrollee)),
        ("a wrong signature", forger.wrong_signature(&victim.enrollee)),
        ("an expired token", forger.expired(&victim.enrollee)),
    ];

    let mut m = Matrix { server, victim: &victim, cases: 0, routes: 0 };
    for route in ROUTES {
        m.routes += 1;
        let name = format!("{} {}", route.method, route.path);
        let path = victim.path(route.path);
        let own_resource = route.path.contains('{');
        match route.access {
            Access::Client | Access::Either | Access::ClientOrPublic => {
                let r = m.call(route.method, &path, route.function, None).await;
                if route.access == Access::ClientOrPublic {
                    // The tokenless way in (public sign-up, off for A's project): whatever it
                    // answers, nothing of A's.
                    m.cases += 1;
                    m.no_data("no token", &name, &path, &r);
                } else {
                    m.refused("no token", &name, &path, &r, &[401]);
                }
                for (what, token) in &client_forgeries {
                    let r = m.call(route.method, &path, route.function, Some(token)).await;
                    m.refused(what, &name, &path, &r, &[401]);
                }
                if route.access == Access::Either {
                    for (what, token) in &enrollee_forgeries {
                        let r = m.call(route.method, &path, route.function, Some(token)).await;
                        m.refused(what, &name, &path, &r, &[401]);
                    }
                } else {
                    let r = m.call(route.method, &path, route.function, Some(&victim.enrollee)).await;
                    m.refused("an enrollee token where a client token is needed", &name, &path, &r, &[401, 403]);
                }
            }
            Access::Enrollee => {
                let r = m.call(route.method, &path, route.function, None).await;
                m.refused("no token", &name, &path, &r, &[401]);
                for (what, token) in &enrollee_forgeries {
                    let r = m.call(route.method, &path, route.function, Some(token)).await;
                    m.refused(what, &name, &path, &r, &[401]);
                }
                let r = m.call(route.method, &path, route.function, Some(&victim.tenant.token)).await;
                m.refused("a client token where an enrollee token is needed", &name, &path, &r, &[401, 403]);
                let r = m.call(route.method, &path, route.function, Some(&erased_token)).await;
                m.refused("the token of an erased registration", &name, &path, &r, &[401, 404]);
            }
            Access::Public | Access::Ticket => {
                for (what, token) in std::iter::once(("no token", None)).chain(client_forgeries.iter().map(|(w, t)| (*w, Some(t.as_str()))))
                {
                    let r = m.call(route.method, &path, route.function, token).await;
                    if route.access == Access::Ticket {
                        m.refused(what, &name, &path, &r, &[404]);
                    } else {
                        m.cases += 1;
                        m.no_data(what, &name, &path, &r);
                    }
                }
            }
        }
        // Another tenant's genuine credentials: A's resources are not found; without a resource in
        // the path the caller acts in its own tenant and sees nothing of A's.
        let others: Vec<(&str, String)> = match route.access {
            Access::Client | Access::ClientOrPublic => vec![("another client's token", b.token.clone())],
            Access::Enrollee => vec![("another client's enrollee token", b_enrollee.clone())],
            Access::Either => vec![("another client's token", b.token.clone()), ("another client's enrollee token", b_enrollee.clone())],
            Access::Public | Access::Ticket => vec![],
        };
        for (what, token) in others {
            let r = m.call(route.method, &path, route.function, Some(&token)).await;
            let body_names_a = matches!(route.function, "registrations-create" | "project-flows-create");
            if own_resource || body_names_a {
                m.refused(what, &name, &path, &r, &[403, 404]);
            } else {
                m.cases += 1;
                m.no_data(what, &name, &path, &r);
            }
            if let Some(fresh) = r.body["token"].as_str().filter(|_| route.function == "auth-renew-and-revoke") {
                // B renewed (and revoked) its own tokens: the matrix goes on with the new one.
                b.token = fresh.to_string();
            }
        }
    }
    // A's own credentials still work after all that.
    let r = server.call(Method::GET, &format!("/v3/projects/{project}"), Some(&victim.tenant.token), None).await;
    assert_eq!((r.status.as_u16(), r.body["data"]["name"].as_str()), (200, Some("Victim KYC secret")));
    let r = server.call(Method::GET, &format!("/v2/app-registrations/{registration}"), Some(&victim.enrollee), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    crate::helpers::report(
        &format!("auth-matrix-{backend}"),
        &format!("auth matrix ({backend} store): {} routes, {} cases, every one refused without another tenant's data", m.routes, m.cases),
    );
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn renew_and_revoke_in_one_process_stops_the_old_tokens_in_another_sharing_the_store() {
    let first = Server::start_aws(&[]);
    let second = first.start_sharing();
    let t = first.new_client("Two nodes");
    for server in [&first, &second] {
        assert_eq!(server.call(Method::GET, "/v3/projects", Some(&t.token), None).await.status, 200, "the token works on both nodes");
    }
    let r = first.call(Method::POST, "/v2/auth/renew-and-revoke", Some(&t.token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = r.body["token"].as_str().expect("token").to_string();
    for server in [&second, &first] {
        server.call(Method::GET, "/v3/projects", Some(&t.token), None).await.assert_error(401, "Unauthorized");
        assert_eq!(server.call(Method::GET, "/v3/projects", Some(&fresh), None).await.status, 200, "the renewed token works everywhere");
    }
    // And the other way round: renewed on the second node, the first node's token stops too.
    let r = second.call(Method::POST, "/v2/auth/renew-and-revoke", Some(&fresh), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    first.call(Method::GET, "/v3/projects", Some(&fresh), None).await.assert_error(401, "Unauthorized");
}

async fn post_with_key(server: &Server, token: &str, key: &str, body: &Value) -> Reply {
    let req = server.http.post(format!("{}/v3/projects", server.base)).bearer_auth(token).header("Idempotency-Key", key).json(body);
    server.raw(req).await
}

async fn project_count(server: &Server, t: &Tenant) -> u64 {
    let r = server.call(Method::GET, "/v3/projects", Some(&t.token), None).await;
    r.body["total"].as_u64().expect("total")
}

/// The same key and body replay the first answer; another body is a 422; a refused request is
/// not remembered; another tenant's identical key is its own; racing duplicates create one.
async fn idempotency_keys(servers: &[&Server]) {
    let server = servers[0];
    let t = server.new_client("Retrying operator");
    let body = crate::helpers::step_one("Created once");
    let first = post_with_key(server, &t.token, "create-1", &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    for s in servers {
        let again = post_with_key(s, &t.token, "create-1", &body).await;
        assert_eq!(again.status, 201, "{}", again.body);
        assert_eq!(again.body, first.body, "the retry gets the first answer, byte for byte");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
    assert_eq!(project_count(server, &t).await, 1, "one project for three sends");

    let r = post_with_key(server, &t.token, "create-1", &crate::helpers::step_one("Something else")).await;
    r.assert_error(422, "UnprocessableEntity");
    assert_eq!(r.detail_fields(), ["Idempotency-Key"]);
    let r = post_with_key(server, &t.token, "bad key with spaces", &body).await;
    r.assert_error(422, "UnprocessableEntity");

    // A refused request leaves its key free: the corrected request runs under the same key.
    let mut invalid = crate::helpers::step_one("Fixed later");
    invalid["allowedCountries"] = json!([]);
    let r = post_with_key(server, &t.token, "create-2", &invalid).await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.body);
    let r = post_with_key(server, &t.token, "create-2", &crate::helpers::step_one("Fixed later")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("idempotent-replayed").is_none());

    let other = server.new_client("Another operator");
    let r = post_with_key(server, &other.token, "create-1", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("idempotent-replayed").is_none(), "another tenant's key is its own");
    assert_ne!(r.body["data"]["_id"], first.body["data"]["_id"]);

    // Eight racing duplicates (spread over every server given): one project, and every answer
    // either is its creation or says to retry (409 while the first runs).
    let racing = crate::helpers::step_one("Raced");
    let sends = (0..8).map(|i| post_with_key(servers[i % servers.len()], &t.token, "race-1", &racing));
    let answers = futures_util::future::join_all(sends).await;
    let mut ids = std::collections::BTreeSet::new();
    for a in &answers {
        match a.status.as_u16() {
            201 => {
                ids.insert(a.body["data"]["_id"].as_str().expect("id").to_string());
            }
            409 => assert_eq!(a.header("retry-after"), Some("1"), "{}", a.body),
            other => panic!("a racing duplicate got {other}: {}", a.body),
        }
    }
    assert_eq!(ids.len(), 1, "racing duplicates created one project: {ids:?}");
    assert_eq!(project_count(server, &t).await, 3);
    let line = format!(
        "idempotency ({} process{}): {} racing sends -> {} created, {} replayed, {} told to retry",
        servers.len(),
        if servers.len() == 1 { "" } else { "es" },
        answers.len(),
        answers.iter().filter(|a| a.status == 201 && a.header("idempotent-replayed").is_none()).count(),
        answers.iter().filter(|a| a.header("idempotent-replayed").is_some()).count(),
        answers.iter().filter(|a| a.status == 409).count()
    );
    crate::helpers::report(&format!("idempotency-{}", servers.len()), &line);
}

#[tokio::test]
async fn a_post_retried_with_its_idempotency_key_creates_one_resource_and_gets_the_first_answer() {
    idempotency_keys(&[&Server::start(&[])]).await;
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn idempotency_keys_hold_across_two_processes_sharing_the_aws_store() {
    let first = Server::start_aws(&[]);
    let second = first.start_sharing();
    idempotency_keys(&[&first, &second]).await;
}

/// Passwordless login (reference 2.2) through the real message providers' protocol.
async fn logins(server: &Server, receiver: &crate::helpers::MessageReceiver) {
    let id = server
        .cli(&["client", "create", "--name", "Login Co", "--email", "Ops.Login@Example.com", "--phone", "+57 300 765 4321"])
        .expect("client create");
    let r = server.call(Method::POST, "/v2/projects/email-login", None, Some(&json!({"email": " ops.login@EXAMPLE.com"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["data"]["type"].as_str(), r.body["data"]["status"].as_str()), (Some("login"), Some("sent")));
    assert_eq!(r.body["data"]["new"], true);
    let code = receiver.last_code_to("ops.login@example.com").expect("the code went out by email");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let confirm = |otp: &str| json!({"email": "ops.login@example.com", "otp": otp});
    let r = server.call(Method::POST, "/v2/projects/email-login/confirm", None, Some(&confirm(wrong))).await;
    r.assert_error(403, "Forbidden");
    assert!(r.body["message"].as_str().is_some_and(|m| m.starts_with("otp_does_not_match")), "{}", r.body);
    let r = server.call(Method::POST, "/v2/projects/email-login/confirm", None, Some(&confirm(&code))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["tokenType"], "bearer");
    let token = r.body["data"]["accessToken"].as_str().expect("token").to_string();
    let r = server.call(Method::GET, "/v3/projects", Some(&token), None).await;
    assert_eq!(r.status, 200, "the login's token is a client token: {}", r.body);
    let claims = Forger::claims(&token);
    assert_eq!(claims["clientId"], id.as_str());
    assert!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat") >= 30 * 86_400 - 1, "30 days: {claims}");
    let r = server.call(Method::POST, "/v2/projects/email-login/confirm", None, Some(&confirm(&code))).await;
    assert_eq!(r.status, 404, "a code logs in once: {}", r.body);
    let r = server.call(Method::POST, "/v2/projects/email-login?email=nobody%40example.com", None, None).await;
    r.assert_error(404, "NotFound");
    assert_eq!(r.body["message"], "invalid_email");

    // By phone, the number spelt another way, codes by SMS.
    let phone = json!({"countryCode": "+57", "phone": 3007654321u64, "type": "login", "phoneGateway": "sms"});
    let r = server.call(Method::POST, "/v2/projects/phone-login", None, Some(&phone)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = receiver.last_code_to("+573007654321").expect("the code went out by SMS");
    let r = server
        .call(
            Method::POST,
            "/v2/projects/phone-login/confirm",
            None,
            Some(&json!({"countryCode": "+57", "phone": "300 765 4321", "otp": code})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["data"]["accessToken"].as_str().expect("token").to_string();
    assert_eq!(server.call(Method::GET, "/v3/projects", Some(&token), None).await.status, 200);
    // Renew-and-revoke also ends the logins' tokens.
    let r = server.call(Method::POST, "/v2/auth/renew-and-revoke", Some(&token), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.call(Method::GET, "/v3/projects", Some(&token), None).await.assert_error(401, "Unauthorized");
}

#[tokio::test]
async fn an_operator_logs_in_with_a_code_by_email_or_phone_and_nothing_personal_is_logged() {
    let receiver = crate::helpers::MessageReceiver::start().await;
    let mut env = receiver.env();
    env.push(("SMARTENROLL_LOG", "debug".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_env(&[], &env);
    logins(&server, &receiver).await;
    let logs = server.logs();
    assert!(logs.contains("login code sent"), "the server logged at debug level: {logs}");
    for secret in ["ops.login@example.com", "3007654321", "+573007654321"] {
        assert!(!logs.contains(secret), "personal data {secret:?} appears in the logs");
    }
    for (_, form) in receiver.seen() {
        let text = form.iter().find(|(k, _)| k == "text" || k == "Body").map(|(_, v)| v.clone()).expect("message text");
        let code: String = text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_string();
        assert!(!logs.contains(&code), "a login code appears in the logs");
    }
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn logins_also_work_on_the_aws_backend() {
    let receiver = crate::helpers::MessageReceiver::start().await;
    let env = receiver.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    logins(&Server::start_aws_env(&[], &env), &receiver).await;
}

/// Seven quick calls span at most two one-minute windows, so with a limit of 3 at least one is
/// refused; every answer is either the route's own or the documented 429.
async fn count_refusals(server: &Server, call: impl Fn() -> reqwest::RequestBuilder, ok: u16) -> usize {
    let mut refused = 0;
    for _ in 0..7 {
        let r = server.raw(call()).await;
        if r.status == 429 {
            r.assert_error(429, "RateLimitExceeded");
            assert!(r.header("retry-after").is_some(), "a refusal says when to come back");
            refused += 1;
        } else {
            assert_eq!(r.status.as_u16(), ok, "{}", r.body);
        }
    }
    refused
}

#[tokio::test]
async fn public_routes_are_limited_per_source_address_and_show_no_registration_data() {
    let server = Server::start_env(&[], &[("SMARTENROLL_RATE_LIMITS", "publicRead=3,publicLogin=3")]);
    let t = server.new_client("Public edge");
    let (project, flow) = demo_project(&server, &t).await;
    activate(&server, &t, &project).await;
    let body = json!({"project": project, "projectFlow": flow, "email": "private.person@example.com", "fullName": "Private Person"});
    let r = server.call(Method::POST, "/v2/app-registrations", Some(&t.token), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let registration = r.body["data"]["appRegistration"]["_id"].as_str().expect("id").to_string();

    let view = server.call(Method::GET, &format!("/v2/projects/kyc?id={project}"), None, None).await;
    let text = view.body.to_string();
    for private in ["private.person@example.com", "Private Person", registration.as_str()] {
        assert!(!text.contains(private), "the public view shows a registration's data ({private})");
    }
    let read = || server.http.get(format!("{}/v2/projects/kyc?id={project}", server.base));
    assert!(count_refusals(&server, read, 200).await >= 1, "publicRead refused nothing");
    // Logins: probing addresses and guessing codes share the per-source budget.
    let probe = || server.http.post(format!("{}/v2/projects/email-login", server.base)).json(&json!({"email": "nobody@example.com"}));
    assert!(count_refusals(&server, probe, 404).await >= 1, "publicLogin refused nothing");
    let guess = || {
        server
            .http
            .post(format!("{}/v2/projects/email-login/confirm", server.base))
            .json(&json!({"email": "nobody@example.com", "otp": "123456"}))
    };
    assert!(count_refusals(&server, guess, 404).await >= 1, "publicLogin refused no guess");
    // The operator's own API is untouched by the public budget.
    assert_eq!(server.call(Method::GET, &format!("/v3/projects/{project}"), Some(&t.token), None).await.status, 200);
}

#[tokio::test]
#[ignore = "needs the local AWS-protocol server: run scripts/test"]
async fn an_aws_mode_server_without_a_webhooks_queue_says_so_with_503_not_an_internal_error() {
    let server = Server::start_aws(&[]);
    let t = server.new_client("No queue");
    let r =
        server.call(Method::POST, "/v2/webhooks", Some(&t.token), Some(&json!({"name": "ops", "url": "http://127.0.0.1:9/hook"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["data"]["_id"].as_str().expect("id").to_string();
    let r = server.call(Method::POST, &format!("/v2/webhooks/{id}/test"), Some(&t.token), None).await;
    r.assert_error(503, "ServiceUnavailable");
    assert!(!r.body.to_string().contains("SMARTENROLL_"), "no setting's name in the answer: {}", r.body);
    assert!(server.logs().contains("SMARTENROLL_WEBHOOKS_QUEUE_URL"), "the log names the missing setting");
}

//! Each provider adapter against a local HTTP receiver: the exact request it sends (method, path,
//! credentials, form fields), how it reads the provider's answer, and what a refusal becomes.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use base64::Engine;
use smartenroll_domain::ports::{GatewayError, Messenger, OutgoingEmail, OutgoingText, TextChannel};
use smartenroll_gateways::{HttpMessenger, MailgunConfig, TwilioConfig};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    authorization: String,
    content_type: String,
    form: Vec<(String, String)>,
}

#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    status: StatusCode,
    answer: &'static str,
}

async fn record(State(r): State<Receiver>, method: Method, uri: Uri, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let form = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    r.seen.lock().expect("lock").push(Seen {
        method,
        path: uri.path().to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        form,
    });
    (r.status, r.answer.to_string())
}

/// A receiver on a free port answering every POST with `status` and `answer`.
async fn receiver(status: StatusCode, answer: &'static str) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().route("/{*path}", post(record)).with_state(Receiver { seen: seen.clone(), status, answer });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn mailgun(base: &str) -> MailgunConfig {
    MailgunConfig {
        base_url: base.into(),
        domain: "mg.acme.example".into(),
        api_key: "key-123".into(),
        from: "Acme KYC <no-reply@mg.acme.example>".into(),
    }
}

fn twilio(base: &str) -> TwilioConfig {
    TwilioConfig {
        base_url: base.into(),
        account_sid: "AC0123".into(),
        auth_token: "tok-456".into(),
        sms_from: Some("+15550001111".into()),
        whatsapp_from: Some("+15550002222".into()),
    }
}

#[tokio::test]
async fn an_email_is_posted_to_mailgun_as_a_form_with_basic_auth() {
    let (base, seen) = receiver(StatusCode::OK, r#"{"id":"<20261126.1@mg.acme.example>","message":"Queued. Thank you."}"#).await;
    let m = HttpMessenger::new(Some(mailgun(&base)), None).expect("client");
    let email = OutgoingEmail { to: "ana@example.com".into(), subject: "Your Acme code".into(), text: "Your code is 123456".into() };
    assert_eq!(m.email(&email).await, Ok("<20261126.1@mg.acme.example>".to_string()));
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", "/v3/mg.acme.example/messages"));
    assert_eq!(s.authorization, basic("api", "key-123"));
    assert_eq!(s.content_type, "application/x-www-form-urlencoded");
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(
        s.form,
        pairs(&[
            ("from", "Acme KYC <no-reply@mg.acme.example>"),
            ("to", "ana@example.com"),
            ("subject", "Your Acme code"),
            ("text", "Your code is 123456")
        ])
    );
}

#[tokio::test]
async fn an_sms_is_posted_to_the_messages_api_from_the_sms_number() {
    let (base, seen) = receiver(StatusCode::CREATED, r#"{"sid":"SM123","status":"queued"}"#).await;
    let m = HttpMessenger::new(None, Some(twilio(&base))).expect("client");
    let text = OutgoingText { to: "+573001234567".into(), body: "Your code is 123456".into(), channel: TextChannel::Sms };
    assert_eq!(m.text(&text).await, Ok("SM123".to_string()));
    let s = seen.lock().expect("lock")[0].clone();
    assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", "/2010-04-01/Accounts/AC0123/Messages.json"));
    assert_eq!(s.authorization, basic("AC0123", "tok-456"));
    let form: Vec<(&str, &str)> = s.form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(form, [("To", "+573001234567"), ("From", "+15550001111"), ("Body", "Your code is 123456")]);
}

#[tokio::test]
async fn a_whatsapp_message_uses_whatsapp_addresses_on_both_ends() {
    let (base, seen) = receiver(StatusCode::CREATED, r#"{"sid":"SM999"}"#).await;
    let m = HttpMessenger::new(None, Some(twilio(&base))).expect("client");
    let text = OutgoingText { to: "+573001234567".into(), body: "Your code is 654321".into(), channel: TextChannel::Whatsapp };
    assert_eq!(m.text(&text).await, Ok("SM999".to_string()));
    let s = seen.lock().expect("lock")[0].clone();
    let form: Vec<(&str, &str)> = s.form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(form, [("To", "whatsapp:+573001234567"), ("From", "whatsapp:+15550002222"), ("Body", "Your code is 654321")]);
}

#[tokio::test]
async fn a_refusal_is_reported_with_its_status_and_an_unconfigured_provider_says_so() {
    let (base, _) = receiver(StatusCode::UNAUTHORIZED, r#"{"message":"Invalid private key"}"#).await;
    let m = HttpMessenger::new(Some(mailgun(&base)), None).expect("client");
    let email = OutgoingEmail { to: "a@b.co".into(), subject: "s".into(), text: "t".into() };
    assert_eq!(m.email(&email).await, Err(GatewayError::Refused(401)));
    let text = OutgoingText { to: "+15550003333".into(), body: "b".into(), channel: TextChannel::Sms };
    assert!(matches!(m.text(&text).await, Err(GatewayError::NotConfigured(_))));
    let mut no_whatsapp = twilio(&base);
    no_whatsapp.whatsapp_from = None;
    let m = HttpMessenger::new(None, Some(no_whatsapp)).expect("client");
    let wa = OutgoingText { channel: TextChannel::Whatsapp, ..text };
    assert!(matches!(m.text(&wa).await, Err(GatewayError::NotConfigured(_))));
}

#[tokio::test]
async fn an_unreachable_provider_is_unreachable_not_a_panic() {
    // A port nothing listens on (bound, then dropped).
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let m = HttpMessenger::new(Some(mailgun(&format!("http://127.0.0.1:{port}"))), None).expect("client");
    let email = OutgoingEmail { to: "a@b.co".into(), subject: "s".into(), text: "t".into() };
    assert!(matches!(m.email(&email).await, Err(GatewayError::Unreachable(_))));
}

#[test]
fn blocklist_answers_mean_listed_or_not_in_every_documented_shape() {
    use smartenroll_gateways::listed_in;
    for listed in [
        r#"{"listed":true}"#,
        r#"{"blocked":true}"#,
        r#"{"email":"a@b.co","name":"A"}"#,
        r#"{"data":{"phone":"+573001234567"}}"#,
        r#"[{"email":"a@b.co"}]"#,
        r#"{"data":[{"email":"a@b.co"}]}"#,
    ] {
        assert_eq!(listed_in(listed), Ok(true), "{listed}");
    }
    for clear in ["", "null", "{}", "[]", r#"{"listed":false}"#, r#"{"data":null}"#, r#"{"email":""}"#] {
        assert_eq!(listed_in(clear), Ok(false), "{clear}");
    }
    assert!(listed_in("not json").is_err());
    assert!(listed_in("42").is_err());
}

/// An image server on a free port: `/small` (3000 bytes), `/missing` (404), `/redirect` (302 to
/// `/small`), `/chunked` (an unannounced 1 MB body, sent in pieces).
async fn image_server() -> String {
    use axum::routing::get;
    let app = Router::new()
        .route("/small", get(|| async { vec![7u8; 3000] }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/redirect", get(|| async { (StatusCode::FOUND, [("location", "/small")]) }))
        .route(
            "/chunked",
            get(|| async {
                let pieces = (0..64).map(|_| Ok::<_, std::io::Error>(vec![1u8; 16 * 1024]));
                axum::body::Body::from_stream(futures_util::stream::iter(pieces))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn an_image_url_is_fetched_within_its_size_limit_and_every_refusal_says_why() {
    use smartenroll_domain::ports::{FetchError, RemoteImages};
    use smartenroll_gateways::images::HttpImages;
    use smartenroll_gateways::outbound::OutboundPolicy;
    let base = image_server().await;
    let private = HttpImages::new(OutboundPolicy { allow_private: true });
    assert_eq!(private.fetch(&format!("{base}/small"), 5000).await.map(|b| b.len()), Ok(3000));
    assert_eq!(private.fetch(&format!("{base}/small"), 1000).await, Err(FetchError::TooLarge(1000)), "announced length");
    assert_eq!(private.fetch(&format!("{base}/chunked"), 100_000).await, Err(FetchError::TooLarge(100_000)), "counted while reading");
    assert_eq!(private.fetch(&format!("{base}/missing"), 5000).await, Err(FetchError::Status(404)));
    assert_eq!(private.fetch(&format!("{base}/redirect"), 5000).await, Err(FetchError::Status(302)), "redirects are not followed");
    assert!(matches!(private.fetch("file:///etc/passwd", 5000).await, Err(FetchError::Refused(_))));

    let public = HttpImages::new(OutboundPolicy::default());
    assert!(matches!(public.fetch(&format!("{base}/small"), 5000).await, Err(FetchError::Refused(m)) if m.contains("https")));
    let loopback = base.replace("http://", "https://");
    match public.fetch(&format!("{loopback}/small"), 5000).await {
        Err(FetchError::Refused(m)) => assert!(m.contains("loopback") && !m.contains("small"), "names the rule, not the path: {m}"),
        other => panic!("expected the guard's refusal, got {other:?}"),
    }
    match public.fetch("https://169.254.169.254/latest/meta-data/", 5000).await {
        Err(FetchError::Refused(m)) => assert!(m.contains("link-local"), "{m}"),
        other => panic!("expected the guard's refusal, got {other:?}"),
    }
}

/// A data source on a free port. `/flaky` fails its first two tries (500, then 429) and then
/// answers clear; `/slow` answers after 2 s; `/records` finds records; `/match` confirms the
/// document; `/refuses` is 403; `/nonsense` answers 200 with a body outside the contract;
/// `/down` is always 503. Every request's headers and body are kept.
async fn data_source() -> (String, Arc<Mutex<Vec<(String, HeaderMap, serde_json::Value)>>>) {
    type Seen = Arc<Mutex<Vec<(String, HeaderMap, serde_json::Value)>>>;
    async fn answer(State(seen): State<Seen>, uri: Uri, headers: HeaderMap, body: String) -> (StatusCode, String) {
        let path = uri.path().to_string();
        let tries = {
            let mut s = seen.lock().expect("lock");
            s.push((path.clone(), headers, serde_json::from_str(&body).unwrap_or_default()));
            s.iter().filter(|(p, ..)| *p == path).count()
        };
        match path.as_str() {
            "/flaky" if tries == 1 => (StatusCode::INTERNAL_SERVER_ERROR, "{}".into()),
            "/flaky" if tries == 2 => (StatusCode::TOO_MANY_REQUESTS, "{}".into()),
            "/flaky" => (StatusCode::OK, r#"{"result": "clear", "records": [], "reference": "cr-1"}"#.into()),
            "/slow" => {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                (StatusCode::OK, r#"{"result": "clear"}"#.into())
            }
            "/records" => (StatusCode::OK, r#"{"result": "records_found", "records": [{"offence": "fraud", "year": 2019}]}"#.into()),
            "/match" => (StatusCode::OK, r#"{"result": "match", "fields": {"documentNumber": true, "lastName": true}}"#.into()),
            "/refuses" => (StatusCode::FORBIDDEN, "{}".into()),
            "/nonsense" => (StatusCode::OK, r#"{"result": "probably fine"}"#.into()),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "{}".into()),
        }
    }
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().route("/{*path}", post(answer)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn source_request() -> smartenroll_domain::sources::SourceRequest {
    smartenroll_domain::sources::SourceRequest {
        request_id: "chk-1".into(),
        country: "COL".into(),
        document_type: "passport".into(),
        document_number: "AB1234567".into(),
        first_name: "ANA MARIA".into(),
        last_name: "PEREZ".into(),
        date_of_birth: Some("1990-04-12".into()),
        nationality: Some("COL".into()),
        expiration_date: Some("2031-01-01".into()),
        company: None,
    }
}

fn sources_for(base: &str, paths: &[(&str, &str, &str)]) -> smartenroll_gateways::sources::HttpSources {
    use smartenroll_gateways::sources::{HttpSources, SourcesConfig};
    let mut info = serde_json::Map::new();
    let mut criminal = serde_json::Map::new();
    for (kind, country, path) in paths {
        let endpoint = serde_json::json!({"url": format!("{base}{path}"), "token": "source-secret", "timeoutMs": 500, "retries": 2, "backoffMs": 10, "onFailure": "open"});
        match *kind {
            "info" => info.insert(country.to_string(), endpoint),
            _ => criminal.insert(country.to_string(), endpoint),
        };
    }
    let text = serde_json::json!({"informationVerification": info, "criminalHistory": criminal}).to_string();
    let config = SourcesConfig::from_json(&text).expect("config");
    HttpSources::new(config, smartenroll_gateways::outbound::OutboundPolicy { allow_private: true }).expect("client")
}

#[tokio::test]
async fn a_background_check_posts_the_documented_request_and_reads_the_documented_answer() {
    use smartenroll_domain::sources::{DataSources, OnFailure, SourceKind};
    let (base, seen) = data_source().await;
    let sources = sources_for(&base, &[("criminal", "COL", "/records"), ("info", "*", "/match")]);
    assert_eq!(sources.configured(SourceKind::CriminalHistory, "COL"), Some(OnFailure::Open));
    assert_eq!(sources.configured(SourceKind::CriminalHistory, "PER"), None, "no wildcard for criminal history");
    assert_eq!(sources.configured(SourceKind::InformationVerification, "PER"), Some(OnFailure::Open), "the wildcard serves any country");

    let answer = sources.query(SourceKind::CriminalHistory, &source_request()).await.expect("answer");
    assert_eq!((answer.result.as_str(), answer.attempts, answer.is_clean()), ("records_found", 1, false));
    assert_eq!(answer.detail[0]["offence"], "fraud");
    let (path, headers, body) = seen.lock().expect("lock")[0].clone();
    assert_eq!(path, "/records");
    assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer source-secret"));
    assert_eq!(headers.get("idempotency-key").and_then(|v| v.to_str().ok()), Some("chk-1"));
    assert_eq!(body["check"], "criminalHistory");
    assert_eq!(body["country"], "COL");
    assert_eq!(body["document"]["number"], "AB1234567");
    assert_eq!(body["person"]["lastName"], "PEREZ");
    assert_eq!(body["person"]["dateOfBirth"], "1990-04-12");

    let info = sources.query(SourceKind::InformationVerification, &source_request()).await.expect("answer");
    assert!(info.is_clean());
    assert_eq!(info.detail["documentNumber"], true);
}

#[tokio::test]
async fn a_failing_source_is_tried_again_and_a_timeout_or_an_outage_is_never_an_answer() {
    use smartenroll_domain::sources::{DataSources, SourceError, SourceKind};
    let (base, seen) = data_source().await;
    let sources = sources_for(&base, &[("criminal", "COL", "/flaky"), ("criminal", "PER", "/slow"), ("criminal", "ECU", "/down")]);

    let answer = sources.query(SourceKind::CriminalHistory, &source_request()).await.expect("third try answers");
    assert_eq!((answer.result.as_str(), answer.attempts, answer.reference.as_deref()), ("clear", 3, Some("cr-1")));

    let mut slow = source_request();
    slow.country = "PER".into();
    let started = std::time::Instant::now();
    let err = sources.query(SourceKind::CriminalHistory, &slow).await.expect_err("every try times out");
    assert!(matches!(&err, SourceError::Unavailable { attempts: 3, reason } if reason == "timed out"), "{err:?}");
    assert!(started.elapsed() < std::time::Duration::from_millis(1900), "each try is cut at its 500 ms timeout");

    let mut down = source_request();
    down.country = "ECU".into();
    let err = sources.query(SourceKind::CriminalHistory, &down).await.expect_err("503 every time");
    assert!(matches!(&err, SourceError::Unavailable { attempts: 3, reason } if reason == "HTTP 503"), "{err:?}");
    assert_eq!(seen.lock().expect("lock").iter().filter(|(p, ..)| p == "/down").count(), 3);

    let mut unknown = source_request();
    unknown.country = "BRA".into();
    let err = sources.query(SourceKind::CriminalHistory, &unknown).await.expect_err("nothing configured");
    assert_eq!(err.code(), "no_source_configured");
}

#[tokio::test]
async fn a_refusal_or_an_answer_outside_the_contract_is_final_and_named() {
    use smartenroll_domain::sources::{DataSources, SourceError, SourceKind};
    let (base, seen) = data_source().await;
    let sources = sources_for(&base, &[("criminal", "COL", "/refuses"), ("info", "COL", "/nonsense")]);
    assert_eq!(sources.query(SourceKind::CriminalHistory, &source_request()).await, Err(SourceError::Refused(403)));
    let err = sources.query(SourceKind::InformationVerification, &source_request()).await.expect_err("not the contract");
    assert_eq!(err.code(), "invalid_response_from_api");
    assert_eq!(seen.lock().expect("lock").len(), 2, "neither is tried again");
}

#[test]
fn a_sources_file_with_a_bad_value_is_refused_with_where() {
    use smartenroll_gateways::sources::SourcesConfig;
    let bad = |json: &str| SourcesConfig::from_json(json).expect_err(json);
    assert!(bad(r#"{"criminalHistory": {"COL": {"url": "ftp://x"}}}"#).contains("criminalHistory.COL.url"));
    assert!(bad(r#"{"criminalHistory": {"Colombia": {"url": "https://x"}}}"#).contains("alpha-3"));
    assert!(bad(r#"{"criminalHistory": {"COL": {"url": "https://x", "timeoutMs": 5}}}"#).contains("timeoutMs"));
    assert!(bad(r#"{"criminalHistory": {"COL": {"url": "https://x", "onFailure": "maybe"}}}"#).contains("onFailure"));
    assert!(bad(r#"{"criminalHistroy": {}}"#).contains("unknown field"));
    let ok = SourcesConfig::from_json(r#"{"informationVerification": {"*": {"url": "https://registry.example/verify"}}}"#).expect("ok");
    assert_eq!(ok.information_verification["*"].timeout_ms, 10_000);
}

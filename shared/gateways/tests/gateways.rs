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

use super::*;
use serde_json::json;

fn at(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(s)
}

fn hook(now: Timestamp) -> Webhook {
    let input = WebhookInput::parse(&json!({"name": "ops", "url": "https://hooks.example.com/kyc"}), true).expect("valid");
    input.create("65a1b2c3d4e5f60718293a4b".into(), &ClientId::parse("65a1b2c3d4e5f60718293a4c").expect("id"), &[7u8; SECRET_BYTES], now)
}

#[test]
fn signatures_match_the_standard_webhooks_test_vector() {
    // The example of the Standard Webhooks specification (and Svix's documentation).
    let sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
    assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
}

#[test]
fn a_signature_verifies_and_fails_on_a_one_byte_change_of_body_id_or_time() {
    let w = hook(at(1_700_000_000));
    let secret = w.current_secret().expect("secret").to_string();
    let body =
        envelope("evt1", "onboarding_app_registration_completed", Some("r1"), 3, &json!({"status": "COMPLETED"}), false, at(1_700_000_000));
    let header = w.signature_header("evt1", 1_700_000_000, body.as_bytes(), at(1_700_000_000));
    assert_eq!(verify(&secret, "evt1", "1700000000", &header, body.as_bytes(), 1_700_000_010), Ok(()));
    let mut tampered = body.clone().into_bytes();
    tampered[10] ^= 1;
    assert_eq!(verify(&secret, "evt1", "1700000000", &header, &tampered, 1_700_000_010), Err(VerifyError::NoMatch));
    assert_eq!(verify(&secret, "evt2", "1700000000", &header, body.as_bytes(), 1_700_000_010), Err(VerifyError::NoMatch));
    assert_eq!(verify(&secret, "evt1", "1700000001", &header, body.as_bytes(), 1_700_000_010), Err(VerifyError::NoMatch));
    assert_eq!(verify(&secret, "evt1", "1700000000", &header, body.as_bytes(), 1_700_000_000 + 301), Err(VerifyError::TooOld));
    assert_eq!(verify(&secret, "evt1", "soon", &header, body.as_bytes(), 1_700_000_010), Err(VerifyError::BadTimestamp));
}

#[test]
fn a_receiver_that_reserialises_the_body_with_sorted_keys_still_verifies() {
    let object = json!({"zeta": 1, "alpha": {"b": [1, {"y": "é", "x": null}], "a": "quote \" and \\"}, "mid": 0.5});
    let body = envelope("evt1", "onboarding_app_registration_ongoing", None, 1, &object, true, at(1_700_000_000));
    let reparsed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(canonical_json(&reparsed), body, "canonical form is a fixed point");
    assert!(!body.contains(' ') || body.contains("quote \\\" and"), "no insignificant whitespace");
}

#[test]
fn a_rotated_secret_keeps_signing_until_its_overlap_ends() {
    let mut w = hook(at(1_000));
    let old = w.current_secret().expect("old").to_string();
    w.rotate(&[9u8; SECRET_BYTES], 3600, at(2_000));
    let new = w.current_secret().expect("new").to_string();
    assert_ne!(old, new);
    let header = w.signature_header("e", 2_100, b"{}", at(2_100));
    assert_eq!(header.split(' ').count(), 2, "both secrets sign during the overlap");
    assert!(verify(&old, "e", "2100", &header, b"{}", 2_100).is_ok() && verify(&new, "e", "2100", &header, b"{}", 2_100).is_ok());
    let later = w.signature_header("e", 5_700, b"{}", at(5_700));
    assert!(verify(&old, "e", "5700", &later, b"{}", 5_700).is_err() && verify(&new, "e", "5700", &later, b"{}", 5_700).is_ok());
    assert_eq!(w.api_json()["previousSecretExpiresAt"], json!(at(5_600)));
    assert!(!w.api_json().to_string().contains(&new), "the object never shows a secret");
}

#[test]
fn answers_are_retried_stopped_or_delivered_as_documented() {
    let answered = |status: u16| SendOutcome::Answered { status, retry_after: None, excerpt: String::new() }.verdict();
    for s in [200, 201, 204, 299] {
        assert_eq!(answered(s), Verdict::Delivered, "{s}");
    }
    for s in [408, 429, 500, 502, 503, 599] {
        assert!(matches!(answered(s), Verdict::Retry { .. }), "{s}");
    }
    for s in [301, 302, 400, 401, 403, 404, 409, 410, 422] {
        assert_eq!(answered(s), Verdict::Stop, "{s}");
    }
    assert!(matches!(SendOutcome::Timeout.verdict(), Verdict::Retry { .. }));
    assert!(matches!(SendOutcome::Connect("refused".into()).verdict(), Verdict::Retry { .. }));
    assert_eq!(SendOutcome::Refused("loopback".into()).verdict(), Verdict::Stop);
}

#[test]
fn the_schedule_backs_off_with_jitter_honours_retry_after_and_ends() {
    let p = RetryPolicy::default();
    assert_eq!(p.delays.len(), 10, "10 retries");
    assert!(p.delays.iter().sum::<u64>() <= 24 * 3600);
    assert_eq!(p.delay_after(1, 0.5, None), Some(5_000));
    assert_eq!(p.delay_after(1, 0.0, None), Some(4_000));
    assert_eq!(p.delay_after(1, 0.999_999, None), Some(6_000));
    assert_eq!(p.delay_after(2, 0.5, Some(120)), Some(120_000), "Retry-After beyond the schedule wins");
    assert_eq!(p.delay_after(3, 0.5, Some(1)), Some(120_000), "a shorter Retry-After does not hurry the schedule");
    assert_eq!(p.delay_after(1, 0.5, Some(10 * 86_400)), Some(86_400_000), "Retry-After is capped at a day");
    assert_eq!(p.delay_after(11, 0.5, None), None);
    assert_eq!(p.delay_after(0, 0.5, None), None);
    assert_eq!(RetryPolicy::parse("1, 2,3"), Ok(RetryPolicy { delays: vec![1, 2, 3] }));
    assert!(RetryPolicy::parse("").is_err() && RetryPolicy::parse("1,x").is_err() && RetryPolicy::parse("90000").is_err());
}

#[test]
fn a_delivery_retries_then_fails_and_a_replay_starts_a_new_round() {
    let policy = RetryPolicy::parse("1,2").expect("policy");
    let c = ClientId::parse("65a1b2c3d4e5f60718293a4c").expect("id");
    let mut d = Delivery::new(&c, "w1", "e1", "onboarding_app_registration_created", Some("r1"), "{}".into(), at(100));
    assert_eq!(d.id, delivery_id("e1", "w1"));
    assert_ne!(d.id, delivery_id("e1", "w2"));
    let fail = SendOutcome::Answered { status: 503, retry_after: None, excerpt: "busy".into() };
    d.record(fail.attempt(at(100), 12), fail.verdict(), &policy, 0.5);
    assert_eq!((d.status, d.next_attempt_at), (DeliveryStatus::Pending, Some(Timestamp::from_unix_millis(101_000))));
    d.record(fail.attempt(at(101), 12), fail.verdict(), &policy, 0.5);
    assert_eq!(d.next_attempt_at, Some(Timestamp::from_unix_millis(103_000)));
    d.record(SendOutcome::Timeout.attempt(at(103), 10_000), SendOutcome::Timeout.verdict(), &policy, 0.5);
    assert_eq!((d.status, d.next_attempt_at), (DeliveryStatus::Failed, None), "three attempts: the schedule is used up");
    assert_eq!(d.attempts[0].error.as_deref(), Some("http_503"));
    assert_eq!(d.attempts[2].error.as_deref(), Some("timeout"));
    d.replay(at(200));
    assert_eq!((d.status, d.round_attempts, d.replays), (DeliveryStatus::Pending, 0, 1));
    let ok = SendOutcome::Answered { status: 200, retry_after: None, excerpt: "x".repeat(5000) };
    d.record(ok.attempt(at(200), 3), ok.verdict(), &policy, 0.5);
    assert_eq!(d.status, DeliveryStatus::Succeeded);
    assert_eq!(d.attempts.len(), 4, "the log keeps every attempt");
    assert_eq!(d.attempts[3].excerpt.as_ref().map(|e| e.chars().count()), Some(EXCERPT_CHARS), "answers are capped");
}

#[test]
fn a_stop_answer_fails_the_delivery_at_once() {
    let mut d = Delivery::new(&ClientId::parse("65a1b2c3d4e5f60718293a4c").expect("id"), "w", "e", "t", None, "{}".into(), at(1));
    let gone = SendOutcome::Answered { status: 410, retry_after: None, excerpt: String::new() };
    d.record(gone.attempt(at(1), 5), gone.verdict(), &RetryPolicy::default(), 0.1);
    assert_eq!((d.status, d.attempts.len()), (DeliveryStatus::Failed, 1));
}

#[test]
fn webhook_bodies_are_checked_field_by_field() {
    let err = |body: Value, creating: bool| -> Vec<String> {
        WebhookInput::parse(&body, creating).err().unwrap_or_default().into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect()
    };
    assert_eq!(err(json!({"name": "x"}), true), vec!["url: missing url"]);
    assert!(err(json!({"name": "x", "url": "ftp://h/x"}), true)[0].starts_with("url:"));
    assert!(err(json!({"name": "x", "url": "https://u:p@h/x"}), true)[0].contains("credentials"));
    assert!(err(json!({"name": "x", "url": "/relative"}), true)[0].starts_with("url:"));
    assert!(err(json!({"url": "https://h/x"}), true)[0].starts_with("name:"));
    assert!(err(json!({"isActive": "yes"}), false)[0].starts_with("isActive:"));
    assert!(err(json!({"link": ["nope"]}), false)[0].starts_with("link:"));
    assert!(err(json!({"events": ["Bad Type"]}), false)[0].starts_with("events:"));
    assert!(err(json!({"events": []}), false)[0].starts_with("events:"));
    assert!(err(json!([1]), false)[0].starts_with("body:"));
    let ok = WebhookInput::parse(&json!({"events": ["onboarding_app_registration_*", "ping"], "link": "65a1b2c3d4e5f60718293a4d"}), false)
        .expect("ok");
    assert_eq!(ok.link, vec!["65a1b2c3d4e5f60718293a4d"]);
    let mut w = hook(at(1));
    ok.apply(&mut w, at(2));
    assert!(w.wants("65a1b2c3d4e5f60718293a4d", false, "onboarding_app_registration_completed"));
    assert!(!w.wants("65a1b2c3d4e5f60718293a4d", false, "onboarding_email_validation_created"), "filtered out");
    assert!(!w.wants("65a1b2c3d4e5f60718293a4e", false, "onboarding_app_registration_completed"), "another flow");
    assert!(w.wants("65a1b2c3d4e5f60718293a4e", true, "onboarding_app_registration_completed"), "selected by the flow itself");
    WebhookInput::parse(&json!({"unlink": ["65a1b2c3d4e5f60718293a4d"], "isActive": false}), false).expect("ok").apply(&mut w, at(3));
    assert!(w.project_flows.is_empty() && !w.is_active && w.version == 3);
}

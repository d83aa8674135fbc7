//! The one-time-code state machine: expiry, attempts and lockout, send caps, resends.

use super::*;

const T: i64 = 1_700_000_000;

fn at(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(T + s)
}

fn send(hash: &str, s: i64) -> Send<'static> {
    Send {
        id: "v1".into(),
        channel: Channel::Email,
        destination: "ana@example.com",
        gateway: "mailgun",
        code_hash: hash.into(),
        now: at(s),
    }
}

#[test]
fn a_right_code_within_ten_minutes_validates_and_forgets_the_hash() {
    let p = OtpPolicy::default();
    let (s, resend) = issue(None, send("h1", 0), &p).expect("issue");
    assert!(!resend);
    assert_eq!((s.status, s.expires_at), (OtpStatus::Sent, at(600)));
    match s.check(true, at(599), &p).expect("check") {
        Checked::Validated(v) => {
            assert_eq!(v.status, OtpStatus::Validated);
            assert!(v.code_hash.is_empty(), "a used code's hash is not kept");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_code_past_its_lifetime_is_refused_as_expired() {
    let p = OtpPolicy::default();
    let (s, _) = issue(None, send("h1", 0), &p).expect("issue");
    assert_eq!(s.check(true, at(600), &p), Err(DomainError::PreconditionFailed("emailValidation_has_expired".into())));
}

#[test]
fn the_fifth_wrong_code_locks_the_validation_and_even_the_right_code_is_then_refused() {
    let p = OtpPolicy::default();
    let (mut s, _) = issue(None, send("h1", 0), &p).expect("issue");
    for i in 1..=5 {
        match s.check(false, at(i), &p).expect("check") {
            Checked::Wrong(next) => s = next,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((s.status, s.attempts_left(&p)), (OtpStatus::Locked, 0));
    assert!(matches!(s.check(true, at(10), &p), Err(DomainError::TooMany { .. })), "locked: the right code no longer works");
    assert!(matches!(issue(Some(&s), send("h2", 10), &p), Err(DomainError::TooMany { .. })), "and no new code during the lockout");
    let (fresh, resend) = issue(Some(&s), send("h3", 5 + 900), &p).expect("a new code after the lockout");
    assert!(resend);
    assert_eq!((fresh.status, fresh.attempts, fresh.id.as_str()), (OtpStatus::Sent, 0, "v1"));
}

#[test]
fn sends_are_capped_per_hour_and_the_cap_frees_up_as_the_hour_passes() {
    let p = OtpPolicy::default();
    let mut s: Option<OtpState> = None;
    for i in 0..5 {
        s = Some(issue(s.as_ref(), send("h", i * 60), &p).expect("send").0);
    }
    match issue(s.as_ref(), send("h", 300), &p) {
        Err(DomainError::TooMany { retry_after, .. }) => assert_eq!(retry_after, 3300),
        other => panic!("{other:?}"),
    }
    assert!(issue(s.as_ref(), send("h", 3601), &p).is_ok(), "the first send left the window");
}

#[test]
fn an_already_validated_destination_is_not_sent_again() {
    let p = OtpPolicy::default();
    let (s, _) = issue(None, send("h", 0), &p).expect("issue");
    let Checked::Validated(v) = s.check(true, at(1), &p).expect("check") else { panic!() };
    assert!(matches!(issue(Some(&v), send("h", 2), &p), Err(DomainError::Conflict { .. })));
}

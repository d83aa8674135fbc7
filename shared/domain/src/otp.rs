//! One-time codes for an enrollee's email and phone (reference 6.7, 6.8): six digits, kept only as
//! a keyed hash, valid ten minutes, a limited number of wrong tries before a lockout, and caps on
//! sends (per registration here, per destination through the rate limiter) against SMS pumping.
//! This module owns the state machine; computing hashes and sending messages are the caller's.

use crate::clock::Timestamp;
use crate::error::DomainError;
use serde::{Deserialize, Serialize};

/// Digits of a code (the reference's hosted pages ask for six).
pub const CODE_DIGITS: usize = 6;

/// The rules of one-time codes. Defaults are the reference's lifetime (10 minutes) and our caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    pub ttl_seconds: i64,
    /// Wrong codes accepted before the validation locks.
    pub max_attempts: u32,
    pub lockout_seconds: i64,
    /// Codes sent for one registration and channel within an hour.
    pub max_sends_per_hour: u32,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self { ttl_seconds: 600, max_attempts: 5, lockout_seconds: 900, max_sends_per_hour: 5 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Phone,
}

impl Channel {
    /// The reference's object and event prefix: `email_validation`, `phone_validation`.
    pub fn object_name(self) -> &'static str {
        match self {
            Channel::Email => "email_validation",
            Channel::Phone => "phone_validation",
        }
    }
    /// `emailValidation` / `phoneValidation`, as error messages and fields name them.
    pub fn camel_name(self) -> &'static str {
        match self {
            Channel::Email => "emailValidation",
            Channel::Phone => "phoneValidation",
        }
    }
}

/// `sent` (waiting for the code), `validated`, `locked` (too many wrong codes), `expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtpStatus {
    Sent,
    Validated,
    Locked,
    Expired,
}

impl OtpStatus {
    pub const ALL: [Self; 4] = [Self::Sent, Self::Validated, Self::Locked, Self::Expired];
    pub fn as_str(self) -> &'static str {
        match self {
            OtpStatus::Sent => "sent",
            OtpStatus::Validated => "validated",
            OtpStatus::Locked => "locked",
            OtpStatus::Expired => "expired",
        }
    }
}

/// One email or phone validation of a registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpState {
    pub id: String,
    pub channel: Channel,
    /// The email, or the phone as E.164.
    pub destination: String,
    /// How the code went out: `mailgun`, `sms`, `whatsapp`, or `demo` (nothing sent).
    pub gateway: String,
    /// The keyed hash of the current code; never the code.
    pub code_hash: String,
    pub status: OtpStatus,
    /// Wrong codes since the last send.
    pub attempts: u32,
    /// When codes were sent within the last hour (for the cap).
    pub sends: Vec<Timestamp>,
    pub expires_at: Timestamp,
    pub locked_until: Option<Timestamp>,
    pub validated_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a send is about to do.
pub struct Send<'a> {
    pub id: String,
    pub channel: Channel,
    pub destination: &'a str,
    pub gateway: &'a str,
    pub code_hash: String,
    pub now: Timestamp,
}

/// The outcome of checking a code.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// Right code: the new state is validated.
    Validated(OtpState),
    /// Wrong code; the state counts the attempt (and is locked if that was the last one).
    Wrong(OtpState),
}

fn too_many(message: String, retry_after: i64) -> DomainError {
    DomainError::TooMany { message, retry_after: retry_after.max(1) }
}

/// A new code for `previous` (or a first one): the caps are checked first, so a refused send
/// changes nothing. A resend keeps the validation's id. Returns the new state and whether it is
/// a resend.
pub fn issue(previous: Option<&OtpState>, send: Send<'_>, policy: &OtpPolicy) -> Result<(OtpState, bool), DomainError> {
    let now = send.now;
    let hour_ago = now.plus_seconds(-3600);
    let mut sends: Vec<Timestamp> = previous.map(|p| p.sends.iter().copied().filter(|t| *t > hour_ago).collect()).unwrap_or_default();
    if let Some(p) = previous {
        if p.status == OtpStatus::Validated && p.destination == send.destination {
            return Err(DomainError::Conflict { message: format!("{}_already_validated", send.channel.object_name()), details: vec![] });
        }
        if let Some(until) = p.locked_until.filter(|u| *u > now) {
            return Err(too_many(
                format!("otp_locked: too many wrong codes; a new code can be requested after {}", until.to_iso()),
                until.unix_seconds() - now.unix_seconds(),
            ));
        }
    }
    if sends.len() as u32 >= policy.max_sends_per_hour {
        let oldest = sends.iter().min().copied().unwrap_or(now);
        return Err(too_many(
            format!("otp_send_limit: at most {} codes per hour for this registration", policy.max_sends_per_hour),
            oldest.plus_seconds(3600).unix_seconds() - now.unix_seconds(),
        ));
    }
    sends.push(now);
    let resend = previous.is_some();
    let state = OtpState {
        id: previous.map(|p| p.id.clone()).unwrap_or(send.id),
        channel: send.channel,
        destination: send.destination.to_string(),
        gateway: send.gateway.to_string(),
        code_hash: send.code_hash,
        status: OtpStatus::Sent,
        attempts: 0,
        sends,
        expires_at: now.plus_seconds(policy.ttl_seconds),
        locked_until: None,
        validated_at: None,
        created_at: previous.map(|p| p.created_at).unwrap_or(now),
        updated_at: now,
    };
    Ok((state, resend))
}

impl OtpState {
    /// Checks a code whose hash the caller compared (`matches`). Errors change nothing: an
    /// expired code (412), a locked validation (429). A wrong code is an `Ok(Checked::Wrong)` so
    /// the caller stores the counted attempt before answering 403.
    pub fn check(&self, matches: bool, now: Timestamp, policy: &OtpPolicy) -> Result<Checked, DomainError> {
        if self.status == OtpStatus::Validated {
            return Ok(Checked::Validated(self.clone()));
        }
        if let Some(until) = self.locked_until.filter(|u| *u > now) {
            return Err(too_many(
                format!("otp_locked: too many wrong codes; a new code can be requested after {}", until.to_iso()),
                until.unix_seconds() - now.unix_seconds(),
            ));
        }
        if self.status == OtpStatus::Locked {
            return Err(DomainError::PreconditionFailed(format!("{}_locked: request a new code", self.channel.camel_name())));
        }
        if now >= self.expires_at || self.status == OtpStatus::Expired {
            return Err(DomainError::PreconditionFailed(format!("{}_has_expired", self.channel.camel_name())));
        }
        let mut next = self.clone();
        next.updated_at = now;
        if matches {
            next.status = OtpStatus::Validated;
            next.validated_at = Some(now);
            next.code_hash.clear();
            return Ok(Checked::Validated(next));
        }
        next.attempts += 1;
        if next.attempts >= policy.max_attempts {
            next.status = OtpStatus::Locked;
            next.locked_until = Some(now.plus_seconds(policy.lockout_seconds));
            next.code_hash.clear();
        }
        Ok(Checked::Wrong(next))
    }

    /// Wrong codes still accepted before the lockout.
    pub fn attempts_left(&self, policy: &OtpPolicy) -> u32 {
        policy.max_attempts.saturating_sub(self.attempts)
    }
}

#[cfg(test)]
mod tests;

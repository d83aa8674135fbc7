//! Clients: the operators (tenants) who own projects. A client's `token_generation` is the
//! revocation mechanism: every client token carries the generation it was minted under, and
//! "renew and revoke" bumps the generation, so every earlier token stops working at once.
//!
//! A client logs in without a password (reference 2.2): a one-time code to its contact email or
//! phone, then the code for a token. The code's state lives on the client's own record (`login`),
//! written with the record's version, so a check and its counted attempt cannot race; clients are
//! found by a hash of the normalised contact ([`contact_key`]), never by the address itself.

use crate::clock::Timestamp;
use crate::ids::ClientId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub token_generation: u32,
    /// The login code in flight, if any (cleared once it is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Box<crate::otp::OtpState>>,
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Client {
    /// A new client at token generation 0.
    pub fn new(id: ClientId, name: String, contact_email: Option<String>, contact_phone: Option<String>, now: Timestamp) -> Self {
        Self { id, name, contact_email, contact_phone, token_generation: 0, login: None, version: 1, created_at: now, updated_at: now }
    }

    /// The lookup keys of the client's contacts (see [`contact_key`]).
    pub fn contact_keys(&self) -> Vec<String> {
        let email = self.contact_email.as_deref().and_then(normalise_email).map(|e| contact_key(Channel::Email, &e));
        let phone = self.contact_phone.as_deref().and_then(normalise_phone).map(|p| contact_key(Channel::Phone, &p));
        email.into_iter().chain(phone).collect()
    }
}

use crate::otp::Channel;

/// An email as logins compare it: trimmed, lower-cased; `None` unless it looks like one.
pub fn normalise_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let ok = email_address::EmailAddress::parse_with_options(&e, email_address::Options::default().without_display_text()).is_ok();
    (e.len() <= 254 && ok).then_some(e)
}

/// A phone as logins compare it: `+` and its digits (country code included), 8 to 15 digits
/// (E.164); spaces, dashes, dots and brackets dropped.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let clean = raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    (clean && (8..=15).contains(&digits.len())).then(|| format!("+{digits}"))
}

/// The key a client is found by for a login: the channel and a SHA-256 of the normalised address,
/// so stores and their indexes hold no address in a key.
pub fn contact_key(channel: Channel, normalised: &str) -> String {
    use sha2::Digest;
    let kind = match channel {
        Channel::Email => "email",
        Channel::Phone => "phone",
    };
    format!("{kind}:{}", hex::encode(sha2::Sha256::digest(format!("{kind}:{normalised}").as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_found_by_their_normalised_form_whatever_the_spelling() {
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        let id = ClientId::parse("0123456789abcdef01234567").expect("id");
        let c = Client::new(id, "Acme".into(), Some(" Ops@Acme.example ".into()), Some("+57 (300) 123-4567".into()), now);
        let keys = c.contact_keys();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], contact_key(Channel::Email, &normalise_email("ops@acme.example").expect("email")));
        assert_eq!(keys[1], contact_key(Channel::Phone, &normalise_phone("573001234567").expect("phone")));
        assert!(!keys.iter().any(|k| k.contains("acme") || k.contains("300")), "no address in a key");
        assert_ne!(contact_key(Channel::Email, "x"), contact_key(Channel::Phone, "x"));
        assert_eq!(normalise_phone("300 12"), None, "too short for E.164");
        assert_eq!(normalise_phone("+57 300 123 4567 ext"), None);
        assert_eq!(normalise_email("not an email"), None);
    }
}

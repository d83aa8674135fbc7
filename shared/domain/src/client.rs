//! Clients: the operators (tenants) who own projects. A client's `token_generation` is the
//! revocation mechanism: every client token carries the generation it was minted under, and
//! "renew and revoke" bumps the generation, so every earlier token stops working at once.

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
    pub version: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Client {
    /// A new client at token generation 0.
    pub fn new(id: ClientId, name: String, contact_email: Option<String>, contact_phone: Option<String>, now: Timestamp) -> Self {
        Self { id, name, contact_email, contact_phone, token_generation: 0, version: 1, created_at: now, updated_at: now }
    }
}

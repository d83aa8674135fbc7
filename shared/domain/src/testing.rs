//! Deterministic stand-ins for the id and code generators, shared by the domain's unit tests.

use crate::ids::{CodeGenerator, IdGenerator};
use std::sync::atomic::{AtomicU64, Ordering};

/// Ids `000…001`, `000…002`, … in order.
pub struct Seq(pub AtomicU64);

impl IdGenerator for Seq {
    fn object_id(&self) -> String {
        format!("{:024x}", self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// Every code is all sevens.
pub struct Sevens;

impl CodeGenerator for Sevens {
    fn digits(&self, n: usize) -> String {
        "7".repeat(n)
    }
}

/// A JSON object from a `json!` literal.
pub fn obj(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().expect("object")
}

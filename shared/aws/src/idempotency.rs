//! Idempotency keys in the same DynamoDB table, one item per key:
//!
//! | item | pk | sk | other attributes |
//! |---|---|---|---|
//! | idempotency key | `IDEM#<sha256 of caller, endpoint, key>` | `IDEM` | `fp`, `resp` (once answered), `pending_until`, `expires_at` (TTL) |
//!
//! A claim is one conditional PutItem (no item, or one that expired or was abandoned while
//! pending), so of two racing requests exactly one wins, on any number of Lambda sandboxes. The
//! loser reads the item to learn whether to replay, wait or refuse. DynamoDB's TTL removes expired
//! items eventually (within days); until then the condition treats them as absent.

use crate::backend;
use crate::dynamo::{DynamoStore, Item, build_err, n, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::idempotency::{Claim, IdempotencyStore, Record, StoredResponse};
use std::collections::HashMap;

fn key_item(key: &str) -> Item {
    HashMap::from([("pk".into(), s(format!("IDEM#{key}"))), ("sk".into(), s("IDEM"))])
}

fn number(item: &Item, name: &str) -> Result<i64, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StoreError::Backend(format!("an idempotency item lacks {name}")))
}

fn record_of(item: &Item) -> Result<Record, StoreError> {
    let response = match item.get("resp").and_then(|v| v.as_s().ok()) {
        Some(doc) => Some(serde_json::from_str::<StoredResponse>(doc).map_err(build_err)?),
        None => None,
    };
    Ok(Record {
        fingerprint: item.get("fp").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default(),
        response,
        pending_until: Timestamp::from_unix_seconds(number(item, "pending_until")?),
        expires_at: Timestamp::from_unix_seconds(number(item, "expires_at")?),
    })
}

fn condition_failed<E: ProvideErrorMetadata, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool {
    e.as_service_error().and_then(|s| s.code()) == Some("ConditionalCheckFailedException")
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim(&self, key: &str, fingerprint: &str, now: Timestamp) -> Result<Claim, StoreError> {
        let fresh = Record::pending(fingerprint, now);
        // A lost race with a record that then expires or is released is tried again; three rounds
        // are plenty (each needs another request to change the item in between).
        for _ in 0..3 {
            let mut item = key_item(key);
            item.insert("fp".into(), s(fingerprint));
            item.insert("pending_until".into(), n(fresh.pending_until.unix_seconds()));
            item.insert("expires_at".into(), n(fresh.expires_at.unix_seconds()));
            let put = self
                .ddb
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(
                    "attribute_not_exists(pk) OR expires_at <= :now OR (attribute_not_exists(resp) AND pending_until <= :now)",
                )
                .expression_attribute_values(":now", n(now.unix_seconds()))
                .send()
                .await;
            match put {
                Ok(_) => return Ok(Claim::Claimed),
                Err(e) if condition_failed(&e) => {}
                Err(e) => return Err(backend(e)),
            }
            let got = self.ddb.get_item().table_name(&self.table).set_key(Some(key_item(key))).consistent_read(true).send().await;
            if let Some(item) = got.map_err(backend)?.item() {
                let record = record_of(item)?;
                if !record.claimable(now) {
                    return Ok(Claim::Held(record));
                }
            }
        }
        Err(StoreError::Conflict)
    }

    async fn complete(&self, key: &str, fingerprint: &str, response: &StoredResponse) -> Result<(), StoreError> {
        let doc = serde_json::to_string(response).map_err(build_err)?;
        let out = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .update_expression("SET resp = :r")
            .condition_expression("fp = :fp AND attribute_not_exists(resp)")
            .expression_attribute_values(":r", s(doc))
            .expression_attribute_values(":fp", s(fingerprint))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Err(StoreError::Conflict),
            Err(e) => Err(backend(e)),
        }
    }

    async fn release(&self, key: &str, fingerprint: &str) -> Result<(), StoreError> {
        let out = self
            .ddb
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .condition_expression("fp = :fp AND attribute_not_exists(resp)")
            .expression_attribute_values(":fp", s(fingerprint))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            // Answered or taken over meanwhile: nothing of this request's to release.
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }
}

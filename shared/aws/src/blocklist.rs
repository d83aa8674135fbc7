//! Operators' blocklists in DynamoDB, in the same table:
//!
//! | item | pk | sk | other attributes |
//! |---|---|---|---|
//! | the flow's current list | `CLIENT#<clientId>` | `BLOCKGEN#<flowId>` | `list_gen` (number), `count` |
//! | one listed identifier | `CLIENT#<clientId>` | `BLOCK#<flowId>#<gen>#<hash>` | — |
//!
//! A list is far larger than one transaction (100 items), so a replacement writes the new
//! generation's items first (batches of 25), then switches the pointer with one conditional write
//! (the moment readers move from the old list to the new one, whole), then deletes the old
//! generation. A reader reads the pointer, then asks for its hashes under that generation in one
//! consistent BatchGetItem. Two replacements racing: the second pointer switch fails its condition
//! and that upload is answered `Conflict` (its items are deleted).

use crate::backend;
use crate::dynamo::{DynamoStore, Item, build_err, client_pk, n, s};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, FlowId};
use smartenroll_domain::ports::BlocklistStore;
use std::collections::HashMap;

fn key(client: &ClientId, sk: String) -> Item {
    HashMap::from([("pk".into(), s(client_pk(client))), ("sk".into(), s(sk))])
}

fn pointer_key(client: &ClientId, flow: &FlowId) -> Item {
    key(client, format!("BLOCKGEN#{flow}"))
}

fn entry_key(client: &ClientId, flow: &FlowId, generation: u64, hash: &str) -> Item {
    key(client, format!("BLOCK#{flow}#{generation}#{hash}"))
}

impl DynamoStore {
    /// The flow's current generation (0: no list ever written).
    async fn generation(&self, client: &ClientId, flow: &FlowId) -> Result<u64, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(pointer_key(client, flow)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out.item().and_then(|i| i.get("list_gen")).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Deletes every item of one generation of the flow's list.
    async fn delete_generation(&self, client: &ClientId, flow: &FlowId, generation: u64) -> Result<(), StoreError> {
        let items = self.query_partition(&client_pk(client), "begins_with(sk, :v)", &format!("BLOCK#{flow}#{generation}#")).await?;
        let deletes = items
            .iter()
            .map(|item| {
                let k: Item = item.iter().filter(|(k, _)| *k == "pk" || *k == "sk").map(|(k, v)| (k.clone(), v.clone())).collect();
                Ok(WriteRequest::builder().delete_request(DeleteRequest::builder().set_key(Some(k)).build().map_err(build_err)?).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.batch_write(deletes).await
    }
}

#[async_trait]
impl BlocklistStore for DynamoStore {
    async fn replace_list(&self, client: &ClientId, flow: &FlowId, hashes: &[String]) -> Result<u64, StoreError> {
        let mut unique: Vec<&String> = hashes.iter().collect();
        unique.sort();
        unique.dedup();
        let old = self.generation(client, flow).await?;
        let next = old + 1;
        let puts = unique
            .iter()
            .map(|h| {
                let put = PutRequest::builder().set_item(Some(entry_key(client, flow, next, h))).build().map_err(build_err)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.batch_write(puts).await?;
        let mut pointer = pointer_key(client, flow);
        pointer.insert("list_gen".into(), n(next));
        pointer.insert("count".into(), n(unique.len()));
        let switched = if old == 0 {
            self.put_if(pointer, "attribute_not_exists(pk)", None, StoreError::Conflict).await
        } else {
            self.put_if(pointer, "list_gen = :expected", Some(old), StoreError::Conflict).await
        };
        if let Err(e) = switched {
            // Another upload switched first: this one's items are nobody's list.
            self.delete_generation(client, flow, next).await?;
            return Err(e);
        }
        if old > 0
            && let Err(e) = self.delete_generation(client, flow, old).await
        {
            // Unreachable by readers already (the pointer moved); a later upload or a sweep can
            // remove them. Logged, not failed: the new list is in force.
            tracing::warn!(error = %e, "an old blocklist generation was not fully deleted");
        }
        Ok(unique.len() as u64)
    }

    async fn any_listed(&self, client: &ClientId, flow: &FlowId, hashes: &[String]) -> Result<bool, StoreError> {
        if hashes.is_empty() {
            return Ok(false);
        }
        let generation = self.generation(client, flow).await?;
        if generation == 0 {
            return Ok(false);
        }
        let mut keys: Vec<Item> = hashes.iter().map(|h| entry_key(client, flow, generation, h)).collect();
        keys.dedup();
        let mut request = Some(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().map_err(build_err)?);
        for _ in 0..5 {
            let Some(r) = request.take() else { break };
            let out = self.ddb.batch_get_item().request_items(&self.table, r).send().await.map_err(backend)?;
            if out.responses().and_then(|t| t.get(&self.table)).is_some_and(|items| !items.is_empty()) {
                return Ok(true);
            }
            request = out.unprocessed_keys().and_then(|u| u.get(&self.table)).cloned().filter(|k| !k.keys().is_empty());
        }
        if request.is_some() {
            return Err(StoreError::Backend("the table kept throttling a blocklist read".into()));
        }
        Ok(false)
    }
}

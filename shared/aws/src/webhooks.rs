//! Webhooks and their delivery log in the table (the same conformance suite as the embedded store).
//!
//! | record | pk | sk | other |
//! |---|---|---|---|
//! | webhook | `CLIENT#<clientId>` | `WEBHOOK#<webhookId>` | `doc`, `ver` |
//! | delivery | `CLIENT#<clientId>` | `WHDEL#<deliveryId>` | `doc`, `ver`, `status`; catalog `gsi1pk = CLIENT#<clientId>#WHDEL#<webhookId>`, `gsi1sk = <createdAt>#<deliveryId>` |
//!
//! A client's webhooks are one Query of its partition (at most 100). A webhook's log is a Query of
//! the catalog index newest first (filtered by `status`, which the index projects), then one
//! consistent BatchGetItem of the page's documents.

use crate::backend;
use crate::dynamo::{DynamoStore, GSI1, Item, client_pk, doc_of, n, s, to_doc};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ports::{Page, WebhookStore};
use smartenroll_domain::webhook::{Delivery, DeliveryStatus, Webhook};
use std::collections::HashMap;

fn webhook_key(client: &ClientId, id: &str) -> Item {
    HashMap::from([("pk".into(), s(client_pk(client))), ("sk".into(), s(format!("WEBHOOK#{id}")))])
}

fn delivery_key(client: &ClientId, id: &str) -> Item {
    HashMap::from([("pk".into(), s(client_pk(client))), ("sk".into(), s(format!("WHDEL#{id}")))])
}

fn log_pk(client: &ClientId, webhook: &str) -> String {
    format!("{}#WHDEL#{webhook}", client_pk(client))
}

fn webhook_item(w: &Webhook) -> Result<Item, StoreError> {
    let mut item = webhook_key(&w.client, &w.id);
    item.insert("doc".into(), s(to_doc(w)?));
    item.insert("ver".into(), n(w.version));
    Ok(item)
}

fn delivery_item(d: &Delivery) -> Result<Item, StoreError> {
    let mut item = delivery_key(&d.client, &d.id);
    item.insert("doc".into(), s(to_doc(d)?));
    item.insert("ver".into(), n(d.version));
    item.insert("status".into(), s(d.status.as_str()));
    item.insert("gsi1pk".into(), s(log_pk(&d.client, &d.webhook)));
    item.insert("gsi1sk".into(), s(format!("{}#{}", d.created_at.to_iso(), d.id)));
    Ok(item)
}

impl DynamoStore {
    /// The catalog entries (table keys) of a webhook's log, newest first, optionally one status.
    async fn log_keys(&self, client: &ClientId, webhook: &str, status: Option<DeliveryStatus>) -> Result<Vec<Item>, StoreError> {
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .ddb
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :p")
                .expression_attribute_values(":p", s(log_pk(client, webhook)))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take());
            if let Some(st) = status {
                q = q
                    .filter_expression("#status = :s")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":s", s(st.as_str()));
            }
            let out = q.send().await.map_err(backend)?;
            for item in out.items() {
                if let (Some(pk), Some(sk)) = (item.get("pk"), item.get("sk")) {
                    keys.push(HashMap::from([("pk".to_string(), pk.clone()), ("sk".to_string(), sk.clone())]));
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(keys)
    }
}

#[async_trait]
impl WebhookStore for DynamoStore {
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        self.put_if(webhook_item(webhook)?, "attribute_not_exists(pk)", None, StoreError::Duplicate).await
    }

    async fn get_webhook(&self, client: &ClientId, id: &str) -> Result<Option<Webhook>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(webhook_key(client, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    async fn replace_webhook(&self, webhook: &Webhook, expected_version: u64) -> Result<(), StoreError> {
        self.put_if(webhook_item(webhook)?, "ver = :expected", Some(expected_version), StoreError::Conflict).await
    }

    async fn delete_webhook(&self, client: &ClientId, id: &str) -> Result<bool, StoreError> {
        let r = self
            .ddb
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(webhook_key(client, id)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => return Ok(false),
            Err(e) => return Err(backend(e)),
        }
        let deletes = self
            .log_keys(client, id, None)
            .await?
            .into_iter()
            .map(|key| DeleteRequest::builder().set_key(Some(key)).build().map(|d| WriteRequest::builder().delete_request(d).build()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(crate::dynamo::build_err)?;
        self.batch_write(deletes).await?;
        Ok(true)
    }

    async fn webhooks(&self, client: &ClientId) -> Result<Vec<Webhook>, StoreError> {
        let items = self.query_partition(&client_pk(client), "begins_with(sk, :v)", "WEBHOOK#").await?;
        let mut hooks: Vec<Webhook> = items.iter().map(doc_of).collect::<Result<_, _>>()?;
        hooks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(hooks)
    }

    async fn insert_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError> {
        match self.put_if(delivery_item(delivery)?, "attribute_not_exists(pk)", None, StoreError::Duplicate).await {
            Ok(()) => Ok(true),
            Err(StoreError::Duplicate) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn get_delivery(&self, client: &ClientId, id: &str) -> Result<Option<Delivery>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(delivery_key(client, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    async fn replace_delivery(&self, delivery: &Delivery, expected_version: u64) -> Result<(), StoreError> {
        self.put_if(delivery_item(delivery)?, "ver = :expected", Some(expected_version), StoreError::Conflict).await
    }

    async fn deliveries(
        &self,
        client: &ClientId,
        webhook: &str,
        status: Option<DeliveryStatus>,
        offset: u64,
        limit: u32,
    ) -> Result<Page<Delivery>, StoreError> {
        let keys = self.log_keys(client, webhook, status).await?;
        let total = keys.len() as u64;
        let page: Vec<Item> = keys.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok(Page { items: self.fetch(page).await?, total, next: None })
    }
}

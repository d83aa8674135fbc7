//! DynamoDB implementation of the record and rate-limit ports: one table, keys designed for the
//! access patterns (see the README's architecture notes for the table).
//!
//! | item | pk | sk | other attributes |
//! |---|---|---|---|
//! | client | `CLIENT#<clientId>` | `CLIENT` | `doc`, `ver` |
//! | project | `CLIENT#<clientId>` | `PROJECT#<projectId>` | `doc`, `ver`, `status`, `target`, `name_lower`, `created`, `gsi1pk` = `CLIENT#<clientId>#PROJECTS`, `gsi1sk` = `<createdAt>#<projectId>` |
//! | rate counter | `RATE#<clientId>#<category>#<windowStart>` | `RATE` | `n`, `expires_at` (TTL) |
//!
//! Every key starts with the client id, so tenant scoping is in the key itself. Writes are
//! conditional on the version read (`ver`), so concurrent writers cannot lose an update.

use crate::backend;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ReturnValue, ScalarAttributeType, TimeToLiveSpecification,
};
use smartenroll_domain::client::Client;
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, ProjectId};
use smartenroll_domain::ports::{ClientStore, Page, ProjectStore, RateLimiter};
use smartenroll_domain::project::Project;
use smartenroll_domain::query::ProjectQuery;
use smartenroll_domain::ratelimit::{RateDecision, RateKey};
use std::collections::HashMap;

pub const GSI1: &str = "gsi1";
/// Counter items outlive their window by this much, then DynamoDB's TTL removes them.
const COUNTER_TTL_SECONDS: i64 = 120;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    ddb: Ddb,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn client_pk(id: &ClientId) -> String {
    format!("CLIENT#{id}")
}

fn doc_of<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get("doc") {
        Some(AttributeValue::S(doc)) => {
            serde_json::from_str(doc).map_err(|e| StoreError::Backend(format!("stored document does not parse: {e}")))
        }
        _ => Err(StoreError::Backend("item without a document".into())),
    }
}

fn to_doc<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

impl DynamoStore {
    pub fn new(ddb: Ddb, table: impl Into<String>) -> Self {
        Self { ddb, table: table.into() }
    }

    /// A store over `table` with a client built from the shared SDK configuration.
    pub fn from_conf(conf: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Ddb::new(conf), table)
    }

    /// Creates the table, its index and TTL (for tests and a local setup; the SAM template owns the
    /// table in AWS). An existing table is left as it is.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attr = |name: &str| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build();
        let key = |name: &str, kind: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Backend(e.to_string());
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(GSI1)
            .key_schema(key("gsi1pk", KeyType::Hash).map_err(build)?)
            .key_schema(key("gsi1sk", KeyType::Range).map_err(build)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(build)?;
        let created = self
            .ddb
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk").map_err(build)?)
            .attribute_definitions(attr("sk").map_err(build)?)
            .attribute_definitions(attr("gsi1pk").map_err(build)?)
            .attribute_definitions(attr("gsi1sk").map_err(build)?)
            .key_schema(key("pk", KeyType::Hash).map_err(build)?)
            .key_schema(key("sk", KeyType::Range).map_err(build)?)
            .global_secondary_indexes(gsi)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(()),
            Err(e) => return Err(backend(e)),
        }
        self.ddb
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder().attribute_name("expires_at").enabled(true).build().map_err(build)?,
            )
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// A PutItem under `condition`; a failed condition becomes `on_fail` (Duplicate or Conflict).
    async fn put_if(&self, item: Item, condition: &str, expected: Option<u64>, on_fail: StoreError) -> Result<(), StoreError> {
        let mut put = self.ddb.put_item().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        if let Some(v) = expected {
            put = put.expression_attribute_values(":expected", n(v));
        }
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Err(on_fail),
            Err(e) => Err(backend(e)),
        }
    }

    fn client_item(c: &Client) -> Result<Item, StoreError> {
        Ok(HashMap::from([
            ("pk".into(), s(client_pk(&c.id))),
            ("sk".into(), s("CLIENT")),
            ("doc".into(), s(to_doc(c)?)),
            ("ver".into(), n(c.version)),
        ]))
    }

    fn project_item(p: &Project) -> Result<Item, StoreError> {
        let created = p.created_at.to_iso();
        Ok(HashMap::from([
            ("pk".into(), s(client_pk(&p.client))),
            ("sk".into(), s(format!("PROJECT#{}", p.id))),
            ("doc".into(), s(to_doc(p)?)),
            ("ver".into(), n(p.version)),
            ("status".into(), s(p.status.as_str())),
            ("target".into(), s(p.config.target.as_str())),
            ("name_lower".into(), s(p.config.name.to_lowercase())),
            ("created".into(), s(created.clone())),
            ("gsi1pk".into(), s(format!("{}#PROJECTS", client_pk(&p.client)))),
            ("gsi1sk".into(), s(format!("{created}#{}", p.id))),
        ]))
    }
}

#[async_trait]
impl ProjectStore for DynamoStore {
    async fn insert(&self, project: &Project) -> Result<(), StoreError> {
        self.put_if(Self::project_item(project)?, "attribute_not_exists(pk)", None, StoreError::Duplicate).await
    }

    async fn get(&self, client: &ClientId, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key("pk", s(client_pk(client)))
            .key("sk", s(format!("PROJECT#{id}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    async fn replace(&self, project: &Project, expected_version: u64) -> Result<(), StoreError> {
        self.put_if(Self::project_item(project)?, "ver = :expected", Some(expected_version), StoreError::Conflict).await
    }

    async fn delete(&self, client: &ClientId, id: &ProjectId, expected_version: u64) -> Result<(), StoreError> {
        let r = self
            .ddb
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(client_pk(client)))
            .key("sk", s(format!("PROJECT#{id}")))
            .condition_expression("ver = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Err(StoreError::Conflict),
            Err(e) => Err(backend(e)),
        }
    }

    /// Newest first from the per-client index. Filters are applied while reading the index, and
    /// the page is cut from the matches, so `total` is exact. This reads the client's whole index
    /// per request; maintained counters and a cursor for very large tenants are the next step.
    async fn list(&self, client: &ClientId, query: &ProjectQuery) -> Result<Page<Project>, StoreError> {
        if query.statuses.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page { items: vec![], total: 0 });
        }
        let mut filters = Vec::new();
        let mut values: Item = HashMap::from([(":p".into(), s(format!("{}#PROJECTS", client_pk(client))))]);
        let mut names: HashMap<String, String> = HashMap::new();
        if let Some(name) = &query.name_contains {
            filters.push("contains(name_lower, :name)".to_string());
            values.insert(":name".into(), s(name.clone()));
        }
        if let Some(statuses) = &query.statuses {
            let keys: Vec<String> = (0..statuses.len()).map(|i| format!(":st{i}")).collect();
            for (k, st) in keys.iter().zip(statuses) {
                values.insert(k.clone(), s(st.as_str()));
            }
            names.insert("#status".into(), "status".into());
            filters.push(format!("#status IN ({})", keys.join(", ")));
        }
        if let Some(t) = query.target {
            names.insert("#target".into(), "target".into());
            filters.push("#target = :target".into());
            values.insert(":target".into(), s(t.as_str()));
        }
        if let Some(prefix) = &query.created_prefix {
            filters.push("begins_with(created, :created)".into());
            values.insert(":created".into(), s(prefix.clone()));
        }
        let (start, end) = (query.offset() as usize, query.offset() as usize + query.limit as usize);
        let mut matched = 0usize;
        let mut items = Vec::new();
        let mut cursor: Option<Item> = None;
        loop {
            let mut q = self
                .ddb
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :p")
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .set_exclusive_start_key(cursor.take());
            if !filters.is_empty() {
                q = q.filter_expression(filters.join(" AND "));
            }
            if !names.is_empty() {
                q = q.set_expression_attribute_names(Some(names.clone()));
            }
            let out = q.send().await.map_err(backend)?;
            for item in out.items() {
                if (start..end).contains(&matched) {
                    items.push(doc_of(item)?);
                }
                matched += 1;
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => cursor = Some(k.clone()),
                _ => break,
            }
        }
        Ok(Page { items, total: matched as u64 })
    }
}

#[async_trait]
impl ClientStore for DynamoStore {
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        self.put_if(Self::client_item(client)?, "attribute_not_exists(pk)", None, StoreError::Duplicate).await
    }

    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key("pk", s(client_pk(id)))
            .key("sk", s("CLIENT"))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    async fn replace(&self, client: &Client, expected_version: u64) -> Result<(), StoreError> {
        self.put_if(Self::client_item(client)?, "ver = :expected", Some(expected_version), StoreError::Conflict).await
    }
}

/// Exact under any concurrency: DynamoDB applies each conditional `ADD` to the one counter item
/// atomically, so at most `limit` requests of a window ever see success.
#[async_trait]
impl RateLimiter for DynamoStore {
    async fn hit(&self, key: &RateKey, limit: u32, _now: Timestamp) -> Result<RateDecision, StoreError> {
        let r = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("RATE#{}#{}#{}", key.client, key.category.as_str(), key.window_start)))
            .key("sk", s("RATE"))
            .update_expression("ADD #n :one SET expires_at = if_not_exists(expires_at, :exp)")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":exp", n(key.reset_at() + COUNTER_TTL_SECONDS))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match r {
            Ok(out) => {
                let count =
                    out.attributes().and_then(|a| a.get("n")).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u64>().ok()).unwrap_or(1);
                Ok(RateDecision::from_count(key, limit, count))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Ok(RateDecision::from_count(key, limit, u64::from(limit) + 1))
            }
            Err(e) => Err(backend(e)),
        }
    }
}

//! DynamoDB implementation of the record and rate-limit ports: one table, keys designed for the
//! access patterns (see the README's architecture notes for the table).
//!
//! | item | pk | sk | other attributes |
//! |---|---|---|---|
//! | client | `CLIENT#<clientId>` | `CLIENT` | `doc`, `ver` |
//! | project | `CLIENT#<clientId>` | `PROJECT#<projectId>` | `doc`, `ver`, `status`, `target`, `name_lower`, `created`, `gsi1pk` = `CLIENT#<clientId>#PROJECTS`, `gsi1sk` = `<createdAt>#<projectId>` |
//! | lookup (project or flow id → owner) | `LOOKUP#<projectId or flowId>` | `LOOKUP` | `client`, `project` (written in the project's own transactions) |
//! | per-status project counts | `CLIENT#<clientId>` | `PROJECTS#COUNT` | `draft`, `active`, `paused` (numbers, kept in step by every project write's transaction) |
//! | rate counter | `RATE#<clientId>#<category>#<windowStart>` | `RATE` | `n`, `expires_at` (TTL) |
//! | client contact (login lookup) | `CONTACT#<email or phone>:<sha256 of the address>` | `CLIENT#<clientId>` | — (written with the client) |
//!
//! Every key starts with the client id, so tenant scoping is in the key itself. Writes are
//! conditional on the version read (`ver`), so concurrent writers cannot lose an update.

use crate::backend;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex, KeySchemaElement, KeyType, KeysAndAttributes,
    Projection, ProjectionType, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update,
};
use smartenroll_domain::client::Client;
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, ProjectId};
use smartenroll_domain::ports::{Admission, ClientStore, Page, ProjectStore, RateLimiter};
use smartenroll_domain::project::{Project, ProjectStatus};
use smartenroll_domain::query::{ListCursor, ProjectQuery};
use smartenroll_domain::ratelimit::{RateDecision, RateKey};
use std::collections::HashMap;

pub const GSI1: &str = "gsi1";
/// The expiry sweeper's index: only unfinished registrations carry its keys (a sparse index).
pub const GSI2: &str = "gsi2";
/// The attributes the catalog index carries besides its keys: what list filters read.
pub const GSI1_ATTRIBUTES: [&str; 6] = ["status", "target", "name_lower", "created", "project", "flow"];
/// Sort key of a client's per-status project counts.
const COUNTS_SK: &str = "PROJECTS#COUNT";
/// Tries of a transaction that keeps colliding with another on the same counts item.
const TRANSACTION_ATTEMPTS: u32 = 5;
/// Counter items outlive their window by this much, then DynamoDB's TTL removes them.
const COUNTER_TTL_SECONDS: i64 = 120;

pub(crate) type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    pub(crate) ddb: Ddb,
    pub(crate) table: String,
    /// Where committed outbox jobs are sent right away (the relay sweep catches any that a crash
    /// left behind); `None` leaves them all to the sweep.
    pub(crate) relay: Option<std::sync::Arc<dyn smartenroll_domain::ports::JobQueue>>,
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn client_pk(id: &ClientId) -> String {
    format!("CLIENT#{id}")
}

pub(crate) fn doc_of<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    match item.get("doc") {
        Some(AttributeValue::S(doc)) => {
            serde_json::from_str(doc).map_err(|e| StoreError::Backend(format!("stored document does not parse: {e}")))
        }
        _ => Err(StoreError::Backend("item without a document".into())),
    }
}

pub(crate) fn to_doc<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

impl DynamoStore {
    pub fn new(ddb: Ddb, table: impl Into<String>) -> Self {
        Self { ddb, table: table.into(), relay: None }
    }

    /// Sends outbox jobs to `queue` as soon as their write commits.
    pub fn with_relay(mut self, queue: std::sync::Arc<dyn smartenroll_domain::ports::JobQueue>) -> Self {
        self.relay = Some(queue);
        self
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
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .set_non_key_attributes(Some(GSI1_ATTRIBUTES.iter().map(|a| a.to_string()).collect()))
                    .build(),
            )
            .build()
            .map_err(build)?;
        let gsi2 = GlobalSecondaryIndex::builder()
            .index_name(GSI2)
            .key_schema(key("gsi2pk", KeyType::Hash).map_err(build)?)
            .key_schema(key("gsi2sk", KeyType::Range).map_err(build)?)
            .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
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
            .attribute_definitions(attr("gsi2pk").map_err(build)?)
            .attribute_definitions(attr("gsi2sk").map_err(build)?)
            .key_schema(key("pk", KeyType::Hash).map_err(build)?)
            .key_schema(key("sk", KeyType::Range).map_err(build)?)
            .global_secondary_indexes(gsi)
            .global_secondary_indexes(gsi2)
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
    pub(crate) async fn put_if(&self, item: Item, condition: &str, expected: Option<u64>, on_fail: StoreError) -> Result<(), StoreError> {
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
            ("gen".into(), n(c.token_generation)),
        ]))
    }

    fn client_key(id: &ClientId) -> Item {
        HashMap::from([("pk".into(), s(client_pk(id))), ("sk".into(), s("CLIENT"))])
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

/// The page window of a list: skip `skip` matches, keep `take`, and look one further to learn
/// whether a next page exists.
struct Window {
    skip: usize,
    take: usize,
}

impl DynamoStore {
    fn project_key(client: &ClientId, id: &str) -> Item {
        HashMap::from([("pk".into(), s(client_pk(client))), ("sk".into(), s(format!("PROJECT#{id}")))])
    }

    fn lookup_key(id: &str) -> Item {
        HashMap::from([("pk".into(), s(format!("LOOKUP#{id}"))), ("sk".into(), s("LOOKUP"))])
    }

    /// The transaction actions that add the lookup items of `ids` (owned by `p`) and remove those of
    /// `gone`.
    fn lookup_changes(&self, p: &Project, ids: &[String], gone: &[String]) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut out = Vec::new();
        for id in ids {
            let mut item = Self::lookup_key(id);
            item.insert("client".into(), s(p.client.as_str()));
            item.insert("project".into(), s(p.id.as_str()));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)?;
            out.push(TransactWriteItem::builder().put(put).build());
        }
        for id in gone {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(Self::lookup_key(id))).build().map_err(build_err)?;
            out.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(out)
    }

    fn counts_key(client: &ClientId) -> Item {
        HashMap::from([("pk".into(), s(client_pk(client))), ("sk".into(), s(COUNTS_SK))])
    }

    /// `ADD <status> :delta` on the client's counts item, as one action of a transaction.
    fn count_change(&self, client: &ClientId, changes: &[(&str, i64)]) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder().table_name(&self.table).set_key(Some(Self::counts_key(client)));
        let mut adds = Vec::new();
        for (i, (status, delta)) in changes.iter().enumerate() {
            adds.push(format!("#s{i} :d{i}"));
            update = update.expression_attribute_names(format!("#s{i}"), *status).expression_attribute_values(format!(":d{i}"), n(delta));
        }
        let update = update.update_expression(format!("ADD {}", adds.join(", "))).build().map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Runs a transaction; a failed condition on any of its actions becomes `on_fail`.
    /// Transactions touching one client's counts item at the same moment cancel each other
    /// (`TransactionConflict`, which the SDK does not retry): those are retried here with a short
    /// jittered backoff, and answered `Conflict` (retry later) if they keep colliding.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>, on_fail: StoreError) -> Result<(), StoreError> {
        for attempt in 0..TRANSACTION_ATTEMPTS {
            let e = match self.ddb.transact_write_items().set_transact_items(Some(items.clone())).send().await {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let reasons: Vec<String> = match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                    c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_string()).collect()
                }
                _ => return Err(backend(e)),
            };
            if reasons.iter().any(|r| r == "ConditionalCheckFailed") {
                return Err(on_fail);
            }
            if !reasons.iter().any(|r| r == "TransactionConflict") {
                return Err(backend(e));
            }
            let mut jitter = [0u8; 1];
            getrandom::fill(&mut jitter).map_err(|e| StoreError::Backend(e.to_string()))?;
            let pause = (10u64 << attempt) + u64::from(jitter[0] % 10);
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        Err(StoreError::Conflict)
    }

    /// The client's maintained per-status counts (a missing item is all zeros).
    async fn counts(&self, client: &ClientId) -> Result<HashMap<String, u64>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::counts_key(client)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out
            .item()
            .map(|item| item.iter().filter_map(|(k, v)| Some((k.clone(), v.as_n().ok()?.parse::<i64>().ok()?.max(0) as u64))).collect())
            .unwrap_or_default())
    }

    /// Reads the catalog index newest first from `after` (or the start), keeping the keys and
    /// positions of the matches in `window` (and one more). With `count_all`, reads to the end to
    /// count every match; otherwise stops early.
    async fn scan_catalog(
        &self,
        query: &ProjectQuery,
        client: &ClientId,
        after: Option<&ListCursor>,
        window: &Window,
        count_all: bool,
    ) -> Result<(Vec<(Item, ListCursor)>, u64), StoreError> {
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
        let mut start_key = after.map(|after| {
            let mut key = Self::project_key(client, &after.id);
            key.insert("gsi1pk".into(), s(format!("{}#PROJECTS", client_pk(client))));
            key.insert("gsi1sk".into(), s(format!("{}#{}", after.created, after.id)));
            key
        });
        let wanted = window.skip + window.take + 1;
        let (mut matched, mut keys) = (0usize, Vec::new());
        loop {
            let mut q = self
                .ddb
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :p")
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .set_exclusive_start_key(start_key.take());
            if filters.is_empty() {
                if !count_all {
                    // Without filters every item read is a match: read no more than needed.
                    q = q.limit((wanted - matched).min(1000) as i32);
                }
            } else {
                q = q.filter_expression(filters.join(" AND "));
            }
            if !names.is_empty() {
                q = q.set_expression_attribute_names(Some(names.clone()));
            }
            let out = q.send().await.map_err(backend)?;
            for item in out.items() {
                if matched >= window.skip && matched < wanted {
                    let position = item.get("gsi1sk").and_then(|v| v.as_s().ok()).and_then(|sk| sk.split_once('#'));
                    let Some((created, id)) = position else {
                        return Err(StoreError::Backend("a catalog item without its sort key".into()));
                    };
                    let cursor = ListCursor { created: created.to_string(), id: id.to_string() };
                    keys.push((Self::project_key(client, id), cursor));
                }
                matched += 1;
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() && (count_all || matched < wanted) => start_key = Some(k.clone()),
                _ => break,
            }
        }
        Ok((keys, matched as u64))
    }

    /// The documents under `keys`, in the order of `keys` (strongly consistent reads).
    pub(crate) async fn fetch<T: serde::de::DeserializeOwned>(&self, keys: Vec<Item>) -> Result<Vec<T>, StoreError> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let order: Vec<String> = keys.iter().filter_map(|k| k.get("sk").and_then(|v| v.as_s().ok()).cloned()).collect();
        let mut found: HashMap<String, T> = HashMap::new();
        let mut pending = Some(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().map_err(build_err)?);
        for _ in 0..10 {
            let Some(request) = pending.take() else { break };
            let out = self.ddb.batch_get_item().request_items(&self.table, request).send().await.map_err(backend)?;
            for item in out.responses().and_then(|r| r.get(&self.table)).map(Vec::as_slice).unwrap_or_default() {
                if let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) {
                    found.insert(sk.clone(), doc_of(item)?);
                }
            }
            pending = out.unprocessed_keys().and_then(|u| u.get(&self.table)).filter(|k| !k.keys().is_empty()).cloned();
        }
        if pending.is_some() {
            return Err(StoreError::Backend("the table kept throttling a page read".into()));
        }
        // A record deleted between the index read and this read is simply absent from the page.
        Ok(order.iter().filter_map(|sk| found.remove(sk)).collect())
    }
}

pub(crate) fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Every write of a project also keeps the client's per-status counts (`PROJECTS#COUNT`) in step,
/// in the same transaction, so list totals need no scan.
#[async_trait]
impl ProjectStore for DynamoStore {
    async fn insert(&self, project: &Project) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::project_item(project)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let mut items =
            vec![TransactWriteItem::builder().put(put).build(), self.count_change(&project.client, &[(project.status.as_str(), 1)])?];
        items.extend(self.lookup_changes(project, &project.lookup_ids(), &[])?);
        self.transact(items, StoreError::Duplicate).await
    }

    async fn get(&self, client: &ClientId, id: &ProjectId) -> Result<Option<Project>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::project_key(client, id.as_str())))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    /// A status change also moves one count from the old status to the new one, in the same
    /// transaction; the version condition guarantees `previous` is still the stored record, so its
    /// status is the one to decrement.
    /// A flow added or removed adds or removes its lookup item in the same transaction.
    async fn replace(&self, project: &Project, previous: &Project) -> Result<(), StoreError> {
        let (old_status, expected_version) = (previous.status.as_str(), previous.version);
        let (before, after) = (previous.lookup_ids(), project.lookup_ids());
        let added: Vec<String> = after.iter().filter(|id| !before.contains(id)).cloned().collect();
        let gone: Vec<String> = before.iter().filter(|id| !after.contains(id)).cloned().collect();
        if old_status == project.status.as_str() && added.is_empty() && gone.is_empty() {
            return self.put_if(Self::project_item(project)?, "ver = :expected", Some(expected_version), StoreError::Conflict).await;
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::project_item(project)?))
            .condition_expression("ver = :expected")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .map_err(build_err)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if old_status != project.status.as_str() {
            items.push(self.count_change(&project.client, &[(old_status, -1), (project.status.as_str(), 1)])?);
        }
        items.extend(self.lookup_changes(project, &added, &gone)?);
        self.transact(items, StoreError::Conflict).await
    }

    async fn delete(&self, project: &Project, jobs: &[String]) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::project_key(&project.client, project.id.as_str())))
            .condition_expression("ver = :expected")
            .expression_attribute_values(":expected", n(project.version))
            .build()
            .map_err(build_err)?;
        let counts = self.count_change(&project.client, &[(project.status.as_str(), -1)])?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build(), counts];
        items.extend(self.lookup_changes(project, &[], &project.lookup_ids())?);
        let outbox = self.outbox(jobs, crate::registrations::now_ms(), project.id.as_str())?;
        self.transact_with_outbox(items, outbox, StoreError::Conflict).await
    }

    async fn locate(&self, id: &str) -> Result<Option<(ClientId, ProjectId)>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::lookup_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        let Some(item) = out.item() else { return Ok(None) };
        let field = |k: &str| {
            item.get(k).and_then(|v| v.as_s().ok()).cloned().ok_or_else(|| StoreError::Backend(format!("lookup item without {k}")))
        };
        let client = ClientId::parse(&field("client")?).map_err(|e| StoreError::Backend(e.to_string()))?;
        let project = ProjectId::parse(&field("project")?).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(Some((client, project)))
    }

    /// Newest first from the client's catalog index (`gsi1`, which projects only the filtered
    /// attributes, so reading it costs a fraction of reading the documents), then one batch read
    /// of the page's documents. Totals of unfiltered and status-only lists come from the
    /// maintained counts, so such a page reads only up to its own end; other filters count by
    /// reading the catalog through. `cursor` resumes after a key instead of skipping `offset`.
    async fn list(&self, client: &ClientId, query: &ProjectQuery) -> Result<Page<Project>, StoreError> {
        if query.statuses.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page { items: vec![], total: 0, next: None });
        }
        let counted = query.name_contains.is_none() && query.target.is_none() && query.created_prefix.is_none();
        let window = Window { skip: query.offset() as usize, take: query.limit as usize };
        let after = query.after.as_ref();
        let scan = self.scan_catalog(query, client, after, &window, !counted && after.is_none());
        // The counts and the page are independent reads: one round trip for both.
        let ((mut keys, matched), counts) = if counted {
            let (scanned, counts) = tokio::try_join!(scan, self.counts(client))?;
            (scanned, Some(counts))
        } else {
            (scan.await?, None)
        };
        let total = if let Some(counts) = counts {
            match &query.statuses {
                Some(statuses) => statuses.iter().map(|st| counts.get(st.as_str()).copied().unwrap_or(0)).sum(),
                None => ProjectStatus::ALL.iter().map(|st| counts.get(st.as_str()).copied().unwrap_or(0)).sum(),
            }
        } else if after.is_some() {
            // The total counts every match, not only those after the cursor: count from the start.
            self.scan_catalog(query, client, None, &Window { skip: 0, take: 0 }, true).await?.1
        } else {
            matched
        };
        let more = keys.len() > window.take;
        keys.truncate(window.take);
        // The cursor is the last position read from the index, so a project deleted between the
        // index read and the document read neither repeats nor ends the walk early.
        let next = if more { keys.last().map(|(_, position)| position.clone()) } else { None };
        let items = self.fetch(keys.into_iter().map(|(key, _)| key).collect()).await?;
        Ok(Page { items, total, next })
    }
}

#[async_trait]
impl ClientStore for DynamoStore {
    /// The client and its contact items in one transaction (a login finds it the moment it exists).
    async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        let keys = client.contact_keys();
        if keys.is_empty() {
            return self.put_if(Self::client_item(client)?, "attribute_not_exists(pk)", None, StoreError::Duplicate).await;
        }
        let mut items = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(Self::client_item(client)?))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        ];
        for key in keys {
            let item = HashMap::from([("pk".into(), s(format!("CONTACT#{key}"))), ("sk".into(), s(format!("CLIENT#{}", client.id)))]);
            items.push(
                TransactWriteItem::builder()
                    .put(Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(build_err)?)
                    .build(),
            );
        }
        self.transact(items, StoreError::Duplicate).await
    }

    async fn find_by_contact(&self, key: &str) -> Result<Vec<ClientId>, StoreError> {
        let items = self.query_partition(&format!("CONTACT#{key}"), "begins_with(sk, :v)", "CLIENT#").await?;
        items
            .iter()
            .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).and_then(|sk| sk.strip_prefix("CLIENT#")))
            .map(|id| ClientId::parse(id).map_err(|_| StoreError::Backend("a contact item names a malformed client id".into())))
            .collect()
    }

    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::client_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    /// An UpdateItem of the record's own attributes, so the rate counters on the item survive.
    async fn replace(&self, client: &Client, expected_version: u64) -> Result<(), StoreError> {
        let r = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::client_key(&client.id)))
            .update_expression("SET doc = :doc, ver = :ver, gen = :gen")
            .condition_expression("ver = :expected")
            .expression_attribute_values(":doc", s(to_doc(client)?))
            .expression_attribute_values(":ver", n(client.version))
            .expression_attribute_values(":gen", n(client.token_generation))
            .expression_attribute_values(":expected", n(expected_version))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Err(StoreError::Conflict),
            Err(e) => Err(backend(e)),
        }
    }

    /// One round trip in the common case. A client's own rate counters live on its item
    /// (`rw_<category>`: the window's start, `rn_<category>`: the count in it), so one conditional
    /// `ADD` checks the token generation (revocation), the window and the limit together, and
    /// returns the whole item, which is the client record. Only when the condition fails does the
    /// returned old item say why: no item or another generation (unknown — nothing counted), the
    /// same window at the limit (limited), or an older window, which a second conditional write
    /// restarts at 1 (two writers racing to restart it: the loser counts in the winner's window).
    /// Every request of a client writes this one item; the per-client limits (hundreds a minute)
    /// stay far below DynamoDB's per-item write rate.
    async fn admit(
        &self,
        id: &ClientId,
        generation: u32,
        rate: Option<(&RateKey, u32)>,
        _limiter: &dyn RateLimiter,
        _now: Timestamp,
    ) -> Result<Admission, StoreError> {
        let Some((key, limit)) = rate else {
            return Ok(match ClientStore::get(self, id).await?.filter(|c| c.token_generation == generation) {
                Some(client) => Admission::Admitted { client, rate: None },
                None => Admission::Unknown,
            });
        };
        let window = format!("rw_{}", key.category.as_str());
        let count = format!("rn_{}", key.category.as_str());
        let update = || {
            self.ddb
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::client_key(id)))
                .expression_attribute_names("#gen", "gen")
                .expression_attribute_names("#w", window.as_str())
                .expression_attribute_names("#n", count.as_str())
                .expression_attribute_values(":gen", n(generation))
                .expression_attribute_values(":w", n(key.window_start))
                .expression_attribute_values(":one", n(1))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        };
        let admitted = |item: Option<&Item>| -> Result<Admission, StoreError> {
            let item = item.ok_or_else(|| StoreError::Backend("UpdateItem returned no attributes".into()))?;
            let n = item.get(&count).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<u64>().ok()).unwrap_or(1);
            Ok(Admission::Admitted { client: doc_of(item)?, rate: Some(RateDecision::from_count(key, limit, n)) })
        };
        for _ in 0..3 {
            // The window is open (or a newer one, opened by an instance whose clock runs ahead).
            let counted = update()
                .update_expression("ADD #n :one")
                .condition_expression("#gen = :gen AND #w >= :w AND #n < :limit")
                .expression_attribute_values(":limit", n(limit))
                .send()
                .await;
            let old = match counted {
                Ok(out) => return admitted(out.attributes()),
                Err(e) => match e.into_service_error() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(f) => f.item,
                    other => return Err(StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(other).to_string())),
                },
            };
            let Some(old) = old else { return Ok(Admission::Unknown) };
            let client: Client = doc_of(&old)?;
            if client.token_generation != generation {
                return Ok(Admission::Unknown);
            }
            let open = old.get(&window).and_then(|v| v.as_n().ok()).and_then(|v| v.parse::<i64>().ok());
            if open.is_some_and(|w| w >= key.window_start) {
                return Ok(Admission::Limited(RateDecision::from_count(key, limit, u64::from(limit) + 1)));
            }
            // An older window (or none yet): start this one at 1.
            let restarted = update()
                .update_expression("SET #w = :w, #n = :one")
                .condition_expression("#gen = :gen AND (attribute_not_exists(#w) OR #w < :w)")
                .send()
                .await;
            match restarted {
                Ok(out) => return admitted(out.attributes()),
                Err(e) => match e.into_service_error() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(f) => {
                        if f.item.is_none() {
                            return Ok(Admission::Unknown);
                        }
                    }
                    other => return Err(StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(other).to_string())),
                },
            }
        }
        // Only a record without the `gen` attribute (written before it existed) keeps failing.
        Err(StoreError::Backend("client record lacks its token generation attribute".into()))
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
            .key("pk", s(format!("RATE#{}#{}#{}", key.subject, key.category.as_str(), key.window_start)))
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

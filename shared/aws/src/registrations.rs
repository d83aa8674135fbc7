//! App registrations in DynamoDB, in the same table as projects:
//!
//! | item | pk | sk | other attributes |
//! |---|---|---|---|
//! | registration | `CLIENT#<clientId>` | `REG#<registrationId>` | `doc`, `ver`, `status`, `project`, `flow`, `created`, `gsi1pk` = `CLIENT#<clientId>#REGS`, `gsi1sk` = `<createdAt>#<registrationId>` |
//! | uniqueness key (one email or phone per flow) | `CLIENT#<clientId>` | `REGKEY#<flowId>#<kind>#<sha256>` | `reg` |
//! | event (the outbox) | `CLIENT#<clientId>` | `EVT#<registrationId>#<unix ms, 13 digits>#<eventId>` | `doc` |
//! | job outbox entry | `OUTBOX` | `<unix ms, 13 digits>#<id>` | `body` (the job) |
//!
//! Unfinished registrations (`STARTED`, `ONGOING`) also carry `gsi2pk = OPEN` and `gsi2sk =
//! <expires at, unix ms, 13 digits>#<clientId>#<registrationId>`: the sparse index `gsi2` is the
//! expiry sweeper's work list, and a registration leaves it when it finishes. A finished one whose
//! project has a retention period carries `gsi2pk = ERASE` and `gsi2sk = <erase at, unix ms>#…`
//! instead: the retention sweeper's work list, in the same index.
//!
//! Jobs cannot join a DynamoDB transaction on SQS, so a write that queues jobs puts them in the
//! `OUTBOX` partition in its own transaction; after the commit they are sent to SQS and their
//! entries deleted, and [`DynamoStore::relay_outbox`] (a scheduled function) sends whatever a crash
//! left between the two. Jobs are idempotent, so a job sent twice does no harm.
//!
//! Every write is one TransactWriteItems: the record (conditional on absence or on its version),
//! the keys it claims (conditional on absence: the second registration with an email in a flow
//! fails here, atomically, not after a read) and its events.

use crate::backend;
use crate::dynamo::{DynamoStore, GSI1, Item, build_err, client_pk, doc_of, n, s, to_doc};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::{ClientId, RegistrationId};
use smartenroll_domain::ports::{Page, RegistrationStore};
use smartenroll_domain::query::RegistrationQuery;
use smartenroll_domain::registration::{Event, Registration, RegistrationStatus, UniqueKey};
use std::collections::HashMap;

fn registration_key(client: &ClientId, id: &str) -> Item {
    HashMap::from([("pk".into(), s(client_pk(client))), ("sk".into(), s(format!("REG#{id}")))])
}

/// The partition of job outbox entries (all tenants; the bodies name their client).
pub const OUTBOX_PK: &str = "OUTBOX";
/// The expiry index's one partition (see the module table).
const OPEN_PK: &str = "OPEN";
const ERASE_PK: &str = "ERASE";

fn catalog_pk(client: &ClientId) -> String {
    format!("{}#REGS", client_pk(client))
}

/// Jobs written to the outbox in a transaction: the items to add to it, and what to send once it
/// has committed.
pub(crate) struct Outbox {
    items: Vec<TransactWriteItem>,
    sent: Vec<(String, String)>,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl DynamoStore {
    /// Outbox entries for `jobs`, keyed by `at_ms` and `id` (the record that queues them).
    pub(crate) fn outbox(&self, jobs: &[String], at_ms: i64, id: &str) -> Result<Outbox, StoreError> {
        let mut out = Outbox { items: Vec::new(), sent: Vec::new() };
        for (i, body) in jobs.iter().enumerate() {
            let sk = format!("{:013}#{id}#{i}", at_ms.max(0));
            out.items.push(self.put(
                HashMap::from([("pk".into(), s(OUTBOX_PK)), ("sk".into(), s(sk.clone())), ("body".into(), s(body.clone()))]),
                None,
                None,
            )?);
            out.sent.push((sk, body.clone()));
        }
        Ok(out)
    }

    /// Commits `items` with the outbox entries, then, with an inline relay (`serve --backend
    /// aws`), sends the jobs and deletes their entries. Without one (the Lambda functions) the
    /// `outbox-relay` function sends them from the table's stream; either way the relay's sweep
    /// sends whatever a crash left.
    pub(crate) async fn transact_with_outbox(
        &self,
        mut items: Vec<TransactWriteItem>,
        outbox: Outbox,
        on_fail: StoreError,
    ) -> Result<(), StoreError> {
        items.extend(outbox.items);
        self.transact(items, on_fail).await?;
        if let (Some(queue), false) = (&self.relay, outbox.sent.is_empty()) {
            // Committed: send now. If this fails the entries stay and the relay sends them.
            let bodies: Vec<String> = outbox.sent.iter().map(|(_, b)| b.clone()).collect();
            match queue.send_batch(&bodies).await {
                Ok(()) => {
                    for (sk, _) in &outbox.sent {
                        if let Err(e) = self.delete_outbox_entry(sk).await {
                            tracing::warn!(error = %e, "a sent job's outbox entry stays until the relay sweep");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "jobs stay in the outbox until the relay sends them"),
            }
        }
        Ok(())
    }

    async fn delete_outbox_entry(&self, sk: &str) -> Result<(), StoreError> {
        self.ddb.delete_item().table_name(&self.table).key("pk", s(OUTBOX_PK)).key("sk", s(sk)).send().await.map_err(backend)?;
        Ok(())
    }

    /// Sends the outbox entries `(sort key, job body)` that the table's stream reported as written
    /// (the `outbox-relay` function's stream trigger) and deletes them; returns how many. An
    /// entry already gone was sent by its writer or by a sweep: sending it again is harmless.
    pub async fn relay_entries(
        &self,
        queue: &dyn smartenroll_domain::ports::JobQueue,
        entries: &[(String, String)],
    ) -> Result<usize, StoreError> {
        if entries.is_empty() {
            return Ok(0);
        }
        let bodies: Vec<String> = entries.iter().map(|(_, b)| b.clone()).collect();
        queue.send_batch(&bodies).await?;
        for (sk, _) in entries {
            self.delete_outbox_entry(sk).await?;
        }
        Ok(entries.len())
    }

    /// Every entry in the outbox, oldest first: `(sort key, job body)` (what the relay has not
    /// sent yet; for operators inspecting a stuck relay, and tests).
    pub async fn outbox_entries(&self) -> Result<Vec<(String, String)>, StoreError> {
        let items = self.query_partition(OUTBOX_PK, "sk >= :v", "0").await?;
        Ok(items
            .iter()
            .filter_map(|i| match (i.get("sk"), i.get("body")) {
                (Some(AttributeValue::S(sk)), Some(AttributeValue::S(body))) => Some((sk.clone(), body.clone())),
                _ => None,
            })
            .collect())
    }

    /// Sends outbox jobs older than `min_age_ms` (younger ones are still being sent by the writer
    /// that committed them) to `queue` and deletes their entries; returns how many. Run by the
    /// scheduled `outbox-relay` function and by `serve --backend aws`.
    pub async fn relay_outbox(
        &self,
        queue: &dyn smartenroll_domain::ports::JobQueue,
        now_ms: i64,
        min_age_ms: i64,
    ) -> Result<usize, StoreError> {
        let mut relayed = 0;
        let before = format!("{:013}", (now_ms - min_age_ms).max(0));
        for item in self.query_partition(OUTBOX_PK, "sk < :v", &before).await? {
            let (Some(AttributeValue::S(sk)), Some(AttributeValue::S(body))) = (item.get("sk"), item.get("body")) else { continue };
            queue.send(body).await?;
            self.delete_outbox_entry(sk).await?;
            relayed += 1;
        }
        Ok(relayed)
    }

    /// Every item of partition `pk` whose sort key meets `sk_condition` (over `:v`), all pages,
    /// strongly consistent.
    pub(crate) async fn query_partition(&self, pk: &str, sk_condition: &str, value: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start_key: Option<Item> = None;
        loop {
            let out = self
                .ddb
                .query()
                .table_name(&self.table)
                .key_condition_expression(format!("pk = :pk AND {sk_condition}"))
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":v", s(value))
                .consistent_read(true)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(backend)?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start_key = Some(k.clone()),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Runs `requests` in BatchWriteItem calls of 25, retrying what the table leaves unprocessed.
    pub(crate) async fn batch_write(&self, requests: Vec<aws_sdk_dynamodb::types::WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(25) {
            let mut pending = Some(chunk.to_vec());
            for attempt in 0..10u64 {
                let Some(requests) = pending.take().filter(|r| !r.is_empty()) else { break };
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
                }
                let out = self.ddb.batch_write_item().request_items(&self.table, requests).send().await.map_err(backend)?;
                pending = out.unprocessed_items().and_then(|u| u.get(&self.table)).cloned();
            }
            if pending.is_some_and(|p| !p.is_empty()) {
                return Err(StoreError::Backend("the table kept throttling a batch write".into()));
            }
        }
        Ok(())
    }

    /// The stored items of a registration's events (their keys and documents).
    async fn event_items(&self, client: &ClientId, id: &RegistrationId) -> Result<Vec<Item>, StoreError> {
        self.query_partition(&client_pk(client), "begins_with(sk, :v)", &format!("EVT#{id}#")).await
    }

    /// Up to `max` registrations of the `gsi2` partition `partition` due at or before `now_ms`,
    /// soonest first (its sort keys start with the due time).
    async fn due_in(&self, partition: &str, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError> {
        let out = self
            .ddb
            .query()
            .table_name(&self.table)
            .index_name(crate::dynamo::GSI2)
            .key_condition_expression("gsi2pk = :p AND gsi2sk < :before")
            .expression_attribute_values(":p", s(partition))
            // Every key of a registration due at `now_ms` sorts before the next millisecond.
            .expression_attribute_values(":before", s(format!("{:013}", now_ms.max(0) + 1)))
            .limit(max as i32)
            .send()
            .await
            .map_err(backend)?;
        let mut due = Vec::new();
        for item in out.items() {
            let Some(key) = item.get("gsi2sk").and_then(|v| v.as_s().ok()) else { continue };
            let mut parts = key.splitn(3, '#').skip(1);
            if let (Some(Ok(c)), Some(Ok(i))) = (parts.next().map(ClientId::parse), parts.next().map(RegistrationId::parse)) {
                due.push((c, i));
            }
        }
        Ok(due)
    }

    fn registration_item(r: &Registration) -> Result<Item, StoreError> {
        let created = r.created_at.to_iso();
        let mut item = registration_key(&r.client, r.id.as_str());
        item.extend([
            ("doc".into(), s(to_doc(r)?)),
            ("ver".into(), n(r.version)),
            ("status".into(), s(r.status.as_str())),
            ("project".into(), s(r.project.as_str())),
            ("flow".into(), s(r.flow.as_str())),
            ("created".into(), s(created.clone())),
            ("gsi1pk".into(), s(catalog_pk(&r.client))),
            ("gsi1sk".into(), s(format!("{created}#{}", r.id))),
        ]);
        if matches!(r.status, RegistrationStatus::Started | RegistrationStatus::Ongoing) {
            item.insert("gsi2pk".into(), s(OPEN_PK));
            item.insert("gsi2sk".into(), s(format!("{:013}#{}#{}", r.expires_at.unix_millis().max(0), r.client, r.id)));
        } else if let Some(due) = r.erase_due() {
            // Finished with a retention period: the same sparse index, under the erasure partition
            // (a registration is never open and finished at once).
            item.insert("gsi2pk".into(), s(ERASE_PK));
            item.insert("gsi2sk".into(), s(format!("{:013}#{}#{}", due.unix_millis().max(0), r.client, r.id)));
        }
        Ok(item)
    }

    fn put(&self, item: Item, condition: Option<&str>, expected: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        if let Some(v) = expected {
            put = put.expression_attribute_values(":expected", n(v));
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(build_err)?).build())
    }

    fn event_puts(&self, events: &[Event]) -> Result<Vec<TransactWriteItem>, StoreError> {
        events
            .iter()
            .map(|e| {
                let item = HashMap::from([
                    ("pk".into(), s(client_pk(&e.client))),
                    ("sk".into(), s(format!("EVT#{}#{:013}#{}", e.registration, e.created_at.unix_millis().max(0), e.id))),
                    ("doc".into(), s(to_doc(e)?)),
                ]);
                self.put(item, None, None)
            })
            .collect()
    }
}

#[async_trait]
impl RegistrationStore for DynamoStore {
    async fn create(&self, registration: &Registration, events: &[Event]) -> Result<(), StoreError> {
        let r = registration;
        let mut items = vec![self.put(Self::registration_item(r)?, Some("attribute_not_exists(pk)"), None)?];
        for key in r.unique_keys() {
            let item = HashMap::from([
                ("pk".into(), s(client_pk(&r.client))),
                ("sk".into(), s(format!("REGKEY#{}", key.key))),
                ("reg".into(), s(r.id.as_str())),
            ]);
            items.push(self.put(item, Some("attribute_not_exists(pk)"), None)?);
        }
        items.extend(self.event_puts(events)?);
        // The events' webhook dispatch rides in the same transaction (the outbox).
        let dispatch: Vec<String> = smartenroll_domain::jobs::Job::dispatch_body(events).into_iter().collect();
        let outbox = self.outbox(&dispatch, r.updated_at.unix_millis(), r.id.as_str())?;
        self.transact_with_outbox(items, outbox, StoreError::Duplicate).await
    }

    async fn get(&self, client: &ClientId, id: &RegistrationId) -> Result<Option<Registration>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(registration_key(client, id.as_str())))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        out.item().map(doc_of).transpose()
    }

    async fn update_with_jobs(
        &self,
        registration: &Registration,
        expected_version: u64,
        events: &[Event],
        jobs: &[String],
    ) -> Result<(), StoreError> {
        let mut items = vec![self.put(Self::registration_item(registration)?, Some("ver = :expected"), Some(expected_version))?];
        items.extend(self.event_puts(events)?);
        // The events' webhook dispatch rides in the same transaction as the events (the outbox).
        let mut jobs = jobs.to_vec();
        jobs.extend(smartenroll_domain::jobs::Job::dispatch_body(events));
        let outbox = self.outbox(&jobs, registration.updated_at.unix_millis(), registration.id.as_str())?;
        self.transact_with_outbox(items, outbox, StoreError::Conflict).await
    }

    /// Newest first from the client's registration catalog (`gsi1`, projecting the filtered
    /// attributes), read through to count the matches, then one batch read of the page's
    /// documents. (Per-status counts like the projects' are the next step when registration
    /// lists grow large; today a list reads the client's catalog.)
    async fn list(&self, client: &ClientId, query: &RegistrationQuery) -> Result<Page<Registration>, StoreError> {
        if query.statuses.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page { items: vec![], total: 0, next: None });
        }
        let mut filters = Vec::new();
        let mut values: Item = HashMap::from([(":p".into(), s(catalog_pk(client)))]);
        let mut names: HashMap<String, String> = HashMap::new();
        if let Some(statuses) = &query.statuses {
            let keys: Vec<String> = (0..statuses.len()).map(|i| format!(":st{i}")).collect();
            for (k, st) in keys.iter().zip(statuses) {
                values.insert(k.clone(), s(st.as_str()));
            }
            names.insert("#status".into(), "status".into());
            filters.push(format!("#status IN ({})", keys.join(", ")));
        }
        if let Some(p) = &query.project {
            names.insert("#project".into(), "project".into());
            filters.push("#project = :project".into());
            values.insert(":project".into(), s(p.as_str()));
        }
        if let Some(f) = &query.flow {
            names.insert("#flow".into(), "flow".into());
            filters.push("#flow = :flow".into());
            values.insert(":flow".into(), s(f.as_str()));
        }
        let (skip, take) = (query.offset() as usize, query.limit as usize);
        let (mut matched, mut keys) = (0usize, Vec::new());
        let mut start_key: Option<Item> = None;
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
            if !filters.is_empty() {
                q = q.filter_expression(filters.join(" AND ")).set_expression_attribute_names(Some(names.clone()));
            }
            let out = q.send().await.map_err(backend)?;
            for item in out.items() {
                if matched >= skip && matched < skip + take {
                    let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) else {
                        return Err(StoreError::Backend("a catalog item without its key".into()));
                    };
                    keys.push(HashMap::from([("pk".to_string(), s(client_pk(client))), ("sk".to_string(), s(sk.clone()))]));
                }
                matched += 1;
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start_key = Some(k.clone()),
                _ => break,
            }
        }
        let items = self.fetch(keys).await?;
        Ok(Page { items, total: matched as u64, next: None })
    }

    async fn events(&self, client: &ClientId, id: &RegistrationId) -> Result<Vec<Event>, StoreError> {
        self.event_items(client, id).await?.iter().map(doc_of).collect()
    }

    /// The events first (in batches of 25), then the record and its keys in one transaction
    /// conditional on the record still existing: an erase interrupted half-way is finished by the
    /// next call, and never leaves a registration without its keys.
    async fn erase(&self, client: &ClientId, id: &RegistrationId) -> Result<Option<u64>, StoreError> {
        let Some(reg) = self.get(client, id).await? else { return Ok(None) };
        let events = self.event_items(client, id).await?;
        let deletes = events
            .iter()
            .map(|item| {
                let key: Item = item.iter().filter(|(k, _)| *k == "pk" || *k == "sk").map(|(k, v)| (k.clone(), v.clone())).collect();
                Ok(aws_sdk_dynamodb::types::WriteRequest::builder()
                    .delete_request(aws_sdk_dynamodb::types::DeleteRequest::builder().set_key(Some(key)).build().map_err(build_err)?)
                    .build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.batch_write(deletes).await?;
        let mut items = vec![
            TransactWriteItem::builder()
                .delete(
                    aws_sdk_dynamodb::types::Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(registration_key(client, id.as_str())))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        ];
        for key in reg.unique_keys() {
            let k = HashMap::from([("pk".to_string(), s(client_pk(client))), ("sk".to_string(), s(format!("REGKEY#{}", key.key)))]);
            items.push(
                TransactWriteItem::builder()
                    .delete(aws_sdk_dynamodb::types::Delete::builder().table_name(&self.table).set_key(Some(k)).build().map_err(build_err)?)
                    .build(),
            );
        }
        match self.transact(items, StoreError::Conflict).await {
            Ok(()) => Ok(Some(events.len() as u64)),
            // Erased by a concurrent call meanwhile: gone either way.
            Err(StoreError::Conflict) => Ok(Some(events.len() as u64)),
            Err(e) => Err(e),
        }
    }

    async fn due_for_expiry(&self, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError> {
        self.due_in(OPEN_PK, now_ms, max).await
    }

    async fn due_for_erasure(&self, now_ms: i64, max: u32) -> Result<Vec<(ClientId, RegistrationId)>, StoreError> {
        self.due_in(ERASE_PK, now_ms, max).await
    }

    async fn key_holder(&self, client: &ClientId, key: &UniqueKey) -> Result<Option<RegistrationId>, StoreError> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key("pk", s(client_pk(client)))
            .key("sk", s(format!("REGKEY#{}", key.key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        match out.item().and_then(|i| i.get("reg")) {
            Some(AttributeValue::S(id)) => RegistrationId::parse(id)
                .map(Some)
                .map_err(|_| StoreError::Backend("a stored key names a malformed registration id".into())),
            _ => Ok(None),
        }
    }
}

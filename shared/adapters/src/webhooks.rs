//! Webhooks and their delivery log in the embedded store: a row per webhook and per delivery, the
//! record as its JSON document, versions checked on every replace (two workers racing on one
//! delivery cannot both record an attempt over the other's).

use crate::sqlite::{SqliteStore, backend, from_doc, is_unique_violation, to_doc};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::ports::{Page, WebhookStore};
use smartenroll_domain::webhook::{Delivery, DeliveryStatus, Webhook};

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let w = webhook.clone();
        let doc = to_doc(&w)?;
        self.write(move |conn, _| {
            conn.execute(
                "INSERT INTO webhooks (client, id, version, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![w.client.as_str(), w.id, w.version as i64, w.created_at.to_iso(), doc],
            )
            .map_err(|e| if is_unique_violation(&e) { StoreError::Duplicate } else { backend(e) })?;
            Ok(())
        })
        .await
    }

    async fn get_webhook(&self, client: &ClientId, id: &str) -> Result<Option<Webhook>, StoreError> {
        let (client, id) = (client.clone(), id.to_string());
        self.read(move |conn| {
            let doc: Option<String> = conn
                .prepare_cached("SELECT doc FROM webhooks WHERE client = ?1 AND id = ?2")
                .and_then(|mut st| st.query_row(params![client.as_str(), id], |r| r.get(0)).optional())
                .map_err(backend)?;
            doc.as_deref().map(from_doc).transpose()
        })
        .await
    }

    async fn replace_webhook(&self, webhook: &Webhook, expected_version: u64) -> Result<(), StoreError> {
        let w = webhook.clone();
        let doc = to_doc(&w)?;
        self.write(move |conn, _| {
            let n = conn
                .execute(
                    "UPDATE webhooks SET version = ?1, doc = ?2 WHERE client = ?3 AND id = ?4 AND version = ?5",
                    params![w.version as i64, doc, w.client.as_str(), w.id, expected_version as i64],
                )
                .map_err(backend)?;
            if n == 1 { Ok(()) } else { Err(StoreError::Conflict) }
        })
        .await
    }

    async fn delete_webhook(&self, client: &ClientId, id: &str) -> Result<bool, StoreError> {
        let (client, id) = (client.clone(), id.to_string());
        self.write(move |conn, _| {
            let tx = conn.transaction().map_err(backend)?;
            let n = tx.execute("DELETE FROM webhooks WHERE client = ?1 AND id = ?2", params![client.as_str(), id]).map_err(backend)?;
            tx.execute("DELETE FROM webhook_deliveries WHERE client = ?1 AND webhook = ?2", params![client.as_str(), id])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn webhooks(&self, client: &ClientId) -> Result<Vec<Webhook>, StoreError> {
        let client = client.clone();
        self.read(move |conn| {
            let mut st = conn.prepare_cached("SELECT doc FROM webhooks WHERE client = ?1 ORDER BY created_at, id").map_err(backend)?;
            let docs: Vec<String> =
                st.query_map(params![client.as_str()], |r| r.get(0)).map_err(backend)?.collect::<Result<_, _>>().map_err(backend)?;
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }

    async fn insert_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError> {
        let d = delivery.clone();
        let doc = to_doc(&d)?;
        self.write(move |conn, _| {
            let n = conn
                .execute(
                    "INSERT OR IGNORE INTO webhook_deliveries (client, id, webhook, status, created_at, version, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![d.client.as_str(), d.id, d.webhook, d.status.as_str(), d.created_at.to_iso(), d.version as i64, doc],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_delivery(&self, client: &ClientId, id: &str) -> Result<Option<Delivery>, StoreError> {
        let (client, id) = (client.clone(), id.to_string());
        self.read(move |conn| {
            let doc: Option<String> = conn
                .prepare_cached("SELECT doc FROM webhook_deliveries WHERE client = ?1 AND id = ?2")
                .and_then(|mut st| st.query_row(params![client.as_str(), id], |r| r.get(0)).optional())
                .map_err(backend)?;
            doc.as_deref().map(from_doc).transpose()
        })
        .await
    }

    async fn replace_delivery(&self, delivery: &Delivery, expected_version: u64) -> Result<(), StoreError> {
        let d = delivery.clone();
        let doc = to_doc(&d)?;
        self.write(move |conn, _| {
            let n = conn
                .execute(
                    "UPDATE webhook_deliveries SET version = ?1, status = ?2, doc = ?3 WHERE client = ?4 AND id = ?5 AND version = ?6",
                    params![d.version as i64, d.status.as_str(), doc, d.client.as_str(), d.id, expected_version as i64],
                )
                .map_err(backend)?;
            if n == 1 { Ok(()) } else { Err(StoreError::Conflict) }
        })
        .await
    }

    async fn deliveries(
        &self,
        client: &ClientId,
        webhook: &str,
        status: Option<DeliveryStatus>,
        offset: u64,
        limit: u32,
    ) -> Result<Page<Delivery>, StoreError> {
        let (client, webhook) = (client.clone(), webhook.to_string());
        let status = status.map(|s| s.as_str().to_string());
        self.read(move |conn| {
            let total: i64 = conn
                .prepare_cached(
                    "SELECT count(*) FROM webhook_deliveries WHERE client = ?1 AND webhook = ?2 AND (?3 IS NULL OR status = ?3)",
                )
                .and_then(|mut st| st.query_row(params![client.as_str(), webhook, status], |r| r.get(0)))
                .map_err(backend)?;
            let mut st = conn
                .prepare_cached(
                    "SELECT doc FROM webhook_deliveries WHERE client = ?1 AND webhook = ?2 AND (?3 IS NULL OR status = ?3)
                     ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5",
                )
                .map_err(backend)?;
            let docs: Vec<String> = st
                .query_map(params![client.as_str(), webhook, status, i64::from(limit), offset as i64], |r| r.get(0))
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            let items = docs.iter().map(|d| from_doc(d)).collect::<Result<Vec<Delivery>, _>>()?;
            Ok(Page { items, total: total.max(0) as u64, next: None })
        })
        .await
    }
}

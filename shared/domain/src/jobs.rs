//! Asynchronous work: the jobs the product queues and the delivery a queue hands to a worker.
//! Queues carry a job's JSON text; the worker parses it back into [`Job`] (an unknown or malformed
//! body is a failed delivery that ends in the dead-letter queue, never a silent drop).

use serde::{Deserialize, Serialize};

/// One unit of asynchronous work. Tagged by `kind`, so new kinds can be added without touching old
/// messages still in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Job {
    /// Delete every stored object under a client's folder (e.g. a deleted project's documents and
    /// selfies). Idempotent: running it twice deletes nothing the second time.
    #[serde(rename = "blobs.purge", rename_all = "camelCase")]
    PurgeBlobs { client_id: String, folder: String },
    /// Run one submitted check (document or selfie) of a registration and record its outcome.
    /// Idempotent: a check already finished is left as it is.
    #[serde(rename = "checks.run", rename_all = "camelCase")]
    RunCheck { client_id: String, registration_id: String, check_id: String },
    /// Erase every registration of a deleted project (images, records, events). Idempotent.
    #[serde(rename = "registrations.erase_project", rename_all = "camelCase")]
    EraseProjectRegistrations { client_id: String, project_id: String },
    /// Make the webhook deliveries of a registration's new events (queued by the store in the
    /// same write as the events: the outbox). Idempotent: a delivery's id derives from its event
    /// and webhook.
    #[serde(rename = "events.dispatch", rename_all = "camelCase")]
    DispatchEvents { client_id: String, registration_id: String, event_ids: Vec<String> },
    /// Attempt one webhook delivery (on the webhooks queue). Idempotent: a delivery already
    /// settled or not yet due is left alone.
    #[serde(rename = "webhooks.deliver", rename_all = "camelCase")]
    DeliverWebhook { client_id: String, delivery_id: String },
}

impl Job {
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The dispatch job of `events` (all of one registration, as one write appends them), if any.
    pub fn dispatch_body(events: &[crate::registration::Event]) -> Option<String> {
        let first = events.first()?;
        Some(
            Job::DispatchEvents {
                client_id: first.client.to_string(),
                registration_id: first.registration.to_string(),
                event_ids: events.iter().map(|e| e.id.clone()).collect(),
            }
            .to_body(),
        )
    }

    pub fn from_body(body: &str) -> Result<Self, String> {
        serde_json::from_str(body).map_err(|e| format!("not a job this version understands: {e}"))
    }
}

/// A received message: hidden from other consumers until acknowledged or until its visibility
/// timeout passes. `receipt` is valid for this receive only (a redelivery gets a new one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub receipt: String,
    pub body: String,
    /// 1 on the first delivery; the queue moves a job to its dead-letter queue once this would
    /// exceed the queue's maximum.
    pub receive_count: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_survives_its_trip_through_a_queue_body() {
        let job = Job::PurgeBlobs { client_id: "c1".into(), folder: "projects/p1".into() };
        let body = job.to_body();
        assert_eq!(body, r#"{"kind":"blobs.purge","clientId":"c1","folder":"projects/p1"}"#);
        assert_eq!(Job::from_body(&body), Ok(job));
    }

    #[test]
    fn an_unknown_kind_is_an_error_not_a_default() {
        assert!(Job::from_body(r#"{"kind":"nope"}"#).is_err());
        assert!(Job::from_body("not json").is_err());
    }
}

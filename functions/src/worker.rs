//! Queue consumers. In AWS, SQS invokes the `jobs-worker` function with a batch of up to ten
//! messages; each is run on its own and only the failed ones are reported back
//! (`batchItemFailures`, with `ReportBatchItemFailures` on the event source mapping), so one bad
//! job neither blocks nor re-runs its neighbours; SQS retries it and, after the queue's
//! `maxReceiveCount`, moves it to the dead-letter queue. In single node the server runs
//! [`run_local`], the same loop over the embedded queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use smartenroll_api::jobs::{self, JobDeps};
use smartenroll_domain::ports::JobQueue;
use std::sync::Arc;
use std::time::Duration;

/// How long a received job stays hidden while it runs (the SQS queue's own visibility timeout
/// must likewise exceed the worker's timeout; see infra/template.yaml).
const VISIBILITY_SECONDS: u32 = 60;
/// Idle poll interval of the single-node loop: from half a second, doubling while the queue stays
/// empty, up to five seconds (a server on `--backend aws` polls SQS, where each poll is a request).
const IDLE_POLL: Duration = Duration::from_millis(500);
const IDLE_POLL_MAX: Duration = Duration::from_secs(2);

/// Runs the records of an SQS batch side by side (jobs wait on the network: the table, the bucket,
/// a webhook receiver, so one slow record does not hold up the other nine) and names the ones that
/// failed.
pub async fn handle_sqs_batch(deps: &JobDeps, event: SqsEvent) -> SqsBatchResponse {
    let runs = event.records.into_iter().map(|record| async move {
        let id = record.message_id.unwrap_or_default();
        let outcome = match record.body.as_deref() {
            Some(body) => jobs::run(deps, body).await,
            None => Err("message without a body".to_string()),
        };
        outcome.err().map(|reason| {
            let receives = record.attributes.get("ApproximateReceiveCount").map(String::as_str).unwrap_or("?");
            tracing::warn!(message = %id, receives, reason, "job failed; SQS will retry it");
            id
        })
    });
    let mut response = SqsBatchResponse::default();
    for id in futures_util::future::join_all(runs).await.into_iter().flatten() {
        response.add_failure(id);
    }
    response
}

/// The outbox entries a DynamoDB stream event reports as written: `(sort key, job body)` of
/// each `INSERT` of an item in the outbox partition (the stream's filter passes only those; the
/// check here keeps a wider filter harmless).
pub fn outbox_inserts(event: &serde_json::Value) -> Vec<(String, String)> {
    let records = event.get("Records").and_then(|r| r.as_array()).map(Vec::as_slice).unwrap_or_default();
    records
        .iter()
        .filter(|r| r.get("eventName").and_then(|n| n.as_str()) == Some("INSERT"))
        .filter_map(|r| {
            let image = r.get("dynamodb")?.get("NewImage")?;
            let attr = |k: &str| image.get(k)?.get("S")?.as_str().map(str::to_string);
            (attr("pk")? == smartenroll_aws::registrations::OUTBOX_PK).then_some(())?;
            Some((attr("sk")?, attr("body")?))
        })
        .collect()
}

/// The `outbox-relay` function. Triggered by the table's stream (outbox inserts only), it sends
/// the new entries' jobs to SQS and deletes them: the Lambda functions write jobs to the outbox
/// and never wait on SQS. On its schedule, it sends whatever is still there (a relay that failed
/// past the stream's retries). A failed send fails the invocation, so the stream retries the
/// batch (jobs are idempotent).
pub async fn run_outbox_relay() -> Result<(), lambda_runtime::Error> {
    crate::aws::init_json_logs();
    let (store, queue) = crate::aws::relay_from_env()?;
    let (store, queue): (&'static _, &'static _) = (Box::leak(Box::new(store)), Box::leak(Box::new(queue)));
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let relayed = if event.payload.get("Records").is_some() {
            store.relay_entries(queue.as_ref(), &outbox_inserts(&event.payload)).await?
        } else {
            store.relay_outbox(queue.as_ref(), now_ms(), OUTBOX_MIN_AGE_MS).await?
        };
        tracing::info!(relayed, "outbox relayed");
        Ok::<_, lambda_runtime::Error>(serde_json::json!({"relayed": relayed}))
    }))
    .await
}

/// Outbox entries younger than this are still being sent by the write that made them.
pub const OUTBOX_MIN_AGE_MS: i64 = 30_000;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `serve --backend aws`: the relay sweep every ten seconds (the scheduled function's job in AWS).
pub async fn run_local_relay(store: smartenroll_aws::dynamo::DynamoStore, queue: Arc<dyn JobQueue>) {
    loop {
        match store.relay_outbox(queue.as_ref(), now_ms(), OUTBOX_MIN_AGE_MS).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(relayed = n, "outbox relayed"),
            Err(e) => tracing::error!(error = %e, "outbox relay failed"),
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// The `registrations-expire` function: on its schedule, expires unfinished registrations past
/// their lifetime and erases finished ones past their project's retention period.
pub async fn run_expiry_sweeper() -> Result<(), lambda_runtime::Error> {
    crate::aws::init_json_logs();
    let deps: &'static JobDeps = Box::leak(Box::new(crate::aws::sweeper_deps_from_env()?));
    lambda_runtime::run(lambda_runtime::service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let (mut expired, mut erased) = (0, 0);
        // A scheduled run works through a backlog in pages.
        loop {
            let n = jobs::expire_due(deps, SWEEP_PAGE).await?;
            expired += n;
            if n < SWEEP_PAGE as usize {
                break;
            }
        }
        loop {
            let n = jobs::erase_due(deps, SWEEP_PAGE).await?;
            erased += n;
            if n < SWEEP_PAGE as usize {
                break;
            }
        }
        Ok::<_, lambda_runtime::Error>(serde_json::json!({"expired": expired, "erased": erased}))
    }))
    .await
}

/// Registrations expired per sweep call.
const SWEEP_PAGE: u32 = 100;

/// The single-node sweeper: every `interval`, expire and erase what is due.
pub async fn run_local_sweeper(deps: JobDeps, interval: Duration) {
    loop {
        if let Err(e) = jobs::expire_due(&deps, SWEEP_PAGE).await {
            tracing::error!(error = %e, "expiry sweep failed");
        }
        if let Err(e) = jobs::erase_due(&deps, SWEEP_PAGE).await {
            tracing::error!(error = %e, "retention sweep failed");
        }
        tokio::time::sleep(interval).await;
    }
}

/// The retry delay after a failed attempt: 5 s, 10 s, 20 s … capped at 5 minutes.
fn backoff(receive_count: u32) -> u32 {
    5u32.saturating_mul(1 << receive_count.saturating_sub(1).min(6)).min(300)
}

/// The single-node worker: receives from `queue`, runs each job, acknowledges the done ones and
/// schedules a retry for the failed ones, until the process ends.
/// `wake` (the embedded store's job signal) ends an idle wait as soon as jobs are queued.
pub async fn run_local(deps: JobDeps, queue: Arc<dyn JobQueue>, batch: u32, wake: Option<Arc<tokio::sync::Notify>>) {
    let mut idle = IDLE_POLL;
    let wake = wake.unwrap_or_default();
    loop {
        // Registered before the receive, so a job queued between an empty receive and the wait
        // still wakes this worker.
        let signalled = wake.notified();
        tokio::pin!(signalled);
        signalled.as_mut().enable();
        let batch = match queue.receive(batch, VISIBILITY_SECONDS).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %e, "job queue unavailable");
                tokio::time::sleep(IDLE_POLL * 10).await;
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(idle) => idle = (idle * 2).min(IDLE_POLL_MAX),
                _ = &mut signalled => idle = IDLE_POLL,
            }
            continue;
        }
        idle = IDLE_POLL;
        for delivery in batch {
            let settled = match jobs::run(&deps, &delivery.body).await {
                Ok(()) => queue.ack(&delivery.receipt).await,
                Err(reason) => {
                    tracing::warn!(receives = delivery.receive_count, reason, "job failed; it will be retried");
                    queue.retry_later(&delivery.receipt, backoff(delivery.receive_count)).await
                }
            };
            if let Err(e) = settled {
                tracing::error!(error = %e, "could not settle a job; it will be delivered again");
            }
        }
    }
}

/// The whole `main` of the `webhooks-worker` Lambda function.
pub async fn run_lambda_webhooks_worker() -> Result<(), lambda_runtime::Error> {
    crate::aws::init_json_logs();
    let deps: &'static JobDeps = Box::leak(Box::new(crate::aws::webhook_worker_deps_from_env()?));
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handle_sqs_batch(deps, event.payload).await)
    }))
    .await
}

/// The whole `main` of the `jobs-worker` Lambda function.
pub async fn run_lambda_worker() -> Result<(), lambda_runtime::Error> {
    crate::aws::init_json_logs();
    let deps: &'static JobDeps = Box::leak(Box::new(crate::aws::job_deps_from_env().await?));
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handle_sqs_batch(deps, event.payload).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::{backoff, outbox_inserts};

    #[test]
    fn the_relay_takes_only_inserts_into_the_outbox_from_a_stream_event() {
        let record = |name: &str, pk: &str, sk: &str| serde_json::json!({"eventName": name, "dynamodb": {"NewImage": {"pk": {"S": pk}, "sk": {"S": sk}, "body": {"S": format!("job {sk}")}}}});
        let event = serde_json::json!({"Records": [
            record("INSERT", "OUTBOX", "1"),
            record("MODIFY", "OUTBOX", "2"),
            record("INSERT", "CLIENT#abc", "3"),
            {"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": "OUTBOX"}, "sk": {"S": "4"}}}},
            record("INSERT", "OUTBOX", "5"),
        ]});
        assert_eq!(outbox_inserts(&event), vec![("1".to_string(), "job 1".to_string()), ("5".to_string(), "job 5".to_string())]);
        assert!(outbox_inserts(&serde_json::json!({"source": "aws.events"})).is_empty());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_five_minutes() {
        assert_eq!((1..=9).map(backoff).collect::<Vec<_>>(), vec![5, 10, 20, 40, 80, 160, 300, 300, 300]);
    }
}

//! SQS implementation of the job-queue port: a standard queue whose redrive policy moves a job to
//! its dead-letter queue after `maxReceiveCount` receives. In AWS the Lambda event source mapping
//! does the receiving (see `functions::worker` for the batch handler); `receive`/`ack` here serve
//! the operator CLI, local runs and the conformance suite.

use crate::backend;
use async_trait::async_trait;
use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::jobs::Delivery;
use smartenroll_domain::ports::JobQueue;

/// SQS takes at most ten messages per batch call.
const SQS_BATCH: usize = 10;

#[derive(Clone)]
pub struct SqsQueue {
    sqs: Sqs,
    url: String,
    dead_letter_url: Option<String>,
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqsQueue {
    pub fn new(sqs: Sqs, url: impl Into<String>, dead_letter_url: Option<String>) -> Self {
        Self { sqs, url: url.into(), dead_letter_url }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, url: impl Into<String>, dead_letter_url: Option<String>) -> Self {
        Self::new(Sqs::new(conf), url, dead_letter_url)
    }

    /// Creates `name` and `name-dlq` with the redrive policy the SAM template declares (for tests
    /// and local setups). Existing queues with the same attributes are reused.
    pub async fn create(sqs: Sqs, name: &str, max_receive_count: u32) -> Result<Self, StoreError> {
        let dlq = sqs.create_queue().queue_name(format!("{name}-dlq")).send().await.map_err(backend)?;
        let dlq_url = dlq.queue_url().ok_or_else(|| build_err("no dead-letter queue url"))?.to_string();
        let attrs =
            sqs.get_queue_attributes().queue_url(&dlq_url).attribute_names(QueueAttributeName::QueueArn).send().await.map_err(backend)?;
        let arn = attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).ok_or_else(|| build_err("no queue arn"))?;
        let redrive = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count.to_string()}).to_string();
        let main =
            sqs.create_queue().queue_name(name).attributes(QueueAttributeName::RedrivePolicy, redrive).send().await.map_err(backend)?;
        let url = main.queue_url().ok_or_else(|| build_err("no queue url"))?.to_string();
        Ok(Self::new(sqs, url, Some(dlq_url)))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn receive_from(&self, url: &str, max: u32, visibility_seconds: u32) -> Result<Vec<Delivery>, StoreError> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, SQS_BATCH as u32) as i32)
            .visibility_timeout(visibility_seconds.min(43_200) as i32)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(backend)?;
        Ok(out
            .messages()
            .iter()
            .map(|m| Delivery {
                receipt: m.receipt_handle().unwrap_or_default().to_string(),
                body: m.body().unwrap_or_default().to_string(),
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
            })
            .collect())
    }
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn send(&self, body: &str) -> Result<(), StoreError> {
        self.sqs.send_message().queue_url(&self.url).message_body(body).send().await.map_err(backend)?;
        Ok(())
    }

    async fn send_delayed(&self, body: &str, delay_ms: u64) -> Result<(), StoreError> {
        let seconds = delay_ms.div_ceil(1000).min(900) as i32;
        self.sqs.send_message().queue_url(&self.url).message_body(body).delay_seconds(seconds).send().await.map_err(backend)?;
        Ok(())
    }

    /// Entries SQS reports as failed are sent once more; any still failing make the call fail (the
    /// ones that succeeded are queued, which is safe because jobs are idempotent).
    async fn send_batch(&self, bodies: &[String]) -> Result<(), StoreError> {
        for chunk in bodies.chunks(SQS_BATCH) {
            let mut pending: Vec<(usize, &String)> = chunk.iter().enumerate().collect();
            for _attempt in 0..2 {
                let entries = pending
                    .iter()
                    .map(|(i, b)| {
                        SendMessageBatchRequestEntry::builder().id(i.to_string()).message_body(b.as_str()).build().map_err(build_err)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = self.sqs.send_message_batch().queue_url(&self.url).set_entries(Some(entries)).send().await.map_err(backend)?;
                let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
                pending.retain(|(i, _)| failed.contains(&i.to_string().as_str()));
                if pending.is_empty() {
                    break;
                }
            }
            if !pending.is_empty() {
                return Err(StoreError::Backend(format!("{} jobs of a batch were not accepted by the queue", pending.len())));
            }
        }
        Ok(())
    }

    async fn receive(&self, max: u32, visibility_seconds: u32) -> Result<Vec<Delivery>, StoreError> {
        self.receive_from(&self.url, max, visibility_seconds).await
    }

    async fn ack(&self, receipt: &str) -> Result<(), StoreError> {
        self.sqs.delete_message().queue_url(&self.url).receipt_handle(receipt).send().await.map_err(backend)?;
        Ok(())
    }

    async fn retry_later(&self, receipt: &str, delay_seconds: u32) -> Result<(), StoreError> {
        self.sqs
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(delay_seconds.min(43_200) as i32)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Reads (without removing) up to `max` dead letters; they stay in the dead-letter queue for the
    /// operator to inspect or redrive.
    async fn dead_letters(&self, max: u32) -> Result<Vec<Delivery>, StoreError> {
        match &self.dead_letter_url {
            Some(url) => self.receive_from(url, max, 0).await,
            None => Ok(vec![]),
        }
    }
}

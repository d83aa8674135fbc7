//! The job runner: what a worker does with one queued job, the same in the Lambda queue consumer
//! (`functions::worker`) and in the single-node server's worker loop. A job that fails is retried
//! by its queue and, after the queue's last attempt, lands in the dead-letter queue; a body this
//! version cannot read fails the same way (visible to the operator, never dropped).

use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::ids::ClientId;
use smartenroll_domain::jobs::Job;
use smartenroll_domain::ports::BlobStore;
use std::sync::Arc;

/// What jobs need: less than an API handler (no JWT secret, no tables), so a worker function is
/// granted only these.
#[derive(Clone)]
pub struct JobDeps {
    pub blobs: Arc<dyn BlobStore>,
}

/// Runs the job in `body`. `Err` carries a reason for the logs (no personal data: ids and counts).
pub async fn run(deps: &JobDeps, body: &str) -> Result<(), String> {
    match Job::from_body(body)? {
        Job::PurgeBlobs { client_id, folder } => {
            let client = ClientId::parse(&client_id).map_err(|_| "blobs.purge: not a client id")?;
            let folder = BlobKey::new(&client, &folder).ok_or("blobs.purge: not a folder")?;
            let deleted = deps.blobs.delete_folder(&folder).await.map_err(|e| format!("blobs.purge: {e}"))?;
            tracing::info!(job = "blobs.purge", client = %client, deleted, "job done");
            Ok(())
        }
    }
}

//! The single-node blob store: one file per object under `<data dir>/blobs/`, at the object's key
//! (keys are validated by `BlobKey`, so they cannot climb out of that folder). A write goes to a
//! temporary file that is synced and then renamed over the target, so a reader sees the old object
//! or the new one, never half of one, and a crash leaves no torn file. The media type is the
//! file's first line. Encryption at rest is the host's (an encrypted volume), as for the database.
//! There are no presigned URLs: in single-node mode uploads go through the API itself.

use async_trait::async_trait;
use smartenroll_domain::blob::{Blob, BlobKey, PresignedRequest};
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ports::BlobStore;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone)]
pub struct FsBlobs {
    root: Arc<PathBuf>,
    next_temp: Arc<AtomicU64>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(backend)?.map_err(backend)
}

fn count_files(dir: &Path) -> std::io::Result<u64> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        n += if entry.file_type()?.is_dir() { count_files(&entry.path())? } else { 1 };
    }
    Ok(n)
}

impl FsBlobs {
    /// Blobs under `root` (created if missing).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root.join(".tmp")).map_err(backend)?;
        Ok(Self { root: Arc::new(root.to_path_buf()), next_temp: Arc::new(AtomicU64::new(0)) })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

#[async_trait]
impl BlobStore for FsBlobs {
    async fn put(&self, key: &BlobKey, blob: Blob) -> Result<(), StoreError> {
        if blob.content_type.contains('\n') {
            return Err(StoreError::Backend("a media type cannot contain a line break".into()));
        }
        let target = self.path(key);
        let temp = self.root.join(".tmp").join(format!("{}-{}", std::process::id(), self.next_temp.fetch_add(1, Ordering::Relaxed)));
        blocking(move || {
            let parent = target.parent().ok_or_else(|| std::io::Error::other("key without a folder"))?;
            std::fs::create_dir_all(parent)?;
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(blob.content_type.as_bytes())?;
            file.write_all(b"\n")?;
            file.write_all(&blob.bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)?;
            std::fs::File::open(parent)?.sync_all()
        })
        .await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Blob>, StoreError> {
        let path = self.path(key);
        blocking(move || match std::fs::read(&path) {
            Ok(mut data) => {
                let split = data.iter().position(|&b| b == b'\n').ok_or_else(|| std::io::Error::other("blob file without a header"))?;
                let content_type = String::from_utf8_lossy(&data[..split]).into_owned();
                data.drain(..=split);
                Ok(Some(Blob { content_type, bytes: data }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StoreError> {
        let path = self.path(key);
        blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await
    }

    async fn delete_folder(&self, folder: &BlobKey) -> Result<u64, StoreError> {
        let path = self.path(folder);
        blocking(move || {
            if !path.is_dir() {
                return Ok(0);
            }
            let n = count_files(&path)?;
            std::fs::remove_dir_all(&path)?;
            Ok(n)
        })
        .await
    }

    async fn presign_put(&self, _: &BlobKey, _: &str, _: u32) -> Result<Option<PresignedRequest>, StoreError> {
        Ok(None)
    }

    async fn presign_get(&self, _: &BlobKey, _: u32) -> Result<Option<PresignedRequest>, StoreError> {
        Ok(None)
    }
}

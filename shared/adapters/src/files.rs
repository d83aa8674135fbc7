//! The single-node blob store: one file per object under `<data dir>/blobs/`, at the object's key
//! (keys are validated by `BlobKey`, so they cannot climb out of that folder). A write goes to a
//! temporary file that is synced and then renamed over the target, so a reader sees the old object
//! or the new one, never half of one, and a crash leaves no torn file.
//!
//! Objects are encrypted with a configured 256-bit key (XChaCha20-Poly1305, a fresh random 192-bit
//! nonce per write, the object's key as associated data so a file moved to another key's place
//! fails to open): `SEB1` + nonce + ciphertext of `<media type>\n<bytes>`. Files written without
//! encryption (the plain format: media type line, then the bytes) are still read, so a store can
//! be moved onto encryption without a migration; every new write is encrypted. There are no
//! presigned URLs: in single-node mode uploads go through the API itself.

use async_trait::async_trait;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
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
    cipher: Option<Arc<XChaCha20Poly1305>>,
}

/// The first bytes of an encrypted object file.
const MAGIC: &[u8; 4] = b"SEB1";
const NONCE_LEN: usize = 24;

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
    /// Blobs under `root` (created if missing), written in plain form (tests of the format).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root.join(".tmp")).map_err(backend)?;
        Ok(Self { root: Arc::new(root.to_path_buf()), next_temp: Arc::new(AtomicU64::new(0)), cipher: None })
    }

    /// Blobs under `root`, encrypted with `key` (what the server uses).
    pub fn open_encrypted(root: &Path, key: &[u8; 32]) -> Result<Self, StoreError> {
        let mut blobs = Self::open(root)?;
        blobs.cipher = Some(Arc::new(XChaCha20Poly1305::new(key.into())));
        Ok(blobs)
    }

    /// The file's bytes for `blob` at `key`.
    fn seal(&self, key: &BlobKey, blob: &Blob) -> Result<Vec<u8>, StoreError> {
        let mut plain = Vec::with_capacity(blob.content_type.len() + 1 + blob.bytes.len());
        plain.extend_from_slice(blob.content_type.as_bytes());
        plain.push(b'\n');
        plain.extend_from_slice(&blob.bytes);
        let Some(cipher) = &self.cipher else { return Ok(plain) };
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(backend)?;
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: &plain, aad: key.as_str().as_bytes() })
            .map_err(|_| backend("blob encryption failed"))?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// `blob` from a file's bytes: encrypted (with this store's key) or plain.
    fn open_file(cipher: Option<&XChaCha20Poly1305>, key: &str, data: Vec<u8>) -> std::io::Result<Blob> {
        let mut plain = match data.strip_prefix(MAGIC) {
            Some(rest) if rest.len() >= NONCE_LEN => {
                let cipher = cipher.ok_or_else(|| std::io::Error::other("an encrypted blob, and no blob key configured"))?;
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| std::io::Error::other("a blob nonce of the wrong length"))?;
                cipher
                    .decrypt(&XNonce::from(nonce), Payload { msg: sealed, aad: key.as_bytes() })
                    .map_err(|_| std::io::Error::other("a blob failed to decrypt (wrong key, or the file was altered or moved)"))?
            }
            _ => data,
        };
        let split = plain.iter().position(|&b| b == b'\n').ok_or_else(|| std::io::Error::other("blob file without a header"))?;
        let content_type = String::from_utf8_lossy(&plain[..split]).into_owned();
        plain.drain(..=split);
        Ok(Blob { content_type, bytes: plain })
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
        let sealed = self.seal(key, &blob)?;
        blocking(move || {
            let parent = target.parent().ok_or_else(|| std::io::Error::other("key without a folder"))?;
            std::fs::create_dir_all(parent)?;
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&sealed)?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)?;
            std::fs::File::open(parent)?.sync_all()
        })
        .await
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Blob>, StoreError> {
        let path = self.path(key);
        let (cipher, name) = (self.cipher.clone(), key.as_str().to_string());
        blocking(move || match std::fs::read(&path) {
            Ok(data) => Self::open_file(cipher.as_deref(), &name, data).map(Some),
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

/// Sanctions and PEP list files in a folder (`<data dir>/screening/` by default): every `.csv` and
/// `.xml` directly in it. A missing folder is no lists, not an error.
pub struct DirListFiles {
    dir: PathBuf,
}

impl DirListFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

fn is_list_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.') && (lower.ends_with(".csv") || lower.ends_with(".xml"))
}

#[async_trait]
impl smartenroll_domain::ports::ListFiles for DirListFiles {
    async fn versions(&self) -> Result<Vec<(String, String)>, StoreError> {
        let dir = self.dir.clone();
        blocking(move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let mut out = Vec::new();
            for entry in entries {
                let entry = entry?;
                let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
                let meta = entry.metadata()?;
                if !meta.is_file() || !is_list_file(&name) {
                    continue;
                }
                let modified = meta.modified()?.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
                out.push((name, format!("{}-{modified}", meta.len())));
            }
            out.sort();
            Ok(out)
        })
        .await
    }

    async fn read(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        if name.contains(['/', '\\']) || !is_list_file(name) {
            return Err(StoreError::Backend("not a list file name".into()));
        }
        let path = self.dir.join(name);
        blocking(move || std::fs::read(path)).await
    }
}

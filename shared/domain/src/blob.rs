//! Object storage vocabulary: keys scoped to a client, the stored object, and presigned requests.
//! The keys are built here, never from raw caller input, so a key can never escape its client's
//! folder (`clients/<clientId>/…`), whatever backend stores it.

use crate::clock::Timestamp;
use crate::ids::ClientId;

/// Presigned URLs live at most this long (15 minutes): long enough for a phone to upload a photo
/// over a slow network, short enough that a leaked link is soon useless.
pub const PRESIGN_MAX_SECONDS: u32 = 900;
const MAX_KEY_LEN: usize = 512;

/// `clients/<clientId>/<path>`, where every segment of `path` is `[A-Za-z0-9._-]+` and not `.`/`..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// `None` when `path` is empty, too long, or has a segment outside the allowed alphabet.
    pub fn new(client: &ClientId, path: &str) -> Option<Self> {
        let ok_segment =
            |s: &str| !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        let key = format!("clients/{client}/{path}");
        (key.len() <= MAX_KEY_LEN && path.split('/').all(ok_segment)).then_some(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored object: its bytes and the media type it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An HTTP request a browser or phone can make directly against the object store, without
/// credentials, until `expires_at`. `headers` must be sent as given (they are part of the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientId {
        ClientId::parse("65f1c2a9e4b0a1b2c3d4e5f6").expect("id")
    }

    #[test]
    fn a_key_is_scoped_under_its_clients_folder() {
        let k = BlobKey::new(&client(), "projects/p1/documents/front.jpg").expect("valid");
        assert_eq!(k.as_str(), "clients/65f1c2a9e4b0a1b2c3d4e5f6/projects/p1/documents/front.jpg");
    }

    #[test]
    fn a_path_that_could_escape_or_confuse_the_folder_is_refused() {
        for bad in ["", "/abs", "a//b", "../x", "a/../../b", "a/./b", "a b", "a\\b", "ü", "a/", "x?y", "x%2F"] {
            assert!(BlobKey::new(&client(), bad).is_none(), "{bad:?} must be refused");
        }
        assert!(BlobKey::new(&client(), &"a".repeat(600)).is_none(), "an over-long key must be refused");
    }
}

//! S3 implementation of the blob port: one private bucket, every object encrypted at rest with
//! SSE-S3 (requested on each write, on top of the bucket's default encryption), keys already scoped
//! per client by [`BlobKey`]. Browsers and phones upload and download through presigned URLs that
//! expire within [`PRESIGN_MAX_SECONDS`], so large images never pass through a Lambda payload.

use crate::backend;
use async_trait::async_trait;
use aws_sdk_s3::Client as S3;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, Delete, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use smartenroll_domain::blob::{Blob, BlobKey, PRESIGN_MAX_SECONDS, PresignedRequest};
use smartenroll_domain::clock::Timestamp;
use smartenroll_domain::error::StoreError;
use smartenroll_domain::ports::BlobStore;
use std::time::{Duration, SystemTime};

#[derive(Clone)]
pub struct S3Blobs {
    s3: S3,
    bucket: String,
}

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl S3Blobs {
    pub fn new(s3: S3, bucket: impl Into<String>) -> Self {
        Self { s3, bucket: bucket.into() }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        // A custom endpoint (a local AWS-protocol server, an S3-compatible store) has no per-bucket
        // DNS names: address buckets by path there, and virtual-hosted style (AWS's default) otherwise.
        let path_style = conf.endpoint_url().is_some();
        // Checksums only where S3 requires them (not on PutObject): the SDK's default since 2025
        // adds a CRC32 trailer in `aws-chunked` encoding to every upload, which some S3-compatible
        // stores of on-prem installs do not accept. Transport integrity is TLS's; the stored
        // object's is S3's own. (Measured: no change to the document function's cold start.)
        let s3 = S3::from_conf(
            aws_sdk_s3::config::Builder::from(conf)
                .force_path_style(path_style)
                .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
                .build(),
        );
        Self::new(s3, bucket)
    }

    /// Creates the bucket as the SAM template does (for tests and local setups): public access
    /// blocked, default encryption, and a rule that aborts abandoned multipart uploads.
    pub async fn create_bucket(&self) -> Result<(), StoreError> {
        match self.s3.create_bucket().bucket(&self.bucket).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
            Err(e) => return Err(backend(e)),
        }
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.s3.put_public_access_block().bucket(&self.bucket).public_access_block_configuration(block).send().await.map_err(backend)?;
        let sse = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build().map_err(build_err)?,
                    )
                    .build(),
            )
            .build()
            .map_err(build_err)?;
        self.s3.put_bucket_encryption().bucket(&self.bucket).server_side_encryption_configuration(sse).send().await.map_err(backend)?;
        let rule = LifecycleRule::builder()
            .id("abort-incomplete-uploads")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build())
            .build()
            .map_err(build_err)?;
        let lifecycle = BucketLifecycleConfiguration::builder().rules(rule).build().map_err(build_err)?;
        self.s3
            .put_bucket_lifecycle_configuration()
            .bucket(&self.bucket)
            .lifecycle_configuration(lifecycle)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// How an object is stored at rest, as S3 reports it (`AES256` for SSE-S3).
    pub async fn encryption_of(&self, key: &BlobKey) -> Result<Option<String>, StoreError> {
        let head = self.s3.head_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(backend)?;
        Ok(head.server_side_encryption().map(|s| s.as_str().to_string()))
    }

    fn presigning(ttl_seconds: u32) -> Result<(PresigningConfig, Timestamp), StoreError> {
        let ttl = ttl_seconds.clamp(1, PRESIGN_MAX_SECONDS);
        let cfg = PresigningConfig::expires_in(Duration::from_secs(u64::from(ttl))).map_err(build_err)?;
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Ok((cfg, Timestamp::from_unix_seconds(now + i64::from(ttl))))
    }
}

fn presigned(method: &'static str, req: aws_sdk_s3::presigning::PresignedRequest, expires_at: Timestamp) -> PresignedRequest {
    PresignedRequest {
        method,
        url: req.uri().to_string(),
        headers: req.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        expires_at,
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, key: &BlobKey, blob: Blob) -> Result<(), StoreError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(blob.content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(blob.bytes))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Blob>, StoreError> {
        let out = match self.s3.get_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(backend(e)),
        };
        let content_type = out.content_type().unwrap_or("application/octet-stream").to_string();
        let bytes = out.body.collect().await.map_err(build_err)?.into_bytes().to_vec();
        Ok(Some(Blob { content_type, bytes }))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), StoreError> {
        self.s3.delete_object().bucket(&self.bucket).key(key.as_str()).send().await.map_err(backend)?;
        Ok(())
    }

    async fn delete_folder(&self, folder: &BlobKey) -> Result<u64, StoreError> {
        let prefix = format!("{folder}/");
        let mut deleted = 0u64;
        let mut pages = self.s3.list_objects_v2().bucket(&self.bucket).prefix(&prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(backend)?;
            let ids = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .map(|k| ObjectIdentifier::builder().key(k).build().map_err(build_err))
                .collect::<Result<Vec<_>, _>>()?;
            if ids.is_empty() {
                continue;
            }
            let count = ids.len() as u64;
            let out = self
                .s3
                .delete_objects()
                .bucket(&self.bucket)
                .delete(Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(build_err)?)
                .send()
                .await
                .map_err(backend)?;
            if !out.errors().is_empty() {
                return Err(StoreError::Backend(format!("{} objects under a folder could not be deleted", out.errors().len())));
            }
            deleted += count;
        }
        Ok(deleted)
    }

    async fn presign_put(&self, key: &BlobKey, content_type: &str, ttl_seconds: u32) -> Result<Option<PresignedRequest>, StoreError> {
        let (cfg, expires_at) = Self::presigning(ttl_seconds)?;
        let req = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .presigned(cfg)
            .await
            .map_err(backend)?;
        Ok(Some(presigned("PUT", req, expires_at)))
    }

    async fn presign_get(&self, key: &BlobKey, ttl_seconds: u32) -> Result<Option<PresignedRequest>, StoreError> {
        let (cfg, expires_at) = Self::presigning(ttl_seconds)?;
        let req = self.s3.get_object().bucket(&self.bucket).key(key.as_str()).presigned(cfg).await.map_err(backend)?;
        Ok(Some(presigned("GET", req, expires_at)))
    }
}

/// Sanctions and PEP list files under a prefix of the bucket (`screening-lists/` by default; the
/// blob keys all start with a client id, so the two never meet): every `.csv` and `.xml` object
/// directly under it, versioned by ETag. An operator refreshes a list with `aws s3 cp`.
pub struct S3ListFiles {
    s3: S3,
    bucket: String,
    prefix: String,
}

pub const LIST_PREFIX: &str = "screening-lists/";

impl S3ListFiles {
    pub fn new(s3: S3, bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self { s3, bucket: bucket.into(), prefix: prefix.into() }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        Self::new(S3Blobs::from_conf(conf, String::new()).s3, bucket, LIST_PREFIX)
    }
}

#[async_trait]
impl smartenroll_domain::ports::ListFiles for S3ListFiles {
    async fn versions(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(&self.bucket).prefix(&self.prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            for o in page.map_err(backend)?.contents() {
                let Some(name) = o.key().and_then(|k| k.strip_prefix(&self.prefix)) else { continue };
                let lower = name.to_ascii_lowercase();
                if name.contains('/') || !(lower.ends_with(".csv") || lower.ends_with(".xml")) {
                    continue;
                }
                out.push((name.to_string(), format!("{}-{}", o.e_tag().unwrap_or_default(), o.size().unwrap_or_default())));
            }
        }
        out.sort();
        Ok(out)
    }

    async fn read(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let key = format!("{}{name}", self.prefix);
        let out = self.s3.get_object().bucket(&self.bucket).key(key).send().await.map_err(backend)?;
        Ok(out.body.collect().await.map_err(build_err)?.into_bytes().to_vec())
    }
}

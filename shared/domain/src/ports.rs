//! Ports: the small capability traits the domain needs from the outside world. Each has an
//! embedded implementation (single node) and, from the AWS issue on, a DynamoDB one; both run the
//! same conformance suite (`conformance`, behind the feature of that name).

use crate::client::Client;
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::ids::{ClientId, ProjectId};
use crate::project::Project;
use crate::query::ProjectQuery;
use crate::ratelimit::{RateDecision, RateKey};
use async_trait::async_trait;

/// One page of a list, with the total number of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Fails with `Duplicate` if the id exists.
    async fn insert(&self, project: &Project) -> Result<(), StoreError>;
    /// Scoped by client: another client's project is `None`.
    async fn get(&self, client: &ClientId, id: &ProjectId) -> Result<Option<Project>, StoreError>;
    /// Writes `project` if the stored version is still `expected_version`, else `Conflict`.
    async fn replace(&self, project: &Project, expected_version: u64) -> Result<(), StoreError>;
    /// Deletes if the stored version is still `expected_version`, else `Conflict`.
    async fn delete(&self, client: &ClientId, id: &ProjectId, expected_version: u64) -> Result<(), StoreError>;
    /// Newest first (creation time, then id), filtered and paginated.
    async fn list(&self, client: &ClientId, query: &ProjectQuery) -> Result<Page<Project>, StoreError>;
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn insert(&self, client: &Client) -> Result<(), StoreError>;
    async fn get(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    async fn replace(&self, client: &Client, expected_version: u64) -> Result<(), StoreError>;
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request against `key` and says whether it is within `limit`. A refused request
    /// still leaves the counter at or above the limit, never below.
    async fn hit(&self, key: &RateKey, limit: u32, now: Timestamp) -> Result<RateDecision, StoreError>;
}

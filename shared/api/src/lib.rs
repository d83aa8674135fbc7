//! HTTP glue shared by every endpoint, in AWS and in the single-node server alike.
//!
//! Every endpoint is a `lambda_http` handler — `async fn(&Deps, Request) -> Response<Body>` — that
//! never fails: expected problems become `{message, code}` responses here, so nothing reaches API
//! Gateway as an opaque 5xx. [`routes::ROUTES`] is the one routing table: the single-node server
//! dispatches through it, and each Lambda function is built for one of its entries.

pub mod auth;
pub mod blocklist;
pub mod checks;
pub mod company;
pub mod deps;
pub mod documents;
pub mod error;
pub mod evidence;
pub mod face_api;
pub mod faces;
pub mod flows;
pub mod http;
pub mod idempotency;
pub mod images;
pub mod jobs;
pub mod login;
pub mod openapi;
pub mod page;
pub mod projects;
pub mod public;
pub mod registrations;
pub mod routes;
pub mod schemas;
pub mod screening;
pub mod validations;
pub mod webhooks;

pub use deps::Deps;
pub use lambda_http::{Body, Request, Response};

//! The product's one integration-test binary: the real `smartenroll` binary driven over HTTP
//! (end to end), every `events/` fixture run through its handler as API Gateway delivers it, and
//! the per-endpoint Lambda binaries run against a local Lambda Runtime API.

mod business;
mod contract;
mod documents;
mod e2e;
mod enrollment;
mod events;
mod faces;
mod flows;
mod fuzz;
mod helpers;
mod infra;
mod lambda;
mod page;
mod retention;
mod security;
mod webhooks;

//! Entrypoints. `bootstrap` opens a data directory and wires the embedded adapters into `Deps`
//! (once per process); `aws` wires the DynamoDB adapters and runs a Lambda function; `server` is
//! the single-node HTTP server that dispatches through the shared routing table to the same
//! handlers each Lambda function runs; `worker` consumes job queues (SQS batches in AWS, the
//! embedded queue in the server); `face_cli` is the operator's `smartenroll face …` commands and
//! `document_cli` their `smartenroll mrz …` commands.

pub mod aws;
pub mod bootstrap;
pub mod document_cli;
pub mod face_cli;
pub mod server;
pub mod worker;

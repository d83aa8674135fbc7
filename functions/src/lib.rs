//! Entrypoints. `bootstrap` opens a data directory and wires the adapters into `Deps` (once per
//! process); `server` is the single-node HTTP server that dispatches through the shared routing
//! table to the same handlers each Lambda function runs.

pub mod bootstrap;
pub mod server;

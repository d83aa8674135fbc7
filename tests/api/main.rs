//! The product's one integration-test binary: the real `smartenroll` binary driven over HTTP
//! (end to end), and every `events/` fixture run through its handler as API Gateway delivers it.

mod e2e;
mod events;
mod helpers;

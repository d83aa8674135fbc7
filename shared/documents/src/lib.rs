//! The document engine: what a submitted identity document says and whether it holds together.
//!
//! - [`zone`]: machine-readable zones (passports, ID cards, visas) read from text, with every check
//!   digit reported, expiry and the issuing state against the flow's countries;
//! - [`names`]: the document's names against the name the enrollee declared.
//!
//! Reading the zone's text off an image (OCR) and the document worker build on these.

pub mod names;
pub mod zone;

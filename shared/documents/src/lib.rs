//! The document engine: what a submitted identity document says and whether it holds together.
//!
//! - [`zone`]: machine-readable zones (passports, ID cards, visas) read from text, with every check
//!   digit reported, expiry and the issuing state against the flow's countries;
//! - [`names`]: the document's names against the name the enrollee declared;
//! - [`ocr`]: text lines off a document image (PP-OCRv4 on tract), and the zone read from them;
//! - [`screening`]: sanctions and PEP lists (OpenSanctions, OFAC SDN files) and explainable hits;
//! - [`visual`]: the labelled fields of a document without a zone (driver's licences);
//! - [`synthetic`]: passport pages made here, in the OCR-B font, for tests and samples.

pub mod names;
pub mod ocr;
pub mod screening;
pub mod synthetic;
pub mod visual;
pub mod zone;

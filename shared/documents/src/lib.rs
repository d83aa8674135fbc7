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

/// The reading port: an image in, what the document says out (its zone with every check digit,
/// or, without one, the visual zone's fields with per-field confidence). The document worker holds
/// one; [`ocr::Ocr`] (PP-OCRv4 on tract) is the implementation. The other two ports of the
/// engine are the screening lists' files (`smartenroll_domain::ports::ListFiles`, loaded by
/// [`screening::load_list`]) and the outside sources, background checks included
/// (`smartenroll_domain::sources::DataSources`).
pub trait DocumentReader: Send + Sync {
    fn read_document(&self, image: &image::RgbImage) -> Result<ocr::DocumentReading, ocr::OcrError>;
    /// Every line of print on the page, top to bottom (company documents: certificates, tax
    /// registrations, bank letters, which have no zone and no fixed layout).
    fn read_text(&self, image: &image::RgbImage) -> Result<Vec<String>, ocr::OcrError>;
}

impl DocumentReader for ocr::Ocr {
    fn read_document(&self, image: &image::RgbImage) -> Result<ocr::DocumentReading, ocr::OcrError> {
        ocr::Ocr::read_document(self, image)
    }
    fn read_text(&self, image: &image::RgbImage) -> Result<Vec<String>, ocr::OcrError> {
        Ok(ocr::Ocr::read_lines(self, image)?.into_iter().map(|l| l.text).collect())
    }
}

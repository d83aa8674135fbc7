//! The document check a worker runs on an enrollee's document (`checks.run` for a document
//! check): the machine-readable zone read off the front image (or the back, where ID cards carry
//! it) with the document engine, then judged:
//!
//! - no zone read → a reviewer looks (documents without a zone need the visual-zone reader, which
//!   is not built yet; never a guessed pass);
//! - a check digit disagrees → a reviewer looks (a misread and a forgery look the same here);
//! - expired (against the worker's clock) → `FAILED`, `document_expired`;
//! - issued by a state, or of a kind, the flow does not accept → `FAILED`,
//!   `document_not_accepted`;
//! - the names differ from the declared name → a reviewer looks, with the percentages;
//! - otherwise `ACTIVE`, with `OCRExtraction` and the name percentages.
//!
//! The engine runs on the blocking pool (CPU-bound) and sees only pixels; nothing read is logged.

use crate::jobs::JobDeps;
use serde_json::{Value, json};
use smartenroll_documents::names;
use smartenroll_documents::ocr::Ocr;
use smartenroll_documents::zone::ZoneRead;
use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::config::DocumentCategory;
use smartenroll_domain::registration::Registration;
use smartenroll_domain::verification::{Check, Outcome};
use std::sync::Arc;

async fn load_image(deps: &JobDeps, reg: &Registration, path: &str) -> Result<Option<image::RgbImage>, String> {
    let key = BlobKey::new(&reg.client, path).ok_or("checks.run: a stored image path is not a blob key")?;
    let Some(blob) = deps.blobs.get(&key).await.map_err(|e| format!("checks.run: {e}"))? else { return Ok(None) };
    Ok(crate::images::rgb_from_bytes(&blob.bytes).ok())
}

/// Whether the flow accepts a document of this kind from this issuing state. A flow without a
/// documents step configured accepts any.
fn accepted(reg: &Registration, zone: &ZoneRead) -> bool {
    let Some(documents) = reg.flow_config.documents.as_ref().filter(|d| !d.document_types.is_empty()) else {
        return true;
    };
    let category = match zone.document_kind {
        "passport" => Some(DocumentCategory::Passport),
        "national_id" => Some(DocumentCategory::GovernmentId),
        _ => None,
    };
    documents.document_types.iter().any(|t| {
        smartenroll_documents::zone::same_state(t.country.alpha3(), &zone.issuing_state)
            && t.configurations.iter().any(|c| c.active && category.is_some_and(|k| c.category == k))
    })
}

/// The reference's `OCRExtraction`, from the zone.
fn extraction(zone: &ZoneRead) -> Value {
    json!({
        "documentType": zone.document_kind,
        "documentNumber": zone.document_number,
        "lastName": zone.surname,
        "firstName": zone.given_names,
        "fullName": format!("{} {}", zone.given_names, zone.surname).trim(),
        "dateOfBirth": zone.date_of_birth,
        "expirationDate": zone.date_of_expiry,
        "gender": zone.sex,
        "country": zone.issuing_state,
        "nationality": zone.nationality,
    })
}

/// Runs the document check `check` of `reg` with `ocr`.
pub async fn run_document(deps: &JobDeps, ocr: &Arc<Ocr>, reg: &Registration, check: &Check) -> Result<Outcome, String> {
    let mut images = Vec::new();
    for path in &check.images {
        match load_image(deps, reg, path).await? {
            Some(i) => images.push(i),
            None => return Ok(Outcome::Inconclusive { reason: "image_unreadable: a stored document image could not be read".into() }),
        }
    }
    let ocr = ocr.clone();
    let zone = tokio::task::spawn_blocking(move || {
        let mut last = Err("no image".to_string());
        for image in &images {
            match ocr.read_zone(image) {
                Ok(reading) => match reading.zone {
                    Ok(z) => return Ok(Some(z)),
                    Err(e) => last = Ok(e.to_string()),
                },
                Err(e) => return Err(e.to_string()),
            }
        }
        last.map(|_| None)
    })
    .await
    .map_err(|e| format!("checks.run: the document engine stopped: {e}"))?
    .map_err(|e| format!("checks.run: {e}"))?;
    let today = deps.clock.now().to_iso();
    Ok(judge(reg, zone, &today[..10]))
}

fn judge(reg: &Registration, zone: Option<ZoneRead>, today: &str) -> Outcome {
    let Some(zone) = zone else {
        return Outcome::Inconclusive {
            reason: "zone_not_found: no machine-readable zone could be read; a document without one needs a reviewer".into(),
        };
    };
    let mut detail = json!({
        "OCRExtraction": extraction(&zone),
        "zone": {"format": zone.format, "checkDigits": zone.checks, "repaired": zone.repaired},
        "validationMethod": "OCR",
    });
    if !zone.checks.all_valid() {
        return Outcome::Inconclusive { reason: format!("check_digits_disagree: {}", zone.checks.failed().join(", ")) };
    }
    if zone.expired_on(today) {
        return Outcome::Failed { reason: "document_expired".into(), detail };
    }
    if !accepted(reg, &zone) {
        return Outcome::Failed { reason: "document_not_accepted".into(), detail };
    }
    if let Some(declared) = reg.person.full_name.as_deref().filter(|n| !n.trim().is_empty()) {
        let m = names::compare(&zone.surname, &zone.given_names, declared);
        detail["namesMatch"] = json!(m.names_match);
        detail["fullNameMatchPercentage"] = json!(m.full_name_match_percentage);
        detail["firstNameMatchPercentage"] = json!(m.first_name_match_percentage);
        detail["lastNameMatchPercentage"] = json!(m.last_name_match_percentage);
        if !m.names_match {
            return Outcome::Inconclusive {
                reason: format!(
                    "names_do_not_match: the document's names match the declared name {:.1} % (first {:.1} %, last {:.1} %)",
                    m.full_name_match_percentage, m.first_name_match_percentage, m.last_name_match_percentage
                ),
            };
        }
    }
    Outcome::Passed { detail }
}

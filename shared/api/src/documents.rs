//! The document check a worker runs on an enrollee's document (`checks.run` for a document
//! check): the machine-readable zone read off the front image (or the back, where ID cards carry
//! it) with the document engine, then judged:
//!
//! - no zone read → the visual zone's labelled fields ([`judge_visual`]): taken only when every
//!   field needed was read confidently, else a reviewer looks (never a guessed pass);
//! - a check digit disagrees → a reviewer looks (a misread and a forgery look the same here);
//! - expired (against the worker's clock) → `FAILED`, `document_expired`;
//! - issued by a state, or of a kind, the flow does not accept → `FAILED`,
//!   `document_not_accepted`;
//! - the names differ from the declared name → a reviewer looks, with the percentages;
//! - otherwise `ACTIVE`, with `OCRExtraction` and the name percentages;
//!
//! and then, for a document not already failed, what the flow's documents step asks for
//! ([`consult`]): screening against the sanctions and PEP lists (a hit → a reviewer), information
//! verification against the issuing country's registry (no registry configured →
//! `infoValidationSupported: false` with the reason; a mismatch → a reviewer) and a criminal
//! history check (records → a reviewer; not configured → a reviewer; the provider down → its
//! `onFailure`: a reviewer, or on with the failure written down). A reviewer decides on anything
//! adverse: nothing from a list or a provider rejects a person by itself.
//!
//! The engine runs on the blocking pool (CPU-bound) and sees only pixels; nothing read is logged.

use crate::jobs::JobDeps;
use serde_json::{Value, json};
use smartenroll_documents::DocumentReader;
use smartenroll_documents::names;
use smartenroll_documents::screening::Query;
use smartenroll_documents::visual::VisualRead;
use smartenroll_documents::zone::ZoneRead;
use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::config::DocumentCategory;
use smartenroll_domain::ratelimit::{Category, RateKey};
use smartenroll_domain::registration::Registration;
use smartenroll_domain::sources::{OnFailure, SourceKind, SourceRequest};
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
pub async fn run_document(deps: &JobDeps, ocr: &Arc<dyn DocumentReader>, reg: &Registration, check: &Check) -> Result<Outcome, String> {
    let mut images = Vec::new();
    for path in &check.images {
        match load_image(deps, reg, path).await? {
            Some(i) => images.push(i),
            None => return Ok(Outcome::review("image_unreadable: a stored document image could not be read")),
        }
    }
    let ocr = ocr.clone();
    // Each image in turn (front, then back, where ID cards carry the zone): the first zone found
    // wins; without one, the first visual zone that names fields.
    let (zone, visual) = tokio::task::spawn_blocking(move || {
        let mut visual: Option<VisualRead> = None;
        for image in &images {
            let reading = ocr.read_document(image).map_err(|e| e.to_string())?;
            if let Ok(z) = reading.zone.zone {
                return Ok((Some(z), None));
            }
            if visual.as_ref().is_none_or(|v| named(v) == 0) {
                visual = reading.visual;
            }
        }
        Ok::<_, String>((None, visual))
    })
    .await
    .map_err(|e| format!("checks.run: the document engine stopped: {e}"))?
    .map_err(|e| format!("checks.run: {e}"))?;
    let today = deps.clock.now().to_iso();
    match (&zone, visual) {
        (Some(zone), _) => {
            let outcome = judge(reg, Some(zone), &today[..10]);
            consult(deps, reg, check, zone, outcome).await
        }
        (None, Some(visual)) if named(&visual) > 0 => Ok(judge_visual(reg, &visual, &today[..10])),
        (None, _) => Ok(judge(reg, None, &today[..10])),
    }
}

/// How many fields a visual read found.
fn named(v: &VisualRead) -> usize {
    [&v.surname, &v.given_names, &v.document_number, &v.date_of_birth, &v.date_of_expiry, &v.date_of_issue, &v.sex]
        .iter()
        .filter(|f| f.is_some())
        .count()
}

/// The confidence from which a visual field is taken as read (no check digit backs it).
pub const VISUAL_MIN_CONFIDENCE: f32 = 0.90;

/// A document read from its visual zone: every field the decision needs (names, number, expiry)
/// read at [`VISUAL_MIN_CONFIDENCE`] or more and the issuing country printed on it, or a
/// reviewer; then expiry, the flow's countries and the declared name as for a zone. Its
/// screening and outside sources are not consulted: without check digits, a misread name or
/// number would be screened or looked up as someone else's (the reviewer sees the fields).
fn judge_visual(reg: &Registration, v: &VisualRead, today: &str) -> Outcome {
    let value = |f: &Option<smartenroll_documents::visual::Field>| f.as_ref().map(|f| f.value.clone());
    let mut detail = json!({
        "OCRExtraction": {
            "documentType": "driver_license",
            "documentNumber": value(&v.document_number),
            "lastName": value(&v.surname),
            "firstName": value(&v.given_names),
            "fullName": match (value(&v.given_names), value(&v.surname)) {
                (Some(g), Some(s)) => Some(format!("{g} {s}")),
                _ => None,
            },
            "dateOfBirth": value(&v.date_of_birth),
            "expirationDate": value(&v.date_of_expiry),
            "expeditionDate": value(&v.date_of_issue),
            "gender": value(&v.sex),
            "country": v.country,
        },
        "visualZone": v,
        "validationMethod": "OCR",
        "readFrom": "visual_zone",
    });
    let required = [
        ("lastName", &v.surname),
        ("firstName", &v.given_names),
        ("documentNumber", &v.document_number),
        ("expirationDate", &v.date_of_expiry),
    ];
    let missing: Vec<&str> = required.iter().filter(|(_, f)| f.is_none()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Outcome::Inconclusive {
            reason: format!("visual_fields_missing: {} not found on a document without a machine-readable zone", missing.join(", ")),
            detail,
        };
    }
    let unsure: Vec<String> = required
        .iter()
        .filter_map(|(n, f)| f.as_ref().filter(|f| f.confidence < VISUAL_MIN_CONFIDENCE).map(|f| format!("{n} {:.2}", f.confidence)))
        .collect();
    if !unsure.is_empty() {
        return Outcome::Inconclusive {
            reason: format!("visual_low_confidence: {} (under {VISUAL_MIN_CONFIDENCE})", unsure.join(", ")),
            detail,
        };
    }
    if v.date_of_expiry.as_ref().is_some_and(|e| e.value.as_str() < today) {
        return Outcome::Failed { reason: "document_expired".into(), detail };
    }
    let restricted = reg.flow_config.documents.as_ref().is_some_and(|d| !d.document_types.is_empty());
    match &v.country {
        None if restricted => {
            let reason = "issuing_state_unknown: the flow accepts some countries only and none is printed where the reader looks";
            return Outcome::Inconclusive { reason: reason.into(), detail };
        }
        Some(country) if !accepted_visual(reg, country) => return Outcome::Failed { reason: "document_not_accepted".into(), detail },
        _ => {}
    }
    if let Some(declared) = reg.person.full_name.as_deref().filter(|n| !n.trim().is_empty()) {
        let m = names::compare(&value(&v.surname).unwrap_or_default(), &value(&v.given_names).unwrap_or_default(), declared);
        detail["namesMatch"] = json!(m.names_match);
        detail["fullNameMatchPercentage"] = json!(m.full_name_match_percentage);
        detail["firstNameMatchPercentage"] = json!(m.first_name_match_percentage);
        detail["lastNameMatchPercentage"] = json!(m.last_name_match_percentage);
        if !m.names_match {
            return Outcome::Inconclusive { reason: format!("names_do_not_match: {:.1} %", m.full_name_match_percentage), detail };
        }
    }
    if reg.flow_config.documents.as_ref().is_some_and(|d| d.screening || d.information_verification || d.criminal_history_verification) {
        return Outcome::Inconclusive {
            reason: "visual_zone_not_screened: screening and outside sources need a document with a machine-readable zone; a reviewer checks this one".into(),
            detail,
        };
    }
    Outcome::Passed { detail }
}

/// Whether the flow accepts a licence (or an ID card read without its zone) from `country`.
fn accepted_visual(reg: &Registration, country: &str) -> bool {
    let Some(documents) = reg.flow_config.documents.as_ref().filter(|d| !d.document_types.is_empty()) else {
        return true;
    };
    documents.document_types.iter().any(|t| {
        smartenroll_documents::zone::same_state(t.country.alpha3(), country)
            && t.configurations.iter().any(|c| c.active && matches!(c.category, DocumentCategory::License | DocumentCategory::GovernmentId))
    })
}

fn judge(reg: &Registration, zone: Option<&ZoneRead>, today: &str) -> Outcome {
    let Some(zone) = zone else {
        return Outcome::review("zone_not_found: no machine-readable zone could be read; a document without one needs a reviewer");
    };
    let mut detail = json!({
        "OCRExtraction": extraction(zone),
        "zone": {"format": zone.format, "checkDigits": zone.checks, "repaired": zone.repaired},
        "validationMethod": "OCR",
    });
    if !zone.checks.all_valid() {
        return Outcome::Inconclusive { reason: format!("check_digits_disagree: {}", zone.checks.failed().join(", ")), detail };
    }
    if zone.expired_on(today) {
        return Outcome::Failed { reason: "document_expired".into(), detail };
    }
    if !accepted(reg, zone) {
        return Outcome::Failed { reason: "document_not_accepted".into(), detail };
    }
    if let Some(declared) = reg.person.full_name.as_deref().filter(|n| !n.trim().is_empty()) {
        let m = names::compare(&zone.surname, &zone.given_names, declared);
        detail["namesMatch"] = json!(m.names_match);
        detail["fullNameMatchPercentage"] = json!(m.full_name_match_percentage);
        detail["firstNameMatchPercentage"] = json!(m.first_name_match_percentage);
        detail["lastNameMatchPercentage"] = json!(m.last_name_match_percentage);
        if !m.names_match {
            let reason = format!(
                "names_do_not_match: the document's names match the declared name {:.1} % (first {:.1} %, last {:.1} %)",
                m.full_name_match_percentage, m.first_name_match_percentage, m.last_name_match_percentage
            );
            return Outcome::Inconclusive { reason, detail };
        }
    }
    Outcome::Passed { detail }
}

/// The flow's screening, information verification and criminal history steps, for a document
/// whose zone was read and that has not already failed. Adverse or missing answers add a reason
/// for a reviewer; every answer is written into the validation. `Err` only for "try later" (the
/// background-check budget of the minute is spent): the job is retried by its queue.
async fn consult(deps: &JobDeps, reg: &Registration, check: &Check, zone: &ZoneRead, outcome: Outcome) -> Result<Outcome, String> {
    let Some(step) = reg.flow_config.documents.as_ref() else { return Ok(outcome) };
    let (mut detail, mut reasons) = match outcome {
        Outcome::Passed { detail } => (detail, Vec::new()),
        Outcome::Inconclusive { reason, detail } => (detail, vec![reason]),
        other => return Ok(other),
    };
    // The registry and the provider are asked about this document only when its digits agree
    // (a misread number would ask about someone else).
    let digits_agree = zone.checks.all_valid();
    if step.screening {
        screen(deps, zone, &mut detail, &mut reasons).await;
    }
    if step.information_verification {
        if digits_agree {
            verify_information(deps, check, zone, &mut detail, &mut reasons).await;
        } else {
            detail["infoValidationSupported"] = json!(false);
            detail["infoValidationSupportedReason"] = json!("check_digits_disagree");
        }
    }
    if step.criminal_history_verification && digits_agree {
        criminal_history(deps, reg, check, zone, &mut detail, &mut reasons).await?;
    }
    Ok(if reasons.is_empty() { Outcome::Passed { detail } } else { Outcome::Inconclusive { reason: reasons.join("; "), detail } })
}

async fn screen(deps: &JobDeps, zone: &ZoneRead, detail: &mut Value, reasons: &mut Vec<String>) {
    let Some((loaded, threshold)) = crate::screening::lists_for_check(deps.sources.lists.as_ref(), detail, reasons).await else { return };
    let name = format!("{} {}", zone.given_names, zone.surname);
    let country = smartenroll_domain::country::Country::parse(&zone.nationality).map(|c| c.alpha2().to_ascii_lowercase());
    let query = Query { name: &name, birth_date: zone.date_of_birth.as_deref(), country: country.as_deref(), organization: false };
    let screening = &loaded.screening;
    let hits = screening.screen(&query, threshold);
    detail["screening"] = json!({
        "status": if hits.is_empty() { "clear" } else { "hits" },
        "lists": loaded.files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        "entries": screening.len(),
        "threshold": threshold,
        "hits": hits,
    });
    if !hits.is_empty() {
        let which: Vec<String> = hits.iter().take(3).map(|h| format!("{}:{} ({:.2})", h.list, h.entry_id, h.score)).collect();
        reasons.push(format!(
            "screening_hit: the holder matches {} listed entr{} ({})",
            hits.len(),
            if hits.len() == 1 { "y" } else { "ies" },
            which.join(", ")
        ));
    }
}

fn source_request(check: &Check, zone: &ZoneRead) -> SourceRequest {
    SourceRequest {
        request_id: check.id.clone(),
        country: zone.issuing_state.clone(),
        document_type: zone.document_kind.to_string(),
        document_number: zone.document_number.clone(),
        first_name: zone.given_names.clone(),
        last_name: zone.surname.clone(),
        date_of_birth: zone.date_of_birth.clone(),
        nationality: Some(zone.nationality.clone()).filter(|n| !n.is_empty()),
        expiration_date: zone.date_of_expiry.clone(),
        company: None,
    }
}

/// An answer as the validation shows it: the source's `fields` or `records` under their own name.
fn answer_json(kind: SourceKind, a: &smartenroll_domain::sources::SourceAnswer) -> Value {
    let key = match kind {
        SourceKind::InformationVerification | SourceKind::CompanyRegistry => "fields",
        SourceKind::CriminalHistory => "records",
    };
    json!({"result": a.result, "reference": a.reference, key: a.detail, "attempts": a.attempts})
}

async fn verify_information(deps: &JobDeps, check: &Check, zone: &ZoneRead, detail: &mut Value, reasons: &mut Vec<String>) {
    let kind = SourceKind::InformationVerification;
    let Some((data, policy)) = deps.sources.data.as_ref().and_then(|d| Some((d, d.configured(kind, &zone.issuing_state)?))) else {
        // The reference's way of saying the data was not checked against a registry.
        detail["infoValidationSupported"] = json!(false);
        detail["infoValidationSupportedReason"] = json!(format!("no_source_configured: no information source for {}", zone.issuing_state));
        return;
    };
    match data.query(kind, &source_request(check, zone)).await {
        Ok(answer) => {
            detail["infoValidationSupported"] = json!(true);
            detail["informationVerification"] = answer_json(kind, &answer);
            if !answer.is_clean() {
                reasons.push(format!("information_{}: the issuing country's registry does not confirm the document's data", answer.result));
            }
        }
        Err(e) => {
            detail["infoValidationSupported"] = json!(false);
            detail["infoValidationSupportedReason"] = json!(e.code());
            detail["informationVerification"] = json!({"status": "unavailable", "error": e.to_string(), "onFailure": policy});
            if policy == OnFailure::Closed {
                reasons.push(format!("information_source_unavailable: {e}"));
            }
        }
    }
}

async fn criminal_history(
    deps: &JobDeps,
    reg: &Registration,
    check: &Check,
    zone: &ZoneRead,
    detail: &mut Value,
    reasons: &mut Vec<String>,
) -> Result<(), String> {
    let kind = SourceKind::CriminalHistory;
    let Some((data, policy)) = deps.sources.data.as_ref().and_then(|d| Some((d, d.configured(kind, &zone.issuing_state)?))) else {
        detail["criminalHistory"] = json!({"status": "not_configured"});
        reasons.push(format!("criminal_history_unavailable: no criminal history source is configured for {}", zone.issuing_state));
        return Ok(());
    };
    if let Some((limiter, limit)) = &deps.sources.limiter {
        let now = deps.clock.now();
        let key = RateKey::at(&reg.client, Category::BackgroundChecks, now.unix_seconds());
        let decision = limiter.hit(&key, *limit, now).await.map_err(|e| format!("checks.run: {e}"))?;
        if !decision.allowed {
            return Err(format!("checks.run: the background-check limit ({limit} a minute) is reached; retried later"));
        }
    }
    match data.query(kind, &source_request(check, zone)).await {
        Ok(answer) => {
            if !answer.is_clean() {
                reasons.push("criminal_records_found: the criminal history source reports records".into());
            }
            detail["criminalHistory"] = answer_json(kind, &answer);
        }
        Err(e) => {
            detail["criminalHistory"] = json!({"status": "unavailable", "error": e.to_string(), "onFailure": policy});
            if policy == OnFailure::Closed {
                reasons.push(format!("criminal_history_unavailable: {e}"));
            }
        }
    }
    Ok(())
}

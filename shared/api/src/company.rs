//! The company check a worker runs on a business registration's company document (`checks.run`
//! for a `company` check):
//!
//! - the registration number and tax id against the country of incorporation's published rule
//!   (`smartenroll_domain::business::formats`): a number that breaks its rule → a reviewer looks
//!   (a typo and a made-up number look the same); a country without a rule says `no_rule`;
//! - the document's text read by the document engine (every line of print; company documents
//!   have no zone and no fixed layout) and the legal name looked for in it
//!   (`names::company_name_in_text`): not found → a reviewer looks, with the percentage;
//! - `business.screening`: the legal name against the organisations of the loaded sanctions lists
//!   (a hit → a reviewer; no lists → a reviewer, saying so);
//! - `business.informationVerification`: the operator's company registry for the country of
//!   incorporation (`companyRegistry` in the data sources file, the documented contract): a match
//!   passes, anything else goes to a reviewer; without one, `infoValidationSupported: false` with
//!   the reason instead of pretending;
//! - `business.criminalHistoryVerification`: no provider takes companies yet → a reviewer, saying so.
//!
//! Nothing here rejects a company by itself: every adverse finding is a reason for a person. The
//! engine runs on the blocking pool; nothing read is logged.

use crate::jobs::JobDeps;
use serde_json::{Value, json};
use smartenroll_documents::DocumentReader;
use smartenroll_documents::names;
use smartenroll_documents::screening::Query;
use smartenroll_domain::blob::BlobKey;
use smartenroll_domain::business::Company;
use smartenroll_domain::business::formats::{self, FormatCheck};
use smartenroll_domain::registration::Registration;
use smartenroll_domain::verification::{Check, Outcome};
use std::sync::Arc;

pub async fn run_company(deps: &JobDeps, ocr: &Arc<dyn DocumentReader>, reg: &Registration, check: &Check) -> Result<Outcome, String> {
    let Some(company) = &reg.company else {
        return Err("checks.run: a company check on a registration without a company".into());
    };
    let mut images = Vec::new();
    for path in &check.images {
        let key = BlobKey::new(&reg.client, path).ok_or("checks.run: a stored image path is not a blob key")?;
        let bytes = deps.blobs.get(&key).await.map_err(|e| format!("checks.run: {e}"))?.map(|b| b.bytes);
        match bytes.and_then(|b| crate::images::rgb_from_bytes(&b).ok()) {
            Some(i) => images.push(i),
            None => return Ok(Outcome::review("image_unreadable: a stored document image could not be read")),
        }
    }
    let ocr = ocr.clone();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for image in &images {
            lines.extend(ocr.read_text(image).map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(lines)
    })
    .await
    .map_err(|e| format!("checks.run: the document engine stopped: {e}"))?
    .map_err(|e| format!("checks.run: {e}"))?;

    let mut reasons = Vec::new();
    let mut detail = json!({
        "formats": formats_json(company, &mut reasons),
        "OCRExtraction": {"lines": lines.len()},
    });
    let name = names::company_name_in_text(&company.legal_name, &lines);
    if !name.name_found {
        reasons.push(format!(
            "company_name_not_found: the legal name was not read on the document (best match {:.1}%)",
            name.match_percentage
        ));
    }
    detail["nameConsistency"] = json!(name);
    let section = reg.flow_config.business.as_ref();
    if section.is_some_and(|b| b.screening) {
        screen_company(deps, company, &mut detail, &mut reasons).await;
    }
    if section.is_some_and(|b| b.information_verification) {
        verify_company(deps, company, check, &mut detail, &mut reasons).await;
    }
    if section.is_some_and(|b| b.criminal_history_verification) {
        detail["criminalHistory"] = json!({"status": "not_supported"});
        reasons.push("criminal_history_unavailable: no background-check provider for companies is available in this version".into());
    }
    Ok(if reasons.is_empty() { Outcome::Passed { detail } } else { Outcome::Inconclusive { reason: reasons.join("; "), detail } })
}

/// The operator's company registry for the country of incorporation (`companyRegistry` in the
/// data sources file): a match passes; a mismatch or an unknown company → a reviewer; no registry
/// configured → `infoValidationSupported: false` with the reason; the registry down → its
/// `onFailure` (a reviewer, or on with the failure written down).
async fn verify_company(deps: &JobDeps, company: &Company, check: &Check, detail: &mut Value, reasons: &mut Vec<String>) {
    use smartenroll_domain::sources::{CompanyLookup, OnFailure, SourceKind, SourceRequest};
    let kind = SourceKind::CompanyRegistry;
    let country = company.country_of_incorporation.alpha3();
    let Some((data, policy)) = deps.sources.data.as_ref().and_then(|d| Some((d, d.configured(kind, country)?))) else {
        detail["infoValidationSupported"] = json!(false);
        detail["infoValidationSupportedReason"] = json!(format!("no_source_configured: no company registry for {country}"));
        return;
    };
    let request = SourceRequest {
        request_id: check.id.clone(),
        country: country.to_string(),
        document_type: String::new(),
        document_number: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        date_of_birth: None,
        nationality: None,
        expiration_date: None,
        company: Some(CompanyLookup {
            legal_name: company.legal_name.clone(),
            registration_number: company.registration_number.clone(),
            tax_id: company.tax_id.clone(),
        }),
    };
    match data.query(kind, &request).await {
        Ok(answer) => {
            detail["infoValidationSupported"] = json!(true);
            detail["informationVerification"] =
                json!({"result": answer.result, "reference": answer.reference, "fields": answer.detail, "attempts": answer.attempts});
            if !answer.is_clean() {
                reasons.push(format!("company_registry_{}: the company registry does not confirm the company's data", answer.result));
            }
        }
        Err(e) => {
            detail["infoValidationSupported"] = json!(false);
            detail["infoValidationSupportedReason"] = json!(e.code());
            detail["informationVerification"] = json!({"status": "unavailable", "error": e.to_string(), "onFailure": policy});
            if policy == OnFailure::Closed {
                reasons.push(format!("company_registry_unavailable: {e}"));
            }
        }
    }
}

/// Both numbers against the country of incorporation's rules, for the record, with a reason for
/// each that breaks its rule.
fn formats_json(company: &Company, reasons: &mut Vec<String>) -> Value {
    let country = company.country_of_incorporation;
    let mut judge = |what: &str, f: FormatCheck| match f {
        FormatCheck::Valid { rule, .. } => json!({"status": "valid", "rule": rule}),
        FormatCheck::Invalid { rule, reason } => {
            reasons.push(format!("{what}_invalid: {reason} ({rule}, {})", country.alpha2()));
            json!({"status": "invalid", "rule": rule, "reason": reason})
        }
        FormatCheck::NoRule => json!({"status": "no_rule", "reason": format!("no published format rule for {} here", country.alpha2())}),
    };
    let registration = judge("registration_number", formats::registration_number(country, &company.registration_number));
    let tax = match &company.tax_id {
        Some(t) => judge("tax_id", formats::tax_id(country, t)),
        None => json!({"status": "not_given"}),
    };
    json!({"registrationNumber": registration, "taxId": tax})
}

async fn screen_company(deps: &JobDeps, company: &Company, detail: &mut Value, reasons: &mut Vec<String>) {
    let Some((loaded, threshold)) = crate::screening::lists_for_check(deps.sources.lists.as_ref(), detail, reasons).await else { return };
    let country = company.country_of_incorporation.alpha2().to_ascii_lowercase();
    let query = Query { name: &company.legal_name, birth_date: None, country: Some(&country), organization: true };
    let hits = loaded.screening.screen(&query, threshold);
    detail["screening"] = json!({
        "status": if hits.is_empty() { "clear" } else { "hits" },
        "lists": loaded.files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        "threshold": threshold,
        "hits": hits,
    });
    if !hits.is_empty() {
        let which: Vec<String> = hits.iter().take(3).map(|h| format!("{}:{} ({:.2})", h.list, h.entry_id, h.score)).collect();
        reasons.push(format!("screening_hit: the company matches {} listed organisation(s) ({})", hits.len(), which.join(", ")));
    }
}

//! List queries, parsed from the reference's query conventions: `page`, `limit` (1–100, default
//! 10), `like_<field>` (case-insensitive contains), `where_<field>` (exact), `in_<field>[]` (any of).

use crate::config::Target;
use crate::error::FieldError;
use crate::project::ProjectStatus;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectQuery {
    pub page: u32,
    pub limit: u32,
    /// Lower-cased substring of the name.
    pub name_contains: Option<String>,
    /// Any of these statuses; `None` = every status, `Some(empty)` = nothing matches.
    pub statuses: Option<Vec<ProjectStatus>>,
    pub target: Option<crate::config::Target>,
    /// `where_createdAt`: an ISO date or timestamp prefix (`2024-05-01`).
    pub created_prefix: Option<String>,
}

impl Default for ProjectQuery {
    fn default() -> Self {
        Self { page: 1, limit: DEFAULT_LIMIT, name_contains: None, statuses: None, target: None, created_prefix: None }
    }
}

impl ProjectQuery {
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }

    /// Reads decoded query pairs (repeated keys allowed). Unknown parameters are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Vec<FieldError>> {
        let mut q = ProjectQuery::default();
        let mut errors = Vec::new();
        let mut where_status = None;
        let mut in_status = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "page" => match v.trim().parse::<u32>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => q.page = n,
                    _ => errors.push(FieldError::new("page", "must be an integer of at least 1")),
                },
                "limit" | "perPage" => match v.trim().parse::<u32>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => q.limit = n,
                    _ => errors.push(FieldError::new(k.clone(), "limit must be between 1 and 100")),
                },
                "like_name" if !v.trim().is_empty() => q.name_contains = Some(v.trim().to_lowercase()),
                "where_status" | "status" => match ProjectStatus::parse(v) {
                    Some(s) => where_status = Some(s),
                    None => errors.push(FieldError::new(k.clone(), "must be one of draft|active|paused")),
                },
                "in_status[]" | "in_status" => {
                    for part in v.split(',').filter(|p| !p.trim().is_empty()) {
                        match ProjectStatus::parse(part) {
                            Some(s) => in_status.push(s),
                            None => errors.push(FieldError::new("in_status[]", "values must be draft, active or paused")),
                        }
                    }
                }
                "where_target" => match Target::parse(v.trim()) {
                    Some(t) => q.target = Some(t),
                    None => errors.push(FieldError::new("where_target", "must be one of personal|business")),
                },
                "where_createdAt" => {
                    let t = v.trim();
                    if t.len() >= 4 && t.bytes().all(|b| b.is_ascii_digit() || b"-:T.Z".contains(&b)) {
                        q.created_prefix = Some(t.to_string());
                    } else {
                        errors.push(FieldError::new("where_createdAt", "must be an ISO-8601 date such as 2024-05-01"));
                    }
                }
                _ => {}
            }
        }
        q.statuses = match where_status {
            // Both given: the exact match must also be among the listed ones.
            Some(s) if in_status.is_empty() || in_status.contains(&s) => Some(vec![s]),
            Some(_) => Some(vec![]),
            None if in_status.is_empty() => None,
            None => Some(in_status),
        };
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn an_empty_query_asks_for_the_first_ten() {
        assert_eq!(ProjectQuery::parse(&[]), Ok(ProjectQuery::default()));
    }

    #[test]
    fn limit_outside_one_to_one_hundred_is_rejected() {
        for bad in ["0", "101", "-1", "ten"] {
            let err = ProjectQuery::parse(&pairs(&[("limit", bad)])).unwrap_err();
            assert_eq!(err[0].field, "limit", "{bad}");
        }
        assert_eq!(ProjectQuery::parse(&pairs(&[("limit", "100")])).map(|q| q.limit), Ok(100));
    }

    #[test]
    fn repeated_in_status_values_are_all_kept() {
        let q = ProjectQuery::parse(&pairs(&[("in_status[]", "active"), ("in_status[]", "paused"), ("like_name", "Acme")])).unwrap();
        assert_eq!(q.statuses, Some(vec![ProjectStatus::Active, ProjectStatus::Paused]));
        assert_eq!(q.name_contains.as_deref(), Some("acme"));
    }

    #[test]
    fn where_status_outside_in_status_matches_nothing() {
        let q = ProjectQuery::parse(&pairs(&[("in_status[]", "active"), ("where_status", "draft")])).unwrap();
        assert_eq!(q.statuses, Some(vec![]));
    }

    #[test]
    fn an_unknown_status_or_target_is_a_field_error() {
        assert!(ProjectQuery::parse(&pairs(&[("where_status", "deleted")])).is_err());
        assert!(ProjectQuery::parse(&pairs(&[("where_target", "robots")])).is_err());
        assert!(ProjectQuery::parse(&pairs(&[("page", "0")])).is_err());
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        assert!(ProjectQuery::parse(&pairs(&[("populates[]", "client"), ("sort", "-createdAt")])).is_ok());
    }
}

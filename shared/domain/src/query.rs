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
    /// `cursor`: resume after this item (then `page` is ignored). For walking large lists without
    /// the cost of skipping `offset` items.
    pub after: Option<ListCursor>,
}

/// A position in the newest-first order: the creation time (ISO, as stored) and id of the last
/// item of a page. Handed to callers as opaque hex (`nextCursor`), given back as `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub created: String,
    pub id: String,
}

impl ListCursor {
    pub fn of(project: &crate::project::Project) -> Self {
        Self { created: project.created_at.to_iso(), id: project.id.to_string() }
    }

    pub fn encode(&self) -> String {
        hex::encode(format!("{}#{}", self.created, self.id))
    }

    /// `None` unless `s` is a cursor this server handed out (hex of a timestamp and an object id).
    pub fn decode(s: &str) -> Option<Self> {
        let text = String::from_utf8(hex::decode(s.trim()).ok()?).ok()?;
        let (created, id) = text.split_once('#')?;
        crate::clock::Timestamp::parse_iso(created)?;
        crate::ids::parse_object_id(id).ok()?;
        Some(Self { created: created.to_string(), id: id.to_string() })
    }
}

impl Default for ProjectQuery {
    fn default() -> Self {
        Self { page: 1, limit: DEFAULT_LIMIT, name_contains: None, statuses: None, target: None, created_prefix: None, after: None }
    }
}

impl ProjectQuery {
    /// How many matches come before the page; 0 when resuming from a cursor.
    pub fn offset(&self) -> u64 {
        if self.after.is_some() {
            return 0;
        }
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
                "page" | "limit" | "perPage" => page_or_limit(k, v, &mut q.page, &mut q.limit, &mut errors),
                "like_name" if !v.trim().is_empty() => q.name_contains = Some(v.trim().to_lowercase()),
                "where_status" | "status" => match ProjectStatus::parse(v) {
                    Some(s) => where_status = Some(s),
                    None => errors.push(FieldError::new(k.clone(), "must be one of draft|active|paused")),
                },
                "in_status[]" | "in_status" => {
                    for part in v.split(',').filter(|p| !p.trim().is_empty()) {
                        match ProjectStatus::parse(part) {
                            // Repeats count once (a backend summing per-status counts must not double them).
                            Some(s) if !in_status.contains(&s) => in_status.push(s),
                            Some(_) => {}
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
                "cursor" if !v.trim().is_empty() => match ListCursor::decode(v) {
                    Some(c) => q.after = Some(c),
                    None => errors.push(FieldError::new("cursor", "must be a nextCursor value from an earlier page")),
                },
                _ => {}
            }
        }
        q.statuses = statuses(where_status, in_status);
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }
}

/// `GET /v2/app-registrations`: `page`, `limit`/`perPage`, `where_status`, `in_status[]`,
/// `where_project`, `where_projectFlow`. Newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationQuery {
    pub page: u32,
    pub limit: u32,
    /// Any of these statuses; `None` = every status, `Some(empty)` = nothing matches.
    pub statuses: Option<Vec<crate::registration::RegistrationStatus>>,
    pub project: Option<crate::ids::ProjectId>,
    pub flow: Option<crate::ids::FlowId>,
}

impl Default for RegistrationQuery {
    fn default() -> Self {
        Self { page: 1, limit: DEFAULT_LIMIT, statuses: None, project: None, flow: None }
    }
}

impl RegistrationQuery {
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }

    /// Reads decoded query pairs (repeated keys allowed). Unknown parameters are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Vec<FieldError>> {
        use crate::registration::RegistrationStatus;
        let mut q = Self::default();
        let mut errors = Vec::new();
        let mut where_status = None;
        let mut in_status = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "page" | "limit" | "perPage" => page_or_limit(k, v, &mut q.page, &mut q.limit, &mut errors),
                "where_status" | "status" => match RegistrationStatus::parse(v) {
                    Some(s) => where_status = Some(s),
                    None => errors.push(FieldError::new(k.clone(), "must be a registration status such as STARTED or COMPLETED")),
                },
                "in_status[]" | "in_status" => {
                    for part in v.split(',').filter(|p| !p.trim().is_empty()) {
                        match RegistrationStatus::parse(part) {
                            Some(s) if !in_status.contains(&s) => in_status.push(s),
                            Some(_) => {}
                            None => errors.push(FieldError::new("in_status[]", "values must be registration statuses")),
                        }
                    }
                }
                "where_project" | "project" => match crate::ids::ProjectId::parse(v.trim()) {
                    Ok(id) => q.project = Some(id),
                    Err(_) => errors.push(FieldError::new(k.clone(), "must be a 24-character hexadecimal id")),
                },
                "where_projectFlow" | "projectFlow" => match crate::ids::FlowId::parse(v.trim()) {
                    Ok(id) => q.flow = Some(id),
                    Err(_) => errors.push(FieldError::new(k.clone(), "must be a 24-character hexadecimal id")),
                },
                _ => {}
            }
        }
        q.statuses = statuses(where_status, in_status);
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }

    /// Whether `r` matches the filters (backends that filter in code use this one rule).
    pub fn matches(&self, r: &crate::registration::Registration) -> bool {
        self.statuses.as_ref().is_none_or(|s| s.contains(&r.status))
            && self.project.as_ref().is_none_or(|p| p == &r.project)
            && self.flow.as_ref().is_none_or(|f| f == &r.flow)
    }
}

/// `GET /v2/project-flows` (reference 5.1): `page`, `limit`, `project`, `type`, `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowQuery {
    pub page: u32,
    pub limit: u32,
    pub project: Option<crate::ids::ProjectId>,
    pub flow_type: Option<crate::config::FlowType>,
    pub status: Option<ProjectStatus>,
}

impl FlowQuery {
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }

    /// Reads decoded query pairs. Unknown parameters (`populates[]`) are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Vec<FieldError>> {
        let mut q = Self { page: 1, limit: DEFAULT_LIMIT, project: None, flow_type: None, status: None };
        let mut errors = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "page" | "limit" | "perPage" => page_or_limit(k, v, &mut q.page, &mut q.limit, &mut errors),
                "project" | "where_project" => match crate::ids::ProjectId::parse(v.trim()) {
                    Ok(id) => q.project = Some(id),
                    Err(_) => errors.push(FieldError::new(k.clone(), "must be a 24-character hexadecimal id")),
                },
                "type" | "where_type" => match crate::config::FlowType::parse(v.trim()) {
                    Some(t) => q.flow_type = Some(t),
                    None => errors.push(FieldError::new(k.clone(), "must be onboarding or login")),
                },
                "status" | "where_status" => match ProjectStatus::parse(v) {
                    Some(st) => q.status = Some(st),
                    None => errors.push(FieldError::new(k.clone(), "must be one of draft|active|paused")),
                },
                _ => {}
            }
        }
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }
}

/// `page` (1–1 000 000) and `limit`/`perPage` (1–100), shared by every list.
fn page_or_limit(key: &str, value: &str, page: &mut u32, limit: &mut u32, errors: &mut Vec<FieldError>) {
    let n = value.trim().parse::<u32>();
    match (key, n) {
        ("page", Ok(n)) if (1..=1_000_000).contains(&n) => *page = n,
        ("page", _) => errors.push(FieldError::new("page", "must be an integer of at least 1")),
        (_, Ok(n)) if (1..=MAX_LIMIT).contains(&n) => *limit = n,
        _ => errors.push(FieldError::new(key, "limit must be between 1 and 100")),
    }
}

/// `where_status` and `in_status[]` together: `None` = any status, `Some(empty)` = nothing
/// matches (both given and the exact one is not among the listed ones).
fn statuses<S: PartialEq>(where_status: Option<S>, in_status: Vec<S>) -> Option<Vec<S>> {
    match where_status {
        Some(s) if in_status.is_empty() || in_status.contains(&s) => Some(vec![s]),
        Some(_) => Some(vec![]),
        None if in_status.is_empty() => None,
        None => Some(in_status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_refused() {
        let c = ListCursor { created: "2024-05-01T10:00:00.000Z".into(), id: "65f1c2a9e4b0a1b2c3d4e5f6".into() };
        let q = ProjectQuery::parse(&pairs(&[("cursor", &c.encode()), ("page", "4")])).unwrap();
        assert_eq!((q.offset(), q.after), (0, Some(c)), "a cursor replaces the page offset");
        for bad in ["zz", "", "6869", &hex::encode("2024-05-01T10:00:00.000Z#nothex"), &hex::encode("yesterday#65f1c2a9e4b0a1b2c3d4e5f6")] {
            let parsed = ProjectQuery::parse(&pairs(&[("cursor", bad)]));
            assert!(bad.is_empty() || parsed.is_err(), "{bad:?} must be refused");
        }
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
    fn a_status_listed_twice_counts_once() {
        let q = ProjectQuery::parse(&pairs(&[("in_status[]", "draft"), ("in_status[]", "draft,paused")])).unwrap();
        assert_eq!(q.statuses, Some(vec![ProjectStatus::Draft, ProjectStatus::Paused]));
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
    fn registration_lists_read_status_project_and_flow_filters() {
        use crate::registration::RegistrationStatus;
        let q = RegistrationQuery::parse(&pairs(&[
            ("in_status[]", "completed,FAILED"),
            ("where_project", "65f1c2a9e4b0a1b2c3d4e5f6"),
            ("perPage", "20"),
        ]))
        .unwrap();
        assert_eq!(q.statuses, Some(vec![RegistrationStatus::Completed, RegistrationStatus::Failed]));
        assert_eq!((q.limit, q.project.map(String::from)), (20, Some("65f1c2a9e4b0a1b2c3d4e5f6".to_string())));
        assert!(RegistrationQuery::parse(&pairs(&[("where_status", "draft")])).is_err());
        assert!(RegistrationQuery::parse(&pairs(&[("where_projectFlow", "x")])).is_err());
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        assert!(ProjectQuery::parse(&pairs(&[("populates[]", "client"), ("sort", "-createdAt")])).is_ok());
    }
}

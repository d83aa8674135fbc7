//! The sanctions and PEP lists a worker screens document holders against, kept current: at most
//! once per refresh interval the list files' versions are read (a folder listing, or one S3 list
//! call); when any changed, every file is loaded again on the blocking pool and the new lists
//! replace the old in one swap. A file that fails to load keeps the previous lists in service
//! (and says which file, in the log and in the answer's `errors`) rather than screening against
//! less than before; with no lists ever loaded, screening is refused, never passed.

use smartenroll_documents::screening::{Screening, load_list};
use smartenroll_domain::ports::ListFiles;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the files' versions are looked at (5 minutes in the servers).
pub const REFRESH_EVERY: Duration = Duration::from_secs(300);

/// Lists as loaded, and from which file versions.
#[derive(Clone)]
pub struct Loaded {
    pub screening: Arc<Screening>,
    /// The files they came from, with their versions.
    pub files: Vec<(String, String)>,
}

/// The lists a check screens against, or `None` with the reason written into the check's
/// `detail.screening` and `reasons` (not configured, nothing loaded, unreadable): no lists is never
/// a clean result.
pub async fn lists_for_check(
    lists: Option<&Arc<ScreeningLists>>,
    detail: &mut serde_json::Value,
    reasons: &mut Vec<String>,
) -> Option<(Loaded, f64)> {
    use serde_json::json;
    let Some(lists) = lists else {
        detail["screening"] = json!({"status": "not_configured"});
        reasons.push("screening_unavailable: no sanctions or PEP lists are configured in this deployment".into());
        return None;
    };
    match lists.current().await {
        Ok(l) if !l.screening.is_empty() => Some((l, lists.threshold())),
        Ok(_) => {
            detail["screening"] = json!({"status": "no_lists"});
            reasons.push("screening_unavailable: no sanctions or PEP list is loaded".into());
            None
        }
        Err(e) => {
            detail["screening"] = json!({"status": "unavailable"});
            reasons.push(format!("screening_unavailable: {e}"));
            None
        }
    }
}

struct State {
    loaded: Option<Loaded>,
    /// The versions last looked at (equal to `loaded.files` unless a load failed).
    seen: Vec<(String, String)>,
    checked: Option<Instant>,
}

pub struct ScreeningLists {
    files: Arc<dyn ListFiles>,
    every: Duration,
    threshold: f64,
    state: tokio::sync::Mutex<State>,
}

impl ScreeningLists {
    /// Lists from `files`, looked at again every `every`, hits from `threshold` (0–1;
    /// [`smartenroll_documents::screening::DEFAULT_THRESHOLD`] unless tuned).
    pub fn new(files: Arc<dyn ListFiles>, every: Duration, threshold: f64) -> Self {
        Self { files, every, threshold, state: tokio::sync::Mutex::new(State { loaded: None, seen: Vec::new(), checked: None }) }
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The lists in service, refreshed first if the interval has passed and a file changed.
    /// `Err` only when no lists could ever be loaded.
    pub async fn current(&self) -> Result<Loaded, String> {
        let mut state = self.state.lock().await;
        if state.checked.is_some_and(|t| t.elapsed() < self.every) {
            return state.loaded.clone().ok_or_else(|| "the screening lists could not be loaded".to_string());
        }
        state.checked = Some(Instant::now());
        let versions = match self.files.versions().await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "screening list files could not be listed; the lists in service stay");
                return state.loaded.clone().ok_or_else(|| format!("the screening list files could not be listed: {e}"));
            }
        };
        if state.loaded.is_some() && versions == state.seen {
            return state.loaded.clone().ok_or_else(|| "unreachable".to_string());
        }
        state.seen = versions.clone();
        let mut contents = Vec::new();
        for (name, _) in &versions {
            match self.files.read(name).await {
                Ok(bytes) => contents.push((name.clone(), bytes)),
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "a screening list file could not be read; the lists in service stay");
                    return state.loaded.clone().ok_or_else(|| format!("screening list {name} could not be read"));
                }
            }
        }
        let built = tokio::task::spawn_blocking(move || {
            let mut entries = Vec::new();
            for (name, bytes) in contents {
                entries.extend(load_list(&name, &bytes)?);
            }
            Ok::<_, String>(Screening::new(entries))
        })
        .await
        .map_err(|e| format!("screening lists: {e}"))?;
        match built {
            Ok(screening) => {
                tracing::info!(files = versions.len(), entries = screening.len(), "screening lists loaded");
                let loaded = Loaded { screening: Arc::new(screening), files: versions };
                state.loaded = Some(loaded.clone());
                Ok(loaded)
            }
            Err(e) => {
                // The loader's messages name the file and the format, never a listed name.
                tracing::warn!(error = %e, "a screening list file could not be loaded; the lists in service stay");
                state.loaded.clone().ok_or(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smartenroll_documents::screening::Query;
    use smartenroll_domain::error::StoreError;
    use std::sync::Mutex;

    /// List files held in memory: name → (version, bytes).
    #[derive(Default)]
    struct Files(Mutex<Vec<(String, String, Vec<u8>)>>);

    impl Files {
        fn put(&self, name: &str, version: &str, text: &str) {
            let mut files = self.0.lock().expect("lock");
            files.retain(|(n, ..)| n != name);
            files.push((name.into(), version.into(), text.as_bytes().to_vec()));
        }
    }

    #[async_trait::async_trait]
    impl ListFiles for Files {
        async fn versions(&self) -> Result<Vec<(String, String)>, StoreError> {
            Ok(self.0.lock().expect("lock").iter().map(|(n, v, _)| (n.clone(), v.clone())).collect())
        }
        async fn read(&self, name: &str) -> Result<Vec<u8>, StoreError> {
            self.0.lock().expect("lock").iter().find(|(n, ..)| n == name).map(|(.., b)| b.clone()).ok_or(StoreError::Backend("gone".into()))
        }
    }

    const HEADER: &str = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset,first_seen,last_seen,last_change\n";

    fn hits(loaded: &Loaded, name: &str) -> usize {
        loaded.screening.screen(&Query { name, ..Default::default() }, 0.88).len()
    }

    #[tokio::test]
    async fn a_replaced_list_file_is_loaded_at_the_next_refresh_and_a_broken_one_keeps_the_lists_in_service() {
        let files = Arc::new(Files::default());
        let lists = ScreeningLists::new(files.clone(), Duration::ZERO, 0.88);
        assert!(lists.current().await.expect("no files is no lists").screening.is_empty());

        files.put("list.csv", "v1", &format!("{HEADER}a-1,Person,Oswaldo Peralta Ruiz,,,,,,,,,test,,,\n"));
        let first = lists.current().await.expect("loaded");
        assert_eq!((first.screening.len(), hits(&first, "Oswaldo Peralta Ruiz")), (1, 1));

        files.put("list.csv", "v2", &format!("{HEADER}a-2,Person,Beatriz Salcedo Luna,,,,,,,,,test,,,\n"));
        let second = lists.current().await.expect("reloaded");
        assert_eq!((hits(&second, "Oswaldo Peralta Ruiz"), hits(&second, "Beatriz Salcedo Luna")), (0, 1), "the new file replaced the old");

        files.put("list.csv", "v3", "id,schema,name\n\"unclosed");
        files.put("other.xml", "v1", "<CONSOLIDATED_LIST><INDIVIDUALS>");
        let kept = lists.current().await.expect("the previous lists stay in service");
        assert_eq!(hits(&kept, "Beatriz Salcedo Luna"), 1);

        let never = ScreeningLists::new(files, Duration::ZERO, 0.88);
        assert!(never.current().await.is_err(), "with nothing ever loaded, screening is refused");
    }

    #[tokio::test]
    async fn files_are_not_looked_at_again_before_the_interval() {
        let files = Arc::new(Files::default());
        files.put("list.csv", "v1", &format!("{HEADER}a-1,Person,Oswaldo Peralta Ruiz,,,,,,,,,test,,,\n"));
        let lists = ScreeningLists::new(files.clone(), Duration::from_secs(3600), 0.88);
        assert_eq!(lists.current().await.expect("loaded").screening.len(), 1);
        files.put("list.csv", "v2", &format!("{HEADER}a-2,Person,Beatriz Salcedo Luna,,,,,,,,,test,,,\n"));
        let same = lists.current().await.expect("loaded");
        assert_eq!(hits(&same, "Oswaldo Peralta Ruiz"), 1, "within the hour the lists in service answer");
    }
}

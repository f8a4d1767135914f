//! `--expand-short-links` and `--link-cache FILE`: where each short link of a program goes
//! (amzn.to, a.co, ...), asked online without following the redirect, or read from a cache
//! file that a team commits so CI stays offline and deterministic. The engine asks through
//! the resolver [`Expander::resolve`] gives it; only the short-link hosts are asked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use affilint::ShortTarget;
use serde::{Deserialize, Serialize};
use ureq::Agent;
use ureq::http::header;
use url::Url;

use super::client::{self, ConnectTo, Pace};
use crate::cli::write;

/// The cache file's format version.
const VERSION: u32 = 1;
/// Network failures in a row after which a short-link host is not asked again in the run.
const GIVE_UP: u32 = 3;
/// How long an answer holds before an online run asks again.
const DEFAULT_TTL_DAYS: u64 = 30;
/// The least time between two questions to one short-link host.
const PACE: Duration = Duration::from_millis(200);

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    affilint_link_cache: u32,
    /// Days an answer holds for an online run (offline runs read every answer).
    ttl_days: u64,
    links: BTreeMap<String, Answer>,
}

/// What a short link answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Answer {
    /// The HTTP status.
    status: u16,
    /// Where it redirects, for a redirect.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    target: Option<String>,
    /// When it answered (seconds since 1970).
    checked: u64,
}

impl Answer {
    fn target(&self) -> Option<ShortTarget> {
        match (self.status, &self.target) {
            (404 | 410, _) => Some(ShortTarget::Gone),
            // Only a web address is a target, whatever a cache file says.
            (_, Some(target)) => Url::parse(target)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| ShortTarget::Url(u.into())),
            _ => None,
        }
    }
}

/// A short link as the cache knows it: absolute, its host lowercase, no fragment
/// (`//amzn.to/x#a` and `https://AMZN.TO/x` are `https://amzn.to/x`).
fn key(url: &str) -> String {
    let absolute = if url.starts_with("//") {
        format!("https:{url}")
    } else {
        url.to_owned()
    };
    match Url::parse(&absolute) {
        Ok(mut parsed) => {
            parsed.set_fragment(None);
            parsed.into()
        }
        Err(_) => url.to_owned(),
    }
}

/// The answers known, and how to get new ones.
pub(crate) struct Expander {
    path: Option<PathBuf>,
    ttl: Duration,
    links: Mutex<BTreeMap<String, Answer>>,
    changed: Mutex<bool>,
    /// `None` offline: only the cache is read.
    agent: Option<Agent>,
    pace: Pace,
    /// A lock per link being asked about.
    asking: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// The links that gave no answer this run (a timeout, a 5xx, a 200 page), with why:
    /// not asked again on the next page that has them.
    unanswered: Mutex<BTreeMap<String, String>>,
    /// Per short-link host, the network failures in a row; past [`GIVE_UP`], why the host
    /// is not asked any more this run.
    failing: Mutex<HashMap<String, (u32, Option<String>)>>,
    /// Offline: the links the cache does not know, and how many answers it gave that an
    /// online run would ask again.
    offline: Mutex<(BTreeSet<String>, BTreeSet<String>)>,
}

/// What asking a short link gave.
enum Reply {
    Answer(Answer),
    /// It was asked, and said nothing of where it goes: why.
    Silent(String),
    /// It was not asked (its host is not answering this run, or it is no URL).
    NotAsked,
}

impl Expander {
    /// Reads the cache at `path` (a missing file is an empty cache); `online` asks the
    /// short-link hosts what the cache does not know, or knows from too long ago.
    pub(crate) fn open(
        path: Option<&Path>,
        online: bool,
        connect_to: &[ConnectTo],
    ) -> Result<Expander, String> {
        let mut ttl_days = DEFAULT_TTL_DAYS;
        let mut links = BTreeMap::new();
        if let Some(path) = path {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let file = read_cache(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                    ttl_days = file.ttl_days;
                    links = file.links;
                }
                // Online, a new cache starts; offline, a missing one is a mistake to say.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && online => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(format!(
                        "--link-cache {}: no such file; make it with --expand-short-links",
                        path.display()
                    ));
                }
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            }
        }
        let agent = online
            .then(|| client::agent(Duration::from_secs(10), Duration::from_secs(15), connect_to));
        Ok(Expander {
            path: path.map(Path::to_path_buf),
            ttl: Duration::from_secs(ttl_days.saturating_mul(86_400)),
            links: Mutex::new(links),
            agent,
            pace: Pace::default(),
            asking: Mutex::new(HashMap::new()),
            unanswered: Mutex::new(BTreeMap::new()),
            failing: Mutex::new(HashMap::new()),
            offline: Mutex::new((BTreeSet::new(), BTreeSet::new())),
            // Online, the file is written even when nothing answers: an offline run reads it.
            changed: Mutex::new(online && path.is_some_and(|p| !p.exists())),
        })
    }

    /// Where the short link `url` goes, when the cache or the link itself can tell.
    pub(crate) fn resolve(&self, url: &str) -> Option<ShortTarget> {
        let url = &key(url);
        // One question per link at a time: a link on every page is asked once.
        let turn = self
            .asking
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(url.clone())
            .or_default()
            .clone();
        let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        let now = now();
        let known = self
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(url)
            .cloned();
        let fresh = |a: &Answer| now.saturating_sub(a.checked) < self.ttl.as_secs();
        let unanswered = || {
            self.unanswered
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(url)
        };
        let offline = || self.offline.lock().unwrap_or_else(|p| p.into_inner());
        match (known, &self.agent) {
            (Some(answer), None) => {
                if !fresh(&answer) {
                    offline().1.insert(url.to_owned());
                }
                answer.target()
            }
            (Some(answer), Some(_)) if fresh(&answer) => answer.target(),
            (known, Some(_)) if unanswered() => known.and_then(|a| a.target()),
            (known, Some(agent)) => match self.ask(agent, url) {
                Reply::Answer(answer) => {
                    let target = answer.target();
                    self.links
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(url.to_owned(), answer);
                    *self.changed.lock().unwrap_or_else(|p| p.into_inner()) = true;
                    target
                }
                // No answer now: the old one, if any, still says more than nothing.
                Reply::Silent(why) => {
                    self.unanswered
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(url.to_owned(), why);
                    known.and_then(|a| a.target())
                }
                Reply::NotAsked => known.and_then(|a| a.target()),
            },
            (None, None) => {
                offline().0.insert(url.to_owned());
                None
            }
        }
    }

    /// Asks `url` where it goes, without following it.
    fn ask(&self, agent: &Agent, url: &str) -> Reply {
        let Some((parsed, host)) = Url::parse(url)
            .ok()
            .and_then(|u| Some((u.clone(), u.host_str()?.to_owned())))
        else {
            return Reply::NotAsked;
        };
        let failing = || self.failing.lock().unwrap_or_else(|p| p.into_inner());
        if failing().get(&host).is_some_and(|(_, gone)| gone.is_some()) {
            return Reply::NotAsked;
        }
        self.pace.wait(&host, PACE);
        let response = match agent.get(parsed.as_str()).call() {
            Ok(response) => {
                failing().remove(&host);
                response
            }
            Err(e) => {
                let why = e.to_string();
                let mut failing = failing();
                let (count, gone) = failing.entry(host).or_default();
                *count += 1;
                if *count >= GIVE_UP {
                    *gone = Some(why.clone());
                }
                return Reply::Silent(why);
            }
        };
        let status = response.status().as_u16();
        let target = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| parsed.join(l).ok())
            .map(String::from);
        match status {
            300..=399 if target.is_some() => {}
            404 | 410 => {}
            // Anything else (a 200 page, a 5xx) says nothing about where it goes.
            _ => return Reply::Silent(format!("HTTP {status}, no redirect")),
        }
        Reply::Answer(Answer {
            status,
            target,
            checked: now(),
        })
    }

    /// What there is to say once the run is over: the hosts given up on, the links that
    /// gave no answer.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        let mut gone: Vec<(&String, &String)> = failing
            .iter()
            .filter_map(|(host, (_, gone))| Some((host, gone.as_ref()?)))
            .collect();
        gone.sort();
        for (host, why) in gone {
            notes.push(format!(
                "--expand-short-links: {host} could not be reached ({why}); its other short \
                 links were not asked this run"
            ));
        }
        let (missing, stale) = &*self.offline.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(first) = missing.first() {
            notes.push(format!(
                "--link-cache: {} short link(s) not in the cache (the first: {first}): judged \
                 as short links; `--expand-short-links` asks them and adds them",
                missing.len()
            ));
        }
        if !stale.is_empty() {
            notes.push(format!(
                "--link-cache: {} answer(s) older than the cache's ttl_days ({}) were used as \
                 they are; `--expand-short-links` asks those links again",
                stale.len(),
                self.ttl.as_secs() / 86_400
            ));
        }
        let unanswered = self.unanswered.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((first, why)) = unanswered.first_key_value() {
            let others = match unanswered.len() - 1 {
                0 => String::new(),
                n => format!(" and {n} other(s)"),
            };
            notes.push(format!(
                "--expand-short-links: {first} ({why}){others} gave no answer: judged by the \
                 cache's answer when it has one, else as short links; run again later"
            ));
        }
        notes
    }

    /// Writes the cache back (atomically) when it learnt something; answers another run
    /// wrote to the file meanwhile are kept (the newer answer of a link wins).
    pub(crate) fn save(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !*self.changed.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(());
        }
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner()).clone();
        // Best effort: a run that writes between this read and the rename below loses.
        let on_disk = match std::fs::read_to_string(path) {
            Ok(text) => Some(read_cache(&text).map_err(|e| {
                format!(
                    "{}: {e}; it changed during the run, and was not overwritten",
                    path.display()
                )
            })?),
            Err(_) => None,
        };
        for (url, answer) in on_disk.map(|f| f.links).unwrap_or_default() {
            match links.get(&url) {
                Some(ours) if ours.checked >= answer.checked => {}
                _ => {
                    links.insert(url, answer);
                }
            }
        }
        let file = CacheFile {
            affilint_link_cache: VERSION,
            ttl_days: self.ttl.as_secs() / 86_400,
            links,
        };
        write::json_file(path, &file).map_err(|e| format!("cannot write the link cache {e}"))
    }
}

/// A cache file's text, its version read first.
fn read_cache(text: &str) -> Result<CacheFile, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not a link cache ({e}); fix it (a merge conflict?) or remove it"))?;
    match value
        .get("affilint_link_cache")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(format!(
                "a link cache of version {v}; this affilint reads version {VERSION}"
            ));
        }
        None => return Err("not a link cache affilint wrote (no `affilint_link_cache`)".into()),
    }
    serde_json::from_value(value)
        .map_err(|e| format!("not a link cache affilint wrote ({e}); fix it or remove it"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_cached_by_one_spelling_and_only_web_targets_count() {
        assert_eq!(key("//AMZN.to/x#frag"), "https://amzn.to/x");
        assert_eq!(key("https://amzn.to/x"), "https://amzn.to/x");
        let answer = |target: &str| Answer {
            status: 301,
            target: Some(target.to_owned()),
            checked: 0,
        };
        assert_eq!(
            answer("https://www.amazon.com/dp/B0?tag=a-20").target(),
            Some(ShortTarget::Url(
                "https://www.amazon.com/dp/B0?tag=a-20".into()
            ))
        );
        assert_eq!(answer("javascript:alert(1)").target(), None);
        assert_eq!(answer("not a url").target(), None);
    }

    #[test]
    fn a_cache_file_of_another_version_or_shape_says_so() {
        assert!(
            read_cache("{\"affilint_link_cache\": 2, \"x\": []}")
                .unwrap_err()
                .contains("version 2")
        );
        assert!(
            read_cache("<<<<<<< HEAD")
                .unwrap_err()
                .contains("merge conflict")
        );
        assert!(
            read_cache("{}")
                .unwrap_err()
                .contains("no `affilint_link_cache`")
        );
        let file =
            read_cache("{\"affilint_link_cache\": 1, \"ttl_days\": 7, \"links\": {}}").unwrap();
        assert_eq!(file.ttl_days, 7);
    }
}

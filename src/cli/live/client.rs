//! The HTTP client of a live check: one agent for the run, talking only to the site being
//! checked, at a polite pace. Redirects are followed by hand, inside the site only; 429 and
//! 503 are retried after their `Retry-After`, other server errors after a backoff; a body is
//! streamed, capped (after decompression: a gzip bomb stops at the cap), and only HTML is
//! handed to the engine.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::http::{StatusCode, Uri, header};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use url::{Origin, Url};

pub(crate) use crate::cli::args::ConnectTo;

/// Who affilint is, to the sites it reads.
pub(crate) const USER_AGENT: &str = concat!(
    "affilint/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// How many redirects a request follows before it is given up as a loop.
const MAX_REDIRECTS: usize = 10;
/// The longest `Retry-After` waited for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How politely the site is read.
#[derive(Debug, Clone)]
pub(crate) struct Politeness {
    /// Requests at most this many a second to the site.
    pub(crate) rate: Option<f64>,
    pub(crate) connect_timeout: Duration,
    /// For a whole request, body included.
    pub(crate) timeout: Duration,
    /// Retries of a request that met a server error or 429.
    pub(crate) retries: u32,
    /// Bytes read of a body at most (decompressed).
    pub(crate) max_bytes: u64,
    /// `--connect-to HOST:PORT:HOST2:PORT2`: who answers for a host.
    pub(crate) connect_to: Vec<ConnectTo>,
}

/// Resolves hosts as the system does, but for the `--connect-to` ones.
#[derive(Debug)]
struct ConnectToResolver {
    map: Vec<ConnectTo>,
}

impl Resolver for ConnectToResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let https = uri.scheme_str() == Some("https");
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let target = self.map.iter().find(|m| m.host == host && m.port == port);
        match target {
            Some(m) => {
                let to: Uri = format!("http://{}:{}/", m.to_host, m.to_port)
                    .parse()
                    .map_err(|_| ureq::Error::HostNotFound)?;
                DefaultResolver::default().resolve(&to, config, timeout)
            }
            None => DefaultResolver::default().resolve(uri, config, timeout),
        }
    }
}

/// An agent as affilint asks: its User-Agent, no redirect followed, no proxy (straight to
/// the host, which `--connect-to` may send elsewhere), statuses as answers.
pub(crate) fn agent(connect: Duration, total: Duration, connect_to: &[ConnectTo]) -> Agent {
    let config = Agent::config_builder()
        .user_agent(USER_AGENT)
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_connect(Some(connect))
        .timeout_global(Some(total))
        .build();
    let resolver = ConnectToResolver {
        map: connect_to.to_vec(),
    };
    Agent::with_parts(config, DefaultConnector::default(), resolver)
}

/// When each host may next be asked: requests to a host take turns, `interval` apart.
#[derive(Default)]
pub(crate) struct Pace(Mutex<HashMap<String, Instant>>);

impl Pace {
    /// Waits for `host`'s turn, and keeps the next one `interval` after it.
    pub(crate) fn wait(&self, host: &str, interval: Duration) {
        let slot = {
            let mut next = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next.get(host).copied().unwrap_or(now).max(now);
            next.insert(host.to_owned(), slot + interval);
            slot
        };
        std::thread::sleep(slot.saturating_duration_since(Instant::now()));
    }

    /// Holds every turn of `host` back until `until`.
    fn hold(&self, host: &str, until: Instant) {
        let mut next = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let slot = next.entry(host.to_owned()).or_insert(until);
        *slot = (*slot).max(until);
    }
}

/// A body, streamed.
pub(crate) type Body = Box<dyn Read + Send>;

/// Why a request gave nothing to check.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("HTTP {status}{retried}")]
    Status { status: u16, retried: String },
    #[error("redirected off the site, to {0}: not followed")]
    OffSite(String),
    #[error("redirected to {0}, which robots.txt disallows: not followed")]
    Disallowed(String),
    /// A redirect inside the site, not followed ([`Redirects::Stop`]).
    #[error("redirects to {0}")]
    Redirect(Url),
    #[error("redirects in a loop, or more than {MAX_REDIRECTS} times: not followed")]
    RedirectLoop,
    #[error("a redirect without a usable Location")]
    BadRedirect,
    #[error("not HTML (Content-Type: {0}): not checked")]
    NotHtml(String),
    #[error("sent with Content-Encoding {0}, which affilint does not read (gzip and br it does)")]
    Encoding(String),
    #[error("{0}")]
    Transport(String),
}

/// What a request does with a redirect inside the site.
#[derive(Clone, Copy)]
pub(crate) enum Redirects<'a> {
    /// Follows it, to a URL this says may be asked (robots.txt).
    Follow(&'a dyn Fn(&Url) -> bool),
    /// Stops there: the error says where it goes (a crawl takes that for a link).
    Stop,
}

/// The run's HTTP client.
pub(crate) struct Client {
    agent: Agent,
    politeness: Politeness,
    /// The sites this run may talk to: the URLs given on the command line, and where they
    /// redirect to on the same site (`http` to `https`, the bare host to `www.`).
    sites: RwLock<HashSet<Origin>>,
    /// When each host may next be asked (`--rate`, robots.txt's Crawl-delay).
    pace: Pace,
    /// The least time between two requests to a host; robots.txt may raise it.
    interval: Mutex<HashMap<String, Duration>>,
}

impl Client {
    pub(crate) fn new(politeness: Politeness, sites: HashSet<Origin>) -> Client {
        let agent = agent(
            politeness.connect_timeout,
            politeness.timeout,
            &politeness.connect_to,
        );
        Client {
            agent,
            politeness,
            sites: RwLock::new(sites),
            pace: Pace::default(),
            interval: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `url` belongs to a site being checked.
    pub(crate) fn on_site(&self, url: &Url) -> bool {
        self.sites
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&url.origin())
    }

    /// Holds every request to `url`'s host back until `until` (a 429's `Retry-After`).
    fn hold(&self, url: &Url, until: Instant) {
        self.pace.hold(url.host_str().unwrap_or_default(), until);
    }

    /// Asks for at least `delay` between two requests to `url`'s host (robots.txt).
    pub(crate) fn slow_down(&self, url: &Url, delay: Duration) {
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut intervals = self.interval.lock().unwrap_or_else(|p| p.into_inner());
        let interval = intervals.entry(host).or_default();
        *interval = (*interval).max(delay);
    }

    /// `to`'s host (a site adopted by a redirect) is asked no faster than `from`'s.
    fn inherit_pace(&self, from: &Url, to: &Url) {
        let mut intervals = self.interval.lock().unwrap_or_else(|p| p.into_inner());
        let Some(delay) = intervals.get(from.host_str().unwrap_or_default()).copied() else {
            return;
        };
        let interval = intervals
            .entry(to.host_str().unwrap_or_default().to_owned())
            .or_default();
        *interval = (*interval).max(delay);
    }

    /// Waits for `url`'s host's turn.
    fn wait_turn(&self, url: &Url) {
        let host = url.host_str().unwrap_or_default().to_owned();
        let rate = self
            .politeness
            .rate
            .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok())
            .unwrap_or_default();
        let robots = self
            .interval
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&host)
            .copied()
            .unwrap_or_default();
        self.pace.wait(&host, rate.max(robots));
    }

    /// Reads `url`, following redirects inside the site; `html` asks for an HTML body (any
    /// other is refused unread).
    pub(crate) fn get(&self, url: &Url, html: bool) -> Result<Body, FetchError> {
        self.fetch(url, html, Redirects::Follow(&|_| true))
            .map(|(_, body)| body)
    }

    /// As [`Client::get`], with what to do with a redirect inside the site, and the URL the
    /// body came from once redirects are followed.
    pub(crate) fn fetch(
        &self,
        url: &Url,
        html: bool,
        redirects: Redirects<'_>,
    ) -> Result<(Url, Body), FetchError> {
        if !self.on_site(url) {
            return Err(FetchError::OffSite(url.to_string()));
        }
        let mut url = url.clone();
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(url.clone()) || seen.len() > MAX_REDIRECTS {
                return Err(FetchError::RedirectLoop);
            }
            let response = self.get_once(&url)?;
            let status = response.status();
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or(FetchError::BadRedirect)?;
                if !self.on_site(&next) {
                    // `http` to `https`, the bare host to `www.`: the same site, where it
                    // really is; anything else is another site.
                    if !same_site(&url, &next) {
                        return Err(FetchError::OffSite(next.to_string()));
                    }
                    self.sites
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(next.origin());
                    // Where the site really is keeps the pace robots.txt asked for.
                    self.inherit_pace(&url, &next);
                }
                match redirects {
                    Redirects::Stop => return Err(FetchError::Redirect(next)),
                    Redirects::Follow(allowed) if !allowed(&next) => {
                        return Err(FetchError::Disallowed(next.to_string()));
                    }
                    Redirects::Follow(_) => {}
                }
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    retried: String::new(),
                });
            }
            if html {
                let kind = response
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|c| c.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let essence = kind
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if !matches!(essence.as_str(), "text/html" | "application/xhtml+xml") {
                    return Err(FetchError::NotHtml(if kind.is_empty() {
                        "none".to_owned()
                    } else {
                        kind
                    }));
                }
                // ureq decodes gzip and brotli; anything else would reach the engine as
                // compressed bytes.
                let encoding = response
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .and_then(|c| c.to_str().ok())
                    .unwrap_or("identity")
                    .trim()
                    .to_owned();
                if !matches!(encoding.as_str(), "" | "identity" | "gzip" | "br") {
                    return Err(FetchError::Encoding(encoding));
                }
            }
            let body = response
                .into_body()
                .into_with_config()
                .limit(self.politeness.max_bytes)
                .reader();
            let body: Body = Box::new(Explained {
                inner: body,
                max_bytes: self.politeness.max_bytes,
                timeout: self.politeness.timeout,
            });
            return Ok((url, body));
        }
    }

    /// One request, retried on 429, 5xx and transport errors.
    fn get_once(&self, url: &Url) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        let mut attempt = 0;
        loop {
            self.wait_turn(url);
            let result = self.agent.get(url.as_str()).call();
            let retry_in = match &result {
                Ok(r)
                    if r.status() == StatusCode::TOO_MANY_REQUESTS
                        || r.status() == StatusCode::SERVICE_UNAVAILABLE =>
                {
                    match retry_after(r) {
                        // Asked to wait longer than affilint waits: not retried early.
                        Some(wait) if wait > MAX_RETRY_AFTER => None,
                        Some(wait) => {
                            // Every connection to the host waits, not only this one.
                            self.hold(url, Instant::now() + wait);
                            Some(Duration::ZERO)
                        }
                        None => Some(backoff(attempt)),
                    }
                }
                Ok(r) if r.status().is_server_error() => Some(backoff(attempt)),
                Ok(_) => None,
                Err(ureq::Error::Timeout(_) | ureq::Error::Io(_)) => Some(backoff(attempt)),
                Err(_) => None,
            };
            match (retry_in, attempt < self.politeness.retries) {
                (Some(wait), true) => {
                    attempt += 1;
                    std::thread::sleep(wait);
                }
                _ => {
                    return match result {
                        Ok(r) if attempt > 0 && r.status().as_u16() >= 400 => {
                            Err(FetchError::Status {
                                status: r.status().as_u16(),
                                retried: format!(
                                    " after {attempt} {}",
                                    if attempt == 1 { "retry" } else { "retries" }
                                ),
                            })
                        }
                        Ok(r) => Ok(r),
                        Err(ureq::Error::Timeout(_)) => Err(FetchError::Transport(format!(
                            "timed out (--connect-timeout {} s, --timeout {} s)",
                            self.politeness.connect_timeout.as_secs(),
                            self.politeness.timeout.as_secs()
                        ))),
                        Err(ureq::Error::Io(e))
                            if e.kind() == std::io::ErrorKind::ConnectionRefused =>
                        {
                            Err(FetchError::Transport(format!(
                                "the site could not be reached ({e})"
                            )))
                        }
                        Err(e) => Err(FetchError::Transport(e.to_string())),
                    };
                }
            }
        }
    }
}

/// A `Retry-After`: seconds, or an HTTP date.
fn retry_after(response: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let value = response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate(value)?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP dates are sent in.
fn httpdate(text: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    let [h, m, s] = hms[..] else { return None };
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = u64::try_from(days * 86_400 + h * 3600 + m * 60 + s).ok()?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Whether `to` is the same site as `from`: the same host, or one with `www.` more or less,
/// on any scheme.
fn same_site(from: &Url, to: &Url) -> bool {
    let bare = |u: &Url| {
        let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
        host.strip_prefix("www.").map(str::to_owned).unwrap_or(host)
    };
    // The same port, or each scheme's own (`http://a/` to `https://a/`): another port is
    // another server.
    let ports = if from.scheme() == to.scheme() {
        from.port_or_known_default() == to.port_or_known_default()
    } else {
        from.port().is_none() && to.port().is_none()
    };
    matches!(to.scheme(), "http" | "https") && ports && bare(from) == bare(to)
}

/// A page's body, whose read errors say what they mean for the page.
struct Explained<R> {
    inner: R,
    max_bytes: u64,
    timeout: Duration,
}

impl<R: Read> Read for Explained<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let cause = e.get_ref().and_then(|c| c.downcast_ref::<ureq::Error>());
            match cause {
                Some(ureq::Error::BodyExceedsLimit(_)) => std::io::Error::other(format!(
                    "larger than {} MiB once decompressed (--max-page-mib): not checked",
                    self.max_bytes / (1024 * 1024)
                )),
                Some(ureq::Error::Timeout(_)) => std::io::Error::other(format!(
                    "timed out after {} s (--timeout)",
                    self.timeout.as_secs()
                )),
                _ => e,
            }
        })
    }
}

/// 0.5 s, 1 s, 2 s, ...
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 << attempt.min(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_and_sites_read_as_http_means_them() {
        let at = httpdate("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert!(httpdate("yesterday").is_none());
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(same_site(
            &url("http://blog.example/"),
            &url("https://www.blog.example/")
        ));
        assert!(same_site(
            &url("https://www.blog.example/"),
            &url("https://blog.example/a")
        ));
        assert!(!same_site(
            &url("https://blog.example/"),
            &url("https://evil.example/")
        ));
        assert!(!same_site(
            &url("https://blog.example/"),
            &url("https://blog.example.evil/")
        ));
        assert!(!same_site(
            &url("https://blog.example/"),
            &url("https://blog.example:8443/")
        ));
        assert!(same_site(
            &url("http://127.0.0.1:8080/"),
            &url("http://127.0.0.1:8080/x/")
        ));
    }

    #[test]
    fn the_user_agent_names_affilint_its_version_and_repository() {
        assert!(USER_AGENT.starts_with("affilint/0."));
        assert!(USER_AGENT.contains("github.com/affilint/affilint"));
    }
}

//! The entry point: rules and config compiled once into an [`Engine`], which checks and fixes
//! any number of documents, whole ([`Engine::check`], [`Engine::fix`]) or fed in chunks or
//! from a reader ([`Engine::checker`], [`Engine::fixer`]).

use std::cell::RefCell;
use std::io::{self, Read};
use std::sync::Arc;

use crate::compile::Checks;
use crate::config::Config;
use crate::errors::{DocumentError, Error};
use crate::links::ShortTarget;
use crate::markdown::Document;
use crate::page::Output;
use crate::pass::{Pass, READ_CHUNK};
use crate::report::{AffiliateLink, Finding, FindingId, Kind, Report, Severity};
use crate::rules::{Program, RuleSet};
use crate::site::Site;

/// The result of fixing one document in memory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fixed {
    /// The document with links tagged; byte-identical to the input when nothing changed.
    pub html: Vec<u8>,
    /// What is left to fix by hand.
    pub report: Report,
}

/// Rules and config compiled once; checks and fixes documents. Cheap to clone and `Send +
/// Sync`, so one engine serves every thread.
///
/// ```
/// use affilint::{Config, Engine, FindingId, RuleSet};
///
/// let config = Config::parse("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")?;
/// let engine = Engine::new(&RuleSet::shipped(), &config)?;
///
/// let page = r#"<p>As an Amazon Associate I earn from qualifying purchases.</p>
/// <p><a href="https://www.amazon.com/dp/B00TEST123?th=1&amp;psc=1">Kettle</a></p>"#;
///
/// let report = engine.check(page.as_bytes())?;
/// assert_eq!(report.findings[0].id, FindingId::UntaggedLink);
/// assert_eq!(report.findings[0].line, 2);
///
/// let fixed = engine.fix(page.as_bytes())?;
/// let html = String::from_utf8(fixed.html).unwrap();
/// assert!(html.contains(
///     r#"<a href="https://www.amazon.com/dp/B00TEST123?th=1&amp;psc=1&amp;tag=mysite-20" rel="sponsored">"#
/// ));
/// assert!(fixed.report.findings.is_empty());
/// # Ok::<(), affilint::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    checks: Arc<Checks>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.active_programs().collect();
        f.debug_struct("Engine").field("active", &ids).finish()
    }
}

impl Engine {
    /// Compiles `rules` and `config`. Fails when the config names an unknown program, a host
    /// that is not the program's, or an id the program does not accept.
    pub fn new(rules: &RuleSet, config: &Config) -> Result<Engine, Error> {
        Ok(Engine {
            checks: Arc::new(Checks::new(rules, config)?),
        })
    }

    /// Lets the engine ask where short links (amzn.to and the like) go: `resolver` gets each
    /// short link as written (references decoded) and answers where it redirects, that it is
    /// gone, or `None` when it cannot tell. A short link with a known target is judged as
    /// that target (your id: no finding; none or another's: `untagged-link` or `foreign-tag`,
    /// and `fix` writes the tagged full link in its place); a gone one is `dead-short-link`;
    /// the others stay `short-link`. The engine itself never touches the network: the
    /// resolver is what may (affilint's command line asks over HTTP, or reads a cache).
    ///
    /// The resolver is called on the checking thread, from every thread that checks, once for
    /// each short link met (and again for a target that is itself a short link of the
    /// program): it should remember its answers. Clones of this engine share it (they share
    /// one compiled rule set), including clones made before.
    ///
    /// ```
    /// use affilint::{Config, Engine, RuleSet, ShortTarget};
    /// let config = Config::parse("a.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")?;
    /// let engine = Engine::new(&RuleSet::shipped(), &config)?;
    /// engine.expand_short_links(|url| match url {
    ///     "https://amzn.to/3x" => Some(ShortTarget::Url("https://www.amazon.com/dp/B0?tag=x-20".into())),
    ///     _ => Some(ShortTarget::Gone),
    /// });
    /// let page = br#"<p>As an Amazon Associate I earn from qualifying purchases.</p>
    /// <a href="https://amzn.to/3x" rel="sponsored">a</a> <a href="https://amzn.to/old" rel="sponsored">b</a>"#;
    /// let ids: Vec<&str> = engine.check(page)?.findings.iter().map(|f| f.id.as_str()).collect();
    /// assert_eq!(ids, ["foreign-tag", "dead-short-link"]);
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn expand_short_links(
        &self,
        resolver: impl Fn(&str) -> Option<ShortTarget> + Send + Sync + 'static,
    ) {
        *self
            .checks
            .short_links
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(resolver));
    }

    /// Whether the URL path `path` (`/go/kettle/`) is under one of the config's cloaking
    /// prefixes, with cloaked links checked: a link there is asked about, not read as a page
    /// ([`Checker::ask_site_redirects`]).
    ///
    /// ```
    /// let engine = affilint::Engine::new(&affilint::RuleSet::shipped(), &affilint::Config::default())?;
    /// assert!(engine.is_cloaking_path("/go/kettle/"));
    /// assert!(!engine.is_cloaking_path("/posts/kettles/"));
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn is_cloaking_path(&self, path: &str) -> bool {
        crate::pass::cloak_checked(&self.checks) && self.checks.cloaking_prefixes.of(path).is_some()
    }

    /// The ids of the programs that have an id configured (the active ones).
    pub fn active_programs(&self) -> impl Iterator<Item = &str> {
        self.checks.links.active().map(|p| p.program.id())
    }

    /// The rule of program `id` the engine was compiled with.
    pub fn program(&self, id: &str) -> Option<&Program> {
        self.checks
            .links
            .programs
            .iter()
            .map(|linked| &linked.program)
            .find(|program| program.id() == id)
    }

    /// The publisher's affiliate ids for `program`, as configured: its tag, then the ids per
    /// marketplace (none for a program that is not active).
    ///
    /// ```
    /// use affilint::{Config, Engine, RuleSet};
    ///
    /// let config = Config::parse("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"")?;
    /// let engine = Engine::new(&RuleSet::shipped(), &config)?;
    /// assert_eq!(engine.publisher_ids("amazon"), ["mysite-20"]);
    /// assert!(engine.publisher_ids("ebay").is_empty());
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn publisher_ids(&self, program: &str) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for linked in self.checks.links.active() {
            if linked.program.id() != program {
                continue;
            }
            let marketplaces = linked.marketplaces.iter().map(|(_, id)| id.as_str());
            for id in linked.tag.as_deref().into_iter().chain(marketplaces) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids
    }

    /// The severity findings of `id` are reported with, after config; `None` when it is off.
    ///
    /// ```
    /// use affilint::{Config, Engine, FindingId, RuleSet, Severity};
    ///
    /// let config = Config::parse("affilint.toml", "[severity]\nmissing-rel = \"off\"")?;
    /// let engine = Engine::new(&RuleSet::shipped(), &config)?;
    /// assert_eq!(engine.severity(FindingId::MissingRel), None);
    /// assert_eq!(engine.severity(FindingId::MissingDisclosure), Some(Severity::Error));
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn severity(&self, id: FindingId) -> Option<Severity> {
        self.checks.severity(id)
    }

    /// Checks a whole document.
    pub fn check(&self, html: &[u8]) -> Result<Report, DocumentError> {
        let mut checker = self.checker();
        checker.write(html)?;
        checker.end()
    }

    /// Fixes a whole document in memory.
    pub fn fix(&self, html: &[u8]) -> Result<Fixed, DocumentError> {
        let mut fixer = self.fixer(Vec::with_capacity(html.len() + 256));
        fixer.write(html)?;
        let (report, html) = fixer.end()?;
        Ok(Fixed { html, report })
    }

    /// Starts checking a document fed in chunks ([`Checker::write`]) or from a reader
    /// ([`Checker::read_from`]). Memory stays flat however large it is.
    ///
    /// ```
    /// # let engine = affilint::Engine::new(&affilint::RuleSet::shipped(), &affilint::Config::default())?;
    /// let mut checker = engine.checker();
    /// checker.write(b"<p><a href=\"https://www.amazon.com/dp/B0")?;
    /// checker.write(b"\">x</a></p>")?;
    /// assert_eq!(checker.end()?.links, 1);
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn checker(&self) -> Checker<'_> {
        self.checker_for(Kind::Html)
    }

    /// Starts checking a document of `kind` (a Markdown document is read whole, at the end).
    ///
    /// ```
    /// use affilint::{Config, Engine, FindingId, Kind, RuleSet};
    ///
    /// let config = Config::parse("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")?;
    /// let engine = Engine::new(&RuleSet::shipped(), &config)?;
    /// let mut checker = engine.checker_for(Kind::Markdown);
    /// checker.write(b"Try [this kettle](https://www.amazon.com/dp/B0).\n")?;
    /// let report = checker.end()?;
    /// assert_eq!(report.findings[0].id, FindingId::UntaggedLink);
    /// assert_eq!((report.findings[0].line, report.findings[0].column), (1, 5));
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn checker_for(&self, kind: Kind) -> Checker<'_> {
        Checker(self.document(kind, io::sink(), false))
    }

    /// Starts fixing a document fed in chunks or from a reader; the output goes to `output`
    /// (any [`Output`], every [`io::Write`] among them) as it is produced.
    ///
    /// ```
    /// use affilint::{Config, Engine, RuleSet};
    ///
    /// let config = Config::parse("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")?;
    /// let engine = Engine::new(&RuleSet::shipped(), &config)?;
    /// let mut fixer = engine.fixer(Vec::new());
    /// fixer.read_from(&b"<a href=\"https://amazon.com/dp/B0\" rel=nofollow>x</a>"[..])?;
    /// let (report, html) = fixer.end()?;
    /// assert_eq!(html, b"<a href=\"https://amazon.com/dp/B0?tag=mysite-20\" rel=nofollow>x</a>");
    /// assert_eq!(report.affiliate_links, 1);
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn fixer<O: Output>(&self, output: O) -> Fixer<'_, O> {
        self.document(Kind::Html, output, true)
    }

    /// Starts fixing a document of `kind`; see [`Engine::fixer`]. A Markdown document is
    /// read whole and written at the end, its destinations rewritten by its own rules.
    ///
    /// ```
    /// use affilint::{Config, Engine, Kind, RuleSet};
    ///
    /// let config = Config::parse("affilint.toml", "[programs.amazon]\ntag = \"mysite-20\"\n")?;
    /// let engine = Engine::new(&RuleSet::shipped(), &config)?;
    /// let mut fixer = engine.fixer_for(Kind::Markdown, Vec::new());
    /// fixer.write(b"[kettle]: <https://www.amazon.com/dp/B0> \"A kettle\"\n\n[A][kettle]\n")?;
    /// let (report, md) = fixer.end()?;
    /// assert_eq!(
    ///     md,
    ///     b"[kettle]: <https://www.amazon.com/dp/B0?tag=mysite-20> \"A kettle\"\n\n[A][kettle]\n"
    /// );
    /// assert!(report.findings.is_empty());
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn fixer_for<O: Output>(&self, kind: Kind, output: O) -> Fixer<'_, O> {
        self.document(kind, output, true)
    }

    fn document<O: Output>(&self, kind: Kind, output: O, fixing: bool) -> Fixer<'_, O> {
        let inner = match kind {
            Kind::Markdown => Inner::Markdown(Document::new(&self.checks, output, fixing)),
            Kind::Html => Inner::Html(Box::new(Pass::new(&self.checks, output, fixing))),
        };
        Fixer { inner }
    }
}

/// One document being checked, fed in chunks; see [`Engine::checker`]. It is a fixer whose
/// output goes nowhere.
pub struct Checker<'e>(Fixer<'e, io::Sink>);

impl<'e> Checker<'e> {
    /// Hands every finding to `sink` as soon as its position is known; see
    /// [`Fixer::on_finding`].
    pub fn on_finding(&mut self, sink: impl FnMut(Finding) + 'e) {
        self.0.on_finding(sink);
    }

    /// Hands every affiliate link to `sink` as it is met; see [`Fixer::on_affiliate_link`].
    pub fn on_affiliate_link(&mut self, sink: impl FnMut(AffiliateLink) + 'e) {
        self.0.on_affiliate_link(sink);
    }

    /// Places the document in `site`; see [`Fixer::in_site`].
    pub fn in_site(&mut self, site: &'e Site, path: &str) {
        self.0.in_site(site, path);
    }

    /// For a page read from its live site at `page_url` (absolute; one that is not a URL asks
    /// nothing): a link under one of the config's cloaking prefixes (`/go/`, `/recommends/`)
    /// on the page's site (its scheme, host and port) is judged by where `ask` says the site
    /// sends it, as a redirect of a [`Site`] is (`cloaked-link` for a program that forbids
    /// cloaking; no finding for a page of the site). `ask` gets the link's absolute URL (resolved against `page_url`,
    /// without fragment or user name) and answers the URL it redirects to, or `None` when
    /// that cannot be told: the link stays `opaque-link`. It is called on the checking
    /// thread each time such a link is met, so it should remember its answers; links to
    /// other sites are never asked about. Call it before the first write: links met before
    /// are judged without it. A Markdown document is not asked about.
    ///
    /// ```
    /// use affilint::{Config, Engine, FindingId, RuleSet};
    ///
    /// let engine = Engine::new(&RuleSet::shipped(), &Config::default())?;
    /// let mut checker = engine.checker();
    /// checker.ask_site_redirects("https://blog.example/posts/kettles/", |link| {
    ///     (link == "https://blog.example/go/kettle/")
    ///         .then(|| "https://www.amazon.com/dp/B0?tag=mysite-20".to_owned())
    /// });
    /// checker.write(b"<p>As an Amazon Associate I earn from qualifying purchases.</p>")?;
    /// checker.write(b"<a href=\"/go/kettle/\" rel=\"sponsored\">kettle</a>")?;
    /// checker.write(b"<a href=\"/go/pan/\" rel=\"sponsored\">pan</a>")?;
    /// let ids: Vec<FindingId> = checker.end()?.findings.iter().map(|f| f.id).collect();
    /// assert_eq!(ids, [FindingId::CloakedLink, FindingId::OpaqueLink]);
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn ask_site_redirects(
        &mut self,
        page_url: &str,
        ask: impl Fn(&str) -> Option<String> + 'e,
    ) {
        if let Inner::Html(pass) = &mut self.0.inner {
            pass.ask_site_redirects(page_url, Box::new(ask));
        }
    }

    /// Feeds the next chunk of the document.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
        self.0.write(chunk)
    }

    /// Feeds everything `input` holds, in chunks.
    pub fn read_from(&mut self, input: impl Read) -> Result<(), DocumentError> {
        self.0.read_from(input)
    }

    /// Ends the document: what it found.
    pub fn end(self) -> Result<Report, DocumentError> {
        Ok(self.0.end()?.0)
    }
}

/// One document being fixed, fed in chunks; see [`Engine::fixer`].
pub struct Fixer<'e, O: Output> {
    inner: Inner<'e, O>,
}

/// How a document of its kind is read.
enum Inner<'e, O: Output> {
    Html(Box<Pass<'e, O>>),
    Markdown(Document<'e, O>),
}

impl<'e, O: Output> Fixer<'e, O> {
    /// Hands every finding (after a fix: every finding left) to `sink` as soon as its line
    /// and column are known, instead of collecting them in the report (whose `findings` then
    /// stay empty): memory stays flat however many findings a page has. Link findings come in
    /// document order, disclosure findings at the end.
    pub fn on_finding(&mut self, sink: impl FnMut(Finding) + 'e) {
        match &mut self.inner {
            Inner::Html(pass) => pass.each_finding(sink),
            Inner::Markdown(document) => document.each_finding(sink),
        }
    }

    /// Hands every affiliate link to `sink` as it is met: its program, host, the id it
    /// carries and the product, for an inventory of what a site links with.
    pub fn on_affiliate_link(&mut self, sink: impl FnMut(AffiliateLink) + 'e) {
        match &mut self.inner {
            Inner::Html(pass) => pass.each_affiliate_link(sink),
            Inner::Markdown(document) => document.each_affiliate_link(sink),
        }
    }

    /// Places the document in `site` at URL path `path` (`/posts/a/index.html`), before the
    /// first chunk: a link through one of the site's redirects (`/go/kettle/`) is then judged
    /// by where it goes (`cloaked-link`).
    ///
    /// ```
    /// use affilint::{Config, Engine, FindingId, RuleSet, Site};
    ///
    /// let mut site = Site::new();
    /// site.add_redirects_file("/go/kettle https://www.amazon.com/dp/B0?tag=mysite-20 302\n");
    /// let engine = Engine::new(&RuleSet::shipped(), &Config::default())?;
    /// let mut checker = engine.checker();
    /// checker.in_site(&site, "/posts/kettles/index.html");
    /// checker.write(b"<a href=\"/go/kettle/\" rel=\"sponsored\">kettle</a>")?;
    /// let report = checker.end()?;
    /// assert_eq!(report.findings[0].id, FindingId::CloakedLink);
    /// # Ok::<(), affilint::Error>(())
    /// ```
    pub fn in_site(&mut self, site: &'e Site, path: &str) {
        // A Markdown source's links are written as the author wrote them: no site to route.
        if let Inner::Html(pass) = &mut self.inner {
            pass.in_site(site, path);
        }
    }

    /// Feeds the next chunk of the document.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
        match &mut self.inner {
            Inner::Html(pass) => pass.write(chunk),
            Inner::Markdown(document) => document.write(chunk),
        }
    }

    /// Feeds everything `input` holds, in chunks.
    pub fn read_from(&mut self, input: impl Read) -> Result<(), DocumentError> {
        pump(input, |chunk| self.write(chunk))
    }

    /// Ends the document: what is left to fix by hand, and the output (for example to commit
    /// a file only when something changed).
    pub fn end(self) -> Result<(Report, O), DocumentError> {
        match self.inner {
            Inner::Html(pass) => pass.end(),
            Inner::Markdown(document) => document.end(),
        }
    }
}

/// Reads `input` in chunks into `write`.
fn pump(
    mut input: impl Read,
    mut write: impl FnMut(&[u8]) -> Result<(), DocumentError>,
) -> Result<(), DocumentError> {
    thread_local! {
        /// One read buffer per thread: zeroing a fresh one for each document costs more
        /// than checking a small page's links.
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    let mut pump_with = |buf: &mut Vec<u8>| {
        buf.resize(READ_CHUNK, 0);
        loop {
            match input.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => write(&buf[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(DocumentError::Read(e)),
            }
        }
    };
    // A document read while another is (a reader that checks one itself) gets its own.
    BUF.with(|buf| match buf.try_borrow_mut() {
        Ok(mut buf) => pump_with(&mut buf),
        Err(_) => pump_with(&mut Vec::new()),
    })
}

//! Reading and writing one document: check it, fix it in place (see [`super::write`]), fix it
//! into `--out DIR`, fix standard input to standard output, or diff what fix would change.
//! Failures say whether the document could not be read or its fix could not be written.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use affilint::{
    AffiliateLink, DocumentError, Engine, Finding, Kind, Location, Output, Report, Site,
};

use super::interrupt::Interrupt;
use super::walk::Input;
use super::write::{self, Identity, Staged, WriteError};

/// What to do with each document.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    Check,
    FixInPlace,
    FixInto(PathBuf),
    /// Fix in memory and return a unified diff; write nothing.
    FixDiff,
}

impl Mode {
    /// Whether the mode fixes (in place, into a directory, or as a diff).
    pub(crate) fn fixes(&self) -> bool {
        !matches!(self, Mode::Check)
    }
}

/// Which side of a document failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// It could not be read (or is not a document affilint can read): it was not checked.
    Read,
    /// It was checked, but its fix could not be written.
    Write,
}

impl Side {
    /// `"read"` or `"write"`, as JSON reports it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Side::Read => "read",
            Side::Write => "write",
        }
    }
}

/// A document that could not be read, or whose fix could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    pub(crate) location: Location,
    pub(crate) side: Side,
    pub(crate) message: String,
}

impl FileError {
    /// Says it on stderr, control characters escaped (a path or a page's URL may hold some).
    pub(crate) fn say(&self) {
        let said = format!("{}: {}", self.location, self.message);
        eprintln!("affilint: {}", super::printable(&said));
    }
}

/// What processing one document gave.
#[derive(Default)]
pub(crate) struct Processed {
    /// What it found; `None` when it could not be read, or a signal stopped it first.
    pub(crate) report: Option<Report>,
    /// With [`Mode::FixDiff`], the diff when the document would change.
    pub(crate) diff: Option<String>,
    /// Why it could not be read, or its fix written.
    pub(crate) failure: Option<(Side, String)>,
    /// A signal came while it was read: its fix was not written.
    pub(crate) interrupted: bool,
}

impl Processed {
    fn checked(report: Report) -> Processed {
        Processed {
            report: Some(report),
            ..Processed::default()
        }
    }

    fn unreadable(message: impl Into<String>) -> Processed {
        Processed {
            failure: Some((Side::Read, message.into())),
            ..Processed::default()
        }
    }

    /// The outcome of a fix whose output is `written` (to `to`, when it is not the file read).
    fn fixed(report: Report, written: Result<(), WriteError>, to: Option<&Path>) -> Processed {
        match written {
            Ok(()) => Processed::checked(report),
            Err(WriteError::Interrupted) => Processed {
                report: Some(report),
                interrupted: true,
                ..Processed::default()
            },
            Err(e) => {
                let message = match (to, &e) {
                    (Some(to), WriteError::Io(e)) => {
                        format!("could not be written to {}: {e}", to.display())
                    }
                    (None, WriteError::Io(_)) => format!("{e}; the original is unchanged"),
                    _ => e.to_string(),
                };
                Processed {
                    report: Some(report),
                    failure: Some((Side::Write, message)),
                    ..Processed::default()
                }
            }
        }
    }

    /// A document the engine gave up on: it could not be read, or its output written.
    fn failed(error: DocumentError) -> Processed {
        match error {
            DocumentError::Write(e) => Processed {
                failure: Some((Side::Write, format!("could not be written: {e}"))),
                ..Processed::default()
            },
            e @ DocumentError::EncodingChanged { .. } => Processed {
                failure: Some((Side::Write, e.to_string())),
                ..Processed::default()
            },
            e => Processed::unreadable(e.to_string()),
        }
    }
}

/// Where a document's findings and affiliate links go as they are met.
pub(crate) struct Sinks<'a> {
    pub(crate) finding: &'a mut dyn FnMut(Finding),
    pub(crate) affiliate_link: &'a mut dyn FnMut(AffiliateLink),
}

/// The engine, and the site the document belongs to with its URL path there.
#[derive(Clone, Copy)]
pub(crate) struct Placed<'a> {
    engine: &'a Engine,
    place: Option<(&'a Site, &'a str)>,
    kind: Kind,
}

impl Placed<'_> {
    fn checker(&self) -> affilint::Checker<'_> {
        let mut checker = self.engine.checker_for(self.kind);
        if let Some((site, path)) = self.place {
            checker.in_site(site, path);
        }
        checker
    }

    fn fixer<O: Output>(&self, output: O) -> affilint::Fixer<'_, O> {
        let mut fixer = self.engine.fixer_for(self.kind, output);
        if let Some((site, path)) = self.place {
            fixer.in_site(site, path);
        }
        fixer
    }
}

/// Where a document is read from, beyond the file system.
#[derive(Clone, Copy)]
pub(crate) struct From<'a> {
    /// The site of a walked directory the document is in.
    pub(crate) site: Option<&'a Site>,
    /// The live sites being read (`check https://...`).
    #[cfg(feature = "live")]
    pub(crate) live: Option<&'a crate::cli::live::Live>,
}

/// Checks or fixes one input (of `from.site`, if it is in a walked directory), handing each
/// finding and affiliate link over as it is known.
pub(crate) fn process(
    engine: &Engine,
    from: From<'_>,
    input: &Input,
    mode: &Mode,
    interrupt: &Interrupt,
    sinks: Sinks<'_>,
) -> Processed {
    let path = input.relative.as_deref().map(super::site::url_path);
    let engine = Placed {
        engine,
        place: from.site.zip(path.as_deref()),
        kind: input.kind,
    };
    let engine = &engine;
    match (mode, &input.location) {
        (Mode::FixDiff, _) => fix_diff(engine, input, sinks),
        (Mode::Check, Location::Stdin) => check(engine, io::stdin().lock(), sinks, None),
        (_, Location::Stdin) => fix_stdin(engine, sinks),
        (Mode::Check, Location::File(path)) => match File::open(path) {
            Ok(file) => check(engine, file, sinks, None),
            Err(e) => Processed::unreadable(format!("cannot read: {e}")),
        },
        #[cfg(feature = "live")]
        (Mode::Check, Location::Url(url)) => match from.live.map(|live| live.open(url)) {
            Some(Ok(Some(page))) => {
                let aside = &page.aside;
                let ask = |link: &str| from.live.and_then(|live| live.site_redirect(link, aside));
                check(engine, page.body, sinks, Some((page.url.as_str(), &ask)))
            }
            Some(Ok(None)) => Processed::default(),
            Some(Err(e)) => Processed::unreadable(e),
            None => Processed::unreadable("a live page, but no live site is being read"),
        },
        (Mode::FixInPlace, Location::File(path)) => fix_in_place(engine, path, interrupt, sinks),
        (Mode::FixInto(dir), Location::File(path)) => {
            let relative = input.relative.as_deref().unwrap_or(path);
            fix_into(engine, path, &dir.join(relative), interrupt, sinks)
        }
        _ => Processed::unreadable("this kind of input cannot be read here"),
    }
}

/// For a live page: its URL, and who says where its site's cloaked links go.
type LivePage<'a> = Option<(&'a str, &'a dyn Fn(&str) -> Option<String>)>;

/// Checks a document read from `input`.
fn check(engine: &Placed<'_>, input: impl Read, sinks: Sinks<'_>, site: LivePage<'_>) -> Processed {
    let mut checker = engine.checker();
    if let Some((url, ask)) = site {
        checker.ask_site_redirects(url, ask);
    }
    checker.on_finding(sinks.finding);
    checker.on_affiliate_link(sinks.affiliate_link);
    match checker.read_from(input).and_then(|()| checker.end()) {
        Ok(report) => Processed::checked(report),
        Err(e) => Processed::failed(e),
    }
}

/// Fixes a document read from `input` into `output`.
fn fix<O: Output>(
    engine: &Placed<'_>,
    input: impl Read,
    output: O,
    sinks: Sinks<'_>,
) -> Result<(Report, O), DocumentError> {
    let mut fixer = engine.fixer(output);
    fixer.on_finding(sinks.finding);
    fixer.on_affiliate_link(sinks.affiliate_link);
    fixer.read_from(input)?;
    fixer.end()
}

/// `fix -`: standard input to standard output, as it goes.
fn fix_stdin(engine: &Placed<'_>, sinks: Sinks<'_>) -> Processed {
    let out = BufWriter::new(io::stdout().lock());
    let fixed = fix(engine, io::stdin().lock(), out, sinks).and_then(|(report, mut out)| {
        out.flush().map_err(DocumentError::Write)?;
        Ok(report)
    });
    match fixed {
        Ok(report) => Processed::checked(report),
        Err(e) => Processed::failed(e),
    }
}

/// Fixes in memory and diffs: the whole document is held (a diff needs both sides).
fn fix_diff(engine: &Placed<'_>, input: &Input, sinks: Sinks<'_>) -> Processed {
    let read = match &input.location {
        Location::File(path) => fs::read(path),
        _ => {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
        }
    };
    let original = match read {
        Ok(bytes) => bytes,
        Err(e) => return Processed::unreadable(format!("cannot read: {e}")),
    };
    match fix(engine, &original[..], Vec::new(), sinks) {
        Ok((report, fixed)) => Processed {
            diff: report
                .changed
                .then(|| unified_diff(&input.location.to_string(), &original, &fixed)),
            report: Some(report),
            ..Processed::default()
        },
        Err(e) => Processed::failed(e),
    }
}

/// A unified diff of a document, with `a/` and `b/` labels as git writes them (so `git
/// apply` and `patch -p1` take it). Bytes that are not UTF-8 show as U+FFFD.
fn unified_diff(name: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let (mut a, mut b) = if Path::new(name).is_absolute() || name == "-" {
        (name.to_owned(), name.to_owned())
    } else {
        (format!("a/{name}"), format!("b/{name}"))
    };
    if name.contains(char::is_whitespace) {
        // As git does: GNU patch reads a name up to a tab.
        a.push('\t');
        b.push('\t');
    }
    let mut diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    if !diff.ends_with('\n') {
        diff.push('\n');
    }
    diff
}

/// The file to write for `path`: its target when it is a symlink, so the link stays a link.
fn write_target(path: &Path) -> io::Result<PathBuf> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        fs::canonicalize(path)
    } else {
        Ok(path.to_path_buf())
    }
}

/// The file at `path`, opened for reading, with its metadata.
fn open(path: &Path) -> Result<(File, fs::Metadata), Processed> {
    let cannot = |e: io::Error| Processed::unreadable(format!("cannot read: {e}"));
    let file = File::open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    Ok((file, metadata))
}

fn fix_in_place(
    engine: &Placed<'_>,
    path: &Path,
    interrupt: &Interrupt,
    sinks: Sinks<'_>,
) -> Processed {
    let target = match write_target(path) {
        Ok(target) => target,
        Err(e) => return Processed::unreadable(format!("cannot resolve: {e}")),
    };
    let (input, metadata) = match open(&target) {
        Ok(opened) => opened,
        Err(failed) => return failed,
    };
    let read = Identity::of(&metadata);
    let staged = Staged::in_place(write::dir_of(&target), &input, interrupt);
    match fix(engine, &input, staged, sinks) {
        Ok((report, staged)) => {
            let written = staged.finish().and_then(|temp| match temp {
                Some(temp) => write::commit(temp, &target, metadata.permissions(), Some(&read)),
                None => Ok(()),
            });
            Processed::fixed(report, written, None)
        }
        Err(e) => Processed::failed(e),
    }
}

fn fix_into(
    engine: &Placed<'_>,
    path: &Path,
    destination: &Path,
    interrupt: &Interrupt,
    sinks: Sinks<'_>,
) -> Processed {
    let (input, metadata) = match open(path) {
        Ok(opened) => opened,
        Err(failed) => return failed,
    };
    let dir = write::dir_of(destination);
    if let Err(e) = fs::create_dir_all(dir) {
        let message = format!("could not be written to {}: {e}", destination.display());
        return Processed {
            failure: Some((Side::Write, message)),
            ..Processed::default()
        };
    }
    match fix(engine, input, Staged::copy(dir, interrupt), sinks) {
        Ok((report, staged)) => {
            let written = staged.finish().and_then(|temp| match temp {
                Some(temp) => write::commit(temp, destination, metadata.permissions(), None),
                None => Ok(()),
            });
            Processed::fixed(report, written, Some(destination))
        }
        Err(e) => Processed::failed(e),
    }
}

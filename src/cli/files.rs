//! Reading and writing one document: check, fix in place (atomic, mode kept, untouched when
//! nothing changes), fix into `--out DIR`, or stdin to stdout.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use affilint::{DocumentError, Engine, Finding, Location, Output, Report};
use tempfile::NamedTempFile;

use super::walk::Input;

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

/// What processing one document gave.
pub(crate) struct Processed {
    pub(crate) report: Report,
    /// With [`Mode::FixDiff`], the diff when the document would change.
    pub(crate) diff: Option<String>,
}

impl From<Report> for Processed {
    fn from(report: Report) -> Self {
        Processed { report, diff: None }
    }
}

/// Checks or fixes one input, handing each finding to `on_finding` as it is known. The error
/// is the message to show after the file name.
pub(crate) fn process(
    engine: &Engine,
    input: &Input,
    mode: &Mode,
    on_finding: &mut dyn FnMut(Finding),
) -> Result<Processed, String> {
    if let Mode::FixDiff = mode {
        return fix_diff(engine, input, on_finding);
    }
    match &input.location {
        Location::Stdin => {
            let stdin = io::stdin().lock();
            match mode {
                Mode::Check | Mode::FixDiff => check(engine, stdin, on_finding),
                Mode::FixInPlace | Mode::FixInto(_) => {
                    let out = BufWriter::new(io::stdout().lock());
                    fix(engine, stdin, out, on_finding).and_then(|(report, mut out)| {
                        out.flush().map_err(DocumentError::Write)?;
                        Ok(report)
                    })
                }
            }
            .map(Processed::from)
            .map_err(|e| e.to_string())
        }
        Location::File(path) => match mode {
            Mode::Check | Mode::FixDiff => {
                let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
                check(engine, file, on_finding)
                    .map(Processed::from)
                    .map_err(|e| e.to_string())
            }
            Mode::FixInPlace => fix_in_place(engine, path, on_finding).map(Processed::from),
            Mode::FixInto(dir) => {
                let relative = input.relative.as_deref().unwrap_or(path);
                fix_into(engine, path, &dir.join(relative), on_finding).map(Processed::from)
            }
        },
        other => Err(format!("{other}: this kind of input cannot be read here")),
    }
}

/// Checks a document read from `input`, handing each finding to `on_finding`.
fn check(
    engine: &Engine,
    input: impl Read,
    on_finding: &mut dyn FnMut(Finding),
) -> Result<Report, DocumentError> {
    let mut checker = engine.checker();
    checker.on_finding(on_finding);
    checker.read_from(input)?;
    checker.end()
}

/// Fixes a document read from `input` into `output`, handing each finding that is left to
/// `on_finding`.
fn fix<O: Output>(
    engine: &Engine,
    input: impl Read,
    output: O,
    on_finding: &mut dyn FnMut(Finding),
) -> Result<(Report, O), DocumentError> {
    let mut fixer = engine.fixer(output);
    fixer.on_finding(on_finding);
    fixer.read_from(input)?;
    fixer.end()
}

/// Fixes in memory and diffs: the whole document is held (a diff needs both sides).
fn fix_diff(
    engine: &Engine,
    input: &Input,
    on_finding: &mut dyn FnMut(Finding),
) -> Result<Processed, String> {
    let original = match &input.location {
        Location::File(path) => fs::read(path).map_err(|e| format!("cannot read: {e}"))?,
        _ => {
            let mut bytes = Vec::new();
            io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read: {e}"))?;
            bytes
        }
    };
    let name = input.location.to_string();
    let (report, fixed) =
        fix(engine, &original[..], Vec::new(), on_finding).map_err(|e| e.to_string())?;
    let diff = report
        .changed
        .then(|| unified_diff(&name, &original, &fixed));
    Ok(Processed { report, diff })
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

fn fix_in_place(
    engine: &Engine,
    path: &Path,
    on_finding: &mut dyn FnMut(Finding),
) -> Result<Report, String> {
    let target = write_target(path).map_err(|e| format!("cannot resolve: {e}"))?;
    let input = File::open(&target).map_err(|e| format!("cannot read: {e}"))?;
    let permissions = input
        .metadata()
        .map_err(|e| format!("cannot read: {e}"))?
        .permissions();
    let (report, output) =
        fix(engine, input, InPlace::new(&target), on_finding).map_err(|e| e.to_string())?;
    output
        .commit(permissions)
        .map_err(|e| format!("cannot write: {e}"))?;
    Ok(report)
}

fn fix_into(
    engine: &Engine,
    path: &Path,
    destination: &Path,
    on_finding: &mut dyn FnMut(Finding),
) -> Result<Report, String> {
    let input = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let permissions = input
        .metadata()
        .map_err(|e| format!("cannot read: {e}"))?
        .permissions();
    let cannot_write = |e: io::Error| format!("cannot write {}: {e}", destination.display());
    let dir = dir_of(destination);
    fs::create_dir_all(dir).map_err(cannot_write)?;
    let temp = temp_file_in(dir).map_err(cannot_write)?;
    let (report, output) =
        fix(engine, input, BufWriter::new(temp), on_finding).map_err(|e| e.to_string())?;
    let temp = output
        .into_inner()
        .map_err(|e| cannot_write(e.into_error()))?;
    persist(temp, destination, permissions).map_err(cannot_write)?;
    Ok(report)
}

/// The directory a file is in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn temp_file_in(dir: &Path) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".affilint-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// Gives `temp` the mode, flushes it to disk and renames it over `destination`.
fn persist(
    temp: NamedTempFile,
    destination: &Path,
    permissions: fs::Permissions,
) -> io::Result<()> {
    temp.as_file().set_permissions(permissions)?;
    temp.as_file().sync_all()?;
    temp.persist(destination).map_err(|e| e.error)?;
    // Make the rename durable; not every platform can open a directory.
    if let Ok(dir) = File::open(dir_of(destination)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// An in-place output that writes nothing until a byte changes: then it starts a temporary
/// file next to the original, copies the unchanged prefix into it, and goes on from there. A
/// file without changes is never touched.
struct InPlace<'a> {
    target: &'a Path,
    unchanged: u64,
    temp: Option<BufWriter<NamedTempFile>>,
}

impl<'a> InPlace<'a> {
    fn new(target: &'a Path) -> Self {
        InPlace {
            target,
            unchanged: 0,
            temp: None,
        }
    }

    fn start(&mut self) -> io::Result<&mut BufWriter<NamedTempFile>> {
        if self.temp.is_none() {
            let mut temp = temp_file_in(dir_of(self.target))?;
            let mut original = File::open(self.target)?.take(self.unchanged);
            io::copy(&mut original, temp.as_file_mut())?;
            self.temp = Some(BufWriter::new(temp));
        }
        Ok(self
            .temp
            .as_mut()
            .unwrap_or_else(|| unreachable!("started above")))
    }

    /// Replaces the original if anything changed.
    fn commit(self, permissions: fs::Permissions) -> io::Result<()> {
        match self.temp {
            Some(writer) => {
                let temp = writer.into_inner().map_err(|e| e.into_error())?;
                persist(temp, self.target, permissions)
            }
            None => Ok(()),
        }
    }
}

impl Output for InPlace<'_> {
    fn original(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.temp {
            Some(temp) => temp.write_all(bytes),
            None => {
                self.unchanged += bytes.len() as u64;
                Ok(())
            }
        }
    }

    fn rewritten(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.start()?.write_all(bytes)
    }
}

//! Writing a fixed file so that nothing is left behind and nothing is clobbered.
//!
//! The new content goes to a temporary file next to the target (`.affilint-XXXXXX.tmp`),
//! locked for as long as this run holds it. Nothing is written for a file until its first
//! changed byte; the unchanged bytes before it are then copied from the very file being read.
//! A write that fails (no space, read-only file system, permission, quota) abandons the
//! temporary file, which is removed; so does a signal, once the document is read. Otherwise the file is given the original's
//! mode and flushed to disk; then, right before the rename, the target must still be the file
//! that was read (same device, inode, size, modification and change time): if someone else
//! wrote it meanwhile, their content is kept. After the rename the directory is flushed too,
//! so a power cut leaves the old or the new file, never an empty one.
//!
//! A temporary file whose lock is free belongs to a run that is gone (killed, or stopped by a
//! second signal): the next `fix` over its directory removes it. One that is empty and only
//! seconds old may be another run's, created a moment before it locks it: it is left alone.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use affilint::Output;
use rustix::fs::{FlockOperation, flock};
use tempfile::NamedTempFile;

use super::interrupt::Interrupt;

/// affilint's temporary files: `.affilint-` and six letters or digits, then `.tmp`.
const TEMP_PREFIX: &str = ".affilint-";
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM: usize = 6;

/// How many times a temporary file is created again when another run got hold of it first.
const TEMP_ATTEMPTS: usize = 16;

/// How old an empty temporary file must be before it counts as left behind.
const FRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether `name` is the name of one of affilint's temporary files.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX)
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|random| {
            random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// The directory a file is in (`.` for a bare file name).
pub(crate) fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A file as it was read; if any of it differs at rename time, someone else wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Identity {
    pub(crate) fn of(metadata: &fs::Metadata) -> Identity {
        Identity {
            dev: metadata.dev(),
            ino: metadata.ino(),
            size: metadata.size(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }
}

/// Why a fixed file was not written.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// Writing, flushing or renaming failed.
    Io(io::Error),
    /// The file changed after it was read.
    Changed,
    /// A signal came first.
    Interrupted,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Io(e) => write!(f, "could not be written: {e}"),
            WriteError::Changed => f.write_str(
                "could not be written: it changed after affilint read it (another program \
                 wrote it); its new content is kept, run fix again",
            ),
            WriteError::Interrupted => f.write_str("interrupted before it was written"),
        }
    }
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// A new temporary file in `dir`, locked by this run, readable by its owner only.
pub(crate) fn temp_in(dir: &Path) -> io::Result<NamedTempFile> {
    temp_with(dir, None)
}

/// A new temporary file in `dir`, locked by this run; with `permissions`, created with them
/// (less the umask, as any new file).
fn temp_with(dir: &Path, permissions: Option<fs::Permissions>) -> io::Result<NamedTempFile> {
    for _ in 0..TEMP_ATTEMPTS {
        let mut builder = tempfile::Builder::new();
        builder
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RANDOM);
        if let Some(permissions) = &permissions {
            builder.permissions(permissions.clone());
        }
        let temp = builder.tempfile_in(dir)?;
        // A run cleaning up leftovers may have taken it between its creation and the lock:
        // then its lock is theirs, or the name is gone, and a new one is made.
        let locked = flock(temp.as_file(), FlockOperation::NonBlockingLockExclusive).is_ok();
        let ours = |path: &Path| {
            let (Ok(at_path), Ok(held)) = (fs::symlink_metadata(path), temp.as_file().metadata())
            else {
                return false;
            };
            at_path.dev() == held.dev() && at_path.ino() == held.ino()
        };
        if locked && ours(temp.path()) {
            return Ok(temp);
        }
    }
    Err(io::Error::other(
        "cannot create a temporary file that stays ours",
    ))
}

/// A file affilint writes whole (a report, a baseline), so that no reader ever sees half of
/// it and a run that fails leaves the previous one.
pub(crate) enum WholeFile {
    /// A regular file, or a new one: a temporary file beside it, renamed over it by
    /// [`WholeFile::commit`], with the mode the file had (a new one: 0666 less the umask).
    Replace {
        temp: NamedTempFile,
        target: PathBuf,
        permissions: fs::Permissions,
    },
    /// A FIFO, a terminal or another special file (`/dev/stdout`): written straight through.
    Through(File),
}

impl WholeFile {
    /// Prepares to write `path`. A symlink is followed (the file it names is replaced, the
    /// link stays); a directory, or a directory that does not exist, is an error now, before
    /// any work.
    pub(crate) fn create(path: &Path) -> io::Result<WholeFile> {
        let target = match fs::canonicalize(path) {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => path.to_owned(),
            Err(e) => return Err(e),
        };
        let dir = dir_of(&target);
        let no_dir = |e: io::Error| match e.kind() {
            io::ErrorKind::NotFound => io::Error::new(
                io::ErrorKind::NotFound,
                format!("no directory {}", dir.display()),
            ),
            _ => e,
        };
        match fs::metadata(&target) {
            Ok(m) if m.is_dir() => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )),
            Ok(m) if !m.is_file() => Ok(WholeFile::Through(
                fs::OpenOptions::new().write(true).open(&target)?,
            )),
            Ok(m) => Ok(WholeFile::Replace {
                temp: temp_in(dir).map_err(no_dir)?,
                target,
                permissions: m.permissions(),
            }),
            Err(_) => {
                let temp =
                    temp_with(dir, Some(fs::Permissions::from_mode(0o666))).map_err(no_dir)?;
                let permissions = temp.as_file().metadata()?.permissions();
                Ok(WholeFile::Replace {
                    temp,
                    target,
                    permissions,
                })
            }
        }
    }

    /// Where the content goes.
    pub(crate) fn writer(&self) -> io::Result<File> {
        match self {
            WholeFile::Replace { temp, .. } => temp.reopen(),
            WholeFile::Through(file) => file.try_clone(),
        }
    }

    /// Puts the file written in place (see [`commit`]).
    pub(crate) fn commit(self) -> Result<(), WriteError> {
        match self {
            WholeFile::Replace {
                temp,
                target,
                permissions,
            } => commit(temp, &target, permissions, None),
            WholeFile::Through(_) => Ok(()),
        }
    }
}

/// Writes `value` to `path` as pretty JSON with a final newline, as fix writes a page: a
/// locked temporary file, flushed, renamed, the directory flushed. The error names the path.
pub(crate) fn json_file(path: &Path, value: &impl serde::Serialize) -> Result<(), String> {
    let cannot = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut json = serde_json::to_string_pretty(value).map_err(|e| cannot(&e))?;
    json.push('\n');
    let file = WholeFile::create(path).map_err(|e| cannot(&e))?;
    let mut writer = file.writer().map_err(|e| cannot(&e))?;
    io::Write::write_all(&mut writer, json.as_bytes()).map_err(|e| cannot(&e))?;
    file.commit().map_err(|e| cannot(&e))
}

/// `path`, one of affilint's temporary files, opened and locked when no running affilint
/// holds it (and it is not a new one another run is about to lock); `None` otherwise, or
/// when it is gone already (renamed into place by the run that made it).
fn left_behind(path: &Path) -> io::Result<Option<File>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
        return Ok(None);
    }
    let metadata = file.metadata()?;
    let age = metadata.modified()?.elapsed().unwrap_or_default();
    Ok((metadata.len() > 0 || age >= FRESH).then_some(file))
}

/// Whether `path`, one of affilint's temporary files, was left behind by a run that is gone.
pub(crate) fn is_left_behind(path: &Path) -> bool {
    left_behind(path).is_ok_and(|file| file.is_some())
}

/// Removes `path`, one of affilint's temporary files, if a run that is gone left it behind.
/// Returns whether it was removed.
pub(crate) fn remove_leftover(path: &Path) -> io::Result<bool> {
    let Some(_locked) = left_behind(path)? else {
        return Ok(false);
    };
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Gives `temp` the mode, flushes it to disk, makes sure `target` is still the file that was
/// read (`read`, when there is one), renames `temp` over it and flushes the directory.
pub(crate) fn commit(
    temp: NamedTempFile,
    target: &Path,
    permissions: fs::Permissions,
    read: Option<&Identity>,
) -> Result<(), WriteError> {
    temp.as_file().set_permissions(permissions)?;
    temp.as_file().sync_all()?;
    if let Some(read) = read {
        let now = fs::metadata(target).map(|m| Identity::of(&m));
        if now.ok().as_ref() != Some(read) {
            return Err(WriteError::Changed);
        }
    }
    temp.persist(target).map_err(|e| WriteError::Io(e.error))?;
    // Make the rename durable; not every platform can open a directory.
    if let Ok(dir) = File::open(dir_of(target)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A fixed document on its way to a temporary file in `dir`. In place (`original` is the
/// file being read), nothing is written until the first rewritten byte; a copy writes every
/// byte. The first failure is kept and nothing more is written (the document is still read to
/// its end, so its findings are all reported); after a signal, the finished document is not
/// written.
pub(crate) struct Staged<'a> {
    dir: PathBuf,
    original: Option<&'a File>,
    unchanged: u64,
    temp: Option<BufWriter<NamedTempFile>>,
    failed: Option<io::Error>,
    /// The original got shorter while it was read: someone else wrote it.
    shrank: bool,
    interrupt: &'a Interrupt,
}

impl<'a> Staged<'a> {
    /// For rewriting `original` in place, in `dir`.
    pub(crate) fn in_place(dir: &Path, original: &'a File, interrupt: &'a Interrupt) -> Self {
        Staged {
            dir: dir.to_path_buf(),
            original: Some(original),
            unchanged: 0,
            temp: None,
            failed: None,
            shrank: false,
            interrupt,
        }
    }

    /// For a copy written whole into `dir`.
    pub(crate) fn copy(dir: &Path, interrupt: &'a Interrupt) -> Self {
        Staged {
            dir: dir.to_path_buf(),
            original: None,
            unchanged: 0,
            temp: None,
            failed: None,
            shrank: false,
            interrupt,
        }
    }

    /// The temporary file, started on first use (in place: with the unchanged bytes so far,
    /// read back from the original).
    fn start(&mut self) -> io::Result<&mut BufWriter<NamedTempFile>> {
        if self.temp.is_none() {
            let mut temp = BufWriter::new(temp_in(&self.dir)?);
            if let Some(original) = self.original {
                let mut buf = vec![0; 64 * 1024];
                let mut at = 0;
                while at < self.unchanged {
                    let want = usize::try_from(self.unchanged - at)
                        .map_or(buf.len(), |n| n.min(buf.len()));
                    let n = original.read_at(&mut buf[..want], at).map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot read it back: {e}"))
                    })?;
                    if n == 0 {
                        self.shrank = true;
                        return Err(io::Error::other("it got shorter while it was read"));
                    }
                    temp.write_all(&buf[..n])?;
                    at += n as u64;
                }
            }
            self.temp = Some(temp);
        }
        Ok(self
            .temp
            .as_mut()
            .unwrap_or_else(|| unreachable!("started above")))
    }

    fn write(&mut self, bytes: &[u8], rewritten: bool) -> io::Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        if self.temp.is_none() && !rewritten && self.original.is_some() {
            self.unchanged += bytes.len() as u64;
            return Ok(());
        }
        if let Err(e) = self.start().and_then(|temp| temp.write_all(bytes)) {
            self.failed = Some(e);
            self.temp = None;
        }
        Ok(())
    }

    /// The temporary file with the whole document, or `None` in place when nothing changed.
    pub(crate) fn finish(mut self) -> Result<Option<NamedTempFile>, WriteError> {
        let nothing_to_write = self.original.is_some() && self.temp.is_none();
        if self.interrupt.is_set() && !nothing_to_write {
            return Err(WriteError::Interrupted);
        }
        if self.shrank {
            return Err(WriteError::Changed);
        }
        if self.original.is_none() && self.failed.is_none() {
            // A copy of an empty document is an empty file.
            if let Err(e) = self.start() {
                self.failed = Some(e);
            }
        }
        if let Some(e) = self.failed.take() {
            return Err(WriteError::Io(e));
        }
        match self.temp.take() {
            Some(writer) => Ok(Some(writer.into_inner().map_err(|e| e.into_error())?)),
            None => Ok(None),
        }
    }
}

impl Output for Staged<'_> {
    fn original(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write(bytes, false)
    }

    fn rewritten(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write(bytes, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_affilints_own_temporary_names_are_recognised() {
        assert!(is_temp_name(".affilint-Ab3dE9.tmp"));
        for other in [
            ".affilint-Ab3dE.tmp",
            ".affilint-Ab3dE9x.tmp",
            "affilint-Ab3dE9.tmp",
            ".affilint-Ab3dE9.html",
            ".affilint-Ab-dE9.tmp",
            "index.html",
        ] {
            assert!(!is_temp_name(other), "{other}");
        }
    }

    #[test]
    fn a_temporary_file_is_ours_until_it_is_gone_and_only_a_free_one_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut temp = temp_in(dir.path()).unwrap();
        let name = temp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(is_temp_name(&name), "{name}");
        temp.write_all(b"half a page").unwrap();
        assert!(!remove_leftover(temp.path()).unwrap(), "held by this run");
        let path = temp.path().to_path_buf();
        let (file, path_kept) = temp.keep().unwrap();
        drop(file);
        assert_eq!(path, path_kept);
        assert!(is_left_behind(&path));
        assert!(remove_leftover(&path).unwrap(), "free: its run is gone");
        assert!(!path.exists());
        // An empty one seconds old may be another run's, about to lock it.
        let fresh = dir.path().join(".affilint-Fr3shX.tmp");
        fs::write(&fresh, "").unwrap();
        assert!(!is_left_behind(&fresh));
        assert!(!remove_leftover(&fresh).unwrap());
        assert!(fresh.exists());
    }

    #[test]
    fn a_changed_target_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.html");
        fs::write(&target, "old").unwrap();
        let read = Identity::of(&fs::metadata(&target).unwrap());
        // Someone else replaces the file.
        fs::write(dir.path().join("b.html"), "theirs").unwrap();
        fs::rename(dir.path().join("b.html"), &target).unwrap();
        let mut temp = temp_in(dir.path()).unwrap();
        temp.write_all(b"ours").unwrap();
        let permissions = fs::metadata(&target).unwrap().permissions();
        let err = commit(temp, &target, permissions, Some(&read)).unwrap_err();
        assert!(matches!(err, WriteError::Changed), "{err}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "theirs");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "the temporary file is gone");
    }
}

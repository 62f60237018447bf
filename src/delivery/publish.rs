//! Stage 6: put the files in the output folder without ever showing a reader
//! a half-written feed, touching a file whose bytes did not change, or
//! deleting anything pressfeed did not write.
//!
//! - One run at a time: the output folder itself is locked (`flock`), so no
//!   lock file appears in it.
//! - Every changed file is written to a temporary file in its own folder;
//!   the temporary files are synced (one `syncfs` for the batch on Linux),
//!   then each is renamed over the old file; the folders are synced after
//!   (again one `syncfs` on Linux).
//! - A file whose bytes would not change is left alone, so its mtime (and a
//!   web server's ETag and Last-Modified) stay put.
//! - The manifest (`.pressfeed-manifest`) lists the files pressfeed owns. It
//!   is extended before any new file appears and trimmed after stale files are
//!   removed, so a run killed at any point leaves no file unaccounted for and
//!   the next run finishes the job. Temporary files of a killed run are
//!   removed by the next run.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[cfg(not(target_os = "linux"))]
use rayon::prelude::*;

/// The list of files pressfeed owns, in the output folder.
pub const MANIFEST: &str = ".pressfeed-manifest";
/// Temporary files end with this; a run removes any it finds in its folders.
const TMP_SUFFIX: &str = ".pressfeed-tmp";

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// The files written (new or changed), relative to the output folder,
    /// in order.
    pub changed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{}: {source}", crate::diag::shown(path))]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{}: pressfeed would overwrite files it did not write: {files}",
        crate::diag::shown(path)
    )]
    Foreign { path: PathBuf, files: String },
    #[error("{}: another pressfeed run holds the output folder (waited {}s)", crate::diag::shown(path), waited.as_secs())]
    Locked { path: PathBuf, waited: Duration },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A lock held on an output folder, released when dropped.
#[derive(Debug)]
pub struct OutputLock {
    out: PathBuf,
    _dir: File,
}

impl OutputLock {
    /// The locked output folder.
    pub fn path(&self) -> &Path {
        &self.out
    }
}

/// One publish, file by file, so a caller can write each file as soon as it
/// is made instead of holding the whole output in memory. The caller takes
/// the lock with [`lock`] before its first change to the output folder and
/// keeps it until after its last, so that no other run interleaves with any
/// of it:
/// [`Session::begin`] with every path the run will write, [`Session::put`]
/// each file (from any thread), then [`Session::finish`].
pub struct Session<'l> {
    out: &'l Path,
    manifest_path: PathBuf,
    old: BTreeSet<String>,
    new: BTreeSet<String>,
    union: BTreeSet<String>,
    /// Test hook: fail with an I/O error after renaming this many new files
    /// into place (the moment a killed run leaves some feeds new, some old).
    fail_after: Option<usize>,
    /// Temporary files written, with the paths they replace: renamed into
    /// place by `finish`, after they are synced.
    pending: Mutex<Temps>,
    unchanged: AtomicUsize,
    /// Folders created by this run, and the folders holding them: synced at
    /// the end so that a power cut loses no new folder.
    created: BTreeSet<PathBuf>,
    /// Folders a file was renamed into.
    touched: Mutex<BTreeSet<PathBuf>>,
}

impl<'l> Session<'l> {
    /// Starts publishing `planned` (every path the run will [`put`]) into
    /// the locked folder: removes temporary files of killed runs, makes the
    /// manifest own every planned file before any exists, creates folders.
    ///
    /// [`put`]: Session::put
    pub fn begin(
        lock: &'l OutputLock,
        planned: BTreeSet<String>,
        fail_after: Option<usize>,
    ) -> Result<Session<'l>, PublishError> {
        let out = lock.path();
        let manifest_path = out.join(MANIFEST);
        let old = read_manifest(&manifest_path)?;
        let new = planned;
        for p in &new {
            if !is_safe(p) || p == MANIFEST {
                return Err(PublishError::Io {
                    path: out.join(p),
                    source: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "output path leaves the output folder",
                    ),
                });
            }
        }

        // Never overwrite a file pressfeed did not write (a site's own
        // index.html, say): stop before anything changes, naming them all.
        let foreign: Vec<&String> = new
            .iter()
            .filter(|p| !old.contains(*p) && fs::symlink_metadata(out.join(p)).is_ok())
            .collect();
        if let Some(first) = foreign.first() {
            let listed: Vec<&str> = foreign.iter().take(10).map(|p| p.as_str()).collect();
            let more = match foreign.len() {
                n if n > 10 => format!(" and {} more", n - 10),
                _ => String::new(),
            };
            return Err(PublishError::Foreign {
                path: out.join(first),
                files: format!("{}{more}", listed.join(", ")),
            });
        }

        // Folders this run may write to or remove from; always the output
        // folder, where the manifest's temporary file goes.
        let mut dirs: BTreeSet<PathBuf> =
            old.iter().chain(&new).map(|p| parent_of(out, p)).collect();
        dirs.insert(out.to_path_buf());
        for dir in &dirs {
            remove_stale_temps(dir)?;
        }

        // Own every file before it exists, so an interrupted run leaves none
        // unaccounted for.
        let union: BTreeSet<String> = old.union(&new).cloned().collect();
        if union != old {
            write_manifest(&manifest_path, &union)?;
        }

        let mut created = BTreeSet::new();
        let new_dirs: BTreeSet<PathBuf> = new.iter().map(|p| parent_of(out, p)).collect();
        for dir in &new_dirs {
            let mut d = dir.as_path();
            while !d.is_dir() {
                let Some(parent) = d.parent() else { break };
                created.insert(parent.to_path_buf());
                d = parent;
            }
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        Ok(Session {
            out,
            manifest_path,
            old,
            new,
            union,
            fail_after,
            pending: Mutex::new(Temps::default()),
            unchanged: AtomicUsize::new(0),
            created,
            touched: Mutex::new(BTreeSet::new()),
        })
    }

    /// Publishes one planned file: left alone when its bytes are already
    /// there, else written to a temporary file beside it, which `finish`
    /// syncs and renames over it.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<(), PublishError> {
        self.put_pieces(rel, &[bytes])
    }

    /// [`put`](Session::put) for a file given as the pieces it is made of,
    /// written with vectored writes rather than joined first.
    pub fn put_pieces(&self, rel: &str, pieces: &[&[u8]]) -> Result<(), PublishError> {
        let path = self.out.join(rel);
        if !self.new.contains(rel) {
            return Err(PublishError::Io {
                path,
                source: io::Error::new(io::ErrorKind::InvalidInput, "file was not planned"),
            });
        }
        if same_bytes(&path, pieces)? {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let tmp = write_temp(&path, pieces, false)?;
        self.touched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(parent_of(self.out, rel));
        match self.pending.lock() {
            Ok(mut pending) => pending.0.push((tmp, path)),
            Err(_) => return Err(io_err(&path)(io::Error::other("a writer thread panicked"))),
        }
        Ok(())
    }

    /// The paths (relative, `/` separated) whose new bytes [`finish`] will
    /// rename into place: known after the last [`put`], before any rename,
    /// so that what must follow a change (telling hubs) can be recorded
    /// first.
    ///
    /// [`finish`]: Session::finish
    /// [`put`]: Session::put
    pub fn changing(&self) -> Vec<String> {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut paths: Vec<String> = pending
            .0
            .iter()
            .filter_map(|(_, path)| path.strip_prefix(self.out).ok())
            .map(|rel| rel.to_string_lossy().replace('\\', "/"))
            .collect();
        paths.sort();
        paths
    }

    /// Makes the writes durable, removes the files of the last run that
    /// this one did not produce (and folders they leave empty), and trims
    /// the manifest.
    pub fn finish(self) -> Result<PublishStats, PublishError> {
        let out = self.out;
        // A poisoned lock means a writer thread panicked, and the panic is
        // already on its way: what it holds is still every file written. On
        // any error below, dropping `pending` removes the temporary files
        // not yet renamed into place.
        let mut pending = self
            .pending
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.0.sort();
        // The new files are on disk before any is renamed into place.
        sync_paths(out, pending.0.iter().map(|(tmp, _)| tmp))?;
        // Each rename swaps a whole old file for a whole new one; an
        // abandoned run (see [`abandon`]) stops before the batch or after it.
        let commit = COMMIT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (n, (tmp, path)) in pending.0.iter().enumerate() {
            if self.fail_after.is_some_and(|limit| n >= limit) {
                return Err(PublishError::Io {
                    path: path.clone(),
                    source: io::Error::other("injected failure (test hook)"),
                });
            }
            fs::rename(tmp, path).map_err(io_err(path))?;
        }
        drop(commit);
        let changed: Vec<String> = pending
            .0
            .iter()
            .filter_map(|(_, path)| path.strip_prefix(out).ok())
            .map(|rel| rel.to_string_lossy().replace('\\', "/"))
            .collect();
        forget_temps(pending.0.drain(..).map(|(tmp, _)| tmp));
        let mut to_sync = self
            .touched
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        to_sync.extend(self.created);
        sync_paths(out, &to_sync)?;

        let mut removed = 0;
        // Folders that lost an entry and remain.
        let mut shrunk = BTreeSet::new();
        for stale in self.old.difference(&self.new) {
            let path = out.join(stale);
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
            // Remove folders left empty, up to (not including) the output
            // folder. One that is not empty (it holds a file pressfeed did
            // not write) stays, and so do its parents.
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == out {
                    shrunk.insert(d.to_path_buf());
                    break;
                }
                match fs::remove_dir(d) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(_) => {
                        shrunk.insert(d.to_path_buf());
                        break;
                    }
                }
                dir = d.parent();
            }
        }
        // The removals are on disk before the manifest forgets the files:
        // after a power cut, a file that comes back is still owned, and
        // still removed. (A folder emptied by a later removal is gone; its
        // parent is synced.)
        shrunk.retain(|d| d.is_dir());
        sync_paths(out, &shrunk)?;

        if self.union != self.new {
            write_manifest(&self.manifest_path, &self.new)?;
        }
        Ok(PublishStats {
            written: changed.len(),
            unchanged: self.unchanged.into_inner(),
            removed,
            changed,
        })
    }
}

/// Temporary files written by a session and the paths they replace. Those
/// still listed when it is dropped (the run failed before renaming them)
/// are removed.
#[derive(Debug, Default)]
struct Temps(Vec<(PathBuf, PathBuf)>);

impl Drop for Temps {
    fn drop(&mut self) {
        for (tmp, _) in &self.0 {
            let _ = fs::remove_file(tmp);
        }
        forget_temps(self.0.drain(..).map(|(tmp, _)| tmp));
    }
}

/// Every temporary file this process has made and not yet renamed or
/// removed, so that [`abandon`] can remove them; and whether it has.
struct InFlight {
    temps: BTreeSet<PathBuf>,
    abandoned: bool,
}

static IN_FLIGHT: Mutex<InFlight> = Mutex::new(InFlight {
    temps: BTreeSet::new(),
    abandoned: false,
});

/// Held while a session renames its batch of files into place.
static COMMIT: Mutex<()> = Mutex::new(());

fn in_flight() -> std::sync::MutexGuard<'static, InFlight> {
    IN_FLIGHT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn forget_temps(temps: impl Iterator<Item = PathBuf>) {
    let mut in_flight = in_flight();
    for tmp in temps {
        in_flight.temps.remove(&tmp);
    }
}

/// Gives up the run from another thread (a watchdog whose time ran out),
/// before the process exits: waits up to `grace` for a batch of renames in
/// progress to finish, so that a feed set is never left half old, half new;
/// then removes every temporary file the run made, and makes any further
/// attempt to write one fail. Whatever is already published stays.
pub fn abandon(grace: Duration) {
    let start = Instant::now();
    let _commit = loop {
        match COMMIT.try_lock() {
            Ok(guard) => break Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => break Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if start.elapsed() < grace => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::sync::TryLockError::WouldBlock) => break None,
        }
    };
    let mut in_flight = in_flight();
    in_flight.abandoned = true;
    for tmp in std::mem::take(&mut in_flight.temps) {
        let _ = fs::remove_file(tmp);
    }
    // The commit guard is kept until the process exits: no batch starts.
    std::mem::forget(_commit);
}

/// Creates the output folder if missing and locks it, waiting up to `wait`
/// for another run to release it.
pub fn lock(out: &Path, wait: Duration) -> Result<OutputLock, PublishError> {
    fs::create_dir_all(out).map_err(io_err(out))?;
    let dir = File::open(out).map_err(io_err(out))?;
    let start = Instant::now();
    loop {
        match dir.try_lock() {
            Ok(()) => {
                return Ok(OutputLock {
                    out: out.to_path_buf(),
                    _dir: dir,
                });
            }
            Err(fs::TryLockError::WouldBlock) => {
                if start.elapsed() >= wait {
                    return Err(PublishError::Locked {
                        path: out.to_path_buf(),
                        waited: start.elapsed(),
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err(out)(e)),
        }
    }
}

/// A relative path made of plain names only: nothing that could leave the
/// output folder.
fn is_safe(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains('\\')
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

fn parent_of(out: &Path, rel: &str) -> PathBuf {
    out.join(rel)
        .parent()
        .map_or_else(|| out.to_path_buf(), Path::to_path_buf)
}

fn read_manifest(path: &Path) -> Result<BTreeSet<String>, PublishError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| !l.starts_with('#') && is_safe(l) && *l != MANIFEST)
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(io_err(path)(e)),
    }
}

fn write_manifest(path: &Path, files: &BTreeSet<String>) -> Result<(), PublishError> {
    let mut text = String::from(
        "# Files written by pressfeed. pressfeed deletes a listed file when it\n# no longer produces it, and never touches a file not listed here.\n",
    );
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Whether `path` holds exactly the concatenation of `pieces`.
fn same_bytes(path: &Path, pieces: &[&[u8]]) -> Result<bool, PublishError> {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    match fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == len as u64 => {
            let old = fs::read(path).map_err(io_err(path))?;
            let mut rest = old.as_slice();
            for piece in pieces {
                let Some(tail) = rest.strip_prefix(*piece) else {
                    return Ok(false);
                };
                rest = tail;
            }
            Ok(rest.is_empty())
        }
        Ok(m) if m.is_dir() => Err(PublishError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::IsADirectory,
                "a folder is in the way of a feed file",
            ),
        }),
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// over `path`. Readers see the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let tmp = write_temp(path, &[bytes], true)?;
    let renamed = fs::rename(&tmp, path);
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    forget_temps(std::iter::once(tmp));
    renamed.map_err(io_err(path))
}

/// Writes `bytes` to a new temporary file beside `path` (synced when `sync`
/// is set) and returns its path. Its name ends with [`TMP_SUFFIX`], so a run
/// that is killed leaves nothing the next run does not clean up.
fn write_temp(path: &Path, pieces: &[&[u8]], sync: bool) -> Result<PathBuf, PublishError> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}-{}{TMP_SUFFIX}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        // Mode 0666 less the umask, like any file a program writes: readable
        // by the web server, unlike the 0600 of most temp-file helpers.
        let mut file = {
            // Made and listed together, so `abandon` removes every one.
            let mut in_flight = in_flight();
            if in_flight.abandoned {
                return Err(io::Error::other("the run was abandoned"));
            }
            let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            in_flight.temps.insert(tmp.clone());
            file
        };
        write_all_pieces(&mut file, pieces)?;
        start_writeback(&file);
        if sync {
            file.sync_all()?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            forget_temps(std::iter::once(tmp));
            Err(io_err(path)(e))
        }
    }
}

/// Writes every piece, in order, with as few `writev` calls as the system
/// allows (std's `write_all_vectored` is not stable yet).
fn write_all_pieces(file: &mut File, pieces: &[&[u8]]) -> io::Result<()> {
    let mut slices: Vec<io::IoSlice<'_>> = pieces.iter().map(|p| io::IoSlice::new(p)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Asks the kernel to start writing `file` to disk now, without waiting for
/// it: by the time the build calls `syncfs`, most of the output is already
/// on disk, and the flush overlaps with making the rest. A hint only: when
/// it fails, `syncfs` still does the whole job.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: sync_file_range only reads its integer arguments; the
        // descriptor is open for as long as `file` is borrowed.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Makes `paths` (files, or folders whose entries changed) durable. On
/// Linux one `syncfs` flushes them all in one pass, far cheaper than a sync
/// per path (1,800 files and 450 folders in a full build); elsewhere each is
/// synced.
fn sync_paths<'p>(
    out: &Path,
    paths: impl IntoIterator<Item = &'p PathBuf>,
) -> Result<(), PublishError> {
    let mut paths = paths.into_iter().peekable();
    if paths.peek().is_none() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        syncfs(out)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = out;
        let paths: Vec<&PathBuf> = paths.collect();
        paths
            .par_iter()
            .try_for_each(|p| File::open(p).and_then(|f| f.sync_all()).map_err(io_err(p)))
    }
}

/// Flushes the whole file system `out` is on.
#[cfg(target_os = "linux")]
fn syncfs(out: &Path) -> Result<(), PublishError> {
    let dir = File::open(out).map_err(io_err(out))?;
    rustix::fs::syncfs(&dir).map_err(|e| io_err(out)(e.into()))
}

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// Removes temporary files left in `dir` by a run that was killed.
fn remove_stale_temps(dir: &Path) -> Result<(), PublishError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(TMP_SUFFIX) {
            let path = entry.path();
            if let Err(e) = fs::remove_file(&path)
                && e.kind() != io::ErrorKind::NotFound
            {
                return Err(io_err(&path)(e));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        assert!(is_safe("rss.xml"));
        assert!(is_safe("ministers/phil-goff/atom.xml"));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "a\\b", "./x"] {
            assert!(!is_safe(bad), "{bad}");
        }
    }

    /// More pieces than one `writev` takes (1,024 on Linux), some empty: the
    /// file holds all of them in order, and is then seen as unchanged.
    #[test]
    fn many_pieces_are_written_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.xml");
        let owned: Vec<String> = (0..3000).map(|i| format!("<{i}>")).collect();
        let mut pieces: Vec<&[u8]> = Vec::new();
        for (i, p) in owned.iter().enumerate() {
            pieces.push(p.as_bytes());
            if i % 7 == 0 {
                pieces.push(b"");
            }
        }
        let tmp = write_temp(&path, &pieces, false).unwrap();
        fs::rename(&tmp, &path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), pieces.concat());
        assert!(same_bytes(&path, &pieces).unwrap());
        pieces.swap(2, 3);
        assert!(!same_bytes(&path, &pieces).unwrap());
    }
}

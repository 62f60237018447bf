//! Stage 6: put the files in the output folder without ever showing a reader
//! a half-written feed, touching a file whose bytes did not change, or
//! touching anything pressfeed did not write.
//!
//! - One run at a time: the output folder itself is locked (`flock`), so no
//!   lock file appears in it.
//! - The output folder is a boundary. Every entry below it is reached from
//!   the folder's open descriptor one name at a time (`openat` with
//!   `O_NOFOLLOW | O_DIRECTORY`), and files are made, renamed and removed
//!   relative to their folder's descriptor (`openat` with `O_EXCL |
//!   O_NOFOLLOW`, `renameat`, `unlinkat`, `mkdirat`), so a symbolic link
//!   planted anywhere in the folder is never followed. A link, folder or
//!   special file where pressfeed would write is an error naming it, raised
//!   before anything is published. Walking the names is portable to every
//!   Unix and costs one `openat` per folder level (feeds are at most four
//!   deep); Linux's `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` would
//!   save those calls but needs a fallback anyway, and `cap-std` follows
//!   links that stay inside the folder, which is what must not happen here.
//! - Every changed file is written to a temporary file in its own folder;
//!   the temporary files are synced (one `syncfs` for the batch on Linux),
//!   then each is renamed over the old file; the folders are synced after
//!   (again one `syncfs` on Linux).
//! - A file whose bytes would not change is left alone, so its mtime (and a
//!   web server's ETag and Last-Modified) stay put.
//! - The manifest (`.pressfeed-manifest`, see [`Manifest`]) lists the files
//!   pressfeed owns, each with its size and BLAKE3 hash. A listed file is
//!   overwritten or removed only while it is still the file pressfeed wrote
//!   (same size and hash), at a path pressfeed could have produced. Just
//!   before the renames, the manifest lists every file with both its old
//!   and its new contents; after the stale files are removed it lists the
//!   new ones only. So a run killed at any point leaves no file
//!   unaccounted for, and the next run finishes the job. A manifest that
//!   cannot be read line by line is reported and rebuilt from the files
//!   pressfeed can prove it wrote; it never blocks a run. Temporary files
//!   of a killed run are removed by the next run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::diag::Diagnostic;

/// The list of files pressfeed owns, in the output folder.
pub const MANIFEST: &str = ".pressfeed-manifest";
/// Temporary files end with this; a run removes any it finds in its folders.
const TMP_SUFFIX: &str = ".pressfeed-tmp";
/// The first line of a manifest in the current format.
const MANIFEST_HEADER: &str = "# pressfeed manifest 2";
/// A manifest longer than this is not read (a million feeds take 110 MB).
const MANIFEST_MAX_BYTES: u64 = 512 << 20;
/// The extensions of the files pressfeed writes.
const OUTPUT_EXTENSIONS: [&str; 4] = ["xml", "json", "html", "opml"];
/// Deepest output path pressfeed writes (`portfolios/x/archive/3/atom.xml`
/// is five), with room to spare.
const MAX_DEPTH: usize = 8;

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC);
const CREATE_FLAGS: OFlags = OFlags::WRONLY
    .union(OFlags::CREATE)
    .union(OFlags::EXCL)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// A file of the output folder as it is on disk: what a later run compares
/// to know that nobody changed it since (see [`crate::delivery::state`]).
/// A file pressfeed replaces is a new file (a new inode), so a run stopped
/// half-way never leaves a changed file looking unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OnDisk {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime: i128,
    pub ino: u64,
}

impl OnDisk {
    // The stat fields' types differ between platforms.
    #[allow(clippy::unnecessary_cast)]
    fn of(st: &rustix::fs::Stat) -> OnDisk {
        OnDisk {
            size: st.st_size as u64,
            mtime: st.st_mtime as i128 * 1_000_000_000 + st.st_mtime_nsec as i128,
            ino: st.st_ino as u64,
        }
    }
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// The files written (new or changed), relative to the output folder,
    /// in order.
    pub changed: Vec<String>,
    /// Entries of the manifest that were not trusted (a corrupt line, a
    /// path pressfeed never writes, a file changed since pressfeed wrote
    /// it): each left alone and no longer listed.
    pub warnings: Vec<Diagnostic>,
    /// Every planned file that is in the output folder after the run, as
    /// it is on disk.
    pub files: BTreeMap<String, OnDisk>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{}: {source}", crate::diag::shown(path))]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{}: pressfeed would write over or through entries it did not write: {files}",
        crate::diag::shown(path)
    )]
    Foreign { path: PathBuf, files: String },
    #[error("{}: another pressfeed run holds the output folder (waited {}s)", crate::diag::shown(path), waited.as_secs())]
    Locked { path: PathBuf, waited: Duration },
    /// The files put so far add up to more than the output budget
    /// ([`Session::with_budget`]): nothing is published.
    #[error(
        "{}: the output would be more than {max} bytes (max_output_bytes): {total} bytes in the first {files} of {planned} files; nothing was published",
        crate::diag::shown(path)
    )]
    OverBudget {
        path: PathBuf,
        max: u64,
        total: u64,
        files: usize,
        planned: usize,
    },
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
    dir: File,
}

impl OutputLock {
    /// The locked output folder.
    pub fn path(&self) -> &Path {
        &self.out
    }
}

/// The size and BLAKE3 hash of a file pressfeed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp {
    size: u64,
    hash: [u8; 32],
}

impl Stamp {
    fn of(pieces: &[&[u8]]) -> Stamp {
        let mut h = blake3::Hasher::new();
        let mut size = 0;
        for p in pieces {
            h.update(p);
            size += p.len() as u64;
        }
        Stamp {
            size,
            hash: *h.finalize().as_bytes(),
        }
    }
}

/// What the manifest says of one path: the versions pressfeed wrote there
/// (two while a run renames: the old and the new), or, for a manifest of
/// the first format, nothing but the path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Stamped(Vec<Stamp>),
    /// Listed by a manifest of format 1 (paths only): trusted once, for a
    /// path pressfeed could have produced, and stamped from then on.
    Legacy,
}

/// The manifest: every file pressfeed owns in the output folder.
///
/// Format 2 is text: the line [`MANIFEST_HEADER`], comment lines starting
/// with `#`, then one line per file version, `PATH SIZE BLAKE3-HEX`, sorted.
/// A path appears twice only in the manifest written just before a batch
/// of renames (its old and its new version). A path alone is one a run
/// planned to write (so that folders it made for it are removed if it is
/// stopped); it vouches for no file. Format 1 (no header) listed one path
/// a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Manifest(BTreeMap<String, Owned>);

impl Manifest {
    /// Reads a manifest's text. Lines that do not parse, and paths
    /// pressfeed could not have produced, are left out, each with a warning
    /// (the first ten, then a count).
    fn parse(bytes: &[u8]) -> (Manifest, Vec<String>) {
        let mut lines = bytes.split(|&b| b == b'\n').enumerate().peekable();
        let stamped = lines
            .peek()
            .is_some_and(|(_, l)| *l == MANIFEST_HEADER.as_bytes());
        let mut entries: BTreeMap<String, Owned> = BTreeMap::new();
        let mut problems = Vec::new();
        for (n, line) in lines {
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let parsed = std::str::from_utf8(line)
                .ok()
                .and_then(|l| match stamped {
                    true => parse_stamped(l).map(|(p, s)| (p, Some(s))),
                    false => Some((l, None)),
                })
                .filter(|(p, _)| producible(p));
            // A path alone, in this format, is a file a run planned to write
            // and had not yet written when the manifest was saved.
            let parsed = parsed.or_else(|| {
                std::str::from_utf8(line)
                    .ok()
                    .filter(|l| stamped && producible(l))
                    .map(|l| (l, None))
            });
            match parsed {
                Some((path, None)) if stamped => {
                    entries
                        .entry(path.to_string())
                        .or_insert_with(|| Owned::Stamped(Vec::new()));
                }
                Some((path, Some(stamp))) => match entries
                    .entry(path.to_string())
                    .or_insert_with(|| Owned::Stamped(Vec::new()))
                {
                    Owned::Stamped(v) if v.len() < 2 => v.push(stamp),
                    _ => problems.push(n + 1),
                },
                Some((path, None)) => {
                    entries.insert(path.to_string(), Owned::Legacy);
                }
                None => problems.push(n + 1),
            }
        }
        let warnings = match problems.len() {
            0 => Vec::new(),
            n => {
                let shown: Vec<String> = problems.iter().take(10).map(|l| l.to_string()).collect();
                let more = match n {
                    n if n > 10 => format!(" and {} more", n - 10),
                    _ => String::new(),
                };
                vec![format!(
                    "{n} line(s) of the manifest name no file pressfeed writes or cannot be read (line {}{more}): ignored, and the files they name left alone",
                    shown.join(", ")
                )]
            }
        };
        (Manifest(entries), warnings)
    }

    fn text(&self) -> Vec<u8> {
        let mut text = format!(
            "{MANIFEST_HEADER}\n# Files written by pressfeed, with their size and BLAKE3 hash. pressfeed\n# replaces or deletes a listed file only while it is still the one it wrote,\n# and never touches a file not listed here.\n"
        );
        for (path, owned) in &self.0 {
            use std::fmt::Write as _;
            match owned {
                Owned::Stamped(stamps) if stamps.is_empty() => {
                    let _ = writeln!(text, "{path}");
                }
                Owned::Stamped(stamps) => {
                    for s in stamps {
                        let hash = blake3::Hash::from_bytes(s.hash);
                        let _ = writeln!(text, "{path} {} {}", s.size, hash.to_hex());
                    }
                }
                Owned::Legacy => {}
            }
        }
        text.into_bytes()
    }

    /// Whether `stamp` is a version pressfeed wrote at `path`.
    fn vouches(&self, path: &str, stamp: &Stamp) -> bool {
        match self.0.get(path) {
            Some(Owned::Stamped(v)) => v.contains(stamp),
            Some(Owned::Legacy) => true,
            None => false,
        }
    }

    /// Whether a file of `size` bytes at `path` may be pressfeed's (the
    /// hash decides).
    fn may_own(&self, path: &str, size: u64) -> bool {
        match self.0.get(path) {
            Some(Owned::Stamped(v)) => v.iter().any(|s| s.size == size),
            Some(Owned::Legacy) => true,
            None => false,
        }
    }
}

fn parse_stamped(line: &str) -> Option<(&str, Stamp)> {
    let mut fields = line.rsplitn(3, ' ');
    let hash = fields.next()?;
    let size = fields.next()?.parse().ok()?;
    let path = fields.next()?;
    if hash.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(hash.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some((path, Stamp { size, hash: bytes }))
}

/// The output folder, reached through its open descriptor: every path below
/// it is walked one name at a time, never following a link.
#[derive(Clone, Copy)]
struct Tree<'a> {
    root: BorrowedFd<'a>,
    out: &'a Path,
}

impl Tree<'_> {
    /// Opens the folder `rel` (`""` is the output folder itself), creating
    /// missing folders with `create` (their paths are added to `created`).
    /// `None` when it is missing. An entry on the way that is not a folder
    /// (a link, a file) is a [`PublishError::Foreign`] naming it.
    fn dir(
        &self,
        rel: &str,
        create: Option<&mut Vec<String>>,
    ) -> Result<Option<OwnedFd>, PublishError> {
        // One call where the kernel walks the path itself, refusing any
        // link on the way; a missing folder to make, a link or file on the
        // way, or a kernel without `openat2` (or a filter that refuses it)
        // takes the walk below, one name at a time.
        let whole = if rel.is_empty() { "." } else { rel };
        match rustix::fs::openat2(
            self.root,
            whole,
            DIR_FLAGS,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        ) {
            Ok(fd) => return Ok(Some(fd)),
            Err(Errno::NOENT) if create.is_none() => return Ok(None),
            Err(_) => {}
        }
        let mut created = create;
        let mut cur = rustix::fs::openat(self.root, ".", DIR_FLAGS, Mode::empty())
            .map_err(|e| io_err(self.out)(e.into()))?;
        let mut end = 0;
        for name in rel.split('/').filter(|n| !n.is_empty()) {
            end += name.len() + usize::from(end > 0);
            let here = &rel[..end];
            let opened = match rustix::fs::openat(&cur, name, DIR_FLAGS, Mode::empty()) {
                Err(Errno::NOENT) => match created.as_deref_mut() {
                    None => return Ok(None),
                    Some(made) => {
                        match rustix::fs::mkdirat(&cur, name, Mode::from_raw_mode(0o777)) {
                            Ok(()) => made.push(here.to_string()),
                            Err(Errno::EXIST) => {}
                            Err(e) => return Err(io_err(&self.out.join(here))(e.into())),
                        }
                        rustix::fs::openat(&cur, name, DIR_FLAGS, Mode::empty())
                    }
                },
                other => other,
            };
            cur = match opened {
                Ok(fd) => fd,
                Err(Errno::LOOP | Errno::NOTDIR | Errno::MLINK) => {
                    return Err(self.foreign(&[(here.to_string(), kind_at(&cur, name))]));
                }
                Err(e) => return Err(io_err(&self.out.join(here))(e.into())),
            };
        }
        Ok(Some(cur))
    }

    fn foreign(&self, found: &[(String, &str)]) -> PublishError {
        let listed: Vec<String> = found
            .iter()
            .take(10)
            .map(|(p, kind)| format!("{p} ({kind})"))
            .collect();
        let more = match found.len() {
            n if n > 10 => format!(" and {} more", n - 10),
            _ => String::new(),
        };
        PublishError::Foreign {
            path: self.out.join(found.first().map_or("", |(p, _)| p.as_str())),
            files: format!("{}{more}", listed.join(", ")),
        }
    }
}

/// What the entry `name` in `dir` is, for a message.
fn kind_at(dir: impl AsFd, name: &str) -> &'static str {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => describe(FileType::from_raw_mode(st.st_mode)),
        Err(_) => "an entry that cannot be read",
    }
}

fn describe(t: FileType) -> &'static str {
    match t {
        FileType::Symlink => "a symbolic link",
        FileType::Directory => "a folder",
        FileType::RegularFile => "a file pressfeed did not write",
        _ => "a special file",
    }
}

/// `dir/name` split at the last `/` (`""` for the output folder).
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// What is at a path of the output folder, reached without following a
/// link.
enum Reached {
    Missing,
    /// An entry, of any type (not followed if a link).
    Found(rustix::fs::Stat),
    /// Its folder cannot be reached without going through `at`, which is
    /// not a folder (a link, a file): what it is.
    Blocked {
        at: String,
        kind: &'static str,
    },
}

/// What is at each of `paths` (relative to the output folder, same order),
/// each folder opened once, the folders in parallel: one `statat` per path
/// and one walk per folder.
fn reach_each(tree: &Tree<'_>, paths: &[&str]) -> Result<Vec<io::Result<Reached>>, PublishError> {
    let mut by_folder: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (n, rel) in paths.iter().enumerate() {
        by_folder.entry(split(rel).0).or_default().push(n);
    }
    let found: Vec<Vec<(usize, io::Result<Reached>)>> = by_folder
        .into_par_iter()
        .map(|(dir, files)| -> Result<_, PublishError> {
            let dir = match tree.dir(dir, None) {
                Ok(Some(d)) => d,
                Ok(None) => {
                    return Ok(files
                        .into_iter()
                        .map(|n| (n, Ok(Reached::Missing)))
                        .collect());
                }
                Err(PublishError::Foreign { path, .. }) => {
                    let at = path.strip_prefix(tree.out).unwrap_or(&path);
                    let at = at.to_string_lossy().into_owned();
                    let kind = kind_at(tree.root, &at);
                    let blocked = |n| {
                        (
                            n,
                            Ok(Reached::Blocked {
                                at: at.clone(),
                                kind,
                            }),
                        )
                    };
                    return Ok(files.into_iter().map(blocked).collect());
                }
                Err(e) => return Err(e),
            };
            Ok(files
                .into_iter()
                .map(|n| {
                    let there = match rustix::fs::statat(
                        &dir,
                        split(paths[n]).1,
                        AtFlags::SYMLINK_NOFOLLOW,
                    ) {
                        Ok(st) => Ok(Reached::Found(st)),
                        Err(Errno::NOENT) => Ok(Reached::Missing),
                        Err(e) => Err(e.into()),
                    };
                    (n, there)
                })
                .collect())
        })
        .collect::<Result<_, _>>()?;
    let mut reached: Vec<Option<io::Result<Reached>>> = (0..paths.len()).map(|_| None).collect();
    for (n, there) in found.into_iter().flatten() {
        reached[n] = Some(there);
    }
    Ok(reached
        .into_iter()
        .map(|r| r.expect("every path is in one folder"))
        .collect())
}

/// The entry `name` in `dir`, not followed: its type and size.
fn entry(dir: impl AsFd, name: &str) -> io::Result<Option<(FileType, u64)>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some((
            FileType::from_raw_mode(st.st_mode),
            st.st_size as u64,
        ))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The stamp of the regular file `name` in `dir` (opened without following
/// a link), read to its end.
fn stamp_file(dir: impl AsFd, name: &str) -> io::Result<Stamp> {
    let file = File::from(rustix::fs::openat(dir, name, READ_FLAGS, Mode::empty())?);
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut h = blake3::Hasher::new();
    h.update_reader(&file)?;
    Ok(Stamp {
        size: h.count(),
        hash: *h.finalize().as_bytes(),
    })
}

/// One publish, file by file, so a caller can write each file as soon as it
/// is made instead of holding the whole output in memory. The caller takes
/// the lock with [`lock`] before its first change to the output folder and
/// keeps it until after its last, so that no other run interleaves with any
/// of it:
/// [`Session::begin`] with every path the run will write, [`Session::put`]
/// each file (from any thread), then [`Session::finish`].
pub struct Session<'l> {
    tree: Tree<'l>,
    old: Manifest,
    /// The manifest's bytes as read, so an unchanged one is not rewritten.
    old_text: Vec<u8>,
    new: BTreeSet<String>,
    /// Test hook: fail with an I/O error after renaming this many new files
    /// into place (the moment a killed run leaves some feeds new, some old).
    fail_after: Option<usize>,
    /// Temporary files written (their paths, and the paths they replace):
    /// renamed into place by `finish`, after they are synced.
    pending: Mutex<Temps>,
    /// Every planned file put so far: the stamp of the file it replaces,
    /// if there was one, and its own.
    stamps: Mutex<BTreeMap<String, (Option<Stamp>, Stamp)>>,
    unchanged: AtomicUsize,
    warnings: Vec<Diagnostic>,
    /// The planned files pressfeed wrote that are there when the run
    /// starts, as they are on disk.
    on_disk: BTreeMap<String, OnDisk>,
    /// The files this run wrote, as they will be on disk once renamed.
    written_on_disk: Mutex<BTreeMap<String, OnDisk>>,
    /// The most bytes the planned files may add up to, and what those put
    /// so far add up to.
    budget: Option<u64>,
    total: AtomicU64,
    counted: AtomicUsize,
    /// Last, so the temporary files are removed before it runs.
    undo: Undo<'l>,
}

/// What [`Session::begin`] changed before the first file was put (the
/// manifest rewritten to own new paths, folders made for them), undone
/// when the session is dropped over its budget: a build refused for its
/// size leaves the output folder exactly as it found it.
struct Undo<'l> {
    tree: Tree<'l>,
    /// The manifest's bytes before `begin` rewrote it (empty: there was
    /// none); `None` when it did not.
    manifest: Option<Vec<u8>>,
    /// Folders `begin` made, parents first.
    created: Vec<String>,
    armed: AtomicBool,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if !*self.armed.get_mut() {
            return;
        }
        match self.manifest.as_deref() {
            None => {}
            Some([]) => {
                let _ = rustix::fs::unlinkat(self.tree.root, MANIFEST, AtFlags::empty());
            }
            Some(text) => {
                let _ = write_manifest(&self.tree, text);
            }
        }
        for dir in self.created.iter().rev() {
            let (parent, name) = split(dir);
            if let Ok(Some(fd)) = self.tree.dir(parent, None) {
                // Never follows a link; fails on a folder that is not empty.
                let _ = rustix::fs::unlinkat(&fd, name, AtFlags::REMOVEDIR);
            }
        }
    }
}

impl<'l> Session<'l> {
    /// Starts publishing `planned` (every path the run will [`put`]) into
    /// the locked folder: reads the manifest, refuses to start if a link,
    /// folder or file pressfeed did not write is where it would write,
    /// removes temporary files of killed runs, creates folders.
    ///
    /// [`put`]: Session::put
    pub fn begin(
        lock: &'l OutputLock,
        planned: BTreeSet<String>,
        fail_after: Option<usize>,
    ) -> Result<Session<'l>, PublishError> {
        let tree = Tree {
            root: lock.dir.as_fd(),
            out: lock.path(),
        };
        let out = tree.out;
        for p in &planned {
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
        let (old, old_text, warnings) = read_manifest(&tree)?;

        // Never write over or through an entry pressfeed did not write (a
        // site's own index.html, a link to another folder): stop before
        // anything changes, naming them all.
        // What each planned path holds: nothing, a file pressfeed wrote
        // (as it is on disk), or something else (named in the error).
        let planned_paths: Vec<&str> = planned.iter().map(String::as_str).collect();
        let mut found: BTreeMap<String, &str> = BTreeMap::new();
        let mut on_disk: BTreeMap<String, OnDisk> = BTreeMap::new();
        for (rel, there) in planned_paths.iter().zip(reach_each(&tree, &planned_paths)?) {
            match there.map_err(io_err(&out.join(rel)))? {
                Reached::Missing => {}
                Reached::Blocked { at, kind } => {
                    found.insert(at, kind);
                }
                Reached::Found(st) => {
                    let t = FileType::from_raw_mode(st.st_mode);
                    let d = OnDisk::of(&st);
                    if t == FileType::RegularFile && old.may_own(rel, d.size) {
                        on_disk.insert(rel.to_string(), d);
                    } else {
                        found.insert(rel.to_string(), describe(t));
                    }
                }
            }
        }
        if !found.is_empty() {
            let found: Vec<(String, &str)> = found.into_iter().collect();
            return Err(tree.foreign(&found));
        }

        // Folders this run may write to or remove from; always the output
        // folder, where the manifest's temporary file goes.
        let mut dirs: BTreeSet<&str> = old.0.keys().chain(&planned).map(|p| split(p).0).collect();
        dirs.insert("");
        // Side by side (a million releases' output has tens of thousands
        // of folders); the first error in the folders' order is reported.
        let dirs: Vec<&str> = dirs.into_iter().collect();
        let scanned: Vec<Result<bool, PublishError>> = dirs
            .par_iter()
            .map(|dir| match tree.dir(dir, None) {
                Ok(Some(fd)) => remove_stale_temps(&fd, &out.join(dir)).map(|()| true),
                // A folder pressfeed cannot reach without following a
                // link holds none of its files.
                _ => Ok(false),
            })
            .collect();
        // The folders reached, which need not be made.
        let mut reached = BTreeSet::new();
        for (dir, scanned) in dirs.iter().zip(scanned) {
            if scanned? {
                reached.insert(dir.to_string());
            }
        }

        // Own every planned path before its folder is made, so the folders
        // of a run stopped before its renames are removed by the next one.
        let mut old = old;
        let mut old_text = old_text;
        let mut manifest_before = None;
        if planned.iter().any(|p| !old.0.contains_key(p)) {
            manifest_before = Some(old_text.clone());
            stamp_legacy(&tree, &mut old);
            for p in &planned {
                old.0
                    .entry(p.clone())
                    .or_insert_with(|| Owned::Stamped(Vec::new()));
            }
            old_text = old.text();
            write_manifest(&tree, &old_text)?;
        }
        let mut created = Vec::new();
        let new_dirs: BTreeSet<&str> = planned.iter().map(|p| split(p).0).collect();
        for dir in new_dirs.into_iter().filter(|d| !reached.contains(*d)) {
            tree.dir(dir, Some(&mut created))?;
        }
        set_root(tree.root)?;
        let warnings = warnings
            .into_iter()
            .map(|w| {
                Diagnostic::warning(&out.join(MANIFEST), 0, 0, w)
                    .with_hint("pressfeed rebuilt the manifest from the files it can prove it wrote; delete any file it no longer writes by hand")
            })
            .collect();
        Ok(Session {
            tree,
            old,
            old_text,
            new: planned,
            fail_after,
            pending: Mutex::new(Temps::default()),
            stamps: Mutex::new(BTreeMap::new()),
            unchanged: AtomicUsize::new(0),
            warnings,
            on_disk,
            written_on_disk: Mutex::new(BTreeMap::new()),
            budget: None,
            total: AtomicU64::new(0),
            counted: AtomicUsize::new(0),
            undo: Undo {
                tree,
                manifest: manifest_before,
                created,
                armed: AtomicBool::new(false),
            },
        })
    }

    /// Limits what the planned files may add up to, written or unchanged
    /// (`max_output_bytes`): the [`put`](Session::put) that passes it fails
    /// with [`PublishError::OverBudget`], as does every later one, and the
    /// session dropped then removes its temporary files and undoes what
    /// [`begin`](Session::begin) changed, so nothing in the output folder
    /// changes.
    pub fn with_budget(mut self, max: Option<u64>) -> Self {
        self.budget = max;
        self
    }

    /// Counts a planned file of `size` bytes against the budget.
    fn count(&self, size: u64) -> Result<(), PublishError> {
        if let Some(max) = self.budget {
            let total = self.total.fetch_add(size, Ordering::Relaxed) + size;
            let files = self.counted.fetch_add(1, Ordering::Relaxed) + 1;
            if total > max {
                self.undo.armed.store(true, Ordering::Relaxed);
                return Err(PublishError::OverBudget {
                    path: self.tree.out.to_path_buf(),
                    max,
                    total,
                    files,
                    planned: self.new.len(),
                });
            }
        }
        Ok(())
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
        let path = self.tree.out.join(rel);
        if !self.new.contains(rel) {
            return Err(PublishError::Io {
                path,
                source: io::Error::new(io::ErrorKind::InvalidInput, "file was not planned"),
            });
        }
        self.count(pieces.iter().map(|p| p.len() as u64).sum())?;
        let stamp = Stamp::of(pieces);
        let (dir_rel, name) = split(rel);
        let dir = self
            .tree
            .dir(dir_rel, None)?
            .ok_or_else(|| io_err(&path)(io::ErrorKind::NotFound.into()))?;
        let mut replaced = None;
        match entry(&dir, name).map_err(io_err(&path))? {
            None => {}
            Some((FileType::RegularFile, size)) if self.old.may_own(rel, size) => {
                let there = stamp_file(&dir, name).map_err(io_err(&path))?;
                if !self.old.vouches(rel, &there) {
                    return Err(self
                        .tree
                        .foreign(&[(rel.to_string(), "a file changed since pressfeed wrote it")]));
                }
                if there == stamp {
                    self.unchanged.fetch_add(1, Ordering::Relaxed);
                    self.stamp(rel, None, stamp);
                    return Ok(());
                }
                replaced = Some(there);
            }
            Some((t, _)) => return Err(self.tree.foreign(&[(rel.to_string(), describe(t))])),
        }
        let (tmp, written) = write_temp(&dir, rel, pieces, false).map_err(io_err(&path))?;
        self.stamp(rel, replaced, stamp);
        self.written_on_disk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(rel.to_string(), written);
        match self.pending.lock() {
            Ok(mut pending) => pending.0.push((tmp, rel.to_string())),
            Err(_) => return Err(io_err(&path)(io::Error::other("a writer thread panicked"))),
        }
        Ok(())
    }

    /// The planned file `rel` as it was on disk when the run started, if
    /// it is there and pressfeed wrote it.
    pub fn on_disk(&self, rel: &str) -> Option<OnDisk> {
        self.on_disk.get(rel).copied()
    }

    /// Leaves the planned file `rel` as it is, without making it again: the
    /// caller knows its bytes would not change (it is [`on_disk`] as the
    /// caller last left it, and made of the same inputs). Counted as
    /// unchanged.
    ///
    /// [`on_disk`]: Session::on_disk
    pub fn keep(&self, rel: &str) -> Result<(), PublishError> {
        let path = self.tree.out.join(rel);
        let Some(on_disk) = self.on_disk.get(rel) else {
            return Err(PublishError::Io {
                path,
                source: io::Error::new(io::ErrorKind::NotFound, "kept file is not there"),
            });
        };
        self.count(on_disk.size)?;
        // The manifest lists one version of a file, unless a run stopped
        // between its renames (then the file is one of two): which one is
        // read from the file, so the manifest lists it alone again.
        let stamp = match self.old.0.get(rel) {
            Some(Owned::Stamped(v)) if v.len() == 1 => v[0],
            _ => {
                let (dir, name) = split(rel);
                let dir = self
                    .tree
                    .dir(dir, None)?
                    .ok_or_else(|| io_err(&path)(io::ErrorKind::NotFound.into()))?;
                let there = stamp_file(&dir, name).map_err(io_err(&path))?;
                if !self.old.vouches(rel, &there) {
                    return Err(self
                        .tree
                        .foreign(&[(rel.to_string(), "a file changed since pressfeed wrote it")]));
                }
                there
            }
        };
        self.stamp(rel, None, stamp);
        self.unchanged.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn stamp(&self, rel: &str, replaced: Option<Stamp>, stamp: Stamp) {
        self.stamps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(rel.to_string(), (replaced, stamp));
    }

    /// The files written (new or changed) so far, relative to the output
    /// folder, in order: those [`finish`](Session::finish) will rename into
    /// place.
    pub fn changed(&self) -> Vec<String> {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut changed: Vec<String> = pending.0.iter().map(|(_, rel)| rel.clone()).collect();
        changed.sort();
        changed
    }

    /// Makes the writes durable, removes the files of the last run that
    /// this one did not produce (and folders they leave empty), and trims
    /// the manifest.
    pub fn finish(self) -> Result<PublishStats, PublishError> {
        self.finish_with(|_| Ok(()))
    }

    /// [`finish`](Session::finish), calling `before_renames` with the files
    /// that change (as [`changed`](Session::changed) lists them, perhaps
    /// none) once they are durable and just before the first is renamed into
    /// place: what must outlive a run stopped during the renames (the pings
    /// hubs are owed) is recorded there. When it fails, nothing is renamed
    /// and the run's temporary files are removed.
    pub fn finish_with(
        self,
        before_renames: impl FnOnce(&[String]) -> Result<(), PublishError>,
    ) -> Result<PublishStats, PublishError> {
        let tree = self.tree;
        let out = tree.out;
        // A poisoned lock means a writer thread panicked, and the panic is
        // already on its way: what it holds is still every file written. On
        // any error below, dropping `pending` removes the temporary files
        // not yet renamed into place.
        let mut pending = self
            .pending
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.0.sort_by(|a, b| a.1.cmp(&b.1));
        let stamps = self
            .stamps
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut warnings = self.warnings;
        let mut files = self.on_disk;
        files.extend(
            self.written_on_disk
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );

        // The manifest owns both versions of every file about to change,
        // before the first is renamed, so a run killed at any point leaves
        // no file unaccounted for.
        let mut during = self.old.clone();
        for (rel, (replaced, stamp)) in &stamps {
            let versions = replaced.iter().chain([stamp]).copied().collect();
            during.0.insert(rel.clone(), Owned::Stamped(versions));
        }
        // A legacy entry kept (a stale path) is written stamped with what is
        // there now, if it is a file; else it is dropped.
        stamp_legacy(&tree, &mut during);
        let during_text = during.text();
        if during_text != self.old_text {
            write_manifest(&tree, &during_text)?;
        }

        // The new files are on disk before any is renamed into place.
        let changed: Vec<String> = pending.0.iter().map(|(_, rel)| rel.clone()).collect();
        if !pending.0.is_empty() {
            sync_all(&tree)?;
        }
        before_renames(&changed)?;
        // Each rename swaps a whole old file for a whole new one; an
        // abandoned run (see [`abandon`]) stops before the batch or after it.
        let commit = COMMIT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Test hook: a pause before each rename, so a test can stop the run
        // while it renames.
        #[cfg(feature = "test-hooks")]
        let pause = std::env::var("PRESSFEED_TEST_RENAME_PAUSE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis);
        let mut current: Option<(&str, OwnedFd)> = None;
        for (n, (tmp, rel)) in pending.0.iter().enumerate() {
            #[cfg(feature = "test-hooks")]
            if let Some(pause) = pause {
                std::thread::sleep(pause);
            }
            let path = out.join(rel);
            if self.fail_after.is_some_and(|limit| n >= limit) {
                return Err(PublishError::Io {
                    path,
                    source: io::Error::other("injected failure (test hook)"),
                });
            }
            let (dir_rel, name) = split(rel);
            let fd = match current.take() {
                Some((d, fd)) if d == dir_rel => fd,
                _ => tree
                    .dir(dir_rel, None)?
                    .ok_or_else(|| io_err(&path)(io::ErrorKind::NotFound.into()))?,
            };
            let (_, tmp_name) = split(tmp);
            rustix::fs::renameat(&fd, tmp_name, &fd, name).map_err(|e| io_err(&path)(e.into()))?;
            current = Some((dir_rel, fd));
        }
        drop(current);
        drop(commit);
        forget_temps(pending.0.drain(..).map(|(tmp, _)| tmp));
        sync_all(&tree)?;

        let mut removed = 0;
        let mut left = Vec::new();
        for stale in self.old.0.keys().filter(|p| !self.new.contains(*p)) {
            match remove_owned(&tree, &during, stale)? {
                Removal::Removed => removed += 1,
                Removal::Gone => {}
                Removal::Left(why) => left.push(format!("{stale} ({why})")),
            }
        }
        if !left.is_empty() {
            let n = left.len();
            left.truncate(10);
            let more = match n {
                n if n > 10 => format!(" and {} more", n - 10),
                _ => String::new(),
            };
            warnings.push(
                Diagnostic::warning(
                    out,
                    0,
                    0,
                    format!(
                        "{n} file(s) pressfeed no longer writes were left in place, because they are not the files it wrote: {}{more}",
                        left.join(", ")
                    ),
                )
                .with_hint("they are no longer listed in the manifest; delete them by hand if they should not be served"),
            );
        }
        // The removals are on disk before the manifest forgets the files:
        // after a power cut, a file that comes back is still owned, and
        // still removed.
        if removed > 0 {
            sync_all(&tree)?;
        }

        // A planned file the run did not write after all (a document with
        // nothing to carry) keeps what the manifest said of it: the file
        // there, if any, is still pressfeed's.
        let mut after = Manifest(
            stamps
                .into_iter()
                .map(|(rel, (_, s))| (rel, Owned::Stamped(vec![s])))
                .collect(),
        );
        for rel in &self.new {
            if let (false, Some(Owned::Stamped(v))) = (after.0.contains_key(rel), during.0.get(rel))
                && !v.is_empty()
            {
                after.0.insert(rel.clone(), Owned::Stamped(v.clone()));
            }
        }
        let after_text = after.text();
        if after_text != during_text {
            write_manifest(&tree, &after_text)?;
        }
        Ok(PublishStats {
            written: changed.len(),
            unchanged: self.unchanged.into_inner(),
            removed,
            changed,
            warnings,
            files,
        })
    }
}

/// Replaces each legacy entry of `m` with the stamp of the regular file at
/// its path, reached without following a link, or drops it.
fn stamp_legacy(tree: &Tree<'_>, m: &mut Manifest) {
    let legacy: Vec<String> =
        m.0.iter()
            .filter(|(_, o)| **o == Owned::Legacy)
            .map(|(p, _)| p.clone())
            .collect();
    for rel in legacy {
        let (dir, name) = split(&rel);
        let stamp = match tree.dir(dir, None) {
            Ok(Some(fd)) => stamp_file(&fd, name).ok(),
            _ => None,
        };
        match stamp {
            Some(s) => m.0.insert(rel, Owned::Stamped(vec![s])),
            None => m.0.remove(&rel),
        };
    }
}

enum Removal {
    Removed,
    Gone,
    Left(&'static str),
}

/// Removes the stale file `rel` if it is still a version `owned` vouches
/// for, then the folders it leaves empty, up to (not including) the output
/// folder. A folder that is not empty (it holds a file pressfeed did not
/// write) stays, and so do its parents.
fn remove_owned(tree: &Tree<'_>, owned: &Manifest, rel: &str) -> Result<Removal, PublishError> {
    let (dir_rel, name) = split(rel);
    let dir = match tree.dir(dir_rel, None) {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(Removal::Gone),
        Err(PublishError::Foreign { .. }) => return Ok(Removal::Left("behind a link or file")),
        Err(e) => return Err(e),
    };
    let path = tree.out.join(rel);
    let done = match entry(&dir, name).map_err(io_err(&path))? {
        None => Removal::Gone,
        Some((FileType::RegularFile, _)) => {
            let stamp = stamp_file(&dir, name).map_err(io_err(&path))?;
            if !owned.vouches(rel, &stamp) {
                return Ok(Removal::Left("changed since pressfeed wrote it"));
            }
            match rustix::fs::unlinkat(&dir, name, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(io_err(&path)(e.into())),
            }
            Removal::Removed
        }
        Some((t, _)) => return Ok(Removal::Left(describe(t))),
    };
    drop(dir);
    let mut folder = dir_rel;
    while !folder.is_empty() {
        let (parent, name) = split(folder);
        let Ok(Some(fd)) = tree.dir(parent, None) else {
            break;
        };
        // AT_REMOVEDIR never follows a link, and fails on a folder that is
        // not empty.
        if rustix::fs::unlinkat(&fd, name, AtFlags::REMOVEDIR).is_err() {
            break;
        }
        folder = parent;
    }
    Ok(done)
}

/// Temporary files written by a session (relative to the output folder)
/// and the paths they replace. Those still listed when it is dropped (the
/// run failed before renaming them) are removed.
#[derive(Debug, Default)]
struct Temps(Vec<(String, String)>);

impl Drop for Temps {
    fn drop(&mut self) {
        let temps: Vec<String> = self.0.drain(..).map(|(tmp, _)| tmp).collect();
        let mut in_flight = in_flight();
        for tmp in temps {
            if in_flight.temps.remove(&tmp) {
                remove_temp(&in_flight, &tmp);
            }
        }
    }
}

/// Every temporary file this process has made and not yet renamed or
/// removed (relative to the output folder `root`), so that [`abandon`] can
/// remove them; and whether it has.
struct InFlight {
    root: Option<OwnedFd>,
    temps: BTreeSet<String>,
    abandoned: bool,
}

static IN_FLIGHT: Mutex<InFlight> = Mutex::new(InFlight {
    root: None,
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

/// Records the output folder the temporary files are made in. The folder
/// is opened anew, not duplicated: a duplicate would share the lock's open
/// file and so hold the output folder's lock for as long as the process
/// lives (a later step of the same run, telling the hubs, could not take
/// it).
fn set_root(root: BorrowedFd<'_>) -> Result<(), PublishError> {
    let fd = rustix::fs::openat(root, ".", DIR_FLAGS, Mode::empty())
        .map_err(|e| io_err(Path::new("."))(e.into()))?;
    in_flight().root = Some(fd);
    Ok(())
}

fn remove_temp(in_flight: &InFlight, tmp: &str) {
    if let Some(root) = &in_flight.root {
        let tree = Tree {
            root: root.as_fd(),
            out: Path::new(""),
        };
        let (dir, name) = split(tmp);
        if let Ok(Some(fd)) = tree.dir(dir, None) {
            let _ = rustix::fs::unlinkat(&fd, name, AtFlags::empty());
        }
    }
}

fn forget_temps(temps: impl Iterator<Item = String>) {
    let mut in_flight = in_flight();
    for tmp in temps {
        in_flight.temps.remove(&tmp);
    }
}

/// Gives up the run from another thread (a watchdog whose time ran out, or
/// a signal), before the process exits: waits up to `grace` for a batch of
/// renames in progress to finish, so that a feed set is never left half
/// old, half new; then removes every temporary file the run made, and makes
/// any further attempt to write one fail. Whatever is already published
/// stays.
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
        remove_temp(&in_flight, &tmp);
    }
    // The commit guard is kept until the process exits: no batch starts.
    std::mem::forget(_commit);
}

/// Whether [`abandon`] was called: the run is being stopped, and whoever
/// stopped it decides how the process ends.
pub fn abandoned() -> bool {
    in_flight().abandoned
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
                    dir,
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

/// A path pressfeed could have produced: plain names of lowercase ASCII
/// letters, digits, `-`, `_` and `.` (slugs, numbers, file names), none
/// hidden or longer than a file name may be, a few levels deep, ending in a
/// file of one of the output formats.
fn producible(rel: &str) -> bool {
    let names: Vec<&str> = rel.split('/').collect();
    is_safe(rel)
        && rel != MANIFEST
        && names.len() <= MAX_DEPTH
        && names.iter().all(|n| {
            !n.is_empty()
                && n.len() <= 255
                && !n.starts_with('.')
                && n.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
                })
        })
        && names
            .last()
            .and_then(|n| n.rsplit_once('.'))
            .is_some_and(|(_, ext)| OUTPUT_EXTENSIONS.contains(&ext))
}

/// The manifest, its bytes, and warnings about what in it was not trusted.
/// A manifest that is not a regular file, or too big, is treated as empty
/// (with a warning) and replaced.
fn read_manifest(tree: &Tree<'_>) -> Result<(Manifest, Vec<u8>, Vec<String>), PublishError> {
    let path = tree.out.join(MANIFEST);
    let file = match rustix::fs::openat(tree.root, MANIFEST, READ_FLAGS, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(Errno::NOENT) => return Ok((Manifest::default(), Vec::new(), Vec::new())),
        Err(Errno::LOOP) => {
            return Ok((
                Manifest::default(),
                Vec::new(),
                vec!["the manifest is a symbolic link: ignored, and replaced".into()],
            ));
        }
        Err(e) => return Err(io_err(&path)(e.into())),
    };
    let meta = file.metadata().map_err(io_err(&path))?;
    if !meta.is_file() || meta.len() > MANIFEST_MAX_BYTES {
        return Ok((
            Manifest::default(),
            Vec::new(),
            vec![format!(
                "the manifest is not a regular file of at most {MANIFEST_MAX_BYTES} bytes: ignored, and replaced"
            )],
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MANIFEST_MAX_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io_err(&path))?;
    let (manifest, warnings) = Manifest::parse(&bytes);
    Ok((manifest, bytes, warnings))
}

/// What the build record ([`crate::delivery::cache`]) keeps of a file
/// pressfeed published: size, inode and change time (which no tool can
/// set back, unlike the modification time).
pub type FileStamp = (u64, u64, i64, i64);

/// The [`FileStamp`] of each of `paths` (relative to `out`), each reached
/// from the output folder's descriptor one name at a time, never through a
/// link: `None` for a path where there is no regular file, or one reached
/// through a link, or (the manifest itself aside) one of a size the
/// manifest does not list for it. Cheap: one `statat` per file and one
/// `openat` per folder, and the manifest read once; no file is read.
// The fields of `stat` are of other types on other Unixes.
#[allow(clippy::unnecessary_cast)]
pub fn owned_stamps<'a>(
    out: &Path,
    paths: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<FileStamp>>, PublishError> {
    let root = File::open(out).map_err(io_err(out))?;
    let tree = Tree {
        root: root.as_fd(),
        out,
    };
    let (manifest, _, _) = read_manifest(&tree)?;
    let paths: Vec<&str> = paths.collect();
    let stamps = paths
        .iter()
        .zip(reach_each(&tree, &paths)?)
        .map(|(rel, there)| match there {
            Ok(Reached::Found(st))
                if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
                    && (*rel == MANIFEST || manifest.may_own(rel, st.st_size as u64)) =>
            {
                Some((
                    st.st_size as u64,
                    st.st_ino as u64,
                    st.st_ctime as i64,
                    st.st_ctime_nsec as i64,
                ))
            }
            _ => None,
        })
        .collect();
    Ok(stamps)
}

/// What the manifest vouches for, for a deploy ([`crate::delivery::deploy`]):
/// read once, through the output folder's descriptor, never through a link.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OwnedFiles {
    /// Each path listed with exactly one version: path, size and BLAKE3
    /// hash, sorted by path.
    pub files: Vec<(String, u64, [u8; 32])>,
    /// Paths listed with no single version: two while a run renames (it was
    /// stopped mid-update), none while a run has only planned the file, or
    /// no stamp at all (a manifest of the first format).
    pub unsettled: Vec<String>,
    /// Why the manifest as a whole cannot be trusted: missing, not a
    /// regular file, lines that do not parse.
    pub warnings: Vec<String>,
}

/// The files of `out` its manifest vouches for ([`OwnedFiles`]). No file
/// but the manifest is read.
pub fn owned_files(out: &Path) -> Result<OwnedFiles, PublishError> {
    let root = File::open(out).map_err(io_err(out))?;
    let tree = Tree {
        root: root.as_fd(),
        out,
    };
    let (manifest, bytes, mut warnings) = read_manifest(&tree)?;
    if bytes.is_empty() && warnings.is_empty() {
        warnings.push("there is no manifest".into());
    } else if !bytes.starts_with(MANIFEST_HEADER.as_bytes()) && warnings.is_empty() {
        warnings.push("the manifest is of an older format, without hashes".into());
    }
    let mut owned = OwnedFiles {
        warnings,
        ..OwnedFiles::default()
    };
    for (path, entry) in manifest.0 {
        match entry {
            Owned::Stamped(v) if v.len() == 1 => owned.files.push((path, v[0].size, v[0].hash)),
            _ => owned.unsettled.push(path),
        }
    }
    Ok(owned)
}

/// Reads the files of an output folder through its descriptor, one name at
/// a time, never following a link (for a deploy).
pub struct OwnedReader {
    root: File,
    out: PathBuf,
}

impl OwnedReader {
    pub fn open(out: &Path) -> Result<OwnedReader, PublishError> {
        Ok(OwnedReader {
            root: File::open(out).map_err(io_err(out))?,
            out: out.to_path_buf(),
        })
    }

    /// The output folder.
    pub fn path(&self) -> &Path {
        &self.out
    }

    /// The bytes of the regular file `rel`, at most `max` of them (an error
    /// beyond). A link, folder or special file on the way or at `rel` is a
    /// [`PublishError::Foreign`] naming it.
    pub fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>, PublishError> {
        let tree = Tree {
            root: self.root.as_fd(),
            out: &self.out,
        };
        let path = self.out.join(rel);
        if !is_safe(rel) {
            return Err(io_err(&path)(io::ErrorKind::InvalidInput.into()));
        }
        let (dir, name) = split(rel);
        let dir = tree
            .dir(dir, None)?
            .ok_or_else(|| io_err(&path)(io::ErrorKind::NotFound.into()))?;
        let file = match rustix::fs::openat(&dir, name, READ_FLAGS, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(Errno::LOOP) => {
                return Err(tree.foreign(&[(rel.to_string(), "a symbolic link")]));
            }
            Err(e) => return Err(io_err(&path)(e.into())),
        };
        let meta = file.metadata().map_err(io_err(&path))?;
        if !meta.is_file() {
            return Err(tree.foreign(&[(rel.to_string(), kind_at(&dir, name))]));
        }
        if meta.len() > max {
            return Err(io_err(&path)(io::Error::other(format!(
                "larger than {max} bytes"
            ))));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(io_err(&path))?;
        if bytes.len() as u64 > max {
            return Err(io_err(&path)(io::Error::other(format!(
                "larger than {max} bytes"
            ))));
        }
        Ok(bytes)
    }
}

/// Replaces the manifest with `text`, atomically and durably.
fn write_manifest(tree: &Tree<'_>, text: &[u8]) -> Result<(), PublishError> {
    let path = tree.out.join(MANIFEST);
    let root = tree
        .dir("", None)?
        .ok_or_else(|| io_err(&path)(io::ErrorKind::NotFound.into()))?;
    let (tmp, _) = write_temp(&root, MANIFEST, &[text], true).map_err(io_err(&path))?;
    // A folder or link named like the manifest is replaced only if it is a
    // link (rename never follows one); a folder is an error.
    let renamed = rustix::fs::renameat(&root, tmp.as_str(), &root, MANIFEST);
    if renamed.is_err() {
        let _ = rustix::fs::unlinkat(&root, tmp.as_str(), AtFlags::empty());
    }
    forget_temps(std::iter::once(tmp));
    renamed.map_err(|e| io_err(&path)(e.into()))?;
    rustix::fs::fsync(&root).map_err(|e| io_err(&path)(e.into()))
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// over `path`. Readers see the old file or the new one, never a mix. For
/// files outside the output folder (pressfeed's cache folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let tmp = dir.join(format!(
        ".{name}.{}-{}{TMP_SUFFIX}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(path))
}

/// Writes the pieces to a new temporary file in `dir` (the folder of `rel`,
/// relative to the output folder), synced when `sync` is set, and returns
/// its path relative to the output folder. Its name ends with
/// [`TMP_SUFFIX`], so a run that is killed leaves nothing the next run does
/// not clean up.
fn write_temp(
    dir: &OwnedFd,
    rel: &str,
    pieces: &[&[u8]],
    sync: bool,
) -> io::Result<(String, OnDisk)> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let (dir_rel, name) = split(rel);
    let tmp_name = format!(
        ".{name}.{}-{}{TMP_SUFFIX}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let tmp = match dir_rel {
        "" => tmp_name.clone(),
        d => format!("{d}/{tmp_name}"),
    };
    let result = (|| {
        // Mode 0666 less the umask, like any file a program writes: readable
        // by the web server, unlike the 0600 of most temp-file helpers.
        let mut file = {
            // Made and listed together, so `abandon` removes every one.
            let mut in_flight = in_flight();
            if in_flight.abandoned {
                return Err(io::Error::other("the run was abandoned"));
            }
            let fd = rustix::fs::openat(
                dir,
                tmp_name.as_str(),
                CREATE_FLAGS,
                Mode::from_raw_mode(0o666),
            )?;
            in_flight.temps.insert(tmp.clone());
            File::from(fd)
        };
        write_all_pieces(&mut file, pieces)?;
        start_writeback(&file);
        if sync {
            file.sync_all()?;
        }
        // Renaming keeps the inode and the modification time.
        Ok(OnDisk::of(&rustix::fs::fstat(&file)?))
    })();
    match result {
        Ok(on_disk) => Ok((tmp, on_disk)),
        Err(e) => {
            let _ = rustix::fs::unlinkat(dir, tmp_name.as_str(), AtFlags::empty());
            forget_temps(std::iter::once(tmp));
            Err(e)
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

/// Makes everything written to the output folder durable: one `syncfs` on
/// Linux (far cheaper than a sync per path: 1,800 files and 450 folders in
/// a full build); elsewhere a `sync` of the whole system.
fn sync_all(tree: &Tree<'_>) -> Result<(), PublishError> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(tree.root).map_err(|e| io_err(tree.out)(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = tree;
        rustix::fs::sync();
        Ok(())
    }
}

/// Removes temporary files left in `dir` by a run that was killed.
fn remove_stale_temps(dir: &OwnedFd, shown: &Path) -> Result<(), PublishError> {
    let entries = rustix::fs::Dir::read_from(dir).map_err(|e| io_err(shown)(e.into()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_bytes();
        if name.starts_with(b".") && name.ends_with(TMP_SUFFIX.as_bytes()) {
            match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                // A folder named like a temporary file is not pressfeed's.
                Err(Errno::ISDIR | Errno::PERM) if entry.file_type() == FileType::Directory => {}
                Err(e) => return Err(io_err(shown)(e.into())),
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

    #[test]
    fn producible_paths() {
        for good in [
            "rss.xml",
            "feeds.opml",
            "ministers/phil-goff/archive/3/feed.json",
            "history/2020-03.html",
        ] {
            assert!(producible(good), "{good}");
        }
        let long = format!("{}.xml", "a".repeat(300));
        for bad in [
            "robots.txt",
            ".htaccess",
            "a/.b/rss.xml",
            "Index.html",
            "a b.xml",
            "x/",
            long.as_str(),
            "a/b/c/d/e/f/g/h/i.xml",
            MANIFEST,
        ] {
            assert!(!producible(bad), "{bad}");
        }
    }

    /// A manifest survives being written and read back; a first-format one
    /// is read as legacy entries; bad lines are dropped with one warning.
    #[test]
    fn manifest_round_trip_and_bad_lines() {
        let mut m = Manifest::default();
        m.0.insert(
            "a/rss.xml".into(),
            Owned::Stamped(vec![Stamp::of(&[b"x"]), Stamp::of(&[b"y"])]),
        );
        m.0.insert("b.html".into(), Owned::Stamped(vec![Stamp::of(&[b""])]));
        let (back, warnings) = Manifest::parse(&m.text());
        assert_eq!(back, m);
        assert!(warnings.is_empty());

        let (legacy, warnings) = Manifest::parse(b"# old\nrss.xml\nrobots.txt\n");
        assert_eq!(legacy.0.get("rss.xml"), Some(&Owned::Legacy));
        assert_eq!(legacy.0.len(), 1);
        assert_eq!(warnings.len(), 1);

        let mut bad = m.text();
        bad.extend_from_slice(b"c.xml 1 zz\n\xff\xfe.xml 1 00\nd.xml\0 1 2\n");
        let (back, warnings) = Manifest::parse(&bad);
        assert_eq!(back, m);
        assert!(warnings[0].starts_with("3 line(s)"), "{warnings:?}");
    }
}

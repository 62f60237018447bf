//! The build state: what the last build learned, so that the next one reads
//! only the seeds that changed and writes only the files whose inputs
//! changed (an incremental build).
//!
//! It is kept beside the cache record ([`crate::delivery::cache`]), in a
//! folder of its own (`<cache>/pressfeed/<hash>.state/`), in two parts:
//!
//! - **Seeds**, in [`SHARDS`] files (`seeds-00.bin` to `seeds-ff.bin`, a seed
//!   in the shard its path hashes to): per seed, its stamp (size, inode and
//!   change time, as the cache record uses), the BLAKE3 hash of its bytes,
//!   and what reading it gave (the validated release, or why it cannot be
//!   published) with its warnings; not the summary of its body, which a run
//!   makes again for the few archive documents and history pages it writes.
//!   A seed whose stamp is the recorded one is not read again; one new
//!   release rewrites one shard.
//! - **Outputs**, in `outputs.bin`: per file a build writes from the plan
//!   (feed documents and pages), a digest of everything it is made of (see
//!   [`crate::output::digest`]) and what the file on disk looked like when
//!   pressfeed left it (size, modification time, inode); and what fitting
//!   the documents to `max_document_bytes` took, so that the warnings of a
//!   file not written again are still reported.
//! - **The site**, in `site.bin`: the site as the last build grouped it, in
//!   columns ([`crate::delivery::snapshot`]), so that a run after new or
//!   edited releases adds them to it ([`crate::site::regroup`]) instead of
//!   reading the seed table and grouping every release again.
//!
//! Every file starts with a header: [`MAGIC`], [`FORMAT`], the output folder
//! it belongs to and a salt (the pressfeed executable and the configuration's
//! bytes); it ends with the BLAKE3 hash of what lies between, which is
//! written as it is serialised, a megabyte at a time, never whole in memory
//! (`site.bin` is 95 MB for a million releases). A file of another format, another
//! folder, or whose hash does not match (a disk error, a write cut short) is
//! never trusted: the build reads and writes everything again and says so
//! in a warning. A file with another salt (a new binary, a changed
//! configuration) is simply outdated: the build is a full one, silently.
//!
//! Each file is replaced atomically (a temporary file renamed), and
//! every entry checks itself against the disk before it is used (a seed's
//! stamp, a file's size, time and inode), so any mix of old and new files,
//! which a run killed while storing the state leaves, is still correct: an
//! entry that does not match is read or written again.
//!
//! Why files of our own rather than an embedded database: a run reads
//! `site.bin` whole, and a run that groups every release again the whole
//! seed table, each in one pass, which a few large sequential files do
//! best; a run changes a few seeds, which a shard per 1/256th of the seeds
//! keeps to a small write. See README.md ("Incremental builds") for the
//! figures.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use foldhash::HashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::delivery::cache::{self, Stamp};
pub use crate::delivery::publish::OnDisk;
use crate::delivery::snapshot::Snapshot;
use crate::diag::Diagnostic;
use crate::input::paths::Paths;
use crate::input::validate::Release;

/// The first bytes of every state file.
pub const MAGIC: &[u8; 16] = b"pressfeed-state\n";
/// Bumped whenever the meaning of the state changes.
pub const FORMAT: u32 = 5;
/// How many files the seeds are spread over.
pub const SHARDS: usize = 256;
/// A state file larger than this is not read.
const MAX_FILE_BYTES: u64 = 4 << 30;
/// A seed changed less than this long before it was read may change again
/// without its change time moving (file systems keep time in ticks of a
/// few milliseconds): its entry is read again by the next run rather than
/// trusted. A file system that keeps whole seconds (the change time has no
/// nanoseconds) gets two seconds.
const RACY_NANOS: i128 = 100_000_000;
const RACY_NANOS_WHOLE_SECONDS: i128 = 2_000_000_000;

/// A 32-byte BLAKE3 digest.
pub type Digest = [u8; 32];

/// What reading one seed gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Loaded {
    /// A release to publish, with the summary of its body (archive
    /// documents and history pages carry it) when the build needs one.
    Release {
        /// Shared with the site the run groups it into: never copied.
        release: Arc<Release>,
        /// Made while the seed is read, for the run that read it; not
        /// stored. A later run makes the few it needs from the body (those
        /// of the archive documents and history pages it writes), which
        /// costs less than decoding every summary of the archive each run.
        #[serde(skip)]
        summary: Option<String>,
    },
    /// Well-formed, but nothing to publish (reported as a warning).
    Skipped,
    /// Cannot be published (reported as errors).
    Invalid,
}

/// What the state keeps of one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    pub stamp: Stamp,
    /// BLAKE3 of the seed's bytes.
    pub hash: Digest,
    pub loaded: Loaded,
    pub diagnostics: Vec<Diagnostic>,
    /// Changed so shortly before it was read that a later change may not
    /// move its stamp: read again next time.
    pub racy: bool,
}

impl Seed {
    /// Whether the seed still has this entry's stamp and may be taken as
    /// it is.
    pub fn fresh(&self, stamp: &Stamp) -> bool {
        !self.racy && self.stamp == *stamp
    }
}

/// Whether a seed with change time `stamp` read at `read_at` (nanoseconds
/// since the Unix epoch) may change again without its stamp changing.
pub fn racy(stamp: &Stamp, read_at: i128) -> bool {
    let ctime = stamp.2 as i128 * 1_000_000_000 + stamp.3 as i128;
    let window = match stamp.3 {
        0 => RACY_NANOS_WHOLE_SECONDS,
        _ => RACY_NANOS,
    };
    read_at - ctime < window
}

/// What the state keeps of one output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// The digest of what it is made of.
    pub digest: Digest,
    pub on_disk: OnDisk,
    /// A feed document that carries fewer items than planned, to stay
    /// within `max_document_bytes`: items carried, items planned.
    pub trimmed: Option<(usize, usize)>,
}

/// How an item was fitted to `max_document_bytes` in one format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cut {
    /// Carried as its summary: the size of its whole entry and of its
    /// rendered body.
    Shortened { size: usize, body: usize },
    /// Carried as a stub, in subscription documents: what the stub cuts.
    Stub { cuts: String },
    /// Carried as a stub, in archive documents: what the stub cuts.
    ArchiveStub { cuts: String },
}

/// The output side of the state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    pub files: HashMap<String, Output>,
    /// Per item (see [`crate::output::digest::item_key`]) and format label,
    /// how it was fitted, for items that were cut at all.
    pub cuts: HashMap<Digest, Vec<(String, Cut)>>,
}

/// The header of every state file (its hash is at its end).
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    out: PathBuf,
    salt: Digest,
}

/// A value serialised into a writer and hashed as it goes, a megabyte at a
/// time: a state file's payload is never whole in memory.
struct Streamed<W> {
    out: W,
    hasher: blake3::Hasher,
    buf: Vec<u8>,
    failed: Option<io::Error>,
}

impl<W: io::Write> Streamed<W> {
    const CHUNK: usize = 1 << 20;

    /// Serialises `value` into `out`; gives back `out` and the hash of
    /// what was written.
    fn write<T: Serialize>(value: &T, out: W) -> io::Result<(W, Digest)> {
        let streamed = Streamed {
            out,
            hasher: blake3::Hasher::new(),
            buf: Vec::with_capacity(Self::CHUNK),
            failed: None,
        };
        let mut serializer = postcard::Serializer { output: streamed };
        let serialised = value.serialize(&mut serializer);
        let mut streamed = serializer.output;
        if let Some(e) = streamed.failed.take() {
            return Err(e);
        }
        serialised.map_err(io::Error::other)?;
        streamed.flush()?;
        Ok((streamed.out, *streamed.hasher.finalize().as_bytes()))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.hasher.update(&self.buf);
        let written = self.out.write_all(&self.buf);
        self.buf.clear();
        written
    }

    fn flushed(&mut self) -> postcard::Result<()> {
        self.flush().map_err(|e| {
            self.failed = Some(e);
            postcard::Error::SerializeBufferFull
        })
    }
}

impl<W: io::Write> postcard::ser_flavors::Flavor for Streamed<W> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.buf.push(byte);
        match self.buf.len() < Self::CHUNK {
            true => Ok(()),
            false => self.flushed(),
        }
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        for part in bytes.chunks(Self::CHUNK) {
            if self.buf.len() + part.len() > Self::CHUNK {
                self.flushed()?;
            }
            self.buf.extend_from_slice(part);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// The state of one output folder.
#[derive(Debug, Default)]
pub struct State {
    /// Where its files are; `None` without a cache folder.
    dir: Option<PathBuf>,
    out: PathBuf,
    salt: Digest,
    /// The seed table, one list per shard as it was read, sorted by the
    /// path's bytes: a seed is looked up in its shard by binary search,
    /// with no table built (a `Path` compares component by component,
    /// which would cost more than the rest of looking a seed up).
    seeds: Vec<Vec<(PathBuf, Seed)>>,
    /// How many entries each shard read and trusted has: a shard with more
    /// than the run's seeds in it has some that are gone.
    shard_entries: Vec<usize>,
    /// The hash of each shard read and trusted: a shard whose entries did
    /// not change is not written again.
    shard_hashes: Vec<Option<Digest>>,
    pub outputs: Outputs,
    outputs_hash: Option<Digest>,
    /// Why some of the state was not trusted (corrupt, foreign, another
    /// format): reported once as a warning.
    pub distrusted: Vec<Diagnostic>,
}

/// The salt of every state file: what, beside the seeds, every entry
/// depends on (the executable, the configuration).
pub fn salt(config: &Path) -> io::Result<Digest> {
    let mut h = blake3::Hasher::new();
    h.update(&FORMAT.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // The executable itself, so a rebuilt binary never reuses old entries.
    if let Ok(m) = std::env::current_exe().and_then(fs::metadata) {
        let s = cache::stamp(&m);
        h.update(&postcard::to_stdvec(&s).unwrap_or_default());
    }
    match fs::read(config) {
        Ok(bytes) => {
            h.update(&[1]);
            h.update(&bytes);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            h.update(&[0]);
        }
        Err(e) => return Err(e),
    }
    Ok(*h.finalize().as_bytes())
}

/// The shard of the seed at `path`.
fn shard_of(path: &Path) -> usize {
    blake3::hash(path.as_os_str().as_encoded_bytes()).as_bytes()[0] as usize % SHARDS
}

/// A path's bytes, which the seed table is sorted by.
fn bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// Where the entry of `path` is in `shard` (sorted by the path's bytes),
/// or where it would go.
fn find(shard: &[(PathBuf, Seed)], path: &Path) -> Result<usize, usize> {
    shard.binary_search_by(|(q, _)| bytes(q).cmp(bytes(path)))
}

fn shard_name(n: usize) -> String {
    format!("seeds-{n:02x}.bin")
}

const OUTPUTS_NAME: &str = "outputs.bin";
const SNAPSHOT_NAME: &str = "site.bin";

/// Where the state of the output folder `out` lives, beside its cache
/// record.
pub fn location(out: &Path) -> Option<PathBuf> {
    let record = cache::location(out)?;
    Some(record.with_extension("state"))
}

/// Why a state file was not used.
enum Refusal {
    /// It does not exist.
    Missing,
    /// Written for another executable or configuration: outdated, not
    /// wrong.
    Outdated,
    /// Not trustworthy: the reason.
    Distrusted(String),
}

impl State {
    /// The state of `out` for a build whose salt is `salt`: what can be
    /// trusted of it, or an empty state when there is none (then every
    /// seed is read and every file written).
    pub fn load(out: &Path, salt: Digest) -> State {
        let mut state = State::open(out, salt);
        state.read_seeds();
        state
    }

    /// [`State::load`] without the seed table: what the state knows of
    /// the output files (and, through [`State::snapshot`], of the site).
    pub fn open(out: &Path, salt: Digest) -> State {
        State::open_in(location(out), out, salt)
    }

    /// [`State::load`], with the state's folder `dir` (`None` without a
    /// cache folder).
    #[cfg(test)]
    fn load_from(dir: Option<PathBuf>, out: &Path, salt: Digest) -> State {
        let mut state = State::open_in(dir, out, salt);
        state.read_seeds();
        state
    }

    /// [`State::open`], with the state's folder `dir`.
    fn open_in(dir: Option<PathBuf>, out: &Path, salt: Digest) -> State {
        let canonical = fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
        let mut state = State {
            dir: dir.clone(),
            out: canonical,
            salt,
            shard_hashes: vec![None; SHARDS],
            shard_entries: vec![0; SHARDS],
            ..State::default()
        };
        let Some(dir) = dir else {
            state.out = out.to_path_buf();
            return state;
        };
        if !dir.is_dir() {
            return state;
        }
        match state.read(&dir.join(OUTPUTS_NAME)) {
            Ok((outputs, hash)) => {
                state.outputs = outputs;
                state.outputs_hash = Some(hash);
            }
            Err(Refusal::Missing | Refusal::Outdated) => {}
            Err(Refusal::Distrusted(why)) => {
                state.distrusted.push(
                    Diagnostic::warning(&dir.join(OUTPUTS_NAME), 0, 0, format!("build state not used: {why}"))
                        .with_hint("pressfeed writes every file again this run and stores a new state; nothing to do"),
                );
            }
        }
        state
    }

    /// Reads the seed table's shards, as far as they can be trusted.
    pub fn read_seeds(&mut self) {
        let Some(dir) = self.dir.clone().filter(|d| d.is_dir()) else {
            return;
        };
        type Shard = Result<(Vec<(PathBuf, Seed)>, Digest), Refusal>;
        let shards: Vec<(usize, Shard)> = (0..SHARDS)
            .into_par_iter()
            .map(|n| {
                let read: Shard = self.read_shard(&dir, n);
                (n, read)
            })
            .collect();
        let mut refused = Vec::new();
        self.seeds = vec![Vec::new(); SHARDS];
        for (n, shard) in shards {
            match shard {
                Ok((seeds, hash)) => {
                    self.shard_hashes[n] = Some(hash);
                    self.shard_entries[n] = seeds.len();
                    self.seeds[n] = seeds;
                }
                Err(Refusal::Missing | Refusal::Outdated) => {}
                Err(Refusal::Distrusted(why)) => refused.push((n, why)),
            }
        }
        if !refused.is_empty() {
            // A seed table with holes is still right (a seed without an
            // entry is read), but a damaged state is worth knowing about.
            let (n, why) = &refused[0];
            self.distrusted.push(
                Diagnostic::warning(
                    &dir.join(shard_name(*n)),
                    0,
                    0,
                    format!(
                        "build state not used for {} of {SHARDS} seed shard(s): {why}",
                        refused.len()
                    ),
                )
                .with_hint("pressfeed reads those seeds again this run and stores a new state; nothing to do"),
            );
        }
    }

    /// Reads shard `n` of the seed table from `dir`.
    fn read_shard(&self, dir: &Path, n: usize) -> Result<(Vec<(PathBuf, Seed)>, Digest), Refusal> {
        let (seeds, hash): (Vec<(PathBuf, Seed)>, Digest) = self.read(&dir.join(shard_name(n)))?;
        // An entry in the wrong shard, or out of order, was not written by
        // this format: not trusted.
        let sorted = seeds.windows(2).all(|w| bytes(&w[0].0) < bytes(&w[1].0));
        match sorted && seeds.iter().all(|(p, _)| shard_of(p) == n) {
            true => Ok((seeds, hash)),
            false => Err(Refusal::Distrusted(
                "an entry is in the wrong shard or out of order".into(),
            )),
        }
    }

    /// The site as the last build grouped it, when it can be trusted and
    /// belongs to this build's salt (see [`crate::delivery::snapshot`]).
    pub fn snapshot(&mut self) -> Option<Snapshot> {
        let path = self.dir.as_ref()?.join(SNAPSHOT_NAME);
        let why = match self.read::<Snapshot>(&path) {
            Ok((snapshot, _)) if snapshot.consistent() => return Some(snapshot),
            Ok(_) => "its columns do not agree with each other".to_string(),
            Err(Refusal::Missing | Refusal::Outdated) => return None,
            Err(Refusal::Distrusted(why)) => why,
        };
        self.distrusted.push(
            Diagnostic::warning(&path, 0, 0, format!("build state not used: {why}"))
                .with_hint("pressfeed groups every release again this run and stores a new state; nothing to do"),
        );
        None
    }

    /// Stores the site as this run grouped it.
    pub fn store_snapshot(&mut self, snapshot: &Snapshot) {
        let Some(dir) = self.place() else { return };
        let _ = self.write(&dir, SNAPSHOT_NAME, snapshot, None);
    }

    /// The entries of a few seeds, `paths`, from their shards alone (each
    /// read once): `None` for a seed the state has no trusted entry of.
    pub fn entries(&self, paths: &[&Path]) -> Vec<Option<Seed>> {
        let Some(dir) = self.dir.as_ref() else {
            return vec![None; paths.len()];
        };
        let mut shards: std::collections::BTreeMap<usize, Vec<(PathBuf, Seed)>> =
            std::collections::BTreeMap::new();
        paths
            .iter()
            .map(|&p| {
                let n = shard_of(p);
                let shard = shards
                    .entry(n)
                    .or_insert_with(|| self.read_shard(dir, n).map_or(Vec::new(), |(e, _)| e));
                let at = find(shard, p);
                at.ok().map(|i| shard[i].1.clone())
            })
            .collect()
    }

    /// Adds to the seed table the entries of `seeds` (a few new or changed
    /// seeds), leaving the other entries of their shards as they are: a
    /// run that read only those seeds ([`crate::site::regroup`]) stores
    /// them.
    pub fn add_seeds(&mut self, seeds: &[(&Path, &Seed)]) {
        let Some(dir) = self.place() else { return };
        let mut by_shard: std::collections::BTreeMap<usize, Vec<(&Path, &Seed)>> =
            std::collections::BTreeMap::new();
        for &(path, seed) in seeds {
            by_shard
                .entry(shard_of(path))
                .or_default()
                .push((path, seed));
        }
        for (n, added) in by_shard {
            // A shard that cannot be read loses its entries: their seeds
            // are read again by the next run that needs them.
            let mut entries = self.read_shard(&dir, n).map_or(Vec::new(), |(e, _)| e);
            for (path, seed) in added {
                match find(&entries, path) {
                    Ok(at) => entries[at].1 = seed.clone(),
                    Err(at) => entries.insert(at, (path.to_path_buf(), seed.clone())),
                }
            }
            let _ = self.write(&dir, &shard_name(n), &entries, None);
        }
    }

    /// Reads one state file, checking its header.
    fn read<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Result<(T, Digest), Refusal> {
        let bytes = match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Refusal::Missing),
            Err(e) => return Err(Refusal::Distrusted(format!("cannot read it: {e}"))),
            Ok(m) if !m.is_file() => return Err(Refusal::Distrusted("not a regular file".into())),
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return Err(Refusal::Distrusted(format!(
                    "larger than {MAX_FILE_BYTES} bytes"
                )));
            }
            Ok(_) => {
                fs::read(path).map_err(|e| Refusal::Distrusted(format!("cannot read it: {e}")))?
            }
        };
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Err(Refusal::Distrusted("not a pressfeed state file".into()));
        };
        let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(rest)
            .map_err(|_| Refusal::Distrusted("its header cannot be read".into()))?;
        if header.format != FORMAT {
            return Err(Refusal::Distrusted(format!(
                "written in format {} by another version of pressfeed (this one reads {FORMAT})",
                header.format
            )));
        }
        if header.out != self.out {
            return Err(Refusal::Distrusted(format!(
                "it belongs to another output folder ({})",
                crate::diag::shown(&header.out)
            )));
        }
        if header.salt != self.salt {
            return Err(Refusal::Outdated);
        }
        let damaged =
            || Refusal::Distrusted("its contents do not match its hash (a damaged file)".into());
        let at = rest.len().checked_sub(32).ok_or_else(damaged)?;
        let (payload, hash) = rest.split_at(at);
        let hash: Digest = hash.try_into().expect("32 bytes");
        if *blake3::hash(payload).as_bytes() != hash {
            return Err(damaged());
        }
        let value = postcard::from_bytes(payload)
            .map_err(|_| Refusal::Distrusted("its contents cannot be read".into()))?;
        Ok((value, hash))
    }

    /// Writes one state file atomically, unless its payload is `known`.
    fn write<T: Serialize>(
        &self,
        dir: &Path,
        name: &str,
        value: &T,
        known: Option<Digest>,
    ) -> io::Result<()> {
        let header = Header {
            format: FORMAT,
            out: self.out.clone(),
            salt: self.salt,
        };
        let mut head = MAGIC.to_vec();
        head.extend(postcard::to_stdvec(&header).map_err(io::Error::other)?);
        // A temporary file renamed over the old one, not synced: a file
        // that a power cut leaves half-written fails its hash and is not
        // used, which costs a full build, not a wrong one. A payload the
        // same as the `known` one leaves the old file in place.
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = fs::File::create(&tmp)
            .and_then(|mut file| {
                use io::Write;
                file.write_all(&head)?;
                let (mut file, hash) = Streamed::write(value, file)?;
                file.write_all(&hash)?;
                Ok(known != Some(hash))
            })
            .and_then(|changed| match changed {
                true => fs::rename(&tmp, &path),
                false => fs::remove_file(&tmp),
            });
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// What the state knows of each seed of `paths` (same order), looked
    /// up side by side; the table is emptied (the entries of seeds that
    /// are gone are counted by shard, see [`State::store_seeds`]).
    pub fn take_all(&mut self, paths: &Paths) -> Vec<Option<Seed>> {
        let table = std::mem::take(&mut self.seeds);
        if table.is_empty() {
            return vec![None; paths.len()];
        }
        paths
            .par_iter()
            .map(|p| {
                let shard = &table[shard_of(p)];
                let at = find(shard, p);
                at.ok().map(|i| shard[i].1.clone())
            })
            .collect()
    }

    /// Stores what a run knows of its seeds: `seeds` (one per path of
    /// `paths`, every seed of the run; `read[n]` when seed `n` was read
    /// rather than taken from this state). Only the shards that changed are
    /// written: those with a seed read, added or gone, or not read from
    /// disk. The shards are written one after the other, so that this can
    /// run beside the build's own work (see [`crate::build`]), on the cores
    /// it leaves idle. The state is an optimisation: when it cannot be
    /// stored, the next build reads and writes more, and is still right.
    pub fn store_seeds(&mut self, paths: &Paths, seeds: &[Seed], read: &[bool]) {
        let Some(dir) = self.place() else { return };
        // The temporary files of a run killed while it stored the state.
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
        let shard: Vec<usize> = paths.iter().map(shard_of).collect();
        let mut dirty: Vec<bool> = self.shard_hashes.iter().map(Option::is_none).collect();
        dirty.resize(SHARDS, true);
        // A shard none of whose seeds was read had an entry for each: it
        // changed only if it has entries for seeds that are gone.
        let mut unread = vec![0; SHARDS];
        for (&n, &read) in shard.iter().zip(read) {
            match read {
                true => dirty[n] = true,
                false => unread[n] += 1,
            }
        }
        for (n, &entries) in self.shard_entries.iter().enumerate() {
            dirty[n] |= entries != unread[n];
        }
        let mut shards: Vec<Vec<(&Path, &Seed)>> = vec![Vec::new(); SHARDS];
        for ((path, seed), &n) in paths.iter().zip(seeds).zip(&shard) {
            if dirty[n] {
                shards[n].push((path, seed));
            }
        }
        for (n, shard) in shards.iter_mut().enumerate().filter(|(n, _)| dirty[*n]) {
            // Sorted, so the same entries always give the same bytes, and
            // a later run finds each by binary search.
            shard.sort_unstable_by(|a, b| bytes(a.0).cmp(bytes(b.0)));
            let _ = self.write(&dir, &shard_name(n), shard, None);
        }
    }

    /// Stores what a run knows of the files it made from the plan, once
    /// they are published (after [`State::store_seeds`]).
    pub fn store_outputs(&mut self, outputs: &Outputs) {
        let Some(dir) = self.place() else { return };
        let _ = self.write(
            &dir,
            OUTPUTS_NAME,
            &SortedOutputs(outputs),
            self.outputs_hash,
        );
    }

    /// The state's folder, made if missing; `None` without a cache folder.
    fn place(&mut self) -> Option<PathBuf> {
        // A first build made the output folder: its state has a place now.
        if self.dir.is_none() {
            self.dir = location(&self.out);
            self.out = fs::canonicalize(&self.out).unwrap_or(std::mem::take(&mut self.out));
        }
        let dir = self.dir.clone()?;
        fs::create_dir_all(&dir).ok()?;
        Some(dir)
    }

    /// Forgets the state of `out`.
    pub fn remove(out: &Path) {
        if let Some(dir) = location(out) {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// [`Outputs`] serialised in sorted order, so that the same outputs always
/// give the same bytes (and an unchanged file is not written again).
struct SortedOutputs<'a>(&'a Outputs);

impl Serialize for SortedOutputs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut files: Vec<(&String, &Output)> = self.0.files.iter().collect();
        files.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut cuts: Vec<(&Digest, &Vec<(String, Cut)>)> = self.0.cuts.iter().collect();
        cuts.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut st = s.serialize_struct("Outputs", 2)?;
        st.serialize_field("files", &files)?;
        st.serialize_field("cuts", &cuts)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_outputs_read_back_as_outputs() {
        let mut outputs = Outputs::default();
        for n in 0..50u8 {
            outputs.files.insert(
                format!("f{n}/atom.xml"),
                Output {
                    digest: [n; 32],
                    on_disk: OnDisk {
                        size: n as u64,
                        mtime: 7,
                        ino: 9,
                    },
                    trimmed: (n % 7 == 0).then_some((1, 2)),
                },
            );
        }
        outputs.cuts.insert(
            [3; 32],
            vec![("Atom".into(), Cut::Shortened { size: 5, body: 2 })],
        );
        let bytes = postcard::to_stdvec(&SortedOutputs(&outputs)).unwrap();
        let back: Outputs = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, outputs);
        assert_eq!(
            bytes,
            postcard::to_stdvec(&SortedOutputs(&back.clone())).unwrap()
        );
    }

    /// A payload of several of the chunks it is written in reads back
    /// whole; one flipped byte in it, or a file cut short, is refused; a
    /// payload the same as the `known` one leaves the file alone.
    #[test]
    fn a_state_file_is_written_and_read_a_chunk_at_a_time() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        fs::create_dir(&dir).unwrap();
        let state = State {
            dir: Some(dir.clone()),
            out: tmp.path().to_path_buf(),
            salt: [3; 32],
            ..State::default()
        };
        let value: (Vec<(u64, String)>, String) = (
            (0..200_000u64)
                .map(|n| (n * 7919, format!("entry {n}")))
                .collect(),
            "a release. ".repeat(250_000),
        );
        state.write(&dir, "big.bin", &value, None).unwrap();
        let path = dir.join("big.bin");
        let (back, hash) = state
            .read::<(Vec<(u64, String)>, String)>(&path)
            .ok()
            .expect("the file reads back");
        assert_eq!(back, value);
        assert!(fs::metadata(&path).unwrap().len() > 3 * Streamed::<fs::File>::CHUNK as u64);
        // The same payload, known: not written again.
        let ino = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            fs::metadata(p).unwrap().ino()
        };
        let before = ino(&path);
        state.write(&dir, "big.bin", &value, Some(hash)).unwrap();
        assert_eq!(ino(&path), before);
        // Damaged in the middle, or cut short: refused.
        let bytes = fs::read(&path).unwrap();
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 1;
        fs::write(&path, &flipped).unwrap();
        assert!(matches!(
            state.read::<(Vec<(u64, String)>, String)>(&path),
            Err(Refusal::Distrusted(_))
        ));
        fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
        assert!(matches!(
            state.read::<(Vec<(u64, String)>, String)>(&path),
            Err(Refusal::Distrusted(_))
        ));
    }

    #[test]
    fn a_state_file_is_trusted_only_with_its_header() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        let mut state = State {
            dir: Some(tmp.path().join("state")),
            out: fs::canonicalize(&out).unwrap(),
            salt: [1; 32],
            ..State::default()
        };
        let dir = tmp.path().join("state");
        fs::create_dir(&dir).unwrap();
        let outputs = Outputs::default();
        state
            .write(&dir, OUTPUTS_NAME, &SortedOutputs(&outputs), None)
            .unwrap();
        assert!(state.read::<Outputs>(&dir.join(OUTPUTS_NAME)).is_ok());
        // Another salt: outdated.
        state.salt = [2; 32];
        assert!(matches!(
            state.read::<Outputs>(&dir.join(OUTPUTS_NAME)),
            Err(Refusal::Outdated)
        ));
        state.salt = [1; 32];
        // Another folder: distrusted.
        state.out = tmp.path().to_path_buf();
        assert!(matches!(
            state.read::<Outputs>(&dir.join(OUTPUTS_NAME)),
            Err(Refusal::Distrusted(_))
        ));
        state.out = fs::canonicalize(&out).unwrap();
        // A flipped byte: distrusted.
        let mut bytes = fs::read(dir.join(OUTPUTS_NAME)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(dir.join(OUTPUTS_NAME), &bytes).unwrap();
        assert!(matches!(
            state.read::<Outputs>(&dir.join(OUTPUTS_NAME)),
            Err(Refusal::Distrusted(_))
        ));
        // Garbage: distrusted.
        fs::write(dir.join(OUTPUTS_NAME), b"hello").unwrap();
        assert!(matches!(
            state.read::<Outputs>(&dir.join(OUTPUTS_NAME)),
            Err(Refusal::Distrusted(_))
        ));
    }

    /// A run rewrites the shards of the seeds it read and of those that
    /// are gone, and leaves the others as they are.
    #[test]
    fn only_the_shards_of_changed_and_gone_seeds_are_written_again() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        let dir = tmp.path().join("state");
        // Three seeds, each in a shard of its own.
        let mut paths: Vec<PathBuf> = Vec::new();
        for n in 0.. {
            let p = PathBuf::from(format!("seeds/{n}.md"));
            if paths.iter().all(|q| shard_of(q) != shard_of(&p)) {
                paths.push(p);
            }
            if paths.len() == 3 {
                break;
            }
        }
        let seed = |n: u8| Seed {
            stamp: (n as u64, 1, 2, 3),
            hash: [n; 32],
            loaded: Loaded::Skipped,
            diagnostics: Vec::new(),
            racy: false,
        };
        let seeds: Vec<Seed> = (0..3).map(seed).collect();
        let load = || State::load_from(Some(dir.clone()), &out, [7; 32]);
        let ino = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            fs::metadata(dir.join(shard_name(shard_of(p))))
                .unwrap()
                .ino()
        };

        let all: Paths = paths.iter().map(PathBuf::as_path).collect();
        let mut first = load();
        assert_eq!(first.take_all(&all), vec![None, None, None]);
        first.store_seeds(&all, &seeds, &[true; 3]);
        let (a, b) = (ino(&paths[0]), ino(&paths[1]));

        // The third seed is gone, the second was read again.
        let mut second = load();
        let kept: Paths = paths[..2].iter().map(PathBuf::as_path).collect();
        let kept = &kept;
        let taken = second.take_all(kept);
        assert_eq!(taken, vec![Some(seed(0)), Some(seed(1))]);
        second.store_seeds(kept, &seeds[..2], &[false, true]);
        assert_eq!(ino(&paths[0]), a, "an unchanged shard is not written");
        assert_ne!(ino(&paths[1]), b, "the shard of a seed read is written");

        let mut third = load();
        assert_eq!(
            third.take_all(&all),
            vec![Some(seed(0)), Some(seed(1)), None],
            "the entry of a seed that is gone is dropped"
        );
    }

    #[test]
    fn a_seed_changed_just_before_it_was_read_is_read_again() {
        // Whole seconds: two seconds.
        let stamp: Stamp = (10, 1, 100, 0);
        assert!(racy(&stamp, 101_500_000_000));
        assert!(!racy(&stamp, 103_000_000_000));
        // Finer: a tenth of a second.
        let stamp: Stamp = (10, 1, 100, 5);
        assert!(racy(&stamp, 100_050_000_000));
        assert!(!racy(&stamp, 100_200_000_000));
    }
}

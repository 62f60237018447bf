//! After publishing: mirror the output folder into an object store (`[deploy]`
//! in the configuration), so that a bucket behind a CDN serves what the
//! folder holds.
//!
//! - The files deployed are those the publish manifest vouches for
//!   ([`publish::owned_files`]), with the size and BLAKE3 hash it lists: no
//!   folder walk, and no file is read unless it is sent. Hidden files (the
//!   manifest, pending pings, ...) are never listed there, so never sent;
//!   nor is a file put in the folder by hand. A manifest that is missing or
//!   cannot be fully read, or lists a path with two versions (a build was
//!   stopped mid-rename), stops the deploy before the target is touched:
//!   the next build settles the folder.
//! - Only what differs is sent. The target holds a record of what pressfeed
//!   put there ([`REMOTE_MANIFEST`], under the prefix): each object's BLAKE3
//!   hash, the ETag the store gave it, its media type and `Cache-Control`. A
//!   file is sent when the record differs from the manifest's entry, or the
//!   listing of the prefix shows another ETag (the object was changed or
//!   removed by hand). Because the record lives in the target, a second or
//!   rebuilt build machine deploys correctly. A record of the first format
//!   (MD5s) keeps its ownership but vouches for no content: everything is
//!   sent once.
//! - A file that is sent is read through the output folder's descriptor,
//!   never through a link, and must still be what the manifest vouches for
//!   (size and hash): a file changed by hand since the build stops the
//!   deploy with an error naming it (the target stays consistent, as after
//!   any stopped deploy).
//! - Objects pressfeed did not put there are never touched, except one at a
//!   path the output folder has a file for, which that file replaces.
//!   Objects it put there whose file is gone are deleted.
//! - Order, so that no reader follows a link to something missing: deepest
//!   files first (archive documents, then history pages, then each feed's
//!   documents and page, then the lists of every feed), each depth finished
//!   before the next starts; then the record; deletions last.
//! - A deploy stopped at any point leaves a consistent site and the next one
//!   completes it: the record is extended with every new path before the
//!   first upload (so nothing uploaded is ever left unowned), rewritten after
//!   the uploads still listing the objects about to be deleted, and trimmed
//!   after the deletions.
//!
//! The object store is Apache Arrow's `object_store` (S3 and S3-compatible
//! services), driven by a small current-thread tokio runtime that lives only
//! inside [`deploy`]; the rest of pressfeed stays synchronous.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
    RetryConfig,
};
use serde::{Deserialize, Serialize};

use crate::config::Deploy;
use crate::delivery::publish::{self, OwnedReader, PublishError};
use crate::delivery::serve;
use crate::output::FEED_FORMATS;
use crate::progress::Progress;
use crate::site::paths;

/// The record of what pressfeed owns in the target, under the prefix.
pub const REMOTE_MANIFEST: &str = ".pressfeed-deploy.json";
/// Requests in flight at once.
pub const CONCURRENCY: usize = 8;
/// The most files a deploy sends from one output folder (the real archive
/// writes about 5,000; a million-release site about 80,000).
pub const MAX_FILES: usize = 1_000_000;
/// The largest file sent (feed documents are at most a few MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The largest remote record read (about 200 bytes an object).
const MAX_MANIFEST_BYTES: u64 = 512 << 20;
/// The record's format: 2 keeps BLAKE3 hashes, 1 kept MD5s.
const FORMAT: u32 = 2;

/// How a deploy runs.
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    /// Work out what would be sent and deleted, and change nothing.
    pub dry_run: bool,
    /// Test hook: fail after this many uploads, as a network failure would.
    pub fail_after: Option<usize>,
}

/// What a deploy did (or, with `dry_run`, would do).
#[derive(Debug, Default, Clone)]
pub struct DeployReport {
    /// `s3://bucket/prefix/`.
    pub target: String,
    /// Paths sent, relative to the output folder, in the order sent.
    pub sent: Vec<String>,
    pub bytes_sent: u64,
    /// Paths deleted from the target.
    pub deleted: Vec<String>,
    /// Files the target already held.
    pub unchanged: usize,
    /// Files of the output folder not sent, with the reason.
    pub skipped: Vec<(String, String)>,
    pub dry_run: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(
        "{}: cannot read the output folder: {source}",
        crate::diag::shown(path)
    )]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "{}: the output folder has more than {} files to deploy",
        crate::diag::shown(path),
        MAX_FILES
    )]
    TooMany { path: PathBuf },
    /// The store refused or could not be reached (after retries).
    #[error("{target}: {what}: {source}")]
    Store {
        target: String,
        what: String,
        source: object_store::Error,
    },
    #[error("{target}.pressfeed-deploy.json: {message}")]
    Manifest { target: String, message: String },
    #[error("{target}: cannot start the deploy: {source}")]
    Runtime { target: String, source: io::Error },
    /// The output folder cannot be read through its boundary (a link, a
    /// special file, a missing file).
    #[error("{source}")]
    Output { source: PublishError },
    /// The manifest cannot say which files pressfeed wrote, or a build was
    /// stopped mid-update.
    #[error("{}: {message}", crate::diag::shown(path))]
    Unsettled { path: PathBuf, message: String },
    /// A file to send is no longer what the manifest vouches for.
    #[error(
        "{}: changed since pressfeed wrote it (it is not the file the manifest lists); not sent",
        crate::diag::shown(path)
    )]
    Changed { path: PathBuf },
    #[error("{target}: stopped after {sent} upload(s) (test hook)")]
    Stopped { target: String, sent: usize },
}

/// The remote record: every object pressfeed owns under the prefix.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    format: u32,
    objects: BTreeMap<String, Owned>,
}

/// One owned object as pressfeed last put it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Owned {
    /// BLAKE3 hash of the bytes, in hex; empty while an upload is only
    /// intended, or when a record of the first format (MD5s) was read.
    #[serde(default)]
    blake3: String,
    /// The ETag the store answered the upload with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    content_type: String,
    cache_control: String,
}

/// One file of the output folder to deploy.
#[derive(Debug, Clone)]
struct Local {
    rel: String,
    size: u64,
    /// The BLAKE3 hash the manifest lists.
    hash: [u8; 32],
    owned: Owned,
}

/// Mirrors the output folder `out` into `target`: sends what differs, in an
/// order that never links to a missing object, and deletes what pressfeed
/// put there whose file is gone. Never touches `out`.
pub fn deploy(
    out: &Path,
    target: &Deploy,
    options: &DeployOptions,
    progress: &dyn Progress,
) -> Result<DeployReport, DeployError> {
    let shown = shown_target(target);
    progress.stage("reading", 0);
    let (files, skipped) = local_files(out, target)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| DeployError::Runtime {
            target: shown.clone(),
            source,
        })?;
    let store = open(target).map_err(|source| DeployError::Store {
        target: shown.clone(),
        what: "cannot open the target".into(),
        source,
    })?;
    let remote = Remote {
        store: &store,
        prefix: target.prefix.clone(),
        shown: shown.clone(),
    };
    let mut report = DeployReport {
        target: shown,
        skipped,
        dry_run: options.dry_run,
        ..DeployReport::default()
    };
    let reader = OwnedReader::open(out).map_err(|source| DeployError::Output { source })?;
    runtime.block_on(remote.mirror(&reader, files, options, &mut report, progress))?;
    Ok(report)
}

/// The target as a user wrote it, ending in `/`.
fn shown_target(target: &Deploy) -> String {
    format!("s3://{}/{}", target.bucket, target.prefix)
}

fn open(target: &Deploy) -> object_store::Result<Arc<dyn ObjectStore>> {
    // TLS with ring, the one crypto library pressfeed already carries (for
    // its WebSub pings): installed once per process, a no-op after.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Credentials, and the region when not configured, from the standard
    // AWS_* variables, web identity, ECS or instance metadata.
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&target.bucket)
        .with_retry(RetryConfig {
            max_retries: 5,
            retry_timeout: Duration::from_secs(120),
            ..RetryConfig::default()
        })
        .with_client_options(
            ClientOptions::new()
                .with_timeout(Duration::from_secs(60))
                .with_connect_timeout(Duration::from_secs(10)),
        );
    if let Some(region) = &target.region {
        builder = builder.with_region(region);
    }
    if let Some(endpoint) = &target.endpoint {
        builder = builder
            .with_endpoint(endpoint.as_str().trim_end_matches('/'))
            .with_allow_http(endpoint.scheme() == "http");
    }
    Ok(Arc::new(builder.build()?))
}

/// The media type a file is served with: each kind of file pressfeed
/// writes has the one `server-config` gives it ([`serve`]), then common web
/// files.
pub fn content_type(rel: &str) -> String {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    if let Some(format) = FEED_FORMATS.iter().find(|f| f.info().file == file) {
        return serve::feed_type(format.info());
    }
    if file == paths::OPML_FILE {
        return serve::OPML_TYPE.into();
    }
    // `sitemap.xml`, and the `sitemap-N.xml` files of a sitemap index.
    let sitemap_part = rel.starts_with("sitemap-") && rel.ends_with(".xml");
    if rel == paths::SITEMAP_FILE || sitemap_part {
        return serve::SITEMAP_TYPE.into();
    }
    let extension = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => serve::HTML_TYPE,
        "xml" => "application/xml",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "opml" => serve::OPML_TYPE,
        _ => "application/octet-stream",
    }
    .into()
}

/// Whether `rel` is an archive document (one small helper, so a
/// document-kind type can replace the path rule in one place).
fn is_archive(rel: &str) -> bool {
    paths::is_archive_path(rel)
}

/// Whether `rel` is a history page.
fn is_history(rel: &str) -> bool {
    paths::is_history_path(rel)
}

/// Each archive document's feed folder, format file and number.
fn archive_parts(rel: &str) -> Option<(&str, &str, u64)> {
    let (rest, file) = rel.rsplit_once('/')?;
    let (rest, number) = rest.rsplit_once('/')?;
    let dir = rest.strip_suffix(paths::ARCHIVE_FOLDER.trim_end_matches('/'))?;
    Some((dir, file, number.parse().ok()?))
}

/// The archive documents that are full (every one but the newest of each
/// feed and format): they never change, and get the long `Cache-Control`.
fn full_archives<'a>(paths: impl Iterator<Item = &'a str>) -> BTreeSet<&'a str> {
    let archives: Vec<&str> = paths.filter(|p| is_archive(p)).collect();
    let mut newest: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (dir, file, n) in archives.iter().filter_map(|p| archive_parts(p)) {
        let e = newest.entry((dir, file)).or_default();
        *e = (*e).max(n);
    }
    archives
        .into_iter()
        .filter(|p| {
            archive_parts(p).is_some_and(|(dir, file, n)| newest.get(&(dir, file)) != Some(&n))
        })
        .collect()
}

/// When a file is sent: lower first. Deeper files first (what pages link to
/// is deeper than they are), and at one depth archive documents, then month
/// pages, then year pages, then the rest.
fn rank(rel: &str) -> (std::cmp::Reverse<usize>, u8) {
    let depth = rel.matches('/').count();
    let kind = if is_archive(rel) {
        0
    } else if is_history(rel) && rel.rsplit('/').next().is_some_and(|f| f.contains('-')) {
        1
    } else if is_history(rel) {
        2
    } else {
        3
    };
    (std::cmp::Reverse(depth), kind)
}

/// Files of the output folder left out of a deploy, with why.
type Skipped = Vec<(String, String)>;

/// Every file the manifest of `out` vouches for, with its hash, media type
/// and `Cache-Control`; and the files left out. Reads the manifest only.
fn local_files(out: &Path, target: &Deploy) -> Result<(Vec<Local>, Skipped), DeployError> {
    let owned = publish::owned_files(out).map_err(|source| DeployError::Output { source })?;
    let manifest = out.join(publish::MANIFEST);
    if let Some(why) = owned.warnings.first() {
        return Err(DeployError::Unsettled {
            path: manifest,
            message: format!(
                "{why}: pressfeed cannot tell which files of the folder it wrote; run pressfeed build first"
            ),
        });
    }
    if !owned.unsettled.is_empty() {
        let shown: Vec<&str> = owned.unsettled.iter().take(5).map(String::as_str).collect();
        return Err(DeployError::Unsettled {
            path: manifest,
            message: format!(
                "a build was stopped while it updated the folder ({} file(s) unsettled: {}{}); run pressfeed build to finish it, then deploy",
                owned.unsettled.len(),
                shown.join(", "),
                if owned.unsettled.len() > 5 {
                    ", ..."
                } else {
                    ""
                }
            ),
        });
    }
    if owned.files.len() > MAX_FILES {
        return Err(DeployError::TooMany {
            path: out.to_path_buf(),
        });
    }
    let mut skipped = Vec::new();
    let mut found = Vec::new();
    for (rel, size, hash) in owned.files {
        // The manifest lists no hidden path; checked again all the same.
        if rel.split('/').any(|part| part.starts_with('.')) {
            continue;
        }
        if Key::parse(&rel).is_err() {
            skipped.push((rel, "its name cannot be an object key".into()));
        } else if size > MAX_FILE_BYTES {
            skipped.push((rel, format!("larger than {MAX_FILE_BYTES} bytes")));
        } else {
            found.push((rel, size, hash));
        }
    }
    let full = full_archives(found.iter().map(|(rel, ..)| rel.as_str()));
    let files = found
        .iter()
        .map(|(rel, size, hash)| {
            let cache_control = match full.contains(rel.as_str()) {
                true => &target.archive_cache_control,
                false => &target.cache_control,
            };
            Local {
                rel: rel.clone(),
                size: *size,
                hash: *hash,
                owned: Owned {
                    blake3: blake3::Hash::from_bytes(*hash).to_hex().to_string(),
                    etag: None,
                    content_type: content_type(rel),
                    cache_control: cache_control.clone(),
                },
            }
        })
        .collect();
    Ok((files, skipped))
}

/// An ETag without its quotes and weak marker, for comparing.
fn bare(etag: &str) -> &str {
    etag.trim_start_matches("W/").trim_matches('"')
}

/// The target, as the deploy sees it.
struct Remote<'s> {
    store: &'s Arc<dyn ObjectStore>,
    prefix: String,
    shown: String,
}

impl Remote<'_> {
    /// The object key of `rel`: the prefix (checked with the configuration)
    /// and a path checked with `Key::parse` when it was found, so the parts
    /// are kept as they are.
    fn key(&self, rel: &str) -> Key {
        Key::from_iter(
            self.prefix
                .split('/')
                .chain(rel.split('/'))
                .filter(|part| !part.is_empty()),
        )
    }

    fn store_error(&self, what: String) -> impl FnOnce(object_store::Error) -> DeployError + '_ {
        move |source| DeployError::Store {
            target: self.shown.clone(),
            what,
            source,
        }
    }

    async fn mirror(
        &self,
        reader: &OwnedReader,
        files: Vec<Local>,
        options: &DeployOptions,
        report: &mut DeployReport,
        progress: &dyn Progress,
    ) -> Result<(), DeployError> {
        progress.stage("listing", 0);
        let record = self.read_record().await?;
        let listed = self.list().await?;

        // What to send: a file whose record differs, or whose object is not
        // the one recorded.
        let mut sending: Vec<&Local> = Vec::new();
        for file in &files {
            let current = record.objects.get(&file.rel).is_some_and(|owned| {
                owned.etag.is_some()
                    && !owned.blake3.is_empty()
                    && owned.blake3 == file.owned.blake3
                    && owned.content_type == file.owned.content_type
                    && owned.cache_control == file.owned.cache_control
                    && listed.get(&file.rel).map(|e| bare(e)) == owned.etag.as_deref().map(bare)
            });
            match current {
                true => report.unchanged += 1,
                false => sending.push(file),
            }
        }
        sending.sort_by(|a, b| (rank(&a.rel), &a.rel).cmp(&(rank(&b.rel), &b.rel)));
        let local: BTreeSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        let stale: Vec<String> = record
            .objects
            .keys()
            .filter(|rel| !local.contains(rel.as_str()))
            .cloned()
            .collect();
        let deleting: Vec<String> = stale
            .iter()
            .filter(|rel| listed.contains_key(rel.as_str()))
            .cloned()
            .collect();
        report.sent = sending.iter().map(|f| f.rel.clone()).collect();
        report.bytes_sent = sending.iter().map(|f| f.size).sum();
        report.deleted = deleting.clone();
        if options.dry_run {
            return Ok(());
        }

        // Before the first upload, every path about to be sent is owned.
        let mut next = record.clone();
        next.format = FORMAT;
        for file in &sending {
            next.objects.entry(file.rel.clone()).or_insert(Owned {
                blake3: String::new(),
                etag: None,
                ..file.owned.clone()
            });
        }
        if next != record {
            self.write_record(&next).await?;
        }

        progress.stage("deploying", sending.len() as u64);
        let mut done = 0;
        for phase in sending.chunk_by(|a, b| rank(&a.rel) == rank(&b.rel)) {
            let uploads = stream::iter(phase.iter().map(|file| self.upload(reader, file)))
                .buffer_unordered(CONCURRENCY);
            futures_util::pin_mut!(uploads);
            while let Some(result) = uploads.next().await {
                let (rel, owned) = result?;
                next.objects.insert(rel, owned);
                progress.advance(1);
                done += 1;
                if options.fail_after.is_some_and(|n| done >= n) {
                    return Err(DeployError::Stopped {
                        target: self.shown.clone(),
                        sent: done,
                    });
                }
            }
        }
        // The record, still listing what is about to be deleted: a deploy
        // stopped during the deletions finishes them next time.
        for rel in stale.iter().filter(|rel| !deleting.contains(*rel)) {
            next.objects.remove(rel);
        }
        if next != record {
            self.write_record(&next).await?;
        }
        if !deleting.is_empty() {
            progress.stage("deleting", deleting.len() as u64);
            let keys: Vec<object_store::Result<Key>> =
                deleting.iter().map(|rel| Ok(self.key(rel))).collect();
            let keys = stream::iter(keys).boxed();
            let mut deleted = self.store.delete_stream(keys);
            while let Some(result) = deleted.next().await {
                match result {
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => progress.advance(1),
                    Err(source) => return Err(self.store_error("cannot delete".into())(source)),
                }
            }
            for rel in &deleting {
                next.objects.remove(rel);
            }
            self.write_record(&next).await?;
        }
        Ok(())
    }

    /// Sends one file with its media type and `Cache-Control`; returns what
    /// the record keeps of it.
    async fn upload(
        &self,
        reader: &OwnedReader,
        file: &Local,
    ) -> Result<(String, Owned), DeployError> {
        // Read through the folder's descriptor, never through a link; sent
        // only while it is still the file the manifest vouches for (the lock
        // keeps other runs out, not an editor).
        let bytes = reader
            .read(&file.rel, MAX_FILE_BYTES)
            .map_err(|source| DeployError::Output { source })?;
        if bytes.len() as u64 != file.size || *blake3::hash(&bytes).as_bytes() != file.hash {
            return Err(DeployError::Changed {
                path: reader.path().join(&file.rel),
            });
        }
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::ContentType,
            file.owned.content_type.clone().into(),
        );
        attributes.insert(
            Attribute::CacheControl,
            file.owned.cache_control.clone().into(),
        );
        let put = self
            .store
            .put_opts(
                &self.key(&file.rel),
                PutPayload::from(bytes),
                PutOptions {
                    attributes,
                    ..PutOptions::default()
                },
            )
            .await
            .map_err(self.store_error(format!("cannot upload {}", file.rel)))?;
        Ok((
            file.rel.clone(),
            Owned {
                etag: put.e_tag,
                ..file.owned.clone()
            },
        ))
    }

    /// The remote record, or an empty one when the target has none.
    async fn read_record(&self) -> Result<Record, DeployError> {
        let bad = |message: String| DeployError::Manifest {
            target: self.shown.clone(),
            message,
        };
        let key = self.key(REMOTE_MANIFEST);
        let got = match self.store.get(&key).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(Record::default()),
            Err(e) => return Err(self.store_error("cannot read the deploy record".into())(e)),
        };
        if got.meta.size > MAX_MANIFEST_BYTES {
            return Err(bad(format!(
                "is {} bytes, more than a deploy record can be ({MAX_MANIFEST_BYTES})",
                got.meta.size
            )));
        }
        let bytes = got
            .bytes()
            .await
            .map_err(self.store_error("cannot read the deploy record".into()))?;
        let mut record: Record = serde_json::from_slice(&bytes).map_err(|e| {
            bad(format!(
                "is not a pressfeed deploy record ({e}); delete it to deploy everything again, then delete by hand what pressfeed put there and no longer writes"
            ))
        })?;
        // A record of the first format kept MD5s, which are no longer
        // computed: its objects stay owned (so deletions and the rule for
        // foreign objects hold) but no content is vouched for, so each file
        // is sent once, as with no record.
        if record.format == 1 {
            record.format = FORMAT;
            for owned in record.objects.values_mut() {
                owned.blake3.clear();
                owned.etag = None;
            }
        }
        if record.format != FORMAT {
            return Err(bad(format!(
                "was written by another version of pressfeed (format {})",
                record.format
            )));
        }
        // Only paths an output folder can have: never the record itself or
        // anything outside the prefix.
        if let Some(rel) = record.objects.keys().find(|rel| {
            rel.is_empty()
                || rel.starts_with('.')
                || rel
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == "..")
                || Key::parse(rel).is_err()
        }) {
            return Err(bad(format!("lists {rel:?}, which pressfeed never writes")));
        }
        Ok(record)
    }

    async fn write_record(&self, record: &Record) -> Result<(), DeployError> {
        let bytes = serde_json::to_vec_pretty(record).expect("a record serialises");
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, "application/json".into());
        attributes.insert(Attribute::CacheControl, "no-store".into());
        self.store
            .put_opts(
                &self.key(REMOTE_MANIFEST),
                PutPayload::from(bytes),
                PutOptions {
                    attributes,
                    ..PutOptions::default()
                },
            )
            .await
            .map_err(self.store_error("cannot write the deploy record".into()))?;
        Ok(())
    }

    /// Every object under the prefix, by path below it, with its ETag.
    async fn list(&self) -> Result<BTreeMap<String, String>, DeployError> {
        let prefix = Key::parse(self.prefix.trim_end_matches('/')).unwrap_or_default();
        let prefix = (!self.prefix.is_empty()).then_some(prefix);
        let mut listed = BTreeMap::new();
        let mut objects = self.store.list(prefix.as_ref());
        while let Some(meta) = objects
            .try_next()
            .await
            .map_err(self.store_error("cannot list the objects".into()))?
        {
            if let Some(rel) = meta.location.as_ref().strip_prefix(self.prefix.as_str()) {
                listed.insert(rel.to_string(), meta.e_tag.unwrap_or_default());
            }
        }
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_the_first_format_owns_but_vouches_for_nothing() {
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        let remote = Remote {
            store: &store,
            prefix: "site/".into(),
            shown: "s3://b/site/".into(),
        };
        let old = r#"{"format": 1, "objects": {"index.html": {"md5": "00112233445566778899aabbccddeeff", "etag": "\"e\"", "content_type": "text/html; charset=utf-8", "cache_control": "max-age=300"}}}"#;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let record = runtime.block_on(async {
            store
                .put(
                    &remote.key(REMOTE_MANIFEST),
                    PutPayload::from(old.as_bytes().to_vec()),
                )
                .await
                .unwrap();
            remote.read_record().await.unwrap()
        });
        assert_eq!(record.format, FORMAT);
        let owned = &record.objects["index.html"];
        assert_eq!((owned.blake3.as_str(), owned.etag.as_deref()), ("", None));
        assert_eq!(owned.cache_control, "max-age=300");
        // A record of a later format is refused.
        let newer = runtime.block_on(async {
            let text = format!(r#"{{"format": {}, "objects": {{}}}}"#, FORMAT + 1);
            store
                .put(
                    &remote.key(REMOTE_MANIFEST),
                    PutPayload::from(text.into_bytes()),
                )
                .await
                .unwrap();
            remote.read_record().await
        });
        assert!(matches!(newer, Err(DeployError::Manifest { .. })));
    }

    #[test]
    fn media_types_by_file() {
        assert_eq!(
            content_type("atom.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(
            content_type("portfolios/x/feed.json"),
            "application/feed+json; charset=utf-8"
        );
        assert_eq!(
            content_type("x/rss.xml"),
            "application/rss+xml; charset=utf-8"
        );
        assert_eq!(content_type("feeds.opml"), "text/x-opml; charset=utf-8");
        assert_eq!(
            content_type("sitemap.xml"),
            "application/xml; charset=utf-8"
        );
        assert_eq!(
            content_type("history/2025.html"),
            "text/html; charset=utf-8"
        );
    }

    #[test]
    fn only_the_newest_archive_document_of_a_feed_changes() {
        let paths = [
            "archive/1/atom.xml",
            "archive/2/atom.xml",
            "archive/10/atom.xml",
            "portfolios/x/archive/1/atom.xml",
            "portfolios/x/archive/1/rss.xml",
            "portfolios/x/archive/2/rss.xml",
            "atom.xml",
        ];
        let full: Vec<&str> = full_archives(paths.into_iter()).into_iter().collect();
        assert_eq!(
            full,
            vec![
                "archive/1/atom.xml",
                "archive/2/atom.xml",
                "portfolios/x/archive/1/rss.xml"
            ]
        );
    }

    #[test]
    fn what_is_linked_to_is_sent_first() {
        let mut paths = vec![
            "index.html",
            "atom.xml",
            "history/2025.html",
            "history/2025-03.html",
            "archive/3/atom.xml",
            "portfolios/x/index.html",
            "portfolios/x/archive/1/atom.xml",
            "portfolios/x/history/2024.html",
        ];
        paths.sort_by_key(|p| (rank(p), *p));
        assert_eq!(
            paths,
            vec![
                "portfolios/x/archive/1/atom.xml",
                "portfolios/x/history/2024.html",
                "archive/3/atom.xml",
                "portfolios/x/index.html",
                "history/2025-03.html",
                "history/2025.html",
                "atom.xml",
                "index.html",
            ]
        );
    }
}

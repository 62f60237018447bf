//! How a long run reports its progress: every stage calls it, so it lives
//! apart from them all (the library re-exports it as `pressfeed::Progress`).

/// Progress of a long run, for a progress bar. Called from several threads.
///
/// Stages, in order: `finding`, `fingerprint` (build only), `reading` (read,
/// parse and validate every seed), `grouping`, `checked` (end of `check`),
/// `rendering`, `preparing` (folders, manifest), `writing`, `syncing`;
/// with a `[deploy]` target (and for `deploy`), `hashing`, `listing`,
/// `deploying` (one step per file sent), `deleting`; `pinging`, `done`.
/// Each call to [`Progress::stage`] ends the previous stage, so timing the
/// calls gives a per-stage breakdown.
pub trait Progress: Sync {
    /// A stage with `len` steps starts (`len` is 0 when it has no steps).
    fn stage(&self, _name: &'static str, _len: u64) {}
    /// `n` more steps of the current stage are done.
    fn advance(&self, _n: u64) {}
}

/// Reports no progress.
pub struct NoProgress;
impl Progress for NoProgress {}

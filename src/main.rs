//! The `pressfeed` command line: parses arguments, runs the library, prints
//! diagnostics and a summary, and maps the outcome to an exit status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pressfeed::{Error, Options, Progress};

/// mimalloc (its v2 line) instead of the platform's allocator: a build makes
/// millions of small allocations (front matter strings, XML and JSON
/// writers), and with glibc's allocator they cost about a sixth of a full
/// build's CPU time, plus one `mprotect` call each time a thread's heap grew
/// (28,000 for the real archive). With mimalloc a full build of the archive
/// takes 13% less CPU time, and peak memory is 196 MB instead of 172 MB
/// (1.15 GB instead of 1.26 GB at a million releases). BENCHMARKS.md has the
/// figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit statuses, documented in --help and README.md.
mod status {
    pub const OK: u8 = 0;
    pub const INVALID_INPUT: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const IO: u8 = 3;
    pub const LOCKED: u8 = 4;
    pub const SKIPPED_INVALID: u8 = 5;
    pub const TIMED_OUT: u8 = 6;
    pub const PING_FAILED: u8 = 7;
    /// 128 + the signal's number, as a shell reports a program it stopped.
    pub const INTERRUPTED: u8 = 130;
    pub const TERMINATED: u8 = 143;
}

const EXIT_STATUSES: &str = "\
Exit status:
  0  success (warnings may have been printed)
  1  invalid input: some seeds cannot be used; nothing was written
  2  usage or configuration error
  3  I/O failure reading seeds or writing the output folder, or a link or
     a file pressfeed did not write is where it would write one
  4  another pressfeed run held the output folder for longer than --lock-wait
  5  published with --skip-invalid, but some seeds were invalid and left out
  6  the run took longer than --timeout and was stopped: nothing was
     published half-done and its temporary files were removed
  7  published, but a WebSub hub could not be notified; what it was not told
     is kept and sent on the next run
  130  stopped by SIGINT (Ctrl-C), as by --timeout (see 6); what the hubs
     were not told is kept for the next run
  143  stopped by SIGTERM (systemd, kill), likewise";

/// Publish RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds from a folder of Markdown
/// press releases.
///
/// Every *.md, *.markdown and *.txt file under the seeds folder is a release:
/// YAML front matter (title, date, url, ministers, portfolios, attachments)
/// between `---` lines, then a Markdown body. pressfeed writes one global feed,
/// one per portfolio and one per minister, an HTML page for each with
/// autodiscovery links, and an OPML list of every feed.
#[derive(Parser, Debug)]
#[command(name = "pressfeed", version, after_help = EXIT_STATUSES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read the seeds and write every feed into the output folder.
    ///
    /// Files are replaced atomically, files whose bytes did not change are not
    /// touched, feeds that no longer exist are removed, and files pressfeed
    /// did not write are never touched: if one is where pressfeed would write
    /// a file, the build stops before changing anything.
    #[command(after_help = EXIT_STATUSES)]
    Build {
        #[command(flatten)]
        common: Common,
        /// Output folder, served as static files.
        #[arg(long, value_name = "DIR", default_value = "feeds")]
        out: PathBuf,
        /// Publish the valid releases even if some seeds are invalid (they are
        /// reported, and the exit status is 5).
        #[arg(long)]
        skip_invalid: bool,
        /// Seconds to wait for another pressfeed run to finish with the output
        /// folder before giving up with exit status 4.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        lock_wait: u64,
        /// Always run the whole pipeline. By default a build whose inputs
        /// (seeds, configuration, pressfeed itself) did not change since the
        /// last build into the same folder, and whose output is intact, reads
        /// and writes nothing.
        #[arg(long)]
        no_cache: bool,
        /// Do not notify the configured WebSub hubs (`hubs` in the
        /// configuration) of changed feed documents; what they would have
        /// been told is kept and sent by the next run without --no-ping.
        #[arg(long)]
        no_ping: bool,
    },
    /// Read and validate every seed and print problems; write nothing.
    ///
    /// Besides errors, warns about unknown keys, releases that share a URL,
    /// implausible dates, empty bodies, names unlikely to be a minister's or
    /// a portfolio's and names that are probably one; lists the releases
    /// held back by their date (embargoes) with the moment each is due.
    #[command(after_help = EXIT_STATUSES)]
    Check {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args, Debug)]
struct Common {
    /// Folder of releases, read recursively (hidden files skipped, links
    /// never followed, only regular files read).
    #[arg(long, value_name = "DIR", default_value = "seeds")]
    seeds: PathBuf,
    /// Configuration file. Optional: when the default one is absent, built-in
    /// defaults are used; a file named here must exist.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print only problems: no summary, no progress bar, no warnings.
    #[arg(long, short)]
    quiet: bool,
    /// Print how long each stage took, and the peak memory so far, on stderr.
    #[arg(long)]
    timings: bool,
    /// Stop a run that has not finished after this many seconds (0: no
    /// limit), with exit status 6, so that a stuck run never holds the
    /// output folder for good. A batch of files being renamed into place is
    /// finished first; nothing is published half-done.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    timeout: u64,
    /// Take this RFC 3339 moment as now (default: the clock). It decides
    /// only which embargoed releases (dated later than now) are held back,
    /// for previews and tests: `--now 2026-12-02T09:00:00+13:00`.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

fn parse_now(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("{e}; write a date-time such as 2026-12-02T09:00:00+13:00"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                status::USAGE
            } else {
                status::OK
            });
        }
    };
    ExitCode::from(run(cli))
}

fn options(common: &Common) -> Options {
    Options {
        seeds: common.seeds.clone(),
        config: common
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("pressfeed.toml")),
        config_required: common.config.is_some(),
        now: common.now,
        ..Options::default()
    }
}

fn run(cli: Cli) -> u8 {
    let started = Instant::now();
    let (Command::Check { common } | Command::Build { common, .. }) = &cli.command;
    watchdog(common.timeout);
    on_signals();
    match cli.command {
        Command::Check { common } => {
            let progress = Bar::new(&common);
            match pressfeed::check(&options(&common), &progress) {
                Ok((checked, site, _)) => {
                    progress.clear();
                    print_diagnostics(&checked.diagnostics, common.quiet);
                    if !common.quiet {
                        for h in &checked.held {
                            println!(
                                "{}: held until {} (embargo): it appears in no output before then",
                                pressfeed::diag::shown(&h.path),
                                h.due.to_rfc3339()
                            );
                        }
                        println!(
                            "pressfeed: checked {} file(s): {} release(s), {} feed(s){}; {} invalid file(s), {} error(s), {} warning(s)",
                            checked.files,
                            site.releases.len(),
                            site.feeds.len(),
                            held(&checked),
                            checked.invalid,
                            checked.errors(),
                            checked.warnings()
                        );
                    }
                    if checked.invalid > 0 {
                        status::INVALID_INPUT
                    } else {
                        status::OK
                    }
                }
                Err(e) => {
                    progress.clear();
                    report_error(&e, common.quiet)
                }
            }
        }
        Command::Build {
            common,
            out,
            skip_invalid,
            lock_wait,
            no_cache,
            no_ping,
        } => {
            let options = Options {
                out,
                skip_invalid,
                lock_wait: Duration::from_secs(lock_wait),
                use_cache: !no_cache,
                ping: !no_ping,
                #[cfg(feature = "test-hooks")]
                fail_after: std::env::var("PRESSFEED_TEST_FAIL_AFTER")
                    .ok()
                    .and_then(|v| v.parse().ok()),
                ..options(&common)
            };
            let progress = Bar::new(&common);
            match pressfeed::build(&options, &progress) {
                Ok(report) => {
                    progress.clear();
                    print_diagnostics(&report.checked.diagnostics, common.quiet);
                    if !common.quiet {
                        let p = report.publish;
                        let what = if report.up_to_date {
                            format!(
                                "nothing changed since the last build of {} file(s)",
                                report.checked.files
                            )
                        } else {
                            format!("read {} file(s)", report.checked.files)
                        };
                        println!(
                            "pressfeed: {what}, published {} release(s) in {} feed(s){}; {} file(s) written, {} unchanged, {} removed; {} warning(s){}{}; {:.2}s",
                            report.releases,
                            report.feeds,
                            held(&report.checked),
                            p.written,
                            p.unchanged,
                            p.removed,
                            report.checked.warnings(),
                            if report.checked.invalid > 0 {
                                format!(", {} invalid file(s) skipped", report.checked.invalid)
                            } else {
                                String::new()
                            },
                            match (report.ping.sent, report.pings_pending) {
                                (0, 0) => String::new(),
                                (sent, 0) => format!("; hubs told of {sent} document(s)"),
                                (sent, left) => format!(
                                    "; hubs told of {sent} document(s), {left} kept for the next run"
                                ),
                            },
                            started.elapsed().as_secs_f64()
                        );
                    }
                    for f in &report.ping.failures {
                        eprintln!(
                            "pressfeed: hub {} was not told about {} changed document(s): {}",
                            f.hub,
                            f.urls.len(),
                            pressfeed::diag::escape_controls(&f.error)
                        );
                        eprintln!(
                            "  hint: the publish is complete; the next run tells the hub again (check `hubs` in the configuration if this persists)"
                        );
                    }
                    if report.checked.invalid > 0 {
                        status::SKIPPED_INVALID
                    } else if !report.ping.failures.is_empty() {
                        status::PING_FAILED
                    } else {
                        status::OK
                    }
                }
                Err(e) => {
                    progress.clear();
                    report_error(&e, common.quiet)
                }
            }
        }
    }
}

/// Ends the process with [`status::TIMED_OUT`] once `secs` have passed (never,
/// for 0). The library is told first, so that it finishes a batch of renames
/// in progress and removes its temporary files.
fn watchdog(secs: u64) {
    if secs == 0 {
        return;
    }
    let limit = Duration::from_secs(secs);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        pressfeed::delivery::publish::abandon(Duration::from_secs(10));
        eprintln!(
            "pressfeed: the run took longer than --timeout {secs}s and was stopped; nothing was published half-done"
        );
        eprintln!(
            "  hint: look for a seed or output folder on a file system that hangs; raise --timeout if the archive is simply that large"
        );
        std::process::exit(i32::from(status::TIMED_OUT));
    });
}

/// On SIGTERM or SIGINT, stops the run as [`watchdog`] does (a batch of
/// renames in progress is finished, temporary files are removed, the lock
/// is released as the process ends) and exits with 128 + the signal's
/// number. What the hubs must be told of the files already renamed is
/// recorded before the renames start, so the next run sends it.
fn on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            pressfeed::delivery::publish::abandon(Duration::from_secs(10));
            let (name, code) = match signal {
                SIGINT => ("SIGINT", status::INTERRUPTED),
                _ => ("SIGTERM", status::TERMINATED),
            };
            eprintln!(
                "pressfeed: stopped by {name}; nothing was published half-done and the run's temporary files were removed"
            );
            eprintln!("  hint: the next run finishes the job");
            std::process::exit(i32::from(code));
        }
    });
}

/// ", 2 held until their time (the next at ...)" for a summary line.
fn held(checked: &pressfeed::Checked) -> String {
    match checked.next_due() {
        None => String::new(),
        Some(next) => format!(
            ", {} held until their time (the next at {})",
            checked.held.len(),
            next.to_rfc3339()
        ),
    }
}

fn print_diagnostics(diagnostics: &[pressfeed::diag::Diagnostic], quiet: bool) {
    let mut stderr = std::io::stderr().lock();
    for d in diagnostics {
        if d.is_error() || !quiet {
            use std::io::Write;
            let _ = writeln!(stderr, "{d}");
        }
    }
}

fn report_error(e: &Error, quiet: bool) -> u8 {
    match e {
        Error::Invalid { diagnostics, .. } => {
            print_diagnostics(diagnostics, quiet);
            eprintln!("pressfeed: {e}");
            eprintln!(
                "  hint: fix the errors above, or pass --skip-invalid to publish the valid releases"
            );
            status::INVALID_INPUT
        }
        Error::Config(d) => {
            eprintln!("{d}");
            status::USAGE
        }
        Error::Seeds { .. } => {
            eprintln!("pressfeed: {e}");
            eprintln!("  hint: pass the folder of releases with --seeds DIR");
            status::IO
        }
        Error::Read { .. } => {
            eprintln!("pressfeed: {e}");
            eprintln!("  hint: a seed changed or vanished during the run; run pressfeed again");
            status::IO
        }
        Error::Publish(pressfeed::delivery::publish::PublishError::Locked { .. }) => {
            eprintln!("pressfeed: {e}");
            eprintln!("  hint: wait for the other run to finish, or raise --lock-wait");
            status::LOCKED
        }
        Error::Publish(pressfeed::delivery::publish::PublishError::Foreign { .. }) => {
            eprintln!("pressfeed: {e}");
            eprintln!(
                "  hint: nothing was published; move those entries out of the output folder (or choose another --out): pressfeed never follows a link there, nor replaces a file it did not write or one changed since; if an earlier pressfeed run wrote them and its .pressfeed-manifest was lost, delete them"
            );
            status::IO
        }
        Error::Publish(_) => {
            eprintln!("pressfeed: {e}");
            eprintln!(
                "  hint: check that the output folder is writable and the disk has space; the next run repairs any partial update"
            );
            status::IO
        }
    }
}

/// Peak resident memory so far, where the system tells (Linux).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().strip_suffix(" kB")?.parse::<u64>().ok())
        })
        .map_or_else(String::new, |kb| format!("  peak {:>4} MB", kb / 1024))
}

/// A progress bar on a terminal (nothing when stderr is a pipe or a file,
/// or with --quiet), and the stage timings for --timings.
struct Bar {
    bar: Option<ProgressBar>,
    /// With --timings: the current stage and when it started.
    timings: Option<Mutex<(&'static str, u64, Instant)>>,
}

impl Bar {
    fn new(common: &Common) -> Bar {
        let timings = common
            .timings
            .then(|| Mutex::new(("starting", 0, Instant::now())));
        if common.quiet || !std::io::stderr().is_terminal() {
            return Bar { bar: None, timings };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar {
            bar: Some(bar),
            timings,
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn stage(&self, name: &'static str, len: u64) {
        if let Some(timings) = &self.timings
            && let Ok(mut t) = timings.lock()
        {
            let now = Instant::now();
            let ms = (now - t.2).as_secs_f64() * 1e3;
            let items = match t.1 {
                0 => String::new(),
                n => format!("  {n} items"),
            };
            eprintln!("timing: {:<12} {ms:>8.1} ms{}{items}", t.0, peak_memory());
            *t = (name, len, now);
        }
        if let Some(bar) = &self.bar {
            bar.set_message(name);
            bar.set_length(len);
            bar.set_position(0);
        }
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }
}

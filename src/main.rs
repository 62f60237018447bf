//! The `pressfeed` command line: parses arguments, runs the library, prints
//! diagnostics and a summary, and maps the outcome to an exit status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pressfeed::report::{self, Stopwatch};
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
    pub const DEPLOY_FAILED: u8 = 8;
    /// 128 + the signal's number, as a shell reports a program it stopped.
    pub const INTERRUPTED: u8 = 130;
    pub const TERMINATED: u8 = 143;
}

const EXIT_STATUSES: &str = "\
Exit status:
  0  success (warnings may have been printed)
  1  invalid input: some seeds cannot be used, or the output would pass
     max_output_bytes; nothing was published
  2  usage or configuration error
  3  I/O failure reading seeds or writing the output folder, or a link or
     a file pressfeed did not write is where it would write one
  4  another pressfeed run held the output folder for longer than --lock-wait
  5  published with --skip-invalid, but some seeds were invalid and left out
  6  the run took longer than --timeout and was stopped: nothing was
     published half-done and its temporary files were removed
  7  published, but a WebSub hub could not be notified; what it was not told
     is kept and sent on the next run (a hub that refuses the ping in 5 runs
     in a row has its pings dropped, with a warning)
  8  published into the output folder, but the [deploy] target could not be
     brought up to date; it still serves a consistent site, the next run
     completes the deploy, and the hubs are told then
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
#[command(
    name = "pressfeed",
    version = env!("PRESSFEED_VERSION"),
    after_help = EXIT_STATUSES
)]
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
        /// Always run the whole pipeline: read every seed, make every file.
        /// By default a build whose inputs (seeds, configuration, pressfeed
        /// itself) did not change since the last build into the same folder,
        /// and whose output is intact, reads and writes nothing, and a build
        /// after a change reads only the seeds that changed and makes only
        /// the files whose inputs changed (the output is the same).
        #[arg(long)]
        no_cache: bool,
        /// Do not notify the configured WebSub hubs (`hubs` in the
        /// configuration) of changed feed documents; what they would have
        /// been told is kept (in the output folder's hidden
        /// .pressfeed-pings) and sent by the next run without --no-ping.
        #[arg(long)]
        no_ping: bool,
        /// Write the run's metrics to FILE in the Prometheus text format, for
        /// node_exporter's textfile collector (name it *.prom): start, end
        /// and last success times, exit status, stage durations, releases,
        /// feeds, files and pings. Replaced atomically, also by failed runs.
        #[arg(long, value_name = "FILE")]
        metrics: Option<PathBuf>,
        /// Write the same facts as --metrics to FILE as JSON.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Print the web server configuration that serves the output folder at
    /// `base_url`: each kind of file with its media type and
    /// charset=utf-8, the WebSub Link headers (rel="hub" for each
    /// configured hub, rel="self") on every subscription document, and
    /// pressfeed's hidden files refused. For nginx it goes inside the
    /// `server` block; for Apache inside the <VirtualHost>.
    ServerConfig {
        /// The web server.
        #[arg(value_enum)]
        server: ServerKind,
        /// Configuration file (default: pressfeed.toml, or the built-in
        /// defaults when it is absent).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The output folder: with it, the configuration maps `base_url`'s
        /// path to the folder (nginx `alias`, Apache `Alias`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Mirror the output folder into the `[deploy]` target of the
    /// configuration (an S3 bucket and prefix), without building.
    ///
    /// Sends only the files that differ from what the target holds, each
    /// with its media type and Cache-Control; deepest first (archive
    /// documents, history pages, then the documents and pages that link to
    /// them); deletes last what pressfeed put there and no longer writes;
    /// never touches other objects. Then sends the WebSub pings earlier runs
    /// kept. `build` does the same after publishing when `[deploy]` is set.
    #[command(after_help = EXIT_STATUSES)]
    Deploy {
        /// Output folder to mirror.
        #[arg(long, value_name = "DIR", default_value = "feeds")]
        out: PathBuf,
        /// Configuration file (default: pressfeed.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// List what would be sent and deleted; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not send the WebSub pings kept by earlier runs.
        #[arg(long)]
        no_ping: bool,
        /// Seconds to wait for a pressfeed run to finish with the output
        /// folder.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        lock_wait: u64,
        /// Stop a deploy that has not finished after this many seconds (0:
        /// no limit), with exit status 6; the next run completes it.
        #[arg(long, value_name = "SECS", default_value_t = 600)]
        timeout: u64,
        /// Print only problems.
        #[arg(long, short)]
        quiet: bool,
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
    /// Write the man pages (pressfeed.1, pressfeed-build.1, ...) or the bash,
    /// zsh and fish completions into DIR, from this command line's own
    /// definition: for packaging (scripts/package.sh).
    #[command(hide = true)]
    Generate {
        #[arg(value_enum)]
        what: Generated,
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Generated {
    Man,
    Completions,
}

/// Writes what `generate` asks for into `dir` (created if missing).
fn generate(what: Generated, dir: &std::path::Path) -> u8 {
    use clap::CommandFactory;
    let written = std::fs::create_dir_all(dir).and_then(|()| match what {
        Generated::Man => clap_mangen::generate_to(Cli::command(), dir),
        Generated::Completions => {
            let mut cmd = Cli::command();
            for shell in [
                clap_complete::Shell::Bash,
                clap_complete::Shell::Zsh,
                clap_complete::Shell::Fish,
            ] {
                clap_complete::generate_to(shell, &mut cmd, "pressfeed", dir)?;
            }
            Ok(())
        }
    });
    match written {
        Ok(()) => status::OK,
        Err(e) => {
            eprintln!("pressfeed: {}: cannot write: {e}", dir.display());
            status::IO
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ServerKind {
    Nginx,
    Apache,
}

#[derive(Args, Debug)]
struct Common {
    /// Folder of releases, read recursively (hidden files skipped, links
    /// never followed, only regular files read).
    #[arg(long, value_name = "DIR", default_value = "seeds")]
    seeds: PathBuf,
    /// Configuration file. When neither this nor PRESSFEED_CONFIG names one,
    /// the first that exists of ./pressfeed.toml and
    /// /etc/pressfeed/pressfeed.toml is read, else built-in defaults are
    /// used; a file named here or by PRESSFEED_CONFIG must exist.
    #[arg(long, value_name = "FILE", env = "PRESSFEED_CONFIG")]
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
            .unwrap_or_else(|| pressfeed::config::search(pressfeed::config::SEARCH_PATH)),
        config_required: common.config.is_some(),
        now: common.now,
        ..Options::default()
    }
}

fn run(cli: Cli) -> u8 {
    let started = Instant::now();
    let started_at = SystemTime::now();
    let stopwatch = Arc::new(Stopwatch::default());
    let common = match &cli.command {
        Command::Check { common } | Command::Build { common, .. } => Some(common),
        Command::Generate { what, dir } => return generate(*what, dir),
        Command::ServerConfig {
            server,
            config,
            out,
        } => return server_config(*server, config.as_deref(), out.as_deref()),
        Command::Deploy { .. } => None,
    };
    let monitor = match &cli.command {
        Command::Build {
            metrics, report, ..
        } => Monitor {
            metrics: metrics.clone(),
            report: report.clone(),
            started_at,
            stopwatch: Arc::clone(&stopwatch),
        },
        _ => Monitor::none(&stopwatch),
    };
    match (common, &cli.command) {
        (Some(common), _) => watchdog(common.timeout, monitor.clone()),
        (None, Command::Deploy { timeout, .. }) => watchdog(*timeout, monitor.clone()),
        (None, _) => {}
    }
    on_signals(monitor.clone());
    match cli.command {
        Command::Deploy {
            out,
            config,
            dry_run,
            no_ping,
            lock_wait,
            timeout,
            quiet,
        } => {
            let options = Options {
                out,
                config_required: config.is_some(),
                config: config.unwrap_or_else(|| PathBuf::from("pressfeed.toml")),
                lock_wait: Duration::from_secs(lock_wait),
                #[cfg(feature = "test-hooks")]
                deploy_fail_after: deploy_fail_after(),
                ..Options::default()
            };
            let progress = Bar::with(quiet, false, stopwatch);
            let d = match pressfeed::deploy(&options, dry_run, &progress) {
                Ok(d) => d,
                Err(e) => {
                    progress.clear();
                    return report_error(&e, quiet);
                }
            };
            progress.clear();
            print_skipped(&d, quiet);
            if dry_run {
                for path in &d.sent {
                    println!("send {path}");
                }
                for path in &d.deleted {
                    println!("delete {path}");
                }
            }
            // The documents are live: tell the hubs what earlier runs kept.
            let outcome = match dry_run || no_ping {
                true => None,
                false => match ping_now(&options, timeout, started) {
                    Ok(outcome) => Some(outcome),
                    Err(e) => return report_error(&e, quiet),
                },
            };
            if !quiet {
                println!(
                    "pressfeed: {}{}; {:.2}s",
                    deployed(&d),
                    outcome
                        .as_ref()
                        .map_or(String::new(), |o| pings(o.report.sent, o.pending)),
                    started.elapsed().as_secs_f64()
                );
            }
            outcome
                .as_ref()
                .map_or(status::OK, |o| print_ping_outcome(o, &options.out))
        }
        Command::Check { common } => {
            let progress = Bar::new(&common, stopwatch);
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
        Command::ServerConfig { .. } => status::USAGE,
        Command::Build {
            common,
            out,
            skip_invalid,
            lock_wait,
            no_cache,
            no_ping,
            ..
        } => {
            let options = Options {
                out,
                skip_invalid,
                lock_wait: Duration::from_secs(lock_wait),
                use_cache: !no_cache,
                #[cfg(feature = "test-hooks")]
                fail_after: std::env::var("PRESSFEED_TEST_FAIL_AFTER")
                    .ok()
                    .and_then(|v| v.parse().ok()),
                #[cfg(feature = "test-hooks")]
                deploy_fail_after: deploy_fail_after(),
                ..options(&common)
            };
            let progress = Bar::new(&common, stopwatch);
            let outcome = pressfeed::build(&options, &progress);
            if pressfeed::delivery::publish::abandoned() {
                // Stopped by a signal or by --timeout, which ends the
                // process with its own status once the renames in progress
                // are done: what the build made of being stopped (an error
                // writing the manifest, or nothing) is not this run's end.
                loop {
                    std::thread::park();
                }
            }
            progress.clear();
            let mut pinged = None;
            let mut ping_error = None;
            let status = match &outcome {
                Ok(report) => {
                    // Only once the documents are live (published, and
                    // deployed when there is a target) are the hubs told;
                    // what a stopped or failed round leaves is kept for the
                    // next run.
                    if !no_ping && !matches!(report.deploy, Some(Err(_))) {
                        match ping_now(&options, common.timeout, started) {
                            Ok(o) => pinged = Some(o),
                            Err(e) => ping_error = Some(e),
                        }
                    }
                    let (sent, pending) = match &pinged {
                        Some(o) => (o.report.sent, o.pending),
                        None => (0, report.pings_pending),
                    };
                    print_diagnostics(&report.checked.diagnostics, common.quiet);
                    if !common.quiet {
                        let p = &report.publish;
                        let what = if report.up_to_date {
                            format!(
                                "nothing changed since the last build of {} file(s)",
                                report.checked.files
                            )
                        } else if report.checked.read < report.checked.files {
                            // An incremental build: the rest were known.
                            format!(
                                "read {} of {} file(s)",
                                report.checked.read, report.checked.files
                            )
                        } else {
                            format!("read {} file(s)", report.checked.files)
                        };
                        println!(
                            "pressfeed: {what}, published {} release(s) in {} feed(s){}; {} file(s) written, {} unchanged, {} removed; {} warning(s){}{}{}; {:.2}s",
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
                            match &report.deploy {
                                Some(Ok(d)) => format!("; {}", deployed(d)),
                                _ => String::new(),
                            },
                            pings(sent, pending),
                            started.elapsed().as_secs_f64()
                        );
                    }
                    let ping_status = match (&pinged, &ping_error) {
                        (_, Some(e)) => report_error(e, common.quiet),
                        (Some(o), None) => print_ping_outcome(o, &options.out),
                        (None, None) => status::OK,
                    };
                    if let Some(Ok(d)) = &report.deploy {
                        print_skipped(d, common.quiet);
                    }
                    let deploy_failed = match &report.deploy {
                        Some(Err(e)) => {
                            print_deploy_error(e);
                            true
                        }
                        _ => false,
                    };
                    if report.checked.invalid > 0 {
                        status::SKIPPED_INVALID
                    } else if deploy_failed {
                        status::DEPLOY_FAILED
                    } else if ping_status != status::OK {
                        ping_status
                    } else {
                        status::OK
                    }
                }
                Err(e) => report_error(e, common.quiet),
            };
            monitor.record(
                status,
                outcome
                    .as_ref()
                    .ok()
                    .map(|r| report::Counts::new(r, pinged.as_ref())),
                outcome.as_ref().err().map(ToString::to_string),
            )
        }
        Command::Generate { .. } => status::OK,
    }
}

/// Where `build --metrics` and `--report` write the facts of the run.
#[derive(Clone)]
struct Monitor {
    metrics: Option<PathBuf>,
    report: Option<PathBuf>,
    started_at: SystemTime,
    stopwatch: Arc<Stopwatch>,
}

impl Monitor {
    fn none(stopwatch: &Arc<Stopwatch>) -> Monitor {
        Monitor {
            metrics: None,
            report: None,
            started_at: SystemTime::now(),
            stopwatch: Arc::clone(stopwatch),
        }
    }

    /// Writes the files asked for; the exit status, which is an I/O failure
    /// if one cannot be written after an otherwise successful run.
    fn record(&self, status: u8, counts: Option<report::Counts>, error: Option<String>) -> u8 {
        if self.metrics.is_none() && self.report.is_none() {
            return status;
        }
        // The last success a failed run carries over: from the metrics file,
        // else from the report.
        let previous = [&self.metrics, &self.report]
            .into_iter()
            .flatten()
            .find_map(|path| report::previous_success(path));
        let run = report::Run::new(
            env!("PRESSFEED_VERSION"),
            self.started_at,
            status,
            matches!(status, status::OK | status::PING_FAILED),
            previous,
            self.stopwatch.stages(),
            counts,
            error,
        );
        let mut result = status;
        let files = [(&self.metrics, run.metrics()), (&self.report, run.json())];
        for (path, text) in files {
            let Some(path) = path else { continue };
            if let Err(e) = report::write_atomically(path, &text) {
                eprintln!(
                    "pressfeed: {}: cannot write: {e}",
                    pressfeed::diag::shown(path)
                );
                eprintln!(
                    "  hint: the folder must exist and be writable by the user pressfeed runs as"
                );
                if result == status::OK {
                    result = status::IO;
                }
            }
        }
        result
    }
}

/// `pressfeed server-config`: prints the configuration on stdout.
fn server_config(
    server: ServerKind,
    config: Option<&std::path::Path>,
    out: Option<&std::path::Path>,
) -> u8 {
    let path = config.unwrap_or(std::path::Path::new("pressfeed.toml"));
    match pressfeed::config::Config::load(path, config.is_some()) {
        Ok(config) => {
            let server = match server {
                ServerKind::Nginx => pressfeed::delivery::serve::Server::Nginx,
                ServerKind::Apache => pressfeed::delivery::serve::Server::Apache,
            };
            print!(
                "{}",
                pressfeed::delivery::serve::server_config(&config, server, out)
            );
            status::OK
        }
        Err(d) => {
            eprintln!("{d}");
            status::USAGE
        }
    }
}

/// Whether the run is telling the WebSub hubs (for the timeout's hint).
static PINGING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tells the hubs what the output folder's pending store holds, flagging
/// the round for the timeout's hint.
fn ping_now(
    options: &Options,
    timeout: u64,
    started: Instant,
) -> Result<pressfeed::delivery::websub::Outcome, Error> {
    PINGING.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcome = pressfeed::ping(options, &ping_settings(timeout, started));
    PINGING.store(false, std::sync::atomic::Ordering::Relaxed);
    outcome
}

/// How the hubs are told: the round ends well within --timeout.
fn ping_settings(timeout: u64, started: Instant) -> pressfeed::delivery::websub::PingSettings {
    let mut settings = pressfeed::delivery::websub::PingSettings::default();
    if timeout > 0 {
        let left = Duration::from_secs(timeout).saturating_sub(started.elapsed());
        // Requests in flight end within their own timeout of the bound.
        let margin = settings.timeout * 2;
        settings.total = settings.total.min(left.saturating_sub(margin));
    }
    settings
}

/// Prints what the hubs were not told (one line per reason, not per hub),
/// the hubs whose pings were dropped, and a store that could not be kept;
/// returns the exit status they call for.
fn print_ping_outcome(o: &pressfeed::delivery::websub::Outcome, out: &std::path::Path) -> u8 {
    use pressfeed::delivery::websub::MAX_REFUSED_RUNS;
    // Failures with the same reason are said once, naming a few hubs.
    let groups = o.by_reason();
    const GROUPS_SHOWN: usize = 10;
    const HUBS_NAMED: usize = 3;
    for g in groups.iter().take(GROUPS_SHOWN) {
        let named = g.hubs[..g.hubs.len().min(HUBS_NAMED)].join(", ");
        let who = match g.hubs.len() {
            1 => format!("hub {named} was"),
            n if n <= HUBS_NAMED => format!("hubs {named} were"),
            n => format!("hubs {named} and {} more were", n - HUBS_NAMED),
        };
        eprintln!(
            "pressfeed: {who} not told about {} changed document(s): {}",
            g.documents,
            pressfeed::diag::escape_controls(&g.error)
        );
        if g.refused {
            eprintln!(
                "  hint: the hub refuses this ping ({} run(s) in a row; its pings are dropped after {MAX_REFUSED_RUNS}): check its address and credentials in `hubs`",
                g.refused_runs
            );
        } else {
            eprintln!(
                "  hint: the publish is complete; the next run tells the hub again (check `hubs` in the configuration if this persists)"
            );
        }
    }
    if groups.len() > GROUPS_SHOWN {
        let rest: usize = groups[GROUPS_SHOWN..].iter().map(|g| g.hubs.len()).sum();
        eprintln!(
            "pressfeed: and {rest} more hub(s) not told, for {} other reason(s)",
            groups.len() - GROUPS_SHOWN
        );
    }
    for d in &o.dropped {
        eprintln!(
            "pressfeed: warning: hub {} refused the ping in {MAX_REFUSED_RUNS} runs in a row ({}): its {} pending ping(s) are dropped",
            d.hub,
            pressfeed::diag::escape_controls(&d.error),
            d.urls
        );
        eprintln!(
            "  hint: fix the hub's address or credentials in `hubs`, or remove it; later changes are sent to it again"
        );
    }
    if let Some(e) = &o.store_error {
        eprintln!(
            "pressfeed: {}: cannot keep the pings the hubs were not told: {e}",
            pressfeed::diag::shown(&out.join(pressfeed::delivery::websub::PENDING_FILE))
        );
        eprintln!(
            "  hint: the publish is complete, but these hubs may miss it: make the output folder writable"
        );
        return status::IO;
    }
    if o.report.failures.is_empty() {
        status::OK
    } else {
        status::PING_FAILED
    }
}

/// The test hook that stops a deploy after N uploads.
#[cfg(feature = "test-hooks")]
fn deploy_fail_after() -> Option<usize> {
    std::env::var("PRESSFEED_TEST_DEPLOY_FAIL_AFTER")
        .ok()
        .and_then(|v| v.parse().ok())
}

/// "hubs told of ..." for a summary line.
fn pings(sent: usize, pending: usize) -> String {
    match (sent, pending) {
        (0, 0) => String::new(),
        (sent, 0) => format!("; hubs told of {sent} document(s)"),
        (sent, left) => format!("; hubs told of {sent} document(s), {left} kept for the next run"),
    }
}

/// "deployed to s3://...: ..." for a summary line.
fn deployed(d: &pressfeed::delivery::deploy::DeployReport) -> String {
    let mb = d.bytes_sent as f64 / 1e6;
    match d.dry_run {
        true => format!(
            "would deploy to {}: {} file(s) to send ({mb:.1} MB), {} to delete, {} unchanged (dry run: nothing changed)",
            d.target,
            d.sent.len(),
            d.deleted.len(),
            d.unchanged
        ),
        false => format!(
            "deployed to {}: {} file(s) sent ({mb:.1} MB), {} deleted, {} unchanged",
            d.target,
            d.sent.len(),
            d.deleted.len(),
            d.unchanged
        ),
    }
}

fn print_skipped(d: &pressfeed::delivery::deploy::DeployReport, quiet: bool) {
    if quiet {
        return;
    }
    for (path, why) in &d.skipped {
        eprintln!(
            "pressfeed: {}: not deployed: {why}",
            pressfeed::diag::escape_controls(path)
        );
    }
}

fn print_deploy_error(e: &pressfeed::delivery::deploy::DeployError) {
    eprintln!(
        "pressfeed: deploy failed: {}",
        pressfeed::diag::escape_controls(&e.to_string())
    );
    use pressfeed::delivery::deploy::DeployError;
    let hint = match e {
        DeployError::Read { .. } | DeployError::TooMany { .. } => {
            "deploy the output folder a build wrote (--out DIR); the target was not changed"
        }
        DeployError::Manifest { .. } => {
            "the target was not changed; see the message for how to repair its record"
        }
        DeployError::Unsettled { .. } => {
            "the target was not changed; run pressfeed build, then deploy"
        }
        DeployError::Changed { .. } | DeployError::Output { .. } => {
            "the target still serves a consistent site; a deploy sends only the files a build wrote: run pressfeed build (or put the file back), then deploy"
        }
        _ => {
            "the target still serves a consistent site; check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role), the bucket and deploy.endpoint; the next run completes the deploy and tells the hubs"
        }
    };
    eprintln!("  hint: {hint}");
}

/// Ends the process with [`status::TIMED_OUT`] once `secs` have passed (never,
/// for 0). The library is told first, so that it finishes a batch of renames
/// in progress and removes its temporary files.
fn watchdog(secs: u64, monitor: Monitor) {
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
        if PINGING.load(std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "  hint: the publish is complete; the hubs were still being told, and what they were not told is kept for the next run"
            );
        } else {
            eprintln!(
                "  hint: look for a seed or output folder on a file system that hangs; raise --timeout if the archive is simply that large"
            );
        }
        let error = format!("the run took longer than --timeout {secs}s and was stopped");
        monitor.record(status::TIMED_OUT, None, Some(error));
        std::process::exit(i32::from(status::TIMED_OUT));
    });
}

/// On SIGTERM or SIGINT, stops the run as [`watchdog`] does (a batch of
/// renames in progress is finished, temporary files are removed, the lock
/// is released as the process ends) and exits with 128 + the signal's
/// number. What the hubs must be told of the files already renamed is
/// recorded before the renames start, so the next run sends it.
fn on_signals(monitor: Monitor) {
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
            monitor.record(code, None, Some(format!("stopped by {name}")));
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
        Error::OverBudget { diagnostics } => {
            print_diagnostics(diagnostics, quiet);
            eprintln!("pressfeed: {e}");
            status::INVALID_INPUT
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
        Error::Deploy(e) => {
            print_deploy_error(e);
            status::DEPLOY_FAILED
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
    /// The stages' times, for --timings and --metrics.
    stopwatch: Arc<Stopwatch>,
    /// With --timings: the steps of the current stage.
    timings: Option<AtomicU64>,
}

impl Bar {
    fn new(common: &Common, stopwatch: Arc<Stopwatch>) -> Bar {
        Bar::with(common.quiet, common.timings, stopwatch)
    }

    fn with(quiet: bool, timings: bool, stopwatch: Arc<Stopwatch>) -> Bar {
        let timings = timings.then(|| AtomicU64::new(0));
        if quiet || !std::io::stderr().is_terminal() {
            return Bar {
                bar: None,
                stopwatch,
                timings,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar {
            bar: Some(bar),
            stopwatch,
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
        let (ended, took) = self.stopwatch.lap(name);
        if let Some(steps) = &self.timings {
            let ms = took.as_secs_f64() * 1e3;
            let items = match steps.swap(len, Ordering::Relaxed) {
                0 => String::new(),
                n => format!("  {n} items"),
            };
            eprintln!("timing: {ended:<12} {ms:>8.1} ms{}{items}", peak_memory());
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

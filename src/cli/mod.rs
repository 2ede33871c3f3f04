//! The command line: Chalice's `package` surface plus grail's additions, as
//! the CLI contract (`docs/cli-contract.md`) lists them, and the `anyhow`
//! edge that turns errors into the contract's exit codes.
//!
//! ```text
//! grail [--project-dir DIR] [--debug] package OUT [options]
//! grail [--project-dir DIR] lock [options]
//! grail [--project-dir DIR] why PACKAGE [options]
//! grail [--project-dir DIR] suggest-layers [options]
//! grail [--project-dir DIR] verify [OUT] [options]
//! grail layer scan LAYER.zip [--arn ARN] [-o FILE]
//! grail layer fetch ARN… [-o PATH] [--profile P] [--keep-archive DIR]
//! grail completions bash|zsh|fish
//! ```
//!
//! Arguments are parsed here ([`args`]) and turned into the library's plain
//! settings ([`grail::options`]); the commands ([`grail::commands`]) never
//! see clap.

pub mod args;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::OnceLock;

use args::{BuildArgs, Cli, ColorChoice, Command, LayerCommand};
use grail::error::{ExitKind, Failure};
use grail::progress::{Bars, Plain, Progress};
use grail::secrets::redact_text;
use grail::ui::Ui;

/// The run's progress sink, once chosen: taken down before the error line
/// or a panic message is printed.
static PROGRESS: OnceLock<Progress> = OnceLock::new();

/// The output settings `-q`, `-v`, `--debug`, `--color` and
/// `--no-progress` ask for.
fn ui(b: &BuildArgs, debug: bool) -> Ui {
    let color = match b.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
        }
    };
    let progress = *PROGRESS.get_or_init(|| progress(b, debug, color));
    Ui {
        quiet: b.quiet,
        errors_only: b.quiet,
        verbose: b.verbose,
        debug,
        color,
        progress,
    }
}

/// Bars on a terminal (unless `--no-progress`, or `TERM=dumb`, which cannot
/// move the cursor); else milestone lines with `-v`/`--debug`; else, and
/// always with `-q`, nothing. The sink lives for the rest of the process.
fn progress(b: &BuildArgs, debug: bool, color: bool) -> Progress {
    let terminal =
        std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
    if b.quiet {
        Progress::default()
    } else if terminal && !b.no_progress {
        Progress::new(Box::leak(Box::new(Bars::stderr(color))))
    } else if b.verbose || debug {
        Progress::new(Box::leak(Box::new(Plain::stderr())))
    } else {
        Progress::default()
    }
}

/// Take the bars down (the run is over, or is about to print its error).
fn clear_progress() {
    if let Some(p) = PROGRESS.get() {
        p.clear();
    }
}

/// The parsed command line; `grail lock` also learns whether `--stage`
/// was given (without it, every stage is locked).
fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches()?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let Command::Lock(args) = &mut cli.command {
        args.stage_given = matches
            .subcommand_matches("lock")
            .and_then(|m| m.value_source("stage"))
            == Some(clap::parser::ValueSource::CommandLine);
    }
    Ok(cli)
}

/// Parse the command line, run it, and return the process exit code.
pub fn main() -> i32 {
    let cli = match parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
                // The contract: bad usage is exit 1 (click would say 2).
                _ => ExitKind::Usage.code(),
            };
            let _ = e.print();
            return code;
        }
    };
    install_panic_hook(cli.debug);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)));
    clear_progress();
    match outcome {
        Ok(Ok(())) => 0,
        Ok(Err(err)) => {
            eprintln!("error: {}", redact_text(&render_error(&err)));
            exit_code(&err)
        }
        // The hook has printed the message; the contract's code for where it happened.
        Err(_) if grail::guard::in_dependency_work() => ExitKind::Dependencies.code(),
        Err(_) => ExitKind::Usage.code(),
    }
}

/// The last resort: a panic (a bug, never expected input) prints one line
/// asking for a report, with a backtrace only under `--debug`; panics that
/// [`grail::guard::catch`] contains print nothing.
fn install_panic_hook(debug: bool) {
    std::panic::set_hook(Box::new(move |info| {
        if grail::guard::is_quiet() {
            return;
        }
        clear_progress();
        let message = grail::guard::panic_message(info.payload());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error, please report: {}{at}",
            redact_text(&message)
        );
        if debug {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// The error and its causes, one per line after the first.
fn render_error(err: &anyhow::Error) -> String {
    let mut out = err.to_string();
    for cause in err.chain().skip(1) {
        let s = cause.to_string();
        if !out.contains(&s) {
            out.push_str("\n  caused by: ");
            out.push_str(&s);
        }
    }
    out
}

/// A stderr subscriber for the library's `tracing` events: `-v` shows
/// grail's debug events (others' info), `--debug` grail's trace events
/// (others' debug, but HTTP/2 and hyper's per-frame chatter only from info
/// up: it buries grail's own events); without either, nothing.
fn init_tracing(verbose: bool, debug: bool, progress: Progress) {
    use tracing::level_filters::LevelFilter;
    let (grail, others) = match (verbose, debug) {
        (_, true) => (LevelFilter::TRACE, LevelFilter::DEBUG),
        (true, false) => (LevelFilter::DEBUG, LevelFilter::INFO),
        (false, false) => return,
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("grail", grail)
        .with_target("h2", others.min(LevelFilter::INFO))
        .with_target("hyper_util", others.min(LevelFilter::INFO))
        .with_default(others);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // A second initialisation (never in the binary) is harmless.
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || RedactingStderr(Vec::new(), progress))
                .without_time(),
        )
        .with(filter)
        .try_init();
}

/// One tracing event, buffered and written to stderr with credentials
/// redacted when the event is complete (a field may quote a URL), above any
/// progress bars.
struct RedactingStderr(Vec<u8>, Progress);

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingStderr {
    fn drop(&mut self) {
        let text = redact_text(&String::from_utf8_lossy(&self.0));
        self.1.suspend(&mut || eprint!("{text}"));
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let project_dir = cli
        .project_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    // Debug builds only: lets the tests prove the panic edge.
    #[cfg(debug_assertions)]
    if let Ok(place) = std::env::var("GRAIL_TEST_PANIC") {
        let boom = || panic!("GRAIL_TEST_PANIC");
        match place.as_str() {
            "dependencies" => grail::guard::dependency_work(boom),
            _ => boom(),
        }
    }
    match cli.command {
        Command::Package(args) => {
            let ui = ui(&args.build, cli.debug);
            init_tracing(ui.verbose && !ui.quiet, ui.debug, ui.progress);
            grail::commands::package::run_package(&project_dir, &args.options(), &ui)?;
        }
        Command::Lock(args) => {
            let ui = ui(&args.build, cli.debug);
            init_tracing(ui.verbose && !ui.quiet, ui.debug, ui.progress);
            grail::commands::lock::run(&project_dir, &args.options(), &ui)?;
        }
        Command::Why(args) => {
            let ui = ui(&args.build, cli.debug);
            init_tracing(ui.verbose && !ui.quiet, ui.debug, ui.progress);
            grail::commands::why::run(&project_dir, &args.options(), &ui)?;
        }
        Command::SuggestLayers(args) => {
            let ui = ui(&args.build, cli.debug);
            init_tracing(ui.verbose && !ui.quiet, ui.debug, ui.progress);
            grail::commands::suggest_layers::run(&project_dir, &args.options(), &ui)?;
        }
        Command::Verify(args) => {
            let ui = ui(&args.build, cli.debug);
            init_tracing(ui.verbose && !ui.quiet, ui.debug, ui.progress);
            grail::commands::verify::run(&project_dir, &args.options(), &ui)?;
        }
        Command::Layer(LayerCommand::Scan(args)) => {
            init_tracing(false, cli.debug, Progress::default());
            grail::commands::layer_scan::run(&args.options())?;
        }
        Command::Layer(LayerCommand::Fetch(args)) => {
            init_tracing(false, cli.debug, Progress::default());
            grail::commands::layer_fetch::run(&args.options())?;
        }
        Command::Layer(LayerCommand::Show(args)) => {
            init_tracing(false, cli.debug, Progress::default());
            grail::commands::layer_show::run(&args.options())?;
        }
        Command::Completions(args) => completions(args.shell.into()),
    }
    Ok(())
}

/// `grail completions SHELL`: the script, generated from the same clap
/// definition that parses the command line, on stdout.
fn completions(shell: clap_complete::Shell) {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "grail", &mut std::io::stdout());
}

/// The exit code for an error: the first [`Failure`] in its chain decides,
/// anything unclassified is treated as bad input (1).
fn exit_code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.kind.code();
        }
    }
    ExitKind::Usage.code()
}

//! The command line: Chalice's `package` surface plus grail's additions, as
//! the CLI contract lists them, and the `anyhow` edge that turns errors into
//! the contract's exit codes.
//!
//! ```text
//! grail [--project-dir DIR] [--debug] package OUT [options]
//! grail [--project-dir DIR] why PACKAGE [options]
//! grail layer scan LAYER.zip [--arn ARN] [-o FILE]
//! ```

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{exit_code, ExitKind};
use crate::target::{Arch, PythonVersion};

/// grail: a fast, layer-aware, reproducible drop-in replacement for `chalice package`.
#[derive(Debug, Parser)]
#[command(name = "grail", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The Chalice project directory (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// Print debug logging to stderr.
    #[arg(long, global = true)]
    pub debug: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the deployment package(s) into OUT, like `chalice package`.
    Package(PackageArgs),
    /// Explain why a package is (or is not) in the deployment package.
    Why(WhyArgs),
    /// Work with Lambda layers.
    #[command(subcommand)]
    Layer(LayerCommand),
}

/// `grail layer …`
#[derive(Debug, Subcommand)]
pub enum LayerCommand {
    /// Write a layer manifest (grail-layer-manifest/1) from a layer zip.
    Scan(ScanArgs),
}

/// `grail layer scan` options.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The layer zip (from `aws lambda get-layer-version-by-arn --query Content.Location`).
    pub layer_zip: PathBuf,
    /// The layer version ARN to record in the manifest.
    #[arg(long)]
    pub arn: Option<String>,
    /// Where to write the manifest (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `--pkg-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PkgFormat {
    /// SAM/CloudFormation (`sam.json` / `sam.yaml`).
    Cloudformation,
    /// Terraform (`chalice.tf.json`).
    Terraform,
}

/// `--template-format` (case-insensitive, as in Chalice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    /// `sam.json`
    Json,
    /// `sam.yaml`
    Yaml,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Options shared by `package` and `why` (everything that decides what ships).
#[derive(Debug, Args, Clone)]
pub struct BuildArgs {
    /// The Chalice stage whose configuration applies.
    #[arg(long, default_value = "dev")]
    pub stage: String,
    /// AWS profile (only for things that need one).
    #[arg(long)]
    pub profile: Option<String>,
    /// Interpreter for app introspection and, unless overridden, the runtime version.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Lambda runtime to package for (3.10 to 3.14); beats config and the interpreter.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<PythonVersion>,
    /// Lambda architecture; beats config `lambda_architecture`.
    #[arg(long, value_parser = ["x86_64", "arm64"])]
    pub arch: Option<String>,
    /// chalice release to take `chalice/app.py` and `chalice/__init__.py` from when no interpreter with chalice is found.
    #[arg(long, value_name = "X")]
    pub chalice_version: Option<String>,
    /// Base URL of the package index (PEP 503/691).
    #[arg(long, short = 'i', value_name = "URL")]
    pub index_url: Option<String>,
    /// Extra package index URL (repeatable).
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,
    /// A directory or HTML page with wheels (repeatable).
    #[arg(long, short = 'f', value_name = "DIR|URL")]
    pub find_links: Vec<String>,
    /// Ignore package indexes (only find-links, vendor/ and the cache).
    #[arg(long)]
    pub no_index: bool,
    /// Use only the local cache, find-links and vendor/.
    #[arg(long)]
    pub offline: bool,
    /// Cache directory (default `$GRAIL_CACHE_DIR`, else `~/.cache/grail`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Re-query the index instead of trusting cached index pages.
    #[arg(long)]
    pub refresh: bool,
    /// The contents of a layer: `ARN=PATH` to a grail-layer-manifest/1 file (repeatable).
    #[arg(long, value_name = "ARN=PATH")]
    pub layer_manifest: Vec<String>,
    /// Warn about dependencies that cannot be installed and go on (Chalice's behaviour).
    #[arg(long)]
    pub allow_missing: bool,
    /// Bundle a package even though an attached layer provides a conflicting version.
    #[arg(long)]
    pub allow_shadow: bool,
    /// Only errors on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// More detail on stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// Colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Never show progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// `grail package` options.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Output directory (or zip file with --single-file); relative to the project dir.
    pub out: PathBuf,
    /// Template format to generate.
    #[arg(long, value_enum, default_value_t = PkgFormat::Cloudformation)]
    pub pkg_format: PkgFormat,
    /// `json` or `yaml` (CloudFormation only).
    #[arg(long, value_enum, ignore_case = true, default_value_t = TemplateFormat::Json)]
    pub template_format: TemplateFormat,
    /// A JSON or YAML template to merge into the generated one (CloudFormation only).
    #[arg(long, value_name = "PATH")]
    pub merge_template: Option<PathBuf>,
    /// Write OUT as a single zip (CloudFormation only).
    #[arg(long)]
    pub single_file: bool,
    /// Write the JSON report (grail-report/1) to PATH.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Also write the zip(s) under `.chalice/deployments/` with Chalice's names.
    #[arg(long)]
    pub chalice_cache: bool,
    /// Everything that decides what ships.
    #[command(flatten)]
    pub build: BuildArgs,
}

/// `grail why` options.
#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The package to explain.
    pub package: String,
    /// Everything that decides what ships.
    #[command(flatten)]
    pub build: BuildArgs,
}

impl BuildArgs {
    /// `--arch` as an [`Arch`] (the value parser already restricted it).
    pub fn arch(&self) -> Option<Arch> {
        self.arch.as_deref().and_then(|a| a.parse().ok())
    }
}

/// How chatty to be, and whether warnings are coloured.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// Only errors.
    pub quiet: bool,
    /// Extra detail.
    pub verbose: bool,
    /// `--debug`.
    pub debug: bool,
    /// Colour on stderr.
    pub color: bool,
}

impl Ui {
    /// A line of progress on stdout (as Chalice prints them).
    pub fn status(&self, msg: &str) {
        if !self.quiet {
            println!("{msg}");
        }
    }

    /// A warning on stderr.
    pub fn warn(&self, msg: &str) {
        if self.color {
            eprintln!("\x1b[33mwarning\x1b[0m: {msg}");
        } else {
            eprintln!("warning: {msg}");
        }
    }

    /// Detail shown with `-v` or `--debug`.
    pub fn info(&self, msg: &str) {
        if (self.verbose || self.debug) && !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// Debug logging (`--debug`).
    pub fn debug(&self, msg: &str) {
        if self.debug {
            eprintln!("debug: {msg}");
        }
    }

    fn from_build(b: &BuildArgs, debug: bool) -> Ui {
        let color = match b.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
            }
        };
        Ui {
            quiet: b.quiet,
            verbose: b.verbose,
            debug,
            color,
        }
    }
}

/// Parse the command line, run it, and return the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
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
    match run(cli) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: {}", render_error(&err));
            exit_code(&err)
        }
    }
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

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let project_dir = cli
        .project_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Package(args) => {
            let ui = Ui::from_build(&args.build, cli.debug);
            crate::package::run_package(&project_dir, &args, &ui)
        }
        Command::Why(args) => {
            let ui = Ui::from_build(&args.build, cli.debug);
            crate::why::run(&project_dir, &args, &ui)
        }
        Command::Layer(LayerCommand::Scan(args)) => run_layer_scan(&args),
    }
}

/// `grail layer scan LAYER.zip [--arn ARN] [-o FILE]`.
fn run_layer_scan(args: &ScanArgs) -> anyhow::Result<()> {
    let arn = args
        .arn
        .as_deref()
        .map(str::parse::<crate::layers::LayerArn>)
        .transpose()
        .map_err(|e| crate::error::usage(anyhow::anyhow!("--arn: {e}")))?;
    let scanned = crate::layers::scan_layer_zip(&args.layer_zip, arn.as_ref())
        .map_err(|e| crate::error::Failure::new(e.exit_kind(), e))?;
    for w in &scanned.warnings {
        eprintln!("warning: {w}");
    }
    let json = scanned.manifest.to_json();
    match &args.output {
        None => print!("{json}"),
        Some(path) => {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let write = || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                let mut tmp = tempfile::Builder::new()
                    .prefix(".grail-manifest-")
                    .tempfile_in(&dir)?;
                std::io::Write::write_all(&mut tmp, json.as_bytes())?;
                tmp.persist(path).map_err(|e| e.error)?;
                Ok(())
            };
            anyhow::Context::with_context(write(), || format!("cannot write {}", path.display()))
                .map_err(crate::error::usage)?;
            eprintln!(
                "Wrote {} ({} packages, {} bytes unzipped).",
                path.display(),
                scanned.manifest.packages.len(),
                crate::budget::group_digits(scanned.manifest.unzipped_bytes)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn template_format_is_case_insensitive() {
        let c =
            Cli::try_parse_from(["grail", "package", "out", "--template-format", "YAML"]).unwrap();
        let Command::Package(p) = c.command else {
            panic!()
        };
        assert_eq!(p.template_format, TemplateFormat::Yaml);
    }

    #[test]
    fn pkg_format_is_case_sensitive_and_validated() {
        assert!(
            Cli::try_parse_from(["grail", "package", "out", "--pkg-format", "Terraform"]).is_err()
        );
        assert!(Cli::try_parse_from(["grail", "package", "out", "--pkg-format", "zip"]).is_err());
    }

    #[test]
    fn python_version_is_validated() {
        let e = Cli::try_parse_from(["grail", "package", "out", "--python-version", "three"])
            .unwrap_err();
        assert!(e.to_string().contains("three"));
    }
}

//! The command line as clap parses it, and its conversion into the
//! library's settings ([`grail::options`]): clap stops here.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use grail::options::{
    BuildOptions, FetchOptions, PackageOptions, ScanOptions, ShowOptions, SuggestOptions,
    VerifyOptions, WhyOptions,
};
use grail::target::PythonVersion;

/// grail: a fast, layer-aware, reproducible drop-in replacement for `chalice package`.
#[derive(Debug, Parser)]
#[command(
    name = "grail",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Examples:\n  \
grail package out/                          # like `chalice package out/`\n  \
grail package out/ --report out/report.json # and a JSON report, whatever the outcome\n  \
grail why numpy                             # why numpy ships (or not)\n  \
grail completions bash > ~/.local/share/bash-completion/completions/grail"
)]
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
    #[command(after_help = "Examples:\n  \
grail package out/\n  \
grail package out/ --python-version 3.12 --arch arm64 --report out/report.json\n  \
grail package out/ --report-html out/report.html   # see the 250 MiB budget in a browser\n  \
grail --project-dir app/ package out/ --stage prod --pkg-format terraform")]
    Package(PackageArgs),
    /// Explain why a package is (or is not) in the deployment package.
    #[command(after_help = "Examples:\n  \
grail why numpy\n  \
grail why pandas --stage prod --layer-manifest ARN=pandas-layer.json")]
    Why(WhyArgs),
    /// Say which known public layer would keep the most out of the zip (for this region, runtime, arch).
    #[command(after_help = "Examples:\n  \
grail suggest-layers\n  \
AWS_REGION=eu-west-1 grail suggest-layers --stage prod --python-version 3.12 --arch arm64")]
    SuggestLayers(SuggestArgs),
    /// Import the packaged zip(s) under the target Python as Lambda will, and call each route.
    #[command(after_help = "Examples:\n  \
grail verify out/\n  \
grail verify out/ --python ~/.pyenv/versions/3.12.8/bin/python3.12\n  \
grail verify out/ --arch arm64 --sysroot arm64-root/   # qemu-aarch64-static runs arm64-root/usr/bin/python3.X\n  \
grail package out/ --verify --report out/report.json")]
    Verify(VerifyArgs),
    /// Resolve for every stage's Lambda target and write a PEP 751 pylock.toml.
    #[command(after_help = "Examples:\n  \
grail lock                                  # every stage's runtime and architecture\n  \
grail lock --stage prod                     # only prod's target (with prod's settings)\n  \
grail lock --stage prod --arch arm64\n  \
grail package out/ --locked                 # fail if pylock.toml no longer matches")]
    Lock(LockArgs),
    /// Work with Lambda layers.
    #[command(subcommand)]
    Layer(LayerCommand),
    /// Print a shell completion script for bash, zsh or fish.
    #[command(after_help = "Examples:\n  \
grail completions bash > ~/.local/share/bash-completion/completions/grail\n  \
grail completions zsh > \"${fpath[1]}/_grail\"\n  \
grail completions fish > ~/.config/fish/completions/grail.fish")]
    Completions(CompletionsArgs),
}

/// `grail completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells `grail completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// bash (bash-completion).
    Bash,
    /// zsh (compsys).
    Zsh,
    /// fish.
    Fish,
}

impl From<CompletionShell> for clap_complete::Shell {
    fn from(s: CompletionShell) -> Self {
        match s {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// `grail layer …`
#[derive(Debug, Subcommand)]
#[command(after_help = "Example:\n  \
grail layer scan layer.zip --arn ARN -o layer.json")]
pub enum LayerCommand {
    /// Write a layer manifest (grail-layer-manifest/1) from a layer zip.
    #[command(after_help = "Example:\n  \
grail layer scan layer.zip --arn arn:aws:lambda:us-east-1:123456789012:layer:deps:3 -o deps.json\n  \
grail package out/ --layer-manifest arn:aws:lambda:us-east-1:123456789012:layer:deps:3=deps.json")]
    Scan(ScanArgs),
    /// Fetch layer versions from AWS Lambda and write their manifests (cached by CodeSha256).
    #[command(after_help = "Examples:\n  \
grail layer fetch arn:aws:lambda:us-east-1:123456789012:layer:deps:3 -o deps.json\n  \
grail layer fetch ARN1 ARN2 -o manifests/ --profile prod\n  \
AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:5000 grail layer fetch ARN")]
    Fetch(FetchArgs),
    /// Print what grail knows about a layer version and where it comes from.
    #[command(after_help = "Example:\n  \
grail layer show arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29\n  \
grail layer show ARN --layer-manifest deps.json --json")]
    Show(ShowArgs),
}

/// `grail layer fetch` options.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Layer version ARNs (the region comes from each ARN).
    #[arg(required = true, value_name = "ARN")]
    pub arns: Vec<String>,
    /// Where to write the manifest (default: stdout); a directory when several ARNs are given.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// AWS profile for credentials (default: AWS_PROFILE, else `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Also keep the downloaded archives in DIR (as NAME-VERSION.zip).
    #[arg(long, value_name = "DIR")]
    pub keep_archive: Option<PathBuf>,
    /// Cache directory (default `$GRAIL_CACHE_DIR`, else `~/.cache/grail`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// `grail layer show` options.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The layer version ARN. Ex) arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29
    pub arn: String,
    /// A layer manifest for this layer (from `grail layer scan`): shown instead of built-in contents.
    #[arg(long = "layer-manifest", value_name = "FILE")]
    pub layer_manifest: Option<PathBuf>,
    /// Print JSON (schema grail-layer-show/1).
    #[arg(long)]
    pub json: bool,
    /// Cache directory holding `grail layer fetch`'s manifests (default `$GRAIL_CACHE_DIR`, else `~/.cache/grail`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
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
    /// Fetch unknown attached layers from AWS Lambda (cached; see `grail layer fetch`).
    #[arg(long)]
    pub fetch_layers: bool,
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
    /// Write the report as one self-contained HTML page to PATH (budget bar, treemap, kept-out table).
    #[arg(long, value_name = "PATH")]
    pub report_html: Option<PathBuf>,
    /// Also write the zip(s) under `.chalice/deployments/` with Chalice's names.
    #[arg(long)]
    pub chalice_cache: bool,
    /// Then import the zip(s) under the target Python, as `grail verify` does (exit 5 if they do not import).
    #[arg(long)]
    pub verify: bool,
    /// Install from this PEP 751 lock file instead of `pylock.toml` in the project dir.
    #[arg(long, value_name = "PATH")]
    pub lock: Option<PathBuf>,
    /// Fail (exit 2) unless the lock file exists and matches the requirements and target.
    #[arg(long, conflicts_with = "frozen")]
    pub locked: bool,
    /// Install from the lock file without checking it against the requirements.
    #[arg(long)]
    pub frozen: bool,
    /// Where the requirements are: `requirements.txt` or `pyproject.toml` (beats config `requirements_from`).
    #[arg(long, value_name = "FILE", value_parser = ["requirements.txt", "pyproject.toml"])]
    pub requirements_from: Option<String>,
    /// With --verify for another architecture: a root filesystem of the target's (run under qemu-user).
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// Everything that decides what ships.
    #[command(flatten)]
    pub build: BuildArgs,
}

/// `grail lock` options.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Where to write the lock (default: pylock.toml in the project dir).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Where the requirements are: `requirements.txt` or `pyproject.toml` (beats config `requirements_from`).
    #[arg(long, value_name = "FILE", value_parser = ["requirements.txt", "pyproject.toml"])]
    pub requirements_from: Option<String>,
    /// Everything that decides what ships; without --stage, every stage's target is locked.
    #[command(flatten)]
    pub build: BuildArgs,
    /// Whether --stage was given on the command line (set after parsing).
    #[arg(skip)]
    pub stage_given: bool,
}

impl LockArgs {
    /// `grail lock`'s settings.
    pub fn options(&self) -> grail::options::LockOptions {
        let mut build = self.build.options();
        build.requirements_from = self
            .requirements_from
            .as_deref()
            .and_then(|r| r.parse().ok());
        grail::options::LockOptions {
            stages: self.stage_given.then(|| vec![self.build.stage.clone()]),
            output: self.output.clone(),
            build,
        }
    }
}

/// `grail verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The directory `grail package` wrote; relative to the project dir.
    #[arg(default_value = "out")]
    pub out: PathBuf,
    /// For another architecture: a root filesystem of the target's, whose pythonX.Y runs under qemu-user.
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// Everything that decides the target (runtime, architecture, layers).
    #[command(flatten)]
    pub build: BuildArgs,
}

impl VerifyArgs {
    /// `grail verify`'s settings.
    pub fn options(&self) -> VerifyOptions {
        VerifyOptions {
            out: self.out.clone(),
            sysroot: self.sysroot.clone(),
            build: self.build.options(),
        }
    }
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

/// `grail suggest-layers` options.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// Everything that decides what ships.
    #[command(flatten)]
    pub build: BuildArgs,
}

impl SuggestArgs {
    /// `grail suggest-layers`' settings.
    pub fn options(&self) -> SuggestOptions {
        SuggestOptions {
            build: self.build.options(),
        }
    }
}

impl From<PkgFormat> for grail::options::PkgFormat {
    fn from(f: PkgFormat) -> Self {
        match f {
            PkgFormat::Cloudformation => grail::options::PkgFormat::Cloudformation,
            PkgFormat::Terraform => grail::options::PkgFormat::Terraform,
        }
    }
}

impl From<TemplateFormat> for grail::options::TemplateFormat {
    fn from(f: TemplateFormat) -> Self {
        match f {
            TemplateFormat::Json => grail::options::TemplateFormat::Json,
            TemplateFormat::Yaml => grail::options::TemplateFormat::Yaml,
        }
    }
}

impl BuildArgs {
    /// The settings that decide what ships. Relative `--find-links` that
    /// exist are made absolute against the working directory, as pip does.
    pub fn options(&self) -> BuildOptions {
        let cwd = std::env::current_dir().unwrap_or_default();
        BuildOptions {
            stage: self.stage.clone(),
            profile: self.profile.clone(),
            python: self.python.clone(),
            python_version: self.python_version,
            // The value parser already restricted it.
            arch: self.arch.as_deref().and_then(|a| a.parse().ok()),
            chalice_version: self.chalice_version.clone(),
            index_url: self.index_url.clone(),
            extra_index_urls: self.extra_index_url.clone(),
            find_links: self
                .find_links
                .iter()
                .map(|f| match Path::new(f) {
                    p if p.is_relative() && p.exists() => cwd.join(p).display().to_string(),
                    _ => f.clone(),
                })
                .collect(),
            no_index: self.no_index,
            offline: self.offline,
            cache_dir: self.cache_dir.clone(),
            refresh: self.refresh,
            layer_manifests: self.layer_manifest.clone(),
            allow_missing: self.allow_missing,
            allow_shadow: self.allow_shadow,
            fetch_layers: self.fetch_layers,
            // Only `package` installs from a lock (it sets its own mode).
            lock_mode: grail::lock::LockMode::Ignore,
            ..BuildOptions::default()
        }
    }
}

impl PackageArgs {
    /// `grail package`'s settings.
    pub fn options(&self) -> PackageOptions {
        PackageOptions {
            out: self.out.clone(),
            pkg_format: self.pkg_format.into(),
            template_format: self.template_format.into(),
            merge_template: self.merge_template.clone(),
            single_file: self.single_file,
            report: self.report.clone(),
            report_html: self.report_html.clone(),
            chalice_cache: self.chalice_cache,
            verify: self.verify,
            sysroot: self.sysroot.clone(),
            build: grail::options::BuildOptions {
                lock_mode: match (self.locked, self.frozen) {
                    (true, _) => grail::lock::LockMode::Locked,
                    (_, true) => grail::lock::LockMode::Frozen,
                    _ => grail::lock::LockMode::Auto,
                },
                lock_path: self.lock.clone(),
                requirements_from: self
                    .requirements_from
                    .as_deref()
                    .and_then(|r| r.parse().ok()),
                ..self.build.options()
            },
        }
    }
}

impl WhyArgs {
    /// `grail why`'s settings.
    pub fn options(&self) -> WhyOptions {
        WhyOptions {
            package: self.package.clone(),
            build: self.build.options(),
        }
    }
}

impl FetchArgs {
    /// `grail layer fetch`'s settings.
    pub fn options(&self) -> FetchOptions {
        FetchOptions {
            arns: self.arns.clone(),
            output: self.output.clone(),
            profile: self.profile.clone(),
            keep_archive: self.keep_archive.clone(),
            cache_dir: self.cache_dir.clone(),
        }
    }
}

impl ShowArgs {
    /// `grail layer show`'s settings.
    pub fn options(&self) -> ShowOptions {
        ShowOptions {
            arn: self.arn.clone(),
            manifest: self.layer_manifest.clone(),
            json: self.json,
            cache_dir: self.cache_dir.clone(),
        }
    }
}

impl ScanArgs {
    /// `grail layer scan`'s settings.
    pub fn options(&self) -> ScanOptions {
        ScanOptions {
            layer_zip: self.layer_zip.clone(),
            arn: self.arn.clone(),
            output: self.output.clone(),
        }
    }
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
    fn completions_take_a_known_shell() {
        let c = Cli::try_parse_from(["grail", "completions", "zsh"]).unwrap();
        assert!(matches!(
            c.command,
            Command::Completions(CompletionsArgs {
                shell: CompletionShell::Zsh
            })
        ));
        assert!(Cli::try_parse_from(["grail", "completions", "tcsh"]).is_err());
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

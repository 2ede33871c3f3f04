//! The model of `.chalice/config.json`: Chalice's keys, grail's keys, and
//! Chalice's exact lookup and merge precedence.
//!
//! The whole document is read and type-checked once by [`Config::load`], so
//! every accessor afterwards is infallible. A [`ConfigView`] answers questions
//! for one stage and one function, following Chalice's search order:
//!
//! | key kind | search order (first non-null wins) |
//! | --- | --- |
//! | global | user params → top level → defaults |
//! | per stage | user params → `stages[S]` → top level → defaults |
//! | per stage + function | `stages[S].lambda_functions[F]` → user params → `stages[S]` → `lambda_functions[F]` → top level → defaults |
//!
//! `environment_variables` and `tags` are merged instead (later wins):
//! defaults → top level → `stages[S]` → `stages[S].lambda_functions[F]` →
//! user params. The top-level `lambda_functions[F]` is *not* merged, a Chalice
//! quirk reproduced here; [`Config::ignored_keys`] lists such keys so the CLI
//! can warn about them.
//!
//! Reading never stops at a wrongly typed value: it is recorded, and
//! [`Config::check`] decides per stage whether it is refused (where
//! `chalice package` would fail, or grail needs the value) or a warning that
//! names the key path and what Chalice does with it.
//!
//! Intended call sequence (CLI):
//! 1. `let config = Config::load(project_dir)?;` then
//!    `let warnings = config.check(stage)?;` (errors are exit 1, see
//!    [`Classify::exit_kind`](crate::error::Classify));
//! 2. `let user = UserParams { profile: cli.profile.clone() };`
//! 3. per function: `let view = config.scope(stage, function_name, &user);`
//!    then the typed accessors. The import-time (app introspection) scope is
//!    `config.scope(stage, API_HANDLER, &user)`, as in Chalice.
//!
//! ```
//! use std::path::Path;
//! use grail::project::config::{Config, UserParams};
//! use grail::target::Arch;
//!
//! let text = r#"{
//!   "version": "2.0", "app_name": "shop", "lambda_memory_size": 256,
//!   "lambda_functions": {"worker": {"lambda_memory_size": 512, "lambda_timeout": 5}},
//!   "stages": {"dev": {
//!     "lambda_architecture": "arm64", "lambda_timeout": 30,
//!     "environment_variables": {"MODE": "dev"},
//!     "lambda_functions": {"worker": {"reserved_concurrency": 2}}}}
//! }"#;
//! let config = Config::parse(Path::new("/p/.chalice/config.json"), text).unwrap();
//! let view = config.scope("dev", "worker", &UserParams::default());
//! // The per-function top-level value beats the top level ...
//! assert_eq!(view.lambda_memory_size(), Some(512));
//! // ... but a stage-level value beats the per-function top-level one (quirk).
//! assert_eq!(view.lambda_timeout(), Some(30));
//! assert_eq!(view.reserved_concurrency(), Some(2));
//! assert_eq!(view.lambda_architecture(), Arch::Arm64);
//! assert_eq!(view.environment_variables().get("MODE"), Some("dev"));
//! assert_eq!(
//!     view.tags("1.34.0").get("aws-chalice"),
//!     Some("version=1.34.0:stage=dev:app=shop")
//! );
//! // An unknown stage is not an error: it gets the top-level values.
//! let prod = config.scope("prod", "worker", &UserParams::default());
//! assert_eq!(prod.lambda_timeout(), Some(5));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use std::sync::LazyLock;

use crate::error::{Classify, ExitKind};
use crate::target::{Arch, PythonVersion, PythonVersionError, MAX_PYTHON, MIN_PYTHON};

/// Where the config lives, relative to the project directory.
pub const CONFIG_FILE: &str = ".chalice/config.json";
/// Chalice's default stage (`--stage`).
pub const DEFAULT_STAGE: &str = "dev";
/// The function name of the REST API handler, also the import-time scope.
pub const API_HANDLER: &str = "api_handler";
/// The timeout Chalice injects when none is configured (seconds).
pub const DEFAULT_LAMBDA_TIMEOUT: i64 = 60;
/// The memory size Chalice injects when none is configured (MB).
pub const DEFAULT_LAMBDA_MEMORY_SIZE: i64 = 128;
/// The newest config file version Chalice (and grail) understands.
pub const MAX_CONFIG_VERSION: f64 = 2.0;

/// What the user said on the command line that Chalice treats as config
/// (the highest-precedence dict, "user params").
///
/// Chalice only has `profile` (from `--profile`). A new user param is one
/// field here plus one line in `UserParams::settings`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserParams {
    /// Ex) `prod-account` (from `--profile`).
    pub profile: Option<String>,
}

impl UserParams {
    fn settings(&self) -> Settings {
        Settings {
            profile: self.profile.clone(),
            ..Settings::default()
        }
    }
}

/// An insertion-ordered string map that behaves like a Python dict:
/// re-inserting a key replaces its value and keeps its position. Templates
/// keep insertion order, so merged `environment_variables`/`tags` must too.
///
/// ```
/// let mut m = grail::project::config::StringMap::new();
/// m.insert("A", "1");
/// m.insert("B", "2");
/// m.insert("A", "3");
/// assert_eq!(m.iter().collect::<Vec<_>>(), vec![("A", "3"), ("B", "2")]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringMap(Vec<(String, String)>);

impl StringMap {
    /// An empty map.
    pub fn new() -> Self {
        StringMap(Vec::new())
    }

    /// Insert or replace (in place); returns the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Python's `dict.update`: every entry of `other`, in its order.
    pub fn update(&mut self, other: &StringMap) {
        for (k, v) in other.iter() {
            self.insert(k, v);
        }
    }

    /// As a JSON object (insertion order kept).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

impl FromIterator<(String, String)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut m = StringMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl IntoIterator for StringMap {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// `api_gateway_custom_domain` / `websocket_api_custom_domain`.
///
/// Ex) `{"domain_name": "api.example.com", "certificate_arn": "arn:aws:acm:…"}`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomDomain {
    /// Ex) `api.example.com` (required).
    pub domain_name: String,
    /// Ex) `arn:aws:acm:us-east-1:123456789012:certificate/…` (required).
    pub certificate_arn: String,
    /// Ex) `TLS_1_2` (Chalice's default when absent).
    pub tls_version: Option<String>,
    /// Ex) `v1` (the API mapping's path; Chalice's default is `/`).
    pub url_prefix: Option<String>,
    /// Tags of the domain resource.
    pub tags: Option<StringMap>,
}

/// A problem with `.chalice/config.json`: the file plus what is wrong.
#[derive(Debug)]
pub struct ConfigError {
    /// The config file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub kind: ConfigErrorKind,
}

impl Classify for ConfigError {
    /// Config errors are bad project input: exit code 1.
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // Chalice's wording first, so users and scripts recognise it.
            ConfigErrorKind::Unreadable { error } => write!(
                f,
                "Unable to load the project config file. Are you sure this is a chalice project? \
                 Cannot read {}: {error}",
                self.path.display()
            ),
            kind => write!(f, "{}: {kind}", self.path.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The kinds of [`ConfigError`], each with a human message (without the path).
#[derive(Debug, thiserror::Error)]
pub enum ConfigErrorKind {
    /// The file is missing or cannot be read (the OS reason is kept).
    #[error(
        "Unable to load the project config file. Are you sure this is a chalice project? ({error})"
    )]
    Unreadable {
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is not valid JSON.
    #[error("Unable to load the project config file: invalid JSON at line {line} column {column}: {message}")]
    InvalidJson {
        /// 1-based line.
        line: usize,
        /// 1-based column (0 at the very end of an empty file).
        column: usize,
        /// serde_json's message, without its location suffix.
        message: String,
    },
    /// The document is valid JSON but not an object.
    #[error("the top level must be a JSON object, found {found}")]
    NotAnObject {
        /// Ex) `a list`
        found: &'static str,
    },
    /// `version` is newer than 2.0 or not a number.
    #[error("Unknown version '{version}' in config.json (versions up to 2.0 are understood)")]
    UnknownVersion {
        /// The value as written. Ex) `3.0`
        version: String,
    },
    /// A known key has a value of the wrong JSON type.
    #[error("`{key}`: expected {expected}, found {found}")]
    WrongType {
        /// Ex) `stages.dev.lambda_functions.foo.lambda_memory_size`
        key: String,
        /// Ex) `an integer`
        expected: &'static str,
        /// Ex) `a string`
        found: &'static str,
    },
    /// A required key inside an object (e.g. a custom domain) is missing.
    #[error("`{key}` is required")]
    MissingKey {
        /// Ex) `api_gateway_custom_domain.certificate_arn`
        key: String,
    },
    /// `lambda_architecture` is not exactly `x86_64` or `arm64`.
    #[error("`{key}`: lambda_architecture must be one of x86_64, arm64 (found {value:?})")]
    InvalidArchitecture {
        /// Ex) `stages.prod.lambda_architecture`
        key: String,
        /// Ex) `aarch64`
        value: String,
    },
    /// `lambda_python_version` is not `3.N`.
    #[error("`{key}`: {error}")]
    InvalidPythonVersion {
        /// Ex) `lambda_python_version`
        key: String,
        /// The parse error (carries the input).
        error: PythonVersionError,
    },
    /// A key neither Chalice nor grail knows (only ever a warning).
    #[error("`{key}` is not a Chalice or grail setting{hint}")]
    Unknown {
        /// Ex) `stages.dev.automatic_layers`
        key: String,
        /// Ex) ` (did you mean automatic_layer?)`
        hint: String,
    },
    /// `lambda_python_version` is not a runtime grail packages for.
    #[error(
        "`{key}`: Python {version} is not a supported Lambda runtime; grail packages for Python {MIN_PYTHON} to {MAX_PYTHON}"
    )]
    UnsupportedPythonVersion {
        /// Ex) `lambda_python_version`
        key: String,
        /// Ex) `3.9`
        version: PythonVersion,
    },
}

impl ConfigErrorKind {
    /// A copy (an I/O error keeps its kind and message).
    fn duplicate(&self) -> ConfigErrorKind {
        use ConfigErrorKind as K;
        match self {
            K::Unreadable { error } => K::Unreadable {
                error: std::io::Error::new(error.kind(), error.to_string()),
            },
            K::InvalidJson {
                line,
                column,
                message,
            } => K::InvalidJson {
                line: *line,
                column: *column,
                message: message.clone(),
            },
            K::NotAnObject { found } => K::NotAnObject { found },
            K::UnknownVersion { version } => K::UnknownVersion {
                version: version.clone(),
            },
            K::WrongType {
                key,
                expected,
                found,
            } => K::WrongType {
                key: key.clone(),
                expected,
                found,
            },
            K::MissingKey { key } => K::MissingKey { key: key.clone() },
            K::InvalidArchitecture { key, value } => K::InvalidArchitecture {
                key: key.clone(),
                value: value.clone(),
            },
            K::InvalidPythonVersion { key, error } => K::InvalidPythonVersion {
                key: key.clone(),
                error: error.clone(),
            },
            K::UnsupportedPythonVersion { key, version } => K::UnsupportedPythonVersion {
                key: key.clone(),
                version: *version,
            },
            K::Unknown { key, hint } => K::Unknown {
                key: key.clone(),
                hint: hint.clone(),
            },
        }
    }
}

/// Which dicts Chalice searches for a key (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Varies {
    /// user params → top → defaults. Ex) `app_name`
    Global,
    /// user params → stage → top → defaults. Ex) `automatic_layer`
    Stage,
    /// stage function → user → stage → top function → top → defaults. Ex) `layers`
    StageFunction,
    /// merged dicts: defaults → top → stage → stage function → user. Ex) `tags`
    Merge,
}

/// Where in the document a settings dict sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Location {
    Top,
    Stage,
    StageFunction,
    TopFunction,
}

impl Varies {
    /// Whether Chalice ever reads a key of this kind at `loc`.
    fn read_at(self, loc: Location) -> bool {
        match loc {
            Location::Top => true,
            Location::Stage => self != Varies::Global,
            Location::StageFunction => matches!(self, Varies::StageFunction | Varies::Merge),
            // The quirk: merged keys are not read from top-level functions.
            Location::TopFunction => self == Varies::StageFunction,
        }
    }
}

/// The typed values of one settings dict (top level, a stage, or a function).
/// `None` means absent or JSON `null`, both of which Chalice skips.
#[derive(Clone, Debug, Default)]
struct Settings {
    app_name: Option<String>,
    profile: Option<String>,
    api_gateway_stage: Option<String>,
    api_gateway_endpoint_type: Option<String>,
    api_gateway_endpoint_vpce: Option<Vec<String>>,
    api_gateway_policy_file: Option<String>,
    api_gateway_custom_domain: Option<CustomDomain>,
    websocket_api_custom_domain: Option<CustomDomain>,
    minimum_compression_size: Option<i64>,
    automatic_layer: Option<bool>,
    lambda_architecture: Option<Arch>,
    autogen_policy: Option<bool>,
    iam_policy_file: Option<String>,
    manage_iam_role: Option<bool>,
    iam_role_arn: Option<String>,
    lambda_memory_size: Option<i64>,
    lambda_timeout: Option<i64>,
    xray: Option<bool>,
    subnet_ids: Option<Vec<String>>,
    security_group_ids: Option<Vec<String>>,
    reserved_concurrency: Option<i64>,
    layers: Option<Vec<String>>,
    log_retention_in_days: Option<i64>,
    environment_variables: Option<StringMap>,
    tags: Option<StringMap>,
    // grail's keys (per stage).
    lambda_python_version: Option<PythonVersion>,
    layer_manifests: Option<Vec<(String, String)>>,
    runtime_provided: Option<bool>,
    exclude_packages: Option<Vec<String>>,
    requirements_from: Option<String>,
    pyproject_extras: Option<Vec<String>>,
    verify_sysroot: Option<String>,
    fetch_layers: Option<bool>,
}

/// Chalice's default params (`project_dir` aside).
static DEFAULTS: LazyLock<Settings> = LazyLock::new(|| Settings {
    api_gateway_stage: Some("api".to_string()),
    api_gateway_endpoint_type: Some("EDGE".to_string()),
    autogen_policy: Some(true),
    ..Settings::default()
});

static EMPTY: LazyLock<Settings> = LazyLock::new(Settings::default);

/// One stage: its settings and its functions.
#[derive(Clone, Debug, Default)]
struct Stage {
    settings: Settings,
    functions: Vec<(String, Settings)>,
}

/// A loaded, validated `.chalice/config.json`.
#[derive(Clone, Debug)]
pub struct Config {
    path: PathBuf,
    top: Settings,
    top_functions: Vec<(String, Settings)>,
    stages: Vec<(String, Stage)>,
    ignored: Vec<String>,
    issues: Vec<Issue>,
}

/// A value grail tolerated while reading (see [`Config::check`]).
#[derive(Debug)]
struct Issue {
    /// When packaging which stage it is refused: `Some(None)` = any stage
    /// (top level), `Some(Some(s))` = stage `s`, `None` = never (a warning).
    fatal_for: Option<Option<String>>,
    /// What is wrong (names the key path).
    kind: ConfigErrorKind,
    /// What Chalice does with it, for the warning.
    chalice: String,
}

impl Clone for Issue {
    fn clone(&self) -> Self {
        Issue {
            fatal_for: self.fatal_for.clone(),
            kind: self.kind.duplicate(),
            chalice: self.chalice.clone(),
        }
    }
}

impl Issue {
    fn fatal_when_packaging(&self, stage: &str) -> bool {
        match &self.fatal_for {
            None => false,
            Some(None) => true,
            Some(Some(s)) => s == stage,
        }
    }
}

/// Keys Chalice or grail read in a settings dict (top level, a stage or a
/// function); anything else is unknown (a warning).
const KNOWN_KEYS: &[&str] = &[
    "app_name",
    "profile",
    "api_gateway_stage",
    "api_gateway_endpoint_type",
    "api_gateway_endpoint_vpce",
    "api_gateway_policy_file",
    "api_gateway_custom_domain",
    "websocket_api_custom_domain",
    "minimum_compression_size",
    "automatic_layer",
    "lambda_architecture",
    "autogen_policy",
    "iam_policy_file",
    "manage_iam_role",
    "iam_role_arn",
    "lambda_memory_size",
    "lambda_timeout",
    "xray",
    "subnet_ids",
    "security_group_ids",
    "reserved_concurrency",
    "layers",
    "log_retention_in_days",
    "environment_variables",
    "tags",
    "lambda_python_version",
    "layer_manifests",
    "runtime_provided",
    "exclude_packages",
    "requirements_from",
    "pyproject_extras",
    "verify_sysroot",
    "fetch_layers",
];

/// Keys whose value changes what grail builds: a wrong type is refused when
/// it applies to the stage being packaged.
const GRAIL_KEYS: &[&str] = &[
    "lambda_architecture",
    "layers",
    "lambda_python_version",
    "layer_manifests",
    "runtime_provided",
    "exclude_packages",
    "requirements_from",
    "pyproject_extras",
    "fetch_layers",
];

impl Config {
    /// Read and validate `<project_dir>/.chalice/config.json`.
    pub fn load(project_dir: &Path) -> Result<Config, ConfigError> {
        let path = project_dir.join(CONFIG_FILE);
        let bytes = crate::textfile::read_user_file(&path, crate::textfile::MAX_TEXT_FILE_BYTES)
            .map_err(|error| ConfigError {
                path: path.clone(),
                kind: ConfigErrorKind::Unreadable { error },
            })?;
        Config::parse_bytes(path, &bytes)
    }

    /// Validate `text` as if it were the config file at `config_path`
    /// (`config_path` names the file in errors and anchors `.chalice/`).
    pub fn parse(config_path: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::parse_bytes(config_path.to_path_buf(), text.as_bytes())
    }

    fn parse_bytes(path: PathBuf, bytes: &[u8]) -> Result<Config, ConfigError> {
        // Tolerate a UTF-8 byte-order mark (some Windows editors write one).
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let doc: Value = match serde_json::from_slice(bytes) {
            Ok(doc) => doc,
            Err(e) => {
                let full = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
                return Err(ConfigError {
                    path,
                    kind: ConfigErrorKind::InvalidJson {
                        line: e.line(),
                        column: e.column(),
                        message,
                    },
                });
            }
        };
        let Value::Object(top) = &doc else {
            return Err(ConfigError {
                path,
                kind: ConfigErrorKind::NotAnObject {
                    found: describe(&doc),
                },
            });
        };
        check_version(&path, top.get("version"))?;

        let mut ignored = Vec::new();
        let mut issues = Vec::new();
        let mut ctx = ReadCtx {
            path: &path,
            ignored: &mut ignored,
            issues: &mut issues,
            stage: None,
            function: None,
        };
        unknown_keys(
            top,
            "",
            &["version", "stages", "lambda_functions"],
            &mut ctx,
        );
        let settings = read_settings(top, "", Location::Top, &mut ctx)?;
        let top_functions = read_functions(top, "", Location::TopFunction, &mut ctx)?;
        let mut stages = Vec::new();
        for (name, value) in object_at(top, "", "stages", &mut ctx)? {
            let prefix = format!("stages.{name}.");
            ctx.stage = Some(name.clone());
            let Some(obj) = structure(value, &format!("stages.{name}"), &mut ctx)? else {
                continue;
            };
            unknown_keys(obj, &prefix, &["lambda_functions"], &mut ctx);
            let settings = read_settings(obj, &prefix, Location::Stage, &mut ctx)?;
            let functions = read_functions(obj, &prefix, Location::StageFunction, &mut ctx)?;
            stages.push((
                name.clone(),
                Stage {
                    settings,
                    functions,
                },
            ));
        }
        Ok(Config {
            path,
            top: settings,
            top_functions,
            stages,
            ignored,
            issues,
        })
    }

    /// What packaging `stage` must refuse (the first such value) or warn
    /// about. grail refuses only where `chalice package` fails for that stage
    /// (bad structure, non-string import-time `environment_variables`, an
    /// invalid `lambda_architecture`) or where the value changes what grail
    /// builds (`layers`, `lambda_python_version`, grail's own keys); every
    /// other oddity is a warning naming the key path and what Chalice does.
    pub fn check(&self, stage: &str) -> Result<Vec<String>, ConfigError> {
        if let Some(i) = self.issues.iter().find(|i| i.fatal_when_packaging(stage)) {
            return Err(ConfigError {
                path: self.path.clone(),
                kind: i.kind.duplicate(),
            });
        }
        let shown = self.path.display();
        let mut out: Vec<String> = self
            .issues
            .iter()
            .map(|i| format!("{shown}: {}; {}", i.kind, i.chalice))
            .collect();
        for key in &self.ignored {
            out.push(format!(
                "{shown}: `{key}` is ignored by Chalice where it is written (top-level \
                 lambda_functions values for environment_variables/tags are not merged); move it \
                 into the stage"
            ));
        }
        Ok(out)
    }

    /// The config file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `.chalice/` directory, which relative paths in the config are
    /// resolved against.
    pub fn chalice_dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// `app_name`, if set.
    pub fn app_name(&self) -> Option<String> {
        self.top.app_name.clone()
    }

    /// `app_name`, or the string `None` that Chalice puts in names and tags
    /// when it is missing.
    pub fn app_name_or_none(&self) -> String {
        self.app_name().unwrap_or_else(|| "None".to_string())
    }

    /// The stage names under `stages`, in file order.
    pub fn stage_names(&self) -> Vec<String> {
        self.stages.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Function names configured under `lambda_functions`, at the top level
    /// (first, in file order) or in `stages[stage]`.
    pub fn function_names(&self, stage: &str) -> Vec<String> {
        let mut names: Vec<String> = self.top_functions.iter().map(|(n, _)| n.clone()).collect();
        if let Some(st) = self.stage(stage) {
            for (n, _) in &st.functions {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    /// Key paths of known keys that Chalice never reads where they are
    /// written, e.g. `lambda_functions.foo.environment_variables` (the
    /// top-level per-function merge quirk) or `stages.dev.app_name`. They are
    /// not validated; the CLI may warn about them.
    pub fn ignored_keys(&self) -> &[String] {
        &self.ignored
    }

    /// The view for one stage and one function (an unknown stage or function
    /// is not an error: it simply adds nothing).
    pub fn scope<'a>(
        &'a self,
        stage: &str,
        function_name: &str,
        user: &UserParams,
    ) -> ConfigView<'a> {
        let st = self.stage(stage);
        ConfigView {
            config: self,
            stage: stage.to_string(),
            function: function_name.to_string(),
            user: user.settings(),
            stage_settings: st.map(|s| &s.settings),
            stage_function: st.and_then(|s| find(&s.functions, function_name)),
            top_function: find(&self.top_functions, function_name),
        }
    }

    fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

fn find<'a>(list: &'a [(String, Settings)], name: &str) -> Option<&'a Settings> {
    list.iter().find(|(n, _)| n == name).map(|(_, s)| s)
}

/// The config as seen by one function of one stage; every accessor follows
/// Chalice's precedence for its key (see the module doc).
#[derive(Clone, Debug)]
pub struct ConfigView<'a> {
    config: &'a Config,
    stage: String,
    function: String,
    user: Settings,
    stage_settings: Option<&'a Settings>,
    stage_function: Option<&'a Settings>,
    top_function: Option<&'a Settings>,
}

impl ConfigView<'_> {
    /// The dicts Chalice searches, in order.
    fn chain(&self, varies: Varies) -> Vec<&Settings> {
        let top = &self.config.top;
        let defaults: &Settings = &DEFAULTS;
        let stage = self.stage_settings.unwrap_or(&EMPTY);
        match varies {
            Varies::Global => vec![&self.user, top, defaults],
            Varies::Stage => vec![&self.user, stage, top, defaults],
            Varies::StageFunction => vec![
                self.stage_function.unwrap_or(&EMPTY),
                &self.user,
                stage,
                self.top_function.unwrap_or(&EMPTY),
                top,
                defaults,
            ],
            Varies::Merge => vec![
                defaults,
                top,
                stage,
                self.stage_function.unwrap_or(&EMPTY),
                &self.user,
            ],
        }
    }

    /// First non-null value in the search order.
    fn lookup<T: Clone>(&self, varies: Varies, get: impl Fn(&Settings) -> Option<&T>) -> Option<T> {
        self.chain(varies).into_iter().find_map(get).cloned()
    }

    /// Chalice's `_chain_merge`.
    fn merge(&self, get: impl Fn(&Settings) -> Option<&StringMap>) -> StringMap {
        let mut out = StringMap::new();
        for m in self.chain(Varies::Merge).into_iter().filter_map(get) {
            out.update(m);
        }
        out
    }

    /// The stage this view is for. Ex) `dev`
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// The function this view is for. Ex) `api_handler`
    pub fn function_name(&self) -> &str {
        &self.function
    }

    /// `app_name` (global).
    pub fn app_name(&self) -> Option<String> {
        self.lookup(Varies::Global, |s| s.app_name.as_ref())
    }

    /// `app_name`, or `None` (the string) as Chalice uses when it is absent.
    pub fn app_name_or_none(&self) -> String {
        self.app_name().unwrap_or_else(|| "None".to_string())
    }

    /// `profile` (global; normally from `--profile`).
    pub fn profile(&self) -> Option<String> {
        self.lookup(Varies::Global, |s| s.profile.as_ref())
    }

    /// `api_gateway_stage` (stage), default `api`.
    pub fn api_gateway_stage(&self) -> String {
        self.lookup(Varies::Stage, |s| s.api_gateway_stage.as_ref())
            .unwrap_or_else(|| "api".to_string())
    }

    /// `api_gateway_endpoint_type` (stage), default `EDGE`. Not validated,
    /// as in `chalice package`.
    pub fn api_gateway_endpoint_type(&self) -> String {
        self.lookup(Varies::Stage, |s| s.api_gateway_endpoint_type.as_ref())
            .unwrap_or_else(|| "EDGE".to_string())
    }

    /// `api_gateway_endpoint_vpce` (stage); a single string becomes a
    /// one-element list, as in Chalice.
    pub fn api_gateway_endpoint_vpce(&self) -> Option<Vec<String>> {
        self.lookup(Varies::Stage, |s| s.api_gateway_endpoint_vpce.as_ref())
    }

    /// `api_gateway_policy_file` (stage), relative to `.chalice/`.
    pub fn api_gateway_policy_file(&self) -> Option<String> {
        self.lookup(Varies::Stage, |s| s.api_gateway_policy_file.as_ref())
    }

    /// `api_gateway_custom_domain` (stage).
    pub fn api_gateway_custom_domain(&self) -> Option<CustomDomain> {
        self.lookup(Varies::Stage, |s| s.api_gateway_custom_domain.as_ref())
    }

    /// `websocket_api_custom_domain` (stage).
    pub fn websocket_api_custom_domain(&self) -> Option<CustomDomain> {
        self.lookup(Varies::Stage, |s| s.websocket_api_custom_domain.as_ref())
    }

    /// `minimum_compression_size` (stage); a string of digits is accepted
    /// and converted, as Chalice's `int()` does. Chalice skips a falsy `0`.
    pub fn minimum_compression_size(&self) -> Option<i64> {
        self.lookup(Varies::Stage, |s| s.minimum_compression_size.as_ref())
    }

    /// `automatic_layer` (stage only), default false.
    pub fn automatic_layer(&self) -> bool {
        self.lookup(Varies::Stage, |s| s.automatic_layer.as_ref())
            .unwrap_or(false)
    }

    /// `lambda_architecture` (stage only), default `x86_64`.
    pub fn lambda_architecture(&self) -> Arch {
        self.lookup(Varies::Stage, |s| s.lambda_architecture.as_ref())
            .unwrap_or_default()
    }

    /// `autogen_policy` (stage + function), default true.
    pub fn autogen_policy(&self) -> bool {
        self.lookup(Varies::StageFunction, |s| s.autogen_policy.as_ref())
            .unwrap_or(true)
    }

    /// `iam_policy_file` (stage + function) as written, relative to `.chalice/`.
    pub fn iam_policy_file_setting(&self) -> Option<String> {
        self.lookup(Varies::StageFunction, |s| s.iam_policy_file.as_ref())
    }

    /// `iam_policy_file`, default `policy-<stage>.json`.
    pub fn iam_policy_file(&self) -> String {
        self.iam_policy_file_setting()
            .unwrap_or_else(|| format!("policy-{}.json", self.stage))
    }

    /// [`Self::iam_policy_file`] resolved against `.chalice/`.
    pub fn iam_policy_path(&self) -> PathBuf {
        self.config.chalice_dir().join(self.iam_policy_file())
    }

    /// `manage_iam_role` (stage + function), default true.
    pub fn manage_iam_role(&self) -> bool {
        self.lookup(Varies::StageFunction, |s| s.manage_iam_role.as_ref())
            .unwrap_or(true)
    }

    /// `iam_role_arn` (stage + function).
    pub fn iam_role_arn(&self) -> Option<String> {
        self.lookup(Varies::StageFunction, |s| s.iam_role_arn.as_ref())
    }

    /// `lambda_memory_size` (stage + function) as configured; Chalice injects
    /// [`DEFAULT_LAMBDA_MEMORY_SIZE`] later (see [`Self::effective_lambda_memory_size`]).
    pub fn lambda_memory_size(&self) -> Option<i64> {
        self.lookup(Varies::StageFunction, |s| s.lambda_memory_size.as_ref())
    }

    /// `lambda_memory_size`, or 128.
    pub fn effective_lambda_memory_size(&self) -> i64 {
        self.lambda_memory_size()
            .unwrap_or(DEFAULT_LAMBDA_MEMORY_SIZE)
    }

    /// `lambda_timeout` (stage + function) as configured; Chalice injects
    /// [`DEFAULT_LAMBDA_TIMEOUT`] later.
    pub fn lambda_timeout(&self) -> Option<i64> {
        self.lookup(Varies::StageFunction, |s| s.lambda_timeout.as_ref())
    }

    /// `lambda_timeout`, or 60.
    pub fn effective_lambda_timeout(&self) -> i64 {
        self.lambda_timeout().unwrap_or(DEFAULT_LAMBDA_TIMEOUT)
    }

    /// `xray` (stage + function); `None` when unset.
    pub fn xray(&self) -> Option<bool> {
        self.lookup(Varies::StageFunction, |s| s.xray.as_ref())
    }

    /// `subnet_ids` (stage + function); empty when unset.
    pub fn subnet_ids(&self) -> Vec<String> {
        self.lookup(Varies::StageFunction, |s| s.subnet_ids.as_ref())
            .unwrap_or_default()
    }

    /// `security_group_ids` (stage + function); empty when unset.
    pub fn security_group_ids(&self) -> Vec<String> {
        self.lookup(Varies::StageFunction, |s| s.security_group_ids.as_ref())
            .unwrap_or_default()
    }

    /// `reserved_concurrency` (stage + function).
    pub fn reserved_concurrency(&self) -> Option<i64> {
        self.lookup(Varies::StageFunction, |s| s.reserved_concurrency.as_ref())
    }

    /// `log_retention_in_days` (stage + function).
    pub fn log_retention_in_days(&self) -> Option<i64> {
        self.lookup(Varies::StageFunction, |s| s.log_retention_in_days.as_ref())
    }

    /// `layers` (stage + function): user layer ARNs; the first non-null list
    /// wins (lists are not concatenated).
    pub fn layers(&self) -> Vec<String> {
        self.lookup(Varies::StageFunction, |s| s.layers.as_ref())
            .unwrap_or_default()
    }

    /// Merged `environment_variables`.
    pub fn environment_variables(&self) -> StringMap {
        self.merge(|s| s.environment_variables.as_ref())
    }

    /// Merged `tags` plus `aws-chalice = version=<v>:stage=<s>:app=<app>`
    /// (added last, replacing a user value in place as Python does).
    pub fn tags(&self, chalice_version: &str) -> StringMap {
        let mut tags = self.merge(|s| s.tags.as_ref());
        tags.insert(
            "aws-chalice",
            format!(
                "version={chalice_version}:stage={}:app={}",
                self.stage,
                self.app_name_or_none()
            ),
        );
        tags
    }

    /// grail's `lambda_python_version` (stage): the runtime to package for.
    pub fn lambda_python_version(&self) -> Option<PythonVersion> {
        self.lookup(Varies::Stage, |s| s.lambda_python_version.as_ref())
    }

    /// grail's `layer_manifests` (stage): `(layer ARN, manifest path)`, the
    /// path resolved against `.chalice/`.
    pub fn layer_manifests(&self) -> Vec<(String, PathBuf)> {
        let dir = self.config.chalice_dir();
        self.lookup(Varies::Stage, |s| s.layer_manifests.as_ref())
            .unwrap_or_default()
            .into_iter()
            .map(|(arn, p)| (arn, dir.join(p)))
            .collect()
    }

    /// grail's `runtime_provided` (stage), default false.
    pub fn runtime_provided(&self) -> bool {
        self.lookup(Varies::Stage, |s| s.runtime_provided.as_ref())
            .unwrap_or(false)
    }

    /// grail's `verify_sysroot` (stage): the root of the target
    /// architecture `verify` runs its CPython from, as written (relative
    /// paths are relative to the project directory).
    pub fn verify_sysroot(&self) -> Option<String> {
        self.lookup(Varies::Stage, |s| s.verify_sysroot.as_ref())
    }

    /// grail's `fetch_layers` (stage), default false: fetch unknown
    /// attached layers from AWS Lambda, as `--fetch-layers` does.
    pub fn fetch_layers(&self) -> bool {
        self.lookup(Varies::Stage, |s| s.fetch_layers.as_ref())
            .unwrap_or(false)
    }

    /// grail's `exclude_packages` (stage), names as written.
    pub fn exclude_packages(&self) -> Vec<String> {
        self.lookup(Varies::Stage, |s| s.exclude_packages.as_ref())
            .unwrap_or_default()
    }

    /// grail's `requirements_from` (stage): `requirements.txt` or
    /// `pyproject.toml`, as written; `None` lets grail decide.
    pub fn requirements_from(&self) -> Option<String> {
        self.lookup(Varies::Stage, |s| s.requirements_from.as_ref())
    }

    /// grail's `pyproject_extras` (stage): the `[project.optional-dependencies]`
    /// groups installed with `[project].dependencies`.
    pub fn pyproject_extras(&self) -> Vec<String> {
        self.lookup(Varies::Stage, |s| s.pyproject_extras.as_ref())
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Validation: JSON values → typed settings, with key paths in errors.

/// How a JSON value is named in messages.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn wrong(path: &Path, key: &str, expected: &'static str, v: &Value) -> ConfigError {
    ConfigError {
        path: path.to_path_buf(),
        kind: ConfigErrorKind::WrongType {
            key: key.to_string(),
            expected,
            found: describe(v),
        },
    }
}

/// Chalice's version gate: `float(version) > 2.0` or non-numeric is refused.
fn check_version(path: &Path, v: Option<&Value>) -> Result<(), ConfigError> {
    let (shown, number) = match v {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::String(s)) => (s.clone(), s.trim().parse::<f64>().ok()),
        Some(Value::Number(n)) => (n.to_string(), n.as_f64()),
        // Python's float(True) is 1.0: Chalice accepts a boolean.
        Some(Value::Bool(_)) => return Ok(()),
        Some(other) => return Err(wrong(path, "version", "a string or a number", other)),
    };
    match number {
        // Refused only when greater, so NaN passes, as in Python
        // (`nan > 2.0` is false).
        Some(x) if x.partial_cmp(&MAX_CONFIG_VERSION) != Some(std::cmp::Ordering::Greater) => {
            Ok(())
        }
        _ => Err(ConfigError {
            path: path.to_path_buf(),
            kind: ConfigErrorKind::UnknownVersion { version: shown },
        }),
    }
}

/// Where the reader is and what it has collected.
struct ReadCtx<'a> {
    path: &'a Path,
    ignored: &'a mut Vec<String>,
    issues: &'a mut Vec<Issue>,
    /// The stage being read (`None` at the top level).
    stage: Option<String>,
    /// The function being read, if any.
    function: Option<String>,
}

impl ReadCtx<'_> {
    /// Refused when packaging the stage this dict belongs to (any stage at
    /// the top level).
    fn fatal_here(&self) -> Option<Option<String>> {
        Some(self.stage.clone())
    }
}

/// `obj` as an object. A non-object where Chalice calls `.get` on it makes
/// `chalice package` fail with an AttributeError when packaging that stage:
/// refused then, a warning otherwise. JSON null is treated as absent.
fn structure<'a>(
    v: &'a Value,
    key: &str,
    ctx: &mut ReadCtx<'_>,
) -> Result<Option<&'a Map<String, Value>>, ConfigError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        other => {
            ctx.issues.push(Issue {
                fatal_for: ctx.fatal_here(),
                kind: ConfigErrorKind::WrongType {
                    key: key.to_string(),
                    expected: "an object",
                    found: describe(other),
                },
                chalice: "`chalice package` fails on it (AttributeError) when packaging this stage"
                    .to_string(),
            });
            Ok(None)
        }
    }
}

/// The entries of the object `obj[key]` (none when absent, null or wrong).
fn object_at<'a>(
    obj: &'a Map<String, Value>,
    prefix: &str,
    key: &str,
    ctx: &mut ReadCtx<'_>,
) -> Result<Vec<(&'a String, &'a Value)>, ConfigError> {
    match obj.get(key) {
        None => Ok(Vec::new()),
        Some(v) => Ok(structure(v, &format!("{prefix}{key}"), ctx)?
            .map(|m| m.iter().collect())
            .unwrap_or_default()),
    }
}

/// Warn about keys neither Chalice nor grail reads, suggesting a near one.
fn unknown_keys(
    obj: &Map<String, Value>,
    prefix: &str,
    structural: &[&str],
    ctx: &mut ReadCtx<'_>,
) {
    for key in obj.keys() {
        if KNOWN_KEYS.contains(&key.as_str()) || structural.contains(&key.as_str()) {
            continue;
        }
        let near = KNOWN_KEYS.iter().chain(structural).find(|k| close(k, key));
        ctx.issues.push(Issue {
            fatal_for: None,
            kind: ConfigErrorKind::Unknown {
                key: format!("{prefix}{key}"),
                hint: near
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default(),
            },
            chalice: "Chalice ignores it".to_string(),
        });
    }
}

/// A likely misspelling: same letters give or take a plural `s`, case or
/// `-`/`_`.
fn close(known: &str, written: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let (k, w) = (norm(known), norm(written));
    k == w || format!("{k}s") == w || k == format!("{w}s")
}

fn read_functions(
    obj: &Map<String, Value>,
    prefix: &str,
    loc: Location,
    ctx: &mut ReadCtx<'_>,
) -> Result<Vec<(String, Settings)>, ConfigError> {
    let mut out = Vec::new();
    for (name, value) in object_at(obj, prefix, "lambda_functions", ctx)? {
        let key = format!("{prefix}lambda_functions.{name}");
        let f = match value {
            Value::Null => continue,
            Value::Object(f) => f,
            other => {
                // Chalice's lookups skip a non-dict; only its merge of a
                // stage-level entry for a real function fails.
                let hint = if KNOWN_KEYS.contains(&name.as_str()) {
                    format!(" (did you mean `{name}` one level up?)")
                } else {
                    String::new()
                };
                ctx.issues.push(Issue {
                    fatal_for: None,
                    kind: ConfigErrorKind::WrongType {
                        key: key.clone(),
                        expected: "an object of settings for the function",
                        found: describe(other),
                    },
                    chalice: format!(
                        "Chalice ignores it{hint}{}",
                        if loc == Location::StageFunction {
                            " unless the app has a function of that name, which makes \
                             `chalice package` fail"
                        } else {
                            ""
                        }
                    ),
                });
                continue;
            }
        };
        ctx.function = Some(name.clone());
        unknown_keys(f, &format!("{key}."), &[], ctx);
        let settings = read_settings(f, &format!("{key}."), loc, ctx)?;
        ctx.function = None;
        out.push((name.clone(), settings));
    }
    Ok(out)
}

/// Reads the known keys of one settings dict, validating those Chalice reads
/// at this location and recording the others as ignored.
struct Reader<'a, 'c> {
    obj: &'a Map<String, Value>,
    prefix: &'a str,
    loc: Location,
    ctx: &'a mut ReadCtx<'c>,
}

impl<'a> Reader<'a, '_> {
    /// The non-null value of `key` and its key path, if read at this location.
    fn get(&mut self, key: &str, varies: Varies) -> Option<(&'a Value, String)> {
        let v = self.obj.get(key).filter(|v| !v.is_null())?;
        let key_path = format!("{}{key}", self.prefix);
        if varies.read_at(self.loc) {
            Some((v, key_path))
        } else {
            self.ctx.ignored.push(key_path);
            None
        }
    }

    /// When a wrongly typed `key` here is refused: grail's keys for the
    /// stage they apply to; `environment_variables` where Chalice puts them
    /// into `os.environ` before importing the app (it fails on a non-string);
    /// nothing else.
    /// (Chalice's merge skips a non-object, so only an object with a
    /// non-string value fails.)
    fn fatal_for(&self, key: &str, v: &Value) -> Option<Option<String>> {
        let import_scope = self
            .ctx
            .function
            .as_deref()
            .is_none_or(|f| f == API_HANDLER);
        let env_fails = key == "environment_variables" && import_scope && v.is_object();
        if GRAIL_KEYS.contains(&key) || env_fails {
            self.ctx.fatal_here()
        } else {
            None
        }
    }

    fn read<T>(
        &mut self,
        key: &str,
        varies: Varies,
        convert: impl Fn(&Path, &str, &Value) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        let Some((v, key_path)) = self.get(key, varies) else {
            return Ok(None);
        };
        match convert(self.ctx.path, &key_path, v) {
            Ok(t) => Ok(Some(t)),
            Err(e) => {
                let fatal_for = self.fatal_for(key, v);
                let chalice = what_chalice_does(key, v, fatal_for.is_some());
                self.ctx.issues.push(Issue {
                    fatal_for,
                    kind: e.kind,
                    chalice,
                });
                Ok(None)
            }
        }
    }

    /// `automatic_layer`: Chalice tests it for truth, so any JSON value has
    /// a meaning; grail follows it and warns when it is not a boolean.
    fn read_truthy(&mut self, key: &str, varies: Varies) -> Option<bool> {
        let (v, key_path) = self.get(key, varies)?;
        let truthy = match v {
            Value::Bool(b) => return Some(*b),
            Value::Null => false,
            Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
        };
        self.ctx.issues.push(Issue {
            fatal_for: None,
            kind: ConfigErrorKind::WrongType {
                key: key_path,
                expected: "a boolean (true or false)",
                found: describe(v),
            },
            chalice: format!(
                "Chalice tests it for truth, so {v} means {truthy}, and grail does the same; \
                 write {truthy} (or what you meant)"
            ),
        });
        Some(truthy)
    }
}

/// The warning's second half: what Chalice does with a wrongly typed value.
fn what_chalice_does(key: &str, v: &Value, fatal: bool) -> String {
    match key {
        _ if fatal && key == "environment_variables" => {
            "Chalice puts these into the environment before importing app.py and fails on a \
             non-string value"
                .to_string()
        }
        _ if fatal => "grail needs this value to build the package".to_string(),
        "environment_variables" | "tags" if !v.is_object() => {
            "Chalice ignores it (only objects are merged)".to_string()
        }
        "manage_iam_role" | "autogen_policy" | "xray" => format!(
            "Chalice tests it for truth, so {v} counts as {}",
            match v {
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                Value::Bool(b) => *b,
                Value::Null => false,
            }
        ),
        "iam_role_arn" if v.is_object() => {
            "Chalice passes it into the template as is when manage_iam_role is false (and \
             `chalice package` fails on an object there); grail does not read it"
                .to_string()
        }
        _ => "Chalice passes it into the template as is (grail does not read it); check the \
              template"
            .to_string(),
    }
}

fn read_settings(
    obj: &Map<String, Value>,
    prefix: &str,
    loc: Location,
    ctx: &mut ReadCtx<'_>,
) -> Result<Settings, ConfigError> {
    use Varies::{Global, Merge, Stage, StageFunction as Fun};
    let mut r = Reader {
        obj,
        prefix,
        loc,
        ctx,
    };
    Ok(Settings {
        app_name: r.read("app_name", Global, to_string)?,
        profile: r.read("profile", Global, to_string)?,
        api_gateway_stage: r.read("api_gateway_stage", Stage, to_string)?,
        api_gateway_endpoint_type: r.read("api_gateway_endpoint_type", Stage, to_string)?,
        api_gateway_endpoint_vpce: r.read("api_gateway_endpoint_vpce", Stage, to_string_or_list)?,
        api_gateway_policy_file: r.read("api_gateway_policy_file", Stage, to_string)?,
        api_gateway_custom_domain: r.read("api_gateway_custom_domain", Stage, to_domain)?,
        websocket_api_custom_domain: r.read("websocket_api_custom_domain", Stage, to_domain)?,
        minimum_compression_size: r.read("minimum_compression_size", Stage, to_int_or_digits)?,
        automatic_layer: r.read_truthy("automatic_layer", Stage),
        lambda_architecture: r.read("lambda_architecture", Stage, to_arch)?,
        autogen_policy: r.read("autogen_policy", Fun, to_bool)?,
        iam_policy_file: r.read("iam_policy_file", Fun, to_string)?,
        manage_iam_role: r.read("manage_iam_role", Fun, to_bool)?,
        iam_role_arn: r.read("iam_role_arn", Fun, to_string)?,
        lambda_memory_size: r.read("lambda_memory_size", Fun, to_int)?,
        lambda_timeout: r.read("lambda_timeout", Fun, to_int)?,
        xray: r.read("xray", Fun, to_bool)?,
        subnet_ids: r.read("subnet_ids", Fun, to_string_list)?,
        security_group_ids: r.read("security_group_ids", Fun, to_string_list)?,
        reserved_concurrency: r.read("reserved_concurrency", Fun, to_int)?,
        layers: r.read("layers", Fun, to_layers)?,
        log_retention_in_days: r.read("log_retention_in_days", Fun, to_int)?,
        environment_variables: r.read("environment_variables", Merge, to_string_map)?,
        tags: r.read("tags", Merge, to_string_map)?,
        lambda_python_version: r.read("lambda_python_version", Stage, to_python)?,
        layer_manifests: r.read("layer_manifests", Stage, to_manifests)?,
        runtime_provided: r.read("runtime_provided", Stage, to_bool)?,
        exclude_packages: r.read("exclude_packages", Stage, to_string_list)?,
        requirements_from: r.read("requirements_from", Stage, to_string)?,
        pyproject_extras: r.read("pyproject_extras", Stage, to_string_list)?,
        verify_sysroot: r.read("verify_sysroot", Stage, to_string)?,
        fetch_layers: r.read("fetch_layers", Stage, to_bool)?,
    })
}

/// `layers`: a list. A non-string entry (a CloudFormation `{"Ref": …}`, a
/// number) is kept as its JSON text: Chalice copies it into the template,
/// and grail's layer set treats it as a layer it cannot name.
fn to_layers(path: &Path, key: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
    match v {
        Value::Array(items) => Ok(items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()),
        other => Err(wrong(path, key, "a list of layer ARNs", other)),
    }
}

fn to_string(path: &Path, key: &str, v: &Value) -> Result<String, ConfigError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(wrong(path, key, "a string", other)),
    }
}

fn to_bool(path: &Path, key: &str, v: &Value) -> Result<bool, ConfigError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong(path, key, "a boolean (true or false)", other)),
    }
}

fn to_int(path: &Path, key: &str, v: &Value) -> Result<i64, ConfigError> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None if n.is_u64() => Err(ConfigError {
                path: path.to_path_buf(),
                kind: ConfigErrorKind::WrongType {
                    key: key.to_string(),
                    expected: "an integer",
                    found: "an integer that is too large",
                },
            }),
            None => Err(wrong(path, key, "an integer", v)),
        },
        other => Err(wrong(path, key, "an integer", other)),
    }
}

/// An integer, or a string Python's `int()` accepts (Chalice passes
/// `minimum_compression_size` through `int()`).
fn to_int_or_digits(path: &Path, key: &str, v: &Value) -> Result<i64, ConfigError> {
    const EXPECTED: &str = "an integer (or a string of digits)";
    match v {
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| wrong(path, key, EXPECTED, v)),
        Value::Number(_) => to_int(path, key, v),
        other => Err(wrong(path, key, EXPECTED, other)),
    }
}

fn to_string_list(path: &Path, key: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong(path, &format!("{key}[{i}]"), "a string", other)),
            })
            .collect(),
        other => Err(wrong(path, key, "a list of strings", other)),
    }
}

fn to_string_or_list(path: &Path, key: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(_) => to_string_list(path, key, v),
        other => Err(wrong(path, key, "a string or a list of strings", other)),
    }
}

fn to_pairs(path: &Path, key: &str, v: &Value) -> Result<Vec<(String, String)>, ConfigError> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, item)| match item {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(wrong(path, &format!("{key}.{k}"), "a string", other)),
            })
            .collect(),
        other => Err(wrong(path, key, "an object of strings", other)),
    }
}

fn to_string_map(path: &Path, key: &str, v: &Value) -> Result<StringMap, ConfigError> {
    Ok(to_pairs(path, key, v)?.into_iter().collect())
}

fn to_manifests(path: &Path, key: &str, v: &Value) -> Result<Vec<(String, String)>, ConfigError> {
    to_pairs(path, key, v)
}

fn to_arch(path: &Path, key: &str, v: &Value) -> Result<Arch, ConfigError> {
    let s = match v {
        Value::String(s) => s,
        other => return Err(wrong(path, key, "a string (x86_64 or arm64)", other)),
    };
    let invalid = || ConfigError {
        path: path.to_path_buf(),
        kind: ConfigErrorKind::InvalidArchitecture {
            key: key.to_string(),
            value: s.clone(),
        },
    };
    // Chalice's check is exact: the `aarch64` alias `Arch` accepts is refused.
    if s != "x86_64" && s != "arm64" {
        return Err(invalid());
    }
    s.parse::<Arch>().map_err(|_| invalid())
}

fn to_python(path: &Path, key: &str, v: &Value) -> Result<PythonVersion, ConfigError> {
    let s = match v {
        Value::String(s) => s,
        // A JSON number would turn "3.10" into 3.1: insist on a string.
        other => return Err(wrong(path, key, "a string such as \"3.12\"", other)),
    };
    let version = s.parse::<PythonVersion>().map_err(|error| ConfigError {
        path: path.to_path_buf(),
        kind: ConfigErrorKind::InvalidPythonVersion {
            key: key.to_string(),
            error,
        },
    })?;
    if !version.is_supported_runtime() {
        return Err(ConfigError {
            path: path.to_path_buf(),
            kind: ConfigErrorKind::UnsupportedPythonVersion {
                key: key.to_string(),
                version,
            },
        });
    }
    Ok(version)
}

fn to_domain(path: &Path, key: &str, v: &Value) -> Result<CustomDomain, ConfigError> {
    let Value::Object(m) = v else {
        return Err(wrong(path, key, "an object", v));
    };
    let field = |name: &str| -> Result<Option<String>, ConfigError> {
        match m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => to_string(path, &format!("{key}.{name}"), x).map(Some),
        }
    };
    let required = |name: &str| -> Result<String, ConfigError> {
        field(name)?.ok_or_else(|| ConfigError {
            path: path.to_path_buf(),
            kind: ConfigErrorKind::MissingKey {
                key: format!("{key}.{name}"),
            },
        })
    };
    let tags = match m.get("tags") {
        None | Some(Value::Null) => None,
        Some(t) => Some(to_string_map(path, &format!("{key}.tags"), t)?),
    };
    Ok(CustomDomain {
        domain_name: required("domain_name")?,
        certificate_arn: required("certificate_arn")?,
        tls_version: field("tls_version")?,
        url_prefix: field("url_prefix")?,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/p/.chalice/config.json";

    fn cfg(json: &str) -> Config {
        match Config::parse(Path::new(PATH), json) {
            Ok(c) => c,
            Err(e) => panic!("config should load: {e}\n{json}"),
        }
    }

    /// The error packaging stage `dev` gives (at load or at the check).
    fn err(json: &str) -> ConfigError {
        match Config::parse(Path::new(PATH), json).and_then(|c| c.check("dev")) {
            Ok(_) => panic!("config should be refused:\n{json}"),
            Err(e) => e,
        }
    }

    /// The warnings packaging stage `dev` gives.
    fn warnings(json: &str) -> Vec<String> {
        match cfg(json).check("dev") {
            Ok(w) => w,
            Err(e) => panic!("config should be accepted for dev: {e}\n{json}"),
        }
    }

    /// A view whose user params carry arbitrary keys, to test the user-params
    /// position of every chain (Chalice's only real user param is `profile`).
    fn view_with_user<'a>(
        config: &'a Config,
        stage: &str,
        function: &str,
        user: Settings,
    ) -> ConfigView<'a> {
        let mut v = config.scope(stage, function, &UserParams::default());
        v.user = user;
        v
    }

    fn user_memory(n: i64) -> Settings {
        Settings {
            lambda_memory_size: Some(n),
            ..Settings::default()
        }
    }

    /// (case, config, stage, function, user lambda_memory_size, expected)
    type PrecedenceRow = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<i64>,
        Option<i64>,
    );

    #[test]
    fn stage_function_lookup_precedence() {
        let rows: &[PrecedenceRow] = &[
            ("nothing set", r#"{}"#, "dev", "foo", None, None),
            (
                "top level",
                r#"{"lambda_memory_size": 1}"#,
                "dev",
                "foo",
                None,
                Some(1),
            ),
            (
                "top-level function beats top level",
                r#"{"lambda_memory_size": 1, "lambda_functions": {"foo": {"lambda_memory_size": 2}}}"#,
                "dev",
                "foo",
                None,
                Some(2),
            ),
            (
                "stage-level value beats a top-level per-function value",
                r#"{"lambda_functions": {"foo": {"lambda_memory_size": 2}},
                    "stages": {"dev": {"lambda_memory_size": 3}}}"#,
                "dev",
                "foo",
                None,
                Some(3),
            ),
            (
                "stage+function beats stage",
                r#"{"stages": {"dev": {"lambda_memory_size": 3,
                    "lambda_functions": {"foo": {"lambda_memory_size": 4}}}}}"#,
                "dev",
                "foo",
                None,
                Some(4),
            ),
            (
                "user params beat stage",
                r#"{"stages": {"dev": {"lambda_memory_size": 3}}}"#,
                "dev",
                "foo",
                Some(9),
                Some(9),
            ),
            (
                "user params beat top-level function",
                r#"{"lambda_functions": {"foo": {"lambda_memory_size": 2}}}"#,
                "dev",
                "foo",
                Some(9),
                Some(9),
            ),
            (
                "stage+function value beats user params",
                r#"{"stages": {"dev": {"lambda_functions": {"foo": {"lambda_memory_size": 4}}}}}"#,
                "dev",
                "foo",
                Some(9),
                Some(4),
            ),
            (
                "null in stage+function is skipped",
                r#"{"stages": {"dev": {"lambda_memory_size": 3,
                    "lambda_functions": {"foo": {"lambda_memory_size": null}}}}}"#,
                "dev",
                "foo",
                None,
                Some(3),
            ),
            (
                "null stage value falls through to top-level function",
                r#"{"lambda_functions": {"foo": {"lambda_memory_size": 2}},
                    "stages": {"dev": {"lambda_memory_size": null}}}"#,
                "dev",
                "foo",
                None,
                Some(2),
            ),
            (
                "zero counts as a value",
                r#"{"lambda_memory_size": 1, "stages": {"dev": {"lambda_memory_size": 0}}}"#,
                "dev",
                "foo",
                None,
                Some(0),
            ),
            (
                "unknown stage gets top-level values",
                r#"{"lambda_functions": {"foo": {"lambda_memory_size": 2}},
                    "stages": {"dev": {"lambda_memory_size": 3}}}"#,
                "prod",
                "foo",
                None,
                Some(2),
            ),
            (
                "another function's value does not leak",
                r#"{"lambda_memory_size": 1, "lambda_functions": {"bar": {"lambda_memory_size": 2}},
                    "stages": {"dev": {"lambda_functions": {"bar": {"lambda_memory_size": 4}}}}}"#,
                "dev",
                "foo",
                None,
                Some(1),
            ),
            (
                "another stage's value does not leak",
                r#"{"stages": {"prod": {"lambda_memory_size": 3}}}"#,
                "dev",
                "foo",
                None,
                None,
            ),
        ];
        for (case, json, stage, function, user, expected) in rows {
            let config = cfg(json);
            let user = user.map(user_memory).unwrap_or_default();
            let view = view_with_user(&config, stage, function, user);
            assert_eq!(view.lambda_memory_size(), *expected, "{case}");
        }
    }

    #[test]
    fn false_zero_and_empty_count_as_values() {
        let config = cfg(r#"{
            "autogen_policy": true, "manage_iam_role": true, "xray": true,
            "reserved_concurrency": 10, "iam_policy_file": "top.json", "layers": ["arn:top"],
            "stages": {"dev": {"lambda_functions": {"foo": {
                "autogen_policy": false, "manage_iam_role": false, "xray": false,
                "reserved_concurrency": 0, "iam_policy_file": "", "layers": []}}}}
        }"#);
        let v = config.scope("dev", "foo", &UserParams::default());
        assert!(!v.autogen_policy());
        assert!(!v.manage_iam_role());
        assert_eq!(v.xray(), Some(false));
        assert_eq!(v.reserved_concurrency(), Some(0));
        assert_eq!(v.iam_policy_file(), "");
        assert!(v.layers().is_empty());
        // The same config, another function: top-level values.
        let v = config.scope("dev", "bar", &UserParams::default());
        assert!(v.autogen_policy());
        assert_eq!(v.layers(), vec!["arn:top".to_string()]);
        assert_eq!(v.iam_policy_file(), "top.json");
    }

    #[test]
    fn defaults() {
        let config = cfg("{}");
        let v = config.scope("dev", "foo", &UserParams::default());
        assert_eq!(v.api_gateway_stage(), "api");
        assert_eq!(v.api_gateway_endpoint_type(), "EDGE");
        assert!(v.autogen_policy());
        assert!(v.manage_iam_role());
        assert_eq!(v.iam_policy_file(), "policy-dev.json");
        assert_eq!(
            v.iam_policy_path(),
            Path::new("/p/.chalice/policy-dev.json")
        );
        assert_eq!(v.lambda_memory_size(), None);
        assert_eq!(v.effective_lambda_memory_size(), 128);
        assert_eq!(v.lambda_timeout(), None);
        assert_eq!(v.effective_lambda_timeout(), 60);
        assert_eq!(v.lambda_architecture(), Arch::X86_64);
        assert!(!v.automatic_layer());
        assert!(!v.runtime_provided());
        assert_eq!(v.lambda_python_version(), None);
        assert!(v.layers().is_empty());
        assert!(v.layer_manifests().is_empty());
        assert!(v.exclude_packages().is_empty());
        assert!(v.subnet_ids().is_empty() && v.security_group_ids().is_empty());
        assert_eq!(v.xray(), None);
        assert_eq!(v.environment_variables(), StringMap::new());
        assert_eq!(v.profile(), None);
        assert_eq!(v.api_gateway_custom_domain(), None);
        assert_eq!(v.minimum_compression_size(), None);
    }

    #[test]
    fn stage_level_keys_ignore_function_values() {
        let config = cfg(r#"{
            "lambda_architecture": "arm64",
            "lambda_functions": {"foo": {"automatic_layer": true, "lambda_architecture": "x86_64"}},
            "stages": {
                "dev": {"lambda_functions": {"foo": {"lambda_architecture": "x86_64", "automatic_layer": true}}},
                "prod": {"lambda_architecture": "x86_64", "automatic_layer": true}
            }
        }"#);
        let v = config.scope("dev", "foo", &UserParams::default());
        assert_eq!(v.lambda_architecture(), Arch::Arm64);
        assert!(!v.automatic_layer());
        let v = config.scope("prod", "foo", &UserParams::default());
        assert_eq!(v.lambda_architecture(), Arch::X86_64, "stage beats top");
        assert!(v.automatic_layer());
        assert_eq!(
            config.ignored_keys(),
            [
                "lambda_functions.foo.automatic_layer",
                "lambda_functions.foo.lambda_architecture",
                "stages.dev.lambda_functions.foo.automatic_layer",
                "stages.dev.lambda_functions.foo.lambda_architecture",
            ]
        );
    }

    #[test]
    fn stage_level_lookup_precedence() {
        // (case, config, stage, user architecture, expected)
        let rows: &[(&str, &str, &str, Option<Arch>, Arch)] = &[
            ("default", "{}", "dev", None, Arch::X86_64),
            (
                "top",
                r#"{"lambda_architecture": "arm64"}"#,
                "dev",
                None,
                Arch::Arm64,
            ),
            (
                "stage beats top",
                r#"{"lambda_architecture": "arm64", "stages": {"dev": {"lambda_architecture": "x86_64"}}}"#,
                "dev",
                None,
                Arch::X86_64,
            ),
            (
                "user params beat stage",
                r#"{"stages": {"dev": {"lambda_architecture": "x86_64"}}}"#,
                "dev",
                Some(Arch::Arm64),
                Arch::Arm64,
            ),
            (
                "null stage value skipped",
                r#"{"lambda_architecture": "arm64", "stages": {"dev": {"lambda_architecture": null}}}"#,
                "dev",
                None,
                Arch::Arm64,
            ),
        ];
        for (case, json, stage, user, expected) in rows {
            let config = cfg(json);
            let user = Settings {
                lambda_architecture: *user,
                ..Settings::default()
            };
            let v = view_with_user(&config, stage, "foo", user);
            assert_eq!(v.lambda_architecture(), *expected, "{case}");
        }
    }

    #[test]
    fn global_keys_and_user_params() {
        let config = cfg(r#"{"app_name": "shop", "profile": "from-file",
                             "stages": {"dev": {"app_name": "ignored", "profile": "ignored"}}}"#);
        let v = config.scope("dev", "foo", &UserParams::default());
        assert_eq!(v.app_name().as_deref(), Some("shop"));
        assert_eq!(v.profile().as_deref(), Some("from-file"));
        let user = UserParams {
            profile: Some("cli".into()),
        };
        assert_eq!(
            config.scope("dev", "foo", &user).profile().as_deref(),
            Some("cli")
        );
        assert_eq!(
            config.ignored_keys(),
            ["stages.dev.app_name", "stages.dev.profile"]
        );
    }

    #[test]
    fn app_name_missing_is_none_string() {
        let config = cfg(r#"{"version": "2.0"}"#);
        assert_eq!(config.app_name(), None);
        assert_eq!(config.app_name_or_none(), "None");
        let v = config.scope("dev", "api_handler", &UserParams::default());
        assert_eq!(
            v.tags("1.34.0").get("aws-chalice"),
            Some("version=1.34.0:stage=dev:app=None")
        );
    }

    #[test]
    fn environment_variables_merge() {
        let config = cfg(r#"{
            "environment_variables": {"A": "top", "B": "top"},
            "lambda_functions": {"foo": {"environment_variables": {"A": "topfn", "D": "topfn"}}},
            "stages": {"dev": {
                "environment_variables": {"B": "stage", "C": "stage"},
                "lambda_functions": {"foo": {"environment_variables": {"C": "stagefn", "E": "stagefn"}}}
            }}
        }"#);
        let env = config
            .scope("dev", "foo", &UserParams::default())
            .environment_variables();
        // Top-level per-function values are ignored (quirk); order is Python's.
        let got: Vec<_> = env.iter().collect();
        assert_eq!(
            got,
            vec![
                ("A", "top"),
                ("B", "stage"),
                ("C", "stagefn"),
                ("E", "stagefn")
            ]
        );
        assert_eq!(
            config.ignored_keys(),
            ["lambda_functions.foo.environment_variables"]
        );
        // Another function in the same stage: no per-function values.
        let env = config
            .scope("dev", "bar", &UserParams::default())
            .environment_variables();
        assert_eq!(
            env.iter().collect::<Vec<_>>(),
            vec![("A", "top"), ("B", "stage"), ("C", "stage")]
        );
        // User params come last in the merge.
        let user = Settings {
            environment_variables: Some(
                [("A".to_string(), "user".to_string())]
                    .into_iter()
                    .collect(),
            ),
            ..Settings::default()
        };
        let env = view_with_user(&config, "dev", "foo", user).environment_variables();
        assert_eq!(env.get("A"), Some("user"));
        assert_eq!(env.iter().next(), Some(("A", "user")), "position kept");
    }

    #[test]
    fn merge_skips_null_dicts() {
        let config = cfg(r#"{"environment_variables": {"A": "1"},
                             "stages": {"dev": {"environment_variables": null}}}"#);
        let env = config
            .scope("dev", "f", &UserParams::default())
            .environment_variables();
        assert_eq!(env.get("A"), Some("1"));
    }

    #[test]
    fn tags_merge_and_chalice_tag() {
        let config = cfg(r#"{
            "app_name": "shop",
            "tags": {"aws-chalice": "mine", "team": "top"},
            "lambda_functions": {"foo": {"tags": {"ignored": "yes"}}},
            "stages": {"prod": {"tags": {"team": "stage"},
                "lambda_functions": {"foo": {"tags": {"fn": "yes"}}}}}
        }"#);
        let tags = config
            .scope("prod", "foo", &UserParams::default())
            .tags("1.34.0");
        assert_eq!(
            tags.iter().collect::<Vec<_>>(),
            vec![
                ("aws-chalice", "version=1.34.0:stage=prod:app=shop"),
                ("team", "stage"),
                ("fn", "yes"),
            ]
        );
        assert_eq!(
            tags.to_json(),
            serde_json::json!({"aws-chalice": "version=1.34.0:stage=prod:app=shop",
                               "team": "stage", "fn": "yes"})
        );
    }

    #[test]
    fn grail_keys_are_per_stage() {
        let config = cfg(r#"{
            "lambda_python_version": "3.11", "runtime_provided": true,
            "exclude_packages": ["pandas"],
            "layer_manifests": {"arn:aws:lambda:us-east-1:1:layer:top:1": "top.json"},
            "stages": {"dev": {
                "lambda_python_version": "python3.13", "runtime_provided": false,
                "exclude_packages": ["numpy", "scipy"],
                "layer_manifests": {"arn:aws:lambda:us-east-1:1:layer:dev:2": "layers/dev.json",
                                    "arn:aws:lambda:us-east-1:1:layer:abs:3": "/abs/m.json"},
                "lambda_functions": {"foo": {"lambda_python_version": "3.10"}}
            }}
        }"#);
        let v = config.scope("dev", "foo", &UserParams::default());
        assert_eq!(v.lambda_python_version(), Some(PythonVersion::new(3, 13)));
        assert!(!v.runtime_provided());
        assert_eq!(v.exclude_packages(), vec!["numpy", "scipy"]);
        assert_eq!(
            v.layer_manifests(),
            vec![
                (
                    "arn:aws:lambda:us-east-1:1:layer:dev:2".to_string(),
                    PathBuf::from("/p/.chalice/layers/dev.json")
                ),
                (
                    "arn:aws:lambda:us-east-1:1:layer:abs:3".to_string(),
                    PathBuf::from("/abs/m.json")
                ),
            ]
        );
        let v = config.scope("prod", "foo", &UserParams::default());
        assert_eq!(v.lambda_python_version(), Some(PythonVersion::new(3, 11)));
        assert!(v.runtime_provided());
        assert_eq!(v.exclude_packages(), vec!["pandas"]);
        assert_eq!(
            config.ignored_keys(),
            ["stages.dev.lambda_functions.foo.lambda_python_version"]
        );
    }

    #[test]
    fn layers_are_stage_and_function() {
        let config = cfg(r#"{
            "layers": ["arn:top"],
            "lambda_functions": {"foo": {"layers": ["arn:topfn"]}},
            "stages": {"dev": {"layers": ["arn:stage"],
                "lambda_functions": {"bar": {"layers": ["arn:stagefn"]}}}}
        }"#);
        let layers = |s: &str, f: &str| config.scope(s, f, &UserParams::default()).layers();
        assert_eq!(layers("dev", "foo"), vec!["arn:stage"]);
        assert_eq!(layers("dev", "bar"), vec!["arn:stagefn"]);
        assert_eq!(layers("dev", "baz"), vec!["arn:stage"]);
        assert_eq!(layers("prod", "foo"), vec!["arn:topfn"]);
        assert_eq!(layers("prod", "baz"), vec!["arn:top"]);
    }

    #[test]
    fn other_stage_keys() {
        let config = cfg(r#"{
            "api_gateway_stage": "v1",
            "stages": {"dev": {
                "api_gateway_endpoint_type": "PRIVATE",
                "api_gateway_endpoint_vpce": "vpce-1",
                "api_gateway_policy_file": "api-policy.json",
                "minimum_compression_size": "1024",
                "api_gateway_custom_domain": {"domain_name": "api.example.com",
                    "certificate_arn": "arn:cert", "url_prefix": "v1", "tags": {"k": "v"}},
                "websocket_api_custom_domain": {"domain_name": "ws.example.com",
                    "certificate_arn": "arn:cert2", "tls_version": "TLS_1_2"},
                "lambda_functions": {"foo": {"iam_role_arn": "arn:role", "manage_iam_role": false,
                    "subnet_ids": ["s-1"], "security_group_ids": ["sg-1"],
                    "log_retention_in_days": 14, "lambda_timeout": 300}}
            }, "prod": {"api_gateway_endpoint_vpce": ["vpce-1", "vpce-2"], "minimum_compression_size": 0}}
        }"#);
        let v = config.scope("dev", "foo", &UserParams::default());
        assert_eq!(v.api_gateway_stage(), "v1");
        assert_eq!(v.api_gateway_endpoint_type(), "PRIVATE");
        assert_eq!(
            v.api_gateway_endpoint_vpce(),
            Some(vec!["vpce-1".to_string()])
        );
        assert_eq!(
            v.api_gateway_policy_file().as_deref(),
            Some("api-policy.json")
        );
        assert_eq!(v.minimum_compression_size(), Some(1024));
        let domain = v.api_gateway_custom_domain().expect("domain");
        assert_eq!(domain.domain_name, "api.example.com");
        assert_eq!(domain.certificate_arn, "arn:cert");
        assert_eq!(domain.url_prefix.as_deref(), Some("v1"));
        assert_eq!(domain.tls_version, None);
        assert_eq!(domain.tags.as_ref().and_then(|t| t.get("k")), Some("v"));
        let ws = v.websocket_api_custom_domain().expect("ws domain");
        assert_eq!(ws.tls_version.as_deref(), Some("TLS_1_2"));
        assert_eq!(v.iam_role_arn().as_deref(), Some("arn:role"));
        assert!(!v.manage_iam_role());
        assert_eq!(v.subnet_ids(), vec!["s-1"]);
        assert_eq!(v.security_group_ids(), vec!["sg-1"]);
        assert_eq!(v.log_retention_in_days(), Some(14));
        assert_eq!(v.effective_lambda_timeout(), 300);
        let v = config.scope("prod", "foo", &UserParams::default());
        assert_eq!(
            v.api_gateway_endpoint_vpce(),
            Some(vec!["vpce-1".to_string(), "vpce-2".to_string()])
        );
        assert_eq!(v.minimum_compression_size(), Some(0));
        assert_eq!(v.iam_role_arn(), None);
    }

    #[test]
    fn function_and_stage_names() {
        let config = cfg(r#"{
            "lambda_functions": {"b": {}, "a": {}},
            "stages": {"prod": {}, "dev": {"lambda_functions": {"c": {}, "a": {}}}}
        }"#);
        assert_eq!(config.function_names("dev"), vec!["b", "a", "c"]);
        assert_eq!(config.function_names("prod"), vec!["b", "a"]);
        assert_eq!(config.function_names("nope"), vec!["b", "a"]);
        assert_eq!(config.stage_names(), vec!["prod", "dev"]);
        assert_eq!(config.path(), Path::new(PATH));
        assert_eq!(config.chalice_dir(), Path::new("/p/.chalice"));
    }

    #[test]
    fn version_gate() {
        // (version JSON, accepted)
        let rows: &[(&str, bool)] = &[
            ("\"1.0\"", true),
            ("1.0", true),
            ("2.0", true),
            ("\"2.0\"", true),
            ("2", true),
            ("\"2\"", true),
            ("1", true),
            ("null", true),
            ("\"3.0\"", false),
            ("3.0", false),
            ("3", false),
            ("2.5", false),
            ("\"2.0001\"", false),
            ("\"abc\"", false),
            ("\"\"", false),
            // Python's float() accepts these too.
            ("\" 1.5 \"", true),
            ("\"nan\"", true),
            ("\"inf\"", false),
        ];
        for (version, ok) in rows {
            let json = format!(r#"{{"version": {version}}}"#);
            match Config::parse(Path::new(PATH), &json) {
                Ok(_) => assert!(*ok, "version {version} should be refused"),
                Err(e) => {
                    assert!(!*ok, "version {version} should be accepted: {e}");
                    let shown = version.trim_matches('"');
                    assert!(
                        matches!(&e.kind, ConfigErrorKind::UnknownVersion { version } if version == shown),
                        "{e:?}"
                    );
                    let msg = e.to_string();
                    assert!(
                        msg.contains(&format!("Unknown version '{shown}' in config.json")),
                        "{msg}"
                    );
                    assert!(msg.contains(PATH), "{msg}");
                    assert_eq!(e.exit_kind(), ExitKind::Usage);
                }
            }
        }
        // Absent: default "1.0".
        cfg("{}");
        // Python's float(True) is 1.0: Chalice accepts a boolean.
        cfg(r#"{"version": true}"#);
        let e = err(r#"{"version": [2]}"#);
        assert!(
            e.to_string()
                .contains("`version`: expected a string or a number, found a list"),
            "{e}"
        );
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        // (text, line, column, message fragment)
        let rows: &[(&str, usize, usize, &str)] = &[
            (
                "{\n  \"app_name\": \"x\",\n  \"stages\" {}\n}",
                3,
                12,
                "expected `:`",
            ),
            ("{\"a\": 1,}", 1, 9, "trailing comma"),
            ("", 1, 0, "EOF"),
            ("{\"a\": 1} x", 1, 10, "trailing characters"),
        ];
        for (text, line, column, fragment) in rows {
            let e = err(text);
            match &e.kind {
                ConfigErrorKind::InvalidJson {
                    line: l,
                    column: c,
                    message,
                } => {
                    assert_eq!((*l, *c), (*line, *column), "{text:?}: {message}");
                    assert!(message.contains(fragment), "{message}");
                    assert!(
                        !message.contains(" at line "),
                        "location not repeated: {message}"
                    );
                }
                other => panic!("{text:?}: {other:?}"),
            }
            let msg = e.to_string();
            assert!(msg.contains(PATH), "{msg}");
            assert!(
                msg.contains(&format!("line {line} column {column}")),
                "{msg}"
            );
            assert!(
                msg.contains("Unable to load the project config file"),
                "{msg}"
            );
        }
    }

    #[test]
    fn top_level_must_be_an_object() {
        for (text, found) in [("[]", "a list"), ("\"x\"", "a string"), ("null", "null")] {
            let e = err(text);
            assert!(
                e.to_string().contains(&format!(
                    "the top level must be a JSON object, found {found}"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn wrong_types_name_the_key_path() {
        // (config, key path, expected, found, refused when packaging dev):
        // refused where `chalice package` fails or grail needs the value,
        // else a warning with the same first half.
        let rows: &[(&str, &str, &str, &str, bool)] = &[
            (
                r#"{"stages": {"dev": {"lambda_functions": {"foo": {"lambda_memory_size": "512"}}}}}"#,
                "stages.dev.lambda_functions.foo.lambda_memory_size",
                "an integer",
                "a string",
                false,
            ),
            (
                r#"{"lambda_functions": {"foo": {"lambda_timeout": 1.5}}}"#,
                "lambda_functions.foo.lambda_timeout",
                "an integer",
                "a number",
                false,
            ),
            (
                r#"{"lambda_timeout": true}"#,
                "lambda_timeout",
                "an integer",
                "a boolean",
                false,
            ),
            (
                r#"{"lambda_memory_size": 18446744073709551615}"#,
                "lambda_memory_size",
                "an integer",
                "an integer that is too large",
                false,
            ),
            (
                r#"{"stages": {"dev": {"automatic_layer": "true"}}}"#,
                "stages.dev.automatic_layer",
                "a boolean (true or false)",
                "a string",
                false,
            ),
            (
                r#"{"app_name": 5}"#,
                "app_name",
                "a string",
                "an integer",
                false,
            ),
            (
                r#"{"layers": "arn:x"}"#,
                "layers",
                "a list of layer ARNs",
                "a string",
                true,
            ),
            (
                r#"{"environment_variables": {"PORT": 8080}}"#,
                "environment_variables.PORT",
                "a string",
                "an integer",
                true,
            ),
            (
                r#"{"stages": {"dev": {"lambda_functions": {"f": {"tags": ["a"]}}}}}"#,
                "stages.dev.lambda_functions.f.tags",
                "an object of strings",
                "a list",
                false,
            ),
            (r#"{"stages": []}"#, "stages", "an object", "a list", true),
            (
                r#"{"stages": {"dev": 1}}"#,
                "stages.dev",
                "an object",
                "an integer",
                true,
            ),
            (
                r#"{"lambda_functions": {"foo": "bar"}}"#,
                "lambda_functions.foo",
                "an object of settings for the function",
                "a string",
                false,
            ),
            (
                r#"{"stages": {"dev": {"lambda_functions": 3}}}"#,
                "stages.dev.lambda_functions",
                "an object",
                "an integer",
                true,
            ),
            (
                r#"{"api_gateway_endpoint_vpce": 1}"#,
                "api_gateway_endpoint_vpce",
                "a string or a list of strings",
                "an integer",
                false,
            ),
            (
                r#"{"minimum_compression_size": "big"}"#,
                "minimum_compression_size",
                "an integer (or a string of digits)",
                "a string",
                false,
            ),
            (
                r#"{"lambda_python_version": 3.12}"#,
                "lambda_python_version",
                "a string such as \"3.12\"",
                "a number",
                true,
            ),
            (
                r#"{"layer_manifests": {"arn:x": 1}}"#,
                "layer_manifests.arn:x",
                "a string",
                "an integer",
                true,
            ),
            (
                r#"{"exclude_packages": {"a": "b"}}"#,
                "exclude_packages",
                "a list of strings",
                "an object",
                true,
            ),
            (
                r#"{"stages": {"dev": {"runtime_provided": 1}}}"#,
                "stages.dev.runtime_provided",
                "a boolean (true or false)",
                "an integer",
                true,
            ),
            (
                r#"{"api_gateway_custom_domain": {"domain_name": "d", "certificate_arn": "c", "tls_version": 2}}"#,
                "api_gateway_custom_domain.tls_version",
                "a string",
                "an integer",
                false,
            ),
            (
                r#"{"websocket_api_custom_domain": "d"}"#,
                "websocket_api_custom_domain",
                "an object",
                "a string",
                false,
            ),
            (
                r#"{"lambda_architecture": 64}"#,
                "lambda_architecture",
                "a string (x86_64 or arm64)",
                "an integer",
                true,
            ),
        ];
        for (json, key, expected, found, refused) in rows {
            let first = format!("{PATH}: `{key}`: expected {expected}, found {found}");
            if *refused {
                let e = err(json);
                match &e.kind {
                    ConfigErrorKind::WrongType {
                        key: k,
                        expected: x,
                        found: f,
                    } => assert_eq!((k.as_str(), *x, *f), (*key, *expected, *found), "{json}"),
                    other => panic!("{json}: {other:?}"),
                }
                assert_eq!(e.to_string(), first);
            } else {
                let w = warnings(json);
                assert!(
                    w.iter().any(|w| w.starts_with(&format!("{first}; "))),
                    "{json}: {w:#?}"
                );
            }
        }
    }

    #[test]
    fn values_chalice_tolerates_are_warnings() {
        // Each seen in a real project that `chalice package` packages.
        let json = r#"{
            "version": "2.0", "app_name": "shop",
            "lambda_functions": {"automatic_layer": true},
            "automatic_layers": "true",
            "lambda_functions_disabled": {"x": {}},
            "stages": {
                "dev": {
                    "manage_iam_role": "false",
                    "iam_role_arn": {"Fn::Sub": "arn:aws:iam::${AWS_ACCOUNT_ID}:role/r"},
                    "layers": ["${Token[TOKEN.89]}", {"Ref": "DepsLayer"}],
                    "lambda_functions": {"worker": {"iam_role_arn": null}}
                },
                "prod": {"lambda_python_version": 3.12, "environment_variables": {"PORT": 1}}
            }
        }"#;
        let config = cfg(json);
        let w = warnings(json);
        let has = |needles: &[&str]| {
            assert!(
                w.iter().any(|w| needles.iter().all(|n| w.contains(n))),
                "{needles:?} in {w:#?}"
            )
        };
        has(&[
            "`lambda_functions.automatic_layer`",
            "did you mean `automatic_layer` one level up?",
        ]);
        has(&[
            "`automatic_layers` is not a Chalice or grail setting (did you mean automatic_layer?)",
            "Chalice ignores it",
        ]);
        has(&["`lambda_functions_disabled`", "Chalice ignores it"]);
        has(&["`stages.dev.manage_iam_role`", "\"false\" counts as true"]);
        has(&[
            "`stages.dev.iam_role_arn`: expected a string, found an object",
            "as is",
        ]);
        // Another stage's values grail would refuse are warnings here.
        has(&[
            "`stages.prod.lambda_python_version`",
            "grail needs this value",
        ]);
        has(&["`stages.prod.environment_variables.PORT`"]);
        assert_eq!(w.len(), 7, "{w:#?}");
        // ... and refused when packaging that stage.
        let e = config.check("prod").unwrap_err().to_string();
        assert!(e.contains("stages.prod."), "{e}");
        // Non-string layer entries are kept (as JSON text) for the layer set.
        let dev = config.scope("dev", "api_handler", &UserParams::default());
        assert_eq!(
            dev.layers(),
            ["${Token[TOKEN.89]}", r#"{"Ref":"DepsLayer"}"#]
        );
        // A scalar under lambda_functions is not a function.
        assert_eq!(config.function_names("dev"), ["worker"]);
    }

    #[test]
    fn automatic_layer_follows_pythons_truth() {
        for (value, truthy) in [
            ("\"false\"", true),
            ("\"\"", false),
            ("0", false),
            ("1", true),
        ] {
            let json = format!(r#"{{"stages": {{"dev": {{"automatic_layer": {value}}}}}}}"#);
            let c = cfg(&json);
            assert_eq!(
                c.scope("dev", API_HANDLER, &UserParams::default())
                    .automatic_layer(),
                truthy,
                "{value}"
            );
            let w = warnings(&json);
            assert!(w[0].contains(&format!("means {truthy}")), "{w:?}");
        }
    }

    #[test]
    fn sparse_configs_load() {
        // Only app_name; no stages; no dev stage while packaging dev.
        for json in [
            r#"{"app_name": "x"}"#,
            r#"{"version": "2.0"}"#,
            r#"{"version": "2.0", "app_name": "x", "stages": {"production": {"lambda_memory_size": 256}}}"#,
            r#"{"app_name": null, "stages": {"dev": {"iam_role_arn": null}}}"#,
        ] {
            assert!(warnings(json).is_empty(), "{json}");
        }
    }

    #[test]
    fn environment_variables_refused_only_at_import_time() {
        // Chalice sets the api_handler scope's variables before importing
        // app.py (a non-string fails there); other functions' go to the template.
        err(
            r#"{"stages": {"dev": {"lambda_functions": {"api_handler": {"environment_variables": {"A": 1}}}}}}"#,
        );
        let w = warnings(
            r#"{"stages": {"dev": {"lambda_functions": {"worker": {"environment_variables": {"A": 1}}}}}}"#,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        let w = warnings(r#"{"stages": {"dev": {"environment_variables": "A=1"}}}"#);
        assert!(w[0].contains("only objects are merged"), "{w:?}");
    }

    #[test]
    fn unread_keys_are_not_validated() {
        // Chalice never reads these where they are written, so it accepts them.
        let config = cfg(r#"{
            "unknown_key": {"anything": [1, 2]},
            "lambda_functions": {"foo": {"environment_variables": {"PORT": 8080}, "tags": 5}},
            "stages": {"dev": {"app_name": 7, "lambda_functions": {"foo": {"api_gateway_stage": 1}}}}
        }"#);
        assert_eq!(
            config.ignored_keys(),
            [
                "lambda_functions.foo.environment_variables",
                "lambda_functions.foo.tags",
                "stages.dev.app_name",
                "stages.dev.lambda_functions.foo.api_gateway_stage",
            ]
        );
    }

    #[test]
    fn custom_domain_without_certificate_is_a_warning() {
        // grail does not read it; Chalice's own template step reports it.
        let w =
            warnings(r#"{"stages": {"dev": {"api_gateway_custom_domain": {"domain_name": "d"}}}}"#);
        assert_eq!(
            w,
            [format!(
                "{PATH}: `stages.dev.api_gateway_custom_domain.certificate_arn` is required; \
                 Chalice passes it into the template as is (grail does not read it); check the template"
            )]
        );
    }

    #[test]
    fn architecture_validation() {
        // (value, accepted as)
        let rows: &[(&str, Option<Arch>)] = &[
            ("x86_64", Some(Arch::X86_64)),
            ("arm64", Some(Arch::Arm64)),
            ("aarch64", None),
            ("ARM64", None),
            ("amd64", None),
            ("", None),
        ];
        for (value, expected) in rows {
            let json = format!(r#"{{"stages": {{"prod": {{"lambda_architecture": "{value}"}}}}}}"#);
            let loaded =
                Config::parse(Path::new(PATH), &json).and_then(|c| c.check("prod").map(|_| c));
            match (loaded, expected) {
                (Ok(c), Some(arch)) => assert_eq!(
                    c.scope("prod", "f", &UserParams::default())
                        .lambda_architecture(),
                    *arch
                ),
                (Err(e), None) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("lambda_architecture must be one of x86_64, arm64"),
                        "{msg}"
                    );
                    assert!(msg.contains("stages.prod.lambda_architecture"), "{msg}");
                    assert!(msg.contains(&format!("{value:?}")), "{msg}");
                }
                (Ok(_), None) => panic!("{value:?} should be refused"),
                (Err(e), Some(_)) => panic!("{value:?} should be accepted: {e}"),
            }
        }
    }

    #[test]
    fn python_version_validation() {
        // (value, accepted as, message fragment when refused)
        let rows: &[(&str, Option<PythonVersion>, &str)] = &[
            ("3.12", Some(PythonVersion::new(3, 12)), ""),
            ("python3.13", Some(PythonVersion::new(3, 13)), ""),
            ("3.10", Some(PythonVersion::new(3, 10)), ""),
            ("3.14", Some(PythonVersion::new(3, 14)), ""),
            ("3.9", None, "Python 3.9 is not a supported Lambda runtime; grail packages for Python 3.10 to 3.14"),
            ("3.15", None, "Python 3.15 is not a supported Lambda runtime"),
            ("2.7", None, "Python 2.7 is not a supported Lambda runtime"),
            ("abc", None, "invalid Python version \"abc\""),
            ("3", None, "invalid Python version \"3\""),
        ];
        for (value, expected, fragment) in rows {
            let json =
                format!(r#"{{"stages": {{"dev": {{"lambda_python_version": "{value}"}}}}}}"#);
            let loaded =
                Config::parse(Path::new(PATH), &json).and_then(|c| c.check("dev").map(|_| c));
            match (loaded, expected) {
                (Ok(c), Some(v)) => assert_eq!(
                    c.scope("dev", "f", &UserParams::default())
                        .lambda_python_version(),
                    Some(*v)
                ),
                (Err(e), None) => {
                    let msg = e.to_string();
                    assert!(msg.contains(fragment), "{msg}");
                    assert!(msg.contains("`stages.dev.lambda_python_version`"), "{msg}");
                    assert!(msg.contains(PATH), "{msg}");
                }
                (Ok(_), None) => panic!("{value:?} should be refused"),
                (Err(e), Some(_)) => panic!("{value:?} should be accepted: {e}"),
            }
        }
    }

    #[test]
    fn load_reads_the_project_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(".chalice")).expect("mkdir");
        let path = dir.path().join(CONFIG_FILE);
        // A byte-order mark is tolerated.
        std::fs::write(
            &path,
            b"\xEF\xBB\xBF{\"app_name\": \"shop\", \"layer_manifests\": {\"arn:l\": \"m.json\"}}",
        )
        .expect("write");
        let config = Config::load(dir.path()).expect("loads");
        assert_eq!(config.path(), path);
        assert_eq!(config.app_name().as_deref(), Some("shop"));
        let manifests = config
            .scope("dev", API_HANDLER, &UserParams::default())
            .layer_manifests();
        assert_eq!(
            manifests,
            vec![("arn:l".to_string(), dir.path().join(".chalice/m.json"))]
        );

        std::fs::write(&path, "{\n\"app_name\": }").expect("write");
        let e = Config::load(dir.path()).expect_err("invalid JSON");
        assert!(e.to_string().contains("line 2 column 13"), "{e}");
    }

    #[test]
    fn load_missing_or_unreadable_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = Config::load(dir.path()).expect_err("missing");
        assert!(matches!(e.kind, ConfigErrorKind::Unreadable { .. }));
        assert_eq!(e.exit_kind(), ExitKind::Usage);
        let msg = e.to_string();
        assert!(
            msg.contains(
                "Unable to load the project config file. Are you sure this is a chalice project?"
            ),
            "{msg}"
        );
        assert!(
            msg.contains(&dir.path().join(CONFIG_FILE).display().to_string()),
            "{msg}"
        );
        let os = std::io::Error::from(std::io::ErrorKind::NotFound).to_string();
        assert!(msg.contains("No such file") || msg.contains(&os), "{msg}");

        // A directory where the file should be.
        std::fs::create_dir_all(dir.path().join(CONFIG_FILE)).expect("mkdir");
        let e = Config::load(dir.path()).expect_err("directory");
        assert!(
            matches!(e.kind, ConfigErrorKind::Unreadable { .. }),
            "{e:?}"
        );
    }

    #[test]
    fn string_map_behaves_like_a_python_dict() {
        let mut m: StringMap = [("a", "1"), ("b", "2")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(m.insert("a", "3"), Some("1".to_string()));
        assert_eq!(m.insert("c", "4"), None);
        assert_eq!(m.len(), 3);
        assert_eq!(
            m.clone().into_iter().collect::<Vec<_>>(),
            vec![
                ("a".to_string(), "3".to_string()),
                ("b".to_string(), "2".to_string()),
                ("c".to_string(), "4".to_string())
            ]
        );
        assert!(!m.is_empty());
    }
}

//! Running the bridge script under the target interpreter, in isolated mode
//! and with only the variables Lambda sets, from `var/task`.

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::interpreter::Found;
use super::VerifyError;
use crate::error::Result;
use crate::target::PythonVersion;

/// The bridge: ours, embedded, run with `-c`.
const BRIDGE: &str = include_str!("bridge.py");

/// Marks the bridge's JSON line (the app may print too).
const MARKER: &str = "@@grail-verify@@";

/// One failure as the bridge reports it.
#[derive(Clone, Debug, Deserialize)]
pub struct RawFailure {
    /// Module, or `METHOD /path` for a handler.
    pub module: String,
    /// The distribution whose dist-info listed the module.
    pub distribution: Option<String>,
    /// `import` or `handler`.
    #[serde(rename = "where")]
    pub stage: String,
    /// `Type: message`.
    pub exception: String,
    /// `ImportError.name`: the module that could not be found.
    pub missing: Option<String>,
    /// The compiled extension the loader refused, if that is what failed.
    pub binary: Option<RawBinary>,
    /// Why the failure is the package's own business (an optional extra, a
    /// module Python removed, an undeclared import, a test module), when
    /// the bridge could tell.
    #[serde(default)]
    pub own: Option<String>,
    /// The missing module's root is in the zip (the shipped version lacks
    /// the submodule): no layer or runtime copy is used for it.
    #[serde(default)]
    pub missing_shipped: bool,
}

/// A compiled extension the loader refused.
#[derive(Clone, Debug, Deserialize)]
pub struct RawBinary {
    /// Relative to the root. Ex) `var/task/fast.so`
    pub path: String,
    /// Its ELF machine. Ex) `aarch64`
    pub machine: Option<String>,
}

/// A route the bridge called.
#[derive(Clone, Debug, Deserialize)]
pub struct RawRoute {
    /// `METHOD /path`.
    pub route: String,
    /// The status code the app returned.
    pub status: Option<i64>,
}

/// The bridge's whole answer.
#[derive(Clone, Debug, Deserialize)]
pub struct RawOutcome {
    /// Modules imported.
    pub imported: Vec<String>,
    /// Failures.
    pub failures: Vec<RawFailure>,
    /// Routes called.
    pub routes: Vec<RawRoute>,
}

/// Run the bridge in `root` and parse what it printed.
pub fn run_bridge(
    py: &Found,
    root: &Path,
    version: PythonVersion,
    environment: &[(String, String)],
) -> Result<RawOutcome> {
    let task = root.join("var/task");
    let mut cmd = py.command();
    cmd.args(["-I", "-S", "-B", "-c", BRIDGE])
        .arg(root)
        .arg(version.to_string())
        .current_dir(&task)
        .env_clear()
        // The function's own variables first: Lambda's reserved ones win.
        .envs(environment.iter().cloned())
        .envs(lambda_env(&task, version));
    let (status, stdout, stderr) = run_with_deadline(cmd, root, &py.executable)?;
    let Some(json) = stdout.lines().rev().find_map(|l| l.strip_prefix(MARKER)) else {
        return Err(VerifyError::Failed(format!(
            "the interpreter {} exited ({status}) before reporting: {}",
            py.executable.display(),
            stderr.trim()
        ))
        .into());
    };
    serde_json::from_str(json)
        .map_err(|e| VerifyError::Io(format!("unreadable bridge output: {e}")).into())
}

/// Lambda's own limit for one invocation: an import that takes longer
/// would time out there too.
const DEADLINE: Duration = Duration::from_secs(900);

/// Run `cmd` with its output in files under `root` (no pipe to fill up),
/// killing it after [`DEADLINE`]. Returns the status text, stdout, stderr.
fn run_with_deadline(
    mut cmd: Command,
    root: &Path,
    exe: &Path,
) -> Result<(String, String, String)> {
    let io = |e: std::io::Error| VerifyError::Io(format!("cannot run {}: {e}", exe.display()));
    let (out_path, err_path) = (root.join("bridge.stdout"), root.join("bridge.stderr"));
    cmd.stdout(File::create(&out_path).map_err(io)?)
        .stderr(File::create(&err_path).map_err(io)?);
    let mut child = cmd.spawn().map_err(io)?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(io)? {
            break s.to_string();
        }
        if started.elapsed() > DEADLINE {
            // Best effort: the child may have just exited.
            let _ = child.kill();
            let _ = child.wait();
            break format!("killed after {} s", DEADLINE.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Ok((status, read(&out_path), read(&err_path)))
}

/// The variables Lambda sets for a Python function (nothing of the user's).
fn lambda_env(task: &Path, version: PythonVersion) -> Vec<(String, String)> {
    [
        ("LAMBDA_TASK_ROOT", task.display().to_string()),
        ("AWS_EXECUTION_ENV", format!("AWS_Lambda_python{version}")),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_LAMBDA_FUNCTION_NAME", "grail-verify".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("TZ", ":UTC".into()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

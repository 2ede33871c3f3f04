//! What `verify` takes from the project besides the zips: the target
//! architecture's root (`--sysroot`, else config `verify_sysroot`) and the
//! stage's `environment_variables`, which Lambda sets for the function.

use std::path::{Path, PathBuf};

use crate::project::config::{Config, UserParams};

/// The project's side of a verification.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The target architecture's root, when one is given.
    pub sysroot: Option<PathBuf>,
    /// The API handler's `environment_variables` for the stage.
    pub environment: Vec<(String, String)>,
}

impl Settings {
    /// Read them for `stage`: `flag` (`--sysroot`, relative to the current
    /// directory) beats `verify_sysroot` (relative to `project_dir`).
    pub fn read(
        config: &Config,
        stage: &str,
        profile: Option<String>,
        project_dir: &Path,
        flag: Option<&Path>,
    ) -> Settings {
        let scoped = config.scope(stage, "api_handler", &UserParams { profile });
        let sysroot = flag.map(Path::to_path_buf).or_else(|| {
            scoped
                .verify_sysroot()
                .map(|dir| project_dir.join(PathBuf::from(dir)))
        });
        let environment = scoped
            .environment_variables()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings {
            sysroot,
            environment,
        }
    }
}

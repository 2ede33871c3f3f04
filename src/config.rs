//! TEMPORARY shim until the config branch lands (replaced wholesale at merge).
#![allow(missing_docs)]
use std::path::{Path, PathBuf};

use crate::target::{Arch, PythonVersion};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);
impl ConfigError {
    pub fn exit_kind(&self) -> crate::error::ExitKind {
        crate::error::ExitKind::Usage
    }
}
#[derive(Debug, Default, Clone)]
pub struct UserParams {
    pub profile: Option<String>,
}
pub struct Config {
    raw: serde_json::Value,
}
pub struct ScopedConfig<'a> {
    c: &'a Config,
    stage: String,
}
impl Config {
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let p = dir.join(".chalice/config.json");
        let t = std::fs::read_to_string(&p).map_err(|e| ConfigError(format!("Unable to load the project config file. Are you sure this is a chalice project? ({}: {e})", p.display())))?;
        let raw =
            serde_json::from_str(&t).map_err(|e| ConfigError(format!("{}: {e}", p.display())))?;
        Ok(Config { raw })
    }
    pub fn scope<'a>(&'a self, stage: &str, _f: &str, _u: &UserParams) -> ScopedConfig<'a> {
        ScopedConfig {
            c: self,
            stage: stage.to_string(),
        }
    }
}
impl ScopedConfig<'_> {
    fn get(&self, k: &str) -> Option<&serde_json::Value> {
        self.c
            .raw
            .get("stages")
            .and_then(|s| s.get(&self.stage))
            .and_then(|s| s.get(k))
            .or_else(|| self.c.raw.get(k))
    }
    pub fn lambda_architecture(&self) -> Arch {
        self.get("lambda_architecture")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }
    pub fn lambda_python_version(&self) -> Option<PythonVersion> {
        self.get("lambda_python_version")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
    }
    pub fn layers(&self) -> Vec<String> {
        vec![]
    }
    pub fn layer_manifests(&self) -> Vec<(String, PathBuf)> {
        vec![]
    }
    pub fn runtime_provided(&self) -> bool {
        false
    }
    pub fn exclude_packages(&self) -> Vec<String> {
        vec![]
    }
}

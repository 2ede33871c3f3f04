//! `grail verify [OUT]` and the hook `grail package --verify` uses: import
//! the artifact under an interpreter of the target runtime (see
//! [`crate::verify`]) and explain what fails.

use std::path::{Path, PathBuf};

use crate::commands::package::{load_layers, BuildContext};
use crate::error::Result;
use crate::options::{BuildOptions, VerifyOptions};
use crate::project::config::UserParams;
use crate::ui::Ui;
use crate::verify::interpreter::Search;
use crate::verify::{verify_target, Extras};

/// `grail verify OUT`: the target from the same sources as `grail package`
/// (`--python-version` > config > interpreter; `--arch` > config), the zips
/// from OUT; exit 5 when something does not import.
pub fn run(project_dir: &Path, opts: &VerifyOptions, ui: &Ui) -> Result<()> {
    let mut ctx = BuildContext::load(project_dir, &opts.build, ui, &[])?;
    let (layers, _, _) = load_layers(&mut ctx, &opts.build, ui)?;
    let out = if opts.out.is_relative() {
        ctx.project.dir.join(&opts.out)
    } else {
        opts.out.clone()
    };
    let layer = out.join("layer-deployment.zip");
    let outcome = verify_target(
        ctx.target,
        Search {
            python: opts.build.python.clone(),
            only_python: true,
            sysroot: sysroot(&ctx, &opts.build, opts.sysroot.as_deref()),
        },
        &layers,
        (
            &out.join("deployment.zip"),
            layer.is_file().then_some(layer.as_path()),
        ),
        Extras {
            relies_on: Vec::new(),
            environment: environment(&ctx, &opts.build),
        },
    )?;
    if outcome.failures.is_empty() {
        ui.status(outcome.render().trim_end());
    }
    outcome.check()
}

/// The target architecture's root: `--sysroot` (relative to the current
/// directory), else config `verify_sysroot` (relative to the project).
pub(crate) fn sysroot(
    ctx: &BuildContext,
    b: &BuildOptions,
    flag: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(dir) = flag {
        return Some(dir.to_path_buf());
    }
    let user = UserParams {
        profile: b.profile.clone(),
    };
    let configured = ctx
        .config
        .scope(&ctx.stage, "api_handler", &user)
        .verify_sysroot()?;
    let dir = PathBuf::from(configured);
    Some(if dir.is_absolute() {
        dir
    } else {
        ctx.project.dir.join(dir)
    })
}

/// The stage's `environment_variables` (for the API handler), as Lambda
/// sets them for the function.
pub(crate) fn environment(ctx: &BuildContext, b: &BuildOptions) -> Vec<(String, String)> {
    let user = UserParams {
        profile: b.profile.clone(),
    };
    ctx.config
        .scope(&ctx.stage, "api_handler", &user)
        .environment_variables()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

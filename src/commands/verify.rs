//! `grail verify [OUT]` and the hook `grail package --verify` uses: import
//! the artifact under an interpreter of the target runtime (see
//! [`crate::verify`]) and explain what fails.

use std::path::Path;

use crate::commands::package::{load_layers, BuildContext};
use crate::error::Result;
use crate::options::VerifyOptions;
use crate::ui::Ui;
use crate::verify::interpreter::Search;
use crate::verify::settings::Settings;
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
    let settings = Settings::read(
        &ctx.config,
        &ctx.stage,
        opts.build.profile.clone(),
        &ctx.project.dir,
        opts.sysroot.as_deref(),
    );
    let outcome = verify_target(
        ctx.target,
        Search {
            python: opts.build.python.clone(),
            only_python: true,
            sysroot: settings.sysroot,
        },
        &layers,
        (
            &out.join("deployment.zip"),
            layer.is_file().then_some(layer.as_path()),
        ),
        Extras {
            relies_on: Vec::new(),
            environment: settings.environment,
        },
    )?;
    if outcome.failures.is_empty() {
        ui.status(outcome.render().trim_end());
    }
    outcome.check()
}

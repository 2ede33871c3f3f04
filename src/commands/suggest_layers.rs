//! `grail suggest-layers`: which known public layer (for the project's
//! region, runtime and architecture) would keep the most bytes out of the
//! zip without breaking resolution, and what the total would then be.
//!
//! It runs the same analysis as `grail package`, plans the zip (writes
//! nothing) and weighs every candidate layer ([`crate::suggest`]).

use std::path::Path;

use crate::budget::Budget;
use crate::commands::package::{analyze, budget_usages, layer_suggestions, plan_zips};
use crate::options::SuggestOptions;
use crate::ui::Ui;

/// Print the suggestions for any project, whatever its size.
pub fn run(project_dir: &Path, args: &SuggestOptions, ui: &Ui) -> crate::error::Result<()> {
    let quiet_ui = Ui { quiet: true, ..*ui };
    let a = analyze(project_dir, &args.build, &quiet_ui, &[])?;
    let zips = plan_zips(&a)?;
    let budget = Budget::compute(
        zips.app.unzipped_bytes(),
        0,
        &budget_usages(&zips, &a.layers),
    );
    let s = layer_suggestions(&a, &zips, &budget, &args.build, "on-demand");
    print!(
        "Budget today:\n{}\n{}",
        budget.render_summary(),
        crate::suggest::render(&s)
    );
    Ok(())
}

//! `--help` of every command, as snapshots: a changed flag or wording shows
//! up in review.

use crate::support::*;

/// Every command path of the CLI.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["package"],
    &["why"],
    &["suggest-layers"],
    &["verify"],
    &["layer"],
    &["layer", "scan"],
];

#[test]
fn help_of_every_command() {
    let _s = snapshot_settings().bind_to_scope();
    for command in COMMANDS {
        let mut cmd = assert_cmd::Command::cargo_bin("grail").unwrap();
        // clap shows the value of a flag's environment variable, if set.
        without(&mut cmd, GRAIL_ENV);
        let out = cmd
            .args(*command)
            .arg("--help")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", run_text(&out));
        let name = ["grail"]
            .iter()
            .chain(command.iter())
            .copied()
            .collect::<Vec<_>>()
            .join("_");
        insta::assert_snapshot!(name, stdout_of(&out));
    }
}

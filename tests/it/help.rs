//! `--help` of every command, as snapshots: a changed flag or wording shows
//! up in review.

use crate::support::*;

/// Every command path of the CLI.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["package"],
    &["lock"],
    &["why"],
    &["suggest-layers"],
    &["verify"],
    &["layer"],
    &["layer", "scan"],
    &["layer", "fetch"],
    &["layer", "show"],
    &["completions"],
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

#[test]
fn every_help_has_an_example() {
    for command in COMMANDS {
        let out = assert_cmd::Command::cargo_bin("grail")
            .unwrap()
            .args(*command)
            .arg("--help")
            .output()
            .unwrap();
        let text = stdout_of(&out);
        assert!(
            text.contains("Example") && text.contains("\n  grail "),
            "grail {command:?} --help has no example:\n{text}"
        );
    }
}

/// `grail completions SHELL` for each shell; bash's script is loaded into a
/// real bash and asked to complete `grail pa` and `grail package --pkg-f`.
#[test]
fn completions_for_bash_zsh_and_fish() {
    let script = |shell: &str| {
        let out = assert_cmd::Command::cargo_bin("grail")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", run_text(&out));
        stdout_of(&out)
    };
    let zsh = script("zsh");
    assert!(zsh.starts_with("#compdef grail"), "{zsh}");
    let fish = script("fish");
    assert!(fish.contains("complete -c grail"), "{fish}");
    assert!(fish.contains("pkg-format"), "{fish}");

    let bash = script("bash");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grail.bash");
    std::fs::write(&path, &bash).unwrap();
    let complete =
        |line: &str| {
            let words: Vec<&str> = line.split(' ').collect();
            let program =
                format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT={}; \
             _grail grail '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            line.len(),
            words[words.len() - 1],
            words[words.len() - 2],
        );
            let out = std::process::Command::new("bash")
                .args(["--norc", "-c", &program])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", run_text(&out));
            stdout_of(&out)
        };
    assert_eq!(complete("grail pa").trim(), "package");
    assert_eq!(complete("grail package --pkg-f").trim(), "--pkg-format");
    let formats = complete("grail package out --pkg-format ");
    assert!(
        formats.contains("terraform") && formats.contains("cloudformation"),
        "{formats}"
    );
}

//! Progress: bars on a terminal that are cleared and leave one summary line,
//! no bars with `--no-progress` or `-q`, and without a terminal no escape
//! code at all (plain milestone lines only with `-v`).
//!
//! The index answers slowly (a fixed delay per response) so that a run
//! lasts long enough for the bars to be drawn several times.

use std::time::Duration;

use serde_json::json;

use crate::support::pty::{run_in_pty, PtyRun};
use crate::support::*;

/// The closing line, for the 20 packages of alpaca-py's tree.
fn summary() -> regex::Regex {
    regex::Regex::new(r"^Packaged 20 packages \([0-9.]+ KiB zipped\) in [0-9.]+s$").unwrap()
}

/// The project: alpaca-py and its dependencies (20 wheels), on a loopback
/// index that takes `delay` per response.
fn project(delay: Option<Duration>) -> IndexedProject {
    let server = IndexServer::start(IndexServerOptions {
        delay,
        ..IndexServerOptions::default()
    });
    IndexedProject::new("alpaca-py\n", json!({}), Server::Owned(server))
}

/// `grail package out` under a pseudo-terminal.
fn package_in_pty(p: &IndexedProject, extra: &[&str]) -> PtyRun {
    let run = run_in_pty(&p.command("package", "out", extra));
    assert_eq!(run.code, 0, "{}", run.text());
    run
}

#[test]
fn bars_are_drawn_on_a_terminal_then_cleared_for_the_summary() {
    let p = project(Some(Duration::from_millis(60)));
    let run = package_in_pty(&p, &[]);
    let raw = run.text();
    // Frames: the bars' words, redrawn in place with cursor control. (The
    // zips of this small project are written too fast for their spinner to
    // be drawn for sure.)
    for piece in ["Resolving", "packages known", "Downloading", "/20 files"] {
        assert!(raw.contains(piece), "no {piece:?} frame in {raw:?}");
    }
    assert!(raw.contains("\x1b[2K"), "no line erase in {raw:?}");
    assert!(raw.contains('\r'), "no carriage return in {raw:?}");

    // What is left on screen: Chalice's lines and the summary, last.
    let screen = run.screen();
    let text = screen.join("\n");
    let last = screen.last().cloned().unwrap_or_default();
    assert!(summary().is_match(&last), "{text}");
    assert!(text.contains("Creating deployment package."), "{text}");
    assert!(text.contains("Wrote out/deployment.zip"), "{text}");
    for gone in ["Resolving", "Downloading", "Writing", "packages known"] {
        assert!(!text.contains(gone), "{gone:?} left on screen:\n{text}");
    }
    assert_eq!(
        screen.iter().filter(|l| l.starts_with("Packaged ")).count(),
        1,
        "{text}"
    );
}

#[test]
fn verbose_lines_on_a_terminal_go_above_the_bars() {
    let p = project(Some(Duration::from_millis(20)));
    let run = package_in_pty(&p, &["-v"]);
    let screen = run.screen();
    let text = screen.join("\n");
    // Every tracing line is whole: it starts at the left edge with its level.
    let events: Vec<&String> = screen.iter().filter(|l| l.contains("grail::")).collect();
    assert!(!events.is_empty(), "{text}");
    for line in events {
        assert!(
            ["DEBUG", "TRACE", " INFO", " WARN", "ERROR"]
                .iter()
                .any(|level| line.trim_start().starts_with(level.trim())),
            "a torn line: {line:?}\n{text}"
        );
        assert!(
            !line.contains("Resolving") && !line.contains("Downloading"),
            "{line:?}"
        );
    }
    assert!(
        screen.last().is_some_and(|l| summary().is_match(l)),
        "{text}"
    );
}

#[test]
fn no_progress_and_quiet_draw_no_bars_on_a_terminal() {
    let p = project(None);
    let run = package_in_pty(&p, &["--no-progress"]);
    let raw = run.text();
    assert!(!raw.contains('\x1b'), "{raw:?}");
    assert!(
        !raw.contains("Resolving") && !raw.contains("Packaged"),
        "{raw:?}"
    );
    assert!(raw.contains("Wrote out/deployment.zip"), "{raw:?}");

    let run = package_in_pty(&p, &["-q"]);
    assert_eq!(run.text(), "", "quiet prints nothing on success");
}

#[test]
fn without_a_terminal_there_are_no_escape_codes() {
    let p = project(None);
    let out = p.grail("package", "out", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", run_text(&out));
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
    // Nothing on stderr that was not there before bars existed: the fake
    // chalice's warning that no template could be written.
    let err = stderr_of(&out);
    assert!(err.lines().all(|l| l.starts_with("warning: ")), "{err}");

    // -v: plain milestone lines, still no escape codes.
    let out = p.grail("package", "out2", &["-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", run_text(&out));
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
    let err = stderr_of(&out);
    for line in ["Resolved 20 packages in ", "Downloading 20 files ("] {
        assert!(
            err.lines().any(|l| l.starts_with(line)),
            "{line:?} in:\n{err}"
        );
    }
    assert!(err.lines().any(|l| summary().is_match(l)), "{err}");

    // -q: nothing at all on success.
    let out = p.grail("package", "out3", &["-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", run_text(&out));
    assert_eq!(stderr_of(&out), "");
    assert_eq!(stdout_of(&out), "");
}

#[test]
fn an_sdist_build_is_reported() {
    let p = IndexedProject::new(
        "sdistonly\n",
        json!({}),
        Server::Owned(IndexServer::start(IndexServerOptions::default())),
    );
    let out = p.grail("package", "out", &["-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", run_text(&out));
    let err = stderr_of(&out);
    assert!(
        err.lines().any(|l| l == "Building sdistonly-0.1.tar.gz"),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("Built sdistonly-0.1.tar.gz in ")),
        "{err}"
    );

    // On a terminal: its spinner, then gone.
    let run = run_in_pty(&p.command("package", "out2", &["--refresh"]));
    assert_eq!(run.code, 0, "{}", run.text());
    let text = run.screen().join("\n");
    assert!(!text.contains("Building"), "{text}");
}

#[test]
fn a_failed_run_leaves_its_error_and_no_bar() {
    let p = project(Some(Duration::from_millis(30)));
    p.p.write("requirements.txt", "alpaca-py\nno-such-project\n");
    let run = run_in_pty(&p.command("package", "out", &[]));
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(
        run.text().contains("Resolving"),
        "no spinner drawn: {:?}",
        run.text()
    );
    let screen = run.screen();
    let text = screen.join("\n");
    assert!(text.contains("error: "), "{text}");
    for gone in ["Resolving", "Downloading", "Packaged"] {
        assert!(!text.contains(gone), "{gone:?} on screen:\n{text}");
    }
}

//! Snapshot settings: what varies from run to run (temporary directories,
//! loopback ports, grail's version, timings) is replaced by a placeholder,
//! so a snapshot holds only what grail decided.
//!
//! Review changed snapshots with `cargo insta review`, or accept them all
//! with `INSTA_UPDATE=always cargo test` (see the README's testing section).

use std::process::Output;

/// insta settings with grail's filters; bind them for the rest of a test:
/// `let _s = snapshot_settings().bind_to_scope();`.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let tmp = std::env::temp_dir();
    let tmp = regex::escape(
        tmp.to_str()
            .expect("a UTF-8 temp dir")
            .trim_end_matches('/'),
    );
    // tempfile's directories: `/tmp/.tmpAbC123`.
    s.add_filter(&format!(r"{tmp}/\.tmp[A-Za-z0-9]+"), "[TMP]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(
        &format!(r"\b{}\b", regex::escape(env!("CARGO_PKG_VERSION"))),
        "[GRAIL_VERSION]",
    );
    s.add_filter(r"\b\d+(\.\d+)?\s?(ms|s)\b", "[TIME]");
    s.set_omit_expression(true);
    s
}

/// A run of the `grail` binary as one text: the exit code, then stdout and
/// stderr (each left out when empty).
pub fn run_text(out: &Output) -> String {
    let mut text = format!(
        "exit: {}\n",
        out.status
            .code()
            .map_or("signal".to_string(), |c| c.to_string())
    );
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if !bytes.is_empty() {
            text.push_str(&format!("--- {name}\n{}", String::from_utf8_lossy(bytes)));
        }
    }
    text
}

/// A report with its timings replaced by `"[ms]"`, ready for a snapshot
/// (paths and grail's version are left to the filters).
pub fn report_for_snapshot(mut report: serde_json::Value) -> serde_json::Value {
    if let Some(timings) = report["timings_ms"].as_object_mut() {
        for v in timings.values_mut() {
            *v = serde_json::json!("[ms]");
        }
    }
    report
}

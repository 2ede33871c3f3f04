//! The HTML report (`grail package --report-html PATH`): the JSON report
//! ([`crate::report::Report`]) drawn as one self-contained page, so the
//! question "what is eating my 250 MiB?" has a picture for an answer.
//!
//! The page is built from the very [`Report`] value that `--report`
//! serialises (one source of truth) and holds, top to bottom:
//!
//! - the outcome (with the error, when the run failed) and the target;
//! - the budget as one stacked bar ([`budget_bar`]): the function zip, each
//!   attached layer, the managed layer, then the headroom, or the overflow
//!   past the limit line in a warning colour; with the same figures as the
//!   text budget, in bytes and MiB;
//! - a treemap of each zip's contents by unzipped size, package → top-level
//!   name ([`contents`], laid out by [`treemap`]);
//! - the packages kept out, who provides them and the bytes saved;
//! - the written artifacts and the warnings.
//!
//! It needs nothing but a browser: no script, no font, no request — the CSS
//! and the SVG are inline, so it works from `file://` and from a CI
//! artifact viewer. Every string comes from users or package indexes
//! (names, paths, ARNs, error messages), so the page is written with
//! [`maud`], which escapes every interpolated value; nothing is marked
//! pre-escaped but the page's own stylesheet.
//!
//! ```
//! use grail::report::Report;
//! let mut r = Report::new("dev", "python3.12", "x86_64");
//! r.warnings.push("<script>alert(1)</script>".into());
//! let page = grail::report_html::render(&r);
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
//! assert!(!page.contains("<script>"));
//! ```

pub mod budget_bar;
pub mod contents;
pub mod treemap;

use std::path::Path;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::budget::{group_digits, mb};
use crate::report::{ExcludedEntry, Outcome, Report};

/// The page's stylesheet (inlined: the page loads nothing).
const STYLE: &str = include_str!("style.css");

/// The page for `report`.
pub fn render(report: &Report) -> String {
    let title = format!("grail report: {}", outcome_label(report.outcome));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    (header(report))
                    (budget_section(report))
                    @for zip in &report.contents {
                        (contents::section(zip))
                    }
                    (kept_out(&report.excluded))
                    (artifacts(report))
                    (warnings(&report.warnings))
                }
            }
        }
    }
    .into_string()
}

/// Write the page for `report` to `path` atomically (a temporary file
/// beside it, then a rename), creating the directory.
pub fn write(report: &Report, path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = crate::assemble::artifact_tempfile(dir, ".grail-report-", ".html")?;
    std::io::Write::write_all(&mut tmp, render(report).as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `262,144,000 bytes (250.00 MiB)`: the text budget's spelling.
pub fn bytes_and_mib(b: u64) -> String {
    format!("{} bytes ({})", group_digits(b), mb(b))
}

/// A layer ARN's short form, `NAME:VERSION`; anything else as it is.
///
/// ```
/// use grail::report_html::short_arn;
/// let arn = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";
/// assert_eq!(short_arn(arn), "AWSSDKPandas-Python312:29");
/// assert_eq!(short_arn("runtime"), "runtime");
/// ```
pub fn short_arn(arn: &str) -> &str {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "layer", rest] => rest,
        _ => arn,
    }
}

/// Ex) `Over budget (exit 3)`
fn outcome_label(o: Outcome) -> String {
    let name = match o {
        Outcome::Success => "Success",
        Outcome::BadInput => "Bad input",
        Outcome::Unsatisfiable => "Unsatisfiable dependencies",
        Outcome::OverBudget => "Over budget",
        Outcome::IntrospectionFailed => "Introspection failed",
        Outcome::VerifyFailed => "Verify failed",
    };
    format!("{name} (exit {})", o.exit_code())
}

fn header(r: &Report) -> Markup {
    let class = if r.outcome == Outcome::Success {
        "outcome ok"
    } else {
        "outcome failed"
    };
    let target = |s: &str| {
        if s.is_empty() {
            "unknown".to_string()
        } else {
            s.to_string()
        }
    };
    html! {
        header {
            h1 { "grail package report" }
            p class=(class) id="outcome" { (outcome_label(r.outcome)) }
            dl.target {
                dt { "stage" } dd { (r.stage) }
                dt { "runtime" } dd { (target(&r.runtime)) }
                dt { "architecture" } dd { (target(&r.architecture)) }
                dt { "grail" } dd { (r.grail_version) }
            }
            @if let Some(e) = &r.error {
                // The first line up front; the whole message (which may
                // repeat the budget and the ranked list) one click away.
                p.error { (e.lines.first().map_or(e.message.as_str(), String::as_str)) }
                @if e.lines.len() > 1 {
                    details.error {
                        summary { "The whole message" }
                        pre { (e.message) }
                    }
                }
            }
        }
    }
}

fn budget_section(r: &Report) -> Markup {
    html! {
        section #budget {
            h2 { "Size budget" }
            @match &r.budget {
                Some(b) => (budget_bar::render(b)),
                None => p.note { "Not known: the run stopped before the zips were planned." },
            }
        }
    }
}

fn kept_out(excluded: &[ExcludedEntry]) -> Markup {
    let mut rows: Vec<&ExcludedEntry> = excluded.iter().collect();
    rows.sort_by(|a, b| {
        b.saved_bytes
            .cmp(&a.saved_bytes)
            .then_with(|| a.name.cmp(&b.name))
    });
    let saved = rows
        .iter()
        .fold(0u64, |t, e| t.saturating_add(e.saved_bytes));
    html! {
        section #kept-out {
            h2 { "Kept out of the zip" }
            @if rows.is_empty() {
                p.note { "Nothing: every requirement ships." }
            } @else {
                table {
                    thead { tr { th { "package" } th { "version" } th { "why" } th { "provided by" } th.num { "saved (unzipped)" } } }
                    tbody {
                        @for e in &rows {
                            tr {
                                td { (e.name) }
                                td { (e.version.as_deref().unwrap_or("")) }
                                td { (e.reason.as_str()) }
                                td title=[e.provided_by.as_deref()] {
                                    (e.provided_by.as_deref().map(short_arn).unwrap_or(""))
                                }
                                td.num { (bytes_and_mib(e.saved_bytes)) }
                            }
                        }
                    }
                    tfoot { tr { td colspan="4" { (rows.len()) " packages" } td.num { (bytes_and_mib(saved)) } } }
                }
            }
        }
    }
}

fn artifacts(r: &Report) -> Markup {
    html! {
        @if !r.artifacts.is_empty() {
            section #artifacts {
                h2 { "Written" }
                table {
                    thead { tr { th { "file" } th.num { "zipped" } th.num { "unzipped" } th.num { "entries" } th { "sha256" } } }
                    tbody {
                        @for a in &r.artifacts {
                            tr {
                                td { (a.path) }
                                td.num { (bytes_and_mib(a.zipped_bytes)) }
                                td.num { (bytes_and_mib(a.unzipped_bytes)) }
                                td.num { (a.entries) }
                                td.hash { (a.sha256) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn warnings(list: &[String]) -> Markup {
    html! {
        section #warnings {
            h2 { "Warnings" }
            @if list.is_empty() {
                p.note { "None." }
            } @else {
                ul { @for w in list { li { (w) } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ExitKind;

    #[test]
    fn a_run_that_stopped_early_says_what_is_not_known() {
        let mut r = Report::new("prod", "", "");
        r.fail(ExitKind::Usage, "config.json: bad\n  line 3");
        let page = render(&r);
        assert!(page.contains("Bad input (exit 1)"), "{page}");
        assert!(
            page.contains(r#"<p class="error">config.json: bad</p>"#),
            "{page}"
        );
        assert!(
            page.contains("<pre>config.json: bad\n  line 3</pre>"),
            "{page}"
        );
        assert!(page.contains("Not known: the run stopped"), "{page}");
        assert!(page.contains("<dd>unknown</dd>"), "{page}");
        assert!(!page.contains("What is in"), "{page}");
    }

    #[test]
    fn kept_out_packages_are_ranked_by_bytes_saved() {
        let mut r = Report::new("dev", "python3.12", "x86_64");
        for (name, saved) in [("aaa", 1), ("zzz", 2_000_000)] {
            r.excluded.push(ExcludedEntry {
                name: name.into(),
                version: None,
                reason: crate::resolver::ExcludeReason::Runtime,
                provided_by: Some("runtime".into()),
                saved_bytes: saved,
            });
        }
        let page = render(&r);
        let (zzz, aaa) = (page.find("<td>zzz</td>"), page.find("<td>aaa</td>"));
        assert!(zzz.is_some() && zzz < aaa, "{page}");
        assert!(page.contains("2,000,001 bytes (1.91 MiB)"), "{page}");
    }
}

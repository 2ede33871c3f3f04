//! A zip's contents as a nested treemap (inline SVG): one rectangle per
//! package bucket, area by unzipped size, split into its top-level names.
//!
//! Packages are laid out over the whole drawing, then each package's
//! top-level names inside its rectangle, below a header band that carries
//! the package's name when there is room. A name is written only where it
//! fits (a long one is shortened with "…"); every rectangle has a
//! `<title>` (the browser's tooltip) with the full name and bytes, so
//! nothing is lost to small rectangles.
//!
//! ```
//! use grail::report::{ContentGroup, ContentItem, ZipContents};
//! let zip = ZipContents {
//!     zip: "deployment.zip".into(),
//!     packages: vec![ContentGroup {
//!         name: "numpy".into(),
//!         unzipped_bytes: 3_000,
//!         modules: vec![ContentItem { name: "numpy.libs".into(), unzipped_bytes: 3_000 }],
//!     }],
//! };
//! let svg = grail::report_html::contents::section(&zip).into_string();
//! assert!(svg.contains("<title>numpy › numpy.libs: 3,000 bytes (0.00 MiB)</title>"));
//! ```

use maud::{html, Markup};

use super::bytes_and_mib;
use super::treemap::{squarify, Rect};
use crate::budget::mb;
use crate::report::{ContentGroup, ZipContents};

const WIDTH: f64 = 1000.0;
/// The tallest drawing; one with few packages is shorter (a zip of two
/// small files needs no full-page picture).
const MAX_HEIGHT: f64 = 560.0;
/// The package name band at the top of a package's rectangle.
const HEADER: f64 = 18.0;
/// Width of one character of the 12px labels, to decide what fits.
const CHAR_W: f64 = 6.8;

/// Package colours, assigned largest package first.
const COLOURS: [&str; 10] = [
    "#1d4ed8", "#047857", "#b45309", "#6d28d9", "#be185d", "#0e7490", "#4d7c0f", "#b91c1c",
    "#4338ca", "#a16207",
];

/// The section for one zip: heading, treemap, total.
pub fn section(zip: &ZipContents) -> Markup {
    let total = zip
        .packages
        .iter()
        .fold(0u64, |t, p| t.saturating_add(p.unzipped_bytes));
    let height = (120.0 + 45.0 * zip.packages.len() as f64).clamp(160.0, MAX_HEIGHT);
    let area = Rect {
        x: 0.0,
        y: 0.0,
        w: WIDTH,
        h: height,
    };
    let values: Vec<f64> = zip
        .packages
        .iter()
        .map(|p| p.unzipped_bytes as f64)
        .collect();
    let rects = squarify(&values, area);
    html! {
        section.contents {
            h2 { "What is in " (zip.zip) }
            p.note {
                (bytes_and_mib(total)) " unzipped in " (zip.packages.len())
                " packages; area is unzipped size (hover for names and bytes)."
            }
            svg.treemap viewBox={ "0 0 " (n(WIDTH)) " " (n(height)) } role="img" aria-label={ "contents of " (zip.zip) } {
                @for (i, (p, r)) in zip.packages.iter().zip(&rects).enumerate() {
                    @if r.w > 0.0 && r.h > 0.0 {
                        (package(p, *r, COLOURS[i % COLOURS.len()]))
                    }
                }
            }
        }
    }
}

/// SVG numbers: one decimal is plenty and keeps the page stable.
fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// `text` shortened to fit `width` (with "…"), or `None` when not even a
/// few characters fit.
fn fit(text: &str, width: f64) -> Option<String> {
    let room = ((width - 8.0) / CHAR_W).floor();
    if room < 1.0 {
        return None;
    }
    let room = room as usize;
    let len = text.chars().count();
    if len <= room {
        return Some(text.to_string());
    }
    (room >= 4).then(|| text.chars().take(room - 1).chain(['…']).collect())
}

fn package(p: &ContentGroup, r: Rect, colour: &str) -> Markup {
    let header = r.h >= HEADER * 2.0 && r.w >= 40.0;
    let inner = if header {
        Rect {
            y: r.y + HEADER,
            h: r.h - HEADER,
            ..r
        }
        .inset(2.0)
    } else {
        r.inset(1.0)
    };
    let values: Vec<f64> = p.modules.iter().map(|m| m.unzipped_bytes as f64).collect();
    let rects = squarify(&values, inner);
    let label =
        fit(&format!("{} {}", p.name, mb(p.unzipped_bytes)), r.w).or_else(|| fit(&p.name, r.w));
    html! {
        g.package {
            title { (p.name) ": " (bytes_and_mib(p.unzipped_bytes)) }
            rect x=(n(r.x)) y=(n(r.y)) width=(n(r.w)) height=(n(r.h)) fill=(colour) {}
            @if header {
                @if let Some(label) = label {
                    text.pkg x=(n(r.x + 4.0)) y=(n(r.y + 13.0)) { (label) }
                }
            }
            @for (m, mr) in p.modules.iter().zip(&rects) {
                @if mr.w > 0.0 && mr.h > 0.0 {
                    g.module {
                        title { (p.name) " › " (m.name) ": " (bytes_and_mib(m.unzipped_bytes)) }
                        rect x=(n(mr.x)) y=(n(mr.y)) width=(n(mr.w)) height=(n(mr.h)) {}
                        (module_label(&m.name, m.unzipped_bytes, *mr))
                    }
                }
            }
        }
    }
}

/// The name (and, with room for a second line, the size) of a module.
fn module_label(name: &str, bytes: u64, r: Rect) -> Markup {
    let name = (r.h >= 16.0).then(|| fit(name, r.w)).flatten();
    // A size is shown whole or not at all: "1.3…" would mislead.
    let size = mb(bytes);
    let size = (r.h >= 32.0 && fit(&size, r.w).as_deref() == Some(size.as_str())).then_some(size);
    html! {
        @if let Some(name) = name {
            text x=(n(r.x + 4.0)) y=(n(r.y + 13.0)) { (name) }
            @if let Some(size) = size {
                text.size x=(n(r.x + 4.0)) y=(n(r.y + 27.0)) { (size) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_shortened_to_fit() {
        assert_eq!(fit("numpy", 100.0).as_deref(), Some("numpy"));
        let short = fit("a-very-long-package-name", 60.0).unwrap();
        assert!(
            short.ends_with('…') && short.chars().count() == 7,
            "{short}"
        );
        assert_eq!(fit("abcdef", 30.0), None);
        assert_eq!(fit("x", 2.0), None);
    }
}

//! The budget as one stacked horizontal bar (inline SVG) and its legend.
//!
//! The bar's scale is the limit (262,144,000 bytes, 250 MiB) or the total,
//! whichever is larger: parts are laid left to right in the budget's order
//! (the function zip, then each layer as attached, the managed layer
//! first), followed by the headroom up to the limit line. Over the limit,
//! the part past the line is hatched in a warning colour and labelled with
//! the overflow. Layers of unknown size take no width (they are not counted
//! in the total either); the legend says "unknown". Every figure is the
//! text budget's ([`crate::budget::Budget::render_summary`]): bytes with
//! thousands separators and MiB.
//!
//! ```
//! use grail::budget::Budget;
//! let svg = grail::report_html::budget_bar::render(&Budget::compute(300_000_000, 0, &[])).into_string();
//! assert!(svg.contains("over by 37,856,000 bytes (36.10 MiB)"));
//! ```

use maud::{html, Markup};

use super::{bytes_and_mib, short_arn};
use crate::budget::{mb, Budget};

/// SVG width and the bar's geometry, in user units.
const WIDTH: f64 = 1000.0;
const LEFT: f64 = 10.0;
const BAR_W: f64 = 980.0;
const BAR_Y: f64 = 34.0;
const BAR_H: f64 = 54.0;
/// The width of one character of the 13px labels, to decide what fits.
const CHAR_W: f64 = 7.2;

/// Part colours: the function, then the layers in turn.
const FUNCTION_COLOUR: &str = "#2563eb";
const LAYER_COLOURS: [&str; 5] = ["#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2"];

/// One coloured part of the bar.
struct Part {
    label: String,
    full_name: String,
    bytes: Option<u64>,
    approximate: bool,
    colour: &'static str,
}

fn parts(b: &Budget) -> Vec<Part> {
    let mut parts = vec![Part {
        label: "function".into(),
        full_name: "function (deployment.zip, unzipped)".into(),
        bytes: Some(b.function_unzipped_bytes),
        approximate: false,
        colour: FUNCTION_COLOUR,
    }];
    for (i, l) in b.layers.iter().enumerate() {
        parts.push(Part {
            label: short_arn(&l.arn).to_string(),
            full_name: format!("layer {}", l.arn),
            bytes: l.unzipped_bytes,
            approximate: l.approximate,
            colour: LAYER_COLOURS[i % LAYER_COLOURS.len()],
        });
    }
    parts
}

/// The bar and its legend for `b`.
pub fn render(b: &Budget) -> Markup {
    let parts = parts(b);
    html! {
        (bar(b, &parts))
        (legend(b, &parts))
    }
}

/// The x coordinate of `bytes` on a bar scaled to `scale` bytes.
fn x_of(bytes: u64, scale: u64) -> f64 {
    LEFT + BAR_W * (bytes as f64 / scale.max(1) as f64)
}

/// SVG numbers: one decimal is plenty and keeps the page stable.
fn n(v: f64) -> String {
    format!("{v:.1}")
}

fn bar(b: &Budget, parts: &[Part]) -> Markup {
    let scale = b.limit_bytes.max(b.total_bytes);
    // (part, bytes, where it starts): known sizes only, in order.
    let mut start = 0u64;
    let segments: Vec<(&Part, u64, u64)> = parts
        .iter()
        .filter_map(|p| {
            let bytes = p.bytes?;
            let at = start;
            start = start.saturating_add(bytes);
            Some((p, bytes, at))
        })
        .collect();
    let limit_x = x_of(b.limit_bytes, scale);
    let end_x = x_of(b.total_bytes, scale);
    html! {
        svg.bar viewBox={ "0 0 " (n(WIDTH)) " 134" } role="img" aria-label="size budget" {
            defs {
                pattern #over-hatch width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                    rect width="10" height="10" fill="#fecaca" fill-opacity="0.55" {}
                    rect width="5" height="10" fill="#dc2626" {}
                }
            }
            rect.track x=(n(LEFT)) y=(n(BAR_Y)) width=(n(BAR_W)) height=(n(BAR_H)) {}
            @for (p, bytes, at) in &segments {
                (segment(p, *bytes, *at, scale))
            }
            @if b.headroom_bytes >= 0 {
                (headroom(b, scale))
            } @else {
                g.overflow {
                    title { "over by " (bytes_and_mib(b.headroom_bytes.unsigned_abs())) }
                    rect x=(n(limit_x)) y=(n(BAR_Y - 4.0)) width=(n(end_x - limit_x)) height=(n(BAR_H + 8.0))
                        fill="url(#over-hatch)" stroke="#b91c1c" stroke-width="2" {}
                }
                text.over x=(n(end_x)) y="127" text-anchor="end" {
                    "over by " (bytes_and_mib(b.headroom_bytes.unsigned_abs()))
                }
            }
            line.limit x1=(n(limit_x)) x2=(n(limit_x)) y1="16" y2=(n(BAR_Y + BAR_H + 10.0)) {}
            text.limit x=(n(limit_x)) y="12" text-anchor=(if b.headroom_bytes >= 0 { "end" } else { "middle" }) {
                "limit " (mb(b.limit_bytes))
            }
            (ticks(scale))
        }
    }
}

fn segment(p: &Part, bytes: u64, start: u64, scale: u64) -> Markup {
    let (x0, x1) = (x_of(start, scale), x_of(start.saturating_add(bytes), scale));
    // A part of a few KiB stays visible (a sliver over its neighbour).
    let x1 = if bytes > 0 { x1.max(x0 + 2.0) } else { x1 };
    let text = format!("{} {}", p.label, mb(bytes));
    let fits = x1 - x0 >= text.chars().count() as f64 * CHAR_W + 10.0;
    html! {
        g.part {
            title { (p.full_name) ": " (bytes_and_mib(bytes)) @if p.approximate { " (approximate)" } }
            rect x=(n(x0)) y=(n(BAR_Y)) width=(n(x1 - x0)) height=(n(BAR_H)) fill=(p.colour) {}
            @if fits {
                text.inbar x=(n(x0 + 6.0)) y=(n(BAR_Y + BAR_H / 2.0 + 5.0)) { (text) }
            }
        }
    }
}

fn headroom(b: &Budget, scale: u64) -> Markup {
    let x0 = x_of(b.total_bytes, scale);
    let x1 = x_of(b.limit_bytes, scale);
    let room = b.headroom_bytes.unsigned_abs();
    let text = format!("headroom {}", mb(room));
    let fits = x1 - x0 >= text.chars().count() as f64 * CHAR_W + 10.0;
    html! {
        g.headroom {
            title { "headroom: " (bytes_and_mib(room)) }
            rect x=(n(x0)) y=(n(BAR_Y)) width=(n(x1 - x0)) height=(n(BAR_H)) {}
            @if fits {
                text x=(n(x1 - 6.0)) y=(n(BAR_Y + BAR_H / 2.0 + 5.0)) text-anchor="end" { (text) }
            }
        }
    }
}

/// A tick every 50 MiB (the limit is the fifth); below the bar.
fn ticks(scale: u64) -> Markup {
    const STEP: u64 = 50 * 1_048_576;
    let count = scale / STEP;
    html! {
        @for i in 0..=count {
            @let x = x_of(i * STEP, scale);
            @let anchor = if i == 0 { "start" } else if x > WIDTH - 40.0 { "end" } else { "middle" };
            line.tick x1=(n(x)) x2=(n(x)) y1=(n(BAR_Y + BAR_H)) y2=(n(BAR_Y + BAR_H + 6.0)) {}
            text.tick x=(n(x)) y=(n(BAR_Y + BAR_H + 20.0)) text-anchor=(anchor) {
                (i * 50) " MiB"
            }
        }
    }
}

fn legend(b: &Budget, parts: &[Part]) -> Markup {
    let size = |p: &Part| match p.bytes {
        Some(v) if p.approximate => format!("{} (approximate)", bytes_and_mib(v)),
        Some(v) => bytes_and_mib(v),
        None => "unknown (not counted)".to_string(),
    };
    html! {
        table.legend {
            tbody {
                @for p in parts {
                    tr {
                        td { span.swatch style={ "background:" (p.colour) } {} }
                        td title=(p.full_name) { (p.full_name) }
                        td.num { (size(p)) }
                    }
                }
            }
            tfoot {
                tr { td {} td { "total" } td.num #total { (bytes_and_mib(b.total_bytes)) } }
                tr { td {} td { "limit" } td.num { (bytes_and_mib(b.limit_bytes)) } }
                @if b.headroom_bytes >= 0 {
                    tr.room { td { span.swatch.free {} } td { "headroom" } td.num #headroom { (bytes_and_mib(b.headroom_bytes.unsigned_abs())) } }
                } @else {
                    tr.over { td { span.swatch.hatch {} } td { "over by" } td.num #over-by { (bytes_and_mib(b.headroom_bytes.unsigned_abs())) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::LayerUsage;

    fn layer(arn: &str, bytes: Option<u64>, approximate: bool) -> LayerUsage {
        LayerUsage {
            arn: arn.into(),
            unzipped_bytes: bytes,
            approximate,
        }
    }

    #[test]
    fn within_the_limit_the_headroom_fills_up_to_the_line() {
        let b = Budget::compute(
            131_072_000,
            0,
            &[
                layer(
                    "arn:aws:lambda:us-east-1:1:layer:big:2",
                    Some(65_536_000),
                    true,
                ),
                layer("arn:aws:lambda:us-east-1:1:layer:mystery:1", None, false),
            ],
        );
        let svg = render(&b).into_string();
        // Half the limit, then a quarter: the layer starts at the middle.
        assert!(
            svg.contains(r#"<rect x="500.0" y="34.0" width="245.0""#),
            "{svg}"
        );
        assert!(svg.contains("big:2 62.50 MiB"), "{svg}");
        assert!(
            svg.contains("65,536,000 bytes (62.50 MiB) (approximate)"),
            "{svg}"
        );
        assert!(svg.contains("headroom 62.50 MiB"), "{svg}");
        assert!(svg.contains("unknown (not counted)"), "{svg}");
        assert!(!svg.contains("over by"), "{svg}");
    }

    #[test]
    fn over_the_limit_the_overflow_is_hatched_past_the_line() {
        // 327,680,000 bytes: the scale is the total, the limit at 80%.
        let b = Budget::compute(327_680_000, 0, &[]);
        let svg = render(&b).into_string();
        let limit_x = LEFT + BAR_W * 0.8;
        assert!(
            svg.contains(&format!(
                r#"<rect x="{limit_x:.1}" y="30.0" width="{:.1}" height="62.0" fill="url(#over-hatch)""#,
                BAR_W * 0.2
            )),
            "{svg}"
        );
        assert!(
            svg.contains("over by 65,536,000 bytes (62.50 MiB)"),
            "{svg}"
        );
        assert!(!svg.contains("headroom"), "{svg}");
    }
}

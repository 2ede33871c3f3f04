//! The squarified treemap layout: rectangles whose areas are proportional
//! to their values and whose sides stay close to square, so small packages
//! remain visible and labels fit.
//!
//! The algorithm (Bruls, Huizing and van Wijk's "squarified treemaps"):
//! values, largest first, are laid in rows along the shorter side of the
//! space left; a value joins the current row while that makes the row's
//! worst aspect ratio no worse, otherwise the row is closed and the space
//! shrinks by it.
//!
//! Written here rather than taken from a crate: it is some forty lines of
//! plain geometry with no edge cases beyond empty input, and the page needs
//! only this one function (nesting, colours and labels are the caller's), so
//! a dependency would cost more to vet and pin than the code it saves.
//!
//! ```
//! use grail::report_html::treemap::{squarify, Rect};
//! let area = Rect { x: 0.0, y: 0.0, w: 6.0, h: 4.0 };
//! let rects = squarify(&[6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0], area);
//! assert_eq!(rects.len(), 7);
//! // Areas follow the values (the total 24 fills the 6 × 4 area).
//! assert!((rects[0].w * rects[0].h - 6.0).abs() < 1e-9);
//! assert!((rects[6].w * rects[6].h - 1.0).abs() < 1e-9);
//! ```

/// An axis-aligned rectangle (SVG user units, y down).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// The rectangle shrunk by `by` on every side (never negative).
    pub fn inset(self, by: f64) -> Rect {
        Rect {
            x: self.x + by,
            y: self.y + by,
            w: (self.w - 2.0 * by).max(0.0),
            h: (self.h - 2.0 * by).max(0.0),
        }
    }
}

/// One rectangle per value, in the order given, filling `area`. Values
/// should be sorted largest first (the layout is squarest then); zero,
/// negative and non-finite values get an empty rectangle.
pub fn squarify(values: &[f64], area: Rect) -> Vec<Rect> {
    let mut out = vec![Rect::default(); values.len()];
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let total: f64 = values.iter().map(|v| clean(*v)).sum();
    if total <= 0.0 || area.w <= 0.0 || area.h <= 0.0 {
        return out;
    }
    let scale = area.w * area.h / total;
    // (index, area) of the values that take space.
    let items: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i, clean(*v) * scale))
        .filter(|(_, a)| *a > 0.0)
        .collect();
    let mut rest = area;
    let mut start = 0;
    while start < items.len() {
        let side = rest.w.min(rest.h);
        let mut end = start + 1;
        while end < items.len()
            && worst(&items[start..=end], side) <= worst(&items[start..end], side)
        {
            end += 1;
        }
        rest = lay_row(&items[start..end], rest, &mut out);
        start = end;
    }
    out
}

/// The worst aspect ratio of a row of areas laid along a side of length `side`.
fn worst(row: &[(usize, f64)], side: f64) -> f64 {
    let sum: f64 = row.iter().map(|r| r.1).sum();
    let (min, max) = row.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), r| {
        (lo.min(r.1), hi.max(r.1))
    });
    let (s2, w2) = (sum * sum, side * side);
    (w2 * max / s2).max(s2 / (w2 * min))
}

/// Lay `row` along the shorter side of `rest`; returns the space left.
fn lay_row(row: &[(usize, f64)], rest: Rect, out: &mut [Rect]) -> Rect {
    let sum: f64 = row.iter().map(|r| r.1).sum();
    if rest.w >= rest.h {
        // A column on the left, as wide as the row's area needs.
        let width = (sum / rest.h).min(rest.w);
        let mut y = rest.y;
        for &(i, a) in row {
            let h = a / width;
            out[i] = Rect {
                x: rest.x,
                y,
                w: width,
                h,
            };
            y += h;
        }
        Rect {
            x: rest.x + width,
            w: rest.w - width,
            ..rest
        }
    } else {
        // A row along the top.
        let height = (sum / rest.w).min(rest.h);
        let mut x = rest.x;
        for &(i, a) in row {
            let w = a / height;
            out[i] = Rect {
                x,
                y: rest.y,
                w,
                h: height,
            };
            x += w;
        }
        Rect {
            y: rest.y + height,
            h: rest.h - height,
            ..rest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: Rect = Rect {
        x: 10.0,
        y: 20.0,
        w: 600.0,
        h: 400.0,
    };

    fn inside(r: &Rect, a: &Rect) -> bool {
        let e = 1e-6;
        r.x >= a.x - e && r.y >= a.y - e && r.x + r.w <= a.x + a.w + e && r.y + r.h <= a.y + a.h + e
    }

    #[test]
    fn areas_are_proportional_and_fill_the_space() {
        let values = [500.0, 300.0, 120.0, 50.0, 20.0, 7.0, 3.0];
        let rects = squarify(&values, AREA);
        let total: f64 = values.iter().sum();
        for (v, r) in values.iter().zip(&rects) {
            let want = v / total * AREA.w * AREA.h;
            assert!(
                (r.w * r.h - want).abs() < 1e-6 * want.max(1.0),
                "{v}: {r:?}"
            );
            assert!(inside(r, &AREA), "{r:?}");
        }
        let covered: f64 = rects.iter().map(|r| r.w * r.h).sum();
        assert!((covered - AREA.w * AREA.h).abs() < 1e-6);
    }

    #[test]
    fn rectangles_do_not_overlap() {
        let values: Vec<f64> = (1..=30).rev().map(|v| (v * v) as f64).collect();
        let rects = squarify(&values, AREA);
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                let ox = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
                let oy = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
                assert!(ox <= 1e-6 || oy <= 1e-6, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn equal_values_come_out_square() {
        let rects = squarify(
            &[1.0; 4],
            Rect {
                x: 0.0,
                y: 0.0,
                w: 2.0,
                h: 2.0,
            },
        );
        for r in rects {
            assert!(
                (r.w - 1.0).abs() < 1e-9 && (r.h - 1.0).abs() < 1e-9,
                "{r:?}"
            );
        }
    }

    #[test]
    fn degenerate_input_gives_empty_rectangles() {
        assert!(squarify(&[], AREA).is_empty());
        let rects = squarify(&[0.0, f64::NAN, -3.0, 5.0], AREA);
        assert_eq!(rects[0], Rect::default());
        assert_eq!(rects[1], Rect::default());
        assert_eq!(rects[2], Rect::default());
        assert!((rects[3].w * rects[3].h - AREA.w * AREA.h).abs() < 1e-6);
        let none = squarify(&[1.0], Rect { w: 0.0, ..AREA });
        assert_eq!(none, vec![Rect::default()]);
    }
}

//! [`Suggestions`] as text for people.

use super::Suggestions;
use crate::budget::{group_digits, human_size};

/// `12,345 bytes (0.01 MiB)`
fn size(b: u64) -> String {
    format!("{} bytes ({})", group_digits(b), human_size(b))
}

/// The analysis as text: the suggestions with their ARN and config line,
/// or plainly that no known layer makes it fit and what is biggest.
pub fn render(s: &Suggestions) -> String {
    let mut out = String::new();
    let region = if s.region_assumed {
        format!(
            "{} (assumed: no region is configured; set AWS_REGION or AWS_DEFAULT_REGION, or pass \
             --profile, for your region's ARNs)",
            s.region
        )
    } else {
        format!("{} ({})", s.region, s.region_source)
    };
    out.push_str(&format!(
        "Public layers for {} {} in {region}:\n",
        s.runtime, s.architecture
    ));
    if s.suggested.is_empty() {
        out.push_str(
            if s.trigger == "on-demand" && s.total_bytes <= s.limit_bytes {
                "  No known public layer would keep packages out of the zip and still fit.\n"
            } else {
                "  No known public layer makes it fit.\n"
            },
        );
    }
    for (i, c) in s.suggested.iter().enumerate() {
        let layer_size = match c.layer_unzipped_bytes {
            Some(b) if c.layer_size_approximate => format!("{} (approximate)", size(b)),
            Some(b) => size(b),
            None => "of unknown size".to_string(),
        };
        let mut provides: Vec<String> =
            c.provides.iter().map(|(n, v)| format!("{n} {v}")).collect();
        let others: Vec<&str> = c
            .removed
            .iter()
            .filter(|n| !c.provides.contains_key(*n))
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            provides.push(format!("(no longer needed: {})", others.join(", ")));
        }
        out.push_str(&format!(
            "  {}. {} {}: {}\n     provides {}\n     saves {} from the zip; the layer takes {}\n     total then {} (headroom {})\n     add to .chalice/config.json: {}\n",
            i + 1,
            c.title,
            c.release,
            c.arn,
            provides.join(", "),
            size(c.removes_bytes),
            layer_size,
            size(c.total_bytes),
            size(c.headroom_bytes.max(0).unsigned_abs()),
            c.config_line,
        ));
    }
    if !s.not_suggested.is_empty() {
        out.push_str("  Not suggested:\n");
        for r in &s.not_suggested {
            out.push_str(&format!("    {} ({}): {}\n", r.title, r.arn, r.reason));
        }
    }
    if s.suggested.is_empty() && s.not_suggested.is_empty() {
        out.push_str(&format!(
            "  grail knows no public layer published in {} for {} {}.\n",
            s.region, s.runtime, s.architecture
        ));
    }
    if s.suggested.is_empty() && !s.largest_packages.is_empty() {
        out.push_str("  The biggest packages shipped:\n");
        for (name, bytes) in &s.largest_packages {
            out.push_str(&format!("    {name}: {}\n", size(*bytes)));
        }
    }
    out
}

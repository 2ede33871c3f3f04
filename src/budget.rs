//! The Lambda size budget: function code plus every attached layer,
//! unzipped, against 262,144,000 bytes; and the ranked "what is big" table.
//!
//! Call sequence: after assembling the zip, build a [`Budget`] from the zip's
//! sizes and `LayerSet::usages()`, put it in the report (it serialises to
//! the contract's `budget` object), print [`Budget::render_summary`], then
//! [`Budget::check`]: `Ok(warnings)` to print, or a [`BudgetError`] (exit 3)
//! to print followed by [`render_breakdown`] of the largest packages.
//!
//! ```
//! use grail::budget::{Budget, LayerUsage};
//! let pandas = LayerUsage { arn: "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29".into(),
//!                           unzipped_bytes: Some(175_112_192), approximate: true };
//! let b = Budget::compute(115_000_000, 40_000_000, &[pandas]);
//! assert_eq!(b.headroom_bytes, 262_144_000 - 115_000_000 - 175_112_192);
//! let err = b.check().unwrap_err();
//! use grail::error::Classify;
//! assert_eq!(grail::error::ExitKind::Budget, err.exit_kind());
//! assert!(err.to_string().contains("at most 87,031,808 bytes"));
//! ```
//!
//! Sizes are shown in MiB (1,048,576 bytes), labelled MiB: AWS's "250 MB"
//! limit is 262,144,000 bytes, i.e. 250 MiB. [`human_size`] is the one
//! formatter every message uses, so no line mixes units.

use serde::Serialize;

use crate::error::{Classify, ExitKind};

/// `CodeSizeUnzipped`: function code plus all layers, unzipped.
pub const LAMBDA_UNZIPPED_LIMIT: u64 = 262_144_000;
/// `CodeSizeZipped`: a zip uploaded directly (not through S3).
pub const DIRECT_UPLOAD_ZIPPED_LIMIT: u64 = 52_428_800;

/// One attached layer's share of the budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerUsage {
    /// The layer version ARN.
    pub arn: String,
    /// `None` when no manifest gives a size.
    pub unzipped_bytes: Option<u64>,
    /// The size is a reported figure, not a measurement.
    pub approximate: bool,
}

/// One layer line of the report's `budget.layers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetLayer {
    /// The layer version ARN.
    pub arn: String,
    /// `null` when unknown (never a misleading 0).
    pub unzipped_bytes: Option<u64>,
    /// Whether the size is known.
    pub known: bool,
    /// Present (true) when the size is a reported figure.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// The budget: serialises to the report's `budget` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Budget {
    /// Always [`LAMBDA_UNZIPPED_LIMIT`].
    pub limit_bytes: u64,
    /// The function zip's summed uncompressed entry sizes.
    pub function_unzipped_bytes: u64,
    /// The function zip's size on disk (not in the contract's object).
    #[serde(skip)]
    pub function_zipped_bytes: u64,
    /// In attach order.
    pub layers: Vec<BudgetLayer>,
    /// Function plus the **known** layer sizes.
    pub total_bytes: u64,
    /// Limit minus total; negative when over.
    pub headroom_bytes: i64,
    /// Present (true) when any layer size is approximate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// The budget is exceeded (exit 3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BudgetError {
    /// By how many bytes the total is over the limit.
    pub over_by: u64,
    /// The largest function size that fits beside the layers (0 if none).
    pub function_max_bytes: u64,
    /// The full explanation: numbers per part and what would fit.
    pub message: String,
}

impl Classify for BudgetError {
    /// Always [`ExitKind::Budget`] (3).
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Budget
    }
}

impl Budget {
    /// Add up the function and the layers.
    pub fn compute(function_unzipped: u64, function_zipped: u64, layers: &[LayerUsage]) -> Budget {
        let layers: Vec<BudgetLayer> = layers
            .iter()
            .map(|l| BudgetLayer {
                arn: l.arn.clone(),
                unzipped_bytes: l.unzipped_bytes,
                known: l.unzipped_bytes.is_some(),
                approximate: l.approximate && l.unzipped_bytes.is_some(),
            })
            .collect();
        let total = layers
            .iter()
            .filter_map(|l| l.unzipped_bytes)
            .fold(function_unzipped, u64::saturating_add);
        Budget {
            limit_bytes: LAMBDA_UNZIPPED_LIMIT,
            function_unzipped_bytes: function_unzipped,
            function_zipped_bytes: function_zipped,
            approximate: layers.iter().any(|l| l.approximate),
            headroom_bytes: signed(LAMBDA_UNZIPPED_LIMIT) - signed(total),
            total_bytes: total,
            layers,
        }
    }

    /// Sum of the known layer sizes.
    pub fn layers_bytes(&self) -> u64 {
        self.total_bytes
            .saturating_sub(self.function_unzipped_bytes)
    }

    /// Layers whose size is unknown.
    pub fn unknown_layers(&self) -> impl Iterator<Item = &BudgetLayer> {
        self.layers.iter().filter(|l| !l.known)
    }

    /// `Ok(warnings)` when within the limit, else the exit-3 error saying by
    /// how much, each part's size and how big the function may be.
    pub fn check(&self) -> Result<Vec<String>, BudgetError> {
        let mut warnings = Vec::new();
        warnings.extend(direct_upload_warning(
            "deployment.zip",
            self.function_zipped_bytes,
        ));
        let unknown: Vec<&str> = self.unknown_layers().map(|l| l.arn.as_str()).collect();
        if !unknown.is_empty() && self.headroom_bytes >= 0 {
            warnings.push(format!(
                "the size budget is incomplete: {} layer(s) of unknown size ({}); \
the {} headroom does not count them (supply a manifest from `grail layer scan`)",
                unknown.len(),
                unknown.join(", "),
                size(self.headroom_bytes.unsigned_abs())
            ));
        }
        if self.headroom_bytes >= 0 {
            return Ok(warnings);
        }
        let over_by = self.headroom_bytes.unsigned_abs();
        let layers = self.layers_bytes();
        let function_max = self.limit_bytes.saturating_sub(layers);
        let mut msg = format!(
            "function + layers unzipped is {}, over Lambda's limit of {} by {}{}.\n{}",
            size(self.total_bytes),
            size(self.limit_bytes),
            size(over_by),
            if self.approximate {
                " (approximate: some layer sizes are reported figures)"
            } else {
                ""
            },
            self.render_summary()
        );
        if layers >= self.limit_bytes {
            msg.push_str(&format!(
                "The layers alone take {}: no function code fits; detach or slim a layer.",
                size(layers)
            ));
        } else {
            msg.push_str(&format!(
                "Lambda would refuse it with \"Unzipped size must be smaller than {function_max} bytes\". \
To fit, the function may be at most {} unzipped: remove at least {} \
(exclude packages a layer already provides, move big packages to a layer, or use a container image).",
                size(function_max),
                size(over_by)
            ));
        }
        if self.approximate {
            msg.push_str(
                "\nLayer sizes marked approximate are not measured: scan the layer zip with \
`grail layer scan` and pass the manifest with --layer-manifest for exact numbers.",
            );
        }
        if !unknown.is_empty() {
            msg.push_str(&format!(
                "\nLayers of unknown size are not counted, so the real total is larger: {}.",
                unknown.join(", ")
            ));
        }
        Err(BudgetError {
            over_by,
            function_max_bytes: function_max,
            message: msg,
        })
    }

    /// One line per part, then total and headroom, aligned.
    pub fn render_summary(&self) -> String {
        let mut rows: Vec<(String, String)> = vec![(
            "function (deployment.zip, unzipped)".to_string(),
            size(self.function_unzipped_bytes),
        )];
        for l in &self.layers {
            let v = match l.unzipped_bytes {
                Some(b) if l.approximate => format!("{} (approximate)", size(b)),
                Some(b) => size(b),
                None => "unknown".to_string(),
            };
            rows.push((format!("layer {}", l.arn), v));
        }
        rows.push(("total".to_string(), size(self.total_bytes)));
        rows.push(("limit".to_string(), size(self.limit_bytes)));
        let head = if self.headroom_bytes >= 0 {
            ("headroom", size(self.headroom_bytes.unsigned_abs()))
        } else {
            ("over by", size(self.headroom_bytes.unsigned_abs()))
        };
        rows.push((head.0.to_string(), head.1));
        let width = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        rows.iter()
            .map(|(k, v)| format!("  {k:<width$}  {v}\n"))
            .collect()
    }
}

/// Lambda's other limit: a zip uploaded directly (`chalice deploy`,
/// `aws lambda update-function-code --zip-file`, `PublishLayerVersion` with
/// the zip inline, Terraform's `filename`) may be at most
/// [`DIRECT_UPLOAD_ZIPPED_LIMIT`] bytes zipped; through S3 only the unzipped
/// limit applies. `None` when `zipped_bytes` is within it.
///
/// ```
/// use grail::budget::{direct_upload_warning, DIRECT_UPLOAD_ZIPPED_LIMIT};
/// assert!(direct_upload_warning("deployment.zip", DIRECT_UPLOAD_ZIPPED_LIMIT).is_none());
/// let w = direct_upload_warning("layer-deployment.zip", DIRECT_UPLOAD_ZIPPED_LIMIT + 1).unwrap();
/// assert!(w.starts_with("layer-deployment.zip is 52,428,801 bytes"));
/// ```
pub fn direct_upload_warning(zip: &str, zipped_bytes: u64) -> Option<String> {
    if zipped_bytes <= DIRECT_UPLOAD_ZIPPED_LIMIT {
        return None;
    }
    Some(format!(
        "{zip} is {} zipped, over Lambda's {} limit for direct uploads: `chalice deploy` and \
`aws lambda update-function-code --zip-file` will be refused (\"Zipped size must be smaller than \
{DIRECT_UPLOAD_ZIPPED_LIMIT} bytes\"); deploy through S3 instead, where only the unzipped limit \
applies: the CloudFormation template (`sam deploy`, or `aws cloudformation package` then \
`deploy`, uploads the zip to S3), or the Terraform template with the zip in S3 \
(`s3_bucket`/`s3_key` instead of `filename`); or move the large dependencies into a layer \
published through S3",
        size(zipped_bytes),
        bytes(DIRECT_UPLOAD_ZIPPED_LIMIT)
    ))
}

/// One row of the "largest packages" table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeItem {
    /// Ex) `pyarrow`
    pub name: String,
    /// Unzipped bytes.
    pub bytes: u64,
    /// Ex) `deployment.zip` or a layer ARN.
    pub location: String,
}

/// The `top_n` largest items, ranked, with an "N more" line and the total.
///
/// ```
/// use grail::budget::{render_breakdown, SizeItem};
/// let items = [
///     SizeItem { name: "six".into(), bytes: 1_000, location: "deployment.zip".into() },
///     SizeItem { name: "numpy".into(), bytes: 40_000_000, location: "deployment.zip".into() },
/// ];
/// let table = render_breakdown(&items, 1);
/// assert!(table.starts_with("   1  38.15 MiB  numpy  deployment.zip"));
/// assert!(table.contains("1 more"));
/// ```
pub fn render_breakdown(items: &[SizeItem], top_n: usize) -> String {
    let mut sorted: Vec<&SizeItem> = items.iter().collect();
    sorted.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    let shown = &sorted[..top_n.min(sorted.len())];
    let rest = &sorted[shown.len()..];
    let rest_bytes = rest.iter().fold(0u64, |a, i| a.saturating_add(i.bytes));
    let total = sorted.iter().fold(0u64, |a, i| a.saturating_add(i.bytes));
    let sizes: Vec<String> = shown.iter().map(|i| mb(i.bytes)).collect();
    // The total is the widest number; align every row on it.
    let size_w = mb(total).len();
    let name_w = shown
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0);
    let rank_w = shown.len().to_string().len().max(4);
    let mut out = String::new();
    for (n, (item, s)) in shown.iter().zip(&sizes).enumerate() {
        out.push_str(&format!(
            "{:>rank_w$}  {s:>size_w$}  {:<name_w$}  {}\n",
            n + 1,
            item.name,
            item.location
        ));
    }
    if !rest.is_empty() {
        out.push_str(&format!(
            "{:>rank_w$}  {:>size_w$}  {} more\n",
            "",
            mb(rest_bytes),
            rest.len()
        ));
    }
    out.push_str(&format!("{:>rank_w$}  {:>size_w$}  total\n", "", mb(total)));
    out
}

fn signed(b: u64) -> i64 {
    i64::try_from(b).unwrap_or(i64::MAX)
}

const MIB: f64 = 1_048_576.0;

/// `12.34 MiB`: the budget table's fixed format (also the HTML report's).
///
/// ```
/// assert_eq!(grail::budget::mb(262_144_000), "250.00 MiB");
/// ```
pub fn mb(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / MIB)
}

/// A size for humans, in binary units labelled as such.
///
/// ```
/// use grail::budget::human_size;
/// assert_eq!(human_size(262_144_000), "250.00 MiB");
/// assert_eq!(human_size(2_048), "2.0 KiB");
/// assert_eq!(human_size(999), "999 B");
/// ```
pub fn human_size(n: u64) -> String {
    if n >= 1_048_576 {
        mb(n)
    } else if n >= 1_024 {
        format!("{:.1} KiB", n as f64 / 1_024.0)
    } else {
        format!("{n} B")
    }
}

/// `262,144,000 bytes`
fn bytes(b: u64) -> String {
    format!("{} bytes", group_digits(b))
}

/// Thousands separators. Ex) `262,144,000`
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `262,144,000 bytes (250.00 MiB)`
fn size(b: u64) -> String {
    format!("{} ({})", bytes(b), mb(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(arn: &str, bytes: Option<u64>, approximate: bool) -> LayerUsage {
        LayerUsage {
            arn: arn.to_string(),
            unzipped_bytes: bytes,
            approximate,
        }
    }

    #[test]
    fn under_the_limit() {
        let b = Budget::compute(5_678, 1_234, &[layer("L1", Some(150_000_000), false)]);
        assert_eq!(b.total_bytes, 150_005_678);
        assert_eq!(b.headroom_bytes, 112_138_322);
        assert_eq!(b.check().unwrap(), Vec::<String>::new());
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "limit_bytes": 262144000, "function_unzipped_bytes": 5678,
                "layers": [{"arn": "L1", "unzipped_bytes": 150000000, "known": true}],
                "total_bytes": 150005678, "headroom_bytes": 112138322
            })
        );
    }

    #[test]
    fn exactly_at_the_limit_fits() {
        let b = Budget::compute(LAMBDA_UNZIPPED_LIMIT, 0, &[]);
        assert_eq!(b.headroom_bytes, 0);
        assert!(b.check().is_ok());
        assert!(Budget::compute(LAMBDA_UNZIPPED_LIMIT + 1, 0, &[])
            .check()
            .is_err());
    }

    #[test]
    fn over_says_by_how_much_and_what_fits() {
        let b = Budget::compute(
            110_000_000,
            30_000_000,
            &[layer("arn:pandas", Some(175_112_192), true)],
        );
        assert!(b.approximate);
        let err = b.check().unwrap_err();
        assert_eq!(err.exit_kind(), ExitKind::Budget);
        assert_eq!(err.over_by, 110_000_000 + 175_112_192 - 262_144_000);
        assert_eq!(err.function_max_bytes, 87_031_808);
        let m = err.to_string();
        for needle in [
            "over Lambda's limit of 262,144,000 bytes (250.00 MiB) by 22,968,192 bytes (21.90 MiB)",
            "approximate",
            "smaller than 87031808 bytes",
            "at most 87,031,808 bytes (83.00 MiB)",
            "layer arn:pandas",
            "167.00 MiB) (approximate)",
            "function (deployment.zip, unzipped)",
            "grail layer scan",
        ] {
            assert!(m.contains(needle), "{needle}:\n{m}");
        }
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["approximate"], true);
        assert_eq!(json["headroom_bytes"], -22_968_192);
        assert_eq!(json["layers"][0]["approximate"], true);
    }

    #[test]
    fn unknown_layers_are_not_zero() {
        let b = Budget::compute(1_000, 500, &[layer("arn:mystery", None, false)]);
        assert_eq!(b.total_bytes, 1_000);
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["layers"][0]["unzipped_bytes"], serde_json::Value::Null);
        assert_eq!(json["layers"][0]["known"], false);
        let w = b.check().unwrap();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("unknown size") && w[0].contains("arn:mystery"),
            "{w:?}"
        );
        let summary = b.render_summary();
        let line = summary
            .lines()
            .find(|l| l.contains("layer arn:mystery"))
            .unwrap();
        assert!(line.ends_with("  unknown"), "{summary}");
        // Over even without the unknown layer: the error says the real total is larger.
        let b = Budget::compute(300_000_000, 0, &[layer("arn:mystery", None, false)]);
        let m = b.check().unwrap_err().to_string();
        assert!(
            m.contains("unknown size are not counted") && m.contains("arn:mystery"),
            "{m}"
        );
    }

    #[test]
    fn layers_alone_over_the_limit() {
        let b = Budget::compute(
            10,
            10,
            &[
                layer("a", Some(200_000_000), false),
                layer("b", Some(70_000_000), false),
            ],
        );
        let err = b.check().unwrap_err();
        assert_eq!(err.function_max_bytes, 0);
        assert!(err.to_string().contains("no function code fits"));
    }

    #[test]
    fn big_zip_warns_for_direct_uploads() {
        let b = Budget::compute(100_000_000, DIRECT_UPLOAD_ZIPPED_LIMIT + 1, &[]);
        let w = b.check().unwrap();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("52,428,800 bytes") && w[0].contains("S3"),
            "{w:?}"
        );
        assert!(Budget::compute(1, DIRECT_UPLOAD_ZIPPED_LIMIT, &[])
            .check()
            .unwrap()
            .is_empty());
        // What works instead is named.
        for alternative in ["sam deploy", "s3_bucket", "layer", "52428800"] {
            assert!(w[0].contains(alternative), "{alternative}: {w:?}");
        }
    }

    #[test]
    fn breakdown_is_ranked_and_aligned() {
        let items = [
            SizeItem {
                name: "six".into(),
                bytes: 10_000,
                location: "deployment.zip".into(),
            },
            SizeItem {
                name: "pyarrow".into(),
                bytes: 120_000_000,
                location: "layer L".into(),
            },
            SizeItem {
                name: "numpy".into(),
                bytes: 40_000_000,
                location: "deployment.zip".into(),
            },
            SizeItem {
                name: "alpaca-py".into(),
                bytes: 10_000,
                location: "deployment.zip".into(),
            },
        ];
        let t = render_breakdown(&items, 3);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "   1  114.44 MiB  pyarrow    layer L");
        assert_eq!(lines[1], "   2   38.15 MiB  numpy      deployment.zip");
        assert_eq!(lines[2], "   3    0.01 MiB  alpaca-py  deployment.zip");
        assert_eq!(lines[3], "        0.01 MiB  1 more");
        assert_eq!(lines[4], "      152.61 MiB  total");
        assert_eq!(render_breakdown(&[], 5), "      0.00 MiB  total\n");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(1_000), "1,000 bytes");
        assert_eq!(bytes(262_144_000), "262,144,000 bytes");
    }
}

//! pip's index options after its precedence rules: grail's CLI flags, `PIP_*`
//! variables and the requirements file's option lines, merged into one
//! [`IndexOptions`] the way `pip download -r requirements.txt` would see them.
//!
//! ```
//! use grail::index::{effective_index_options, IndexArgs};
//! use grail::requirements::parse_str;
//! use std::path::Path;
//! let file = parse_str("--extra-index-url https://example.com/simple\n", Path::new("requirements.txt"), &|_| None).unwrap();
//! let cli = IndexArgs { index_url: Some("https://mirror/simple".into()), ..IndexArgs::default() };
//! let options = effective_index_options(&cli, &|_| None, &file).unwrap();
//! assert_eq!(options.index_urls, ["https://mirror/simple", "https://example.com/simple"]);
//! ```

use std::collections::HashSet;

use crate::error::{Classify, ExitKind};
use crate::requirements::{FileIndexOption, RequirementsFile};

/// pip's default index (PyPI's simple API). Join project names as pip does:
/// `{index}/{normalized-name}/` with exactly one `/` between the parts.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

/// The index flags given on grail's command line (pip's names and meaning).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexArgs {
    /// `--index-url URL`
    pub index_url: Option<String>,
    /// `--extra-index-url URL`, repeatable
    pub extra_index_urls: Vec<String>,
    /// `--find-links DIR|URL`, repeatable (relative paths: the caller resolves
    /// them against the working directory, as pip does)
    pub find_links: Vec<String>,
    /// `--no-index`
    pub no_index: bool,
}

/// Where to look for distributions, after pip's precedence rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexOptions {
    /// Index URLs in priority order; empty with `--no-index`.
    pub index_urls: Vec<String>,
    /// Find-links directories, files or URLs, in order.
    pub find_links: Vec<String>,
    /// `--no-index` is in effect.
    pub no_index: bool,
    /// `--pre`: pre-releases are allowed everywhere.
    pub pre: bool,
    /// `--prefer-binary` was given (grail prefers wheels anyway).
    pub prefer_binary: bool,
    /// `--only-binary` values, raw.
    pub only_binary: Vec<String>,
    /// `--trusted-host` values.
    pub trusted_hosts: Vec<String>,
}

/// A `PIP_*` variable whose value pip refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a valid value for {name}, please specify a boolean value like yes/no, true/false or 1/0 instead")]
pub struct EnvVarError {
    /// The variable.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// Bad input: exit code 1.
impl Classify for EnvVarError {
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

/// pip's `strtobool`.
fn strtobool(name: &str, value: &str) -> Result<bool, EnvVarError> {
    match value.to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Ok(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Ok(false),
        _ => Err(EnvVarError {
            name: name.to_string(),
            value: value.to_string(),
        }),
    }
}

/// Merges grail's CLI flags, `PIP_*` variables and the file's options exactly
/// as pip does (`pip download -r requirements.txt` as Chalice runs it):
///
/// 1. `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL` and `PIP_FIND_LINKS`
///    (whitespace-separated lists), `PIP_NO_INDEX` and `PIP_PRE` (pip's
///    booleans: 1/true/yes/on/y/t, 0/false/no/off/n/f, any case) are defaults;
///    empty values count as unset;
/// 2. CLI flags beat them: `--index-url` replaces `PIP_INDEX_URL`;
///    `--extra-index-url` and `--find-links` are *added after* the
///    variables' lists; `--no-index` sets it;
/// 3. indexes = `[index_url or DEFAULT_INDEX_URL] + extra_index_urls`, none
///    with no-index;
/// 4. the file's options, in file order: `--no-index` drops every index
///    (also later ones); `--index-url` *replaces* every index set so far
///    (CLI and variables included) unless no-index; `--extra-index-url` adds
///    unless no-index; `--find-links` adds; `--pre`, `--prefer-binary`,
///    `--only-binary`, `--trusted-host` add.
///
/// pip's configuration files (`pip.conf`) are not read.
pub fn effective_index_options(
    cli: &IndexArgs,
    env: &dyn Fn(&str) -> Option<String>,
    file: &RequirementsFile,
) -> Result<IndexOptions, EnvVarError> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let list = |name: &str| -> Vec<String> {
        var(name)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let boolean = |name: &str| -> Result<bool, EnvVarError> {
        var(name).map_or(Ok(false), |v| strtobool(name, v.trim()))
    };

    let index_url = cli
        .index_url
        .clone()
        .or_else(|| var("PIP_INDEX_URL"))
        .unwrap_or_else(|| DEFAULT_INDEX_URL.to_string());
    let mut extra = list("PIP_EXTRA_INDEX_URL");
    extra.extend(cli.extra_index_urls.iter().cloned());
    let mut find_links = list("PIP_FIND_LINKS");
    find_links.extend(cli.find_links.iter().cloned());
    let mut no_index = cli.no_index || boolean("PIP_NO_INDEX")?;
    let mut pre = boolean("PIP_PRE")?;

    let mut index_urls = if no_index {
        Vec::new()
    } else {
        std::iter::once(index_url).chain(extra).collect()
    };
    let mut settings_extra = (false, Vec::new(), Vec::new());
    for option in &file.options {
        match &option.option {
            FileIndexOption::NoIndex => {
                no_index = true;
                index_urls.clear();
            }
            FileIndexOption::IndexUrl(url) if !no_index => index_urls = vec![url.clone()],
            FileIndexOption::ExtraIndexUrl(url) if !no_index => index_urls.push(url.clone()),
            FileIndexOption::IndexUrl(_) | FileIndexOption::ExtraIndexUrl(_) => {}
            FileIndexOption::FindLinks(link) => find_links.push(link.clone()),
            FileIndexOption::Pre => pre = true,
            FileIndexOption::PreferBinary => settings_extra.0 = true,
            FileIndexOption::OnlyBinary(v) => settings_extra.1.push(v.clone()),
            FileIndexOption::TrustedHost(h) => settings_extra.2.push(h.clone()),
        }
    }
    // pip de-duplicates nothing, but asking an index twice is pointless.
    let mut seen = HashSet::new();
    index_urls.retain(|u| seen.insert(u.clone()));
    Ok(IndexOptions {
        index_urls,
        find_links,
        no_index,
        pre,
        prefer_binary: settings_extra.0,
        only_binary: settings_extra.1,
        trusted_hosts: settings_extra.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::parse_str;
    use std::collections::HashMap;
    use std::path::Path;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<RequirementsFile, crate::requirements::RequirementsError> {
        parse_str(text, Path::new("requirements.txt"), &no_env)
    }

    #[test]
    fn index_precedence_follows_pip() {
        struct Case {
            name: &'static str,
            cli: IndexArgs,
            env: &'static [(&'static str, &'static str)],
            file: &'static str,
            index_urls: &'static [&'static str],
            find_links: &'static [&'static str],
            no_index: bool,
        }
        let cli = |i: Option<&str>, extra: &[&str], f: &[&str], no_index: bool| IndexArgs {
            index_url: i.map(String::from),
            extra_index_urls: extra.iter().map(|s| s.to_string()).collect(),
            find_links: f.iter().map(|s| s.to_string()).collect(),
            no_index,
        };
        let cases = [
            Case {
                name: "default",
                cli: IndexArgs::default(),
                env: &[],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "env index",
                cli: IndexArgs::default(),
                env: &[("PIP_INDEX_URL", "https://env/")],
                file: "",
                index_urls: &["https://env/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "cli beats env index",
                cli: cli(Some("https://cli/"), &[], &[], false),
                env: &[("PIP_INDEX_URL", "https://env/")],
                file: "",
                index_urls: &["https://cli/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "empty env is unset",
                cli: IndexArgs::default(),
                env: &[("PIP_INDEX_URL", ""), ("PIP_NO_INDEX", "")],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "lists accumulate: env then cli",
                cli: cli(None, &["https://c/"], &["z"], false),
                env: &[
                    ("PIP_EXTRA_INDEX_URL", "https://a/  https://b/"),
                    ("PIP_FIND_LINKS", "x\ty"),
                ],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL, "https://a/", "https://b/", "https://c/"],
                find_links: &["x", "y", "z"],
                no_index: false,
            },
            Case {
                name: "file extra adds after cli/env",
                cli: cli(None, &["https://c/"], &[], false),
                env: &[],
                file: "--extra-index-url https://f/",
                index_urls: &[DEFAULT_INDEX_URL, "https://c/", "https://f/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "file index-url replaces everything before it",
                cli: cli(Some("https://cli/"), &["https://c/"], &[], false),
                env: &[("PIP_EXTRA_INDEX_URL", "https://e/")],
                file:
                    "--extra-index-url https://f1/\n-i https://file/\n--extra-index-url https://f2/",
                index_urls: &["https://file/", "https://f2/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "file no-index drops all, later indexes too, keeps find-links",
                cli: cli(None, &[], &["cli-links"], false),
                env: &[],
                file:
                    "--no-index\n-i https://file/\n--extra-index-url https://f/\n-f https://links/",
                index_urls: &[],
                find_links: &["cli-links", "https://links/"],
                no_index: true,
            },
            Case {
                name: "cli no-index ignores file indexes",
                cli: cli(None, &[], &[], true),
                env: &[],
                file: "-i https://file/",
                index_urls: &[],
                find_links: &[],
                no_index: true,
            },
            Case {
                name: "env no-index",
                cli: IndexArgs::default(),
                env: &[("PIP_NO_INDEX", "Yes")],
                file: "",
                index_urls: &[],
                find_links: &[],
                no_index: true,
            },
            Case {
                name: "env no-index off",
                cli: IndexArgs::default(),
                env: &[("PIP_NO_INDEX", "off")],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL],
                find_links: &[],
                no_index: false,
            },
        ];
        for case in cases {
            let vars: HashMap<String, String> = case
                .env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let env = |name: &str| vars.get(name).cloned();
            let file = parse(case.file).unwrap();
            let got = effective_index_options(&case.cli, &env, &file).unwrap();
            assert_eq!(got.index_urls, case.index_urls, "{}", case.name);
            assert_eq!(got.find_links, case.find_links, "{}", case.name);
            assert_eq!(got.no_index, case.no_index, "{}", case.name);
        }

        let env = |name: &str| (name == "PIP_NO_INDEX").then(|| "maybe".to_string());
        let err =
            effective_index_options(&IndexArgs::default(), &env, &RequirementsFile::default())
                .unwrap_err();
        assert_eq!(err.to_string(), "maybe is not a valid value for PIP_NO_INDEX, please specify a boolean value like yes/no, true/false or 1/0 instead");

        let env = |name: &str| (name == "PIP_PRE").then(|| "1".to_string());
        assert!(
            effective_index_options(&IndexArgs::default(), &env, &RequirementsFile::default())
                .unwrap()
                .pre
        );
        let file = parse("--pre\n--trusted-host h\n--prefer-binary").unwrap();
        let got = effective_index_options(&IndexArgs::default(), &no_env, &file).unwrap();
        assert!(got.pre && got.prefer_binary);
        assert_eq!(got.trusted_hosts, ["h"]);
    }
}

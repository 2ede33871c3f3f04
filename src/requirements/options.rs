//! pip's optparse parser for the options part of a requirements line.

use super::error::RequirementsErrorKind;
use super::hash::Hash;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opt {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    Hash,
    ConfigSettings,
}

/// pip's `SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ`, long names.
pub(super) const LONG_OPTIONS: &[(&str, Opt)] = &[
    ("--index-url", Opt::IndexUrl),
    ("--pypi-url", Opt::IndexUrl),
    ("--extra-index-url", Opt::ExtraIndexUrl),
    ("--no-index", Opt::NoIndex),
    ("--constraint", Opt::Constraint),
    ("--requirement", Opt::Requirement),
    ("--editable", Opt::Editable),
    ("--find-links", Opt::FindLinks),
    ("--no-binary", Opt::NoBinary),
    ("--only-binary", Opt::OnlyBinary),
    ("--prefer-binary", Opt::PreferBinary),
    ("--require-hashes", Opt::RequireHashes),
    ("--pre", Opt::Pre),
    ("--trusted-host", Opt::TrustedHost),
    ("--use-feature", Opt::UseFeature),
    ("--global-option", Opt::GlobalOption),
    ("--hash", Opt::Hash),
    ("--config-settings", Opt::ConfigSettings),
];

pub(super) const SHORT_OPTIONS: &[(char, Opt)] = &[
    ('i', Opt::IndexUrl),
    ('c', Opt::Constraint),
    ('r', Opt::Requirement),
    ('e', Opt::Editable),
    ('f', Opt::FindLinks),
    ('C', Opt::ConfigSettings),
];

impl Opt {
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Opt::NoIndex | Opt::PreferBinary | Opt::RequireHashes | Opt::Pre
        )
    }
}

/// The options of one line, like pip's optparse `Values`.
#[derive(Debug, Default)]
pub(super) struct LineOptions {
    pub(super) index_url: Option<String>,
    pub(super) extra_index_urls: Vec<String>,
    pub(super) no_index: bool,
    pub(super) constraints: Vec<String>,
    pub(super) requirements: Vec<String>,
    pub(super) editables: Vec<String>,
    pub(super) find_links: Vec<String>,
    pub(super) no_binary: Vec<String>,
    pub(super) only_binary: Vec<String>,
    pub(super) prefer_binary: bool,
    pub(super) require_hashes: bool,
    pub(super) pre: bool,
    pub(super) trusted_hosts: Vec<String>,
    pub(super) use_features: Vec<String>,
    pub(super) global_options: Vec<String>,
    pub(super) hashes: Vec<Hash>,
    pub(super) config_settings: Vec<String>,
    pub(super) positional: Vec<String>,
}

impl LineOptions {
    /// optparse's `_process_args` with interspersed arguments.
    pub(super) fn parse(args: &[String]) -> Result<Self, RequirementsErrorKind> {
        let mut opts = LineOptions::default();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            if arg == "--" {
                opts.positional.extend(args[i..].iter().cloned());
                break;
            } else if let Some(body) = arg.strip_prefix("--") {
                let (name, explicit) = match body.split_once('=') {
                    Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                    None => (arg.clone(), None),
                };
                let (full, opt) = match_long(&name)?;
                let value = if opt.takes_value() {
                    match explicit {
                        Some(v) => Some(v),
                        None => {
                            let v = args.get(i).cloned().ok_or(
                                RequirementsErrorKind::MissingValue {
                                    option: full.to_string(),
                                },
                            )?;
                            i += 1;
                            Some(v)
                        }
                    }
                } else if explicit.is_some() {
                    return Err(RequirementsErrorKind::UnexpectedValue {
                        option: full.to_string(),
                    });
                } else {
                    None
                };
                opts.apply(opt, value)?;
            } else if arg.len() > 1 && arg.starts_with('-') {
                let mut rest = arg[1..].chars();
                while let Some(c) = rest.next() {
                    let opt = SHORT_OPTIONS
                        .iter()
                        .find(|(s, _)| *s == c)
                        .map(|(_, o)| *o)
                        .ok_or_else(|| RequirementsErrorKind::UnknownOption {
                            option: format!("-{c}"),
                        })?;
                    // Every short option takes a value: the rest of the word, or the next word.
                    let attached: String = rest.by_ref().collect();
                    let value = if attached.is_empty() {
                        let v =
                            args.get(i)
                                .cloned()
                                .ok_or(RequirementsErrorKind::MissingValue {
                                    option: format!("-{c}"),
                                })?;
                        i += 1;
                        v
                    } else {
                        attached
                    };
                    opts.apply(opt, Some(value))?;
                }
            } else {
                opts.positional.push(arg.clone());
            }
        }
        Ok(opts)
    }

    fn apply(&mut self, opt: Opt, value: Option<String>) -> Result<(), RequirementsErrorKind> {
        let v = value.unwrap_or_default();
        match opt {
            Opt::IndexUrl => self.index_url = Some(v),
            Opt::ExtraIndexUrl => self.extra_index_urls.push(v),
            Opt::NoIndex => self.no_index = true,
            Opt::Constraint => self.constraints.push(v),
            Opt::Requirement => self.requirements.push(v),
            Opt::Editable => self.editables.push(v),
            Opt::FindLinks => self.find_links.push(v),
            Opt::NoBinary => self.no_binary.push(v),
            Opt::OnlyBinary => self.only_binary.push(v),
            Opt::PreferBinary => self.prefer_binary = true,
            Opt::RequireHashes => self.require_hashes = true,
            Opt::Pre => self.pre = true,
            Opt::TrustedHost => self.trusted_hosts.push(v),
            Opt::UseFeature => self.use_features.push(v),
            Opt::GlobalOption => self.global_options.push(v),
            Opt::Hash => self.hashes.push(v.parse()?),
            Opt::ConfigSettings => self.config_settings.push(v),
        }
        Ok(())
    }

    /// Names of the options present (for "ignored" warnings).
    pub(super) fn present(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |cond: bool, name| {
            if cond {
                out.push(name)
            }
        };
        add(self.index_url.is_some(), "--index-url");
        add(!self.extra_index_urls.is_empty(), "--extra-index-url");
        add(self.no_index, "--no-index");
        add(!self.requirements.is_empty(), "-r");
        add(!self.constraints.is_empty(), "-c");
        add(!self.find_links.is_empty(), "--find-links");
        add(!self.no_binary.is_empty(), "--no-binary");
        add(!self.only_binary.is_empty(), "--only-binary");
        add(self.prefer_binary, "--prefer-binary");
        add(self.require_hashes, "--require-hashes");
        add(self.pre, "--pre");
        add(!self.trusted_hosts.is_empty(), "--trusted-host");
        add(!self.use_features.is_empty(), "--use-feature");
        add(!self.global_options.is_empty(), "--global-option");
        add(!self.hashes.is_empty(), "--hash");
        add(!self.config_settings.is_empty(), "--config-settings");
        out
    }
}

/// optparse's `_match_abbrev`: an exact name, else a unique prefix.
pub(super) fn match_long(name: &str) -> Result<(&'static str, Opt), RequirementsErrorKind> {
    if let Some(&(full, opt)) = LONG_OPTIONS.iter().find(|(n, _)| *n == name) {
        return Ok((full, opt));
    }
    let candidates: Vec<_> = LONG_OPTIONS
        .iter()
        .filter(|(n, _)| n.starts_with(name))
        .collect();
    match candidates.as_slice() {
        [] => Err(RequirementsErrorKind::UnknownOption {
            option: name.to_string(),
        }),
        [(full, opt)] => Ok((full, *opt)),
        many => {
            // optparse lists them sorted.
            let mut names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            Err(RequirementsErrorKind::AmbiguousOption {
                option: name.to_string(),
                candidates: names.join(", "),
            })
        }
    }
}

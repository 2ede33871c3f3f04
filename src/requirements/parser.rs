//! Reading files and lines: includes, requirement lines and option lines, in pip's order.

use std::io;
use std::path::{Path, PathBuf};

use url::Url;

use super::error::{RequirementsError, RequirementsErrorKind, BUILD_A_WHEEL};
use super::lines::{break_args_options, preprocess, shlex_split};
use super::location::Location;
use super::model::{FileIndexOption, FileOption, RequirementEntry, RequirementsFile, Warning};
use super::options::LineOptions;
use super::reference::{parse_requirement, url_scheme};

/// Reads `path` and every file it includes. A missing top-level file is an
/// empty file (Chalice). `env` gives environment variables for `${NAME}`.
pub fn parse_requirements(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementsFile, RequirementsError> {
    let bytes = match crate::textfile::read_user_file(path, crate::textfile::MAX_TEXT_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(RequirementsFile::default()),
        Err(e) => {
            return Err(RequirementsError {
                file: path.to_path_buf(),
                line: None,
                kind: RequirementsErrorKind::Io(e),
            })
        }
    };
    let mut parser = Parser::new(env);
    parser.stack.push(identity(path));
    let text = decode(&bytes, path)?;
    parser.parse_text(&text, path, false)?;
    Ok(parser.out)
}

/// Parses `text` as if it were the file `path` (includes are read from disk
/// relative to `path`'s directory).
pub fn parse_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementsFile, RequirementsError> {
    let mut parser = Parser::new(env);
    parser.stack.push(identity(path));
    parser.parse_text(text, path, false)?;
    Ok(parser.out)
}

fn decode(bytes: &[u8], path: &Path) -> Result<String, RequirementsError> {
    // pip's auto_decode drops a BOM; UTF-8 is the only encoding grail reads.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| RequirementsError {
        file: path.to_path_buf(),
        line: None,
        kind: RequirementsErrorKind::NotUtf8,
    })
}

/// A key for cycle detection: the canonical path when it exists.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

struct Parser<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    out: RequirementsFile,
    /// Files being read, for cycle detection.
    stack: Vec<PathBuf>,
}

impl<'a> Parser<'a> {
    fn new(env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Parser {
            env,
            out: RequirementsFile::default(),
            stack: Vec::new(),
        }
    }

    fn warn(&mut self, location: &Location, message: String) {
        self.out.warnings.push(Warning {
            location: location.clone(),
            message,
        });
    }

    fn parse_text(
        &mut self,
        text: &str,
        file: &Path,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        for (line_no, line) in preprocess(text, self.env) {
            let location = Location {
                file: file.to_path_buf(),
                line: line_no,
            };
            self.parse_line(&line, &location, constraint)?;
        }
        Ok(())
    }

    fn parse_line(
        &mut self,
        line: &str,
        loc: &Location,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        let err = |kind| RequirementsError::at(loc, kind);
        let (args, options) = break_args_options(line);
        let tokens = shlex_split(&options).map_err(|reason| {
            err(RequirementsErrorKind::Split {
                options: options.clone(),
                reason,
            })
        })?;
        let opts = LineOptions::parse(&tokens).map_err(err)?;
        if !opts.positional.is_empty() {
            self.warn(
                loc,
                format!(
                    "ignored `{}` after the options (pip ignores it too)",
                    opts.positional.join(" ")
                ),
            );
        }
        if !opts.editables.is_empty() {
            return Err(err(RequirementsErrorKind::UnsupportedOption {
                option: "-e/--editable",
                hint: BUILD_A_WHEEL,
            }));
        }

        if !args.is_empty() {
            return self.requirement_line(&args, opts, loc, constraint);
        }
        if let Some((option, target, nested_constraint)) = opts
            .requirements
            .first()
            .map(|t| ("-r", t, false))
            .or_else(|| opts.constraints.first().map(|t| ("-c", t, true)))
        {
            self.warn_ignored_beside_include(&opts, option, target, loc);
            return self.include(option, target, loc, nested_constraint);
        }
        self.option_line(opts, loc);
        Ok(())
    }

    /// A line with a requirement: only `--hash`, `--global-option` and
    /// `--config-settings` apply to it.
    fn requirement_line(
        &mut self,
        args: &str,
        opts: LineOptions,
        loc: &Location,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        let err = |kind| RequirementsError::at(loc, kind);
        // pip silently ignores the other options.
        let ignored: Vec<&str> = opts
            .present()
            .into_iter()
            .filter(|o| !matches!(*o, "--hash" | "--global-option" | "--config-settings"))
            .collect();
        if !ignored.is_empty() {
            self.warn(
                loc,
                format!(
                    "{} ignored on a requirement line (pip ignores it too); put it on a line of its own",
                    ignored.join(", ")
                ),
            );
        }
        if !opts.global_options.is_empty() || !opts.config_settings.is_empty() {
            self.warn(
                loc,
                "--global-option/--config-settings ignored: grail installs wheels, nothing is built".into(),
            );
        }
        let base = loc.file.parent().unwrap_or(Path::new(""));
        let (requirement, source, url_hash) = parse_requirement(args, base).map_err(err)?;
        let name = requirement.name.as_ref();
        crate::names::check_length(name).map_err(|e| err(RequirementsErrorKind::NameTooLong(e)))?;
        if constraint && !requirement.extras.is_empty() {
            return Err(err(RequirementsErrorKind::ConstraintWithExtras {
                text: args.to_string(),
                name: requirement.name.to_string(),
            }));
        }
        let entry = RequirementEntry {
            requirement,
            hashes: opts.hashes,
            url_hash,
            location: loc.clone(),
            source,
        };
        if constraint {
            self.out.constraints.push(entry);
        } else {
            self.out.requirements.push(entry);
        }
        Ok(())
    }

    /// `-r`/`-c` lines: pip reads the nested file and ignores every other option on the line.
    fn warn_ignored_beside_include(
        &mut self,
        opts: &LineOptions,
        option: &str,
        target: &str,
        loc: &Location,
    ) {
        let ignored: Vec<&str> = opts
            .present()
            .into_iter()
            .filter(|o| *o != "-r" && *o != "-c")
            .collect();
        if !ignored.is_empty() || opts.requirements.len() + opts.constraints.len() > 1 {
            self.warn(
                loc,
                format!("only `{option} {target}` is used on this line (pip ignores the other options on it)"),
            );
        }
    }

    fn include(
        &mut self,
        option: &'static str,
        target: &str,
        loc: &Location,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        let err = |kind| RequirementsError::at(loc, kind);
        let path = match url_scheme(target).as_deref() {
            Some("http" | "https") => {
                return Err(err(RequirementsErrorKind::RemoteInclude {
                    option,
                    url: target.to_string(),
                }))
            }
            Some("file") => Url::parse(target)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .unwrap_or_else(|| PathBuf::from(target)),
            _ => loc.file.parent().unwrap_or(Path::new("")).join(target),
        };
        let bytes = crate::textfile::read_user_file(&path, crate::textfile::MAX_TEXT_FILE_BYTES)
            .map_err(|source| {
                err(RequirementsErrorKind::Include {
                    option,
                    path: path.clone(),
                    source,
                })
            })?;
        let id = identity(&path);
        if self.stack.contains(&id) {
            return Err(err(RequirementsErrorKind::IncludeCycle { path }));
        }
        let text = decode(&bytes, &path)?;
        self.stack.push(id);
        let result = self.parse_text(&text, &path, constraint);
        self.stack.pop();
        result
    }

    /// Options on a line of their own that grail accepts but does not act on.
    fn warn_ignored_options(&mut self, opts: &LineOptions, loc: &Location) {
        if !opts.hashes.is_empty() {
            self.warn(
                loc,
                "--hash without a requirement is ignored (as pip does)".into(),
            );
        }
        for feature in &opts.use_features {
            self.warn(
                loc,
                format!("--use-feature={feature} ignored: it selects pip internals"),
            );
        }
        for value in &opts.no_binary {
            if value != ":none:" {
                self.warn(
                    loc,
                    format!("--no-binary {value} ignored: grail installs wheels (Chalice also ends up with Lambda-compatible wheels)"),
                );
            }
        }
        if !opts.global_options.is_empty() || !opts.config_settings.is_empty() {
            self.warn(
                loc,
                "--global-option/--config-settings ignored without a requirement".into(),
            );
        }
    }

    /// pip's `handle_option_line`, recorded in the order pip applies it.
    fn option_line(&mut self, opts: LineOptions, loc: &Location) {
        self.warn_ignored_options(&opts, loc);
        if opts.require_hashes {
            self.out.require_hashes = true;
        }
        let mut push = |option| {
            self.out.options.push(FileOption {
                location: loc.clone(),
                option,
            })
        };
        if opts.no_index {
            push(FileIndexOption::NoIndex);
        }
        if let Some(url) = opts.index_url.clone() {
            push(FileIndexOption::IndexUrl(url));
        }
        for url in &opts.extra_index_urls {
            push(FileIndexOption::ExtraIndexUrl(url.clone()));
        }
        if let Some(value) = opts.find_links.first() {
            // pip: a path relative to the requirements file wins when it exists.
            let dir = std::path::absolute(&loc.file)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            let joined = dir.join(value);
            let value = if joined.exists() {
                joined.to_string_lossy().into_owned()
            } else {
                value.clone()
            };
            push(FileIndexOption::FindLinks(value));
        }
        if opts.pre {
            push(FileIndexOption::Pre);
        }
        if opts.prefer_binary {
            push(FileIndexOption::PreferBinary);
        }
        for value in &opts.only_binary {
            push(FileIndexOption::OnlyBinary(value.clone()));
        }
        for host in &opts.trusted_hosts {
            push(FileIndexOption::TrustedHost(host.clone()));
        }
        if opts.find_links.len() > 1 {
            self.warn(
                loc,
                format!(
                    "only the first --find-links on a line is used (as pip does); ignored: {}; put each on a line of its own",
                    opts.find_links[1..].join(", ")
                ),
            );
        }
    }
}

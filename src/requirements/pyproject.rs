//! `pyproject.toml` as the requirements input: `[project].dependencies`
//! and the `[project.optional-dependencies]` groups named in config
//! `pyproject_extras`, turned into the same [`RequirementsFile`] a
//! requirements.txt gives (each entry located at its line in pyproject.toml).
//!
//! Chalice itself reads only requirements.txt; this is a grail extension for
//! projects managed with uv or Poetry. Which file is used:
//!
//! | requirements.txt (with a package) | pyproject.toml `dependencies` | used |
//! | --- | --- | --- |
//! | yes | no (or empty) | requirements.txt |
//! | no | yes | pyproject.toml (and a warning: `chalice package` would ship none of them) |
//! | yes | yes, the same requirements | requirements.txt |
//! | yes | yes, different | requirements.txt, as `chalice package` does, with a warning naming config `requirements_from` / `--requirements-from` |
//! | any | unreadable or invalid | requirements.txt, with a warning (an error only when `requirements_from` names pyproject.toml) |
//!
//! grail never refuses a project that `chalice package` packages: where the
//! two files disagree it does what Chalice does and says so.
//!
//! ```
//! use std::path::Path;
//! let text = "[project]\nname = \"app\"\ndependencies = [\n  \"six==1.17.0\",\n]\n\
//!             [project.optional-dependencies]\nhttp = [\"requests>=2\"]\n";
//! let r = grail::requirements::pyproject::parse_pyproject(
//!     text, Path::new("pyproject.toml"), &["http".to_string()]).unwrap().unwrap();
//! assert_eq!(r.requirements.len(), 2);
//! assert_eq!(r.requirements[0].location.line, 4);
//! assert_eq!(r.requirements[1].requirement.name.as_ref(), "requests");
//! ```

use std::path::{Path, PathBuf};

use crate::error::{Classify, ExitKind};

use super::location::Location;
use super::model::{RequirementEntry, RequirementSource, RequirementsFile};

/// Which file holds the project's requirements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequirementsFrom {
    /// requirements.txt when it lists a package, else pyproject.toml; when
    /// both list different requirements, requirements.txt (with a warning).
    #[default]
    Auto,
    /// Only requirements.txt (Chalice's behaviour).
    RequirementsTxt,
    /// Only pyproject.toml.
    Pyproject,
}

impl std::str::FromStr for RequirementsFrom {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(RequirementsFrom::Auto),
            "requirements.txt" => Ok(RequirementsFrom::RequirementsTxt),
            "pyproject.toml" => Ok(RequirementsFrom::Pyproject),
            other => Err(format!(
                "{other:?}: expected \"requirements.txt\" or \"pyproject.toml\""
            )),
        }
    }
}

/// A pyproject.toml that cannot be used as the requirements input.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct PyprojectError {
    /// The pyproject.toml.
    pub file: PathBuf,
    /// What is wrong and what to do.
    pub message: String,
}

impl Classify for PyprojectError {
    /// A bad project file is bad input: exit 1.
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

/// The pyproject.toml of a project directory.
pub fn pyproject_path(project_dir: &Path) -> PathBuf {
    project_dir.join("pyproject.toml")
}

/// Read `path` (a missing file is `Ok(None)`) and return its requirements;
/// `Ok(None)` too when it has no `[project].dependencies` and no extra is asked for.
pub fn read_pyproject(
    path: &Path,
    extras: &[String],
) -> Result<Option<RequirementsFile>, PyprojectError> {
    let err = |message: String| PyprojectError {
        file: path.to_path_buf(),
        message,
    };
    let text = match crate::textfile::read_user_text(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(format!("cannot read it: {e}"))),
    };
    parse_pyproject(&text, path, extras)
}

/// [`read_pyproject`] on text already read.
pub fn parse_pyproject(
    text: &str,
    path: &Path,
    extras: &[String],
) -> Result<Option<RequirementsFile>, PyprojectError> {
    let err = |message: String| PyprojectError {
        file: path.to_path_buf(),
        message,
    };
    let doc: toml::Table = crate::guard::catch(|| text.parse::<toml::Table>())
        .map_err(|_| err("the TOML parser cannot read it".into()))?
        .map_err(|e| err(format!("not valid TOML: {}", e.message())))?;
    let Some(project) = doc.get("project") else {
        return match extras.first() {
            Some(x) => Err(err(format!(
                "config pyproject_extras names {x:?}, but there is no [project] table"
            ))),
            None => Ok(None),
        };
    };
    let project = project
        .as_table()
        .ok_or_else(|| err("[project] is not a table".into()))?;
    let mut lines: Vec<String> =
        string_list(project.get("dependencies"), "[project].dependencies").map_err(err)?;
    let optional = project.get("optional-dependencies");
    for extra in extras {
        let group = optional
            .and_then(|o| o.as_table())
            .and_then(|o| o.get(extra.as_str()))
            .ok_or_else(|| {
                err(format!(
                    "config pyproject_extras names {extra:?}, which [project.optional-dependencies] does not define"
                ))
            })?;
        let what = format!("[project.optional-dependencies].{extra}");
        lines.extend(string_list(Some(group), &what).map_err(err)?);
    }
    if lines.is_empty() && extras.is_empty() {
        return Ok(None);
    }
    let mut file = RequirementsFile::default();
    for line in lines {
        let location = Location {
            file: path.to_path_buf(),
            line: line_of(text, &line),
        };
        let requirement = crate::guard::requirement(&line).map_err(|e| {
            err(format!(
                "line {}: {line:?} is not a PEP 508 requirement: {e}",
                location.line
            ))
        })?;
        if requirement
            .version_or_url
            .as_ref()
            .is_some_and(|v| matches!(v, pep508_rs::VersionOrUrl::Url(_)))
        {
            return Err(err(format!(
                "line {}: {line:?} is a direct reference; grail reads those only from requirements.txt \
                 (set \"requirements_from\": \"requirements.txt\" in .chalice/config.json and list it there)",
                location.line
            )));
        }
        file.requirements.push(RequirementEntry {
            requirement,
            hashes: Vec::new(),
            url_hash: None,
            location,
            source: RequirementSource::Registry,
        });
    }
    Ok(Some(file))
}

/// The requirements input a project uses, decided by [`choose`].
#[derive(Debug)]
pub enum Chosen {
    /// requirements.txt (parse it as usual; it may be absent or empty),
    /// with a warning when pyproject.toml was set aside.
    RequirementsTxt(Option<String>),
    /// pyproject.toml's dependencies.
    Pyproject(RequirementsFile),
}

/// Decide between requirements.txt and pyproject.toml (see the module
/// table). `txt` is requirements.txt as parsed, when it lists a package.
/// Only an explicit `requirements_from = "pyproject.toml"` makes a broken
/// or empty pyproject.toml an error: in `Auto` mode grail does what
/// `chalice package` does (requirements.txt) and warns.
pub fn choose(
    project_dir: &Path,
    from: RequirementsFrom,
    extras: &[String],
    txt: Option<&RequirementsFile>,
) -> Result<Chosen, PyprojectError> {
    if from == RequirementsFrom::RequirementsTxt {
        return Ok(Chosen::RequirementsTxt(None));
    }
    let path = pyproject_path(project_dir);
    let py = match (from, read_pyproject(&path, extras)) {
        (RequirementsFrom::Pyproject, Err(e)) => return Err(e),
        (_, Err(e)) => {
            return Ok(Chosen::RequirementsTxt(Some(format!(
                "{e}; using requirements.txt, as `chalice package` does"
            ))))
        }
        (_, Ok(py)) => py,
    };
    match (from, py, txt) {
        (RequirementsFrom::Pyproject, None, _) => Err(PyprojectError {
            file: path,
            message: "requirements_from is \"pyproject.toml\", but it has no [project].dependencies".into(),
        }),
        (RequirementsFrom::Pyproject, Some(py), _) | (_, Some(py), None) => Ok(Chosen::Pyproject(py)),
        (_, None, _) => Ok(Chosen::RequirementsTxt(None)),
        (_, Some(py), Some(txt)) if same_requirements(txt, &py) => Ok(Chosen::RequirementsTxt(None)),
        (_, Some(_), Some(_)) => Ok(Chosen::RequirementsTxt(Some(format!(
            "{} ([project].dependencies) and {} list different requirements; using {}, as \
             `chalice package` does (to use pyproject.toml instead, set \"requirements_from\": \
             \"pyproject.toml\" in .chalice/config.json or pass --requirements-from pyproject.toml)",
            path.display(),
            super::requirements_path(project_dir).display(),
            super::requirements_path(project_dir).display()
        )))),
    }
}

/// The warning for a project whose requirements come from pyproject.toml.
pub fn chalice_ignores_pyproject_warning(r: &RequirementsFile) -> String {
    format!(
        "the {} requirements come from pyproject.toml ([project].dependencies): grail ships them, \
         but `chalice package` reads only requirements.txt and would ship none of them",
        r.requirements.len()
    )
}

/// A TOML array of strings (absent: empty).
fn string_list(v: Option<&toml::Value>, what: &str) -> Result<Vec<String>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v
        .as_array()
        .ok_or_else(|| format!("{what} is not an array of strings"))?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{what} holds {x}, not a string"))
        })
        .collect()
}

/// The 1-based line where `item` is written (quoted), for messages; 1 when
/// it cannot be found (an escaped or multi-line string).
fn line_of(text: &str, item: &str) -> usize {
    text.lines()
        .position(|l| l.contains(&format!("\"{item}\"")) || l.contains(&format!("'{item}'")))
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// Whether two requirement lists ask for the same thing (same requirements,
/// order and spelling aside).
pub fn same_requirements(a: &RequirementsFile, b: &RequirementsFile) -> bool {
    let key = |f: &RequirementsFile| {
        let mut v: Vec<String> = f
            .requirements
            .iter()
            .map(|e| e.requirement.to_string().replace(' ', ""))
            .collect();
        v.sort();
        v
    };
    a.constraints.is_empty() && key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, extras: &[&str]) -> Result<Option<RequirementsFile>, PyprojectError> {
        let extras: Vec<String> = extras.iter().map(|s| s.to_string()).collect();
        parse_pyproject(text, Path::new("pyproject.toml"), &extras)
    }

    #[test]
    fn no_project_table_or_no_dependencies_is_none() {
        assert!(parse("[tool.black]\nline-length = 100\n", &[])
            .unwrap()
            .is_none());
        assert!(parse("[project]\nname = \"x\"\n", &[]).unwrap().is_none());
        assert!(parse("[project]\ndependencies = []\n", &[])
            .unwrap()
            .is_none());
    }

    #[test]
    fn extras_add_their_group_and_unknown_ones_are_errors() {
        let text = "[project]\ndependencies = [\"six\"]\n[project.optional-dependencies]\nfast = [\"orjson\"]\n";
        let r = parse(text, &["fast"]).unwrap().unwrap();
        let names: Vec<&str> = r
            .requirements
            .iter()
            .map(|e| e.requirement.name.as_ref())
            .collect();
        assert_eq!(names, ["six", "orjson"]);
        let e = parse(text, &["slow"]).unwrap_err().to_string();
        assert!(
            e.contains("\"slow\"") && e.contains("does not define"),
            "{e}"
        );
    }

    #[test]
    fn bad_input_is_an_error_naming_the_file() {
        for (text, want) in [
            ("[project\n", "not valid TOML"),
            ("project = 1\n", "not a table"),
            ("[project]\ndependencies = \"six\"\n", "not an array"),
            ("[project]\ndependencies = [1]\n", "not a string"),
            ("[project]\ndependencies = [\"a-/\"]\n", "not a PEP 508"),
            (
                "[project]\ndependencies = [\"x @ https://h/x-1-py3-none-any.whl\"]\n",
                "direct reference",
            ),
        ] {
            let e = parse(text, &[]).unwrap_err().to_string();
            assert!(
                e.starts_with("pyproject.toml: ") && e.contains(want),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn same_requirements_ignores_order_and_spaces() {
        let a = parse("[project]\ndependencies = [\"six >= 1\", \"idna\"]\n", &[])
            .unwrap()
            .unwrap();
        let b = parse("[project]\ndependencies = [\"idna\", \"six>=1\"]\n", &[])
            .unwrap()
            .unwrap();
        let c = parse("[project]\ndependencies = [\"idna\"]\n", &[])
            .unwrap()
            .unwrap();
        assert!(same_requirements(&a, &b));
        assert!(!same_requirements(&a, &c));
    }
}

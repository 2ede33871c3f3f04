//! Resolver tests against an in-memory package source.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::str::FromStr;

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};

use super::*;
use crate::target::{Arch, PythonVersion};

/// One release in the in-memory index.
#[derive(Clone)]
struct Release {
    candidate: Candidate,
    requires: Vec<String>,
    extras: Vec<String>,
    metadata_requires_python: Option<String>,
}

impl Release {
    fn yanked(&mut self) -> &mut Self {
        self.candidate.yanked = true;
        self
    }
    fn no_wheel(&mut self, note: &str) -> &mut Self {
        self.candidate.has_compatible_wheel = false;
        self.candidate.incompatibility_note = Some(note.to_string());
        self
    }
    /// `Requires-Python` on the index page and in the metadata.
    fn requires_python(&mut self, spec: &str) -> &mut Self {
        self.candidate.requires_python = Some(VersionSpecifiers::from_str(spec).unwrap());
        self.metadata_requires_python = Some(spec.to_string());
        self
    }
    /// `Requires-Python` only in the metadata (index without PEP 503 data).
    fn metadata_requires_python(&mut self, spec: &str) -> &mut Self {
        self.metadata_requires_python = Some(spec.to_string());
        self
    }
    /// Published only as an sdist while other releases have wheels.
    fn sdist_only(&mut self) -> &mut Self {
        self.candidate.last_resort = true;
        self.candidate.sdist_only = true;
        self
    }
    fn extra(&mut self, extra: &str, requires: &[&str]) -> &mut Self {
        self.extras.push(extra.to_string());
        for r in requires {
            self.requires.push(format!("{r}; extra == \"{extra}\""));
        }
        self
    }
}

/// An in-memory index that records which metadata was fetched.
#[derive(Default)]
struct Mem {
    projects: BTreeMap<String, Vec<Release>>,
    metadata_calls: RefCell<Vec<String>>,
    prefetched: RefCell<Vec<String>>,
    failing: Option<String>,
    /// What `builds_sdists` answers.
    builds: bool,
    /// How often `builds_sdists` was asked.
    builds_asked: std::cell::Cell<u32>,
}

impl Mem {
    fn add(&mut self, name: &str, version: &str, requires: &[&str]) -> &mut Release {
        let list = self.projects.entry(name.to_string()).or_default();
        list.push(Release {
            candidate: Candidate::new(Version::from_str(version).unwrap()),
            requires: requires.iter().map(|s| s.to_string()).collect(),
            extras: Vec::new(),
            metadata_requires_python: None,
        });
        list.last_mut().unwrap()
    }

    fn fetched(&self, name: &str) -> bool {
        self.metadata_calls
            .borrow()
            .iter()
            .any(|c| c.starts_with(&format!("{name}==")))
    }
}

impl PackageSource for Mem {
    fn candidates(&self, name: &str) -> Result<Vec<Candidate>, SourceError> {
        if self.failing.as_deref() == Some(name) {
            return Err(SourceError::new("connection refused"));
        }
        Ok(self
            .projects
            .get(name)
            .map(|l| l.iter().map(|r| r.candidate.clone()).collect())
            .unwrap_or_default())
    }

    fn metadata(&self, name: &str, version: &Version) -> Result<CoreMetadata, SourceError> {
        self.metadata_calls
            .borrow_mut()
            .push(format!("{name}=={version}"));
        let release = self
            .projects
            .get(name)
            .and_then(|l| l.iter().find(|r| &r.candidate.version == version))
            .ok_or_else(|| SourceError::new(format!("{name} {version} not in the test index")))?;
        let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for r in &release.requires {
            text.push_str(&format!("Requires-Dist: {r}\n"));
        }
        for e in &release.extras {
            text.push_str(&format!("Provides-Extra: {e}\n"));
        }
        if let Some(rp) = &release.metadata_requires_python {
            text.push_str(&format!("Requires-Python: {rp}\n"));
        }
        CoreMetadata::parse(text.as_bytes()).map_err(SourceError::new)
    }

    fn prefetch_candidates(&self, names: &[String]) {
        let mut p = self.prefetched.borrow_mut();
        p.extend(names.iter().map(|n| format!("candidates {n}")));
    }

    fn prefetch_metadata(&self, items: &[(String, Version)]) {
        let mut p = self.prefetched.borrow_mut();
        p.extend(items.iter().map(|(n, v)| format!("metadata {n}=={v}")));
    }

    fn builds_sdists(&self) -> bool {
        self.builds_asked.set(self.builds_asked.get() + 1);
        self.builds
    }
}

fn request(python: (u8, u8), arch: Arch, lines: &[&str]) -> ResolveRequest {
    let target = LambdaTarget::new(PythonVersion::new(python.0, python.1), arch);
    let mut req = ResolveRequest::new(&target);
    for (i, line) in lines.iter().enumerate() {
        req.requirements
            .push(RootRequirement::parse(line, &format!("requirements.txt:{}", i + 1)).unwrap());
    }
    req
}

fn req312(lines: &[&str]) -> ResolveRequest {
    request((3, 12), Arch::X86_64, lines)
}

fn v(s: &str) -> Version {
    Version::from_str(s).unwrap()
}

/// `name==version` of every shipped or vendored package.
fn pins(res: &Resolution) -> Vec<String> {
    res.packages
        .iter()
        .map(|p| match &p.version {
            Some(v) => format!("{}=={v}", p.name),
            None => p.name.clone(),
        })
        .collect()
}

fn package<'r>(res: &'r Resolution, name: &str) -> &'r ResolvedPackage {
    res.packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not in {:?}", pins(res)))
}

fn excluded<'r>(res: &'r Resolution, name: &str) -> &'r Excluded {
    res.excluded
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not in excluded {:?}", res.excluded))
}

fn explanation(err: ResolveError) -> String {
    assert_eq!(err.exit_kind(), ExitKind::Dependencies);
    eprintln!("----\n{err}");
    match err {
        ResolveError::NoSolution { explanation } => explanation,
        other => panic!("expected NoSolution, got {other}"),
    }
}

fn requests_index() -> Mem {
    let mut m = Mem::default();
    m.add(
        "requests",
        "2.31.0",
        &["urllib3<3,>=1.21.1", "idna<4,>=2.5", "certifi>=2017.4.17"],
    );
    m.add(
        "requests",
        "2.32.3",
        &[
            "urllib3<3,>=1.21.1",
            "idna<4,>=2.5",
            "certifi>=2017.4.17",
            "charset_normalizer<4,>=2",
        ],
    );
    m.add("urllib3", "1.26.20", &[]);
    m.add("urllib3", "2.2.3", &[]);
    m.add("urllib3", "3.0.0", &[]);
    m.add("idna", "3.10", &[]);
    m.add("certifi", "2024.8.30", &[]);
    m.add("charset-normalizer", "3.4.0", &[]);
    m
}

#[test]
fn basic_transitive_resolution_with_required_by() {
    let mut m = requests_index();
    m.add("app-lib", "1.0", &["urllib3<2"]);
    let res = resolve(&req312(&["requests", "App_Lib"]), &m).unwrap();
    assert_eq!(
        pins(&res),
        [
            "app-lib==1.0",
            "certifi==2024.8.30",
            "charset-normalizer==3.4.0",
            "idna==3.10",
            "requests==2.32.3",
            "urllib3==1.26.20",
        ]
    );
    assert_eq!(
        package(&res, "requests").required_by,
        ["<requirements.txt>"]
    );
    assert_eq!(
        package(&res, "urllib3").required_by,
        ["app-lib", "requests"]
    );
    assert_eq!(
        package(&res, "charset-normalizer").required_by,
        ["requests"]
    );
    assert!(res
        .packages
        .iter()
        .all(|p| p.origin == PackageOrigin::Index));
    assert!(res.excluded.is_empty());
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);
}

#[test]
fn markers_follow_the_target() {
    let mut m = Mem::default();
    m.add(
        "a",
        "1.0",
        &[
            "win; sys_platform == 'win32'",
            "old; python_version < '3.12'",
            "arm; platform_machine == 'aarch64'",
            "intel; platform_machine == 'x86_64'",
            "cpy; platform_python_implementation == 'CPython' and sys_platform == 'linux'",
        ],
    );
    for n in ["win", "old", "arm", "intel", "cpy", "rootonly"] {
        m.add(n, "1.0", &[]);
    }
    let lines = ["a", "rootonly; python_version >= '3.12'"];
    let x86 = resolve(&request((3, 12), Arch::X86_64, &lines), &m).unwrap();
    assert_eq!(
        pins(&x86),
        ["a==1.0", "cpy==1.0", "intel==1.0", "rootonly==1.0"]
    );
    let arm = resolve(&request((3, 11), Arch::Arm64, &lines), &m).unwrap();
    assert_eq!(pins(&arm), ["a==1.0", "arm==1.0", "cpy==1.0", "old==1.0"]);
}

#[test]
fn extras_at_the_root_and_extras_of_extras() {
    let mut m = Mem::default();
    m.add("a", "1.0", &["base"])
        .extra("x", &["b[y]>=1", "a[z]"])
        .extra("z", &["zdep"])
        .extra("unused", &["never"]);
    m.add("b", "1.0", &[]).extra("y", &["c"]);
    m.add("b", "2.0", &[]).extra("y", &["c", "d"]);
    for n in ["base", "c", "d", "zdep", "never"] {
        m.add(n, "1.0", &[]);
    }
    let res = resolve(&req312(&["a[x]"]), &m).unwrap();
    assert_eq!(
        pins(&res),
        [
            "a==1.0",
            "b==2.0",
            "base==1.0",
            "c==1.0",
            "d==1.0",
            "zdep==1.0"
        ]
    );
    assert_eq!(package(&res, "a").extras, ["x", "z"]);
    assert_eq!(package(&res, "b").extras, ["y"]);
    assert_eq!(package(&res, "b").required_by, ["a"]);
    assert_eq!(package(&res, "c").required_by, ["b"]);
    assert_eq!(package(&res, "zdep").required_by, ["a"]);

    let plain = resolve(&req312(&["a"]), &m).unwrap();
    assert_eq!(pins(&plain), ["a==1.0", "base==1.0"]);
    assert!(package(&plain, "a").extras.is_empty());
}

#[test]
fn missing_extra_is_a_warning() {
    let mut m = Mem::default();
    m.add("a", "1.0", &[]);
    let res = resolve(&req312(&["a[nope]"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==1.0"]);
    assert!(
        res.warnings[0].contains("does not provide the extra \"nope\""),
        "{:?}",
        res.warnings
    );
}

#[test]
fn requires_python_skips_versions() {
    let mut m = Mem::default();
    m.add("a", "1.0", &[]);
    m.add("a", "2.0", &[]).requires_python(">=3.13");
    m.add("b", "1.0", &[]);
    // Only the metadata knows: the resolver must back off after reading it.
    m.add("b", "2.0", &[]).metadata_requires_python(">=3.13");
    let res = resolve(&req312(&["a", "b"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==1.0", "b==1.0"]);
    assert!(!m.fetched("a==2.0"), "filtered before fetching metadata");
    let on313 = resolve(&request((3, 13), Arch::X86_64, &["a", "b"]), &m).unwrap();
    assert_eq!(pins(&on313), ["a==2.0", "b==2.0"]);

    let err = resolve(&req312(&["a>=2"]), &m).unwrap_err();
    let text = explanation(err);
    assert!(text.contains("2.0: requires Python >=3.13"), "{text}");
}

#[test]
fn yanked_versions_only_when_pinned() {
    let mut m = Mem::default();
    m.add("a", "1.0", &[]);
    m.add("a", "2.0", &[]).yanked();
    let res = resolve(&req312(&["a"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==1.0"]);
    let res = resolve(&req312(&["a==2.0"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==2.0"]);
    let text = explanation(resolve(&req312(&["a>1"]), &m).unwrap_err());
    assert!(text.contains("2.0: yanked"), "{text}");
}

#[test]
fn pre_releases_only_when_asked_named_or_alone() {
    let mut m = Mem::default();
    m.add("a", "1.0", &[]);
    m.add("a", "2.0rc1", &[]);
    m.add("onlypre", "0.1b1", &[]);
    m.add("onlypre", "0.1b2", &[]);
    let res = resolve(&req312(&["a", "onlypre"]), &m).unwrap();
    assert_eq!(
        pins(&res),
        ["a==1.0", "onlypre==0.1b2"],
        "pip falls back to pre-releases"
    );
    let res = resolve(&req312(&["a>=2.0rc1"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==2.0rc1"]);
    let res = resolve(&req312(&["a==2.0rc1"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==2.0rc1"]);
    let mut pre = req312(&["a"]);
    pre.pre = true;
    assert_eq!(pins(&resolve(&pre, &m).unwrap()), ["a==2.0rc1"]);
    // `<2` does not admit 2.0rc1 (PEP 440), even with --pre.
    let mut pre = req312(&["a<2"]);
    pre.pre = true;
    assert_eq!(pins(&resolve(&pre, &m).unwrap()), ["a==1.0"]);
}

#[test]
fn only_versions_with_a_compatible_wheel() {
    let mut m = Mem::default();
    m.add("numpy", "2.2.6", &[]);
    m.add("numpy", "2.3.5", &[])
        .no_wheel("only manylinux_2_28_x86_64 wheels (python3.11 has glibc 2.26)");
    m.add("numpy", "2.4.6", &[])
        .no_wheel("only manylinux_2_28_x86_64 wheels (python3.11 has glibc 2.26)");
    m.add("pandas", "2.3.3", &["numpy>=1.23.2"]);
    let on311 = request((3, 11), Arch::X86_64, &["pandas"]);
    let res = resolve(&on311, &m).unwrap();
    assert_eq!(pins(&res), ["numpy==2.2.6", "pandas==2.3.3"]);
    assert!(!m.fetched("numpy==2.4.6"));

    let err = resolve(&request((3, 11), Arch::X86_64, &["numpy>=2.3"]), &m).unwrap_err();
    let text = explanation(err);
    assert!(
        text.contains(
            "no version of numpy >=2.3 has a wheel compatible with python3.11 x86_64 \
             (newest: 2.4.6, only manylinux_2_28_x86_64 wheels"
        ),
        "{text}"
    );
    assert!(
        text.contains("requirements.txt:1 asks for numpy>=2.3"),
        "{text}"
    );
}

#[test]
fn unsatisfiable_set_names_the_chain() {
    let mut m = Mem::default();
    m.add("a", "1.0", &[]);
    m.add("a", "2.0", &[]);
    m.add("b", "1.0", &["a>=2"]);
    m.add("b", "1.1", &["a>=2"]);
    let err = resolve(&req312(&["a==1.0", "b"]), &m).unwrap_err();
    let text = explanation(err);
    assert!(
        text.starts_with("the requirements cannot be satisfied for python3.12 x86_64:"),
        "{text}"
    );
    assert!(
        text.contains("requirements.txt:1 asks for a==1.0"),
        "{text}"
    );
    assert!(text.contains("requirements.txt:2 asks for b"), "{text}");
    assert!(text.contains("b depends on a >=2"), "{text}");
    assert!(!text.contains("cannot all hold"), "{text}");
}

#[test]
fn unknown_project_is_explained() {
    let m = Mem::default();
    let text = explanation(resolve(&req312(&["nosuchthing"]), &m).unwrap_err());
    assert!(
        text.contains("nosuchthing was not found on the package index"),
        "{text}"
    );
}

#[test]
fn source_errors_pass_through_with_the_package() {
    let mut m = requests_index();
    m.failing = Some("idna".to_string());
    let err = resolve(&req312(&["requests"]), &m).unwrap_err();
    assert_eq!(err.exit_kind(), ExitKind::Dependencies);
    let text = err.to_string();
    assert!(
        text.contains("idna") && text.contains("connection refused"),
        "{text}"
    );
    assert!(matches!(err, ResolveError::Source { ref package, .. } if package == "idna"));
}

#[test]
fn vendor_packages_are_fixed_inputs() {
    let mut m = requests_index();
    m.add("uses-mylib", "1.0", &["mylib>=1"]);
    let mut req = req312(&["requests", "uses-mylib", "MyLib"]);
    req.fixed.push(FixedPackage {
        name: "MyLib".into(),
        version: Some(v("1.2")),
        kind: FixedKind::Vendor,
    });
    let res = resolve(&req, &m).unwrap();
    let mylib = package(&res, "mylib");
    assert_eq!(mylib.origin, PackageOrigin::Vendor);
    assert_eq!(mylib.version, Some(v("1.2")));
    assert_eq!(mylib.required_by, ["<requirements.txt>", "uses-mylib"]);
    assert!(!m.fetched("mylib"), "vendor dependencies are not expanded");

    let mut bad = req312(&["mylib>=2"]);
    bad.fixed = req.fixed.clone();
    let text = explanation(resolve(&bad, &m).unwrap_err());
    assert!(
        text.contains("vendor/ provides mylib 1.2, which does not match >=2"),
        "{text}"
    );
    assert!(
        text.contains("mylib is fixed at 1.2 by vendor/, but:\n  requirements.txt:1 mylib>=2\n"),
        "{text}"
    );
}

#[test]
fn versionless_vendor_satisfies_anything() {
    let m = Mem::default();
    let mut req = req312(&["mylib>=5"]);
    req.fixed.push(FixedPackage {
        name: "mylib".into(),
        version: None,
        kind: FixedKind::Vendor,
    });
    let res = resolve(&req, &m).unwrap();
    assert_eq!(pins(&res), ["mylib"]);
    assert_eq!(package(&res, "mylib").origin, PackageOrigin::Vendor);
}

const ARN: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";

/// An index with pandas and its dependency tree, plus alpaca-py.
fn pandas_index() -> Mem {
    let mut m = Mem::default();
    m.add(
        "pandas",
        "1.5.3",
        &["numpy>=1.21", "python-dateutil>=2.8.1", "pytz>=2020.1"],
    );
    m.add(
        "pandas",
        "3.0.3",
        &["numpy>=1.26", "python-dateutil>=2.8.2", "tzdata"],
    )
    .extra("excel", &["openpyxl>=3.1"]);
    m.add("numpy", "1.26.4", &[]);
    m.add("numpy", "2.2.6", &[]);
    m.add("python-dateutil", "2.9.0", &["six>=1.5"]);
    m.add("six", "1.17.0", &[]);
    m.add("pytz", "2024.2", &[]);
    m.add("tzdata", "2025.1", &[]);
    m.add("openpyxl", "3.1.5", &["et-xmlfile"]);
    m.add("et-xmlfile", "2.0.0", &[]);
    m.add("alpaca-py", "0.21.1", &["pandas<2", "msgpack"]);
    m.add("alpaca-py", "0.30.0", &["pandas>=1.5", "msgpack"]);
    m.add("msgpack", "1.1.0", &[]);
    m
}

fn layer(req: &mut ResolveRequest) {
    for (name, version) in [("pandas", "3.0.3"), ("numpy", "2.2.6")] {
        req.fixed.push(FixedPackage {
            name: name.into(),
            version: Some(v(version)),
            kind: FixedKind::Layer { arn: ARN.into() },
        });
    }
}

#[test]
fn layer_pin_is_not_shipped_and_followed_through_the_layers_version() {
    let m = pandas_index();
    let mut req = req312(&["alpaca-py"]);
    layer(&mut req);
    req.what_if = false;
    let res = resolve(&req, &m).unwrap();
    // pandas 3.0.3 (the layer's) needs python-dateutil (the python3.12
    // runtime has it) and tzdata (nobody has it: shipped, with a warning).
    assert_eq!(
        pins(&res),
        ["alpaca-py==0.30.0", "msgpack==1.1.0", "tzdata==2025.1"]
    );
    assert_eq!(package(&res, "tzdata").required_by, ["pandas"]);
    let broken = res
        .warnings
        .iter()
        .find(|w| w.contains("is broken for python3.12"))
        .unwrap_or_else(|| panic!("{:?}", res.warnings));
    assert!(
        broken.contains(ARN)
            && broken.contains("its pandas 3.0.3 needs tzdata")
            && broken.contains("the python3.12 runtime (/var/runtime)")
            && broken.contains("grail ships tzdata 2025.1 in the zip"),
        "{broken}"
    );
    let pandas = excluded(&res, "pandas");
    assert_eq!(pandas.reason, ExcludeReason::Layer);
    assert_eq!(pandas.version, Some(v("3.0.3")));
    assert_eq!(pandas.provided_by.as_deref(), Some(ARN));
    assert_eq!(pandas.required_by, ["alpaca-py"]);
    let numpy = excluded(&res, "numpy");
    assert_eq!(
        (numpy.reason, numpy.required_by.clone()),
        (ExcludeReason::Layer, vec!["pandas".to_string()])
    );
    let dateutil = excluded(&res, "python-dateutil");
    assert_eq!(dateutil.reason, ExcludeReason::RuntimeForLayer);
    assert_eq!(dateutil.version, None, "no published floor");
    assert_eq!(dateutil.required_by, ["pandas"]);
    assert!(m.fetched("pandas"), "the layer's version is read");
    assert!(
        m.fetched("numpy"),
        "the layer's numpy 2.2.6 is followed too"
    );
    assert!(
        !m.fetched("python-dateutil"),
        "the runtime's own packages are not expanded: {:?}",
        m.metadata_calls.borrow()
    );
    assert_eq!(res.excluded.len(), 3, "{:?}", res.excluded);
}

#[test]
fn what_if_keeps_layer_pins_and_lists_the_runtime() {
    let m = pandas_index();
    let mut req = req312(&["alpaca-py"]);
    layer(&mut req);
    let res = resolve(&req, &m).unwrap();
    assert_eq!(
        pins(&res),
        ["alpaca-py==0.30.0", "msgpack==1.1.0", "tzdata==2025.1"]
    );
    let names: Vec<(&str, &str)> = res
        .excluded
        .iter()
        .map(|e| (e.name.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("numpy", "layer"),
            ("pandas", "layer"),
            ("python-dateutil", "runtime-for-layer"),
        ]
    );
    let numpy = excluded(&res, "numpy");
    assert_eq!(numpy.version, Some(v("2.2.6")));
    assert_eq!(numpy.provided_by.as_deref(), Some(ARN));
    assert_eq!(numpy.required_by, ["pandas"]);
    // The release that would ship is read, for the bytes saved.
    assert!(m.fetched("python-dateutil"));
}

#[test]
fn dependency_shared_by_layer_package_and_app_stays() {
    let m = pandas_index();
    let mut req = req312(&["alpaca-py", "python-dateutil"]);
    layer(&mut req);
    let res = resolve(&req, &m).unwrap();
    assert!(pins(&res).contains(&"python-dateutil==2.9.0".to_string()));
    // The zip's copy comes first on sys.path: the layer's pandas uses it.
    assert_eq!(
        package(&res, "python-dateutil").required_by,
        ["<requirements.txt>", "pandas"]
    );
    assert!(res.excluded.iter().all(|e| e.name != "python-dateutil"));
}

#[test]
fn a_layer_package_reached_only_through_the_layer_is_walked() {
    let mut m = pandas_index();
    m.add("python-dateutil", "2.8.2", &["six>=1.5"]);
    let mut req = req312(&["alpaca-py"]);
    layer(&mut req);
    for (name, version) in [("python-dateutil", "2.8.2"), ("tzdata", "2025.1")] {
        req.fixed.push(FixedPackage {
            name: name.into(),
            version: Some(v(version)),
            kind: FixedKind::Layer { arn: ARN.into() },
        });
    }
    let res = resolve(&req, &m).unwrap();
    assert_eq!(pins(&res), ["alpaca-py==0.30.0", "msgpack==1.1.0"]);
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);
    // The layer's python-dateutil 2.8.2 is read (not the index's 2.9.0),
    // and its six comes from the runtime.
    assert!(
        m.fetched("python-dateutil")
            && !m
                .metadata_calls
                .borrow()
                .contains(&"python-dateutil==2.9.0".to_string())
    );
    let dateutil = excluded(&res, "python-dateutil");
    assert_eq!(
        (dateutil.reason, dateutil.version.clone()),
        (ExcludeReason::Layer, Some(v("2.8.2")))
    );
    let six = excluded(&res, "six");
    assert_eq!(six.reason, ExcludeReason::RuntimeForLayer);
    assert_eq!(six.required_by, ["python-dateutil"]);
}

#[test]
fn a_runtime_floor_above_what_a_layer_package_allows_is_a_warning() {
    let mut m = pandas_index();
    m.add("awswrangler", "3.17.0", &["pandas", "botocore<1.30"]);
    m.add("botocore", "1.29.0", &[]);
    let mut req = req312(&["awswrangler"]);
    layer(&mut req);
    req.fixed.push(FixedPackage {
        name: "awswrangler".into(),
        version: Some(v("3.17.0")),
        kind: FixedKind::Layer { arn: ARN.into() },
    });
    req.what_if = false;
    let res = resolve(&req, &m).unwrap();
    assert_eq!(
        excluded(&res, "botocore").reason,
        ExcludeReason::RuntimeForLayer
    );
    assert_eq!(excluded(&res, "botocore").version, Some(v("1.38.36")));
    let w = res
        .warnings
        .iter()
        .find(|w| w.contains("botocore<1.30"))
        .unwrap_or_else(|| panic!("{:?}", res.warnings));
    assert!(
        w.contains("has botocore 1.38.36 or newer (as of 2025-08-22)"),
        "{w}"
    );
}

#[test]
fn runtime_provided_keeps_its_reason_under_a_layer() {
    let m = pandas_index();
    let mut req = req312(&["alpaca-py"]);
    layer(&mut req);
    req.fixed.push(FixedPackage {
        name: "python-dateutil".into(),
        version: None,
        kind: FixedKind::Runtime,
    });
    let res = resolve(&req, &m).unwrap();
    assert_eq!(
        excluded(&res, "python-dateutil").reason,
        ExcludeReason::Runtime
    );
}

#[test]
fn layer_conflict_names_the_chain_and_the_layer() {
    let m = pandas_index();
    let mut req = req312(&["alpaca-py==0.21.1"]);
    layer(&mut req);
    let text = explanation(resolve(&req, &m).unwrap_err());
    assert!(
        text.contains(&format!(
            "pandas is fixed at 3.0.3 by the layer {ARN}, but:"
        )),
        "{text}"
    );
    assert!(
        text.contains("requirements.txt:1 alpaca-py==0.21.1 → pandas <2"),
        "{text}"
    );
    assert!(text.contains("--allow-shadow"), "{text}");
}

#[test]
fn allow_shadow_ships_the_users_version_with_a_warning() {
    let m = pandas_index();
    let mut req = req312(&["alpaca-py==0.21.1"]);
    layer(&mut req);
    req.allow_shadow = true;
    let res = resolve(&req, &m).unwrap();
    assert_eq!(
        pins(&res),
        [
            "alpaca-py==0.21.1",
            "msgpack==1.1.0",
            "pandas==1.5.3",
            "python-dateutil==2.9.0",
            "pytz==2024.2",
            "six==1.17.0",
        ]
    );
    assert!(
        res.warnings
            .iter()
            .any(|w| w.contains("shipping pandas 1.5.3")
                && w.contains(ARN)
                && w.contains("/var/task")),
        "{:?}",
        res.warnings
    );
    // numpy still comes from the layer: 2.2.6 satisfies pandas 1.5.3's >=1.21.
    assert_eq!(excluded(&res, "numpy").reason, ExcludeReason::Layer);
    assert!(res.excluded.iter().all(|e| e.name != "pandas"));
}

#[test]
fn extras_of_a_layer_package_are_resolved() {
    let m = pandas_index();
    let mut req = req312(&["pandas[excel]>=2"]);
    layer(&mut req);
    req.what_if = false;
    let res = resolve(&req, &m).unwrap();
    // tzdata: the layer's pandas needs it and nobody provides it.
    assert_eq!(
        pins(&res),
        ["et-xmlfile==2.0.0", "openpyxl==3.1.5", "tzdata==2025.1"]
    );
    assert_eq!(package(&res, "openpyxl").required_by, ["pandas"]);
    assert_eq!(excluded(&res, "pandas").reason, ExcludeReason::Layer);
}

fn boto_index() -> Mem {
    let mut m = requests_index();
    m.add(
        "boto3",
        "1.35.0",
        &["botocore>=1.35,<1.36", "s3transfer", "jmespath"],
    );
    m.add(
        "botocore",
        "1.35.0",
        &["urllib3>=1.25.4,<3", "jmespath", "python-dateutil"],
    );
    m.add("s3transfer", "0.10.0", &["botocore>=1.33"]);
    m.add("jmespath", "1.0.1", &[]);
    m.add("python-dateutil", "2.9.0", &["six>=1.5"]);
    m.add("six", "1.17.0", &[]);
    m
}

#[test]
fn exclude_packages_and_only_needed_by_excluded() {
    let m = boto_index();
    let mut req = req312(&["boto3>=99", "requests"]);
    req.fixed.push(FixedPackage {
        name: "boto3".into(),
        version: None,
        kind: FixedKind::Excluded,
    });
    // The `>=99` specifier is never checked: exclude_packages is unconditional
    // in the main resolution, and the what-if run cannot satisfy it.
    let res = resolve(&req, &m).unwrap();
    assert!(res
        .warnings
        .iter()
        .any(|w| w.contains("excluded list is incomplete")));
    assert_eq!(
        excluded(&res, "boto3").reason,
        ExcludeReason::ExcludePackages
    );

    let mut req = req312(&["boto3", "requests"]);
    req.fixed.push(FixedPackage {
        name: "boto3".into(),
        version: None,
        kind: FixedKind::Excluded,
    });
    let res = resolve(&req, &m).unwrap();
    assert!(
        pins(&res).contains(&"urllib3==2.2.3".to_string()),
        "shared with requests"
    );
    assert!(res
        .packages
        .iter()
        .all(|p| p.name != "boto3" && p.name != "botocore"));
    let reasons: Vec<(&str, &str)> = res
        .excluded
        .iter()
        .map(|e| (e.name.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("boto3", "exclude_packages"),
            ("botocore", "only-needed-by-excluded"),
            ("jmespath", "only-needed-by-excluded"),
            ("python-dateutil", "only-needed-by-excluded"),
            ("s3transfer", "only-needed-by-excluded"),
            ("six", "only-needed-by-excluded"),
        ]
    );
    assert_eq!(excluded(&res, "boto3").required_by, ["<requirements.txt>"]);
    // The version that would have shipped (its wheel is the bytes saved).
    assert_eq!(excluded(&res, "boto3").version, Some(v("1.35.0")));
    assert_eq!(excluded(&res, "botocore").version, Some(v("1.35.0")));
    assert_eq!(
        excluded(&res, "jmespath").required_by,
        ["boto3", "botocore"]
    );
}

#[test]
fn runtime_provided_without_version() {
    let m = boto_index();
    let mut req = req312(&["boto3"]);
    for n in ["boto3", "botocore", "jmespath"] {
        req.fixed.push(FixedPackage {
            name: n.into(),
            version: None,
            kind: FixedKind::Runtime,
        });
    }
    let res = resolve(&req, &m).unwrap();
    assert!(res.packages.is_empty(), "{:?}", pins(&res));
    let boto3 = excluded(&res, "boto3");
    assert_eq!(boto3.reason, ExcludeReason::Runtime);
    assert_eq!(boto3.version, None);
    assert_eq!(excluded(&res, "botocore").reason, ExcludeReason::Runtime);
    assert_eq!(
        excluded(&res, "s3transfer").reason,
        ExcludeReason::OnlyNeededByExcluded
    );
}

#[test]
fn constraints_narrow_but_do_not_add() {
    let m = requests_index();
    let mut req = req312(&["requests"]);
    req.constraints = vec![
        Requirement::from_str("urllib3<2").unwrap(),
        Requirement::from_str("not-required==1.0").unwrap(),
    ];
    let res = resolve(&req, &m).unwrap();
    assert!(pins(&res).contains(&"urllib3==1.26.20".to_string()));
    assert!(res.packages.iter().all(|p| p.name != "not-required"));
}

#[test]
fn exclude_reason_round_trips() {
    for r in [
        ExcludeReason::Layer,
        ExcludeReason::Runtime,
        ExcludeReason::ExcludePackages,
        ExcludeReason::OnlyNeededByExcluded,
        ExcludeReason::RuntimeForLayer,
    ] {
        assert_eq!(r.to_string().parse::<ExcludeReason>().unwrap(), r);
    }
    let err = "Layer".parse::<ExcludeReason>().unwrap_err();
    assert_eq!(err.input, "Layer");
}

#[test]
fn backtracks_to_an_older_release() {
    let mut m = Mem::default();
    m.add("a", "1.0", &["b>=1"]);
    m.add("a", "2.0", &["b<1"]);
    m.add("b", "0.5", &[]).no_wheel("only win_amd64 wheels");
    m.add("b", "1.2", &[]);
    let res = resolve(&req312(&["a"]), &m).unwrap();
    assert_eq!(pins(&res), ["a==1.0", "b==1.2"]);
}

#[test]
fn prefetch_hooks_announce_the_next_fetches() {
    let m = requests_index();
    resolve(&req312(&["requests"]), &m).unwrap();
    let p = m.prefetched.borrow();
    assert!(p.contains(&"candidates urllib3".to_string()), "{p:?}");
    assert!(p.contains(&"metadata urllib3==2.2.3".to_string()), "{p:?}");
    assert!(p.contains(&"metadata idna==3.10".to_string()), "{p:?}");
}

#[test]
fn runtime_conflict_can_be_shadowed() {
    let m = boto_index();
    let mut req = req312(&["botocore>=1.35"]);
    req.fixed.push(FixedPackage {
        name: "botocore".into(),
        version: Some(v("1.34.0")),
        kind: FixedKind::Runtime,
    });
    let text = explanation(resolve(&req, &m).unwrap_err());
    assert!(
        text.contains("botocore is fixed at 1.34.0 by the Lambda runtime, but:"),
        "{text}"
    );
    req.allow_shadow = true;
    let res = resolve(&req, &m).unwrap();
    assert!(pins(&res).contains(&"botocore==1.35.0".to_string()));
    assert!(
        res.warnings[0].contains("the runtime's own packages"),
        "{:?}",
        res.warnings
    );
}

#[test]
fn errors_carry_exit_code_2() {
    let m = Mem::default();
    let err = resolve(&req312(&["nosuchthing"]), &m).unwrap_err();
    let err: crate::error::Failure = err.into();
    assert_eq!(err.kind.code(), 2);
}

#[test]
fn layer_conflict_through_a_deeper_chain() {
    let mut m = pandas_index();
    m.add("strategy-kit", "0.3", &["alpaca-py<0.22"]);
    let mut req = req312(&[
        "requests-free-app-lib==0.0.1; python_version < '3'",
        "strategy-kit",
    ]);
    layer(&mut req);
    let text = explanation(resolve(&req, &m).unwrap_err());
    assert!(
        text.contains("requirements.txt:2 strategy-kit → alpaca-py <0.22 → pandas <2"),
        "{text}"
    );
}

/// A release published only as an sdist is taken only when the range needs
/// it (a pin), never over a release with a wheel; a pin with no usable file
/// is named as the pinned release, not "newest".
#[test]
fn last_resort_releases_only_when_the_range_needs_them() {
    let mut m = Mem::default();
    m.add("twilio", "6.45.3", &[]).sdist_only();
    m.add("twilio", "6.50.0", &[]);
    m.add("twilio", "7.0.0", &[]).sdist_only();
    let res = resolve(&request((3, 12), Arch::X86_64, &["twilio"]), &m).unwrap();
    assert_eq!(pins(&res), ["twilio==6.50.0"]);
    assert!(
        res.warnings.iter().any(|w| w.contains(
            "twilio: shipping 6.50.0, the newest release with a wheel for the target; 7.0.0 is \
             published only as an sdist"
        )),
        "{:?}",
        res.warnings
    );
    assert!(!m.fetched("twilio==7.0.0"));
    let res = resolve(&request((3, 12), Arch::X86_64, &["twilio==6.45.3"]), &m).unwrap();
    assert_eq!(pins(&res), ["twilio==6.45.3"]);
    let res = resolve(&request((3, 12), Arch::X86_64, &["twilio>6.50"]), &m).unwrap();
    assert_eq!(pins(&res), ["twilio==7.0.0"]);

    m.add("pyyaml", "5.3.1", &[]).no_wheel("Windows wheel");
    m.add("pyyaml", "6.0.2", &[]);
    let err = resolve(&request((3, 12), Arch::X86_64, &["pyyaml==5.3.1"]), &m).unwrap_err();
    let text = explanation(err);
    assert!(
        text.contains("has a wheel compatible with python3.12 x86_64 (5.3.1: Windows wheel)"),
        "{text}"
    );
    assert!(!text.contains("newest"), "{text}");
}

/// When the source can build sdists (an interpreter is there), an sdist-only
/// release competes on version alone, as pip chooses (lambdabot's
/// `atomicwrites` 1.4.1 over 1.4.0), under the same Requires-Python, yanked
/// and pre-release rules; one that failed to build before is a last resort
/// again, with no "published only as an sdist" advice (the caller explains).
#[test]
fn newest_sdist_only_release_wins_when_the_source_builds() {
    let mut m = Mem {
        builds: true,
        ..Mem::default()
    };
    m.add("atomicwrites", "1.3.0", &[]).sdist_only();
    m.add("atomicwrites", "1.4.0", &[]);
    m.add("atomicwrites", "1.4.1", &["six"]).sdist_only();
    m.add("atomicwrites", "1.5.0rc1", &[]).sdist_only();
    m.add("atomicwrites", "1.6.0", &[]).sdist_only().yanked();
    m.add("atomicwrites", "1.7.0", &[])
        .sdist_only()
        .requires_python(">=3.13");
    m.add("six", "1.17.0", &[]);
    let res = resolve(&req312(&["atomicwrites"]), &m).unwrap();
    assert_eq!(pins(&res), ["atomicwrites==1.4.1", "six==1.17.0"]);
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);

    let mut req = req312(&["atomicwrites"]);
    req.unbuildable
        .push(("atomicwrites".to_string(), v("1.4.1")));
    let res = resolve(&req, &m).unwrap();
    assert_eq!(pins(&res), ["atomicwrites==1.4.0"]);
    assert!(res.warnings.is_empty(), "{:?}", res.warnings);
    // Still taken when the range needs exactly that release.
    req.requirements = req312(&["atomicwrites==1.4.1"]).requirements;
    let res = resolve(&req, &m).unwrap();
    assert_eq!(pins(&res), ["atomicwrites==1.4.1", "six==1.17.0"]);

    // Without a builder: the release with a wheel, and the advice.
    m.builds = false;
    let res = resolve(&req312(&["atomicwrites"]), &m).unwrap();
    assert_eq!(pins(&res), ["atomicwrites==1.4.0"]);
    assert!(
        res.warnings.iter().any(|w| w.contains(
            "atomicwrites: shipping 1.4.0, the newest release with a wheel for the target; \
             1.4.1 is published only as an sdist"
        )),
        "{:?}",
        res.warnings
    );
}

/// Whether the source can build is asked only when an sdist-only release
/// could be chosen: a slow interpreter probe stays off the common path.
#[test]
fn builds_sdists_is_asked_only_when_it_matters() {
    let mut m = requests_index();
    m.builds = true;
    resolve(&req312(&["requests"]), &m).unwrap();
    assert_eq!(m.builds_asked.get(), 0);
    m.add("idna", "4.0", &[]).sdist_only();
    let res = resolve(&req312(&["requests", "idna>=3"]), &m).unwrap();
    assert!(m.builds_asked.get() >= 1);
    assert!(
        pins(&res).contains(&"idna==3.10".to_string()),
        "{:?}",
        pins(&res)
    );
}

/// Old releases published only as sdists (most projects have some) and an
/// sdist-only pre-release newer than the pick do not make resolution ask
/// either: the newest final release with a wheel wins whatever the answer.
#[test]
fn older_sdist_only_releases_and_pre_releases_do_not_ask() {
    let mut m = requests_index();
    m.builds = true;
    m.add("idna", "2.6", &[]).sdist_only();
    m.add("idna", "3.11rc1", &[]).sdist_only();
    let res = resolve(&req312(&["requests"]), &m).unwrap();
    assert_eq!(m.builds_asked.get(), 0);
    assert!(
        pins(&res).contains(&"idna==3.10".to_string()),
        "{:?}",
        pins(&res)
    );
}

/// A release whose metadata is invalid (chalice 1.15.0 says
/// `Requires-Dist: pyyaml (<6.0.0wheel,>=5.3.1)`) is skipped with a warning
/// and an older one is used, as pip 24.1 and later do; a pin to exactly that
/// release cannot be met, and the explanation says why.
#[test]
fn a_release_with_invalid_metadata_is_skipped() {
    let mut m = Mem::default();
    m.add("chalice", "1.14.1", &["six"]);
    m.add("chalice", "1.15.0", &["pyyaml (<6.0.0wheel,>=5.3.1)"]);
    m.add("six", "1.17.0", &[]);
    let res = resolve(&req312(&["chalice"]), &m).unwrap();
    assert_eq!(pins(&res), ["chalice==1.14.1", "six==1.17.0"]);
    assert!(
        res.warnings.iter().any(|w| w
            .starts_with("ignoring chalice 1.15.0: its metadata is invalid")
            && w.contains("pyyaml (<6.0.0wheel,>=5.3.1)")),
        "{:?}",
        res.warnings
    );
    let text = explanation(resolve(&req312(&["chalice==1.15.0"]), &m).unwrap_err());
    assert!(text.contains("invalid metadata"), "{text}");
    // An extra of the broken release is skipped the same way.
    let res = resolve(&req312(&["chalice[event-file-poller]"]), &m).unwrap();
    assert_eq!(pins(&res), ["chalice==1.14.1", "six==1.17.0"]);
}

//! `grail layer scan`: a manifest from a real layer zip, reading only its
//! central directory and the small metadata files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use regex::Regex;
use std::sync::LazyLock;

use super::manifest::{site_packages_python, LayerManifest, LayerPackage, Provenance};
use super::{LayerArn, LayerError, MANIFEST_SCHEMA};
use crate::target::{Arch, PythonVersion};

/// Metadata files larger than this are refused (they are a few KB; RECORD of
/// a big package a few hundred KB).
const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// A scan's manifest plus what looked odd in the zip.
#[derive(Clone, Debug)]
pub struct ScannedLayer {
    /// `provenance: "scanned"`.
    pub manifest: LayerManifest,
    /// Human-readable warnings (skipped packages, files outside the layer paths…).
    pub warnings: Vec<String>,
}

/// One distribution's metadata location inside the zip.
struct DistEntry {
    /// Ex) `python` or `python/lib/python3.12/site-packages`
    site: String,
    /// The METADATA / PKG-INFO entry (or the flat `.egg-info` file).
    metadata: String,
    /// `top_level.txt`, if present.
    top_level: Option<String>,
    /// `RECORD`, if present.
    record: Option<String>,
}

static EXT_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\.cpython-3(\d{1,2})-(x86_64|aarch64)-linux-gnu\.so$").expect("static regex")
});

/// The dist entry for `key`, created on first sight.
fn slot<'a>(
    dists: &'a mut BTreeMap<String, DistEntry>,
    key: &str,
    site: &str,
) -> &'a mut DistEntry {
    dists.entry(key.to_string()).or_insert_with(|| DistEntry {
        site: site.to_string(),
        metadata: String::new(),
        top_level: None,
        record: None,
    })
}

/// Split an entry path into (site dir, path inside it), for the two places
/// Lambda puts on `sys.path`.
fn split_site(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("python/")?;
    if rest.starts_with("lib/python3") {
        // python/lib/python3.X/site-packages/<rel>
        let mut idx = 0;
        for _ in 0..3 {
            idx += rest[idx..].find('/')? + 1;
        }
        let site = &name[..7 + idx - 1];
        if site_packages_python(site).is_some() {
            return Some((site, &rest[idx..]));
        }
    }
    Some(("python", rest))
}

/// Scan a layer zip into a manifest (§4.4 of the reference): names and
/// versions come from each `*.dist-info/METADATA` (or `*.egg-info`), never
/// from directory names; the size is the sum of every entry's uncompressed
/// size; `lib/*.so*` are the native libs. The Python version and
/// architecture come from a `python3.X/site-packages` dir or compiled
/// extension names, else from the ARN's name.
///
/// A panic inside the zip reader is an error naming the zip, never a crash.
pub fn scan_layer_zip(path: &Path, arn: Option<&LayerArn>) -> Result<ScannedLayer, LayerError> {
    crate::guard::catch(|| scan_unguarded(path, arn)).unwrap_or_else(|panic| {
        Err(LayerError::ZipEntry {
            path: path.to_path_buf(),
            entry: "(the archive)".to_string(),
            message: format!("the zip reader failed on it ({panic}); the archive is malformed"),
        })
    })
}

fn scan_unguarded(path: &Path, arn: Option<&LayerArn>) -> Result<ScannedLayer, LayerError> {
    let zip_err = |source| LayerError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let file = crate::textfile::open_regular(path).map_err(|source| LayerError::ZipOpen {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(zip_err)?;
    let index = index_entries(&mut archive, path)?;
    let mut warnings = Vec::new();
    let (mut packages, sites) = read_packages(&mut archive, path, &index.dists, &mut warnings)?;
    attribute_sizes(&mut packages, &index.dists, &index.by_root);
    let (site_dir, python, architecture) = layout(&sites, &index.ext_tags, arn, &mut warnings);

    if packages.is_empty() {
        warnings.push(
            "no Python distributions found under python/ or python/lib/python3.X/site-packages/"
                .to_string(),
        );
    }
    let outside = index.outside;
    if outside > 0 {
        warnings.push(format!(
            "{outside} file(s) are outside python/, lib/ and bin/: Lambda extracts them under /opt but they are not importable"
        ));
    }
    let mut native_libs = index.native_libs;
    native_libs.sort();
    let manifest = LayerManifest {
        schema: MANIFEST_SCHEMA.to_string(),
        arn: arn.cloned(),
        python,
        architecture,
        site_dir,
        unzipped_bytes: index.total,
        provenance: Provenance::Scanned,
        packages: packages.into_values().map(|(p, _)| p).collect(),
        native_libs,
        size_approximate: false,
        size_source: None,
    };
    Ok(ScannedLayer { manifest, warnings })
}

/// What one pass over the zip's central directory finds.
#[derive(Default)]
struct ZipIndex {
    /// Sum of every entry's uncompressed size.
    total: u64,
    /// `lib/*.so*` entries.
    native_libs: Vec<String>,
    /// (Python minor, machine) of compiled extensions → how many.
    ext_tags: BTreeMap<(u8, String), usize>,
    /// Files outside python/, lib/ and bin/.
    outside: usize,
    /// Metadata directories by `site/dir`.
    dists: BTreeMap<String, DistEntry>,
    /// (site, first path segment) → bytes, to attribute sizes to packages.
    by_root: BTreeMap<(String, String), u64>,
}

/// Walk every entry once: sizes, native libs, extension tags and where the
/// metadata files are.
fn index_entries(
    archive: &mut zip::ZipArchive<BufReader<File>>,
    path: &Path,
) -> Result<ZipIndex, LayerError> {
    let zip_err = |source| LayerError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut ix = ZipIndex::default();
    for i in 0..archive.len() {
        let entry = archive.by_index_data(i).map_err(zip_err)?;
        let size = entry.size();
        ix.total = ix.total.saturating_add(size);
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let is_dir = entry.is_dir();
        drop(entry);
        if !is_dir {
            if let Some(lib) = name.strip_prefix("lib/") {
                let file_name = lib.rsplit('/').next().unwrap_or(lib);
                if file_name.contains(".so") {
                    ix.native_libs.push(name.clone());
                }
            } else if !name.starts_with("python/") && !name.starts_with("bin/") {
                ix.outside += 1;
            }
            if let Some(c) = EXT_TAG.captures(&name) {
                if let Ok(minor) = c[1].parse::<u8>() {
                    *ix.ext_tags.entry((minor, c[2].to_string())).or_default() += 1;
                }
            }
        }
        if let Some((site, rel)) = split_site(&name) {
            let mut parts = rel.splitn(2, '/');
            let first = parts.next().unwrap_or("");
            let inner = parts.next();
            let key = format!("{site}/{first}");
            if !is_dir && !first.is_empty() {
                let slot = ix
                    .by_root
                    .entry((site.to_string(), first.to_string()))
                    .or_default();
                *slot = slot.saturating_add(size);
            }
            match (first, inner) {
                (d, Some("METADATA")) if d.ends_with(".dist-info") => {
                    slot(&mut ix.dists, &key, site).metadata = name.clone()
                }
                (d, Some("PKG-INFO")) if d.ends_with(".egg-info") => {
                    slot(&mut ix.dists, &key, site).metadata = name.clone()
                }
                (d, Some("top_level.txt"))
                    if d.ends_with(".dist-info") || d.ends_with(".egg-info") =>
                {
                    slot(&mut ix.dists, &key, site).top_level = Some(name.clone())
                }
                (d, Some("RECORD")) if d.ends_with(".dist-info") => {
                    slot(&mut ix.dists, &key, site).record = Some(name.clone())
                }
                // A flat `foo.egg-info` file holds PKG-INFO itself.
                (d, None) if d.ends_with(".egg-info") && !is_dir => {
                    slot(&mut ix.dists, &key, site).metadata = name.clone()
                }
                _ => {}
            }
        }
    }
    Ok(ix)
}

/// A package found in the layer, and the metadata directory it came from.
type Found = BTreeMap<String, (LayerPackage, String)>;

/// Read each distribution's name, version and import roots; returns the
/// packages (first install wins) and the site dirs they live in.
fn read_packages(
    archive: &mut zip::ZipArchive<BufReader<File>>,
    path: &Path,
    dists: &BTreeMap<String, DistEntry>,
    warnings: &mut Vec<String>,
) -> Result<(Found, BTreeSet<String>), LayerError> {
    let mut packages: Found = BTreeMap::new();
    let mut sites: BTreeSet<String> = BTreeSet::new();
    for (dir, d) in dists {
        if d.metadata.is_empty() {
            warnings.push(format!("{dir} has no METADATA or PKG-INFO; skipped"));
            continue;
        }
        let text = read_entry(archive, path, &d.metadata)?;
        let headers = crate::metadata::parse_headers(&text);
        let get = |k: &str| {
            headers
                .iter()
                .find(|(h, _)| h.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        let (Some(raw_name), Some(raw_version)) = (get("Name"), get("Version")) else {
            warnings.push(format!("{} lacks Name or Version; skipped", d.metadata));
            continue;
        };
        let version = match crate::guard::version(&raw_version) {
            Ok(v) => v,
            Err(e) => {
                warnings.push(format!(
                    "{}: Version {raw_version:?} is not PEP 440 ({e}); skipped",
                    d.metadata
                ));
                continue;
            }
        };
        let top_level = match (&d.top_level, &d.record) {
            (Some(t), _) => parse_top_level(&read_entry(archive, path, t)?),
            (None, Some(r)) => record_roots(&read_entry(archive, path, r)?),
            (None, None) => Vec::new(),
        };
        let name = crate::names::normalize(&raw_name);
        if let Some((_, first)) = packages.get(&name) {
            warnings.push(format!(
                "{name} is installed twice in the layer ({first} and {dir}); keeping the first"
            ));
            continue;
        }
        sites.insert(d.site.clone());
        packages.insert(
            name.clone(),
            (
                LayerPackage {
                    name,
                    version: Some(version),
                    top_level,
                    unzipped_bytes: None,
                },
                dir.clone(),
            ),
        );
    }

    Ok((packages, sites))
}

/// The layer's site dir, and its Python and architecture: from a
/// `python3.X/site-packages` dir or the most frequent extension tag, else
/// from the ARN's name.
fn layout(
    sites: &BTreeSet<String>,
    ext_tags: &BTreeMap<(u8, String), usize>,
    arn: Option<&LayerArn>,
    warnings: &mut Vec<String>,
) -> (String, Option<PythonVersion>, Option<Arch>) {
    let site_pythons: BTreeSet<PythonVersion> = sites
        .iter()
        .filter_map(|s| site_packages_python(s))
        .collect();
    if site_pythons.len() > 1 {
        warnings.push(format!(
            "the layer has site-packages for several Pythons ({}); each is only visible to its own runtime",
            site_pythons.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    if sites.contains("python") {
        for p in &site_pythons {
            warnings.push(format!(
                "the layer mixes python/ with python/lib/python{p}/site-packages/: packages in the latter are only visible to python{p}"
            ));
        }
    }
    let site_dir = if sites.contains("python") || sites.is_empty() {
        "python".to_string()
    } else {
        sites
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| "python".into())
    };
    // Most frequent extension tag decides python and arch when the zip says.
    let ext = ext_tags
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|((minor, machine), _)| (PythonVersion::new(3, *minor), machine.clone()));
    let hints = arn.map(|a| a.hints()).unwrap_or_default();
    let python = site_packages_python(&site_dir)
        .or(ext.as_ref().map(|(p, _)| *p))
        .or(hints.python);
    let architecture = ext
        .as_ref()
        .and_then(|(_, m)| m.parse::<Arch>().ok())
        .or(hints.arch);
    (site_dir, python, architecture)
}

/// Give each package the bytes of its metadata dir and of the entries
/// under its import roots (`six` covers `six.py`, `numpy` covers `numpy/…`).
fn attribute_sizes(
    packages: &mut Found,
    dists: &BTreeMap<String, DistEntry>,
    by_root: &BTreeMap<(String, String), u64>,
) {
    // (site, import root or metadata dir) → package name.
    let mut owner: BTreeMap<(String, String), String> = BTreeMap::new();
    for (pkg, dir) in packages.values() {
        let Some(d) = dists.get(dir) else { continue };
        let meta_dir = dir.rsplit('/').next().unwrap_or(dir).to_string();
        owner.insert((d.site.clone(), meta_dir), pkg.name.clone());
        // Without top_level.txt or RECORD, the dist-info stem is the usual module name.
        let stem = crate::names::dist_info_stem(&pkg.name);
        for root in pkg.top_level.iter().chain(std::iter::once(&stem)) {
            owner
                .entry((d.site.clone(), root.clone()))
                .or_insert_with(|| pkg.name.clone());
        }
    }
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for ((site, first), bytes) in by_root {
        let module = first.split('.').next().unwrap_or(first);
        let who = owner
            .get(&(site.clone(), first.clone()))
            .or_else(|| owner.get(&(site.clone(), module.to_string())));
        if let Some(name) = who {
            let s = sizes.entry(name.clone()).or_default();
            *s = s.saturating_add(*bytes);
        }
    }
    for (pkg, _) in packages.values_mut() {
        pkg.unzipped_bytes = sizes.get(&pkg.name).copied();
    }
}

fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &Path,
    name: &str,
) -> Result<Vec<u8>, LayerError> {
    let mut f = archive.by_name(name).map_err(|source| LayerError::Zip {
        path: path.to_path_buf(),
        source,
    })?;
    let mut buf = Vec::new();
    f.by_ref()
        .take(MAX_METADATA_BYTES)
        .read_to_end(&mut buf)
        .map_err(|e| LayerError::ZipEntry {
            path: path.to_path_buf(),
            entry: name.to_string(),
            message: e.to_string(),
        })?;
    Ok(buf)
}

/// `top_level.txt`: one import root per line (keep the first segment of
/// nested entries such as `google/protobuf`).
fn parse_top_level(bytes: &[u8]) -> Vec<String> {
    let set: BTreeSet<String> = String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| l.trim().split('/').next().map(str::to_string))
        .filter(|l| !l.is_empty())
        .collect();
    set.into_iter().collect()
}

/// Import roots from `RECORD`: the first path segment of each file, minus
/// metadata dirs, scripts (`../../bin`) and caches; single-file modules lose
/// their suffix (`six.py` → `six`, `_cffi_backend.cpython-312-….so` → `_cffi_backend`).
fn record_roots(bytes: &[u8]) -> Vec<String> {
    let mut set = BTreeSet::new();
    for line in String::from_utf8_lossy(bytes).lines() {
        let path = line.split(',').next().unwrap_or("").trim_matches('"');
        let (first, nested) = match path.split_once('/') {
            Some((f, _)) => (f, true),
            None => (path, false),
        };
        if first.is_empty()
            || first == ".."
            || first == "__pycache__"
            || first.ends_with(".dist-info")
            || first.ends_with(".data")
            || first.ends_with(".pth")
        {
            continue;
        }
        let root = if nested {
            first
        } else if first.ends_with(".py") || first.ends_with(".so") || first.ends_with(".pyd") {
            first.split('.').next().unwrap_or(first)
        } else {
            continue;
        };
        if !root.is_empty() {
            set.insert(root.to_string());
        }
    }
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_both_layouts() {
        assert_eq!(
            split_site("python/numpy/__init__.py"),
            Some(("python", "numpy/__init__.py"))
        );
        assert_eq!(
            split_site("python/lib/python3.12/site-packages/six.py"),
            Some(("python/lib/python3.12/site-packages", "six.py"))
        );
        // A package literally named `lib` in the flat layout.
        assert_eq!(
            split_site("python/lib/thing.py"),
            Some(("python", "lib/thing.py"))
        );
        assert_eq!(split_site("lib/libfoo.so"), None);
    }

    #[test]
    fn record_and_top_level_roots() {
        let record = b"six.py,sha256=x,1\nsix-1.17.0.dist-info/METADATA,,\n../../bin/tool,,\n_cffi_backend.cpython-312-x86_64-linux-gnu.so,,\nyaml/__init__.py,,\n__pycache__/six.cpython-312.pyc,,\n";
        assert_eq!(record_roots(record), ["_cffi_backend", "six", "yaml"]);
        assert_eq!(
            parse_top_level(b"google/protobuf\n\nattr\nattrs\n"),
            ["attr", "attrs", "google"]
        );
    }

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-fixtures/layers/sample-layer.zip")
    }

    #[test]
    fn scans_the_real_layout_fixture() {
        let arn: LayerArn = "arn:aws:lambda:us-east-1:123456789012:layer:sample:3"
            .parse()
            .unwrap();
        let scanned = scan_layer_zip(&fixture(), Some(&arn)).unwrap();
        // The fixture mixes both layouts on purpose.
        assert_eq!(scanned.warnings.len(), 1, "{:?}", scanned.warnings);
        assert!(scanned.warnings[0].contains("only visible to python3.12"));
        let m = scanned.manifest;
        assert_eq!(m.provenance, Provenance::Scanned);
        assert_eq!(m.arn, Some(arn));
        // The sum of every entry's uncompressed size (printed by scripts/make-layer-fixture).
        assert_eq!(m.unzipped_bytes, 1_002_110);
        assert_eq!(m.site_dir, "python");
        assert_eq!(m.python, Some(PythonVersion::new(3, 12)));
        assert_eq!(m.architecture, Some(Arch::X86_64));
        assert_eq!(m.native_libs, ["lib/libbar.so", "lib/libfoo.so.1"]);
        let sizes: Vec<(&str, Option<u64>)> = m
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.unzipped_bytes))
            .collect();
        assert_eq!(
            sizes,
            [
                ("attrs", Some(334)),
                ("legacy-pkg", Some(128)),
                ("numpy", Some(1_000_430)),
                ("oldstyle", Some(135)),
                ("pyyaml", Some(345)),
                ("requests", Some(435)),
                ("six", Some(285)),
            ]
        );
        let got: Vec<(String, String, Vec<String>)> = m
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    p.top_level.clone(),
                )
            })
            .collect();
        let want: Vec<(String, String, Vec<String>)> = [
            ("attrs", "26.1.0", &["attr", "attrs"][..]),
            ("legacy-pkg", "0.9", &[][..]),
            ("numpy", "2.5.0", &["numpy"][..]),
            ("oldstyle", "1.0", &["oldstyle"][..]),
            ("pyyaml", "6.0.2", &["_yaml", "yaml"][..]),
            ("requests", "2.34.2", &["requests"][..]),
            ("six", "1.17.0", &["six"][..]),
        ]
        .iter()
        .map(|(n, v, t)| {
            (
                n.to_string(),
                v.to_string(),
                t.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect();
        assert_eq!(got, want);
        // What `grail layer scan -o` writes loads back as a user manifest.
        let again = LayerManifest::from_json(&m.to_json()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn scan_without_arn_and_bad_inputs() {
        let m = scan_layer_zip(&fixture(), None).unwrap().manifest;
        assert_eq!(m.arn, None);
        assert!(m.to_json().contains("\"arn\": null"));

        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.zip");
        let err = scan_layer_zip(&missing, None).unwrap_err().to_string();
        assert!(err.contains("missing.zip"), "{err}");
        let not_zip = dir.path().join("not.zip");
        std::fs::write(&not_zip, b"hello").unwrap();
        let err = scan_layer_zip(&not_zip, None).unwrap_err().to_string();
        assert!(err.contains("not.zip"), "{err}");
    }

    #[test]
    fn odd_layouts_warn() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.zip");
        let mut w = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in [
            ("requests/__init__.py", "x"),
            (
                "python/bad-1.dist-info/METADATA",
                "Name: bad\nVersion: not a version\n",
            ),
            ("python/nometa-1.dist-info/RECORD", ""),
            (
                "python/lib/python3.11/site-packages/a-1.dist-info/METADATA",
                "Name: a\nVersion: 1\n",
            ),
            (
                "python/lib/python3.12/site-packages/b-1.dist-info/METADATA",
                "Name: b\nVersion: 1\n",
            ),
            (
                "python/lib/python3.12/site-packages/A-2.dist-info/METADATA",
                "Name: A\nVersion: 2\n",
            ),
        ] {
            w.start_file(name, opts).unwrap();
            w.write_all(data.as_bytes()).unwrap();
        }
        w.finish().unwrap();
        let s = scan_layer_zip(&path, None).unwrap();
        let all = s.warnings.join("\n");
        for needle in [
            "not PEP 440",
            "no METADATA",
            "several Pythons",
            "installed twice",
            "outside python/",
        ] {
            assert!(all.contains(needle), "{needle}: {all}");
        }
        assert_eq!(s.manifest.site_dir, "python/lib/python3.11/site-packages");
        assert_eq!(s.manifest.packages.len(), 2);
    }
}

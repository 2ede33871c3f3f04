//! Listing parsers: PEP 691 JSON and PEP 503 HTML project pages (also
//! find-links pages), and distribution file names.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use pep508_rs::pep440_rs::Version;
use serde::Deserialize;
use url::Url;

use super::{percent_decode, strip_credentials, DistFile, DistOrigin, IndexError};
use crate::cache::CachedPage;
use crate::names::normalize;

/// The URL relative links on a page resolve against.
pub(super) fn page_base(page: &CachedPage) -> Result<Url, IndexError> {
    let raw = page.final_url.as_deref().unwrap_or(&page.url);
    Url::parse(raw).map_err(|e| IndexError::BadPage {
        url: page.url.clone(),
        message: format!("bad page URL: {e}"),
    })
}

pub(super) fn parse_page(
    page: &CachedPage,
    origin: &DistOrigin,
) -> Result<Vec<DistFile>, IndexError> {
    let base = page_base(page)?;
    let content_type = page
        .content_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = content_type.contains("json")
        || (content_type.is_empty() && page.body.trim_start().starts_with('{'));
    if is_json {
        parse_json(&page.body, &base, &page.url, origin)
    } else {
        parse_html(&page.body, &base, origin)
    }
}

#[derive(Deserialize)]
pub(super) struct JsonPage {
    meta: JsonMeta,
    #[serde(default)]
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
pub(super) struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: String,
}

#[derive(Deserialize)]
pub(super) struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: serde_json::Value,
    #[serde(rename = "core-metadata", default)]
    core_metadata: serde_json::Value,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: serde_json::Value,
    #[serde(default)]
    size: Option<u64>,
}

pub(super) fn check_api_version(version: &str, page: &str) -> Result<(), IndexError> {
    if version.trim().split('.').next() == Some("1") {
        Ok(())
    } else {
        Err(IndexError::UnsupportedApiVersion {
            url: page.to_string(),
            version: version.to_string(),
        })
    }
}

/// PEP 691 project page.
pub(super) fn parse_json(
    body: &str,
    base: &Url,
    page: &str,
    origin: &DistOrigin,
) -> Result<Vec<DistFile>, IndexError> {
    let parsed: JsonPage = serde_json::from_str(body).map_err(|e| IndexError::BadPage {
        url: page.to_string(),
        message: e.to_string(),
    })?;
    check_api_version(&parsed.meta.api_version, page)?;
    let mut files = Vec::with_capacity(parsed.files.len());
    for f in parsed.files {
        let (url, fragment_hash) = resolve_link(base, &f.url, page)?;
        let mut hashes: BTreeMap<String, String> = f
            .hashes
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
            .collect();
        if let Some((alg, hex)) = fragment_hash {
            hashes.entry(alg).or_insert(hex);
        }
        let yanked = match f.yanked {
            serde_json::Value::Bool(true) => Some(String::new()),
            serde_json::Value::String(reason) => Some(reason),
            _ => None,
        };
        let core = if f.core_metadata.is_null() {
            f.dist_info_metadata
        } else {
            f.core_metadata
        };
        let core_metadata = match core {
            serde_json::Value::Bool(true) => Some(None),
            serde_json::Value::Object(map) => Some(
                map.get("sha256")
                    .and_then(|v| v.as_str())
                    .map(str::to_ascii_lowercase),
            ),
            _ => None,
        };
        files.push(DistFile {
            filename: f.filename,
            url,
            hashes,
            requires_python: f.requires_python.filter(|s| !s.trim().is_empty()),
            yanked,
            core_metadata,
            size: f.size,
            origin: origin.clone(),
        });
    }
    Ok(files)
}

/// Join a link against the page, split off a `#alg=hex` fragment, strip credentials.
pub(super) fn resolve_link(
    base: &Url,
    href: &str,
    page: &str,
) -> Result<(Url, Option<(String, String)>), IndexError> {
    let mut url = base.join(href.trim()).map_err(|e| IndexError::BadPage {
        url: page.to_string(),
        message: format!("bad link {href:?}: {e}"),
    })?;
    let hash = url.fragment().and_then(|frag| {
        let (alg, hex) = frag.split_once('=')?;
        let alg = alg.to_ascii_lowercase();
        (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| (alg, hex.to_ascii_lowercase()))
    });
    url.set_fragment(None);
    Ok((strip_credentials(&url), hash))
}

/// PEP 503 project page (or a find-links page): one file per `<a>`.
pub(super) fn parse_html(
    body: &str,
    page_url: &Url,
    origin: &DistOrigin,
) -> Result<Vec<DistFile>, IndexError> {
    let page = page_url.as_str();
    let mut base = page_url.clone();
    let mut files = Vec::new();
    for tag in scan_tags(body) {
        match tag.name.as_str() {
            "meta" if tag.attr("name") == Some("pypi:repository-version") => {
                if let Some(version) = tag.attr("content") {
                    check_api_version(version, page)?;
                }
            }
            "base" => {
                if let Some(href) = tag.attr("href") {
                    if let Ok(joined) = page_url.join(href) {
                        base = joined;
                    }
                }
            }
            "a" => {
                let Some(href) = tag.attr("href") else {
                    continue;
                };
                let (url, fragment_hash) = resolve_link(&base, href, page)?;
                let text = unescape(tag.text.trim());
                let filename = if text.is_empty() || text.contains('/') {
                    match url.path_segments().and_then(|mut s| s.next_back()) {
                        Some(last) => percent_decode(last),
                        None => continue,
                    }
                } else {
                    text
                };
                let core_metadata = tag
                    .attr("data-core-metadata")
                    .or_else(|| tag.attr("data-dist-info-metadata"))
                    .and_then(|v| {
                        let v = v.trim();
                        if v.eq_ignore_ascii_case("true") {
                            Some(None)
                        } else if let Some((alg, hex)) = v.split_once('=') {
                            Some(
                                alg.eq_ignore_ascii_case("sha256")
                                    .then(|| hex.to_ascii_lowercase()),
                            )
                        } else {
                            None
                        }
                    });
                files.push(DistFile {
                    filename,
                    url,
                    hashes: fragment_hash.into_iter().collect(),
                    requires_python: tag
                        .attr("data-requires-python")
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    yanked: tag.attr("data-yanked").map(str::to_string),
                    core_metadata,
                    size: None,
                    origin: origin.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(files)
}

/// A start tag found in HTML: lowercase name, unescaped attributes, and for
/// `<a>` the text up to `</a>`.
pub(super) struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A forgiving scanner for the start tags a simple-API page uses
/// (`a`, `base`, `meta`); comments are skipped.
pub(super) fn scan_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let lower = html.to_ascii_lowercase();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset;
        if html[start..].starts_with("<!--") {
            i = match html[start..].find("-->") {
                Some(end) => start + end + 3,
                None => break,
            };
            continue;
        }
        let mut j = start + 1;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let name = lower[start + 1..j].to_string();
        if name.is_empty() {
            i = start + 1;
            continue;
        }
        // Attributes until the closing '>' (quotes may contain '>').
        let (attrs, end) = scan_attrs(html, &lower, j);
        j = end;
        let after = (j + 1).min(bytes.len());
        let mut text = String::new();
        let mut next = after;
        if name == "a" {
            if let Some(end) = lower[after..].find("</a") {
                text = html[after..after + end].to_string();
                next = after + end;
            }
        }
        if matches!(name.as_str(), "a" | "base" | "meta") {
            tags.push(Tag { name, attrs, text });
        }
        i = next.max(start + 1);
    }
    tags
}

/// The attributes of a start tag from `j` (just after its name) up to its
/// `>`: lower-cased keys, unescaped values. Returns them and the index of `>`
/// (or the end of the input).
fn scan_attrs(html: &str, lower: &str, mut j: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
            j += 1;
        }
        if j >= bytes.len() || bytes[j] == b'>' {
            return (attrs, j);
        }
        let key_start = j;
        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && !matches!(bytes[j], b'=' | b'>')
        {
            j += 1;
        }
        let key = lower[key_start..j].to_string();
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut value = String::new();
        if j < bytes.len() && bytes[j] == b'=' {
            (value, j) = attr_value(html, j + 1);
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
}

/// An attribute value starting at `j` (after `=`): quoted (may hold `>` and
/// spaces) or bare. Returns it unescaped and the index after it.
fn attr_value(html: &str, mut j: usize) -> (String, usize) {
    let bytes = html.as_bytes();
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
        let quote = bytes[j];
        let value_start = j + 1;
        j = value_start;
        while j < bytes.len() && bytes[j] != quote {
            j += 1;
        }
        let value = unescape(&html[value_start..j.min(bytes.len())]);
        (value, (j + 1).min(bytes.len()))
    } else {
        let value_start = j;
        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
            j += 1;
        }
        (unescape(&html[value_start..j]), j)
    }
}

/// Decode the HTML character references a simple-API page uses.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = entity.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `name-version` of an sdist file name, or `None` if it is not one.
pub(super) fn sdist_stem(filename: &str) -> Option<&str> {
    let lower = filename.to_ascii_lowercase();
    [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"]
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map(|ext| &filename[..filename.len() - ext.len()])
}

/// The version in the sdist file name `filename` of project `name`
/// (normalised), or `None` when it is not one of that project's sdists.
/// Ex) `foo_bar-1.0.tar.gz` → `1.0`
pub fn sdist_version(name: &str, filename: &str) -> Option<Version> {
    let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
        .iter()
        .find_map(|ext| filename.strip_suffix(ext))?;
    let (n, v) = stem.rsplit_once('-')?;
    if normalize(n) != name {
        return None;
    }
    crate::guard::version(v).ok()
}

/// The normalised project name a distribution file name belongs to.
/// Ex) `Foo_Bar-1.0-py3-none-any.whl` → `foo-bar`; `foo-bar-1.0.tar.gz` → `foo-bar`
pub(super) fn filename_project(filename: &str) -> Option<String> {
    if filename.to_ascii_lowercase().ends_with(".whl") {
        return filename.split('-').next().map(normalize);
    }
    // sdist: the version starts at the first '-' followed by a digit.
    let stem = sdist_stem(filename)?;
    let bytes = stem.as_bytes();
    let split = (1..bytes.len()).find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())?;
    Some(normalize(&stem[..split - 1]))
}

pub(super) fn list_directory(path: &Path, label: &str) -> Result<Vec<DistFile>, IndexError> {
    let io_err = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let absolute = fs::canonicalize(path).map_err(io_err)?;
    let mut paths = Vec::new();
    if absolute.is_file() {
        paths.push(absolute);
    } else {
        for entry in fs::read_dir(&absolute).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            if entry.file_type().map_err(io_err)?.is_file() {
                paths.push(entry.path());
            }
        }
    }
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let Some(filename) = p.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            continue;
        };
        if filename_project(&filename).is_none() {
            continue;
        }
        let Ok(url) = Url::from_file_path(&p) else {
            continue;
        };
        files.push(DistFile {
            filename,
            url,
            hashes: BTreeMap::new(),
            requires_python: None,
            yanked: None,
            core_metadata: None,
            size: fs::metadata(&p).ok().map(|m| m.len()),
            origin: DistOrigin::FindLinks(label.to_string()),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::super::client::{content_range_total, max_age};
    use super::super::credentials::remember_credentials;
    use super::*;
    use reqwest::header;

    fn origin() -> DistOrigin {
        DistOrigin::Index(Url::parse("https://example.org/simple/").unwrap())
    }

    #[test]
    fn html_page_attributes_fragments_and_relative_links() {
        let html = r#"<!DOCTYPE html><html><head>
            <meta name="pypi:repository-version" content="1.1">
            <!-- <a href="commented-1.0.tar.gz">commented-1.0.tar.gz</a> -->
            </head><body>
            <a href="../../files/foo-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8,&lt;4" data-core-metadata="sha256=1234">foo-1.0-py3-none-any.whl</a><br/>
            <A HREF='https://files.example.org/foo-0.9.tar.gz' data-yanked="bad &amp; broken">foo-0.9.tar.gz</A>
            <a href=foo-0.8.tar.gz data-yanked data-dist-info-metadata=true>foo-0.8.tar.gz</a>
            </body></html>"#;
        let page = Url::parse("https://u:p@example.org/simple/foo/").unwrap();
        let files = parse_html(html, &page, &origin()).unwrap();
        assert_eq!(files.len(), 3);
        let f = &files[0];
        assert_eq!(f.filename, "foo-1.0-py3-none-any.whl");
        assert_eq!(
            f.url.as_str(),
            "https://example.org/files/foo-1.0-py3-none-any.whl"
        );
        assert_eq!(f.sha256(), Some("abcdef"));
        assert_eq!(f.requires_python.as_deref(), Some(">=3.8,<4"));
        assert_eq!(f.core_metadata, Some(Some("1234".into())));
        assert_eq!(f.yanked, None);
        assert_eq!(files[1].yanked.as_deref(), Some("bad & broken"));
        assert_eq!(files[1].core_metadata, None);
        assert_eq!(files[2].yanked.as_deref(), Some(""));
        assert_eq!(files[2].core_metadata, Some(None));
        assert_eq!(
            files[2].url.as_str(),
            "https://example.org/simple/foo/foo-0.8.tar.gz"
        );
    }

    #[test]
    fn html_base_and_unknown_major_version() {
        let page = Url::parse("https://example.org/simple/foo/").unwrap();
        let html = r#"<base href="/mirror/"><a href="foo-1.0.zip"></a>"#;
        let files = parse_html(html, &page, &origin()).unwrap();
        assert_eq!(
            files[0].url.as_str(),
            "https://example.org/mirror/foo-1.0.zip"
        );
        assert_eq!(files[0].filename, "foo-1.0.zip");
        let html = r#"<meta name="pypi:repository-version" content="2.0"><a href="x">x</a>"#;
        let err = parse_html(html, &page, &origin()).unwrap_err();
        assert!(
            matches!(err, IndexError::UnsupportedApiVersion { ref version, .. } if version == "2.0")
        );
    }

    #[test]
    fn json_page() {
        let body = r#"{"meta":{"api-version":"1.1"},"name":"foo","files":[
            {"filename":"foo-1.0-py3-none-any.whl","url":"../../files/foo-1.0-py3-none-any.whl",
             "hashes":{"sha256":"AA11"},"requires-python":">=3.9","yanked":"oops",
             "core-metadata":{"sha256":"BB22"},"size":123},
            {"filename":"foo-0.9.tar.gz","url":"https://files.example.org/foo-0.9.tar.gz",
             "hashes":{},"yanked":false,"dist-info-metadata":true},
            {"filename":"foo-0.8.tar.gz","url":"foo-0.8.tar.gz#sha256=cc33","hashes":{},"yanked":true,"requires-python":""}
        ],"versions":["0.8","0.9","1.0"]}"#;
        let base = Url::parse("https://example.org/simple/foo/").unwrap();
        let files = parse_json(body, &base, base.as_str(), &origin()).unwrap();
        assert_eq!(
            files[0].url.as_str(),
            "https://example.org/files/foo-1.0-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256(), Some("aa11"));
        assert_eq!(files[0].yanked.as_deref(), Some("oops"));
        assert_eq!(files[0].core_metadata, Some(Some("bb22".into())));
        assert_eq!(files[0].size, Some(123));
        assert_eq!(files[1].yanked, None);
        assert_eq!(files[1].core_metadata, Some(None));
        assert_eq!(files[2].yanked.as_deref(), Some(""));
        assert_eq!(files[2].sha256(), Some("cc33"));
        assert_eq!(files[2].requires_python, None);
        let v2 = r#"{"meta":{"api-version":"2.0"},"files":[]}"#;
        assert!(matches!(
            parse_json(v2, &base, base.as_str(), &origin()),
            Err(IndexError::UnsupportedApiVersion { .. })
        ));
        let err = parse_json("{", &base, base.as_str(), &origin()).unwrap_err();
        assert!(
            err.to_string().contains("https://example.org/simple/foo/"),
            "{err}"
        );
    }

    #[test]
    fn filenames_and_helpers() {
        assert_eq!(
            filename_project("Foo_Bar-1.0-py3-none-any.whl").as_deref(),
            Some("foo-bar")
        );
        assert_eq!(
            filename_project("foo-bar-1.0.tar.gz").as_deref(),
            Some("foo-bar")
        );
        assert_eq!(
            filename_project("zope.interface-7.0.zip").as_deref(),
            Some("zope-interface")
        );
        assert_eq!(filename_project("README.txt"), None);
        assert_eq!(
            unescape("&gt;=3.8&#44;&#x3C;4 &bogus; &"),
            ">=3.8,<4 &bogus; &"
        );
        assert_eq!(percent_decode("a%40b%2"), "a@b%2");
        assert_eq!(percent_decode("%e2%82%ac%zz"), "€%zz");
        assert_eq!(content_range_total("bytes 10-19/2000"), Some(2000));
        assert_eq!(content_range_total("bytes 10-19/*"), None);
        let mut h = header::HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            "public, max-age=600".parse().unwrap(),
        );
        assert_eq!(max_age(&h), Some(600));
        h.insert(
            header::CACHE_CONTROL,
            "max-age=600, no-cache".parse().unwrap(),
        );
        assert_eq!(max_age(&h), None);
        let url = Url::parse("https://user:tok%40en@host:8443/simple/").unwrap();
        let mut creds = Vec::new();
        remember_credentials(&url, &mut creds);
        assert_eq!(creds[0].origin, "https://host:8443");
        assert_eq!(creds[0].username, "user");
        assert_eq!(creds[0].password.as_deref(), Some("tok@en"));
        assert_eq!(
            strip_credentials(&url).as_str(),
            "https://host:8443/simple/"
        );
    }
}

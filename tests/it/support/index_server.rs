//! A loopback package index for hermetic integration tests.
//!
//! Serves a directory laid out as `root/<project>/<files>` (by default
//! `vendor-fixtures/index/`, built by `scripts/gen-fixture-index.py`) as a
//! simple-API index on `127.0.0.1:<random port>`:
//!
//! * `GET /simple/` — project list; `GET /simple/<project>/` — the project
//!   page, PEP 691 JSON or PEP 503 HTML ([`Mode`]), with relative file URLs,
//!   sha256 hashes (computed, or `listed-sha256` from the sidecar),
//!   `requires-python` and `yanked` from the sidecar `root/<project>/index.json`,
//!   and an `ETag` (answers `If-None-Match` with 304). A non-normalised name
//!   redirects to the normalised one.
//! * `GET /files/<project>/<file>` — the file, honouring `Range` (206) when
//!   [`IndexServerOptions::range`] is set, else ignoring it (200).
//! * `GET /files/<project>/<file>.metadata` — the wheel's METADATA (PEP 658)
//!   when [`IndexServerOptions::metadata_files`] is set (and advertised then).
//! * `GET /find-links/` — one HTML page linking every file of every project.
//!
//! Every request is logged ([`IndexServer::requests`]) so tests can assert
//! which path the client took. The server stops when dropped.
//!
//! ```ignore
//! let server = IndexServer::start(IndexServerOptions::default());
//! let index = server.url(); // http://127.0.0.1:PORT/simple/
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

/// Which simple-API flavour the project pages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PEP 691: `application/vnd.pypi.simple.v1+json`.
    Json,
    /// PEP 503: `text/html` (whatever the client accepts).
    Html,
}

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct IndexServerOptions {
    /// The directory served: `root/<project>/<files>` plus optional `index.json`.
    pub root: PathBuf,
    /// JSON or HTML project pages.
    pub mode: Mode,
    /// Serve and advertise PEP 658 `.metadata` files.
    pub metadata_files: bool,
    /// Honour `Range` requests (206); when false, send the whole file (200).
    pub range: bool,
    /// Answer this many requests with 503 before behaving (retry tests).
    pub fail_first: usize,
    /// Require HTTP basic auth with this user and password.
    pub basic_auth: Option<(String, String)>,
    /// Make file links absolute (`http://127.0.0.1:PORT/files/...`) instead of relative.
    pub absolute_urls: bool,
    /// Delay every response (timeout tests).
    pub delay: Option<Duration>,
    /// Send an `ETag` with project pages and answer a matching
    /// `If-None-Match` with 304 (the default).
    pub etag: bool,
    /// Send this `Last-Modified` with project pages and answer an equal
    /// `If-Modified-Since` with 304.
    pub last_modified: Option<String>,
    /// More headers on project pages and their 304s. Ex) `Cache-Control: max-age=600`
    pub page_headers: Vec<(String, String)>,
}

impl Default for IndexServerOptions {
    /// The committed fixtures, JSON, no `.metadata`, Range supported.
    fn default() -> Self {
        IndexServerOptions {
            root: fixtures_root(),
            mode: Mode::Json,
            metadata_files: false,
            range: true,
            fail_first: 0,
            basic_auth: None,
            absolute_urls: false,
            delay: None,
            etag: true,
            last_modified: None,
            page_headers: Vec::new(),
        }
    }
}

/// `vendor-fixtures/index` of this crate.
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-fixtures/index")
}

/// One loopback index serving the committed fixtures as JSON, shared by
/// every test that needs nothing else (several servers alive in one process
/// only cost threads; one is started on first use).
pub fn shared_fixture_index() -> &'static IndexServer {
    static SERVER: std::sync::OnceLock<IndexServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        IndexServer::start(IndexServerOptions {
            root: fixtures_root(),
            mode: Mode::Json,
            ..IndexServerOptions::default()
        })
    })
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The request path (with query).
    pub path: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// Whether the request carried `If-None-Match`.
    pub conditional: bool,
    /// The request's `If-Modified-Since`, if any.
    pub if_modified_since: Option<String>,
    /// The status code the server answered with.
    pub status: u16,
}

struct State {
    options: IndexServerOptions,
    base: String,
    failures_left: AtomicUsize,
    log: Mutex<Vec<RequestRecord>>,
}

/// A running loopback index; stops on drop.
pub struct IndexServer {
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl IndexServer {
    /// Start serving on `127.0.0.1:0`: one thread per connection, and one
    /// request per connection (`Connection: close`).
    ///
    /// A hand-rolled HTTP/1.1 loop rather than tiny_http: tiny_http 0.12
    /// serves each keep-alive connection on a pool thread until the client
    /// hangs up, and its pool can lose a wake-up when several connections
    /// arrive at once, leaving a request unread until the client times out
    /// (30 s stalls under grail's parallel prefetch).
    pub fn start(options: IndexServerOptions) -> IndexServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound address");
        let state = Arc::new(State {
            failures_left: AtomicUsize::new(options.fail_first),
            options,
            base: format!("http://127.0.0.1:{}", addr.port()),
            log: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = state.clone();
                    std::thread::spawn(move || serve_connection(&state, stream));
                }
            })
        };
        IndexServer {
            state,
            stop,
            addr,
            threads: vec![accept],
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> &str {
        &self.state.base
    }

    /// The simple-API root: `http://127.0.0.1:PORT/simple/`.
    pub fn url(&self) -> String {
        format!("{}/simple/", self.state.base)
    }

    /// The simple-API root with credentials in the userinfo.
    pub fn url_with_auth(&self, user: &str, password: &str) -> String {
        self.url()
            .replacen("http://", &format!("http://{user}:{password}@"), 1)
    }

    /// The find-links page: `http://127.0.0.1:PORT/find-links/`.
    pub fn find_links_url(&self) -> String {
        format!("{}/find-links/", self.state.base)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many requests match `pred`.
    pub fn count(&self, pred: impl Fn(&RequestRecord) -> bool) -> usize {
        self.requests().iter().filter(|r| pred(r)).count()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.state.log.lock().unwrap().clear();
    }

    /// Answer the next `n` requests with 503.
    pub fn fail_next(&self, n: usize) {
        self.state.failures_left.store(n, Ordering::SeqCst);
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so it sees `stop` and closes the listener.
        let _ = TcpStream::connect(self.addr);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !sep {
                out.push('-');
            }
            sep = true;
        } else {
            out.extend(c.to_lowercase());
            sep = false;
        }
    }
    out
}

/// A response under construction.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn with(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A parsed request head.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// Read the request line and headers (and skip any body).
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let request = Request {
        method,
        path,
        headers,
    };
    let length: u64 = request
        .header("Content-Length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    std::io::copy(&mut reader.take(length), &mut std::io::sink()).ok()?;
    Some(request)
}

fn serve_connection(state: &State, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let Some(request) = read_request(&mut BufReader::new(read_half)) else {
        return;
    };
    let reply = handle(state, &request);
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (n, v) in &reply.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    if request.method != "HEAD" {
        let _ = stream.write_all(&reply.body);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        401 => "Unauthorized",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn handle(state: &State, request: &Request) -> Reply {
    let method = request.method.clone();
    let path = request.path.clone();
    let range = request.header("Range");
    let if_none_match = request.header("If-None-Match");
    let if_modified_since = request.header("If-Modified-Since");
    let authorization = request.header("Authorization");

    let reply = if state
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        Reply::new(503, "injected failure")
    } else if !authorized(state, authorization.as_deref()) {
        Reply::new(401, "authentication required")
            .with("WWW-Authenticate", "Basic realm=\"fixture\"")
    } else {
        let validators = (if_none_match.as_deref(), if_modified_since.as_deref());
        route(state, &path, range.as_deref(), validators)
    };
    if let Some(delay) = state.options.delay {
        std::thread::sleep(delay);
    }
    state.log.lock().unwrap().push(RequestRecord {
        method,
        path,
        range,
        conditional: if_none_match.is_some(),
        if_modified_since,
        status: reply.status,
    });
    reply
}

fn authorized(state: &State, authorization: Option<&str>) -> bool {
    let Some((user, password)) = &state.options.basic_auth else {
        return true;
    };
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    authorization.and_then(|a| a.strip_prefix("Basic ")) == Some(expected.as_str())
}

/// `validators`: the request's `If-None-Match` and `If-Modified-Since`.
fn route(
    state: &State,
    path: &str,
    range: Option<&str>,
    validators: (Option<&str>, Option<&str>),
) -> Reply {
    let path = path.split('?').next().unwrap_or("");
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["simple"] => project_list(state),
        ["simple", project] => {
            let norm = normalize(project);
            if norm != *project || !path.ends_with('/') {
                return Reply::new(301, "").with("Location", &format!("/simple/{norm}/"));
            }
            match project_page(state, project) {
                Some((content_type, body)) => page_reply(state, content_type, body, validators),
                None => Reply::new(404, "no such project"),
            }
        }
        ["find-links"] => find_links_page(state),
        ["files", project, file] => serve_file(state, project, file, range),
        _ => Reply::new(404, "not found"),
    }
}

/// A project page, or 304 when the request's validators match it.
fn page_reply(
    state: &State,
    content_type: &str,
    body: Vec<u8>,
    (if_none_match, if_modified_since): (Option<&str>, Option<&str>),
) -> Reply {
    let options = &state.options;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..16]);
    let etag = options.etag.then_some(etag);
    let unchanged = match (&etag, if_none_match) {
        (Some(etag), Some(sent)) => sent == etag,
        _ => {
            options.last_modified.is_some() && if_modified_since == options.last_modified.as_deref()
        }
    };
    let mut reply = if unchanged {
        Reply::new(304, "")
    } else {
        Reply::new(200, body).with("Content-Type", content_type)
    };
    if let Some(etag) = &etag {
        reply = reply.with("ETag", etag);
    }
    if let Some(modified) = &options.last_modified {
        reply = reply.with("Last-Modified", modified);
    }
    for (name, value) in &options.page_headers {
        reply = reply.with(name, value);
    }
    reply
}

fn project_list(state: &State) -> Reply {
    let mut names: Vec<String> = std::fs::read_dir(&state.options.root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    match state.options.mode {
        Mode::Json => {
            let projects: Vec<_> = names
                .iter()
                .map(|n| serde_json::json!({ "name": n }))
                .collect();
            let body = serde_json::json!({"meta": {"api-version": "1.1"}, "projects": projects});
            Reply::new(200, body.to_string())
                .with("Content-Type", "application/vnd.pypi.simple.v1+json")
        }
        Mode::Html => {
            let links: String = names
                .iter()
                .map(|n| format!("<a href=\"{n}/\">{n}</a>\n"))
                .collect();
            Reply::new(
                200,
                format!("<!DOCTYPE html><html><body>\n{links}</body></html>\n"),
            )
            .with("Content-Type", "text/html")
        }
    }
}

/// What the listing says about one file.
struct Listed {
    filename: String,
    url: String,
    sha256: String,
    size: u64,
    requires_python: Option<String>,
    yanked: Option<serde_json::Value>,
    metadata_sha256: Option<String>,
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn listing(state: &State, project: &str, link_prefix: &str) -> Option<Vec<Listed>> {
    let dir = state.options.root.join(project);
    let rd = std::fs::read_dir(&dir).ok()?;
    let sidecar: serde_json::Value = std::fs::read(dir.join("index.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "index.json")
        .collect();
    names.sort();
    let mut out = Vec::new();
    for filename in names {
        let bytes = std::fs::read(dir.join(&filename)).ok()?;
        let meta = &sidecar["files"][&filename];
        let sha256 = meta["listed-sha256"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| hex::encode(Sha256::digest(&bytes)));
        let metadata_sha256 = (state.options.metadata_files && filename.ends_with(".whl"))
            .then(|| wheel_metadata(&bytes).map(|m| hex::encode(Sha256::digest(m))))
            .flatten();
        out.push(Listed {
            url: format!("{link_prefix}files/{project}/{filename}"),
            filename,
            sha256,
            size: bytes.len() as u64,
            requires_python: meta["requires-python"].as_str().map(str::to_string),
            yanked: match &meta["yanked"] {
                serde_json::Value::Null => None,
                v => Some(v.clone()),
            },
            metadata_sha256,
        });
    }
    Some(out)
}

fn project_page(state: &State, project: &str) -> Option<(&'static str, Vec<u8>)> {
    let prefix = if state.options.absolute_urls {
        format!("{}/", state.base)
    } else {
        "../../".to_string()
    };
    let files = listing(state, project, &prefix)?;
    Some(match state.options.mode {
        Mode::Json => {
            let mut versions: Vec<String> = files
                .iter()
                .filter_map(|f| {
                    let stem = f
                        .filename
                        .trim_end_matches(".whl")
                        .trim_end_matches(".tar.gz");
                    stem.split('-').nth(1).map(str::to_string)
                })
                .collect();
            versions.dedup();
            let files: Vec<_> = files
                .iter()
                .map(|f| {
                    let mut obj = serde_json::json!({
                        "filename": f.filename,
                        "url": f.url,
                        "hashes": {"sha256": f.sha256},
                        "requires-python": f.requires_python,
                        "yanked": f.yanked.clone().unwrap_or(serde_json::Value::Bool(false)),
                        "size": f.size,
                    });
                    if let Some(m) = &f.metadata_sha256 {
                        obj["core-metadata"] = serde_json::json!({ "sha256": m });
                    }
                    obj
                })
                .collect();
            let body = serde_json::json!({
                "meta": {"api-version": "1.1"},
                "name": project,
                "files": files,
                "versions": versions,
            });
            (
                "application/vnd.pypi.simple.v1+json",
                body.to_string().into_bytes(),
            )
        }
        Mode::Html => ("text/html", html_page(project, &files).into_bytes()),
    })
}

fn html_page(title: &str, files: &[Listed]) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for {title}</title></head><body>\n"
    );
    for f in files {
        let mut attrs = String::new();
        if let Some(rp) = &f.requires_python {
            attrs.push_str(&format!(" data-requires-python=\"{}\"", html_escape(rp)));
        }
        match &f.yanked {
            Some(serde_json::Value::String(reason)) => {
                attrs.push_str(&format!(" data-yanked=\"{}\"", html_escape(reason)))
            }
            Some(_) => attrs.push_str(" data-yanked"),
            None => {}
        }
        if let Some(m) = &f.metadata_sha256 {
            attrs.push_str(&format!(" data-core-metadata=\"sha256={m}\""));
        }
        html.push_str(&format!(
            "<a href=\"{}#sha256={}\"{attrs}>{}</a><br/>\n",
            f.url, f.sha256, f.filename
        ));
    }
    html.push_str("</body></html>\n");
    html
}

fn find_links_page(state: &State) -> Reply {
    let mut projects: Vec<String> = std::fs::read_dir(&state.options.root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    projects.sort();
    let files: Vec<Listed> = projects
        .iter()
        .filter_map(|p| listing(state, p, "../"))
        .flatten()
        .collect();
    Reply::new(200, html_page("find-links", &files)).with("Content-Type", "text/html")
}

/// METADATA out of a wheel's bytes.
fn wheel_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let name = archive
        .file_names()
        .filter_map(|n| n.ok())
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)?
        .to_string();
    let mut file = archive.by_name(&name).ok()?;
    let mut out = Vec::new();
    file.read_to_end(&mut out).ok()?;
    Some(out)
}

fn serve_file(state: &State, project: &str, file: &str, range: Option<&str>) -> Reply {
    let dir = state.options.root.join(project);
    if let Some(wheel) = file.strip_suffix(".metadata") {
        if !state.options.metadata_files {
            return Reply::new(404, "no metadata files here");
        }
        return match std::fs::read(dir.join(wheel))
            .ok()
            .and_then(|b| wheel_metadata(&b))
        {
            Some(m) => Reply::new(200, m).with("Content-Type", "application/octet-stream"),
            None => Reply::new(404, "no such wheel"),
        };
    }
    if file.contains("..") || file == "index.json" {
        return Reply::new(404, "not found");
    }
    let Ok(bytes) = std::fs::read(dir.join(file)) else {
        return Reply::new(404, "no such file");
    };
    let total = bytes.len() as u64;
    let full = || {
        Reply::new(200, bytes.clone())
            .with("Content-Type", "application/octet-stream")
            .with(
                "Accept-Ranges",
                if state.options.range { "bytes" } else { "none" },
            )
    };
    let (Some(spec), true) = (range, state.options.range) else {
        return full();
    };
    let Some(spec) = spec.strip_prefix("bytes=") else {
        return full();
    };
    let parsed = match spec.split_once('-') {
        Some(("", n)) => n
            .parse::<u64>()
            .ok()
            .map(|n| (total.saturating_sub(n), total.saturating_sub(1))),
        Some((a, "")) => a.parse::<u64>().ok().map(|a| (a, total.saturating_sub(1))),
        Some((a, b)) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) => Some((a, b.min(total.saturating_sub(1)))),
            _ => None,
        },
        None => None,
    };
    match parsed {
        Some((start, end)) if start <= end && end < total => {
            Reply::new(206, bytes[start as usize..=end as usize].to_vec())
                .with("Content-Type", "application/octet-stream")
                .with("Content-Range", &format!("bytes {start}-{end}/{total}"))
        }
        _ => Reply::new(416, "").with("Content-Range", &format!("bytes */{total}")),
    }
}

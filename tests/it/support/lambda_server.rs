//! A loopback stand-in for the AWS APIs `grail layer fetch` talks to, and
//! the moto server that backs it when scripts/test installed one.
//!
//! [`LambdaServer`] serves on `127.0.0.1:<random port>`:
//!
//! * `GET /2018-10-31/layers?find=LayerVersion&Arn=…` (GetLayerVersionByArn)
//!   when [`LambdaServer::by_arn`] is on; else, like moto, it does not
//!   implement it (a 404, or moto's own answer when moto backs it);
//! * `GET /2018-10-31/layers/<name or ARN>/versions/<n>` (GetLayerVersion):
//!   forwarded to moto when moto backs the server (moto answers from the
//!   layers the test published to it), else answered from the registered
//!   layers; either way `Content.Location` is rewritten to this server, as
//!   moto's own location (`s3://`) is not downloadable;
//! * `POST /` (STS GetCallerIdentity) for account `123456789012` when moto
//!   does not back the server;
//! * `GET /archive/<sha256 hex>`: the archive (or, for the layers registered
//!   as such, a 403 "expired" answer or altered bytes).
//!
//! Layers registered with [`Behaviour::Denied`] answer AccessDenied on both
//! operations. Every request is logged ([`LambdaServer::requests`]).
//! Stops (and stops moto) when dropped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

/// The account moto (and this server's STS) says the caller is.
pub const ACCOUNT: &str = "123456789012";
/// The region of every test layer.
pub const REGION: &str = "us-east-1";

/// How a registered layer behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Served as it is.
    Normal,
    /// GetLayerVersion answers AccessDeniedException.
    Denied,
    /// The download URL answers 403 (an expired presigned URL).
    Expired,
    /// The download serves other bytes of the same length.
    Corrupt,
}

#[derive(Clone)]
struct Layer {
    zip: Vec<u8>,
    behaviour: Behaviour,
    /// Published to moto (else served here, as for another account's layer).
    in_moto: bool,
}

struct State {
    base: String,
    moto: Option<String>,
    by_arn: AtomicBool,
    /// ARN → layer.
    layers: Mutex<BTreeMap<String, Layer>>,
    log: Mutex<Vec<String>>,
}

/// The server (and its moto, if any).
pub struct LambdaServer {
    state: Arc<State>,
    moto: Option<Child>,
}

impl LambdaServer {
    /// Start the server, backed by moto when a moto venv exists
    /// (`GRAIL_MOTO_VENV`, else `integration/.work/moto-venv`).
    pub fn start() -> LambdaServer {
        let moto = moto_venv().map(start_moto);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(State {
            base: format!("http://127.0.0.1:{port}"),
            moto: moto.as_ref().map(|(_, url)| url.clone()),
            by_arn: AtomicBool::new(false),
            layers: Mutex::new(BTreeMap::new()),
            log: Mutex::new(Vec::new()),
        });
        let s = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(&s, stream));
            }
        });
        LambdaServer {
            state,
            moto: moto.map(|(child, _)| child),
        }
    }

    /// Whether moto backs this server.
    pub fn has_moto(&self) -> bool {
        self.state.moto.is_some()
    }

    /// Answer GetLayerVersionByArn too (off: the fallback path).
    pub fn by_arn(&self, on: bool) {
        self.state.by_arn.store(on, Ordering::SeqCst);
    }

    /// Publish `zip` as layer `name` (in moto when it backs the server) and
    /// return its ARN. Moto numbers versions from 1 per name.
    pub fn publish(&self, name: &str, zip: Vec<u8>, behaviour: Behaviour) -> String {
        let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1");
        if let Some(moto) = &self.state.moto {
            publish_to_moto(moto, name, &zip);
        }
        let in_moto = self.has_moto();
        let layer = Layer {
            zip,
            behaviour,
            in_moto,
        };
        self.state.layers.lock().unwrap().insert(arn.clone(), layer);
        arn
    }

    /// Serve `zip` for `arn` here, without moto (any account: moto serves
    /// only its own).
    pub fn register(&self, arn: &str, zip: Vec<u8>, behaviour: Behaviour) {
        let layer = Layer {
            zip,
            behaviour,
            in_moto: false,
        };
        self.state
            .layers
            .lock()
            .unwrap()
            .insert(arn.to_string(), layer);
    }

    /// The environment `grail` needs to use this server (and moto) with
    /// test credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let general = self.state.moto.clone().unwrap_or(self.state.base.clone());
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_ENDPOINT_URL", general),
            ("AWS_ENDPOINT_URL_LAMBDA", self.state.base.clone()),
        ]
    }

    /// `METHOD path` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many requests so far start with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }
}

impl Drop for LambdaServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.moto {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The moto venv, if scripts/test made one.
fn moto_venv() -> Option<PathBuf> {
    let venv = std::env::var_os("GRAIL_MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("integration/.work/moto-venv")
        });
    venv.join("bin/moto_server").is_file().then_some(venv)
}

/// Start `moto_server` on a free loopback port and wait until it answers.
fn start_moto(venv: PathBuf) -> (Child, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(venv.join("bin/moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "moto_server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

fn publish_to_moto(moto: &str, name: &str, zip: &[u8]) {
    let body = serde_json::json!({
        "Content": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(zip)},
        "CompatibleRuntimes": ["python3.12"],
    });
    let reply = http(
        moto,
        "POST",
        &format!("/2018-10-31/layers/{name}/versions"),
        &body.to_string(),
    );
    assert!(reply.0 == 201 || reply.0 == 200, "moto publish: {reply:?}");
}

/// A minimal HTTP/1.1 client for talking to moto.
fn http(base: &str, method: &str, path: &str, body: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect to moto");
    // moto reads the region from the signature's credential scope.
    let auth = format!("AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/lambda/aws4_request, SignedHeaders=host, Signature=0");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut reader = BufReader::new(s);
    let (status, headers) = read_head(&mut reader).expect("an HTTP answer");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    (status, headers, rest)
}

fn read_head(r: &mut impl BufRead) -> Option<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    Some((status, headers))
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.into(),
    }
}

fn lambda_error(status: u16, code: &str, message: &str) -> Reply {
    let mut r = reply(
        status,
        "application/json",
        serde_json::json!({"Type": "User", "Message": message}).to_string(),
    );
    r.headers.push(("x-amzn-ErrorType".into(), code.into()));
    r
}

fn serve(state: &State, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return;
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            if n.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    state.log.lock().unwrap().push(format!("{method} {target}"));
    let r = handle(state, &method, &target);
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {} X\r\n", r.status);
    for (n, v) in &r.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&r.body);
}

fn handle(state: &State, method: &str, target: &str) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(path);
    if method == "POST" && path == "/" {
        return caller_identity();
    }
    if let Some(sha) = path.strip_prefix("/archive/") {
        return archive(state, sha);
    }
    if path == "/2018-10-31/layers" && query.contains("find=LayerVersion") {
        return by_arn(state, target, query);
    }
    if let Some(rest) = path.strip_prefix("/2018-10-31/layers/") {
        if let Some((name, version)) = rest.rsplit_once("/versions/") {
            return get_layer_version(state, target, name, version);
        }
    }
    reply(404, "text/plain", "no such route")
}

fn caller_identity() -> Reply {
    let xml = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
<Arn>arn:aws:iam::{ACCOUNT}:user/test</Arn><UserId>AIDTEST</UserId><Account>{ACCOUNT}</Account>\
</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    );
    reply(200, "text/xml", xml)
}

fn by_arn(state: &State, target: &str, query: &str) -> Reply {
    if !state.by_arn.load(Ordering::SeqCst) {
        return match &state.moto {
            // moto's answer to an operation it lacks.
            Some(moto) => forward(moto, target),
            None => reply(404, "text/plain", "not implemented here"),
        };
    }
    let arn = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("Arn="))
        .map(percent_decode)
        .unwrap_or_default();
    describe(state, &arn)
}

fn get_layer_version(state: &State, target: &str, name: &str, version: &str) -> Reply {
    let arn = if name.starts_with("arn:") {
        format!("{name}:{version}")
    } else {
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:{version}")
    };
    // Moto answers for what was published to it and for what is not here at all.
    let to_moto = layer(state, &arn).is_none_or(|l| l.in_moto && l.behaviour != Behaviour::Denied);
    match &state.moto {
        Some(moto) if to_moto => {
            let (status, headers, body) = forward_raw(moto, target);
            if status != 200 {
                let mut r = reply(status, "application/json", body);
                let hop = [
                    "content-length",
                    "connection",
                    "transfer-encoding",
                    "content-type",
                ];
                r.headers.extend(
                    headers
                        .into_iter()
                        .filter(|(n, _)| !hop.contains(&n.as_str())),
                );
                return r;
            }
            let mut v: serde_json::Value = serde_json::from_slice(&body).expect("moto's JSON");
            let sha = v["Content"]["CodeSha256"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            v["Content"]["Location"] = location(state, &sha).into();
            reply(200, "application/json", v.to_string())
        }
        _ => describe(state, &arn),
    }
}

fn layer(state: &State, arn: &str) -> Option<Layer> {
    state.layers.lock().unwrap().get(arn).cloned()
}

fn describe(state: &State, arn: &str) -> Reply {
    let Some(layer) = layer(state, arn) else {
        return lambda_error(404, "ResourceNotFoundException", "Cannot find layer");
    };
    if layer.behaviour == Behaviour::Denied {
        let message = format!(
            "User: arn:aws:iam::{ACCOUNT}:user/test is not authorized to perform: lambda:GetLayerVersion on resource: {arn} because no identity-based policy allows the lambda:GetLayerVersion action"
        );
        return lambda_error(403, "AccessDeniedException", &message);
    }
    let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&layer.zip));
    let body = serde_json::json!({
        "LayerVersionArn": arn,
        "Version": arn.rsplit(':').next().and_then(|v| v.parse::<u64>().ok()),
        "Content": {"Location": location(state, &sha), "CodeSha256": sha, "CodeSize": layer.zip.len()},
        "CompatibleRuntimes": ["python3.12"],
    });
    reply(200, "application/json", body.to_string())
}

/// This server's download URL for the archive with this (base64) sha256.
fn location(state: &State, sha_b64: &str) -> String {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sha_b64)
        .unwrap_or_default();
    format!(
        "{}/archive/{}?X-Amz-Signature=secret",
        state.base,
        hex::encode(raw)
    )
}

fn archive(state: &State, sha_hex: &str) -> Reply {
    let layers = state.layers.lock().unwrap();
    let Some(layer) = layers
        .values()
        .find(|l| hex::encode(Sha256::digest(&l.zip)) == sha_hex)
    else {
        return reply(404, "text/plain", "no such archive");
    };
    match layer.behaviour {
        Behaviour::Expired => reply(
            403,
            "application/xml",
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        ),
        Behaviour::Corrupt => {
            let mut bytes = layer.zip.clone();
            let last = bytes.len() - 1;
            bytes[last] ^= 0xff;
            reply(200, "application/zip", bytes)
        }
        _ => reply(200, "application/zip", layer.zip.clone()),
    }
}

fn forward(moto: &str, target: &str) -> Reply {
    let (status, headers, body) = forward_raw(moto, target);
    let ct = headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "application/octet-stream".into());
    reply(status, &ct, body)
}

fn forward_raw(moto: &str, target: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    http(moto, "GET", target, "")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

//! Issue 9, classes 5–8: OUT never ships inside itself, secrets never reach
//! stderr or the report, a stalled index is given up on within the stated
//! bound, and each failure names its real problem once.

use crate::support::*;
use std::fs;

fn names(zip: &std::path::Path) -> Vec<String> {
    zip_contents(zip).into_iter().map(|e| e.0).collect()
}

/// OUT inside chalicelib/ or vendor/: a second run ships neither the first
/// run's zips nor a staging directory, says so, and is byte-identical.
#[test]
fn out_inside_a_shipped_folder_is_never_shipped() {
    for out in ["chalicelib/out", "vendor/out"] {
        let p = TestProject::new();
        p.write("chalicelib/db.py", "DB = 1\n");
        p.write("vendor/six.py", "# six\n");
        // A staging directory left by a killed run.
        p.write(&format!("{out}/../.grail-out-dead/deployment.zip"), "stale");
        p.package_ok(out, &[]);
        let zip = p.out(&format!("{out}/deployment.zip"));
        let first = fs::read(&zip).unwrap();
        let second_run = p.package_ok(out, &[]);
        let listed = names(&zip);
        assert!(
            listed
                .iter()
                .all(|n| !n.contains("deployment.zip") && !n.contains(".grail-out-")),
            "{out}: {listed:?}"
        );
        assert_eq!(fs::read(&zip).unwrap(), first, "{out}: the zip grew");
        let err = stderr_of(&second_run);
        assert!(err.contains("not shipped"), "{out}: {err}");
        assert!(err.contains(out), "{out}: {err}");
    }
}

const PW: &str = "s3cr3t-Pw";

/// Run `grail --debug package out -v --report r.json EXTRA…` in `p` with
/// `requirements`; the password must appear nowhere it prints or writes.
fn run_secret(p: &TestProject, requirements: &str, extra: &[&str]) -> std::process::Output {
    p.write("requirements.txt", requirements);
    let mut cmd = p.grail();
    without(&mut cmd, PROXY_ENV);
    let o = cmd
        .arg("--debug")
        .args([
            "package", "out", "--python", "python3", "-v", "--report", "r.json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let all = format!("{}{}", stderr_of(&o), stdout_of(&o));
    assert!(!all.contains(PW), "password printed:\n{all}");
    if let Ok(report) = fs::read_to_string(p.out("r.json")) {
        assert!(!report.contains(PW), "password in the report:\n{report}");
    }
    o
}

/// Every path that prints a URL, with a password in it: success (the
/// credentials are still sent), 404, 401, hash mismatch, invalid index URL,
/// refused connection, an unsupported direct reference, a missing
/// find-links page. The password never reaches stderr, stdout or the report.
#[test]
fn credentials_never_printed_or_reported() {
    let server = IndexServer::start(IndexServerOptions {
        basic_auth: Some(("aws".into(), PW.into())),
        ..IndexServerOptions::default()
    });
    let index = server.url_with_auth("aws", PW);
    let files =
        format!("{}/files", server.base()).replacen("http://", &format!("http://aws:{PW}@"), 1);
    let six = "six-1.17.0-py2.py3-none-any.whl";
    let p = TestProject::new();
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path().to_str().unwrap();
    let base = ["--index-url", index.as_str(), "--cache-dir", cache];
    let plain = server.url();
    let missing_page = format!("{files}/nope/");
    let fresh = tempfile::tempdir().unwrap();
    let fresh = fresh.path().to_str().unwrap();

    let ok = run_secret(&p, &format!("six @ {files}/six/{six}\n"), &base);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr_of(&ok));
    let shipped = names(&p.out("out/deployment.zip"));
    assert!(
        shipped.contains(&"six/__init__.py".to_string()),
        "{shipped:?}"
    );
    let report = fs::read_to_string(p.out("r.json")).unwrap();
    assert!(
        report.contains("aws:****@") || !report.contains("aws:"),
        "{report}"
    );

    let cases: Vec<(String, Vec<&str>, i32, &str)> = vec![
        (
            format!("six @ {files}/six/six-9.9-py3-none-any.whl\n"),
            base.to_vec(),
            2,
            "404",
        ),
        (
            // The index's credentials would be sent to the same origin.
            format!("six @ {}/six/{six}\n", files.replace(PW, "wrong")),
            vec!["--index-url", plain.as_str(), "--cache-dir", fresh],
            2,
            "401",
        ),
        (
            format!("six @ {files}/six/{six}#sha256={}\n", "0".repeat(64)),
            base.to_vec(),
            2,
            "hash",
        ),
        (
            "six==1.17.0\n".into(),
            vec![
                "--index-url",
                "http://aws:s3cr3t-Pw@[bad",
                "--cache-dir",
                cache,
            ],
            1,
            "invalid index URL",
        ),
        (
            "six==1.17.0\n".into(),
            vec![
                "--index-url",
                "http://aws:s3cr3t-Pw@127.0.0.1:1/simple",
                "--cache-dir",
                cache,
            ],
            2,
            "127.0.0.1:1",
        ),
        (
            format!("six @ {files}/six/six-1.17.0.tar.gz\n"),
            base.to_vec(),
            1,
            "six",
        ),
        (
            "six==1.17.0\n".into(),
            vec![
                "--no-index",
                "--find-links",
                &missing_page,
                "--cache-dir",
                fresh,
            ],
            2,
            "404",
        ),
        (
            format!("six @ {files}/six/six-0.1-py3-none-any.whl\n"),
            vec!["--offline", "--cache-dir", fresh],
            2,
            "not in the cache",
        ),
    ];
    for (requirements, extra, code, says) in cases {
        let o = run_secret(&p, &requirements, &extra);
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(code), "{requirements}: {err}");
        assert!(err.contains(says), "{requirements}: {err}");
    }
}

/// A loopback "index" that accepts connections and never answers; counts
/// the connections it accepted.
struct Stall {
    addr: std::net::SocketAddr,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Stall {
    fn start() -> Stall {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Stall { addr, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A stalled index costs one round of attempts per run, whoever asks next
/// (the same page, another page, a download, many downloads at once), and
/// the message states the attempts and the time they took.
#[test]
fn a_stalled_index_is_given_up_on_once() {
    use grail::index::{ClientSettings, DistFile, DistOrigin, IndexClient};
    use std::time::{Duration, Instant};
    let stall = Stall::start();
    let index = url::Url::parse(&format!("http://{}/simple/", stall.addr)).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let settings = ClientSettings {
        index_urls: vec![index.clone()],
        timeout: Duration::from_millis(300),
        attempts: 3,
        ..ClientSettings::default()
    };
    let client =
        IndexClient::new(settings, grail::cache::Cache::new(cache.path()).unwrap()).unwrap();

    let started = Instant::now();
    let err = client.project("six").unwrap_err().to_string();
    let first = started.elapsed();
    assert!(first < Duration::from_secs(3), "{first:?}");
    assert!(err.contains("gave up after 3 attempt(s) in "), "{err}");
    assert_eq!(stall.accepted(), 3);

    let file = |name: &str| DistFile {
        filename: format!("{name}-1.0-py3-none-any.whl"),
        url: index
            .join(&format!("/files/{name}-1.0-py3-none-any.whl"))
            .unwrap(),
        hashes: Default::default(),
        requires_python: None,
        yanked: None,
        core_metadata: None,
        size: None,
        origin: DistOrigin::Index(index.clone()),
    };
    let again = Instant::now();
    assert_eq!(client.project("six").unwrap_err().to_string(), err);
    let other = client.project("idna").unwrap_err().to_string();
    assert!(
        other.contains("/simple/idna/: not tried, its host was given up on: "),
        "{other}"
    );
    assert!(client.download(&file("a")).is_err());
    assert!(client.metadata(&file("b")).is_err());
    let many: Vec<_> = (0..8).map(|i| file(&format!("p{i}"))).collect();
    assert!(client.download_all(&many).iter().all(Result::is_err));
    assert!(
        again.elapsed() < Duration::from_millis(200),
        "{:?}",
        again.elapsed()
    );
    assert_eq!(stall.accepted(), 3, "the host was asked again");
}

/// A 1 MB tmpfs, unmounted on drop; `None` where mounting is not permitted
/// (not root, no CAP_SYS_ADMIN), and the test is skipped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1M", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here");
        }
        ok.then_some(SmallDisk(dir))
    }

    fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    /// Fill the disk so that the next write fails with ENOSPC.
    fn fill(&self) {
        use std::io::Write;
        let mut f = fs::File::create(self.path().join("filler")).unwrap();
        while f.write_all(&[0u8; 4096]).is_ok() {}
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

/// Bytes that do not compress (so they cannot fit a 1 MB disk zipped).
fn noise(len: usize) -> String {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect()
}

/// OUT on a full disk: one message naming the file and the disk, exit 1,
/// no raw `ZipWriter::drop` line, nothing about the network.
#[test]
fn full_disk_for_out_is_named_once() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let p = TestProject::new();
    p.write("chalicelib/noise.txt", &noise(3 << 20));
    let out = disk.path().join("out");
    let o = p.package(out.to_str().unwrap(), &[]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("No space left on device").count(), 1, "{err}");
    assert!(err.contains("deployment.zip"), "{err}");
    assert!(
        !err.contains("ZipWriter") && !err.contains("network"),
        "{err}"
    );
    assert!(!out.join("deployment.zip").exists());
}

/// The cache on a full disk while downloading: a cache error (exit 1)
/// naming the file, tried once, not "error decoding response body … check
/// the network".
#[test]
fn full_disk_for_the_cache_is_not_a_network_error() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let server = IndexServer::start(IndexServerOptions::default());
    let p = TestProject::new();
    // A direct reference: no index page to cache, the download comes first.
    let six = "six-1.17.0-py2.py3-none-any.whl";
    p.write(
        "requirements.txt",
        &format!("six @ {}/files/six/{six}\n", server.base()),
    );
    let cache = disk.path().join("cache");
    disk.fill();
    let mut cmd = p.grail();
    without(&mut cmd, PROXY_ENV);
    let o = cmd
        .args([
            "package",
            "out",
            "--python",
            "python3",
            "--index-url",
            &server.url(),
        ])
        .arg("--cache-dir")
        .arg(&cache)
        .output()
        .unwrap();
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("No space left on device").count(), 1, "{err}");
    assert!(err.contains(cache.to_str().unwrap()), "{err}");
    assert!(
        !err.contains("network") && !err.contains("decoding"),
        "{err}"
    );
    assert!(!err.contains("at path"), "the path twice: {err}");
    let downloads = server.count(|r| r.path.ends_with(".whl"));
    assert_eq!(downloads, 1, "retried: {:?}", server.requests());
}

/// Symlink cycles (a link to itself, two links to each other, a link to a
/// folder above it) are named as loops, once, with no advice about
/// permissions; exit 1.
#[test]
fn symlink_cycles_are_named_once() {
    use std::os::unix::fs::symlink;
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("chalicelib/self", &[("self", "chalicelib/self")]),
        ("vendor/self", &[("self", "vendor/self")]),
        ("vendor/a", &[("b", "vendor/a"), ("a", "vendor/b")]),
        ("vendor/d/up", &[("..", "vendor/d/up")]),
    ];
    for (named, links) in cases {
        let p = TestProject::new();
        p.write("chalicelib/ok.py", "");
        p.write("vendor/d/ok.py", "");
        for (target, link) in links {
            symlink(target, p.out(link)).unwrap();
        }
        let o = p.package("out", &[]);
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(1), "{named}: {err}");
        assert!(
            err.contains(&format!("{named} is a symlink loop")),
            "{named}: {err}"
        );
        assert_eq!(err.matches("symlink").count(), 1, "{named}: {err}");
        assert!(
            !err.contains("permissions") && !err.contains("os error"),
            "{named}: {err}"
        );
    }
}

/// A `layer_manifests` key (config or `--layer-manifest`) that is not a
/// layer version ARN: its error is printed once; exit 1.
#[test]
fn a_bad_manifest_arn_is_named_once() {
    let p = TestProject::new();
    p.write(".chalice/m.json", "{}");
    let config = r#"{"version": "2.0", "app_name": "t",
        "stages": {"dev": {"layer_manifests": {"arn:bogus": "m.json"}}}}"#;
    for (config, extra) in [
        (Some(config), vec![]),
        (None, vec!["--layer-manifest", "arn:bogus=.chalice/m.json"]),
    ] {
        if let Some(c) = config {
            p.write(".chalice/config.json", c);
        } else {
            p.write(
                ".chalice/config.json",
                r#"{"version": "2.0", "app_name": "t", "stages": {"dev": {}}}"#,
            );
        }
        let o = p.package("out", &extra);
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(err.matches("invalid layer ARN").count(), 1, "{err}");
        assert!(err.contains("m.json") && err.contains("arn:bogus"), "{err}");
    }
}

/// A 70,000-character project name: refused as too long (exit 1), never
/// sent to an index, never echoed whole.
#[test]
fn a_huge_project_name_is_refused_not_fetched() {
    let server = IndexServer::start(IndexServerOptions::default());
    let huge = "a".repeat(70_000);
    let p = TestProject::new();
    let cache = tempfile::tempdir().unwrap();
    for line in [huge.clone(), format!("{huge}==1.0 ; python_version > '3'")] {
        let o = run_secret(
            &p,
            &format!("{line}\n"),
            &[
                "--index-url",
                &server.url(),
                "--cache-dir",
                cache.path().to_str().unwrap(),
            ],
        );
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(1), "{}", &err[..err.len().min(2000)]);
        assert!(err.len() < 2000, "{} bytes echoed", err.len());
        assert!(
            err.contains("requirements.txt:1: the project name `aaaa"),
            "{err}"
        );
        assert!(err.contains("(70000 characters)` is too long"), "{err}");
    }
    // The same name from a hostile index's METADATA reaches the client.
    let client = grail::index::IndexClient::new(
        grail::index::ClientSettings {
            index_urls: vec![url::Url::parse(&server.url()).unwrap()],
            ..Default::default()
        },
        grail::cache::Cache::new(cache.path()).unwrap(),
    )
    .unwrap();
    let err = client.project(&huge).unwrap_err().to_string();
    assert!(err.len() < 200 && err.contains("too long"), "{err}");
    assert_eq!(server.requests().len(), 0, "the name was sent");
}

/// An index that answers every request with a page that never ends
/// (chunked, bounded at 256 MiB so the test always stops), or that declares
/// a 1 TB `Content-Length` and sends nothing.
fn endless_index(declare_huge: bool) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        // At most a few connections: the client gives up on the first.
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if declare_huge {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000000000\r\n\r\n<html>",
                );
                continue;
            }
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let chunk = format!("{:x}\r\n{}\r\n", 1 << 16, "a".repeat(1 << 16));
            for _ in 0..(256 << 20) / (1 << 16) {
                if s.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

#[test]
fn an_endless_index_page_is_refused_at_the_cap() {
    use grail::index::{ClientSettings, IndexClient};
    use std::time::{Duration, Instant};
    for declare_huge in [false, true] {
        let addr = endless_index(declare_huge);
        let index = url::Url::parse(&format!("http://{addr}/simple/")).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let settings = ClientSettings {
            index_urls: vec![index],
            timeout: Duration::from_secs(10),
            attempts: 1,
            ..ClientSettings::default()
        };
        let client =
            IndexClient::new(settings, grail::cache::Cache::new(cache.path()).unwrap()).unwrap();
        let started = Instant::now();
        let err = client.project("six").unwrap_err().to_string();
        assert!(
            err.contains("sent more than 67108864 bytes for an index page"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{err}");
    }
}

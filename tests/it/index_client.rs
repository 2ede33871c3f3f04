//! Integration tests of the index client against the loopback fixture index.

use std::path::Path;
use std::time::Duration;

use crate::support::*;
use grail::cache::Cache;
use grail::error::{Classify, ExitKind};
use grail::index::{ClientSettings, DistFile, DistOrigin, IndexClient, IndexError};
use grail::metadata::CoreMetadata;
use url::Url;

fn settings(index: &str) -> ClientSettings {
    ClientSettings {
        index_urls: vec![Url::parse(index).unwrap()],
        attempts: 3,
        timeout: Duration::from_secs(10),
        ..ClientSettings::default()
    }
}

fn client_with(settings: ClientSettings, cache: &Path) -> IndexClient {
    IndexClient::new(settings, Cache::new(cache).unwrap()).unwrap()
}

fn client(server: &IndexServer, cache: &Path) -> IndexClient {
    client_with(settings(&server.url()), cache)
}

fn server(mode: Mode) -> IndexServer {
    IndexServer::start(IndexServerOptions {
        mode,
        ..IndexServerOptions::default()
    })
}

fn file<'a>(files: &'a [DistFile], filename: &str) -> &'a DistFile {
    files
        .iter()
        .find(|f| f.filename == filename)
        .unwrap_or_else(|| panic!("{filename} not listed"))
}

fn fixture_sha256(project: &str, filename: &str) -> String {
    let bytes = std::fs::read(fixtures_root().join(project).join(filename)).unwrap();
    grail::cache::sha256_hex(&bytes)
}

/// Files in the cache's blob store and temp dir.
fn cache_files(cache: &Path) -> (usize, usize) {
    let blobs = walk_files(&cache.join("v1/blobs"));
    let tmp = walk_files(&cache.join("v1/tmp"));
    (blobs, tmp)
}

fn walk_files(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.filter_map(|e| e.ok())
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk_files(&p)
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn json_and_html_pages_list_the_same_files() {
    let mut listings = Vec::new();
    for mode in [Mode::Json, Mode::Html] {
        let server = server(mode);
        let cache = tempfile::tempdir().unwrap();
        let client = client(&server, cache.path());
        // Non-normalised name: the client asks for /simple/charset-normalizer/.
        let files = client.project("Charset_Normalizer").unwrap();
        assert_eq!(
            server.count(|r| r.path == "/simple/charset-normalizer/"),
            1,
            "{mode:?}"
        );
        assert_eq!(files.len(), 11, "{mode:?}");
        let pure = file(&files, "charset_normalizer-3.4.3-py3-none-any.whl");
        // Relative "../../files/..." resolved against the page URL.
        assert_eq!(
            pure.url.as_str(),
            format!(
                "{}/files/charset-normalizer/charset_normalizer-3.4.3-py3-none-any.whl",
                server.base()
            )
        );
        assert_eq!(
            pure.sha256(),
            Some(fixture_sha256("charset-normalizer", &pure.filename).as_str())
        );
        assert_eq!(pure.requires_python.as_deref(), Some(">=3.7"));
        assert_eq!(
            pure.origin,
            DistOrigin::Index(Url::parse(&server.url()).unwrap())
        );
        assert!(pure.core_metadata.is_none());
        let summary: Vec<_> = files
            .iter()
            .map(|f| {
                (
                    f.filename.clone(),
                    f.url.path().to_string(),
                    f.hashes.clone(),
                    f.requires_python.clone(),
                    f.yanked.clone(),
                )
            })
            .collect();
        listings.push(summary);
    }
    assert_eq!(listings[0], listings[1]);
}

#[test]
fn absolute_file_urls_work_too() {
    let server = IndexServer::start(IndexServerOptions {
        absolute_urls: true,
        ..IndexServerOptions::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let files = client.project("idna").unwrap();
    let wheel = file(&files, "idna-3.10-py3-none-any.whl");
    assert!(wheel.url.as_str().starts_with(server.base()));
    client.download(wheel).unwrap();
}

#[test]
fn yanked_and_requires_python_are_reported_in_both_modes() {
    for mode in [Mode::Json, Mode::Html] {
        let server = server(mode);
        let cache = tempfile::tempdir().unwrap();
        let client = client(&server, cache.path());
        let urllib3 = client.project("urllib3").unwrap();
        assert_eq!(
            file(&urllib3, "urllib3-2.5.0-py3-none-any.whl").yanked,
            None
        );
        assert_eq!(
            file(&urllib3, "urllib3-2.6.0-py3-none-any.whl")
                .yanked
                .as_deref(),
            Some("broken release, use 2.5.0"),
            "{mode:?}"
        );
        let newpy = client.project("newpy").unwrap();
        assert_eq!(
            file(&newpy, "newpy-2.0-py3-none-any.whl")
                .requires_python
                .as_deref(),
            Some(">=3.13")
        );
        assert_eq!(
            file(&newpy, "newpy-1.0-py3-none-any.whl")
                .requires_python
                .as_deref(),
            Some(">=3.8")
        );
    }
}

#[test]
fn unknown_project_is_empty_and_that_is_cached_for_offline() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    assert!(client(&server, cache.path())
        .project("no-such-project")
        .unwrap()
        .is_empty());
    let mut offline = settings(&server.url());
    offline.offline = true;
    server.clear_requests();
    assert!(client_with(offline, cache.path())
        .project("no-such-project")
        .unwrap()
        .is_empty());
    assert!(server.requests().is_empty());
}

#[test]
fn metadata_prefers_pep658_files() {
    for mode in [Mode::Json, Mode::Html] {
        let server = IndexServer::start(IndexServerOptions {
            mode,
            metadata_files: true,
            ..IndexServerOptions::default()
        });
        let cache = tempfile::tempdir().unwrap();
        let client = client(&server, cache.path());
        let files = client.project("requests").unwrap();
        let wheel = file(&files, "requests-2.32.5-py3-none-any.whl");
        assert!(matches!(wheel.core_metadata, Some(Some(_))), "{mode:?}");
        let found = client.metadata(wheel).unwrap();
        let meta = CoreMetadata::parse(&found.metadata).unwrap();
        assert_eq!(meta.normalized_name(), "requests");
        assert_eq!(meta.requires_dist.len(), 6);
        assert_eq!(found.unzipped_bytes, None);
        assert_eq!(server.count(|r| r.path.ends_with(".whl.metadata")), 1);
        assert_eq!(server.count(|r| r.path.ends_with(".whl")), 0);
    }
}

#[test]
fn metadata_uses_range_requests_when_no_metadata_files() {
    for mode in [Mode::Json, Mode::Html] {
        let server = server(mode);
        let cache = tempfile::tempdir().unwrap();
        let client = client(&server, cache.path());
        let files = client.project("pandas").unwrap();
        let wheel = file(
            &files,
            "pandas-2.3.3-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        );
        let found = client.metadata(wheel).unwrap();
        let meta = CoreMetadata::parse(&found.metadata).unwrap();
        assert_eq!(meta.version.to_string(), "2.3.3");
        assert_eq!(meta.provides_extra, vec!["excel".to_string()]);
        // Every request for the wheel was a Range request answered with 206.
        let wheel_requests: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with(".whl"))
            .collect();
        assert!(!wheel_requests.is_empty());
        assert!(
            wheel_requests
                .iter()
                .all(|r| r.range.is_some() && r.status == 206),
            "{wheel_requests:?}"
        );
        // The unzipped size is the sum over the central directory.
        let bytes = std::fs::read(fixtures_root().join("pandas").join(&wheel.filename)).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let expected: u64 = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().size())
            .sum();
        assert_eq!(found.unzipped_bytes, Some(expected));
        // Nothing was downloaded in full.
        assert_eq!(cache_files(cache.path()).0, 0);
    }
}

#[test]
fn stored_wheels_are_read_over_range_too() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let files = client.project("sseclient-py").unwrap();
    let found = client.metadata(&files[0]).unwrap();
    assert_eq!(
        CoreMetadata::parse(&found.metadata).unwrap().name,
        "sseclient-py"
    );
}

#[test]
fn metadata_falls_back_to_one_full_download_without_range() {
    let server = IndexServer::start(IndexServerOptions {
        range: false,
        ..IndexServerOptions::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let files = client.project("msgpack").unwrap();
    let wheel = file(
        &files,
        "msgpack-1.1.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
    );
    let found = client.metadata(wheel).unwrap();
    assert_eq!(
        CoreMetadata::parse(&found.metadata).unwrap().name,
        "msgpack"
    );
    assert!(found.unzipped_bytes.is_some());
    assert_eq!(
        server.count(|r| r.path.ends_with(".whl") && r.status == 200),
        1
    );
    // The body the server sent instead of a range was kept: download is free.
    server.clear_requests();
    let path = client.download(wheel).unwrap();
    assert!(server.requests().is_empty());
    assert_eq!(
        grail::cache::sha256_hex(&std::fs::read(path).unwrap()),
        wheel.sha256().unwrap()
    );
}

#[test]
fn metadata_is_cached_across_runs() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let files = client(&server, cache.path()).project("certifi").unwrap();
    let first = client(&server, cache.path()).metadata(&files[0]).unwrap();
    server.clear_requests();
    let second = client(&server, cache.path()).metadata(&files[0]).unwrap();
    assert_eq!(first, second);
    assert!(server.requests().is_empty());
}

#[test]
fn sdist_metadata_is_refused_with_a_clear_error() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let files = client.project("sdistonly").unwrap();
    assert!(files[0].is_sdist());
    let err = client.metadata(&files[0]).unwrap_err();
    assert!(err.to_string().contains("sdistonly-0.1.tar.gz"), "{err}");
}

#[test]
fn hash_mismatch_fails_and_stores_nothing() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let first = client(&server, cache.path());
    let files = first.project("badhash").unwrap();
    let err = first.download(&files[0]).unwrap_err();
    assert!(matches!(err, IndexError::HashMismatch { .. }), "{err}");
    assert_eq!(err.exit_kind(), ExitKind::Dependencies);
    assert_eq!(err.exit_kind().code(), 2);
    let text = err.to_string();
    assert!(text.contains("badhash-1.0-py3-none-any.whl"), "{text}");
    assert!(text.contains(files[0].sha256().unwrap()), "{text}");
    assert!(
        text.contains(&fixture_sha256("badhash", &files[0].filename)),
        "{text}"
    );
    assert_eq!(cache_files(cache.path()), (0, 0));
    // Metadata of that file falls back to the (failing) download too: nothing stored.
    let no_range = IndexServer::start(IndexServerOptions {
        range: false,
        ..IndexServerOptions::default()
    });
    let client2 = client(&no_range, cache.path());
    let files = client2.project("badhash").unwrap();
    assert!(client2.metadata(&files[0]).is_err());
    assert_eq!(cache_files(cache.path()), (0, 0));
}

#[test]
fn required_hashes_are_enforced() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let files = client.project("six").unwrap();
    let wheel = file(&files, "six-1.17.0-py2.py3-none-any.whl");
    let wrong = vec![format!("sha256:{}", "0".repeat(64))];
    let err = client.download_verified(wheel, &wrong).unwrap_err();
    assert!(matches!(err, IndexError::HashMismatch { .. }));
    assert_eq!(cache_files(cache.path()), (0, 0));
    let right = vec![
        wrong[0].clone(),
        format!("sha256:{}", wheel.sha256().unwrap()),
    ];
    let path = client.download_verified(wheel, &right).unwrap();
    // A cache hit is checked against the pins too.
    assert!(client.download_verified(wheel, &wrong).is_err());
    assert_eq!(client.download_verified(wheel, &right).unwrap(), path);
}

#[test]
fn pages_are_revalidated_with_etags_and_refresh_refetches() {
    for mode in [Mode::Json, Mode::Html] {
        let server = server(mode);
        let cache = tempfile::tempdir().unwrap();
        let first = client(&server, cache.path()).project("six").unwrap();
        let second = client(&server, cache.path()).project("six").unwrap();
        assert_eq!(first, second);
        let log = server.requests();
        assert_eq!(log.len(), 2);
        assert!(!log[0].conditional && log[0].status == 200);
        assert!(log[1].conditional && log[1].status == 304, "{log:?}");
        // Memoised within one client: no second request.
        let c = client(&server, cache.path());
        c.project("six").unwrap();
        c.project("SIX").unwrap();
        assert_eq!(server.requests().len(), 3);
        let mut refresh = settings(&server.url());
        refresh.refresh = true;
        server.clear_requests();
        assert_eq!(
            client_with(refresh, cache.path()).project("six").unwrap(),
            first
        );
        let log = server.requests();
        assert!(!log[0].conditional && log[0].status == 200);
    }
}

#[test]
fn offline_works_from_the_cache_alone() {
    let server = server(Mode::Html);
    let cache = tempfile::tempdir().unwrap();
    let online = client(&server, cache.path());
    let files = online.project("idna").unwrap();
    let wheel = file(&files, "idna-3.10-py3-none-any.whl").clone();
    let meta = online.metadata(&wheel).unwrap();
    let path = online.download(&wheel).unwrap();
    server.clear_requests();

    let mut settings = settings(&server.url());
    settings.offline = true;
    let offline = client_with(settings, cache.path());
    assert_eq!(offline.project("IDNA").unwrap(), files);
    assert_eq!(offline.metadata(&wheel).unwrap(), meta);
    assert_eq!(offline.download(&wheel).unwrap(), path);
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    let err = offline.project("six").unwrap_err();
    assert!(matches!(err, IndexError::NotCached { .. }));
    let text = err.to_string();
    assert!(
        text.contains("/simple/six/") && text.contains("run once without --offline"),
        "{text}"
    );
    // A listed but never-downloaded file.
    let other = file(&files, "idna-3.10-py3-none-any.whl").clone();
    let mut uncached = other;
    uncached.hashes.insert("sha256".into(), "1".repeat(64));
    let err = offline.download(&uncached).unwrap_err();
    assert!(
        err.to_string().contains("idna-3.10-py3-none-any.whl"),
        "{err}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let server = IndexServer::start(IndexServerOptions {
        fail_first: 2,
        ..IndexServerOptions::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let files = client(&server, cache.path()).project("six").unwrap();
    assert_eq!(files.len(), 2);
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);

    server.fail_next(3);
    let cache2 = tempfile::tempdir().unwrap();
    let err = client(&server, cache2.path()).project("six").unwrap_err();
    assert!(matches!(err, IndexError::Http { status: 503, .. }), "{err}");
    assert!(err.to_string().contains("/simple/six/"), "{err}");
}

#[test]
fn timeouts_are_retried_then_reported() {
    let server = IndexServer::start(IndexServerOptions {
        delay: Some(Duration::from_millis(600)),
        ..IndexServerOptions::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let mut s = settings(&server.url());
    s.timeout = Duration::from_millis(150);
    s.attempts = 2;
    let err = client_with(s, cache.path()).project("six").unwrap_err();
    assert!(
        matches!(err, IndexError::Network { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/simple/six/"), "{err}");
}

#[test]
fn basic_auth_from_url_userinfo() {
    let server = IndexServer::start(IndexServerOptions {
        basic_auth: Some(("aws".into(), "s3cr3t-t0ken".into())),
        ..IndexServerOptions::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let client = client_with(
        settings(&server.url_with_auth("aws", "s3cr3t-t0ken")),
        cache.path(),
    );
    let files = client.project("six").unwrap();
    let wheel = file(&files, "six-1.17.0-py2.py3-none-any.whl");
    assert!(!wheel.url.as_str().contains("s3cr3t"));
    assert!(matches!(&wheel.origin, DistOrigin::Index(u) if !u.as_str().contains("s3cr3t")));
    client.metadata(wheel).unwrap();
    client.download(wheel).unwrap();
    // Credentials never reach the cache.
    for entry in walkdir::WalkDir::new(cache.path())
        .into_iter()
        .filter_map(|e| e.ok())
    {
        if entry.file_type().is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
            assert!(!text.contains("s3cr3t"), "{}", entry.path().display());
        }
    }
    // Wrong password: 401, and the message does not leak it.
    let cache2 = tempfile::tempdir().unwrap();
    let bad = client_with(
        settings(&server.url_with_auth("aws", "wrong-pw")),
        cache2.path(),
    );
    let err = bad.project("six").unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, IndexError::Http { status: 401, .. }),
        "{text}"
    );
    assert!(
        !text.contains("wrong-pw") && text.contains("credentials"),
        "{text}"
    );
}

#[test]
fn find_links_directories_and_pages() {
    let cache = tempfile::tempdir().unwrap();
    let dir = fixtures_root().join("six");
    let client = client_with(
        ClientSettings {
            find_links: vec![dir.to_string_lossy().into_owned()],
            no_index: true,
            ..ClientSettings::default()
        },
        cache.path(),
    );
    let files = client.project("six").unwrap();
    let names: Vec<_> = files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(
        names,
        ["six-1.17.0-py2.py3-none-any.whl", "six-1.17.0.tar.gz"]
    );
    assert!(client.project("idna").unwrap().is_empty());
    let path = client.download(&files[0]).unwrap();
    assert_eq!(
        std::fs::read(path).unwrap(),
        std::fs::read(dir.join(&files[0].filename)).unwrap()
    );

    let server = server(Mode::Json);
    let client = client_with(
        ClientSettings {
            find_links: vec![server.find_links_url()],
            no_index: true,
            ..ClientSettings::default()
        },
        cache.path(),
    );
    let files = client.project("python_dateutil").unwrap();
    assert_eq!(files.len(), 1);
    assert!(matches!(&files[0].origin, DistOrigin::FindLinks(_)));
    assert_eq!(
        files[0].url.as_str(),
        format!(
            "{}/files/python-dateutil/{}",
            server.base(),
            files[0].filename
        )
    );
    assert!(files[0].sha256().is_some());
    client.metadata(&files[0]).unwrap();
    // The find-links page is fetched once for many projects.
    client.project("six").unwrap();
    assert_eq!(server.count(|r| r.path == "/find-links/"), 1);
}

#[test]
fn concurrent_runs_share_one_cache() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let files = client(&server, cache.path()).project("numpy").unwrap();
    assert!(files.len() > 10);
    let results: Vec<Vec<_>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let files = files.clone();
                let url = server.url();
                let dir = cache.path().to_path_buf();
                scope.spawn(move || {
                    // Each "run" has its own client and cache handle.
                    let client = client_with(settings(&url), &dir);
                    client
                        .download_all(&files)
                        .into_iter()
                        .map(|r| r.unwrap())
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results[0], results[1]);
    for (path, f) in results[0].iter().zip(&files) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(grail::cache::sha256_hex(&bytes), f.sha256().unwrap());
    }
    assert_eq!(cache_files(cache.path()), (files.len(), 0));
}

// ----- HTTP caching headers and the binary listings -------------------------

fn caching_server(
    etag: bool,
    last_modified: Option<&str>,
    headers: &[(&str, &str)],
) -> IndexServer {
    IndexServer::start(IndexServerOptions {
        etag,
        last_modified: last_modified.map(str::to_string),
        page_headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..IndexServerOptions::default()
    })
}

fn page_requests(server: &IndexServer) -> Vec<RequestRecord> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/simple/"))
        .collect()
}

#[test]
fn max_age_pages_are_reused_without_asking_until_refresh() {
    let server = caching_server(true, None, &[("Cache-Control", "public, max-age=600")]);
    let cache = tempfile::tempdir().unwrap();
    let first = client(&server, cache.path()).project("six").unwrap();
    assert_eq!(page_requests(&server).len(), 1);
    // A new client (a new run) within max-age: no request at all.
    let again = client(&server, cache.path()).project("six").unwrap();
    assert_eq!(again, first);
    assert_eq!(page_requests(&server).len(), 1, "{:?}", server.requests());
    // --refresh asks again, unconditionally.
    let mut refresh = settings(&server.url());
    refresh.refresh = true;
    server.clear_requests();
    client_with(refresh, cache.path()).project("six").unwrap();
    let log = page_requests(&server);
    assert_eq!(log.len(), 1);
    assert!(!log[0].conditional && log[0].status == 200, "{log:?}");
}

#[test]
fn age_counts_against_max_age() {
    // The CDN held the page for its whole lifetime: stale on arrival.
    let stale = caching_server(
        true,
        None,
        &[("Cache-Control", "max-age=600"), ("Age", "600")],
    );
    let cache = tempfile::tempdir().unwrap();
    client(&stale, cache.path()).project("six").unwrap();
    client(&stale, cache.path()).project("six").unwrap();
    let log = page_requests(&stale);
    assert_eq!(log.len(), 2);
    assert!(log[1].conditional && log[1].status == 304, "{log:?}");

    // Nine minutes and a half of ten used: still fresh for the next run.
    let fresh = caching_server(
        true,
        None,
        &[("Cache-Control", "max-age=600"), ("Age", "570")],
    );
    let cache = tempfile::tempdir().unwrap();
    client(&fresh, cache.path()).project("six").unwrap();
    client(&fresh, cache.path()).project("six").unwrap();
    assert_eq!(page_requests(&fresh).len(), 1);
}

#[test]
fn no_cache_pages_are_always_revalidated() {
    let server = caching_server(true, None, &[("Cache-Control", "max-age=600, no-cache")]);
    let cache = tempfile::tempdir().unwrap();
    let first = client(&server, cache.path()).project("six").unwrap();
    assert_eq!(client(&server, cache.path()).project("six").unwrap(), first);
    let log = page_requests(&server);
    assert_eq!(log.len(), 2);
    assert!(log[1].conditional && log[1].status == 304, "{log:?}");
}

#[test]
fn last_modified_alone_revalidates_with_if_modified_since() {
    let stamp = "Wed, 21 Oct 2015 07:28:00 GMT";
    let server = caching_server(false, Some(stamp), &[]);
    let cache = tempfile::tempdir().unwrap();
    let first = client(&server, cache.path()).project("six").unwrap();
    let second = client(&server, cache.path()).project("six").unwrap();
    assert_eq!(first, second);
    let log = page_requests(&server);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].if_modified_since, None);
    assert!(!log[1].conditional);
    assert_eq!(log[1].if_modified_since.as_deref(), Some(stamp));
    assert_eq!(log[1].status, 304);
}

#[test]
fn damaged_listings_are_cache_misses() {
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let first = client(&server, cache.path()).project("six").unwrap();
    let listings = cache.path().join("v1/listings");
    let files: Vec<_> = std::fs::read_dir(&listings)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&files[0], &bytes).unwrap();

    // Offline, a damaged listing is as good as none.
    let mut offline = settings(&server.url());
    offline.offline = true;
    let err = client_with(offline, cache.path())
        .project("six")
        .unwrap_err();
    assert!(matches!(err, IndexError::NotCached { .. }), "{err}");
    // Online, it is fetched again from scratch (no validators to send).
    server.clear_requests();
    assert_eq!(client(&server, cache.path()).project("six").unwrap(), first);
    let log = page_requests(&server);
    assert_eq!(log.len(), 1);
    assert!(!log[0].conditional && log[0].status == 200, "{log:?}");
    // Garbage of any length never panics.
    for len in [0, 1, 23, 24, 25, 100] {
        std::fs::write(&files[0], vec![0xff; len]).unwrap();
        assert!(client(&server, cache.path()).project("six").is_ok());
    }
}

#[test]
fn pages_cached_by_older_grails_are_converted() {
    let index = "https://index.example.invalid/simple/";
    let sha = fixture_sha256("six", "six-1.17.0-py2.py3-none-any.whl");
    let body = format!(
        r#"{{"meta":{{"api-version":"1.1"}},"files":[
            {{"filename":"six-1.17.0-py2.py3-none-any.whl","url":"../../files/six-1.17.0-py2.py3-none-any.whl",
              "hashes":{{"sha256":"{sha}"}},"requires-python":">=2.7"}},
            {{"filename":"six-1.17.0.tar.gz","url":"../../files/six-1.17.0.tar.gz","hashes":{{}},"yanked":"old"}}]}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path()).unwrap();
    cache
        .set_legacy_page(&grail::cache::CachedPage {
            url: format!("{index}six/"),
            content_type: Some("application/vnd.pypi.simple.v1+json".into()),
            etag: Some("\"v1\"".into()),
            last_modified: None,
            fetched_at: 1,
            max_age: None,
            body,
            final_url: None,
            not_found: false,
        })
        .unwrap();
    let mut offline = settings(index);
    offline.offline = true;
    let files = client_with(offline.clone(), dir.path())
        .project("six")
        .unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        files[0].url.as_str(),
        "https://index.example.invalid/files/six-1.17.0-py2.py3-none-any.whl"
    );
    assert_eq!(files[0].sha256(), Some(sha.as_str()));
    assert_eq!(files[0].requires_python.as_deref(), Some(">=2.7"));
    assert_eq!(files[1].yanked.as_deref(), Some("old"));
    // Converted once: the raw page is gone, the listing serves the next run.
    assert!(cache.legacy_page(&format!("{index}six/")).is_none());
    assert_eq!(
        client_with(offline, dir.path()).project("six").unwrap(),
        files
    );
}

#[test]
fn project_for_keeps_only_what_the_target_can_use() {
    use grail::target::tags::Tags;
    use grail::target::{Arch, LambdaTarget, PythonVersion};
    let server = server(Mode::Json);
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let tags = Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64));
    let all = client.project("msgpack").unwrap();
    let kept = client.project_for("msgpack", &tags).unwrap();
    assert!(all.len() > 2, "{all:?}");
    let names: Vec<&str> = kept.iter().map(|f| f.filename.as_str()).collect();
    assert!(
        names
            .iter()
            .all(|n| !n.ends_with(".whl") || n.contains("cp312-cp312-manylinux")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.contains("cp312-cp312-manylinux")));
    assert!(kept.iter().all(|f| all.contains(f)));
    // Another target gets its own answer from the same client.
    let arm = Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), Arch::Arm64));
    let arm_kept = client.project_for("msgpack", &arm).unwrap();
    assert!(arm_kept
        .iter()
        .all(|f| !f.filename.ends_with(".whl") || f.filename.contains("aarch64")));
}

/// An index that sends no validators at all (some mirrors and proxies
/// strip them) serves every page in full on every run: a page that comes
/// back byte for byte as it was parsed reuses the stored listing (not even
/// rewritten); one that changed is parsed again.
#[test]
fn unchanged_pages_without_validators_are_not_parsed_again() {
    let root = tempfile::tempdir().unwrap();
    let six = root.path().join("six");
    std::fs::create_dir_all(&six).unwrap();
    for f in ["index.json", "six-1.17.0-py2.py3-none-any.whl"] {
        std::fs::copy(fixtures_root().join("six").join(f), six.join(f)).unwrap();
    }
    let server = IndexServer::start(IndexServerOptions {
        root: root.path().to_path_buf(),
        etag: false,
        ..IndexServerOptions::default()
    });
    let cache = tempfile::tempdir().unwrap();
    let first = client(&server, cache.path()).project("six").unwrap();
    let listing = std::fs::read_dir(cache.path().join("v1/listings"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    let stamp = |t| {
        std::fs::File::options()
            .write(true)
            .open(&listing)
            .unwrap()
            .set_modified(t)
            .unwrap()
    };
    let modified = || std::fs::metadata(&listing).unwrap().modified().unwrap();
    stamp(long_ago);

    assert_eq!(client(&server, cache.path()).project("six").unwrap(), first);
    assert_eq!(
        modified(),
        long_ago,
        "an unchanged page rewrote its listing"
    );
    let log = page_requests(&server);
    assert_eq!(log.len(), 2);
    assert!(
        log.iter().all(|r| !r.conditional && r.status == 200),
        "{log:?}"
    );

    // A release appears: the page differs, so it is parsed and stored again.
    std::fs::copy(
        fixtures_root().join("six/six-1.17.0.tar.gz"),
        six.join("six-1.17.0.tar.gz"),
    )
    .unwrap();
    let now = client(&server, cache.path()).project("six").unwrap();
    assert_eq!(now.len(), first.len() + 1, "{now:?}");
    assert_ne!(modified(), long_ago);
}

//! `grail layer fetch` and `grail package --fetch-layers` against the AWS
//! API on 127.0.0.1: moto's server mode when scripts/test installed it,
//! paired with grail's own stand-in ([`LambdaServer`]) for the archive
//! downloads and what moto lacks (GetLayerVersionByArn, other accounts'
//! public layers, refusals). Credentials are test values in the
//! environment; nothing reaches real AWS.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

use crate::support::lambda_server::{Behaviour, LambdaServer, ACCOUNT};
use crate::support::*;

const PANDAS_312: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";

use crate::support::shared_fixture_index as index;

fn sample_layer() -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-fixtures/layers/sample-layer.zip"))
        .unwrap()
}

/// A small made-up layer: one distribution under `python/`.
fn tiny_layer(name: &str) -> Vec<u8> {
    layer_zip(&[
        (format!("python/{name}/__init__.py"), b"X = 1\n".to_vec()),
        (
            format!("python/{name}-1.0.dist-info/METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n").into_bytes(),
        ),
    ])
}

fn layer_zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (p, b) in files {
        z.start_file(p.as_str(), zip::write::SimpleFileOptions::DEFAULT)
            .unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// A layer made of the fixture index's wheels for `projects` (python3.12,
/// x86_64), unpacked under `python/` as `pip install -t python/` would.
fn wheel_layer(projects: &[&str]) -> Vec<u8> {
    let mut files = Vec::new();
    for p in projects {
        let dir = fixtures_root().join(p);
        let mut wheels: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|w| {
                let n = w.file_name().unwrap().to_string_lossy().into_owned();
                n.ends_with("-none-any.whl")
                    || (n.contains("-cp312-cp312-manylinux") && n.ends_with("x86_64.whl"))
            })
            .collect();
        wheels.sort();
        let wheel = wheels.last().unwrap_or_else(|| panic!("no wheel for {p}"));
        let mut a = zip::ZipArchive::new(fs::File::open(wheel).unwrap()).unwrap();
        for i in 0..a.len() {
            let mut f = a.by_index(i).unwrap();
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            files.push((format!("python/{}", f.name().unwrap()), buf));
        }
    }
    layer_zip(&files)
}

/// The sum of a zip's uncompressed entry sizes (what Lambda counts).
fn unzipped(zip: &[u8]) -> u64 {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..a.len()).map(|i| a.by_index(i).unwrap().size()).sum()
}

/// A world: the AWS stand-in, a project and a cache.
struct World {
    aws: LambdaServer,
    p: TestProject,
    cache: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World {
            aws: LambdaServer::start(),
            p: TestProject::new(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    /// `grail ARGS… --cache-dir CACHE` with the stand-in's environment.
    fn grail(&self, args: &[&str]) -> Output {
        self.grail_env(args, &self.aws.env())
    }

    fn grail_env(&self, args: &[&str], env: &[(&'static str, String)]) -> Output {
        let mut cmd = self.p.grail();
        without(&mut cmd, PROXY_ENV);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(args);
        if args.first() != Some(&"layer") || args.get(1) != Some(&"scan") {
            cmd.arg("--cache-dir").arg(self.cache.path());
        }
        cmd.output().unwrap()
    }

    fn fetch(&self, extra: &[&str]) -> Output {
        let mut args = vec!["layer", "fetch"];
        args.extend_from_slice(extra);
        self.grail(&args)
    }

    /// `grail package out --index-url … --python python3 --python-version 3.12 EXTRA`.
    fn package(&self, extra: &[&str]) -> Output {
        let url = index().url();
        let mut args = vec![
            "package",
            "out",
            "--index-url",
            &url,
            "--python",
            "python3",
            "--python-version",
            "3.12",
            "--report",
            "out/report.json",
        ];
        args.extend_from_slice(extra);
        self.grail(&args)
    }

    fn report(&self) -> Value {
        serde_json::from_slice(&fs::read(self.p.out("out/report.json")).unwrap()).unwrap()
    }

    fn layers(&self, arns: &[&str], requirements: &str) {
        self.p.write("requirements.txt", requirements);
        let config =
            json!({"version": "2.0", "app_name": "t", "layers": arns, "stages": {"dev": {}}});
        self.p.write(".chalice/config.json", &config.to_string());
    }
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn excluded(report: &Value) -> BTreeSet<(String, String)> {
    report["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let by = e["provided_by"]
                .as_str()
                .unwrap_or(e["reason"].as_str().unwrap());
            (e["name"].as_str().unwrap().to_string(), by.to_string())
        })
        .collect()
}

fn shipped(report: &Value) -> BTreeSet<String> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fetch_writes_what_layer_scan_writes_and_caches_it() {
    let w = World::new();
    let zip = sample_layer();
    let arn = w.aws.publish("sample", zip.clone(), Behaviour::Normal);
    let fetched = w.p.out("fetched.json");
    let o = w.fetch(&[&arn, "-o", fetched.to_str().unwrap()]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    assert!(
        stderr_of(&o).contains("sha256 verified"),
        "{}",
        run_text(&o)
    );
    // Moto (and the stand-in, by default) lack GetLayerVersionByArn: the
    // fallback asked GetLayerVersion.
    assert_eq!(w.aws.count("GET /2018-10-31/layers?find=LayerVersion"), 1);
    assert_eq!(
        w.aws.count("GET /2018-10-31/layers/"),
        1,
        "{:?}",
        w.aws.requests()
    );

    let archive = w.p.out("layer.zip");
    fs::write(&archive, &zip).unwrap();
    let scanned = w.p.out("scanned.json");
    let s = w.grail(&[
        "layer",
        "scan",
        archive.to_str().unwrap(),
        "--arn",
        &arn,
        "-o",
        scanned.to_str().unwrap(),
    ]);
    assert_eq!(code(&s), Some(0), "{}", run_text(&s));
    assert_eq!(
        fs::read_to_string(&fetched).unwrap(),
        fs::read_to_string(&scanned).unwrap()
    );

    // The second fetch reads the cache: nothing is asked of AWS.
    let before = w.aws.requests().len();
    let again = w.fetch(&[&arn]);
    assert_eq!(code(&again), Some(0), "{}", run_text(&again));
    assert!(
        stderr_of(&again).contains("from the cache"),
        "{}",
        run_text(&again)
    );
    assert_eq!(stdout_of(&again), fs::read_to_string(&fetched).unwrap());
    assert_eq!(w.aws.requests().len(), before);
}

#[test]
fn by_arn_is_used_when_the_endpoint_has_it_and_keep_archive_keeps_the_zip() {
    let w = World::new();
    w.aws.by_arn(true);
    let zip = tiny_layer("alpha");
    let arn = w.aws.publish("alpha", zip.clone(), Behaviour::Normal);
    let keep = w.p.out("kept");
    let o = w.fetch(&[&arn, "--keep-archive", keep.to_str().unwrap()]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    assert_eq!(
        w.aws.count("GET /2018-10-31/layers/"),
        0,
        "{:?}",
        w.aws.requests()
    );
    assert_eq!(fs::read(keep.join("alpha-1.zip")).unwrap(), zip);
    let m: Value = serde_json::from_str(&stdout_of(&o)).unwrap();
    assert_eq!(m["packages"][0]["name"], "alpha");
    assert_eq!(m["unzipped_bytes"], unzipped(&zip));
    assert_eq!(m["arn"], arn.as_str());
}

#[test]
fn several_arns_go_to_a_directory() {
    let w = World::new();
    let a = w
        .aws
        .publish("alpha", tiny_layer("alpha"), Behaviour::Normal);
    let b = w.aws.publish("beta", tiny_layer("beta"), Behaviour::Normal);
    let dir = w.p.out("manifests");
    let o = w.fetch(&[&a, &b, "-o", dir.to_str().unwrap()]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    for name in ["alpha", "beta"] {
        let m: Value =
            serde_json::from_str(&fs::read_to_string(dir.join(format!("{name}-1.json"))).unwrap())
                .unwrap();
        assert_eq!(m["packages"][0]["name"], name);
    }
}

#[test]
fn no_credentials_says_how_to_give_some() {
    let w = World::new();
    let arn = w
        .aws
        .publish("alpha", tiny_layer("alpha"), Behaviour::Normal);
    let env: Vec<_> = w
        .aws
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .collect();
    let o = w.grail_env(&["layer", "fetch", &arn], &env);
    assert_eq!(code(&o), Some(1), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains("no AWS credentials") && err.contains("--profile"),
        "{err}"
    );
    assert!(w.aws.requests().is_empty(), "{:?}", w.aws.requests());
}

#[test]
fn access_denied_names_the_permission() {
    let w = World::new();
    let arn = w
        .aws
        .publish("secret", tiny_layer("secret"), Behaviour::Denied);
    let o = w.fetch(&[&arn]);
    assert_eq!(code(&o), Some(1), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!("needs lambda:GetLayerVersion on {arn}")),
        "{err}"
    );
}

#[test]
fn another_accounts_private_layer_is_not_shared() {
    let w = World::new();
    let arn = "arn:aws:lambda:us-east-1:999999999999:layer:theirs:4";
    let o = w.fetch(&[arn]);
    assert_eq!(code(&o), Some(1), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains("belongs to account 999999999999")
            && err.contains(&format!("not yours ({ACCOUNT})"))
            && err.contains("add-layer-version-permission"),
        "{err}"
    );
}

#[test]
fn a_missing_version_of_ones_own_layer_is_not_found() {
    let w = World::new();
    let arn = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:layer:nothing:7");
    let o = w.fetch(&[&arn]);
    assert_eq!(code(&o), Some(1), "{}", run_text(&o));
    assert!(stderr_of(&o).contains("does not exist"), "{}", run_text(&o));
}

#[test]
fn an_expired_download_url_says_to_run_again() {
    let w = World::new();
    let arn = w
        .aws
        .publish("late", tiny_layer("late"), Behaviour::Expired);
    let o = w.fetch(&[&arn]);
    assert_eq!(code(&o), Some(2), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains("HTTP 403") && err.contains("run the command again"),
        "{err}"
    );
    assert!(
        !err.contains("secret"),
        "the presigned URL is never printed: {err}"
    );
}

#[test]
fn a_checksum_mismatch_is_refused_and_nothing_is_cached() {
    let w = World::new();
    let arn = w
        .aws
        .publish("bent", tiny_layer("bent"), Behaviour::Corrupt);
    let o = w.fetch(&[&arn]);
    assert_eq!(code(&o), Some(2), "{}", run_text(&o));
    assert!(
        stderr_of(&o).contains("does not match its CodeSha256"),
        "{}",
        run_text(&o)
    );
    let again = w.fetch(&[&arn]);
    assert_eq!(code(&again), Some(2), "not cached: {}", run_text(&again));
}

/// Done when: a project attaching an unknown private layer packages with
/// `--fetch-layers`, its packages excluded and its exact size in the budget.
#[test]
fn package_fetch_layers_excludes_a_private_layers_packages_with_its_exact_size() {
    let w = World::new();
    let zip = sample_layer();
    let arn = w
        .aws
        .publish("company-deps", zip.clone(), Behaviour::Normal);
    w.layers(&[&arn], "alpaca-py\n");
    let o = w.package(&["--fetch-layers"]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    let report = w.report();
    let ex = excluded(&report);
    for name in ["numpy", "requests", "six"] {
        assert!(
            ex.contains(&(name.to_string(), arn.clone())),
            "{name}: {ex:?}"
        );
    }
    let numpy = report["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "numpy")
        .unwrap();
    assert_eq!(numpy["version"], "2.5.0");
    let ships = shipped(&report);
    assert!(
        ships.contains("pandas") && !ships.contains("numpy"),
        "{ships:?}"
    );
    assert_eq!(
        report["budget"]["layers"],
        json!([{"arn": arn, "unzipped_bytes": unzipped(&zip), "known": true}])
    );
    assert!(
        !report["warnings"].to_string().contains("has no manifest"),
        "{}",
        report["warnings"]
    );

    // A no-op rebuild asks AWS nothing.
    let before = w.aws.requests().len();
    let again = w.grail(&[
        "package",
        "out",
        "--index-url",
        &index().url(),
        "--python",
        "python3",
        "--python-version",
        "3.12",
        "--fetch-layers",
    ]);
    assert_eq!(code(&again), Some(0), "{}", run_text(&again));
    let before_noop = w.aws.requests().len();
    let noop = w.grail(&[
        "package",
        "out",
        "--index-url",
        &index().url(),
        "--python",
        "python3",
        "--python-version",
        "3.12",
        "--fetch-layers",
    ]);
    assert_eq!(code(&noop), Some(0), "{}", run_text(&noop));
    assert!(
        stdout_of(&noop).contains("up to date"),
        "{}",
        run_text(&noop)
    );
    assert_eq!(
        w.aws.requests().len(),
        before,
        "cached after the first fetch"
    );
    assert_eq!(w.aws.requests().len(), before_noop);
}

#[test]
fn package_fetches_when_credentials_are_configured_and_hints_when_not() {
    let w = World::new();
    let arn = w
        .aws
        .publish("company-deps", sample_layer(), Behaviour::Normal);
    w.layers(&[&arn], "alpaca-py\n");

    // No credentials: today's behaviour, with a hint; nothing asked.
    let env: Vec<_> = w
        .aws
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .collect();
    let url = index().url();
    let base = [
        "package",
        "out",
        "--index-url",
        &url,
        "--python",
        "python3",
        "--python-version",
        "3.12",
        "--report",
        "out/report.json",
    ];
    let o = w.grail_env(&base, &env);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!("grail layer fetch {arn}")) && err.contains("--fetch-layers"),
        "{err}"
    );
    assert!(shipped(&w.report()).contains("numpy"));
    assert!(w.aws.requests().is_empty());

    // --offline never fetches, credentials or not.
    let mut offline = base.to_vec();
    offline.push("--offline");
    let o = w.grail(&offline);
    assert!(w.aws.requests().is_empty(), "{}", run_text(&o));

    // Credentials in the environment: fetched without being asked.
    let o = w.package(&[]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    assert!(!shipped(&w.report()).contains("numpy"));
    assert!(w.aws.count("GET /2018-10-31/layers/") >= 1);
}

/// Done when: the pandas-layer example plus a Powertools layer, both fetched,
/// packages with both layers' packages excluded and an exact budget. The
/// built-in catalogue's size for the pandas layer is an estimate, so (with
/// `--fetch-layers`) grail fetches it too; here a stand-in archive made of
/// the fixture index's pandas, numpy, python-dateutil, pytz, tzdata and six
/// wheels is served under the real ARN (the stand-in for AWS).
#[test]
fn pandas_layer_example_plus_a_powertools_layer_have_an_exact_budget() {
    let w = World::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/examples/pandas-layer");
    w.p.write(
        "app.py",
        &fs::read_to_string(example.join("app.py")).unwrap(),
    );
    // The fixture index has alpaca-py 0.43.2, not the example's 0.21.1 pin.
    w.p.write("requirements.txt", "alpaca-py\n");
    let pandas_zip = wheel_layer(&[
        "pandas",
        "numpy",
        "python-dateutil",
        "pytz",
        "tzdata",
        "six",
    ]);
    w.aws
        .register(PANDAS_312, pandas_zip.clone(), Behaviour::Normal);
    let second_zip = wheel_layer(&[
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "typing-extensions",
        "typing-inspection",
    ]);
    // The second layer is Powertools for AWS Lambda (Python) v3 under its
    // real ARN: its stand-in archive holds the fixture index's pydantic set
    // (part of `aws-lambda-powertools[all]`). A fetched manifest beats the
    // built-in approximate contents of the Powertools family.
    let second =
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3"
            .to_string();
    w.aws
        .register(&second, second_zip.clone(), Behaviour::Normal);
    let config: Value =
        serde_json::from_str(&fs::read_to_string(example.join(".chalice/config.json")).unwrap())
            .unwrap();
    let mut config = config;
    config["layers"].as_array_mut().unwrap().push(json!(second));
    w.p.write(".chalice/config.json", &config.to_string());

    let o = w.package(&["--fetch-layers"]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    let report = w.report();
    let ex = excluded(&report);
    for name in [
        "pandas",
        "numpy",
        "python-dateutil",
        "pytz",
        "tzdata",
        "six",
    ] {
        assert!(
            ex.contains(&(name.to_string(), PANDAS_312.to_string())),
            "{name}: {ex:?}"
        );
    }
    for name in [
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "typing-inspection",
    ] {
        assert!(
            ex.contains(&(name.to_string(), second.clone())),
            "{name}: {ex:?}"
        );
    }
    let ships = shipped(&report);
    assert!(
        ships.contains("alpaca-py") && ships.contains("msgpack"),
        "{ships:?}"
    );
    assert_eq!(
        report["budget"]["layers"],
        json!([
            {"arn": PANDAS_312, "unzipped_bytes": unzipped(&pandas_zip), "known": true},
            {"arn": second, "unzipped_bytes": unzipped(&second_zip), "known": true},
        ])
    );
    assert!(
        report["budget"].get("approximate").is_none(),
        "{}",
        report["budget"]
    );
    let zip_bytes = report["budget"]["function_unzipped_bytes"].as_u64();
    let total = report["budget"]["total_bytes"].as_u64();
    assert_eq!(
        total,
        zip_bytes.map(|z| z + unzipped(&pandas_zip) + unzipped(&second_zip)),
        "{}",
        report["budget"]
    );
}

#[test]
fn config_fetch_layers_makes_a_failure_an_error_and_an_implicit_failure_is_a_warning() {
    let w = World::new();
    let arn = w
        .aws
        .publish("secret", tiny_layer("secret"), Behaviour::Denied);
    w.layers(&[&arn], "");

    // Credentials configured, nothing asked for: the refusal is a warning.
    let o = w.package(&[]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains(&format!("could not fetch layer {arn}"))
            && err.contains("lambda:GetLayerVersion"),
        "{err}"
    );

    // `fetch_layers: true` asks for it: the same refusal is an error.
    let config = json!({"version": "2.0", "app_name": "t", "layers": [arn], "fetch_layers": true, "stages": {"dev": {}}});
    w.p.write(".chalice/config.json", &config.to_string());
    let o = w.package(&[]);
    assert_eq!(code(&o), Some(1), "{}", run_text(&o));
    assert!(
        stderr_of(&o).contains(&format!("needs lambda:GetLayerVersion on {arn}")),
        "{}",
        run_text(&o)
    );
}

/// `grail layer show` prefers a manifest `grail layer fetch` cached for the
/// ARN over the built-in approximate contents: exact packages and size,
/// the source naming the CodeSha256, read offline (nothing asked of AWS).
#[test]
fn layer_show_reads_the_fetched_manifest_offline() {
    use sha2::{Digest, Sha256};
    let w = World::new();
    let arn =
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:25";
    let zip = tiny_layer("aws_lambda_powertools");
    w.aws.register(arn, zip.clone(), Behaviour::Normal);
    let show = |env: &[(&'static str, String)], json: bool| {
        let mut args = vec!["layer", "show", arn];
        if json {
            args.push("--json");
        }
        let o = w.grail_env(&args, env);
        assert_eq!(code(&o), Some(0), "{}", run_text(&o));
        o
    };
    // Before the fetch: the built-in, approximate contents.
    let v: Value = serde_json::from_slice(&show(&[], true).stdout).unwrap();
    assert_eq!(
        (&v["source"]["kind"], &v["contents"]),
        (&json!("builtin"), &json!("approximate"))
    );

    let o = w.fetch(&[arn]);
    assert_eq!(code(&o), Some(0), "{}", run_text(&o));
    let asked = w.aws.requests().len();

    // Without the stand-in's environment: the cache alone answers.
    let v: Value = serde_json::from_slice(&show(&[], true).stdout).unwrap();
    let sha = hex::encode(Sha256::digest(&zip));
    assert_eq!(v["source"]["kind"], "fetched");
    assert_eq!(v["source"]["code_sha256"], json!(sha));
    assert_eq!(v["source"]["code_size"], json!(zip.len()));
    assert_eq!(
        (&v["contents"], &v["size"]),
        (&json!("exact"), &json!("exact"))
    );
    assert_eq!(v["unzipped_bytes"], json!(unzipped(&zip)));
    assert_eq!(
        v["packages"],
        json!([{"name": "aws-lambda-powertools", "version": "1.0"}])
    );
    // The family, release and account check still come from the built-in data.
    assert_eq!(v["family"]["id"], "powertools-python-v3");
    assert_eq!(v["release"], "3.22.0");
    assert_eq!(v["account_check"]["status"], "ok");
    let text = stdout_of(&show(&[], false));
    assert!(
        text.contains(&format!("source:   fetched (CodeSha256 {sha})")),
        "{text}"
    );
    assert!(text.contains("contents: exact (1 package)"), "{text}");
    assert_eq!(w.aws.requests().len(), asked, "layer show asked AWS");
}

//! The parser against pip's behaviour, case by case.

use super::error::RequirementsErrorKind;
use super::lines::{break_args_options, preprocess, shlex_split};
use super::*;
use crate::error::{Classify, ExitKind};
use crate::target::{Arch, LambdaTarget};
use pep508_rs::{MarkerEnvironment, PackageName, VersionOrUrl};
use std::fs;
use url::Url;

const H1: &str = "sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1";
const H2: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<RequirementsFile, RequirementsError> {
    parse_str(text, Path::new("requirements.txt"), &no_env)
}

fn names(file: &RequirementsFile) -> Vec<String> {
    file.requirements
        .iter()
        .map(|e| e.requirement.to_string())
        .collect()
}

fn lambda_env() -> MarkerEnvironment {
    LambdaTarget::new("3.12".parse().unwrap(), Arch::X86_64).marker_env()
}

#[test]
fn preprocess_matches_pip() {
    let env = |name: &str| match name {
        "TOKEN" => Some("s3cr3t".to_string()),
        "EMPTY" => Some(String::new()),
        _ => None,
    };
    // (input, expected logical lines with their first line numbers)
    let cases: &[(&str, &[(usize, &str)])] = &[
        ("a\nb\n", &[(1, "a"), (2, "b")]),
        ("a\r\nb\rc", &[(1, "a"), (2, "b"), (3, "c")]),
        ("# full comment\n  # indented\n\n   \na", &[(5, "a")]),
        ("a # trailing", &[(1, "a")]),
        ("a\t# tab comment", &[(1, "a")]),
        // `#` not preceded by whitespace is not a comment (URL fragments).
        (
            "x @ https://h/x-1-py3-none-any.whl#sha256=ab",
            &[(1, "x @ https://h/x-1-py3-none-any.whl#sha256=ab")],
        ),
        ("a#b", &[(1, "a#b")]),
        // Continuations take the first line's number; backslashes are stripped, no space added.
        (
            "foo==1.0 \\\n    --hash=sha256:aa\nbar",
            &[(1, "foo==1.0     --hash=sha256:aa"), (3, "bar")],
        ),
        ("fo\\\no\\\n==1", &[(1, "foo==1")]),
        // A comment ends a continuation and is dropped.
        ("foo \\\n# c\nbar", &[(1, "foo"), (3, "bar")]),
        // A comment line ending in `\` does not continue.
        ("# c \\\nfoo", &[(2, "foo")]),
        // Trailing continuation at end of file.
        ("foo\\", &[(1, "foo")]),
        // `\` followed by a space is not a continuation (pip's TODO).
        ("foo \\ \nbar", &[(1, "foo \\"), (2, "bar")]),
        // ${VAR}: only upper-case names, unset/empty left as is.
        (
            "https://${TOKEN}@h/ $TOKEN ${token} ${MISSING} ${EMPTY}",
            &[(1, "https://s3cr3t@h/ $TOKEN ${token} ${MISSING} ${EMPTY}")],
        ),
        // Comments are stripped before expansion.
        ("a ${TOKEN} # ${TOKEN}", &[(1, "a s3cr3t")]),
    ];
    for (input, expected) in cases {
        let got = preprocess(input, &env);
        let want: Vec<(usize, String)> =
            expected.iter().map(|(n, l)| (*n, l.to_string())).collect();
        assert_eq!(got, want, "input {input:?}");
    }
}

#[test]
fn shlex_split_like_python() {
    let cases: &[(&str, Result<&[&str], &str>)] = &[
        (
            "--hash=sha256:a  --hash sha256:b",
            Ok(&["--hash=sha256:a", "--hash", "sha256:b"]),
        ),
        ("-i 'https://h/a b'", Ok(&["-i", "https://h/a b"])),
        (r#"-f "a\"b" c\ d"#, Ok(&["-f", "a\"b", "c d"])),
        (r#""a\nb""#, Ok(&["a\\nb"])),
        ("''", Ok(&[""])),
        ("'abc", Err("No closing quotation")),
        ("abc\\", Err("No escaped character")),
    ];
    for (input, want) in cases {
        let got = shlex_split(input);
        let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(got, want, "input {input:?}");
    }
}

#[test]
fn break_args_options_splits_at_first_dash_token() {
    let cases = [
        (
            "foo>=1 ; python_version < '3.9' --hash=sha256:a",
            ("foo>=1 ; python_version < '3.9'", "--hash=sha256:a"),
        ),
        ("--pre", ("", "--pre")),
        ("foo", ("foo", "")),
        ("foo-bar==1 -r x", ("foo-bar==1", "-r x")),
    ];
    for (line, (args, opts)) in cases {
        assert_eq!(
            break_args_options(line),
            (args.to_string(), opts.to_string()),
            "{line}"
        );
    }
}

#[test]
fn option_forms_and_errors() {
    // (line, expected option list or error substring)
    let ok: &[(&str, &[FileIndexOption])] = &[
        (
            "-i https://a/simple",
            &[FileIndexOption::IndexUrl("https://a/simple".into())],
        ),
        (
            "-ihttps://a/simple",
            &[FileIndexOption::IndexUrl("https://a/simple".into())],
        ),
        (
            "--index-url=https://a/simple",
            &[FileIndexOption::IndexUrl("https://a/simple".into())],
        ),
        (
            "--pypi-url https://a/simple",
            &[FileIndexOption::IndexUrl("https://a/simple".into())],
        ),
        // optparse abbreviations
        (
            "--index https://a/simple",
            &[FileIndexOption::IndexUrl("https://a/simple".into())],
        ),
        (
            "--extra https://b/simple",
            &[FileIndexOption::ExtraIndexUrl("https://b/simple".into())],
        ),
        // store: last wins
        (
            "-i https://a/ -i https://b/",
            &[FileIndexOption::IndexUrl("https://b/".into())],
        ),
        // pip's order within a line: no-index, index-url, extras
        (
            "--extra-index-url https://x/ --index-url https://a/ --no-index",
            &[
                FileIndexOption::NoIndex,
                FileIndexOption::IndexUrl("https://a/".into()),
                FileIndexOption::ExtraIndexUrl("https://x/".into()),
            ],
        ),
        ("--pre", &[FileIndexOption::Pre]),
        (
            "--prefer-binary --only-binary :all:",
            &[
                FileIndexOption::PreferBinary,
                FileIndexOption::OnlyBinary(":all:".into()),
            ],
        ),
        (
            "--trusted-host example.com",
            &[FileIndexOption::TrustedHost("example.com".into())],
        ),
        (
            "-f https://h/links.html",
            &[FileIndexOption::FindLinks("https://h/links.html".into())],
        ),
        ("--no-binary :none:", &[]),
        ("--require-hashes", &[]),
    ];
    for (line, want) in ok {
        let file = parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let got: Vec<_> = file.options.iter().map(|o| o.option.clone()).collect();
        assert_eq!(&got, want, "{line}");
    }

    let bad: &[(&str, &str)] = &[
        ("--no-deps", "no such option: --no-deps"),
        ("-x foo", "no such option: -x"),
        ("--no", "ambiguous option: --no (--no-binary, --no-index?)"),
        ("--index-url", "--index-url option requires 1 argument"),
        ("-i", "-i option requires 1 argument"),
        ("--pre=yes", "--pre option does not take a value"),
        (
            "--hash=sha1:abc",
            "allowed hash algorithms for --hash are sha256, sha384, sha512",
        ),
        ("--hash=SHA256:abc", "allowed hash algorithms"),
        ("--hash=abc", "must be a hash name followed by a value"),
        (
            "foo --hash=sha256:abc",
            "a sha256 digest is 64 hexadecimal digits",
        ),
        ("-i 'https://a", "No closing quotation"),
        ("-e .", "-e/--editable is not supported by grail"),
        (
            "--editable=git+https://h/r.git#egg=r",
            "-e/--editable is not supported",
        ),
        (
            "--install-option=--prefix=/x",
            "no such option: --install-option",
        ),
    ];
    for (text, want) in bad {
        let err = parse(&format!("ok==1\n{text}")).expect_err(text);
        assert_eq!(err.line, Some(2), "{text}");
        assert_eq!(err.file, PathBuf::from("requirements.txt"));
        let msg = err.to_string();
        assert!(msg.starts_with("requirements.txt:2: "), "{msg}");
        assert!(msg.contains(want), "{text}: {msg}");
        assert_eq!(err.exit_kind(), ExitKind::Usage);
    }
}

#[test]
fn ignored_options_warn() {
    let cases: &[(&str, &str)] = &[
        (
            "--use-feature=truststore",
            "--use-feature=truststore ignored",
        ),
        ("--no-binary :all:", "--no-binary :all: ignored"),
        (
            "foo==1 --global-option=x",
            "--global-option/--config-settings ignored",
        ),
        ("foo==1 -C k=v", "--global-option/--config-settings ignored"),
        (
            "foo==1 --index-url https://a/",
            "--index-url ignored on a requirement line",
        ),
        (
            "--hash=sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1",
            "--hash without a requirement",
        ),
        ("-f a -f b", "only the first --find-links"),
        ("--pre stray", "ignored `stray`"),
    ];
    for (line, want) in cases {
        let file = parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(
            file.warnings
                .iter()
                .any(|w| w.message.contains(want) && w.location.line == 1),
            "{line}: {:?}",
            file.warnings
        );
    }
    // A requirement line's index options have no effect (pip ignores them).
    let file = parse("foo==1 --index-url https://a/").unwrap();
    assert!(file.options.is_empty());
}

#[test]
fn registry_requirements_with_extras_and_markers() {
    let text = "\
requests[socks,security] >= 2.31, <3 ; python_version >= \"3.8\"
Django==4.2.*
attrs
foo-bar.baz_qux===1.0
";
    let file = parse(text).unwrap();
    assert_eq!(file.requirements.len(), 4);
    let r = &file.requirements[0];
    assert_eq!(r.requirement.name.as_ref(), "requests");
    assert_eq!(r.requirement.extras.len(), 2);
    assert!(r.requirement.marker.contents().is_some());
    assert_eq!(r.source, RequirementSource::Registry);
    assert_eq!(r.location.line, 1);
    assert_eq!(
        file.requirements[3].requirement.name.as_ref(),
        "foo-bar-baz-qux"
    );
    assert!(!file.requirements[0].is_pinned());
    assert!(
        !file.requirements[1].is_pinned(),
        "== with a wildcard is not pinned"
    );
    assert!(file.requirements[3].is_pinned(), "=== pins");
    assert!(!file.hash_checking());
    file.check_hashes(&lambda_env()).unwrap();
}

#[test]
fn invalid_requirement_reports_line_text_and_pep508_message() {
    let err = parse("ok==1\n\nfoo >=< 1\n").unwrap_err();
    assert_eq!(err.line, Some(3));
    let msg = err.to_string();
    assert!(
        msg.starts_with("requirements.txt:3: invalid requirement `foo >=< 1`"),
        "{msg}"
    );
    assert!(msg.contains('^'), "pep508 underline: {msg}");
    // Through the chain printer (as the CLI prints errors) the message appears once.
    let chained = crate::error::Failure::from(err).to_string();
    assert_eq!(
        chained.matches("invalid requirement").count(),
        1,
        "{chained}"
    );
}

#[test]
fn direct_references() {
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    fs::create_dir(&wheels).unwrap();
    fs::write(wheels.join("local_pkg-1.0-py3-none-any.whl"), b"PK").unwrap();
    fs::write(wheels.join("src_pkg-1.0.tar.gz"), b"").unwrap();
    fs::create_dir(dir.path().join("srcdir")).unwrap();
    let req = dir.path().join("requirements.txt");
    let local = wheels.join("local_pkg-1.0-py3-none-any.whl");

    let ok: &[(&str, &str, RequirementSource)] = &[
        (
            "attrs @ https://files.example.com/p/attrs-23.2.0-py3-none-any.whl",
            "attrs",
            RequirementSource::WheelUrl {
                url: grail_secret("https://files.example.com/p/attrs-23.2.0-py3-none-any.whl"),
                filename: "attrs-23.2.0-py3-none-any.whl".into(),
            },
        ),
        (
            "https://files.example.com/p/attrs-23.2.0-py3-none-any.whl ; python_version >= '3'",
            "attrs",
            RequirementSource::WheelUrl {
                url: grail_secret("https://files.example.com/p/attrs-23.2.0-py3-none-any.whl"),
                filename: "attrs-23.2.0-py3-none-any.whl".into(),
            },
        ),
        (
            "./wheels/local_pkg-1.0-py3-none-any.whl",
            "local-pkg",
            RequirementSource::LocalWheel {
                path: local.clone(),
            },
        ),
        (
            "wheels/local_pkg-1.0-py3-none-any.whl[extra]",
            "local-pkg",
            RequirementSource::LocalWheel {
                path: local.clone(),
            },
        ),
        (
            "wheels/../wheels/local_pkg-1.0-py3-none-any.whl;sys_platform=='linux'",
            "local-pkg",
            RequirementSource::LocalWheel {
                path: local.clone(),
            },
        ),
    ];
    for (line, name, source) in ok {
        let file = parse_str(line, &req, &no_env).unwrap_or_else(|e| panic!("{line}: {e}"));
        let entry = &file.requirements[0];
        assert_eq!(entry.requirement.name.as_ref(), *name, "{line}");
        assert_eq!(&entry.source, source, "{line}");
        assert!(
            matches!(entry.requirement.version_or_url, Some(VersionOrUrl::Url(_))),
            "{line}"
        );
    }
    // file: URL to an absolute path
    let line = format!("local-pkg @ {}", Url::from_file_path(&local).unwrap());
    let file = parse_str(&line, &req, &no_env).unwrap();
    assert_eq!(
        file.requirements[0].source,
        RequirementSource::LocalWheel {
            path: local.clone()
        }
    );
    // extras survive on bare paths
    let file = parse_str(
        "wheels/local_pkg-1.0-py3-none-any.whl[extra]",
        &req,
        &no_env,
    )
    .unwrap();
    assert_eq!(file.requirements[0].requirement.extras.len(), 1);
    // URL fragment hash is kept
    let line = format!(
        "attrs @ https://h/attrs-23.2.0-py3-none-any.whl#{}",
        H1.replacen(':', "=", 1)
    );
    let file = parse_str(&line, &req, &no_env).unwrap();
    assert_eq!(file.requirements[0].url_hash, Some(H1.parse().unwrap()));

    let bad: &[(&str, &str)] = &[
        ("pkg @ git+https://github.com/o/pkg.git@v1", "is a VCS URL"),
        ("git+https://github.com/o/pkg.git#egg=pkg", "is a VCS URL"),
        ("./srcdir", "is a directory"),
        ("wheels/src_pkg-1.0.tar.gz", "is a source archive"),
        (
            "src-pkg @ https://h/src_pkg-1.0.tar.gz",
            "is a source archive",
        ),
        ("pkg @ https://h/simple/pkg/", "not a link to a .whl file"),
        ("ftp://h/pkg-1.0-py3-none-any.whl", "unsupported scheme"),
        (
            "pkg @ ftp://h/pkg-1.0-py3-none-any.whl",
            "invalid requirement",
        ),
        ("./wheels/missing-1.0-py3-none-any.whl", "does not exist"),
        (
            "other @ https://h/attrs-23.2.0-py3-none-any.whl",
            "names `other` but the wheel file is for `attrs`",
        ),
        ("https://h/not-a-wheel.whl", "not a valid wheel file name"),
    ];
    for (line, want) in bad {
        let err = parse_str(&format!("# header\n{line}"), &req, &no_env).expect_err(line);
        assert_eq!(err.line, Some(2), "{line}");
        let msg = err.to_string();
        assert!(msg.contains(want), "{line}: {msg}");
    }
    // The advice says what to do.
    let err = parse_str("./srcdir", &req, &no_env).unwrap_err();
    assert!(err.to_string().contains("pip wheel --no-deps"), "{err}");
}

#[test]
fn includes_are_relative_to_the_including_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(
        dir.path().join("requirements.txt"),
        "a==1\n-r sub/base.txt\n--constraint=sub/constraints.txt\nd\n",
    )
    .unwrap();
    fs::write(sub.join("base.txt"), "# base\nb==2\n-r more.txt\n").unwrap();
    fs::write(sub.join("more.txt"), "c==3\n").unwrap();
    fs::write(sub.join("constraints.txt"), "d<5\n-r more2.txt\n").unwrap();
    fs::write(sub.join("more2.txt"), "e==1\n").unwrap();
    let file = parse_requirements(&dir.path().join("requirements.txt"), &no_env).unwrap();
    assert_eq!(names(&file), ["a==1", "b==2", "c==3", "e==1", "d"]);
    assert_eq!(
        file.requirements[1].location,
        Location {
            file: dir
                .path()
                .join("requirements.txt")
                .parent()
                .unwrap()
                .join("sub/base.txt"),
            line: 2
        }
    );
    assert_eq!(
        file.requirements[2].location.file,
        dir.path()
            .join("sub/base.txt")
            .parent()
            .unwrap()
            .join("more.txt")
    );
    // `-r` inside a constraints file yields requirements (pip does the same).
    assert_eq!(file.constraints.len(), 1);
    assert_eq!(file.constraints[0].requirement.to_string(), "d<5");

    // A missing include names the including file and line.
    fs::write(dir.path().join("broken.txt"), "a\n\n-r nope.txt\n").unwrap();
    let err = parse_requirements(&dir.path().join("broken.txt"), &no_env).unwrap_err();
    assert_eq!(err.file, dir.path().join("broken.txt"));
    assert_eq!(err.line, Some(3));
    assert!(err.to_string().contains("nope.txt"), "{err}");

    // Remote includes are refused.
    let err = parse("-r https://example.com/req.txt").unwrap_err();
    assert!(err.to_string().contains("is remote"), "{err}");

    // Cycles are caught.
    fs::write(dir.path().join("x.txt"), "-r y.txt\n").unwrap();
    fs::write(dir.path().join("y.txt"), "a\n-r x.txt\n").unwrap();
    let err = parse_requirements(&dir.path().join("x.txt"), &no_env).unwrap_err();
    assert!(err.to_string().contains("includes itself"), "{err}");
    assert_eq!(err.line, Some(2));

    // Constraints cannot have extras.
    fs::write(dir.path().join("c.txt"), "req[extra]==1\n").unwrap();
    let err = parse_str("-c c.txt", &dir.path().join("r.txt"), &no_env).unwrap_err();
    assert!(
        err.to_string().contains("constraints cannot have extras"),
        "{err}"
    );
    assert_eq!(err.file, dir.path().join("c.txt"));
}

#[test]
fn missing_top_level_file_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = parse_requirements(&dir.path().join("requirements.txt"), &no_env).unwrap();
    assert!(file.is_empty());
    assert_eq!(file, RequirementsFile::default());
}

#[test]
fn bom_and_non_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("requirements.txt");
    fs::write(&p, b"\xef\xbb\xbfattrs==1\n").unwrap();
    assert_eq!(
        names(&parse_requirements(&p, &no_env).unwrap()),
        ["attrs==1"]
    );
    fs::write(&p, b"attrs==1 \xff\n").unwrap();
    let err = parse_requirements(&p, &no_env).unwrap_err();
    assert!(matches!(err.kind, RequirementsErrorKind::NotUtf8));
}

#[test]
fn env_var_expansion_in_requirements_and_options() {
    let env = |name: &str| match name {
        "INDEX" => Some("https://user:pw@private.example/simple".to_string()),
        "VER" => Some("2.0".to_string()),
        _ => None,
    };
    let file = parse_str(
        "--extra-index-url ${INDEX}\nfoo==${VER}\n",
        Path::new("r.txt"),
        &env,
    )
    .unwrap();
    assert_eq!(
        file.options[0].option,
        FileIndexOption::ExtraIndexUrl("https://user:pw@private.example/simple".into())
    );
    assert_eq!(names(&file), ["foo==2.0"]);
}

#[test]
fn hash_checking_mode() {
    let env = lambda_env();
    let hashed = format!("a==1 --hash={H1} --hash={H2}\n");
    // (text, hash mode?, Ok or error line + substring)
    type Expect = Option<(usize, &'static str)>;
    let cases: Vec<(String, bool, Expect)> = vec![
        (hashed.clone(), true, None),
        (
            format!("{hashed}b==2\n"),
            true,
            Some((2, "Hashes are required in --require-hashes mode")),
        ),
        (
            format!("{hashed}b>=2 --hash={H1}\n"),
            true,
            Some((2, "must have their versions pinned with ==")),
        ),
        (
            "--require-hashes\nb==2\n".into(),
            true,
            Some((2, "`b==2` has no --hash")),
        ),
        // a marker that does not apply to the target: no hash needed (pip ignores the line)
        (
            format!("{hashed}b==2 ; sys_platform == 'win32'\n"),
            true,
            None,
        ),
        // direct URL with a fragment hash: fine and needs no pin
        (
            format!(
                "{hashed}attrs @ https://h/attrs-1-py3-none-any.whl#sha256={}\n",
                &H1[7..]
            ),
            true,
            None,
        ),
        // unhashed direct URL
        (
            format!("{hashed}attrs @ https://h/attrs-1-py3-none-any.whl\n"),
            true,
            Some((2, "has no --hash")),
        ),
        ("b==2\nc>1\n".into(), false, None),
    ];
    for (text, mode, want) in cases {
        let file = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(file.hash_checking(), mode, "{text}");
        match (file.check_hashes(&env), want) {
            (Ok(()), None) => {}
            (Err(e), Some((line, msg))) => {
                assert_eq!(e.line, Some(line), "{text}");
                assert!(e.to_string().contains(msg), "{text}: {e}");
            }
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
    // Constraints can supply hashes and pins (pip merges them).
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.txt"), format!("b==2 --hash={H2}\n")).unwrap();
    let file = parse_str(
        &format!("-c c.txt\n{hashed}b\n"),
        &dir.path().join("r.txt"),
        &no_env,
    )
    .unwrap();
    file.check_hashes(&env).unwrap();
    let b: PackageName = "b".parse().unwrap();
    assert_eq!(file.hashes_for(&b), vec![&H2.parse::<Hash>().unwrap()]);
    // Line of a continued requirement is its first physical line.
    let file = parse(&format!("a==1 \\\n  --hash={H1} \\\n  --hash={H2}\n")).unwrap();
    assert_eq!(file.requirements[0].hashes.len(), 2);
    assert_eq!(file.requirements[0].location.line, 1);
}

#[test]
fn hash_round_trips() {
    for s in [
        H1.to_string(),
        "sha384:".to_string() + &"ab".repeat(48),
        "sha512:".to_string() + &"0f".repeat(64),
    ]
    .iter()
    .map(|s| s.to_string())
    {
        let h: Hash = s.parse().unwrap();
        assert_eq!(h.to_string(), s);
    }
    let upper: Hash = H1
        .to_ascii_uppercase()
        .replace("SHA256", "sha256")
        .parse()
        .unwrap();
    assert_eq!(upper.to_string(), H1);
    let err = "md5:abc".parse::<Hash>().unwrap_err();
    assert_eq!(err.input, "md5:abc");
    assert_eq!(err.kind, HashParseErrorKind::Algorithm);
    assert_eq!(
        "sha256:zz".parse::<Hash>().unwrap_err().kind,
        HashParseErrorKind::Digest(HashAlgorithm::Sha256)
    );
    for a in [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        assert_eq!(a.to_string().parse::<HashAlgorithm>().unwrap(), a);
    }
}

#[test]
fn find_links_relative_to_the_file_when_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("wheels")).unwrap();
    let req = dir.path().join("requirements.txt");
    let file = parse_str(
        "-f wheels\n--find-links=elsewhere\n-f https://h/links/",
        &req,
        &no_env,
    )
    .unwrap();
    let got: Vec<_> = file.options.iter().map(|o| o.option.clone()).collect();
    assert_eq!(
        got,
        [
            FileIndexOption::FindLinks(dir.path().join("wheels").to_string_lossy().into_owned()),
            FileIndexOption::FindLinks("elsewhere".into()),
            FileIndexOption::FindLinks("https://h/links/".into()),
        ]
    );
}

#[test]
fn chalice_has_at_least_one_package() {
    let cases = [
        ("", false),
        ("\n\n   \n", false),
        ("# only a comment\n   # another\n", false),
        ("\r\n#x\r\n", false),
        ("--index-url https://x/\n", true),
        ("  requests\n", true),
        ("# c\nboto3", true),
        ("\\\n", true),
    ];
    for (text, want) in cases {
        assert_eq!(has_at_least_one_package(text), want, "{text:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(!has_at_least_one_package_file(&dir.path().join("requirements.txt")).unwrap());
    fs::write(requirements_path(dir.path()), "attrs\n").unwrap();
    assert!(has_at_least_one_package_file(&requirements_path(dir.path())).unwrap());
}

fn grail_secret(s: &str) -> crate::secrets::SecretUrl {
    crate::secrets::SecretUrl::parse(s).unwrap()
}

#!/usr/bin/env python3
"""Build the fixture package index under vendor-fixtures/index/ (deterministically).

Every project in PROJECTS becomes a directory ``vendor-fixtures/index/<normalized>/``
holding small but *real* distributions:

* wheels: valid zips with ``<module>/__init__.py`` (plus a tiny fake ``.so`` for
  compiled packages), and ``<name>-<version>.dist-info/{METADATA,WHEEL,RECORD}``
  where RECORD carries correct sha256 digests;
* sdists (``"sdist": True``): ``<name>-<version>.tar.gz`` with ``PKG-INFO``,
  ``pyproject.toml`` and the module;
* ``index.json``: the sidecar the loopback test index server
  (``tests/it/support/index_server.rs``) reads for per-file ``requires-python``,
  ``yanked`` and ``listed-sha256`` (a deliberately wrong hash for mismatch tests).

Fixed timestamps, permissions and compression settings make the output
byte-identical on every run (with the same zlib; CPython's bundled zlib 1.2.x/1.3.x
produce identical deflate streams for these inputs).

To extend: append a dict to PROJECTS and re-run ``python3 scripts/gen-fixture-index.py``.
Keys of a project dict:
    name          distribution name as written in METADATA
    versions      list of version dicts:
        version         PEP 440 version
        requires        list of Requires-Dist strings (markers allowed)
        extras          {extra: [requirement, ...]} (adds Provides-Extra + marker)
        requires_python Requires-Python specifier or None
        wheels          list of "python-abi-platform" tag triples (compressed sets ok)
        sdist           True to also build an sdist (setuptools pyproject, never built by
                        the tests); "optional" for a "native" one whose backend builds the
                        pure wheel when CC=/var/false (an optional C extension, as PyYAML's);
                        "pure" or "native" for an sdist with an in-tree,
                        stdlib-only PEP 517 backend (see IN_TREE_BACKEND) that pip builds
                        offline, even with build isolation, into a py3-none-any wheel
                        ("pure") or a cp3X-cp3X-linux_<machine> wheel holding a dummy
                        extension module copied from vendor-fixtures/elf/ ("native");
                        "broken" for one whose backend fails to build a wheel (its
                        metadata still prepares, as a failing compile does)
        yanked          reason string (or True) to mark every file of this version yanked
        bad_hash        True to list a wrong sha256 for every file of this version
        stored          True to store (not deflate) wheel entries
        files           [(path, text), ...] to ship instead of ``<module>/__init__.py``
                        (``{version}`` in the text is replaced by the version)
    module        import name (default: the dist-info stem)
"""

import base64
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor-fixtures", "index")
DATE = (1980, 1, 1, 0, 0, 0)
PYS = ["cp310", "cp311", "cp312", "cp313", "cp314"]


def manylinux2014(py, archs=("x86_64", "aarch64")):
    return [f"{py}-{py}-manylinux_2_17_{a}.manylinux2014_{a}" for a in archs]


def manylinux228(py, archs=("x86_64", "aarch64")):
    return [f"{py}-{py}-manylinux_2_27_{a}.manylinux_2_28_{a}" for a in archs]


def compiled(pys, fn=manylinux2014):
    return [t for py in pys for t in fn(py)]


PURE = ["py3-none-any"]

# Stand-ins for chalice/app.py and chalice/__init__.py, marked with the release.
CHALICE_FILES = [
    ("chalice/__init__.py", "__version__ = '{version}'\nfrom chalice.app import Chalice\n"),
    ("chalice/app.py", "# fixture chalice {version} app.py\nclass Chalice:\n    pass\n"),
]

PROJECTS = [
    # --- the alpaca-py graph (real names, fake content) ---
    {"name": "alpaca-py", "module": "alpaca", "versions": [
        {"version": "0.43.2", "requires_python": ">=3.8,<4.0", "wheels": PURE, "requires": [
            "msgpack<2.0.0,>=1.0.3", "numpy>=1.24", "pandas>=1.5.3", "pydantic<3.0.0,>=2.0.3",
            "requests<3.0.0,>2.30.0", "sseclient-py<2.0.0,>=1.7.2", "websockets>=10.4"]}]},
    {"name": "pandas", "versions": [
        {"version": "2.3.3", "requires_python": ">=3.9", "wheels": compiled(PYS, manylinux228), "requires": [
            'numpy>=1.22.4; python_version < "3.11"', 'numpy>=1.23.2; python_version == "3.11"',
            'numpy>=1.26.0; python_version >= "3.12"', "python-dateutil>=2.8.2", "pytz>=2020.1",
            "tzdata>=2022.7"],
         "extras": {"excel": ["openpyxl>=3.1.0"]}}]},
    {"name": "numpy", "versions": [
        # 2.2.6: manylinux2014 wheels (fits Amazon Linux 2's glibc 2.26), plus
        # wheels a Lambda target must reject.
        {"version": "2.2.6", "requires_python": ">=3.10",
         "wheels": compiled(PYS[:4]) + ["cp312-cp312-musllinux_1_2_x86_64", "cp312-cp312-macosx_14_0_arm64"]},
        # 2.4.1: only manylinux_2_28 wheels: no compatible wheel for python3.10/3.11 Lambda.
        {"version": "2.4.1", "requires_python": ">=3.11", "wheels": compiled(PYS[1:], manylinux228)}]},
    {"name": "python-dateutil", "module": "dateutil", "versions": [
        {"version": "2.9.0.post0", "requires_python": "!=3.0.*,!=3.1.*,!=3.2.*,>=2.7",
         "wheels": ["py2.py3-none-any"], "requires": ["six>=1.5"]}]},
    {"name": "six", "versions": [
        {"version": "1.17.0", "requires_python": "!=3.0.*,!=3.1.*,!=3.2.*,>=2.7",
         "wheels": ["py2.py3-none-any"], "sdist": True}]},
    {"name": "pytz", "versions": [{"version": "2025.2", "wheels": ["py2.py3-none-any"]}]},
    {"name": "tzdata", "versions": [{"version": "2025.2", "requires_python": ">=2", "wheels": ["py2.py3-none-any"]}]},
    {"name": "requests", "versions": [
        {"version": "2.32.5", "requires_python": ">=3.9", "wheels": PURE, "requires": [
            "charset_normalizer<4,>=2", "idna<4,>=2.5", "urllib3<3,>=1.21.1", "certifi>=2017.4.17"],
         "extras": {"socks": ["PySocks!=1.5.7,>=1.5.6"], "use-chardet-on-py3": ["chardet<6,>=3.0.2"]}}]},
    {"name": "urllib3", "versions": [
        {"version": "2.5.0", "requires_python": ">=3.9", "wheels": PURE,
         "extras": {"socks": ["pysocks!=1.5.7,<2.0,>=1.5.6"]}},
        # yanked (PEP 592): a resolver must skip it unless pinned with ==.
        {"version": "2.6.0", "requires_python": ">=3.9", "wheels": PURE,
         "yanked": "broken release, use 2.5.0"}]},
    {"name": "idna", "versions": [{"version": "3.10", "requires_python": ">=3.6", "wheels": PURE}]},
    {"name": "charset-normalizer", "versions": [
        {"version": "3.4.3", "requires_python": ">=3.7",
         "wheels": compiled(PYS, manylinux2014) + PURE}]},
    {"name": "certifi", "versions": [{"version": "2025.8.3", "requires_python": ">=3.7", "wheels": PURE}]},
    {"name": "pysocks", "module": "socks", "versions": [{"version": "1.7.1", "wheels": ["py3-none-any"]}]},
    {"name": "pydantic", "versions": [
        {"version": "2.11.7", "requires_python": ">=3.9", "wheels": PURE, "requires": [
            "annotated-types>=0.6.0", "pydantic-core==2.33.2", "typing-extensions>=4.12.2",
            "typing-inspection>=0.4.0"]}]},
    {"name": "pydantic-core", "module": "pydantic_core", "versions": [
        {"version": "2.33.2", "requires_python": ">=3.9", "wheels": compiled(PYS, manylinux2014),
         "requires": ["typing-extensions!=4.7.0,>=4.6.0"]}]},
    {"name": "typing-extensions", "module": "typing_extensions", "versions": [
        {"version": "4.13.2", "requires_python": ">=3.8", "wheels": PURE},
        {"version": "4.15.0", "requires_python": ">=3.9", "wheels": PURE}]},
    {"name": "typing-inspection", "versions": [
        {"version": "0.4.1", "requires_python": ">=3.9", "wheels": PURE, "requires": ["typing-extensions>=4.12.0"]}]},
    {"name": "annotated-types", "versions": [
        {"version": "0.7.0", "requires_python": ">=3.8", "wheels": PURE,
         "requires": ['typing-extensions>=4.0.0; python_version < "3.9"']}]},
    {"name": "msgpack", "versions": [
        {"version": "1.1.1", "requires_python": ">=3.8", "wheels": compiled(PYS, manylinux2014)}]},
    {"name": "websockets", "versions": [
        {"version": "15.0.1", "requires_python": ">=3.9", "wheels": compiled(PYS, manylinux2014)}]},
    {"name": "sseclient-py", "module": "sseclient", "versions": [
        {"version": "1.8.0", "wheels": ["py2.py3-none-any"], "stored": True}]},
    # --- markers: colorama only on Windows ---
    {"name": "click", "versions": [
        {"version": "8.2.1", "requires_python": ">=3.10", "wheels": PURE,
         "requires": ['colorama; platform_system == "Windows"']}]},
    {"name": "colorama", "versions": [{"version": "0.4.6", "wheels": ["py2.py3-none-any"]}]},
    # --- requires-python: 2.0 needs python>=3.13, 1.0 works everywhere ---
    {"name": "newpy", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "wheels": PURE},
        {"version": "2.0", "requires_python": ">=3.13", "wheels": PURE}]},
    # --- the index lists a sha256 that does not match the file ---
    {"name": "badhash", "versions": [{"version": "1.0", "wheels": PURE, "bad_hash": True}]},
    # --- only an sdist (pure package), buildable offline by its in-tree PEP 517 backend ---
    {"name": "sdistonly", "versions": [{"version": "0.1", "requires_python": ">=3.8", "sdist": "pure"}]},
    # --- only an sdist whose backend builds a cp3X-cp3X-linux_<machine> wheel with a dummy .so ---
    {"name": "nativeonly", "versions": [{"version": "0.1", "requires_python": ">=3.8", "sdist": "native"}]},
    # --- exact pins of releases published only as sdists, while other releases have wheels
    # (issue 15, class 2: twilio==6.45.3, pygeohash==1.2.0; PyYAML==5.3.1's optional C extension) ---
    {"name": "pinsdist", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "sdist": "pure"},
        {"version": "2.0", "requires_python": ">=3.8", "wheels": PURE}]},
    {"name": "pinnative", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "sdist": "native"},
        {"version": "2.0", "requires_python": ">=3.8", "wheels": PURE}]},
    {"name": "optionalc", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "sdist": "optional"},
        {"version": "2.0", "requires_python": ">=3.8", "wheels": PURE}]},
    # --- the newest release is published only as an sdist (lambdabot's atomicwrites 1.4.1 over
    # 1.4.0): pip chooses it and Chalice builds it; one that cannot be built (a build error, or a
    # native wheel this host cannot vouch for) leaves the release with a wheel ---
    {"name": "newsdist", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "wheels": PURE},
        {"version": "1.1", "requires_python": ">=3.8", "sdist": "pure"}]},
    {"name": "brokensdist", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "wheels": PURE},
        {"version": "1.1", "requires_python": ">=3.8", "sdist": "broken"}]},
    {"name": "newnative", "versions": [
        {"version": "1.0", "requires_python": ">=3.8", "wheels": PURE},
        {"version": "1.1", "requires_python": ">=3.8", "sdist": "native"}]},
    # --- metadata pip tolerates: an invalid Requires-Python is ignored (pylint 2.5.2's ">=3.5.*"),
    # a release with an invalid Requires-Dist is skipped (chalice 1.15.0's
    # "pyyaml (<6.0.0wheel,>=5.3.1)") ---
    {"name": "badmeta", "versions": [
        {"version": "1.0", "requires_python": ">=3.5.*", "wheels": PURE},
        {"version": "1.1", "requires_python": ">=3.8", "wheels": PURE,
         "requires": ["six (<6.0.0wheel,>=1.0)"]}]},
    # --- markers on the architecture: one helper per platform_machine ---
    {"name": "archpick", "versions": [
        {"version": "1.0", "wheels": PURE, "requires": [
            'amd64-helper; platform_machine == "x86_64"', 'arm64-helper; platform_machine == "aarch64"']}]},
    {"name": "amd64-helper", "versions": [{"version": "1.0", "wheels": PURE}]},
    {"name": "arm64-helper", "versions": [{"version": "1.0", "wheels": PURE}]},
    # --- chalice's runtime files, for packaging with no Python: newest final
    # release is 1.34.0 (1.35.0b1 is a pre-release) ---
    {"name": "chalice", "versions": [
        # An old pin as real requirements.txt files have it (issue 15, class 1): with its CLI
        # package and dependencies, which Chalice ships except for the chalice/ directory.
        {"version": "1.26.6", "requires_python": ">=3.9", "wheels": PURE,
         "requires": ["click>=7", "six>=1.10.0"],
         "files": CHALICE_FILES + [("chalice/cli/__init__.py", "# fixture chalice {version} CLI\n")]}] + [
        {"version": v, "requires_python": ">=3.9", "wheels": PURE, "files": CHALICE_FILES}
        for v in ("1.33.0", "1.34.0", "1.35.0b1")]},
]


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def stem(name):
    return normalize(name).replace("-", "_")


def metadata_text(p, v):
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {v['version']}",
             f"Summary: fixture package {p['name']} (fake content)"]
    if v.get("requires_python"):
        lines.append(f"Requires-Python: {v['requires_python']}")
    for r in v.get("requires", []):
        lines.append(f"Requires-Dist: {r}")
    for extra, reqs in v.get("extras", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for r in reqs:
            req, _, marker = r.partition(";")
            marker = f"({marker.strip()}) and " if marker.strip() else ""
            lines.append(f'Requires-Dist: {req.strip()}; {marker}extra == "{extra}"')
    return "\n".join(lines) + "\n\nFixture package for grail tests.\n"


def expand_tags(tag):
    py, abi, plat = tag.split("-")
    return [f"{a}-{b}-{c}" for a in py.split(".") for b in abi.split(".") for c in plat.split(".")]


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


ELF_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor-fixtures", "elf")


def fake_so(p, v, tag):
    """A stand-in compiled extension that passes grail's ELF audit: the
    vendor-fixtures/elf/ shared object for the tag's architecture and glibc
    level (manylinux_2_17 -> needs GLIBC_2.17, manylinux_2_28 -> GLIBC_2.28;
    macOS -> Mach-O), plus a per-wheel trailer after the section table so
    every wheel's file differs."""
    seed = hashlib.sha256(f"{p['name']}-{v['version']}-{tag}".encode()).digest()
    plat = tag.split("-")[2].split(".")[0]
    m = re.match(r"manylinux_2_(\d+)_(x86_64|aarch64)$", plat)
    if m:
        base = f"{m.group(2)}-glibc{'2.28' if int(m.group(1)) >= 28 else '2.17'}.so"
    elif plat.startswith("musllinux") and plat.endswith("x86_64"):
        base = "x86_64-noversions.so"
    elif plat.startswith("macosx"):
        base = "macho.so"
    else:
        return b"\x7fELF" + (seed * 8)
    with open(os.path.join(ELF_FIXTURES, base), "rb") as f:
        return f.read() + seed


def build_wheel(p, v, tag):
    st = stem(p["name"])
    mod = p.get("module", st)
    di = f"{st}-{v['version']}.dist-info"
    py, abi, plat = tag.split("-")
    if "files" in v:
        files = [(path, text.replace("{version}", v["version"]).encode()) for path, text in v["files"]]
    else:
        files = [(f"{mod}/__init__.py", f'__version__ = "{v["version"]}"\n'.encode())]
    if plat != "any":
        files.append((f"{mod}/_native.{py}-{plat.split('.')[0]}.so", fake_so(p, v, tag)))
    files.append((f"{di}/METADATA", metadata_text(p, v).encode()))
    wheel = ["Wheel-Version: 1.0", "Generator: grail-fixtures (1.0)",
             f"Root-Is-Purelib: {'true' if plat == 'any' else 'false'}"]
    wheel += [f"Tag: {t}" for t in expand_tags(tag)]
    files.append((f"{di}/WHEEL", ("\n".join(wheel) + "\n").encode()))
    record = "".join(f"{n},{record_hash(d)},{len(d)}\n" for n, d in files) + f"{di}/RECORD,,\n"
    files.append((f"{di}/RECORD", record.encode()))
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if v.get("stored") else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            info.compress_type = method
            zf.writestr(info, data, compresslevel=6 if method == zipfile.ZIP_DEFLATED else None)
    return f"{st}-{v['version']}-{tag}.whl", buf.getvalue()


# The in-tree PEP 517 backend shipped inside "pure"/"native" sdists. Stdlib only,
# `requires = []`, so pip's isolated build environment needs no download. It
# reads the name, version and metadata from the sdist's own PKG-INFO, so the
# sdist stays the single source of truth.
IN_TREE_BACKEND = r"""# In-tree PEP 517 backend of a grail test fixture (stdlib only, builds offline).

import base64
import hashlib
import os
import sys
import sysconfig
import tarfile
import zipfile
from email.parser import Parser

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = (1980, 1, 1, 0, 0, 0)


def _pkg_info():
    with open(os.path.join(HERE, "PKG-INFO"), encoding="utf-8") as f:
        text = f.read()
    return text, Parser().parsestr(text)


def _stem(name):
    out, sep = [], False
    for c in name.lower():
        if c in "-_.":
            if not sep:
                out.append("_")
            sep = True
        else:
            out.append(c)
            sep = False
    return "".join(out)


def _native():
    return os.path.exists(os.path.join(HERE, "native", "_native.so"))


def _tag():
    if not _native():
        return "py3-none-any"
    impl = "cp%d%d" % sys.version_info[:2]
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (impl, impl, plat)


def _files(module):
    # Every file of the import package, sorted, plus the "compiled" extension.
    out = []
    root = os.path.join(HERE, module)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            path = os.path.join(dirpath, fn)
            arc = os.path.relpath(path, HERE).replace(os.sep, "/")
            with open(path, "rb") as f:
                out.append((arc, f.read()))
    if _native():
        with open(os.path.join(HERE, "native", "_native.so"), "rb") as f:
            suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
            out.append(("%s/_native%s" % (module, suffix), f.read()))
    return out


def _dist_info_files(meta_text, name, version):
    tag = _tag()
    wheel = ["Wheel-Version: 1.0", "Generator: grail-fixture-backend (1.0)",
             "Root-Is-Purelib: %s" % ("false" if _native() else "true"), "Tag: %s" % tag]
    di = "%s-%s.dist-info" % (_stem(name), version)
    return di, [(di + "/METADATA", meta_text.encode("utf-8")),
                (di + "/WHEEL", ("\n".join(wheel) + "\n").encode("ascii"))]


def _record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    text, meta = _pkg_info()
    di, files = _dist_info_files(text, meta["Name"], meta["Version"])
    for arc, data in files:
        path = os.path.join(metadata_directory, *arc.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return di


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    text, meta = _pkg_info()
    name, version = meta["Name"], meta["Version"]
    module = _stem(name)
    di, meta_files = _dist_info_files(text, name, version)
    files = _files(module) + meta_files
    record = "".join("%s,%s,%d\n" % (arc, _record_hash(d), len(d)) for arc, d in files)
    files.append((di + "/RECORD", (record + di + "/RECORD,,\n").encode("utf-8")))
    filename = "%s-%s-%s.whl" % (_stem(name), version, _tag())
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for arc, data in files:
            info = zipfile.ZipInfo(arc, DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return filename


def build_sdist(sdist_directory, config_settings=None):
    _, meta = _pkg_info()
    base = "%s-%s" % (_stem(meta["Name"]), meta["Version"])
    paths = []
    for dirpath, dirnames, filenames in os.walk(HERE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        paths += [os.path.join(dirpath, fn) for fn in sorted(filenames)]
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz",
                      format=tarfile.PAX_FORMAT) as tf:
        for path in paths:
            ti = tf.gettarinfo(path, base + "/" + os.path.relpath(path, HERE).replace(os.sep, "/"))
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 0, 0, 0, "", ""
            with open(path, "rb") as f:
                tf.addfile(ti, f)
    return filename
"""

ELF_FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor-fixtures", "elf",
                           "x86_64-glibc2.17.so")


def build_sdist(p, v):
    st = stem(p["name"])
    mod = p.get("module", st)
    base = f"{st}-{v['version']}"
    pkg_info = metadata_text(p, v)
    kind = v["sdist"]
    if kind is True:
        pyproject = (f'[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
                     f'[project]\nname = "{p["name"]}"\nversion = "{v["version"]}"\n')
        extra = []
    else:
        if kind not in ("pure", "native", "optional", "broken"):
            raise ValueError(f"{p['name']}: sdist must be True, 'pure', 'native', 'optional' or 'broken', "
                             f"not {kind!r}")
        if mod != st:
            raise ValueError(f"{p['name']}: the in-tree backend installs the module as {st!r}")
        pyproject = ('[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
                     f'[project]\nname = "{p["name"]}"\nversion = "{v["version"]}"\n'
                     + (f'requires-python = "{v["requires_python"]}"\n' if v.get("requires_python") else ""))
        backend = IN_TREE_BACKEND
        if kind == "optional":
            # As setuptools does for an optional extension: no compiler, no extension.
            backend = backend.replace(
                'return os.path.exists(os.path.join(HERE, "native", "_native.so"))',
                'return (os.path.exists(os.path.join(HERE, "native", "_native.so"))\n'
                '            and os.environ.get("CC") != "/var/false")')
            assert backend != IN_TREE_BACKEND
        if kind == "broken":
            signature = "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
            backend = backend.replace(signature, signature + '    raise RuntimeError("fixture: this sdist never builds")\n')
            assert backend != IN_TREE_BACKEND
        extra = [(f"{base}/backend.py", backend.encode())]
        if kind in ("native", "optional"):
            with open(ELF_FIXTURE, "rb") as f:
                extra.append((f"{base}/native/_native.so", f.read()))
    files = [(f"{base}/PKG-INFO", pkg_info.encode()), (f"{base}/pyproject.toml", pyproject.encode()),
             (f"{base}/{mod}/__init__.py", f'__version__ = "{v["version"]}"\n'.encode())] + extra
    # Sorted entries, fixed owner/mode/mtime and gzip mtime 0: byte-identical output.
    files.sort()
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode, ti.uid, ti.gid, ti.uname, ti.gname = len(data), 0, 0o644, 0, 0, "", ""
            tf.addfile(ti, io.BytesIO(data))
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=9) as g:
        g.write(tar_buf.getvalue())
    return f"{base}.tar.gz", gz.getvalue()


def main():
    root = os.path.normpath(ROOT)
    if os.path.isdir(root):
        shutil.rmtree(root)
    total = 0
    for p in PROJECTS:
        d = os.path.join(root, normalize(p["name"]))
        os.makedirs(d)
        sidecar = {}
        for v in p["versions"]:
            outputs = [build_wheel(p, v, t) for t in v.get("wheels", [])]
            if v.get("sdist"):
                outputs.append(build_sdist(p, v))
            for fname, data in outputs:
                with open(os.path.join(d, fname), "wb") as f:
                    f.write(data)
                total += len(data)
                entry = {}
                if v.get("requires_python"):
                    entry["requires-python"] = v["requires_python"]
                if v.get("yanked"):
                    entry["yanked"] = v["yanked"]
                if v.get("bad_hash"):
                    entry["listed-sha256"] = hashlib.sha256(b"not the file " + data).hexdigest()
                sidecar[fname] = entry
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump({"files": sidecar}, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"wrote {len(PROJECTS)} projects, {total} bytes of distributions under {root}", file=sys.stderr)


if __name__ == "__main__":
    main()

# grail verify's bridge: run by the target interpreter in isolated mode
# (-I -S) inside a root laid out as Lambda lays it out. It imports every
# shipped top-level module, then `app`, calls each Chalice route with a
# synthetic API Gateway event, and prints one JSON document on stdout.
# argv: ROOT X.Y
import json
import os
import sys
import traceback

ROOT, PYVER = sys.argv[1], sys.argv[2]
TASK = os.path.join(ROOT, "var", "task")
OPT = os.path.join(ROOT, "opt", "python")
SITE = os.path.join(OPT, "lib", "python" + PYVER, "site-packages")
# Lambda's order: the task, then layers, then the interpreter's stdlib.
sys.path[:] = [TASK, OPT, SITE] + [p for p in sys.path if p and p.startswith(sys.prefix)]


def top_levels(base):
    """Yield (module, distribution, dist-info path) for each top-level module a dist-info in base ships."""
    if not os.path.isdir(base):
        return
    for entry in sorted(os.listdir(base)):
        if not entry.endswith(".dist-info"):
            continue
        dist = entry[: -len(".dist-info")].rsplit("-", 1)[0]
        info = os.path.join(base, entry)
        names = set()
        tl = os.path.join(info, "top_level.txt")
        if os.path.isfile(tl):
            with open(tl, encoding="utf-8", errors="replace") as f:
                names.update(n.strip() for n in f if n.strip())
        else:
            names.update(from_record(os.path.join(info, "RECORD")))
        for n in sorted(names):
            # Not a module: `numpy.libs` (auditwheel's vendored libraries),
            # paths, `__pycache__`-like names.
            if not n.isidentifier() or n.startswith("_") and n.endswith("_"):
                continue
            if os.path.exists(os.path.join(base, n)) or any(
                e.split(".")[0] == n for e in os.listdir(base)
            ):
                yield n, dist, info


def from_record(path):
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            first = line.split(",", 1)[0].split("/", 1)
            head = first[0]
            if head.endswith((".dist-info", ".data")) or head in ("..", "__pycache__", "bin"):
                continue
            if len(first) == 1:
                if head.endswith(".py"):
                    yield head[:-3]
                elif head.endswith(".so") or head.endswith(".pyd"):
                    yield head.split(".", 1)[0]
            elif not first[1].startswith("..") and first[1].endswith((".py", ".so")):
                yield head


MACHINES = {3: "i386", 62: "x86_64", 183: "aarch64", 40: "arm"}


def elf_machine(path):
    """The ELF e_machine of a binary the loader refused, by name."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if head[:4] != b"\x7fELF":
        return "not an ELF file"
    order = "little" if head[5] == 1 else "big"
    code = int.from_bytes(head[18:20], order)
    return MACHINES.get(code, "machine %d" % code)


# Standard-library modules a Lambda Python no longer has (removed in 3.12 and
# 3.13), or never had on Linux: importing them is the package's own
# incompatibility, not something grail could ship.
REMOVED = {
    "3.12": {"distutils", "imp", "asynchat", "asyncore", "smtpd"},
    "3.13": {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap",
             "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
             "telnetlib", "uu", "xdrlib", "lib2to3"},
}
WINDOWS_ONLY = {"msvcrt", "winreg", "_winreg", "_winapi", "winsound", "_overlapped",
                "win32api", "win32con", "pywintypes", "win32com"}
# Import names that differ from the distribution's name.
IMPORT_NAMES = {
    "yaml": "pyyaml", "dateutil": "python-dateutil", "pil": "pillow", "sklearn": "scikit-learn",
    "cv2": "opencv-python", "bs4": "beautifulsoup4", "attr": "attrs", "jwt": "pyjwt",
    "crypto": "pycryptodome", "dns": "dnspython", "dotenv": "python-dotenv", "git": "gitpython",
    "serial": "pyserial", "zmq": "pyzmq", "magic": "python-magic", "pkg_resources": "setuptools",
    "google": "protobuf", "jose": "python-jose", "multipart": "python-multipart",
    "socks": "pysocks", "nacl": "pynacl", "psycopg2": "psycopg2-binary",
    "mysqldb": "mysqlclient", "pymysql": "pymysql", "markdown": "markdown",
}
TEST_NAMES = {"test", "tests", "testing", "conftest", "docs", "doc", "examples", "example",
              "benchmarks", "benchmark", "scripts", "tools"}


def normalize(name):
    return name.lower().replace("-", "_").replace(".", "_")


def requirements(info):
    """(name -> list of extras it is needed for; [] = always) from METADATA, or None."""
    path = os.path.join(info, "METADATA") if info else None
    if not path or not os.path.isfile(path):
        return None
    reqs = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                break  # the body starts
            if not line.lower().startswith("requires-dist:"):
                continue
            spec = line.split(":", 1)[1].strip()
            name = ""
            for ch in spec:
                if ch.isalnum() or ch in "._-":
                    name += ch
                else:
                    break
            marker = spec.split(";", 1)[1] if ";" in spec else ""
            extras = [m.split("==", 1)[1].strip().strip("'\" ") for m in marker.split(" and ")
                      if "extra" in m and "==" in m]
            key = normalize(name)
            if extras:
                reqs.setdefault(key, []).extend(extras)
            else:
                reqs[key] = []  # always needed wins
    return reqs


def shipped(root):
    """Whether the zip (or the managed layer) has import root `root`."""
    for base in (TASK, OPT, SITE):
        if os.path.exists(os.path.join(base, root)) or os.path.exists(os.path.join(base, root + ".py")):
            return True
    return False


def shipped_dists():
    names = set()
    for base in (TASK, OPT, SITE):
        if os.path.isdir(base):
            for entry in os.listdir(base):
                if entry.endswith(".dist-info"):
                    names.add(normalize(entry[: -len(".dist-info")].rsplit("-", 1)[0]))
    return names


def own_business(module, info, exc, missing):
    """Why an import failure is the package's own business, or None when grail may be at fault."""
    if module.lower() in TEST_NAMES or module.lower().endswith("_tests"):
        return "package's own test or documentation module; Lambda never imports it"
    if not isinstance(exc, ImportError) or missing is None:
        return None
    root = missing.split(".")[0]
    if root in REMOVED.get(PYVER, set()) or PYVER == "3.13" and root in REMOVED["3.12"]:
        return ("package's own import: `%s` is not in Python %s (the package does not support "
                "this runtime)" % (root, PYVER))
    if root in WINDOWS_ONLY:
        return "package's own import: `%s` exists only on Windows" % root
    reqs = requirements(info)
    if reqs is None:
        return None
    wanted = [normalize(root), normalize(IMPORT_NAMES.get(root.lower(), root))]
    for w in wanted:
        if w in reqs and not reqs[w] and w in shipped_dists():
            return ("package's own import: `%s` is not in the shipped %s (the version its "
                    "requirements allow lacks it)" % (missing, w))
        if w in reqs:
            if reqs[w]:
                return ("package's own optional import: `%s` comes with its extra %s, which was "
                        "not asked for" % (root, ", ".join("[%s]" % e for e in sorted(set(reqs[w])))))
            return None  # a declared dependency that is missing: grail's business
    if any(r.startswith(w) or w.startswith(r) for r in reqs for w in wanted):
        return None  # close enough to a declared name: do not excuse it
    return "package's own import: `%s` is not among its declared dependencies" % root


def failure(module, dist, where, exc, info=None):
    # Only a module that is not there; "cannot import name" names a module that is.
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    path = getattr(exc, "path", None) if isinstance(exc, ImportError) else None
    binary = None
    if path and not path.endswith(".py"):
        binary = {"path": os.path.relpath(path, ROOT), "machine": elf_machine(path)}
        missing = None
    own = None if binary or where != "import" or module == "app" else own_business(module, info, exc, missing)
    return {
        "binary": binary,
        "own": own,
        "module": module,
        "distribution": dist,
        "where": where,
        "exception": "%s: %s" % (type(exc).__name__, exc),
        "missing": missing,
        "missing_shipped": bool(missing) and shipped(missing.split(".")[0]),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]),
    }


def event(path, method):
    params = {}
    concrete = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1].rstrip("+")] = "grail"
            concrete.append("grail")
        else:
            concrete.append(part)
    return {
        "resource": path,
        "path": "/".join(concrete),
        "httpMethod": method,
        "headers": {"accept": "*/*", "host": "localhost"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": "/api" + "/".join(concrete),
            "stage": "api",
            "requestId": "grail-verify",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


class Context:
    function_name = "grail-verify"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    aws_request_id = "grail-verify"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:grail-verify"
    log_group_name = log_stream_name = "grail-verify"

    def get_remaining_time_in_millis(self):
        return 30000


def call_routes(app, result):
    routes = getattr(app, "routes", None)
    if not isinstance(routes, dict):
        return
    app.debug = True  # a 500 then carries the traceback in its body
    for path, methods in sorted(routes.items()):
        for method in sorted(methods):
            name = "%s %s" % (method, path)
            try:
                resp = app(event(path, method), Context())
                status = resp.get("statusCode") if isinstance(resp, dict) else None
                body = str(resp.get("body", "")) if isinstance(resp, dict) else ""
            except BaseException as e:  # noqa: B902 - any escape is a finding
                result["failures"].append(failure(name, None, "handler", e))
                continue
            entry = {"route": name, "status": status}
            if status is not None and status >= 500 and (
                "ImportError" in body or "ModuleNotFoundError" in body
            ):
                entry["error"] = body[-600:]
                result["failures"].append(
                    {"module": name, "distribution": None, "where": "handler",
                     "exception": body.strip().splitlines()[-1] if body.strip() else "500",
                     "missing": None, "traceback": body[-600:]})
            elif status is not None and status >= 500:
                entry["error"] = body[-600:]
            result["routes"].append(entry)


def main():
    result = {"python": sys.version.split()[0], "executable": sys.executable,
              "imported": [], "failures": [], "routes": []}
    seen = set()
    for base in (TASK, OPT, SITE):
        for module, dist, info in top_levels(base):
            if module in seen:
                continue
            seen.add(module)
            try:
                __import__(module)
                result["imported"].append(module)
            except BaseException as e:  # noqa: B902
                result["failures"].append(failure(module, dist, "import", e, info))
    try:
        mod = __import__("app")
        result["imported"].append("app")
        app = getattr(mod, "app", None)
        if app is not None and callable(app):
            call_routes(app, result)
    except BaseException as e:  # noqa: B902
        result["failures"].append(failure("app", None, "import", e))
    sys.stdout.write("\n@@grail-verify@@" + json.dumps(result) + "\n")


main()

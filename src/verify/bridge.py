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
    """Yield (module, distribution) for each top-level module a dist-info in base ships."""
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
                yield n, dist


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


def failure(module, dist, where, exc):
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    path = getattr(exc, "path", None) if isinstance(exc, ImportError) else None
    binary = None
    if path and not path.endswith(".py"):
        binary = {"path": os.path.relpath(path, ROOT), "machine": elf_machine(path)}
        missing = None
    return {
        "binary": binary,
        "module": module,
        "distribution": dist,
        "where": where,
        "exception": "%s: %s" % (type(exc).__name__, exc),
        "missing": missing,
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
        for module, dist in top_levels(base):
            if module in seen:
                continue
            seen.add(module)
            try:
                __import__(module)
                result["imported"].append(module)
            except BaseException as e:  # noqa: B902
                result["failures"].append(failure(module, dist, "import", e))
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

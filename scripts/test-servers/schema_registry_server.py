#!/usr/bin/env python3
"""A Schema Registry test server for ConnectKit's AvroConverter tests.

No Confluent Schema Registry implementation installs from PyPI here (karapace is not published
there), so this is ours, written from Confluent's public Schema Registry API reference
(docs.confluent.io, "Schema Registry API Reference"): the same paths, bodies, status codes and
error codes. Python standard library only; listens on 127.0.0.1 with a free port (or --port),
prints {"port": P} when ready, and exits when the process given by --parent ends.

API: GET / ; GET /subjects ; GET|DELETE /subjects/{s} ; POST /subjects/{s} (lookup) ;
GET /subjects/{s}/versions ; POST /subjects/{s}/versions (register) ;
GET|DELETE /subjects/{s}/versions/{v|latest} ; GET /subjects/{s}/versions/{v}/schema ;
GET /schemas/ids/{id} ; GET /schemas/ids/{id}/versions ; GET /schemas/types ;
GET|PUT /config ; GET|PUT|DELETE /config/{s} ; GET /mode ;
POST /compatibility/subjects/{s}/versions/{v|latest}.
Errors: {"error_code": …, "message": …} with 40401 subject not found, 40402 version not found,
40403 schema not found, 42201 invalid schema, 42202 invalid version, 42203 invalid compatibility
level, 409 incompatible schema, 401 unauthorized (with --user U --password P).
Compatibility levels BACKWARD (default), FORWARD, FULL, their _TRANSITIVE forms and NONE, checked
with Avro's schema resolution rules (reader/writer: fields by name with defaults, promotions, enum
symbols, unions, named types by full name or alias).

Test hooks (not Schema Registry APIs): POST /_test/faults {"status": 500, "times": N} answers the
next N calls with that status; {"delay_ms": N} delays every answer; GET /_test/stats
{"requests": n, "by_path": {...}}.
"""
import base64, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

from test_server_common import announce, serve, watch_parent

LOCK = threading.Lock()
SCHEMAS = []          # id-1 -> canonical text
IDS = {}              # canonical text -> id
SUBJECTS = {}         # subject -> [{"version": v, "id": id, "deleted": bool}]
CONFIG = {"global": "BACKWARD", "subjects": {}}
FAULTS = {"status": 0, "times": 0, "delay_ms": 0}
STATS = {"requests": 0, "by_path": {}}
OPTS = {}
LEVELS = {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


class Invalid(Exception):
    pass


def canonical(text):
    """The schema as compact JSON (formatting-insensitive identity), validated as Avro."""
    try:
        j = json.loads(text)
    except Exception as e:
        raise Invalid("Invalid schema: %s" % e)
    resolve(j, "", {})
    return json.dumps(j, separators=(",", ":"), ensure_ascii=False)


def resolve(j, ns, names):
    """Validates an Avro schema and returns a resolved tree: named types as dicts shared by name."""
    if isinstance(j, str):
        if j in PRIMITIVES:
            return {"type": j}
        full = j if "." in j else (ns + "." + j if ns else j)
        if full in names:
            return names[full]
        if j in names:
            return names[j]
        raise Invalid("Invalid schema: undefined name %s" % j)
    if isinstance(j, list):
        branches = [resolve(b, ns, names) for b in j]
        seen = set()
        for b in branches:
            key = b.get("fullname") or b["type"]
            if b["type"] == "union" or key in seen:
                raise Invalid("Invalid schema: bad union")
            seen.add(key)
        return {"type": "union", "branches": branches}
    if not isinstance(j, dict) or "type" not in j:
        raise Invalid("Invalid schema: no type")
    t = j["type"]
    if isinstance(t, (dict, list)):
        return resolve(t, ns, names)
    if t in ("record", "error", "enum", "fixed"):
        name = j.get("name")
        if not isinstance(name, str) or not name:
            raise Invalid("Invalid schema: no name")
        if "." in name:
            full = name
        else:
            space = j.get("namespace", ns) or ""
            full = space + "." + name if space else name
        inner = full.rsplit(".", 1)[0] if "." in full else ""
        node = {"type": t if t != "error" else "record", "fullname": full,
                "aliases": [a if "." in a else (inner + "." + a if inner else a) for a in j.get("aliases", [])]}
        if full in names:
            raise Invalid("Invalid schema: can't redefine %s" % full)
        names[full] = node
        if t == "enum":
            if not isinstance(j.get("symbols"), list):
                raise Invalid("Invalid schema: enum without symbols")
            node["symbols"] = j["symbols"]
            node["default"] = j.get("default")
        elif t == "fixed":
            if not isinstance(j.get("size"), int):
                raise Invalid("Invalid schema: fixed without size")
            node["size"] = j["size"]
        else:
            if not isinstance(j.get("fields"), list):
                raise Invalid("Invalid schema: record without fields")
            node["fields"] = []
            for f in j["fields"]:
                if not isinstance(f, dict) or "name" not in f or "type" not in f:
                    raise Invalid("Invalid schema: bad field")
                node["fields"].append({"name": f["name"], "type": resolve(f["type"], inner, names),
                                       "has_default": "default" in f, "aliases": f.get("aliases", [])})
        return node
    if t == "array":
        return {"type": "array", "items": resolve(j["items"], ns, names)}
    if t == "map":
        return {"type": "map", "values": resolve(j["values"], ns, names)}
    if t in PRIMITIVES:
        return {"type": t}
    return resolve(t, ns, names)


PROMOTIONS = {("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"),
              ("float", "double"), ("string", "bytes"), ("bytes", "string")}


def can_read(reader, writer, seen=None):
    """Whether data written with `writer` can be read with `reader` (Avro's resolution rules)."""
    seen = seen if seen is not None else set()
    key = (id(reader), id(writer))
    if key in seen:
        return True
    seen.add(key)
    if writer["type"] == "union":
        return all(can_read(reader, b, seen) for b in writer["branches"])
    if reader["type"] == "union":
        return any(can_read(b, writer, seen) for b in reader["branches"])
    rt, wt = reader["type"], writer["type"]
    if rt != wt:
        return (wt, rt) in PROMOTIONS
    if rt in ("record", "enum", "fixed"):
        if reader["fullname"] != writer["fullname"] and writer["fullname"] not in reader["aliases"]:
            return False
    if rt == "record":
        wfields = {f["name"]: f for f in writer["fields"]}
        for f in reader["fields"]:
            w = wfields.get(f["name"]) or next((wfields[a] for a in f["aliases"] if a in wfields), None)
            if w is None:
                if not f["has_default"]:
                    return False
            elif not can_read(f["type"], w["type"], seen):
                return False
        return True
    if rt == "enum":
        return set(writer["symbols"]) <= set(reader["symbols"]) or reader.get("default") is not None
    if rt == "fixed":
        return reader["size"] == writer["size"]
    if rt == "array":
        return can_read(reader["items"], writer["items"], seen)
    if rt == "map":
        return can_read(reader["values"], writer["values"], seen)
    return True


def compatible(level, new_text, existing_texts):
    if level == "NONE" or not existing_texts:
        return True
    targets = existing_texts if level.endswith("_TRANSITIVE") else existing_texts[-1:]
    new = resolve(json.loads(new_text), "", {})
    for old_text in targets:
        old = resolve(json.loads(old_text), "", {})
        if level.startswith("BACKWARD") or level.startswith("FULL"):
            if not can_read(new, old):
                return False
        if level.startswith("FORWARD") or level.startswith("FULL"):
            if not can_read(old, new):
                return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, {"error_code": code, "message": message})

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else {}

    def handle_any(self, method):
        path = urlparse(self.path).path
        with LOCK:
            STATS["requests"] += 1
            STATS["by_path"][method + " " + path] = STATS["by_path"].get(method + " " + path, 0) + 1
            fault = None
            if FAULTS["times"] > 0 and not path.startswith("/_test"):
                FAULTS["times"] -= 1
                fault = FAULTS["status"]
            delay = FAULTS["delay_ms"]
        if path.startswith("/_test/"):
            return self.test_hook(method, path)
        if delay and not path.startswith("/_test"):
            time.sleep(delay / 1000.0)
        if fault:
            return self.error(fault, fault * 100 + 1, "Injected failure")
        if "--user" in OPTS:
            want = "Basic " + base64.b64encode(("%s:%s" % (OPTS["--user"], OPTS["--password"])).encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.error(401, 401, "Unauthorized")
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        try:
            with LOCK:
                return self.route(method, parts)
        except Invalid as e:
            return self.error(422, 42201, str(e))
        except json.JSONDecodeError as e:
            return self.error(400, 400, "Unexpected character: %s" % e)

    def test_hook(self, method, path):
        if path == "/_test/faults" and method == "POST":
            with LOCK:
                FAULTS.update(self.body())
            return self.reply(200, FAULTS)
        if path == "/_test/stats":
            with LOCK:
                return self.reply(200, STATS)
        return self.error(404, 404, "HTTP 404 Not Found")

    def versions(self, subject):
        return [v for v in SUBJECTS.get(subject, []) if not v["deleted"]]

    def version_entry(self, subject, ref):
        live = self.versions(subject)
        if subject not in SUBJECTS or not live:
            self.error(404, 40401, "Subject '%s' not found." % subject)
            return None
        if ref == "latest" or ref == "-1":
            return live[-1]
        try:
            v = int(ref)
        except ValueError:
            self.error(422, 42202, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"" % ref)
            return None
        for e in live:
            if e["version"] == v:
                return e
        self.error(404, 40402, "Version %d not found." % v)
        return None

    def level(self, subject):
        return CONFIG["subjects"].get(subject, CONFIG["global"])

    def route(self, method, p):
        if not p:
            return self.reply(200, {})
        if p == ["subjects"] and method == "GET":
            return self.reply(200, sorted(s for s in SUBJECTS if self.versions(s)))
        if p == ["schemas", "types"]:
            return self.reply(200, ["AVRO"])
        if p == ["mode"]:
            return self.reply(200, {"mode": "READWRITE"})
        if len(p) >= 3 and p[0] == "schemas" and p[1] == "ids":
            try:
                sid = int(p[2])
            except ValueError:
                return self.error(404, 40403, "Schema not found")
            if sid < 1 or sid > len(SCHEMAS):
                return self.error(404, 40403, "Schema %d not found" % sid)
            if len(p) == 4 and p[3] == "versions":
                return self.reply(200, [{"subject": s, "version": e["version"]} for s in sorted(SUBJECTS)
                                        for e in self.versions(s) if e["id"] == sid])
            return self.reply(200, {"schema": SCHEMAS[sid - 1]})
        if p[0] == "config":
            target = p[1] if len(p) > 1 else None
            if method == "GET":
                if target and target not in CONFIG["subjects"]:
                    return self.error(404, 40408, "Subject '%s' does not have subject-level compatibility configured" % target)
                return self.reply(200, {"compatibilityLevel": CONFIG["subjects"][target] if target else CONFIG["global"]})
            if method == "PUT":
                level = self.body().get("compatibility", "")
                if level not in LEVELS:
                    return self.error(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
                if target:
                    CONFIG["subjects"][target] = level
                else:
                    CONFIG["global"] = level
                return self.reply(200, {"compatibility": level})
            if method == "DELETE" and target:
                old = CONFIG["subjects"].pop(target, CONFIG["global"])
                return self.reply(200, {"compatibilityLevel": old})
        if p[0] == "compatibility" and len(p) == 5 and p[1] == "subjects" and p[3] == "versions" and method == "POST":
            subject = p[2]
            text = canonical(self.body().get("schema", ""))
            entry = self.version_entry(subject, p[4])
            if entry is None:
                return None
            level = self.level(subject)
            old = [SCHEMAS[e["id"] - 1] for e in self.versions(subject)] if level.endswith("_TRANSITIVE") else [SCHEMAS[entry["id"] - 1]]
            return self.reply(200, {"is_compatible": compatible(level, text, old)})
        if p[0] == "subjects" and len(p) >= 2:
            subject = p[1]
            if len(p) == 2 and method == "POST":
                text = canonical(self.body().get("schema", ""))
                if not self.versions(subject):
                    return self.error(404, 40401, "Subject '%s' not found." % subject)
                sid = IDS.get(text)
                for e in self.versions(subject):
                    if e["id"] == sid:
                        return self.reply(200, {"subject": subject, "version": e["version"], "id": sid, "schema": text})
                return self.error(404, 40403, "Schema not found")
            if len(p) == 2 and method == "DELETE":
                live = self.versions(subject)
                if not live:
                    return self.error(404, 40401, "Subject '%s' not found." % subject)
                for e in live:
                    e["deleted"] = True
                return self.reply(200, [e["version"] for e in live])
            if len(p) == 3 and p[2] == "versions":
                if method == "GET":
                    live = self.versions(subject)
                    if not live:
                        return self.error(404, 40401, "Subject '%s' not found." % subject)
                    return self.reply(200, [e["version"] for e in live])
                if method == "POST":
                    body = self.body()
                    if body.get("schemaType", "AVRO") != "AVRO":
                        return self.error(422, 42201, "Invalid schema type %s" % body.get("schemaType"))
                    text = canonical(body.get("schema", ""))
                    sid = IDS.get(text)
                    live = self.versions(subject)
                    for e in live:
                        if e["id"] == sid:
                            return self.reply(200, {"id": sid})
                    if not compatible(self.level(subject), text, [SCHEMAS[e["id"] - 1] for e in live]):
                        return self.error(409, 409, "Schema being registered is incompatible with an earlier schema for subject \"%s\"" % subject)
                    if sid is None:
                        SCHEMAS.append(text)
                        sid = len(SCHEMAS)
                        IDS[text] = sid
                    all_versions = SUBJECTS.setdefault(subject, [])
                    all_versions.append({"version": (all_versions[-1]["version"] + 1) if all_versions else 1, "id": sid, "deleted": False})
                    return self.reply(200, {"id": sid})
            if len(p) >= 4 and p[2] == "versions":
                entry = self.version_entry(subject, p[3])
                if entry is None:
                    return None
                if method == "DELETE":
                    entry["deleted"] = True
                    return self.reply(200, entry["version"])
                if len(p) == 5 and p[4] == "schema":
                    data = SCHEMAS[entry["id"] - 1].encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                return self.reply(200, {"subject": subject, "version": entry["version"], "id": entry["id"],
                                        "schema": SCHEMAS[entry["id"] - 1]})
        return self.error(404, 404, "HTTP 404 Not Found")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    args = sys.argv[1:]
    OPTS.update(dict(zip(args[::2], args[1::2])))
    server = ThreadingHTTPServer(("127.0.0.1", int(OPTS.get("--port", "0"))), Handler)
    server.daemon_threads = True
    serve(server)
    announce({"port": server.server_address[1]})
    watch_parent(int(OPTS.get("--parent", "0")))


if __name__ == "__main__":
    main()

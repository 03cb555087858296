#!/usr/bin/env python3
"""A fault-injecting Elasticsearch test server for ConnectKit's Elasticsearch sink tests.

Written from the public Elasticsearch REST API documentation (bulk, index, mapping, data stream,
cluster APIs and their error bodies), not from our client. Python standard library only; listens on
127.0.0.1 with a free port, prints {"port": P} when ready, and exits when the process given by
--parent ends.

Options: --version 8.15.2 (what GET / reports), --user U --password P (Basic auth required: 401 with
Elasticsearch's security_exception body otherwise), --parent PID, --accept-all (bulk requests are
answered "created" for every action without storing anything: a server as fast as this script can
read, for benchmarks), --tls-cert FILE --tls-key FILE (HTTPS instead of HTTP).

State: indices {name: {mappings, docs: {id: {source, version, seq_no}}, tombstones: {id: version}}},
data streams (created by PUT /_data_stream/<name>; names must match logs-*-* or metrics-*-*).

Fault injection and inspection (not Elasticsearch APIs):
  POST /_test/faults  {"bulk": [{"status": 429, "body": {...}} | {"drop": true} | {"delay_ms": N}
                                 | {"garbage": true}, ...],          one entry per coming bulk call
                       "items": [{"id": "k3", "status": 429, "type": "es_rejected_execution_exception",
                                  "times": 2}, ...],                  per-item errors by document id
                       "delay_ms": N}                                 every bulk call answers after N ms
  GET  /_test/journal  every request so far: [{"method","path","headers","body"}]
  GET  /_test/stats    {"bulk_calls": n, "max_concurrent_bulks": n, "docs": n}
"""
import base64, gzip, json, re, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_server_common import announce, serve, watch_parent

LOCK = threading.Lock()
INDICES = {}
DATA_STREAMS = {}
JOURNAL = []
FAULTS = {"bulk": [], "items": [], "delay_ms": 0}
STATS = {"bulk_calls": 0, "concurrent": 0, "max_concurrent_bulks": 0}
OPTS = {}
SEQ = [0]


def err_body(status, etype, reason, **extra):
    cause = {"type": etype, "reason": reason}
    cause.update(extra)
    body = {"root_cause": [dict(cause)]}
    body.update(cause)
    return {"error": body, "status": status}


def index_not_found(name):
    return err_body(404, "index_not_found_exception", "no such index [%s]" % name,
                    **{"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name})


def valid_index_name(name):
    if name != name.lower():
        return "Invalid index name [%s], must be lowercase" % name
    if name[:1] in ("_", "-", "+"):
        return "Invalid index name [%s], must not start with '_', '-', or '+'" % name
    return None


def new_index(name):
    INDICES[name] = {"mappings": {}, "docs": {}, "tombstones": {}, "uuid": "u" + str(len(INDICES))}


def dynamic_type(v):
    if isinstance(v, bool):
        return {"type": "boolean"}
    if isinstance(v, int):
        return {"type": "long"}
    if isinstance(v, float):
        return {"type": "float"}
    if isinstance(v, dict):
        return {"properties": {k: dynamic_type(x) for k, x in v.items()}}
    if isinstance(v, list):
        return dynamic_type(v[0]) if v else None
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


NUMERIC = {"long", "integer", "short", "byte", "double", "float"}


def check_and_map(index, source, doc_id):
    """Type-checks numeric/boolean fields against the mapping, adds dynamic fields. Returns an error or None."""
    props = index["mappings"].setdefault("properties", {})

    def walk(props, obj, path):
        for k, v in obj.items():
            m = props.get(k)
            if m is None:
                t = dynamic_type(v)
                if t is not None:
                    props[k] = t
                continue
            if v is None:
                continue
            t = m.get("type")
            if t in NUMERIC:
                vals = v if isinstance(v, list) else [v]
                for x in vals:
                    ok = isinstance(x, (int, float)) and not isinstance(x, bool)
                    if isinstance(x, str):
                        try:
                            float(x)
                            ok = True
                        except ValueError:
                            ok = False
                    if not ok:
                        return {"type": "document_parsing_exception",
                                "reason": "[1:2] failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'" % (path + k, t, doc_id, x),
                                "caused_by": {"type": "illegal_argument_exception", "reason": "For input string: \"%s\"" % x}}
            elif t == "boolean" and not isinstance(v, bool) and v not in ("true", "false"):
                return {"type": "document_parsing_exception",
                        "reason": "[1:2] failed to parse field [%s] of type [boolean] in document with id '%s'. Preview of field's value: '%s'" % (path + k, doc_id, v),
                        "caused_by": {"type": "illegal_argument_exception", "reason": "Failed to parse value [%s] as only [true] or [false] are allowed." % v}}
            elif "properties" in m and isinstance(v, dict):
                e = walk(m["properties"], v, path + k + ".")
                if e:
                    return e
        return None

    return walk(props, source, "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, headers=()):
        body = b"" if obj is None else (obj if isinstance(obj, bytes) else json.dumps(obj).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        path, _, query = self.path.partition("?")
        with LOCK:
            JOURNAL.append({"method": self.command, "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": raw.decode("utf-8", "replace")})
        if path.startswith("/_test/"):
            return self.test_api(path, raw)
        if "--user" in OPTS:
            want = "Basic " + base64.b64encode(("%s:%s" % (OPTS["--user"], OPTS["--password"])).encode()).decode()
            got = self.headers.get("Authorization")
            if got != want:
                reason = ("unable to authenticate user [%s] for REST request [%s]" % (OPTS["--user"], path)) if got else \
                         ("missing authentication credentials for REST request [%s]" % path)
                hdr = 'Basic realm="security", charset="UTF-8"'
                return self.reply(401, err_body(401, "security_exception", reason, header={"WWW-Authenticate": [hdr]}),
                                  [("WWW-Authenticate", hdr)])
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if raw and ctype not in ("application/json", "application/x-ndjson", ""):
            return self.reply(406, {"error": "Content-Type header [%s] is not supported" % ctype, "status": 406})
        parts = [p for p in path.split("/") if p]
        if not parts:
            return self.reply(200, {"name": "es-test", "cluster_name": "connectkit-test", "cluster_uuid": "test",
                                    "version": {"number": OPTS.get("--version", "8.15.2"), "build_flavor": "default",
                                                "lucene_version": "9.11.1", "minimum_wire_compatibility_version": "7.17.0",
                                                "minimum_index_compatibility_version": "7.0.0"},
                                    "tagline": "You Know, for Search"})
        if parts[0] == "_bulk" or (len(parts) == 2 and parts[1] == "_bulk"):
            return self.bulk(raw)
        if parts[0] == "_data_stream" and len(parts) == 2:
            return self.data_stream(parts[1])
        name = parts[0]
        with LOCK:
            target = DATA_STREAMS.get(name, name)
            exists = target in INDICES
            if len(parts) == 1:
                if self.command == "HEAD":
                    return self.reply(200 if exists else 404)
                if self.command == "PUT":
                    bad = valid_index_name(name)
                    if bad:
                        return self.reply(400, err_body(400, "invalid_index_name_exception", bad, index=name))
                    if exists:
                        return self.reply(400, err_body(400, "resource_already_exists_exception",
                                                        "index [%s/%s] already exists" % (name, INDICES[name]["uuid"]), index=name))
                    new_index(name)
                    body = json.loads(raw) if raw else {}
                    if "mappings" in body:
                        INDICES[name]["mappings"] = body["mappings"]
                    return self.reply(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
                if self.command == "DELETE":
                    if not exists:
                        return self.reply(404, index_not_found(name))
                    del INDICES[name]
                    return self.reply(200, {"acknowledged": True})
            if not exists:
                return self.reply(404, index_not_found(name))
            idx = INDICES[target]
            if parts[1] == "_mapping":
                if self.command == "GET":
                    return self.reply(200, {target: {"mappings": idx["mappings"]}})
                body = json.loads(raw)
                if "type" in body and "properties" not in body:
                    return self.reply(400, err_body(400, "mapper_parsing_exception", "Root mapping definition has unsupported parameters:  [type : %s]" % body["type"]))
                props = idx["mappings"].setdefault("properties", {})
                for k, v in body.get("properties", {}).items():
                    old = props.get(k)
                    if old and old.get("type") and v.get("type") and old["type"] != v["type"]:
                        return self.reply(400, err_body(400, "illegal_argument_exception",
                                                        "mapper [%s] cannot be changed from type [%s] to [%s]" % (k, old["type"], v["type"])))
                    props[k] = v
                return self.reply(200, {"acknowledged": True})
            if parts[1] == "_doc" and len(parts) == 3:
                d = idx["docs"].get(parts[2])
                if d is None:
                    return self.reply(404, {"_index": target, "_id": parts[2], "found": False})
                return self.reply(200, {"_index": target, "_id": parts[2], "_version": d["version"], "_seq_no": d["seq_no"],
                                        "_primary_term": 1, "found": True, "_source": d["source"]})
            if parts[1] == "_count":
                return self.reply(200, {"count": len(idx["docs"]), "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
            if parts[1] == "_refresh":
                return self.reply(200, {"_shards": {"total": 2, "successful": 1, "failed": 0}})
            if parts[1] == "_search":
                hits = [{"_index": target, "_id": i, "_score": 1.0, "_source": d["source"]} for i, d in idx["docs"].items()]
                return self.reply(200, {"took": 1, "timed_out": False, "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": 1.0, "hits": hits}})
        return self.reply(400, {"error": "unsupported request " + self.command + " " + self.path, "status": 400})

    def data_stream(self, name):
        with LOCK:
            if self.command == "PUT":
                if name in DATA_STREAMS:
                    return self.reply(400, err_body(400, "resource_already_exists_exception", "data_stream [%s] already exists" % name))
                if not re.match(r"^(logs|metrics)-[^-]+-.+$", name):
                    return self.reply(400, err_body(400, "illegal_argument_exception", "no matching index template found for data stream [%s]" % name))
                backing = ".ds-%s-%s-000001" % (name, time.strftime("%Y.%m.%d"))
                DATA_STREAMS[name] = backing
                new_index(backing)
                INDICES[backing]["data_stream"] = name
                INDICES[backing]["mappings"] = {"properties": {"@timestamp": {"type": "date"}}}
                return self.reply(200, {"acknowledged": True})
            if self.command == "GET":
                if name not in DATA_STREAMS:
                    return self.reply(404, index_not_found(name))
                return self.reply(200, {"data_streams": [{"name": name, "indices": [{"index_name": DATA_STREAMS[name]}]}]})
        return self.reply(400, {"error": "unsupported", "status": 400})

    def test_api(self, path, raw):
        if path == "/_test/faults":
            body = json.loads(raw) if raw else {}
            with LOCK:
                FAULTS["bulk"] = body.get("bulk", [])
                FAULTS["items"] = body.get("items", [])
                FAULTS["delay_ms"] = body.get("delay_ms", 0)
            return self.reply(200, {"ok": True})
        if path == "/_test/journal":
            with LOCK:
                return self.reply(200, JOURNAL)
        if path == "/_test/stats":
            with LOCK:
                docs = sum(len(i["docs"]) for i in INDICES.values())
                return self.reply(200, {"bulk_calls": STATS["bulk_calls"], "max_concurrent_bulks": STATS["max_concurrent_bulks"], "docs": docs})
        return self.reply(404, {"error": "no test route"})

    def bulk(self, raw):
        with LOCK:
            STATS["bulk_calls"] += 1
            STATS["concurrent"] += 1
            STATS["max_concurrent_bulks"] = max(STATS["max_concurrent_bulks"], STATS["concurrent"])
            fault = FAULTS["bulk"].pop(0) if FAULTS["bulk"] else None
            delay = FAULTS["delay_ms"]
        try:
            if delay:
                time.sleep(delay / 1000.0)
            if fault:
                if fault.get("delay_ms"):
                    time.sleep(fault["delay_ms"] / 1000.0)
                if fault.get("drop"):
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b'{"took":1,"err')
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    self.close_connection = True
                    return
                if fault.get("garbage"):
                    return self.reply(200, b"<html>proxy error</html>")
                if "status" in fault:
                    return self.reply(fault["status"], fault.get("body", {}))
            if "--accept-all" in OPTS:
                lines = raw.split(b"\n")
                items = []
                i = 0
                while i < len(lines) - 1:
                    op = lines[i][2:lines[i].index(b'"', 2)].decode()
                    items.append('{"%s":{"_index":"bench","_version":1,"result":"created","status":201}}' % op)
                    i += 1 if op == "delete" else 2
                body = ('{"took":1,"errors":false,"items":[' + ",".join(items) + ']}').encode()
                return self.reply(200, body)
            text = raw.decode("utf-8")
            if not text.endswith("\n"):
                return self.reply(400, err_body(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]"))
            lines = text.split("\n")[:-1]
            items = []
            i = 0
            with LOCK:
                while i < len(lines):
                    action_line = json.loads(lines[i])
                    (op, meta), = action_line.items()
                    i += 1
                    source = None
                    if op != "delete":
                        source = json.loads(lines[i])
                        i += 1
                    items.append({op: self.item(op, meta, source)})
            errors = any("error" in list(x.values())[0] for x in items)
            return self.reply(200, {"took": 3, "errors": errors, "items": items})
        finally:
            with LOCK:
                STATS["concurrent"] -= 1

    def item(self, op, meta, source):
        name = meta.get("_index")
        doc_id = meta.get("_id")
        for f in FAULTS["items"]:
            if f.get("id") == doc_id and f.get("times", 1) > 0:
                f["times"] = f.get("times", 1) - 1
                return {"_index": name, "_id": doc_id, "status": f["status"],
                        "error": {"type": f["type"], "reason": f.get("reason", "injected " + f["type"])}}
        if name in DATA_STREAMS:
            if op != "create":
                return {"_index": name, "_id": doc_id, "status": 400, "error": {"type": "illegal_argument_exception",
                        "reason": "only write ops with an op_type of create are allowed in data streams"}}
            if "@timestamp" not in source:
                return {"_index": name, "_id": doc_id, "status": 400, "error": {
                        "type": "document_parsing_exception", "reason": "[1:2] failed to parse: data stream timestamp field [@timestamp] is missing",
                        "caused_by": {"type": "illegal_argument_exception", "reason": "data stream timestamp field [@timestamp] is missing"}}}
            name = DATA_STREAMS[name]
        if name not in INDICES:
            if op == "delete":
                return {"_index": name, "_id": doc_id, "status": 404, "error": index_not_found(name)["error"]}
            if valid_index_name(name):
                return {"_index": name, "_id": doc_id, "status": 400, "error": {"type": "invalid_index_name_exception", "reason": valid_index_name(name)}}
            new_index(name)
        idx = INDICES[name]
        if doc_id is None:
            SEQ[0] += 1
            doc_id = "auto-%d" % SEQ[0]
        current = idx["docs"].get(doc_id)
        current_version = current["version"] if current else idx["tombstones"].get(doc_id)
        external = meta.get("version_type") == "external"
        ok = {"_index": name, "_id": doc_id, "_primary_term": 1, "_shards": {"total": 2, "successful": 1, "failed": 0}}

        def conflict(provided):
            return {"_index": name, "_id": doc_id, "status": 409, "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": "[%s]: version conflict, current version [%s] is higher or equal to the one provided [%s]" % (doc_id, current_version, provided),
                    "index_uuid": idx["uuid"], "shard": "0", "index": name}}

        SEQ[0] += 1
        if op == "delete":
            if external:
                v = meta["version"]
                if current_version is not None and v <= current_version:
                    return conflict(v)
            else:
                v = (current_version or 0) + 1
            if current is None:
                idx["tombstones"][doc_id] = v
                return dict(ok, _version=v, _seq_no=SEQ[0], result="not_found", status=404)
            del idx["docs"][doc_id]
            idx["tombstones"][doc_id] = v
            return dict(ok, _version=v, _seq_no=SEQ[0], result="deleted", status=200)
        if op == "update":
            doc = source.get("doc")
            if current is None:
                new_source = source.get("upsert") if "upsert" in source else None
                if new_source is None:
                    return {"_index": name, "_id": doc_id, "status": 404, "error": {"type": "document_missing_exception", "reason": "[%s]: document missing" % doc_id}}
                e = check_and_map(idx, new_source, doc_id)
                if e:
                    return {"_index": name, "_id": doc_id, "status": 400, "error": e}
                idx["docs"][doc_id] = {"source": new_source, "version": 1, "seq_no": SEQ[0]}
                return dict(ok, _version=1, _seq_no=SEQ[0], result="created", status=201)
            merged = dict(current["source"])
            merged.update(doc or {})
            if merged == current["source"]:
                return dict(ok, _version=current["version"], _seq_no=current["seq_no"], result="noop", status=200,
                            _shards={"total": 0, "successful": 0, "failed": 0})
            e = check_and_map(idx, merged, doc_id)
            if e:
                return {"_index": name, "_id": doc_id, "status": 400, "error": e}
            current.update(source=merged, version=current["version"] + 1, seq_no=SEQ[0])
            return dict(ok, _version=current["version"], _seq_no=SEQ[0], result="updated", status=200)
        # index / create
        if op == "create" and current is not None:
            return {"_index": name, "_id": doc_id, "status": 409, "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": "[%s]: version conflict, document already exists (current version [%s])" % (doc_id, current["version"]),
                    "index_uuid": idx["uuid"], "shard": "0", "index": name}}
        if external:
            v = meta["version"]
            if current_version is not None and v <= current_version:
                return conflict(v)
        else:
            v = (current["version"] + 1) if current else 1
        e = check_and_map(idx, source, doc_id)
        if e:
            return {"_index": name, "_id": doc_id, "status": 400, "error": e}
        created = current is None
        idx["docs"][doc_id] = {"source": source, "version": v, "seq_no": SEQ[0]}
        idx["tombstones"].pop(doc_id, None)
        return dict(ok, _version=v, _seq_no=SEQ[0], result="created" if created else "updated", status=201 if created else 200)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


def main():
    args = sys.argv[1:]
    if "--accept-all" in args:
        args.remove("--accept-all")
        OPTS["--accept-all"] = "1"
    OPTS.update(dict(zip(args[::2], args[1::2])))
    server = ThreadingHTTPServer(("127.0.0.1", int(OPTS.get("--port", "0"))), Handler)
    server.daemon_threads = True
    if "--tls-cert" in OPTS:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(OPTS["--tls-cert"], OPTS["--tls-key"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    serve(server)
    announce({"port": server.server_address[1]})
    watch_parent(int(OPTS.get("--parent", "0")))


if __name__ == "__main__":
    main()

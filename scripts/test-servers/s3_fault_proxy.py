#!/usr/bin/env python3
"""An HTTP proxy in front of an S3 server (moto_server in make test) that answers chosen requests
with errors, for the S3 client's retry and abort tests.

    s3_fault_proxy.py --upstream http://127.0.0.1:PORT [--parent PID]

prints {"port": P} when ready. Faults are set over HTTP, one list replacing the last:

    POST /__faults  [{"method": "PUT", "contains": "partNumber=2", "status": 503, "code": "SlowDown", "times": 2}]

A request whose method matches and whose path-and-query contains `contains` is answered with
`status` and an S3 error document (`code`) instead of being forwarded, `times` times (-1: always);
with "after": true the request is forwarded first and the server's answer replaced (a lost answer);
with "delay": seconds (and no "status") the request is held that long, logged as
"METHOD path?query (held)" when the hold starts, then forwarded (a slow part, for a kill to land in).
GET /__log lists every request seen as "METHOD path?query -> status" lines (forwarded or faulted),
" [sse-c]" appended when the request carried a customer key.

With --sse-c the proxy also keeps S3's rules for customer-provided keys (SSE-C), which moto_server
does not check: the three x-amz-server-side-encryption-customer-* headers must agree (AES256, base64
of 32 bytes, base64 of their MD5 — computed here with hashlib) or the request is refused with
400 InvalidArgument; an object written with a key (PutObject, or a multipart upload created with one)
is read (GET, HEAD) only with the same key: 400 InvalidRequest without one, 403 AccessDenied with
another; every UploadPart of an upload created with a key must carry it, and a part of one created
without must not (400 InvalidRequest); x-amz-server-side-encryption beside a customer key is 400
InvalidArgument.
"""
import base64
import hashlib
import re
import argparse
import http.client
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_server_common import announce, serve, watch_parent

faults = []
log = []
lock = threading.Lock()
# SSE-C: object path -> key MD5 (base64); upload id -> key MD5 (None: created without a key).
sse_objects = {}
sse_uploads = {}


def error_document(code, message):
    return f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _answer(self, status, body=b"", headers=None):
        self.send_response(status)
        headers = dict(headers or {})
        for k, v in headers.items():
            self.send_header(k, v)
        if not any(k.lower() == "content-length" for k in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        body = self._body()
        if self.path == "/__faults" and self.command == "POST":
            with lock:
                faults[:] = json.loads(body or b"[]")
            return self._answer(204)
        if self.path == "/__log":
            with lock:
                text = "\n".join(log).encode()
            return self._answer(200, text, {"Content-Type": "text/plain"})
        with lock:
            rule = next((f for f in faults if f.get("method") == self.command and f.get("contains", "") in self.path and f.get("times", 1) != 0), None)
            if rule is not None and rule.get("times", 1) > 0:
                rule["times"] = rule.get("times", 1) - 1
        if rule is not None and "status" not in rule:
            with lock:
                log.append(f"{self.command} {self.path} (held)")
            time.sleep(float(rule.get("delay", 0)))
            rule = None
        if rule is not None and rule.get("after"):
            # The request reaches the server; its answer is lost and an error sent instead.
            self._forward(body)
            rule = dict(rule, after=False)
        if rule is not None:
            code = rule.get("code", "InternalError")
            doc = error_document(code, "injected by the test proxy")
            with lock:
                log.append(f"{self.command} {self.path} -> {rule['status']} (injected)")
            return self._answer(rule["status"], doc, {"Content-Type": "application/xml"})
        key_md5 = None
        if args.sse_c:
            key_md5, refusal = self._sse_c_check()
            if refusal is not None:
                status, code, message = refusal
                with lock:
                    log.append(f"{self.command} {self.path} -> {status} (sse-c: {code})")
                return self._answer(status, error_document(code, message), {"Content-Type": "application/xml"})
        status, data, out = self._forward(body, " [sse-c]" if key_md5 else "")
        if args.sse_c and status == 200:
            self._sse_c_record(key_md5, data)
        self._answer(status, data, out)

    def _sse_c_check(self):
        """(the request's key MD5 or None, None) — or (None, (status, code, message)) refusing it."""
        h = {k.lower(): v for k, v in self.headers.items()}
        prefix = "x-amz-server-side-encryption-customer-"
        given = [h.get(prefix + n) for n in ("algorithm", "key", "key-md5")]
        key_md5 = None
        if any(v is not None for v in given):
            algorithm, key, md5 = given
            if algorithm != "AES256":
                return None, (400, "InvalidEncryptionAlgorithmError", "The encryption request you specified is not valid. The valid value is AES256.")
            try:
                raw = base64.b64decode(key or "", validate=True)
            except ValueError:
                raw = b""
            if len(raw) != 32:
                return None, (400, "InvalidArgument", "The secret key was invalid for the specified algorithm.")
            if md5 != base64.b64encode(hashlib.md5(raw).digest()).decode():
                return None, (400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.")
            key_md5 = md5
            if "x-amz-server-side-encryption" in h:
                return None, (400, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
        path, _, query = self.path.partition("?")
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        with lock:
            if self.command in ("GET", "HEAD") and path in sse_objects and "uploads" not in params:
                stored = sse_objects[path]
                if key_md5 is None:
                    return None, (400, "InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
                if key_md5 != stored:
                    return None, (403, "AccessDenied", "Access Denied")
            if self.command == "PUT" and "uploadId" in params and params["uploadId"][0] in sse_uploads:
                created = sse_uploads[params["uploadId"][0]]
                if created is not None and key_md5 != created:
                    return None, (400, "InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
                if created is None and key_md5 is not None:
                    return None, (400, "InvalidRequest", "The multipart upload initiate did not request encryption; a part cannot be encrypted with a customer key.")
        return key_md5, None

    def _sse_c_record(self, key_md5, data):
        path, _, query = self.path.partition("?")
        params = urllib.parse.parse_qs(query, keep_blank_values=True)
        with lock:
            if self.command == "PUT" and "uploadId" not in params and path.count("/") >= 2:
                if key_md5:
                    sse_objects[path] = key_md5
                else:
                    sse_objects.pop(path, None)
            elif self.command == "POST" and "uploads" in params:
                m = re.search(rb"<UploadId>([^<]+)</UploadId>", data)
                if m:
                    sse_uploads[m.group(1).decode()] = key_md5
            elif self.command == "POST" and "uploadId" in params:
                created = sse_uploads.pop(params["uploadId"][0], None)
                if created:
                    sse_objects[path] = created
                else:
                    sse_objects.pop(path, None)

    def _forward(self, body, note=""):
        up = urllib.parse.urlparse(args.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        headers["Host"] = self.headers.get("Host", f"{up.hostname}:{up.port}")
        conn.request(self.command, self.path, body=body or None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        with lock:
            log.append(f"{self.command} {self.path} -> {r.status}{note}")
        # A HEAD answer keeps the object's Content-Length (it has no body to count).
        dropped = ("transfer-encoding", "connection", "date", "server") + (() if self.command == "HEAD" else ("content-length",))
        out = {k: v for k, v in r.getheaders() if k.lower() not in dropped}
        return r.status, data, out

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--parent", type=int, default=0)
parser.add_argument("--sse-c", action="store_true")
args = parser.parse_args()
server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
serve(server)
announce({"port": server.server_address[1]})
watch_parent(args.parent)

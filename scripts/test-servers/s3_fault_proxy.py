#!/usr/bin/env python3
"""An HTTP proxy in front of an S3 server (moto_server in make test) that answers chosen requests
with errors, for the S3 client's retry and abort tests.

    s3_fault_proxy.py --upstream http://127.0.0.1:PORT [--parent PID]

prints {"port": P} when ready. Faults are set over HTTP, one list replacing the last:

    POST /__faults  [{"method": "PUT", "contains": "partNumber=2", "status": 503, "code": "SlowDown", "times": 2}]

A request whose method matches and whose path-and-query contains `contains` is answered with
`status` and an S3 error document (`code`) instead of being forwarded, `times` times (-1: always);
with "after": true the request is forwarded first and the server's answer replaced (a lost answer).
GET /__log lists every request seen as "METHOD path?query -> status" lines (forwarded or faulted).
"""
import argparse
import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_server_common import announce, serve, watch_parent

faults = []
log = []
lock = threading.Lock()


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
        if rule is not None and rule.get("after"):
            # The request reaches the server; its answer is lost and an error sent instead.
            self._forward(body)
            rule = dict(rule, after=False)
        if rule is not None:
            code = rule.get("code", "InternalError")
            doc = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error>'.encode()
            with lock:
                log.append(f"{self.command} {self.path} -> {rule['status']} (injected)")
            return self._answer(rule["status"], doc, {"Content-Type": "application/xml"})
        status, data, out = self._forward(body)
        self._answer(status, data, out)

    def _forward(self, body):
        up = urllib.parse.urlparse(args.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        headers["Host"] = self.headers.get("Host", f"{up.hostname}:{up.port}")
        conn.request(self.command, self.path, body=body or None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        with lock:
            log.append(f"{self.command} {self.path} -> {r.status}")
        # A HEAD answer keeps the object's Content-Length (it has no body to count).
        dropped = ("transfer-encoding", "connection", "date", "server") + (() if self.command == "HEAD" else ("content-length",))
        out = {k: v for k, v in r.getheaders() if k.lower() not in dropped}
        return r.status, data, out

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--parent", type=int, default=0)
args = parser.parse_args()
server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
serve(server)
announce({"port": server.server_address[1]})
watch_parent(args.parent)

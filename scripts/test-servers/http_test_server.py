#!/usr/bin/env python3
"""A local HTTP server for ConnectHTTP's tests (Python standard library only).

Listens on 127.0.0.1 with a free port (plain HTTP, and HTTPS when --tls-cert/--tls-key are given;
--client-ca makes HTTPS require a client certificate signed by that CA), prints one JSON line
{"port": P, "tlsPort": T} when ready, and exits when the process given by --parent ends (so a
test process that dies takes it along).

Routes (any method):
  /echo                   200, JSON {method, path, headers (lower-cased names), body, gzipped, connection}
  /status/<n>             status n
  /flaky/<key>/<n>/<st>   status <st> for the first n calls with that key, then 200 {"calls": k}
  /drop-once/<key>        the first call with that key: headers promising 1000 bytes, 10 sent, connection closed
  /hang                   reads the request and never answers (until the client goes away)
  /delay/<ms>             answers 200 after <ms> milliseconds
  /stall-body             headers and half the body, then silence
  /drop                   headers promising 1000 bytes, 10 sent, connection closed
  /nothing                connection closed without a response
  /auth/basic             401 unless Basic user "u" password "p:ss"
  /auth/bearer            401 unless Bearer token "t0ken"
  /gzip                   a gzip-encoded JSON body
  /connections            JSON {"connections": distinct client connections seen so far}
  http://… (proxy form)   echo with "proxied": true; 407 unless Proxy-Authorization is Basic pu:pp
                          when the path contains "needs-proxy-auth"
"""
import base64, gzip, json, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_server_common import announce, serve, watch_parent

calls = {}
connections = set()
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def drop(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def handle_any(self):
        with lock:
            connections.add(self.client_address)
        body = self.read_body()
        path = self.path
        if path.startswith("http://"):
            if "needs-proxy-auth" in path:
                want = "Basic " + base64.b64encode(b"pu:pp").decode()
                if self.headers.get("Proxy-Authorization") != want:
                    return self.send_json(407, {"error": "proxy auth"}, [("Proxy-Authenticate", 'Basic realm="p"')])
            return self.send_json(200, {"proxied": True, "path": path, "method": self.command})
        parts = path.split("?")[0].strip("/").split("/")
        route = parts[0]
        if route == "echo":
            gz = self.headers.get("Content-Encoding") == "gzip"
            raw = gzip.decompress(body) if gz else body
            return self.send_json(200, {
                "method": self.command, "path": path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": raw.decode("utf-8", "replace"), "gzipped": gz, "bodyLength": len(body)})
        if route == "status":
            return self.send_json(int(parts[1]), {"status": int(parts[1])})
        if route == "flaky":
            key, n, st = parts[1], int(parts[2]), int(parts[3])
            with lock:
                calls[key] = calls.get(key, 0) + 1
                k = calls[key]
            if k <= n:
                return self.send_json(st, {"call": k})
            return self.send_json(200, {"calls": k})
        if route == "drop-once":
            with lock:
                calls[path] = calls.get(path, 0) + 1
                k = calls[path]
            if k == 1:
                return self.drop()
            return self.send_json(200, {"calls": k})
        if route == "hang":
            while True:
                time.sleep(0.2)
                try:
                    self.connection.setblocking(False)
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return
                except BlockingIOError:
                    pass
                except OSError:
                    return
        if route == "delay":
            time.sleep(int(parts[1]) / 1000.0)
            return self.send_json(200, {"delayed": int(parts[1])})
        if route == "stall-body":
            self.send_response(200)
            self.send_header("Content-Length", "20")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            time.sleep(10)
            self.close_connection = True
            return
        if route == "drop":
            return self.drop()
        if route == "nothing":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if route == "auth":
            kind = parts[1]
            want = ("Basic " + base64.b64encode(b"u:p:ss").decode()) if kind == "basic" else "Bearer t0ken"
            if self.headers.get("Authorization") != want:
                return self.send_json(401, {"error": "unauthorized"}, [("WWW-Authenticate", 'Basic realm="t"')])
            return self.send_json(200, {"ok": True})
        if route == "gzip":
            data = gzip.compress(json.dumps({"compressed": True}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if route == "connections":
            with lock:
                n = len(connections)
            return self.send_json(200, {"connections": n})
        return self.send_json(404, {"error": "no route " + path})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    args = sys.argv[1:]
    opts = dict(zip(args[::2], args[1::2]))
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    plain.daemon_threads = True
    serve(plain)
    tls_port = None
    if "--tls-cert" in opts:
        secure = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        secure.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts["--tls-cert"], opts["--tls-key"])
        if "--client-ca" in opts:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(opts["--client-ca"])
        secure.socket = ctx.wrap_socket(secure.socket, server_side=True)
        serve(secure)
        tls_port = secure.server_address[1]
    announce({"port": plain.server_address[1], "tlsPort": tls_port})
    watch_parent(int(opts.get("--parent", "0")))


if __name__ == "__main__":
    main()

"""What every test server here does besides its API: serve on threads, say its ports on one JSON
line when ready, and exit when the test process that started it (--parent PID) is gone."""
import json
import os
import threading
import time


def serve(server):
    """Serves `server` (a ThreadingHTTPServer) on a daemon thread."""
    threading.Thread(target=server.serve_forever, daemon=True).start()


def announce(ports):
    """Prints the ready line, e.g. {"port": 40123}."""
    print(json.dumps(ports), flush=True)


def watch_parent(pid):
    """Returns (exiting the process) once `pid` is gone; forever when pid is 0."""
    while True:
        time.sleep(0.5)
        if pid:
            try:
                os.kill(pid, 0)
            except OSError:
                os._exit(0)

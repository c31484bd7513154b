"""Fixtures for the dataset tests: a local HTTP server and generated files in each format.

Nothing here touches the internet: the server binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import http.server
import threading

import numpy as np
import pytest


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files[path]``; honours Range unless ``server.ignore_range``;
    with ``server.cut_after`` set, sends only that many bytes of the next body and hangs up."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # http.server's naming
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        body = srv.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start, status = 0, 200
        rng = self.headers.get("Range")
        if rng and not srv.ignore_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        payload = body[start:]
        if srv.cut_after is not None:
            payload, srv.cut_after = payload[: srv.cut_after], None
            self.wfile.write(payload)
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)


@pytest.fixture
def http_server():
    """A threaded local server; yields it with ``.files``, ``.requests``, ``.url(path)``."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.files, srv.requests, srv.ignore_range, srv.cut_after = {}, [], False, None
    srv.url = lambda path: f"http://127.0.0.1:{srv.server_address[1]}{path}"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=10)


@pytest.fixture
def digits():
    """100 random 28x28 'digit' images (non-zero pixels) and labels 0..9."""
    rng = np.random.default_rng(7)
    return (
        rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 100).astype(np.uint8),
    )

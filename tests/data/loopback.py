"""A loopback HTTP server for download tests: serves in-memory files, honours ``Range``, and can
cut a response short once (an interrupted download) or refuse every connection (offline)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ProgressRecorder:
    """A download progress (``ganzoo.fetch.Progress``) that records its calls."""

    def __init__(self):
        self.calls = []

    def start(self, description, total, completed):
        self.calls.append(("start", description, total, completed))

    def advance(self, amount):
        self.calls.append(("advance", amount))

    def stop(self):
        self.calls.append(("stop",))


@dataclass
class Served:
    files: dict[str, bytes] = field(default_factory=dict)
    #: stop the next response after this many body bytes (declaring the full length), then serve normally.
    cut_after: int | None = None
    ranges: list[str | None] = field(default_factory=list)


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = served.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            requested = self.headers.get("Range")
            served.ranges.append(requested)
            start = int(requested.removeprefix("bytes=").split("-")[0]) if requested else 0
            self.send_response(206 if requested else 200)
            if requested:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            rest = body[start:]
            if served.cut_after is not None:
                rest, served.cut_after = rest[: served.cut_after], None
                self.close_connection = True
            self.wfile.write(rest)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class LoopbackServer:
    """``with LoopbackServer() as server: server.url("/x.tar.gz")`` on 127.0.0.1, a free port."""

    def __init__(self) -> None:
        self.served = Served()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.served))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def closed_port_url(path: str) -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}{path}"

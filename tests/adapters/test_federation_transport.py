"""The peer transport reads at most a bounded answer: a hostile or broken peer cannot
make a node hold an answer of any size (a real HTTP server on loopback)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from caveat.adapters.federation_transport import HttpPeerTransport

SIZE = 3 << 20  # answered in many chunks


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = bytes(range(256)) * (SIZE // 256)
        compressed = self.path == "/gzip"
        if compressed:
            body = gzip.compress(body)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if compressed:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_answer_within_the_limit_is_read_whole(server: str) -> None:
    transport = HttpPeerTransport()
    try:
        status, body = transport.send("GET", f"{server}/", {}, b"", limit=SIZE)
    finally:
        transport.close()
    assert status == 200
    assert body == bytes(range(256)) * (SIZE // 256)


@pytest.mark.parametrize("path", ["/", "/gzip"])
def test_an_answer_over_the_limit_is_refused(server: str, path: str) -> None:
    # Compressed, the answer is a few KiB on the wire: the limit holds on what it
    # decodes to, so a small compressed answer cannot expand past it.
    transport = HttpPeerTransport()
    try:
        with pytest.raises(ConnectionError, match=f"answered more than {SIZE - 1} bytes"):
            transport.send("GET", f"{server}{path}", {}, b"", limit=SIZE - 1)
    finally:
        transport.close()

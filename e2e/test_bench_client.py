"""The fixed-rate client of `make bench` and `make capacity` (scripts/bench.py): a kept
connection the server closed while it was idle is not reused."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import bench


class OneAnswerPerConnection(http.server.BaseHTTPRequestHandler):
    """Answers a connection's first request (keep-alive, as HTTP/1.1 allows) and then
    closes it, as a server's idle timeout does between two of a client's requests."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def closing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OneAnswerPerConnection)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_connection_the_server_closed_is_not_reused(closing_server, capsys):
    latencies = bench.fixed_rate(
        closing_server, lambda n: ("GET", f"/{n}", {}, None), rate=20, seconds=1, senders=1
    )
    assert len(latencies) == 20
    assert "got no answer" not in capsys.readouterr().out

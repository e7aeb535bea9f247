"""A local HTTP server that answers like Nominatim's /search, for testing the geopy path without
the internet. Tests set ``server.results`` (a list of Nominatim result dicts), ``server.status``
(e.g. 500 for an outage, 429 with ``server.retry_after`` for rate limiting) or ``server.delay``
(seconds, a slow answer: longer than the client's timeout is a timeout) or ``server.on_request``
(a function called before each answer, for something to happen while a request waits on the
geocoder) and read ``server.requests``."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeNominatim(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reset()

    def reset(self):
        self.results: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.retry_after: int | None = None
        self.on_request = None
        self.requests: list[dict] = []

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def answer(self, latitude: float, longitude: float, name: str = "Somewhere"):
        self.results = [{"lat": str(latitude), "lon": str(longitude), "display_name": name, "place_id": 1}]

    def handle_error(self, request, client_address):
        # A client that timed out (as the timeout tests intend) closed the socket before our answer.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class _Handler(BaseHTTPRequestHandler):
    server: FakeNominatim

    def do_GET(self):
        url = urlparse(self.path)
        self.server.requests.append({"path": url.path, **{k: v[0] for k, v in parse_qs(url.query).items()}})
        if self.server.on_request is not None:
            self.server.on_request()
        if self.server.delay:
            time.sleep(self.server.delay)
        body = json.dumps(self.server.results if self.server.status == 200 else {"error": "down"}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        if self.server.retry_after is not None:
            self.send_header("Retry-After", str(self.server.retry_after))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

"""The worker's own small HTTP endpoint: /metrics, /healthz (process alive), /readyz (assigned and restored)."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def serve_worker_http(host: str, port: int, registry: CollectorRegistry,
                      readiness: Callable[[], tuple[bool, dict[str, object]]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                self._json(200, {"status": "alive"})
            elif self.path == "/readyz":
                ready, detail = readiness()
                self._json(200 if ready else 503, {"ready": ready, **detail})
            else:
                self._json(404, {"error": "not_found", "detail": f"no route {self.path}"})

        def _json(self, status: int, body: dict[str, object]) -> None:
            self._send(status, json.dumps(body, default=str).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet probes
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    return server

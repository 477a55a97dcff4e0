"""A local webhook receiver: Slack incoming-webhook answers and a generic JSON endpoint.

Paths under /services/ behave like Slack's incoming webhooks: 200 with body `ok`, or
400 `invalid_payload` for a body that is not JSON and 400 `no_text` for a message without
`text`. Any other path accepts any JSON object with 200 `{"ok": true}`. `fail_next(n,
status)` answers the next n requests with an error status (500 `rollup_error` by default),
to exercise retries.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class WebhookState:
    received: list[ReceivedRequest] = field(default_factory=list)
    failures_left: int = 0
    failure_status: int = 500
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _WebhookHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return

    def _answer(self, status: int, body: str, content_type: str = "text/plain") -> None:
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with state.lock:
            if state.failures_left > 0:
                state.failures_left -= 1
                self._answer(state.failure_status, "rollup_error")
                return
        try:
            message = json.loads(body)
        except ValueError:
            self._answer(400, "invalid_payload")
            return
        slack = self.path.startswith("/services/")
        if slack and not (isinstance(message, dict) and message.get("text")):
            self._answer(400, "no_text")
            return
        with state.lock:
            state.received.append(ReceivedRequest(self.path, dict(self.headers), body))
        if slack:
            self._answer(200, "ok")
        else:
            self._answer(200, '{"ok": true}', "application/json")


class _WebhookHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: WebhookState):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class LocalWebhookServer:
    """Start with `with LocalWebhookServer() as server:`; `server.url(path)` gives an address."""

    def __init__(self) -> None:
        self.state = WebhookState()
        self._httpd = _WebhookHTTPServer(self.state)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def received(self) -> list[ReceivedRequest]:
        with self.state.lock:
            return list(self.state.received)

    def fail_next(self, count: int, status: int = 500) -> None:
        with self.state.lock:
            self.state.failures_left, self.state.failure_status = count, status

    def __enter__(self) -> LocalWebhookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

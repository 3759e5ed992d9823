"""The Superset REST client renews an expired access token (Superset's expire after 15
minutes): one new login, the call resent, against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dagster_project.superset.client import SupersetClient


class FakeSuperset(BaseHTTPRequestHandler):
    logins: list[str] = []
    valid = "token-2"  # the first token handed out is already expired

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/api/v1/security/login":
            self.logins.append(self.path)
            self._send(200, {"access_token": f"token-{len(self.logins)}"})
        else:
            self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/api/v1/security/csrf_token/"):
            self._send(200, {"result": "csrf"})
        elif self.headers.get("Authorization") == f"Bearer {self.valid}":
            self._send(200, {"result": "ok"})
        else:
            self._send(401, {"msg": "Token has expired"})


@pytest.fixture
def server() -> Iterator[str]:
    FakeSuperset.logins = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeSuperset)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()


def test_an_expired_token_is_renewed_once_and_the_call_resent(server: str) -> None:
    client = SupersetClient(server, "admin", "pw")
    assert client.get("/api/v1/dataset/") == {"result": "ok"}  # via client.request
    assert client.session.post(f"{server}/api/v1/chart/data", json={}).json() == {
        "result": "ok"}  # and a call made on the session directly
    assert len(FakeSuperset.logins) == 2


def test_a_token_that_stays_refused_is_not_renewed_again_and_again(server: str) -> None:
    FakeSuperset.valid = "never"
    try:
        client = SupersetClient(server, "admin", "pw")
        r = client.session.get(f"{server}/api/v1/dataset/")
        assert r.status_code == 401 and len(FakeSuperset.logins) == 2
    finally:
        FakeSuperset.valid = "token-2"

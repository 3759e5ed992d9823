"""A small HTTP client for Superset's REST API (login, CSRF, JSON calls)."""

from __future__ import annotations

from typing import Any

import requests


class SupersetError(RuntimeError):
    pass


_RISON_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./~")


def rison(v: Any) -> str:
    """Encode ``v`` as Rison, the query format of Superset's list endpoints (``?q=``)."""
    if v is None:
        return "!n"
    if v is True:
        return "!t"
    if v is False:
        return "!f"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, str):
        if v and set(v) <= _RISON_SAFE and not v[0].isdigit() and v[0] != "-":
            return v
        return "'" + v.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(v, dict):
        return "(" + ",".join(f"{rison(k)}:{rison(x)}" for k, x in v.items()) + ")"
    if isinstance(v, list | tuple):
        return "!(" + ",".join(rison(x) for x in v) + ")"
    raise TypeError(f"cannot rison-encode {type(v)}")


class SupersetClient:
    """Logged-in session against one Superset server, as one user."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 120) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self._login = {"username": username, "password": password, "provider": "db",
                       "refresh": False}
        self._renewing = False
        self._log_in()
        # Superset's access tokens expire after 15 minutes; a client held longer (a long
        # test session, a long import) logs in again once and resends, instead of failing
        # every later call with 401 "Token has expired".
        self.session.hooks["response"].append(self._renew_expired)
        # POSTs need Flask-WTF's CSRF token, tied to the session cookie set here.
        csrf = self.session.get(f"{self.base_url}/api/v1/security/csrf_token/", timeout=timeout)
        csrf.raise_for_status()
        self.session.headers["X-CSRFToken"] = csrf.json()["result"]
        self.session.headers["Referer"] = self.base_url

    def _log_in(self) -> None:
        r = requests.post(f"{self.base_url}/api/v1/security/login", json=self._login,
                          timeout=self.timeout)
        if r.status_code != 200:
            raise SupersetError(f"login as {self._login['username']} failed: "
                                f"{r.status_code} {r.text[:300]}")
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def _renew_expired(self, r: requests.Response, *args: Any, **kw: Any) -> requests.Response:
        if r.status_code != 401 or b"expired" not in r.content or self._renewing:
            return r
        self._renewing = True  # one new login per expiry; a failed resend is returned as is
        try:
            if r.request.headers.get("Authorization") == self.session.headers["Authorization"]:
                self._log_in()
            again = r.request.copy()
            again.headers["Authorization"] = self.session.headers["Authorization"]
            return self.session.send(again, timeout=self.timeout)
        finally:
            self._renewing = False

    def request(self, method: str, path: str, ok: tuple[int, ...] = (200, 201),
                **kw: Any) -> requests.Response:
        r = self.session.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kw)
        if r.status_code not in ok:
            raise SupersetError(f"{method} {path}: {r.status_code} {r.text[:1000]}")
        return r

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw).json()

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json=json, **kw).json()

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json=json, **kw).json()

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw).json()

    def list_all(self, resource: str, columns: list[str], filters: list[dict] | None = None
                 ) -> list[dict[str, Any]]:
        """Every row of /api/v1/<resource>/ (paged), with ``columns``."""
        out: list[dict[str, Any]] = []
        page = 0
        while True:
            q = {"columns": columns, "page": page, "page_size": 100, "filters": filters or []}
            res = self.get(f"/api/v1/{resource}/", params={"q": rison(q)})
            out.extend(res["result"])
            if len(out) >= res["count"] or not res["result"]:
                return out
            page += 1

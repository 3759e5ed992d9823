"""Issue 12 (and #13's analyst): the probe of a served instance, kept as tests.

Against a REAL Superset (gunicorn over HTTP, the `superset_stack` fixture) on the real
pipeline's `tiny` output. Every case is one the probe found open: a dataset an admin
adds is read whole by restricted users; SQL reads and writes host files; SQL Lab
ignores RLS; logins are not rate-limited; no security headers; files world-readable.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from dagster_project.superset import assets_io, rls
from dagster_project.superset.client import SupersetClient, SupersetError
from tests.reference.compare import REPO

pytestmark = [pytest.mark.superset, pytest.mark.slow]


def _store(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def users(superset_stack) -> dict[str, dict[str, str]]:
    return rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                                 superset_stack.settings.superset_home / "demo_users.json")


def _login(stack, users: dict, prefix: str) -> tuple[str, SupersetClient, dict[str, str]]:
    name = next(u for u in users if u.startswith(prefix))
    return name, SupersetClient(stack.server.base_url, name, users[name]["password"]), users[name]


def _db_id(client: SupersetClient) -> int:
    (db,) = client.get("/api/v1/database/")["result"]
    return db["id"]


def sql_lab(client: SupersetClient, sql: str) -> tuple[bool, Any]:
    """Run ``sql`` in SQL Lab (synchronously); (True, rows) or (False, error message)."""
    r = client.session.post(f"{client.base_url}/api/v1/sqllab/execute/", timeout=120, json={
        "database_id": _db_id(client), "sql": sql, "schema": "main", "runAsync": False,
        "queryLimit": 10000})
    body = r.json()
    if r.status_code == 200 and body.get("status") == "success":
        return True, body["data"]
    errors = body.get("errors") or []
    return False, " ".join(str(e.get("message")) for e in errors) or str(body)[:500]


def _raw_query(ds_id: int, columns: list[str]) -> dict[str, Any]:
    return {"datasource": {"id": ds_id, "type": "table"}, "force": True,
            "queries": [{"columns": columns, "metrics": [], "filters": [], "extras": {},
                         "row_limit": 100000, "orderby": []}],
            "result_format": "json", "result_type": "full"}


# --- 1. access fails closed --------------------------------------------------------------

def test_restricted_roles_get_datasource_access_per_governed_dataset_not_the_database(
        superset_stack, users) -> None:
    admin = superset_stack.admin
    roles = {r["name"]: r["id"] for r in admin.list_all("security/roles", ["id", "name"])}
    perms = admin.get(f"/api/v1/security/roles/{roles[rls.READER_ROLE]}/permissions/")["result"]
    governed = rls.governed_datasets(admin)
    assert {p["permission_name"] for p in perms} == {"datasource_access"}
    assert len(perms) == len(governed) == len(rls.all_datasets())
    assert all(f"(id:{i})" in " ".join(p["view_menu_name"] for p in perms)
               for i in governed.values())
    for name in (rls.ANALYST_ROLE, *(n for n in roles if n.startswith(("法人行社_", "支行_")))):
        held = admin.get(f"/api/v1/security/roles/{roles[name]}/permissions/")["result"]
        assert not {p["permission_name"] for p in held} & set(rls.BROAD_PERMISSIONS), name
    assert rls.access_problems(admin) == []


def _puhui_check(stack) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env["PUHUI_HOME"] = str(stack.settings.home)
    return subprocess.run([sys.executable, "-m", "dagster_project.cli", "superset", "check",
                           "--url", stack.server.base_url], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_dataset_an_admin_adds_is_unreadable_by_restricted_users_and_flagged_once_granted(
        superset_stack, users) -> None:
    """The probe: an admin made a dataset on indicator_value, and a 法人行社 user and a
    支行 user read all 15 orgs through /api/v1/chart/data."""
    admin, path = superset_stack.admin, superset_stack.serving_path
    all_orgs = {r[0] for r in _store(path, "select distinct org_no from indicator_value")}
    created = admin.post("/api/v1/dataset/", json={
        "database": _db_id(admin), "schema": "main", "table_name": "indicator_value"})
    ds_id = created["id"]
    try:
        got = assets_io.chart_data(admin, _raw_query(ds_id, ["org_no"]))
        assert {r["org_no"] for r in got} == all_orgs and len(all_orgs) == 15
        for prefix in ("demo_legal_", "demo_branch_", "demo_analyst_"):
            name, client, _ = _login(superset_stack, users, prefix)
            with pytest.raises(SupersetError, match=r"40[13]"):
                assets_io.chart_data(client, _raw_query(ds_id, ["org_no"]))
        _, analyst, _ = _login(superset_stack, users, "demo_analyst_")
        ok, msg = sql_lab(analyst, "select distinct org_no from indicator_value")
        assert not ok and "indicator_value" in msg
        # Fail-closed holds: nothing to flag.
        assert rls.access_problems(admin) == []
        check = _puhui_check(superset_stack)
        assert check.returncode == 0, check.stderr

        # An admin grants it to the reader role by hand, without a rule: flagged, by the
        # check function and by `puhui superset check --url`, naming the dataset.
        roles = {r["name"]: r["id"] for r in admin.list_all("security/roles", ["id", "name"])}
        reader = roles[rls.READER_ROLE]
        have = [p["id"] for p in admin.get(
            f"/api/v1/security/roles/{reader}/permissions/")["result"]]
        pvm = next(p["id"] for p in admin.list_all(
            "security/permissions-resources", ["id", "permission.name", "view_menu.name"])
            if p["permission"]["name"] == "datasource_access"
            and p["view_menu"]["name"].endswith(f".[indicator_value](id:{ds_id})"))
        admin.post(f"/api/v1/security/roles/{reader}/permissions",
                   json={"permission_view_menu_ids": [*have, pvm]})
        problems = rls.access_problems(admin)
        assert problems and all("indicator_value" in p for p in problems), problems
        assert any(p.startswith("user demo_legal_") for p in problems)
        check = _puhui_check(superset_stack)
        assert check.returncode == 1 and "indicator_value" in check.stderr, check.stderr
    finally:
        admin.delete(f"/api/v1/dataset/{ds_id}")
        rls.sync_access(admin, superset_stack.serving_path)
    assert rls.access_problems(admin) == []


# --- 2. no file, database or extension from SQL, admin included ------------------------

def _file_attempts(stack, tmp_path: Path) -> list[tuple[str, str, Path | None]]:
    """(sql, what the refusal says, a file that must not appear)."""
    home = stack.settings.home
    outside = tmp_path / "written_by_sql.csv"
    return [
        ("select * from read_csv('/etc/passwd')", "file system operations are disabled", None),
        (f"select * from read_text('{home / 'secrets' / 'pii.key'}')",
         "file system operations are disabled", None),
        (f"select * from read_text('{stack.settings.superset_home / 'secret_key'}')",
         "file system operations are disabled", None),
        (f"select * from read_blob('{home / 'warehouse.duckdb'}')",
         "file system operations are disabled", None),
        (f"copy (select 1 as x) to '{outside}'", "COPY 语句已拒绝", outside),
        (f"attach '{home / 'warehouse.duckdb'}' as w", "ATTACH 语句已拒绝", None),
        ("install httpfs", "INSTALL 语句已拒绝", None),
        ("load httpfs", "语句已拒绝", None),
        ("set enable_external_access = true", "SET 语句已拒绝", None),
        ("select * from query_table('indicator_value')", "query_table", None),
    ]


@pytest.mark.parametrize("who", ["admin", "analyst"])
def test_sql_lab_reaches_no_file_other_database_or_extension(superset_stack, users,
                                                             tmp_path: Path, who: str) -> None:
    if who == "admin":
        client = superset_stack.admin
    else:
        _, client, _ = _login(superset_stack, users, "demo_analyst_")
    key = (superset_stack.settings.secrets_dir / "pii.key").read_text().strip()
    for sql, says, must_not_exist in _file_attempts(superset_stack, tmp_path):
        ok, msg = sql_lab(client, sql)
        assert not ok, (who, sql, msg)
        assert key not in str(msg) and "root:" not in str(msg)
        if who == "admin":
            # admin may name any table, so the refusal is the lock-down's own message
            assert says in msg, (sql, msg)
        else:
            # the analyst is stopped earlier (the table access check) or by the same rule
            assert msg, sql
        if must_not_exist is not None:
            assert not must_not_exist.exists(), sql


def test_the_lock_holds_for_a_chart_data_call_through_a_virtual_dataset(superset_stack) -> None:
    """Admin saves a virtual dataset whose SQL reads the PII key; charting it fails."""
    admin = superset_stack.admin
    key_file = superset_stack.settings.secrets_dir / "pii.key"
    key = key_file.read_text().strip()
    try:
        created = admin.post("/api/v1/dataset/", json={
            "database": _db_id(admin), "schema": "main", "table_name": "probe_read_key",
            "sql": f"select content from read_text('{key_file}')"})
    except SupersetError as exc:  # refused when Superset reads the columns: fine too
        assert key not in str(exc)
        return
    try:
        r = admin.session.post(f"{admin.base_url}/api/v1/chart/data",
                               json=_raw_query(created["id"], ["content"]), timeout=120)
        assert key not in r.text
        assert r.status_code >= 400 or r.json()["result"][0].get("error"), r.text[:300]
        assert "file system operations are disabled" in r.text
    finally:
        admin.delete(f"/api/v1/dataset/{created['id']}")


def test_another_database_cannot_be_added(superset_stack) -> None:
    admin = superset_stack.admin
    for uri in (f"duckdb:///{superset_stack.settings.warehouse_path}", "duckdb:///:memory:",
                f"sqlite:///{superset_stack.settings.superset_home / 'superset.db'}"):
        with pytest.raises(SupersetError):
            admin.post("/api/v1/database/", json={"database_name": f"probe {uri[-12:]}",
                                                  "sqlalchemy_uri": uri})
    assert len(admin.get("/api/v1/database/")["result"]) == 1


def test_a_dml_statement_is_refused_as_read_only_not_as_a_missing_database(
        superset_stack, users) -> None:
    _, analyst, _ = _login(superset_stack, users, "demo_analyst_")
    for client in (superset_stack.admin, analyst):
        ok, msg = sql_lab(client, "delete from srv_indicator_leaf")
        assert not ok and "只读" in msg and "找不到" not in msg, msg
    assert _store(superset_stack.serving_path, "select count(*) from srv_indicator_leaf")[0][0]


# --- SQL Lab under row-level security (issue 13's analyst) ------------------------------

def test_an_analyst_sees_only_their_subtree_in_sql_lab(superset_stack, users) -> None:
    path = superset_stack.serving_path
    _, analyst, entry = _login(superset_stack, users, "demo_analyst_")
    want = {r[0] for r in _store(path, "select distinct org_no from srv_indicator_leaf "
                                       "where lvl2_org_no = ?", [entry["org_no"]])}
    every = {r[0] for r in _store(path, "select distinct org_no from srv_indicator_leaf")}
    assert want and want < every
    for sql in ("select distinct org_no from srv_indicator_leaf",
                "from srv_indicator_leaf select distinct org_no",
                "with t as (select * from srv_indicator_leaf) select distinct org_no from t",
                "select distinct org_no from main.srv_indicator_leaf",
                "select distinct org_no from (select * from srv_indicator_leaf) x "
                "where 1=1 or 1=1"):
        ok, rows = sql_lab(analyst, sql)
        assert ok, (sql, rows)
        assert {r["org_no"] for r in rows} == want, sql
    ok, rows = sql_lab(superset_stack.admin, "select distinct org_no from srv_indicator_leaf")
    assert ok and {r["org_no"] for r in rows} == every
    # statements that hide their table from the access check and RLS are refused
    for sql in ("select * from (pivot srv_indicator_leaf on org_level using count(*))",
                "summarize srv_indicator_leaf",
                "select * from (summarize srv_indicator_leaf)",
                "select * from (describe srv_indicator_leaf)",
                "call query_table('srv_indicator_leaf')",
                f"attach '{path}' as x",
                "select distinct org_no from serving.main.indicator_value",
                "select distinct org_no from indicator_value"):
        ok, msg = sql_lab(analyst, sql)
        assert not ok, (sql, msg)


# --- 5. login rate limit -----------------------------------------------------------------

def test_login_is_rate_limited_then_even_the_right_password_waits(superset_stack) -> None:
    """60 wrong passwords in 17 s were all answered with 401, then the right one got 200."""
    admin, base = superset_stack.admin, superset_stack.server.base_url
    gamma = {r["name"]: r["id"] for r in admin.list_all("security/roles", ["id", "name"])}
    name, password = "probe_rate_limit", "Right-pass-123"
    rls.ensure_user(admin, name, password, [gamma["Gamma"]], "probe", "rate")
    s = requests.Session()  # one keep-alive connection: one gunicorn worker's counter
    codes = [s.post(f"{base}/api/v1/security/login", timeout=30, json={
        "username": name, "password": "wrong", "provider": "db"}).status_code
        for _ in range(22)]
    assert codes[:5] == [401] * 5 and 429 in codes, codes
    right = s.post(f"{base}/api/v1/security/login", timeout=30,
                   json={"username": name, "password": password, "provider": "db"})
    assert right.status_code == 429, right.status_code
    # keyed by user: the locked-out name locks out no one else on the same address
    SupersetClient(base, "admin", superset_stack.settings.superset_home.joinpath(
        "admin_password").read_text().strip())
    # the login form is limited the same way (posted as the page does, with its CSRF token)
    form = requests.Session()
    page = form.get(f"{base}/login/", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the login page carries a CSRF token"
    form_codes = [form.post(f"{base}/login/", timeout=30, allow_redirects=False, data={
        "username": name, "password": "wrong", "csrf_token": token.group(1)}).status_code
        for _ in range(22)]
    assert form_codes[0] == 302 and 429 in form_codes, form_codes


# --- 5b. which dashboards a role opens (DASHBOARD_RBAC) ---------------------------------

def _slugs(client: SupersetClient) -> set[str]:
    return {d["slug"] for d in client.list_all("dashboard", ["slug"])}


def test_a_branch_user_opens_the_wan_yuan_copies_and_is_refused_the_yi_yuan_ones(
        superset_stack, users) -> None:
    """Money cards read 亿元 for the province and a 法人行社, 万元 for a 支行 (issue 13):
    each opens only its own copy of the cockpit, 普惠金融 and 资产质量, and the other
    copy is refused by URL too, not only left out of the list. The roles survive a
    re-import of the bundle (every publish's deploy imports it)."""
    from dagster_project.superset.dashboards import (
        BANK_VIEW,
        BRANCH_VIEW,
        EVERYONE,
        ORG_VIEW,
        all_dashboards,
    )

    by = {a: {d.slug for d in all_dashboards() if d.audience == a}
          for a in (EVERYONE, BANK_VIEW, BRANCH_VIEW, ORG_VIEW)}
    assert by[BANK_VIEW] == {"cockpit", "inclusive", "asset-quality"}
    assert by[BRANCH_VIEW] == {s + "-branch" for s in by[BANK_VIEW]}
    # 客户经营 (customer rows): the province role and every org role, one copy for all
    assert by[ORG_VIEW] == {"customer-ops"}
    assets_io.import_bundle(superset_stack.admin, superset_stack.serving_path)
    assert _slugs(superset_stack.admin) == set().union(*by.values())
    base = superset_stack.server.base_url
    province = SupersetClient(base, "demo_province", users["demo_province"]["password"])
    cases = [("demo_province", province, BANK_VIEW, BRANCH_VIEW)]
    for prefix, mine, other in (("demo_legal_", BANK_VIEW, BRANCH_VIEW),
                                ("demo_analyst_", BANK_VIEW, BRANCH_VIEW),
                                ("demo_branch_", BRANCH_VIEW, BANK_VIEW)):
        who, client, _ = _login(superset_stack, users, prefix)
        cases.append((who, client, mine, other))
    for who, client, mine, other in cases:
        assert _slugs(client) == by[EVERYONE] | by[mine] | by[ORG_VIEW], who
        for slug in by[other]:
            r = client.session.get(f"{base}/api/v1/dashboard/{slug}", timeout=60)
            assert r.status_code in (403, 404), (who, slug, r.status_code)
            page = client.session.get(f"{base}/superset/dashboard/{slug}/", timeout=60,
                                      allow_redirects=False)
            assert page.status_code in (302, 403, 404), (who, slug)
        for slug in by[mine] | by[EVERYONE] | by[ORG_VIEW]:
            r = client.session.get(f"{base}/api/v1/dashboard/{slug}", timeout=60)
            assert r.status_code == 200, (who, slug, r.status_code)


# --- 6. security headers -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login/", "/superset/dashboard/cockpit/",
                                  "/api/v1/dashboard/"])
def test_pages_and_api_send_csp_frame_options_and_nosniff(superset_stack, path: str) -> None:
    r = superset_stack.admin.session.get(f"{superset_stack.server.base_url}{path}",
                                         timeout=60, allow_redirects=False)
    assert r.status_code in (200, 302), r.status_code
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "object-src 'none'" in csp, csp
    assert "frame-ancestors 'self'" in csp and "connect-src 'self'" in csp, csp
    assert r.headers.get("X-Frame-Options") == "SAMEORIGIN"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    for cookie in r.headers.get("Set-Cookie", "").split(","):
        if cookie.strip().startswith("session="):
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- 7. file modes -----------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_is_private_and_data_and_secrets_are_owner_only(superset_stack, users) -> None:
    s = superset_stack.settings
    assert _mode(s.home) == 0o700
    for d in (s.quarantine_dir, s.secrets_dir, s.superset_home):
        assert _mode(d) == 0o700, d
    for f in (s.warehouse_path, s.serving_path, s.superset_home / "superset.db",
              s.superset_home / "secret_key", s.superset_home / "admin_password",
              s.superset_home / "demo_users.json", s.secrets_dir / "pii.key"):
        assert _mode(f) == 0o600, (f, oct(_mode(f)))
    # nothing under home is readable or writable by group or others
    loose = [str(p) for p in s.home.rglob("*")
             if not p.is_symlink() and p.exists() and _mode(p) & 0o077]
    assert not loose, loose[:10]


# --- 6b. every dashboard renders under the CSP (headless Chromium) ---------------------

# What the CSP may block without harm, and nothing else: Superset's bundle probes for
# eval (its own production CSP forbids it too), and its telemetry pixel, which must
# never leave the bank.
_EXPECTED_BLOCKS = ("script-src eval", "img-src https://apachesuperset.gateway.scarf.sh/")


def test_every_dashboard_renders_under_the_csp_including_the_deck_gl_maps(
        dashboards_rendered: list[Path]) -> None:
    from dagster_project.superset.dashboards import all_dashboards

    slugs = [d.slug for d in all_dashboards()]
    paths = dashboards_rendered
    assert sorted(p.name for p in paths) == sorted(f"{s}.png" for s in slugs)
    for png in paths:
        state = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
        blocked = [v for v in state["csp_violations"] if not v.startswith(_EXPECTED_BLOCKS)]
        assert not blocked, (png.name, blocked)
        assert not state["refused"], (png.name, state["refused"])  # a chart the CSP broke
        # a card that failed shows its error text instead of a figure
        for title, text in state["cards"].items():
            assert text and "错误" not in text and "error" not in text.lower(), (title, text)
        assert png.stat().st_size > 50_000, png.name  # a blank or login page is small


# --- 9. demo users before the import has finished --------------------------------------

def test_demo_users_before_the_import_finished_get_a_clear_message(
        superset_stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`puhui superset demo-users` while `serve` was still importing crashed with
    StopIteration; a dataset Superset does not have yet must be named instead."""
    from dagster_project.superset.datasets import Dataset

    real = rls.all_datasets()
    monkeypatch.setattr(rls, "all_datasets",
                        lambda: [*real, Dataset("not_imported_yet", "", [])])
    before = superset_stack.admin.list_all("security/users", ["username"])
    with pytest.raises(rls.SupersetNotReady, match="not_imported_yet.*puhui superset import"):
        rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                              tmp_path / "demo_users.json")
    assert superset_stack.admin.list_all("security/users", ["username"]) == before
    assert not (tmp_path / "demo_users.json").exists()
    with pytest.raises(rls.SupersetNotReady, match="puhui run"):
        rls.org_roles(tmp_path / "not_published.duckdb")

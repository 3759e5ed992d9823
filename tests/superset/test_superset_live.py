"""Against a REAL Superset (gunicorn, HTTP) reading the real pipeline's `tiny` output.

Figures are compared with ``indicator_value`` read straight from serving.duckdb
(the long store table the contract defines, not the leaf tables the datasets read).
The full property test of the semantic layer is test_semantic_layer.py.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import struct
import time
import zlib
from pathlib import Path

import duckdb
import pytest
import requests

from dagster_project.superset import assets_io, bundle, rls
from dagster_project.superset.client import SupersetClient, SupersetError
from dagster_project.superset.dashboards import BRANCH, Dashboard, all_dashboards, cockpit
from dagster_project.superset.metrics import metric_variant

Path3 = tuple[str | None, str | None, str | None]

pytestmark = [pytest.mark.superset, pytest.mark.slow]


def _store(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _latest(path: Path) -> str:
    return str(_store(path, "select max(biz_date) from indicator_value")[0][0])


def _value(path: Path, biz_dt: str, org_no: str, code: str) -> float | None:
    rows = _store(path, "select value from indicator_value where biz_date = ? and org_no = ? "
                        "and indicator_code = ?", [biz_dt, org_no, code])
    assert len(rows) == 1, (biz_dt, org_no, code, rows)
    return None if rows[0][0] is None else float(rows[0][0])


def _path_of(path: Path, biz_dt: str, org_no: str) -> Path3:
    """The 法人行社/支行/网点 filter values that select ``org_no`` (None: left empty)."""
    (row,) = _store(path, "select lvl2_org_name, lvl3_org_name, lvl4_org_name "
                          "from org_indicator_wide where biz_date = ? and org_no = ?",
                    [biz_dt, org_no])
    return tuple(None if v == "全部" else v for v in row)  # type: ignore[return-value]


def _want(path: Path, biz_dt: str, org_no: str, metric: str) -> float | None:
    """The published value behind a saved metric, in the metric's shown unit."""
    v = metric_variant(metric)
    value = _value(path, biz_dt, org_no, v.indicator.code)
    return None if value is None else value * v.factor


def _ds_ids(client: SupersetClient) -> dict[str, int]:
    return assets_io.ids_by_uuid(client, "dataset")


def _ask(client: SupersetClient, dash: Dashboard, key: str, biz_dt: str,
         path: Path3 = (None, None, None)) -> list[dict]:
    chart = next(c for c in dash.charts() if c.key == key)
    ds = _ds_ids(client)[bundle.uuid_for("dataset", chart.dataset)]
    return assets_io.chart_data(client, bundle.dashboard_query(chart, dash, ds, biz_dt, path))


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


# --- import -------------------------------------------------------------------------


def _comparable(export: dict[str, dict]) -> dict[str, dict]:
    """Exported assets keyed by uuid, without what Superset stamps on export."""
    out = {}
    for rel, doc in export.items():
        if rel == "metadata.yaml":
            continue
        out[doc["uuid"]] = doc
    return out


def test_import_twice_changes_nothing_and_export_round_trips(superset_stack) -> None:
    before = _comparable(assets_io.export_all(superset_stack.admin))
    counts = {r: len(superset_stack.admin.list_all(r, ["id"]))
              for r in ("chart", "dataset", "dashboard", "database")}
    assets_io.import_bundle(superset_stack.admin, superset_stack.serving_path)
    after = _comparable(assets_io.export_all(superset_stack.admin))
    assert after == before
    assert counts == {r: len(superset_stack.admin.list_all(r, ["id"])) for r in counts}
    # Round trip: what Superset exports is what the bundle says, uuid by uuid.
    for dash in all_dashboards():
        exported = after[bundle.uuid_for("dashboard", dash.key)]
        assert exported["dashboard_title"] == dash.title
        for ch in dash.charts():
            e = after[bundle.uuid_for("chart", ch.key)]
            assert (e["slice_name"], e["viz_type"]) == (ch.title, ch.viz_type)
            assert {k: v for k, v in e["params"].items() if k != "datasource"} == ch.params
    for ds in bundle.all_datasets():
        e = after[bundle.uuid_for("dataset", ds.key)]
        assert {(m["metric_name"], m["expression"], m["verbose_name"], m["d3format"])
                for m in e["metrics"]} == {
            (m["metric_name"], m["expression"], m["verbose_name"], m["d3format"])
            for m in ds.metrics}
    db = after[bundle.uuid_for("database", bundle.DATABASE_KEY)]
    assert db["sqlalchemy_uri"] == assets_io.serving_uri(superset_stack.serving_path)
    assert db["extra"]["engine_params"]["connect_args"] == {"read_only": True}


# --- every chart --------------------------------------------------------------------


def test_every_chart_of_every_dashboard_returns_data(superset_stack) -> None:
    biz_dt = _latest(superset_stack.serving_path)
    ds_ids = _ds_ids(superset_stack.admin)
    empty, errors = [], []
    for dash in all_dashboards():
        for ch in dash.charts():
            qc = bundle.dashboard_query(ch, dash, ds_ids[bundle.uuid_for("dataset", ch.dataset)],
                                        biz_dt)
            try:
                rows = assets_io.chart_data(superset_stack.admin, qc)
            except (RuntimeError, SupersetError) as exc:
                errors.append(f"{dash.key}/{ch.key}: {exc}")
                continue
            if not rows:
                empty.append(f"{dash.key}/{ch.key}")
    assert not errors, "\n".join(errors)
    assert not empty, f"charts without rows: {empty}"


# --- cockpit figures = the published store -----------------------------------------


def test_cockpit_cards_equal_indicator_value_for_each_level(superset_stack) -> None:
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    dash = cockpit()
    cards = [c for c in dash.charts() if c.viz_type == "big_number_total"]
    assert len(cards) == 11  # + 两增达标, a 达标/未达标 text card
    # one org per level: the province, a legal entity, a sub-branch, an outlet
    orgs = [r[0] for r in _store(
        path, "select min(org_no) from org_indicator_wide where biz_date = ? "
              "group by org_level order by org_level", [biz_dt])]
    assert len(orgs) == 4
    checked = 0
    for org_no in orgs:
        org_path = _path_of(path, biz_dt, org_no)
        for card in cards:
            metric = card.params["metric"]
            rows = _ask(superset_stack.admin, dash, card.key, biz_dt, org_path)
            assert len(rows) == 1
            got = rows[0][metric]
            want = _want(path, biz_dt, org_no, metric)
            assert _close(None if got is None else float(got), want), (org_no, metric, got, want)
            checked += 1
    assert checked == 44


def test_two_increase_reads_met_or_not_met_for_a_legal_entity_and_dash_elsewhere(
        superset_stack) -> None:
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    dash = cockpit()
    legal, branch = (r[0] for r in _store(
        path, "select min(org_no) from org_indicator_wide where biz_date = ? and org_level "
              "in (2, 3) group by org_level order by org_level", [biz_dt]))
    flag = _value(path, biz_dt, legal, "TWO_INCREASE_MET")
    (row,) = _ask(superset_stack.admin, dash, "cockpit_two_increase", biz_dt,
                  _path_of(path, biz_dt, legal))
    assert row["two_increase_met_label"] == {1.0: "达标", 0.0: "未达标", None: "—"}[flag]
    # 两增 is judged per 法人行社: the province and a 支行 read —, with the reason
    for where in ((None, None, None), _path_of(path, biz_dt, branch)):
        (row,) = _ask(superset_stack.admin, dash, "cockpit_two_increase", biz_dt, where)
        assert row["two_increase_met_label"] == "—"
        assert "按法人行社考核" in row["two_increase_met_note"]


def test_cockpit_legal_entity_ranking_equals_indicator_value(superset_stack) -> None:
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    rows = _ask(superset_stack.admin, cockpit(), "cockpit_rank_legal", biz_dt)
    legal = dict(_store(path, "select org_name, org_no from org_indicator_wide "
                              "where biz_date = ? and org_level = 2", [biz_dt]))
    assert sorted(r["lvl2_org_name"] for r in rows) == sorted(legal)  # and no 全部 row
    deps = [r["dep_bal_yi"] for r in rows]
    assert deps == sorted(deps, reverse=True)  # ranked by 各项存款余额
    for r in rows:
        for metric in ("dep_bal_yi", "dep_bal_ytd_chg_yi", "dep_bal_mtd_chg_yi", "loan_bal_yi",
                       "npl_ratio"):
            assert _close(r[metric], _want(path, biz_dt, legal[r["lvl2_org_name"]], metric))


def test_pivot_totals_read_in_chinese_in_the_language_pack_the_browser_fetches(
        superset_stack) -> None:
    """Superset 6.1's zh pack leaves "Total (%(aggregatorName)s)" empty, so the migration
    matrix's totals read "Total (求和)"; the served pack says 合计, behind the login, and
    an empty card's — and its reason (test_publish_under_load shows them on a card)."""
    base = superset_stack.server.base_url
    pack_url = f"{base}/superset/language_pack/zh/"
    assert requests.get(pack_url, timeout=30, allow_redirects=False).status_code != 200
    browser = requests.Session()
    page = browser.get(f"{base}/login/", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the login page carries a CSRF token"
    password = superset_stack.settings.superset_home.joinpath("admin_password").read_text()
    browser.post(f"{base}/login/", timeout=30, data={
        "username": "admin", "password": password.strip(), "csrf_token": token.group(1)})
    messages = browser.get(pack_url, timeout=30).json()["locale_data"]["superset"]
    assert messages["Total (%(aggregatorName)s)"] == ["合计"]
    assert messages["Subtotal"] == ["小计"]
    assert messages["No data"] == ["—"]
    assert messages["No data after filtering or data is NULL for the latest time record"] \
        == ["口径为空：期初未加载或分母为0"]
    assert messages["Dashboards"] == ["看板"]  # the rest is Superset's own pack
    french = browser.get(f"{base}/superset/language_pack/fr/", timeout=30)
    assert french.status_code == 200 and "合计" not in french.text  # other packs untouched


def test_cockpit_trend_has_one_point_per_loaded_date_equal_to_the_store(superset_stack) -> None:
    path = superset_stack.serving_path
    rows = _ask(superset_stack.admin, cockpit(), "cockpit_trend_bal", _latest(path))
    province = _store(path, "select org_no from org_indicator_wide where org_level = 1 limit 1")
    want = dict(_store(path, "select strftime(biz_date, '%Y-%m-%d'), value / 1e8 "
                             "from indicator_value "
                             "where org_no = ? and indicator_code = 'DEP_BAL'", [province[0][0]]))
    got = {time.strftime("%Y-%m-%d", time.gmtime(r["biz_date"] / 1000)): r["dep_bal_yi"]
           for r in rows}
    assert got.keys() == want.keys()
    assert all(_close(got[d], want[d]) for d in want)


def test_manager_detail_gives_each_managers_published_figures(superset_stack) -> None:
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    rows = _ask(superset_stack.admin, cockpit(), "cockpit_mgr_deposit", biz_dt)
    want = dict(_store(path, "select mgr_no, value / 1e4 from mgr_indicator_value "
                             "where biz_date = ? and indicator_code = 'DEP_BAL'", [biz_dt]))
    got = {r["mgr_no"]: r["dep_bal_wan"] for r in rows}
    assert want and set(want) <= set(got)
    assert all(_close(got[m], want[m]) for m in want)


# --- row-level security -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_users(superset_stack) -> dict[str, dict[str, str]]:
    return rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                                 superset_stack.settings.superset_home / "demo_users.json")


def test_demo_users_exist_for_each_level_and_rerunning_changes_nothing(
        superset_stack, demo_users) -> None:
    assert {u.split("_")[1] for u in demo_users} == {"province", "legal", "branch", "analyst"}
    again = rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                                  superset_stack.settings.superset_home / "demo_users.json")
    assert again == demo_users
    roles = [r["name"] for r in superset_stack.admin.list_all("security/roles", ["name"])]
    n_orgs = len(_store(superset_stack.serving_path,
                        "select 1 from dim_org where org_level in (2, 3)"))
    assert len([r for r in roles if r.startswith(("法人行社_", "支行_"))]) == n_orgs
    rules = [r["name"] for r in superset_stack.admin.list_all("rowlevelsecurity", ["name"])]
    # one Regular rule per org role, and the Base rule that leaves a user without org no row
    assert sorted(rules) == sorted([*(f"RLS {r}" for r in roles
                                      if r.startswith(("法人行社_", "支行_"))),
                                    rls.BASE_RULE])


@pytest.mark.parametrize(("level", "column"), [("legal", "lvl2_org_no"), ("branch", "lvl3_org_no")])
def test_restricted_user_gets_only_their_subtree_and_opens_on_their_org(
        superset_stack, demo_users, level: str, column: str) -> None:
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    user, entry = next((u, e) for u, e in demo_users.items() if u.startswith(f"demo_{level}_"))
    client = SupersetClient(superset_stack.server.base_url, user, entry["password"])
    org_no = entry["org_no"]
    ds = _ds_ids(superset_stack.admin)
    for dataset in bundle.all_datasets():
        qc = {"datasource": {"id": ds[bundle.uuid_for("dataset", dataset.key)], "type": "table"},
              "force": True, "queries": [{"columns": [column], "metrics": [], "filters": [
                  {"col": "biz_dt", "op": "IN", "val": [biz_dt]}], "row_limit": 100000,
                  "orderby": [], "extras": {}}],
              "result_format": "json", "result_type": "full"}
        rows = assets_io.chart_data(client, qc)
        assert {r[column] for r in rows} <= {org_no}, dataset.key
    # No filter to set: the card is their own org's published figure, in 亿元 for a
    # 法人行社 and in 万元 on the 支行 copy of the cockpit.
    dash, key, metric = ((cockpit(), "cockpit_dep_bal", "dep_bal_yi") if level == "legal"
                         else (cockpit(BRANCH), "cockpit_dep_bal_wan", "dep_bal_wan"))
    rows = _ask(client, dash, key, biz_dt)
    assert _close(rows[0][metric], _want(path, biz_dt, org_no, metric))


def test_province_reader_sees_every_org(superset_stack, demo_users) -> None:
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    entry = demo_users["demo_province"]
    client = SupersetClient(superset_stack.server.base_url, "demo_province", entry["password"])
    rows = _ask(client, cockpit(), "cockpit_dep_bal", biz_dt)
    province = _store(path, "select org_no from org_indicator_wide where org_level = 1 limit 1")
    assert _close(rows[0]["dep_bal_yi"], _want(path, biz_dt, province[0][0], "dep_bal_yi"))


def _card_number(text: str) -> float:
    """A big-number card's text as a number: '4,131.25', '1.20%', '+0.12', '0'."""
    t = text.replace(",", "").strip()
    return float(t[:-1]) / 100 if t.endswith("%") else float(t)


def _shown(superset_stack, tmp_path: Path, user: str, password: str | None,
           slug: str = "cockpit") -> dict:
    """What `user` sees on opening a dashboard in headless Chromium (browser.py --state)."""
    from dagster_project.superset import service

    pw_file = None
    if password is not None:
        pw_file = tmp_path / f"{user}.password"
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password)
    out = tmp_path / user
    kwargs = {"user": user, "password_file": pw_file} if password is not None else {}
    (png,) = service.take_screenshots(superset_stack.settings, superset_stack.server.base_url,
                                      out, slugs=[slug], state=True, **kwargs)
    return json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("level", ["admin", "legal", "branch"])
def test_browser_opens_the_cockpit_on_the_users_own_org(superset_stack, demo_users, chromium,
                                                        tmp_path: Path, level: str) -> None:
    """Logged in through the login form, untouched filters: the org filters are empty
    and every card is the published figure of the user's own org (the province for
    admin), in the dictionary's unit: 亿元 on the cockpit, 万元 on a 支行's copy."""
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    if level == "admin":
        user, password = "admin", None
        org_no = _store(path, "select org_no from org_indicator_wide where org_level = 1 "
                              "limit 1")[0][0]
    else:
        user = next(u for u in demo_users if u.startswith(f"demo_{level}_"))
        password, org_no = demo_users[user]["password"], demo_users[user]["org_no"]
    dash = cockpit(BRANCH) if level == "branch" else cockpit()
    state = _shown(superset_stack, tmp_path, user, password, dash.slug)
    assert state["filters"]["业务日期"] == [biz_dt], state
    assert all(not state["filters"].get(n) for n in ("法人行社", "支行", "网点")), state
    cards = [c for c in dash.charts() if c.viz_type == "big_number_total"]
    assert {metric_variant(c.params["metric"]).scale for c in cards
            if metric_variant(c.params["metric"]).indicator.is_money} == (
        {"万元"} if level == "branch" else {"亿元"})
    assert {c.title for c in cards} <= set(state["cards"]), state["cards"]
    for card in cards:
        text = state["cards"][card.title]
        want = _want(path, biz_dt, org_no, card.params["metric"])
        if want is None:
            continue
        # Within half a unit of the card's last shown digit.
        fmt = card.params["y_axis_format"]
        unit = {".2%": 0.0001, ",.1f": 0.1, ".2f": 0.01, ",.2f": 0.01, "+.2f": 0.01}.get(fmt, 1)
        assert abs(_card_number(text) - want) <= unit / 2 + 1e-9, (card.title, text, want)


# --- publish is seen without a restart ---------------------------------------------


def test_a_new_published_file_is_read_on_the_next_query(superset_stack) -> None:
    """publish renames a new serving.duckdb over the old one; Superset (read-only, no
    pool, no cache) must show the new figures at once."""
    path = superset_stack.serving_path
    biz_dt = _latest(path)
    province = _store(path, "select org_no from org_indicator_wide where org_level = 1 limit 1")
    backup = path.with_name("serving.backup.duckdb")
    shutil.copyfile(path, backup)
    try:
        new = path.with_name(".serving.test.new.duckdb")
        shutil.copyfile(path, new)
        con = duckdb.connect(str(new))
        con.execute("update srv_indicator_leaf set dep_bal = dep_bal * 2 where biz_date = ?",
                    [biz_dt])
        con.close()
        os.replace(new, path)
        rows = _ask(superset_stack.admin, cockpit(), "cockpit_dep_bal", biz_dt)
        assert _close(rows[0]["dep_bal_yi"],
                      2 * _want(path, biz_dt, province[0][0], "dep_bal_yi"))
    finally:
        os.replace(backup, path)
    rows = _ask(superset_stack.admin, cockpit(), "cockpit_dep_bal", biz_dt)
    assert _close(rows[0]["dep_bal_yi"], _want(path, biz_dt, province[0][0], "dep_bal_yi"))


# --- screenshots ---------------------------------------------------------------------


def _png(path: Path) -> tuple[int, int, bytes]:
    """Width, height and decompressed pixel stream of a PNG (stdlib only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, [], (0, 0)
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    return size[0], size[1], zlib.decompress(b"".join(idat))


def test_screenshot_script_renders_every_dashboard(dashboards_rendered: list[Path]) -> None:
    """The same script that made docs/screenshots, logged in through the login form."""
    paths = dashboards_rendered
    assert sorted(p.name for p in paths) == sorted(f"{d.slug}.png" for d in all_dashboards())
    for p in paths:
        width, height, pixels = _png(p)
        # The login page or an error page is one short screen; a dashboard is tall.
        assert width == 1600 and height > 1000, (p.name, width, height)
        # A blank page is nearly one colour; charts and Chinese text give many tones.
        assert len(set(pixels)) > 100, p.name

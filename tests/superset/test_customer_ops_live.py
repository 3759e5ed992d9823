"""客户经营 (issue 15) against a REAL Superset (gunicorn, HTTP) on the real `tiny` home.

Each user asks the dashboard's own chart queries (bundle.dashboard_query: the filters
as the dashboard sets them, none picked but the date, row-level security doing the
rest) and gets the serving tables filtered to their org; the whitelist is also checked
against the contract's own tables (precredit, customer_profile) and the org tree, so a
wrong owner path in srv_* would show. The lookup returns the masked name, never an ID
number or phone; a reader holding no org role sees no row and not the dashboard.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from pathlib import Path

import duckdb
import pytest

from dagster_project import contract
from dagster_project.superset import assets_io, bundle, rls, service
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.customer_dashboard import LOOKUP_CHARTS, customer_ops
from dagster_project.superset.customer_datasets import CUSTOMER_DATASETS
from dagster_project.superset.datasets import all_datasets

pytestmark = [pytest.mark.superset, pytest.mark.slow]

DASH = customer_ops()
LEVELS = {"province": None, "legal": "lvl2_org_no", "branch": "lvl3_org_no"}


def _store(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _one(path: Path, sql: str, params: list | None = None) -> object:
    (row,) = _store(path, sql, params)
    return row[0]


def _close(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


@pytest.fixture(scope="module")
def demo_users(superset_stack) -> dict[str, dict[str, str]]:
    return rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                                 superset_stack.settings.superset_home / "demo_users.json")


@pytest.fixture(scope="module")
def biz_dt(superset_stack) -> str:
    return str(_one(superset_stack.serving_path, "select max(biz_date) from srv_precredit"))


# One login per demo user and server, not one per test: the login is rate-limited per
# user (10 a minute, superset_config.py), and the browser test's login through the form
# comes last. It once timed out on the login page after the legal user's six API logins.
_CLIENTS: dict[tuple[str, str], SupersetClient] = {}


def _user(stack, users: dict, level: str) -> tuple[str, SupersetClient, str | None]:
    """(username, logged-in client, org_no) of the demo user of ``level``."""
    name = "demo_province" if level == "province" else next(
        u for u in users if u.startswith(f"demo_{level}_"))
    key = (stack.server.base_url, name)
    if key not in _CLIENTS:
        _CLIENTS[key] = SupersetClient(stack.server.base_url, name, users[name]["password"])
    return name, _CLIENTS[key], users[name]["org_no"] or None


def _org_sql(level: str, org_no: str | None) -> str:
    """The row filter row-level security applies for a user of ``level`` (none: all)."""
    col = LEVELS[level]
    return "" if col is None else f" and {col} = '{org_no}'"


def _ask(client: SupersetClient, admin: SupersetClient, key: str, biz_dt: str,
         picked: dict[str, str] | None = None) -> list[dict]:
    chart = next(c for c in DASH.charts() if c.key == key)
    ds = assets_io.ids_by_uuid(admin, "dataset")[bundle.uuid_for("dataset", chart.dataset)]
    return assets_io.chart_data(client, bundle.dashboard_query(chart, DASH, ds, biz_dt,
                                                               picked=picked))


def _subtree(path: Path, org_no: str | None) -> set[str]:
    """The org and every org under it in the published tree (all orgs for None)."""
    rows = _store(path, "select org_no, parent_org_no from dim_org")
    if org_no is None:
        return {r[0] for r in rows}
    out, todo = {org_no}, [org_no]
    while todo:
        parent = todo.pop()
        for child, p in rows:
            if p == parent and child not in out:
                out.add(child)
                todo.append(child)
    return out


# --- the figures each user opens on ---------------------------------------------------

@pytest.mark.parametrize("level", list(LEVELS))
def test_cards_are_the_serving_tables_of_the_users_own_org(
        superset_stack, demo_users, biz_dt: str, level: str) -> None:
    """A province, a 法人行社 and a 支行 user open the cards with no org picked: each card
    is today's figure of the serving tables under the user's org."""
    path, admin = superset_stack.serving_path, superset_stack.admin
    _, client, org_no = _user(superset_stack, demo_users, level)
    where = f"where biz_date = '{biz_dt}'" + _org_sql(level, org_no)
    want = {
        "customer_cnt": _one(path, f"select count(*) from srv_customer_lookup {where}"),
        "opp_new_cnt": _one(path, f"select count(*) filter (where is_new) "
                                  f"from srv_opportunity {where}"),
        "opp_open_cnt": _one(path, f"select count(*) from srv_opportunity {where}"),
        "opp_due_cnt": _one(path, f"select count(*) filter (where status = 'due') "
                                  f"from srv_opportunity {where}"),
        "precredit_admitted_cnt": _one(path, f"select count(*) filter (where admitted) "
                                             f"from srv_precredit {where}"),
        "precredit_limit_sum": _one(path, f"select sum(limit_amt) / 10000.0 "
                                          f"from srv_precredit {where}"),
    }
    assert want["precredit_admitted_cnt"] > 0 and want["opp_open_cnt"] > 0, want
    for card in (c for c in DASH.charts() if c.viz_type == "big_number_total"):
        metric = card.params["metric"]
        (row,) = _ask(client, admin, card.key, biz_dt)
        assert _close(row[metric], want[metric]), (level, metric, row[metric], want[metric])
    if level != "province":  # a restricted user sees less than the province
        total = _one(path, f"select count(*) filter (where admitted) from srv_precredit "
                           f"where biz_date = '{biz_dt}'")
        assert want["precredit_admitted_cnt"] < total


@pytest.mark.parametrize("level", ["province", "legal"])
def test_admitted_and_limits_equal_the_contract_tables_of_the_users_subtree(
        superset_stack, demo_users, biz_dt: str, level: str) -> None:
    """Independent of the srv_* owner paths: precredit of the customers whose owner org
    (customer_profile.org_no, customer-ops.md §1) lies in the user's subtree."""
    path, admin = superset_stack.serving_path, superset_stack.admin
    _, client, org_no = _user(superset_stack, demo_users, level)
    orgs = sorted(_subtree(path, org_no))
    marks = ", ".join("?" * len(orgs))
    admitted, limits = _store(
        path, "select count(*) filter (where p.admitted), sum(p.limit_amt) / 10000.0 "
              "from precredit p join customer_profile c using (biz_date, cust_no) "
              f"where p.biz_date = ? and c.org_no in ({marks})", [biz_dt, *orgs])[0]
    (row,) = _ask(client, admin, "custops_admitted", biz_dt)
    assert row["precredit_admitted_cnt"] == admitted
    (row,) = _ask(client, admin, "custops_limit_sum", biz_dt)
    assert _close(row["precredit_limit_sum"], limits)


def test_whitelist_and_rejections_per_org_equal_the_serving_tables(
        superset_stack, demo_users, biz_dt: str) -> None:
    path, admin = superset_stack.serving_path, superset_stack.admin
    _, client, org_no = _user(superset_stack, demo_users, "legal")
    where = f"where biz_date = '{biz_dt}'" + _org_sql("legal", org_no)
    want = {(r[0], r[1], r[2]): r[3:] for r in _store(
        path, "select lvl2_org_name, lvl3_org_name, lvl4_org_name, count(*), "
              "count(*) filter (where admitted), sum(limit_amt) / 10000.0 "
              f"from srv_precredit {where} group by all")}
    rows = _ask(client, admin, "custops_whitelist_by_org", biz_dt)
    got = {(r["lvl2_org_name"], r["lvl3_org_name"], r["lvl4_org_name"]):
           (r["precredit_cust_cnt"], r["precredit_admitted_cnt"], r["precredit_limit_sum"])
           for r in rows}
    assert got.keys() == want.keys() and len(want) > 1
    for k, (n, admitted, limits) in want.items():
        assert got[k][:2] == (n, admitted), k
        assert _close(got[k][2], limits), k
    assert {r["lvl2_org_name"] for r in rows} == {
        _one(path, "select org_name from dim_org where org_no = ?", [org_no])}
    # rejections by reason (its Chinese name) per 法人行社 and 支行
    want_rej = dict(((r[0], r[1], r[2]), r[3]) for r in _store(
        path, "select lvl2_org_name, lvl3_org_name, reject_reason_name, count(*) "
              f"from srv_precredit {where} and not admitted group by all"))
    rows = _ask(client, admin, "custops_reject_by_org", biz_dt)
    assert {(r["lvl2_org_name"], r["lvl3_org_name"], r["reject_reason_name"]):
            r["precredit_rejected_cnt"] for r in rows} == want_rej
    reasons = {r["reject_reason_name"] for r in rows}
    assert reasons <= set(contract_reason_names()) and reasons


def contract_reason_names() -> list[str]:
    from dagster_project.customer_ops import REJECT_REASON_NAMES

    return list(REJECT_REASON_NAMES.values())


def test_tag_counts_and_overlap_are_the_users_customers(
        superset_stack, demo_users, biz_dt: str) -> None:
    path, admin = superset_stack.serving_path, superset_stack.admin
    _, client, org_no = _user(superset_stack, demo_users, "legal")
    where = f"where biz_date = '{biz_dt}'" + _org_sql("legal", org_no)
    counts = dict(_store(path, f"select tag_name, count(*) from srv_customer_tag {where} "
                               "group by 1"))
    rows = _ask(client, admin, "custops_tag_counts", biz_dt)
    assert {r["tag_name"]: r["tag_cust_cnt"] for r in rows} == counts
    # the matrix: customers holding both tags, computed here from the customer rows
    pairs = {(a, b): n for a, b, n in _store(
        path, "select a.tag_name, b.tag_name, count(*) from srv_customer_tag a "
              "join srv_customer_tag b using (biz_date, cust_no) "
              "where a.biz_date = ? and a.lvl2_org_no = ? group by all", [biz_dt, org_no])}
    rows = _ask(client, admin, "custops_tag_overlap", biz_dt)
    assert {(r["tag_a_name"], r["tag_b_name"]): r["tag_pair_cust_cnt"] for r in rows} == pairs
    assert all(pairs[(t, t)] == n for t, n in counts.items())  # the diagonal


# --- each manager's list ----------------------------------------------------------------

def test_each_managers_list_is_their_open_opportunities_most_urgent_first(
        superset_stack, demo_users, biz_dt: str) -> None:
    path, admin = superset_stack.serving_path, superset_stack.admin
    _, client, org_no = _user(superset_stack, demo_users, "legal")
    where = f"where biz_date = '{biz_dt}'" + _org_sql("legal", org_no)
    (label, n), *_ = _store(path, f"select mgr_label, count(*) from srv_opportunity {where} "
                                  "group by 1 order by 2 desc, 1")
    want = sorted(_store(path, "select cust_no, event_type_name, ref_no, raised_dt, due_dt, "
                               f"status_name, days_left from srv_opportunity {where} "
                               "and mgr_label = ?", [label]))
    rows = _ask(client, admin, "custops_opp_list", biz_dt, picked={"mgr": label})
    assert len(rows) == n == len(want) and {r["mgr_label"] for r in rows} == {label}
    assert sorted((r["cust_no"], r["event_type_name"], r["ref_no"], r["raised_dt"],
                   r["due_dt"], r["status_name"], r["opp_days_left"]) for r in rows) == want
    days = [r["opp_days_left"] for r in rows]
    assert days == sorted(days)
    assert {r["status_name"] for r in rows} <= {"跟进中", "临近到期"}
    # with no manager picked, the list is every open event of the user's org
    rows = _ask(client, admin, "custops_opp_list", biz_dt)
    assert len(rows) == _one(path, f"select count(*) from srv_opportunity {where}")


# --- the lookup -------------------------------------------------------------------------

def _raw_names(landing: Path, ymd: str) -> dict[str, str]:
    """cust_no -> the personal name (cust_type 1, 3) as delivered in CUST_INFO of ymd."""
    ci = contract.TABLES_BY_NAME["CUST_INFO"].column_names
    out = {}
    text = (landing / ymd / f"CUST_INFO_{ymd}.dat").read_bytes().decode("gb18030")
    for line in filter(None, text.split("\n")):
        f = line.split("|")
        if f[ci.index("cust_type")] in ("1", "3") and f[ci.index("cust_name")]:
            out[f[ci.index("cust_no")]] = f[ci.index("cust_name")]
    return out


_ID_OR_PHONE = re.compile(r"(^|_)(id_no|id_type|phone|mobile_no)|hash")


def test_the_lookup_shows_one_customer_with_the_masked_name_and_no_id(
        superset_stack, demo_users, biz_dt: str, tiny_landing: Path) -> None:
    path, admin = superset_stack.serving_path, superset_stack.admin
    _, client, org_no = _user(superset_stack, demo_users, "legal")
    where = f"where biz_date = '{biz_dt}'" + _org_sql("legal", org_no)
    # a personal customer of theirs with open opportunities (every lookup chart has rows)
    cust_no, masked, events = _store(
        path, "select cust_no, cust_name_masked, open_event_cnt from srv_customer_lookup "
              f"{where} and cust_type = '1' order by open_event_cnt desc, cust_no limit 1")[0]
    assert events > 0
    raw = _raw_names(tiny_landing, biz_dt.replace("-", ""))[cust_no]
    assert len(raw) > 1 and masked == raw[0] + "*"  # 张三丰 → 张*, as ingestion masks it
    picked = {"cust": cust_no}
    got = {key: _ask(client, admin, key, biz_dt, picked=picked) for key in LOOKUP_CHARTS}
    (profile,) = got["custops_lookup_profile"]
    assert (profile["cust_no"], profile["cust_name_masked"]) == (cust_no, masked)
    (assets,) = got["custops_lookup_assets"]
    assert _close(assets["cust_dep_bal"], _one(
        path, "select dep_bal from customer_profile where biz_date = ? and cust_no = ?",
        [biz_dt, cust_no]))
    (tags,) = got["custops_lookup_tags"]
    held = {t for (t,) in _store(path, "select tag_name from srv_customer_tag where "
                                       "biz_date = ? and cust_no = ?", [biz_dt, cust_no])}
    assert set(tags["tag_names"].split("、")) == (held or {"（无）"})
    admitted, reason = _store(path, "select admitted, reject_reason_name from srv_precredit "
                                    "where biz_date = ? and cust_no = ?", [biz_dt, cust_no])[0]
    assert tags["precredit_result"].startswith("准入" if admitted else f"未准入：{reason}")
    assert len(got["custops_lookup_events"]) == events
    # no ID number, phone or hash in any answer of the lookup, nor in its dataset
    for key, rows in got.items():
        assert not [c for r in rows for c in r if _ID_OR_PHONE.search(c)], key
    ds = assets_io.ids_by_uuid(admin, "dataset")[bundle.uuid_for("dataset",
                                                                 "srv_customer_lookup")]
    columns = admin.get(f"/api/v1/dataset/{ds}")["result"]["columns"]
    assert not [c["column_name"] for c in columns if _ID_OR_PHONE.search(c["column_name"])]
    # another 法人行社's analyst asks for the same customer: row-level security says no
    other = next(u for u, e in demo_users.items()
                 if u.startswith("demo_analyst_") and e["org_no"] != org_no)
    stranger = SupersetClient(superset_stack.server.base_url, other,
                              demo_users[other]["password"])
    assert _ask(stranger, admin, "custops_lookup_profile", biz_dt, picked=picked) == []


def test_no_id_number_or_its_hash_in_any_customer_serving_table(superset_stack) -> None:
    """customer-ops.md §6: ID numbers are only ever matched by their keyed hash, in the
    warehouse; neither the number nor the hash is published with a customer."""
    home = superset_stack.settings
    hashes = {h for (h,) in _store(home.warehouse_path, "select distinct id_no from "
                                   "raw.cust_info where id_no is not null")}
    assert hashes
    con = duckdb.connect(str(home.serving_path), read_only=True)
    try:
        for table in sorted(CUSTOMER_DATASETS):
            cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            assert not [c for c in cols if _ID_OR_PHONE.search(c)], table
            for row in con.execute(f"select * from {table}").fetchall():
                assert not {v for v in row if isinstance(v, str)} & hashes, table
    finally:
        con.close()


# --- fails closed -----------------------------------------------------------------------

def test_a_reader_without_an_org_role_sees_no_row_and_not_the_dashboard(
        superset_stack, demo_users, biz_dt: str) -> None:
    """A user given the reader role but no org role (and not 全省看板) by mistake: the
    Base rule leaves them no row of any governed dataset (no customer, and not the
    province's figures either), and DASHBOARD_RBAC refuses them 客户经营. The demo
    users, each with an org or the province role, still see rows."""
    admin = superset_stack.admin
    roles = {r["name"]: r["id"] for r in admin.list_all("security/roles", ["id", "name"])}
    rules = {r["name"]: r for r in admin.list_all(
        "rowlevelsecurity", ["name", "filter_type", "clause", "roles.id", "tables.id"])}
    base = rules[rls.BASE_RULE]
    assert (base["filter_type"], base["clause"]) == ("Base", "1 = 0")
    ds = assets_io.ids_by_uuid(admin, "dataset")
    governed = {d.key: d for d in all_datasets()}
    assert sorted(t["id"] for t in base["tables"]) == sorted(
        ds[bundle.uuid_for("dataset", k)] for k in governed)
    assert {r["id"] for r in base["roles"]} == {
        roles["Admin"], roles[rls.PROVINCE_ROLE],
        *(i for n, i in roles.items() if n.startswith(("法人行社_", "支行_")))}
    password = secrets.token_urlsafe(12)
    uid = rls.ensure_user(admin, "demo_no_org", password,
                          [roles[rls.READER_ROLE], roles[rls.GAMMA_ROLE]], "演示", "无机构")
    try:
        nobody = SupersetClient(superset_stack.server.base_url, "demo_no_org", password)
        for key, spec in sorted(governed.items()):
            names = {c["column_name"] for c in spec.columns}
            col = next(c for c in ("cust_no", "org_no", "lvl2_org_no", "biz_dt")
                       if c in names)
            qc = {"datasource": {"id": ds[bundle.uuid_for("dataset", key)], "type": "table"},
                  "force": True, "queries": [{
                      "columns": [col], "metrics": [], "filters": [], "row_limit": 100000,
                      "orderby": [], "extras": {}}],
                  "result_format": "json", "result_type": "full"}
            assert assets_io.chart_data(nobody, qc) == [], key
            assert assets_io.chart_data(admin, qc), key  # admin is exempt
        # the card's own query: no row to count, so — (NULL), not the province's figure
        (row,) = _ask(nobody, admin, "custops_admitted", biz_dt)
        assert row["precredit_admitted_cnt"] in (None, 0), row
        r = nobody.session.get(f"{superset_stack.server.base_url}/api/v1/dashboard/"
                               f"{DASH.slug}", timeout=60)
        assert r.status_code in (403, 404), r.status_code
        assert rls.access_problems(admin) == []  # seeing nothing is no leak
        # a Base rule that lost a dataset (an admin's edit) is flagged, and would leak
        rule = next(r for r in admin.list_all("rowlevelsecurity", ["id", "name"])
                    if r["name"] == rls.BASE_RULE)
        dropped = ds[bundle.uuid_for("dataset", "srv_customer_lookup")]
        admin.put(f"/api/v1/rowlevelsecurity/{rule['id']}", json={
            "name": rls.BASE_RULE, "filter_type": "Base", "clause": "1 = 0",
            "group_key": None, "roles": sorted(r["id"] for r in base["roles"]),
            "tables": sorted(t["id"] for t in base["tables"] if t["id"] != dropped)})
        problems = rls.access_problems(admin)
        assert len(problems) == 1 and "srv_customer_lookup" in problems[0], problems
    finally:
        admin.delete(f"/api/v1/security/users/{uid}")
        rls.sync_access(admin, superset_stack.serving_path)
    assert rls.access_problems(admin) == []
    for level in LEVELS:  # the demo users hold an org or the province role: they read rows
        _, client, _ = _user(superset_stack, demo_users, level)
        (row,) = _ask(client, admin, "custops_customers", biz_dt)
        assert row["customer_cnt"] > 0, level


# --- what a 法人行社 user sees in the browser --------------------------------------------

def _card_number(text: str) -> float:
    return float(text.replace(",", "").strip())


def test_browser_opens_customer_ops_on_the_legal_users_org_and_first_customer(
        superset_stack, demo_users, chromium, biz_dt: str, tmp_path: Path) -> None:
    """Logged in through the login form: the org filters are empty, 客户号 holds the
    first customer number the user may see, and each card is their org's figure."""
    path = superset_stack.serving_path
    user, _, org_no = _user(superset_stack, demo_users, "legal")
    pw_file = tmp_path / "password"
    fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(demo_users[user]["password"])
    (png,) = service.take_screenshots(superset_stack.settings, superset_stack.server.base_url,
                                      tmp_path, slugs=[DASH.slug], user=user,
                                      password_file=pw_file, state=True)
    state = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    assert state["filters"]["业务日期"] == [biz_dt], state
    assert all(not state["filters"].get(n) for n in ("法人行社", "支行", "网点", "客户经理"))
    first = _one(path, "select min(cust_no) from srv_customer_lookup where lvl2_org_no = ?",
                 [org_no])
    assert state["filters"]["客户号"] == [first], state["filters"]
    where = f"where biz_date = '{biz_dt}' and lvl2_org_no = '{org_no}'"
    want = {"客户数（户）": _one(path, f"select count(*) from srv_customer_lookup {where}"),
            "白名单户数（户）": _one(path, "select count(*) filter (where admitted) "
                                        f"from srv_precredit {where}"),
            "预授信总额（万元）": _one(path, "select sum(limit_amt) / 10000.0 "
                                           f"from srv_precredit {where}")}
    for title, value in want.items():
        assert abs(_card_number(state["cards"][title]) - value) <= 0.005, (title, state)
    assert not state["refused"]
    assert png.stat().st_size > 50_000

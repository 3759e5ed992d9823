"""The export bundle as code: generated from the dictionary, linked by uuid, up to date."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project import publish
from dagster_project.indicators import Measure, load_dictionary, load_measures
from dagster_project.superset import bundle
from dagster_project.superset.assets_io import bundle_zip
from dagster_project.superset.client import rison
from dagster_project.superset.customer_dashboard import (
    CUSTOMER_FILTER,
    LOOKUP_CHARTS,
    customer_ops,
)
from dagster_project.superset.customer_datasets import CUSTOMER_DATASETS
from dagster_project.superset.dashboards import (
    BANK_VIEW,
    BRANCH_VIEW,
    EVERYONE,
    FACT_DATASET,
    ORG_VIEW,
    all_dashboards,
    for_org_level,
    shown,
)
from dagster_project.superset.datasets import all_datasets
from dagster_project.superset.metrics import metric_variant, variants

ASSETS = bundle.ASSETS_DIR


def _load(rel: str) -> dict:
    return yaml.safe_load((ASSETS / rel).read_text(encoding="utf-8"))


def test_committed_bundle_is_what_the_generator_writes_now() -> None:
    # Fails when dictionary.yml or a spec changed without `puhui superset generate`.
    assert bundle.stale_files() == []


def test_every_dictionary_indicator_has_its_metrics_in_the_dataset_of_its_fact() -> None:
    by_key = {d.key: d for d in all_datasets()}
    inds = load_dictionary()
    assert len(inds) == 45  # indicators.md: 45 org-grain codes
    for ind in inds:
        ds = by_key[FACT_DATASET[ind.fact]]
        metrics = {m["metric_name"]: m for m in ds.metrics}
        for v in variants(ind):
            m = metrics[v.name]
            assert m["verbose_name"] == v.title
            assert m["d3format"] == v.d3format
            assert m["expression"] == v.expression
            assert m["extra"]["certification"]["details"] == ind.code
            # Metric descriptions are in Chinese (issue 13)
            assert m["description"].startswith(ind.name_zh)


def test_aggregation_kinds_give_sum_ratio_of_sums_distinct_and_flag_sql() -> None:
    npl = shown("NPL_RATIO")
    assert npl.expression == ("CASE WHEN MIN(biz_date) = MAX(biz_date) THEN "
                              "(SUM(npl_bal)) / NULLIF(SUM(loan_bal), 0) END")
    assert shown("DEP_BAL", "亿元").expression == (
        "(CASE WHEN MIN(biz_date) = MAX(biz_date) THEN SUM(dep_bal) END) / 100000000.0")
    assert "COUNT(DISTINCT cust_key) FILTER (WHERE role = 'incl')" in shown(
        "INCL_CUST_CNT").expression
    # a change against the year start is NULL (not 0) when 31 Dec is not loaded
    assert "BOOL_AND(ys_loaded)" in shown("DEP_BAL_YTD_CHG").expression
    flag = shown("TWO_INCREASE_MET").expression
    assert "COUNT(*) FILTER (WHERE org_level = 2) = 1" in flag
    assert "MAX(two_increase_met) FILTER (WHERE org_level = 2)" in flag


def _hand_leaf() -> duckdb.DuckDBPyConnection:
    """Two banks, three sub-branches, one date; NPL worked by hand:
    甲行 = (10 + 0) / (100 + 200) = 3.33 %, 乙行 = 30 / 50 = 60 %, province 40 / 350."""
    con = duckdb.connect()
    con.execute("create table srv_indicator_leaf (biz_date date, lvl2_org_name varchar, "
                "lvl3_org_name varchar, mgr_no varchar, loan_bal double, npl_bal double)")
    con.execute("insert into srv_indicator_leaf values "
                "('2026-01-04', '甲行', '城关', 'M1', 100, 10), "
                "('2026-01-04', '甲行', '城东', 'M2', 200, 0), "
                "('2026-01-04', '乙行', '城西', 'M3', 50, 30), "
                "('2026-01-03', '乙行', '城西', 'M3', 40, 0)")
    return con


def test_npl_ratio_by_legal_entity_is_each_banks_ratio_of_sums_with_no_all_bar() -> None:
    con = _hand_leaf()
    sql = shown("NPL_RATIO").expression
    rows = con.execute(f"select lvl2_org_name, {sql} from srv_indicator_leaf "
                       "where biz_date = '2026-01-04' group by 1 order by 1").fetchall()
    assert rows == [("乙行", pytest.approx(0.6)), ("甲行", pytest.approx(10 / 300))]
    (province,) = con.execute(f"select {sql} from srv_indicator_leaf "
                              "where biz_date = '2026-01-04'").fetchone()
    assert province == pytest.approx(40 / 350)


def test_a_balance_summed_across_business_dates_is_refused_not_added() -> None:
    con = _hand_leaf()
    (v,) = con.execute(f"select {shown('LOAN_BAL', '元').expression} "
                       "from srv_indicator_leaf").fetchone()
    assert v is None  # 350 + 40 would be no balance of any day


def test_no_dataset_is_virtual_and_no_dataset_or_column_joins_unions_or_cases() -> None:
    for ds in all_datasets():
        assert ds.sql is None, ds.key
        assert ds.key.startswith("srv_"), ds.key  # the serving layer dbt builds
        for c in ds.columns:
            assert c["expression"] is None, (ds.key, c["column_name"])


def _measure(name: str) -> Measure | None:
    """The dictionary's display measure behind a saved metric name, if it is one."""
    return next((m for m in load_measures() if m.column_name == name), None)


def test_dashboards_spell_no_title_unit_or_format_of_their_own() -> None:
    """Every unit, number format and indicator name on a dashboard comes from the
    dictionary: dashboards.py (and customer_dashboard.py) contain none of them as text."""
    import re

    from dagster_project.superset import customer_dashboard, dashboards

    for module in (dashboards, customer_dashboard):
        source = Path(module.__file__).read_text(encoding="utf-8")
        code = re.sub(r"#.*", "", source)
        strings = re.findall(r'"([^"]*)"', code)
        formats = [s for s in strings if re.fullmatch(r"[+,.~]+\d*~?[dfrs%]", s)]
        assert formats == [], module.__name__
        for unit in ("（元）", "（户）", "（次）", "（件）", "（分）", "（笔）", "（条）",
                     "（天）", "（万元）", "（亿元）"):
            assert not [s for s in strings if unit in s], (module.__name__, unit)
        names = {i.name_zh for i in load_dictionary()} | {m.name_zh for m in load_measures()}
        assert not [s for s in strings if s in names], module.__name__
    # and every card's title is the dictionary's title of its metric (an indicator's,
    # or a display measure's on 客户经营)
    for dash in all_dashboards():
        for ch in dash.charts():
            if ch.viz_type == "big_number_total":
                m = _measure(ch.params["metric"])
                if m is not None:
                    assert (ch.title, ch.params["y_axis_format"], ch.dataset) == (
                        m.title(), m.format, m.table), ch.key
                    continue
                v = metric_variant(ch.params["metric"])
                assert (ch.title, ch.params["y_axis_format"]) == (v.title, v.d3format)


def test_money_cards_are_in_yi_yuan_and_axes_have_no_si_suffix() -> None:
    """Cards in 亿元 on the dashboards the province and 法人行社 open, in 万元 on the
    支行 copies; each money dashboard has its 支行 copy, and only those differ."""
    wanted = {BANK_VIEW: "亿元", BRANCH_VIEW: "万元"}
    money_cards = 0
    for dash in all_dashboards():
        for ch in dash.charts():
            fmt = ch.params.get("y_axis_format") or ch.params.get("number_format") or ""
            assert "s" not in fmt, (ch.key, fmt)  # d3 "~s" would print 1.2G
            if ch.viz_type in ("big_number_total", "echarts_timeseries_line"):
                for name in ch.params.get("metrics") or [ch.params["metric"]]:
                    if _measure(name) is not None:
                        continue  # a display measure names its own unit (客户经营: 万元)
                    v = metric_variant(name)
                    if not v.indicator.is_money:
                        continue
                    money_cards += ch.viz_type == "big_number_total"
                    assert v.scale == wanted.get(dash.audience, v.scale), (dash.slug, ch.key)
                    if dash.audience == EVERYONE:
                        assert v.scale in ("亿元", "万元"), ch.key
    assert money_cards >= 2 * 12
    by_slug = {d.slug: d for d in all_dashboards()}
    for dash in by_slug.values():
        if dash.audience == BANK_VIEW:
            copy = by_slug[dash.slug + "-branch"]
            assert copy.audience == BRANCH_VIEW
            assert copy.title == dash.title + "（支行）"
            assert for_org_level(dash.slug, 3) == copy.slug
            assert for_org_level(dash.slug, 2) == dash.slug


def test_files_link_only_by_uuid_and_every_link_resolves() -> None:
    db_uuid = _load("databases/puhui_serving.yaml")["uuid"]
    datasets = {p.stem: yaml.safe_load(p.read_text())
                for p in (ASSETS / "datasets").rglob("*.yaml")}
    ds_uuids = {d["uuid"] for d in datasets.values()}
    assert all(d["database_uuid"] == db_uuid for d in datasets.values())
    charts = [yaml.safe_load(p.read_text()) for p in (ASSETS / "charts").glob("*.yaml")]
    assert all(c["dataset_uuid"] in ds_uuids for c in charts)
    chart_uuids = {c["uuid"] for c in charts}
    for p in (ASSETS / "dashboards").glob("*.yaml"):
        pos = yaml.safe_load(p.read_text())["position"]
        used = {v["meta"]["uuid"] for v in pos.values()
                if isinstance(v, dict) and v.get("type") == "CHART"}
        assert used <= chart_uuids
    everything = [db_uuid, *ds_uuids, *chart_uuids]
    assert len(everything) == len(set(everything))


def test_uuids_are_fixed_once() -> None:
    # Recorded when first generated: a changed uuid would make a re-import create a
    # second copy of the dashboard instead of overwriting the first.
    assert _load("dashboards/cockpit.yaml")["uuid"] == "fed0ec11-2cdf-5cb8-92a3-40270deab5a0"
    assert _load("databases/puhui_serving.yaml")["uuid"] == "aeb3ea91-8580-54c7-a34b-1a2ce5376fa6"


def test_every_chart_uses_only_columns_and_metrics_its_dataset_has() -> None:
    by_key = {d.key: d for d in all_datasets()}
    for dash in all_dashboards():
        for ch in dash.charts():
            ds = by_key[ch.dataset]
            cols = {c["column_name"] for c in ds.columns}
            metrics = {m["metric_name"] for m in ds.metrics}
            q = ch.query
            for m in q["metrics"]:
                assert m in metrics, (ch.key, m)
            for c in q["columns"]:
                name = c["sqlExpression"] if isinstance(c, dict) else c
                assert name in cols, (ch.key, name)
            for f in q["filters"]:
                assert f["col"] in cols, (ch.key, f["col"])


def test_no_chart_computes_a_formula_every_metric_is_a_saved_metric() -> None:
    for dash in all_dashboards():
        for ch in dash.charts():
            for m in ch.query["metrics"]:
                assert isinstance(m, str), f"{ch.key}: ad-hoc metric {m!r}"


def test_the_database_uri_comes_from_settings_at_import_and_is_read_only(tmp_path: Path) -> None:
    committed = _load("databases/puhui_serving.yaml")
    assert committed["sqlalchemy_uri"] == bundle.SERVING_URI_PLACEHOLDER
    assert committed["extra"]["engine_params"]["connect_args"] == {"read_only": True}
    zf = zipfile.ZipFile(BytesIO(bundle_zip(tmp_path / "serving.duckdb")))
    db = yaml.safe_load(zf.read("puhui_assets/databases/puhui_serving.yaml"))
    assert db["sqlalchemy_uri"] == f"duckdb:///{tmp_path / 'serving.duckdb'}"


def test_dashboards_are_in_chinese_with_date_and_org_tree_filters() -> None:
    own = {d.slug: [f.name for f in d.filters] for d in all_dashboards()}
    assert own["customer-ops"] == ["客户经理", "客户号"]
    for p in (ASSETS / "dashboards").glob("*.yaml"):
        d = yaml.safe_load(p.read_text())
        names = [f["name"] for f in d["metadata"]["native_filter_configuration"]]
        assert names == ["业务日期", "法人行社", "支行", "网点", *own[d["slug"]]]
        f = {x["name"]: x for x in d["metadata"]["native_filter_configuration"]}
        # cascading 法人行社 → 支行 → 网点
        assert f["支行"]["cascadeParentIds"] == [f["法人行社"]["id"]]
        assert f["网点"]["cascadeParentIds"] == [f["支行"]["id"]]
        # The date opens on the latest date, applied before charts query.
        date = f["业务日期"]
        assert date["controlValues"]["defaultToFirstItem"] is True
        assert date["requiredFirst"] is True
        assert date["controlValues"]["sortAscending"] is False
        # The org filters open empty: everything the user may see (row-level
        # security narrows a restricted user to their own org); no 全部 to pick.
        for name in ("法人行社", "支行", "网点"):
            assert f[name]["controlValues"]["defaultToFirstItem"] is False
            assert "requiredFirst" not in f[name]
            assert f[name]["defaultDataMask"]["filterState"] == {}


# --- 客户经营 (issue 15) -----------------------------------------------------------------

# What may never reach a dataset (customer-ops.md §6, docs/ingestion.md "PII"): the ID
# number, the phone, their keyed hashes, the raw name. A masked name is cust_name_masked.
_PII = re.compile(r"(^|_)(id_no|id_type|phone|mobile_no)|hash|^cust_name$")


def test_no_dataset_has_an_id_number_phone_hash_or_unmasked_name_column() -> None:
    from dagster_project import contract

    raw_pii = {c.name for t in contract.TABLES for c in t.columns if c.pii}
    assert raw_pii == {"cust_name", "id_no", "phone"}
    for ds in all_datasets():
        names = [c["column_name"] for c in ds.columns]
        assert not [n for n in names if _PII.search(n) or n in raw_pii], ds.key
        # the one customer name a dataset may carry is the masked one (张*)
        assert not [n for n in names if n.startswith("cust_name") and n != "cust_name_masked"]
        for m in ds.metrics:
            assert not _PII.search(m["expression"].lower()), (ds.key, m["metric_name"])


def test_customer_datasets_are_governed_with_the_rls_and_filter_columns() -> None:
    by_key = {d.key: d for d in all_datasets()}
    assert set(CUSTOMER_DATASETS) == {"srv_customer_tag", "srv_customer_tag_overlap",
                                      "srv_opportunity", "srv_precredit", "srv_customer_lookup"}
    assert set(by_key) >= CUSTOMER_DATASETS  # all_datasets() is what rls.py governs
    for key in CUSTOMER_DATASETS:
        cols = {c["column_name"] for c in by_key[key].columns}
        # rls.py's rules restrict on these; the shared filters and 客户经理 read these
        assert {"lvl2_org_no", "lvl3_org_no"} <= cols, key
        assert {"biz_date", "biz_dt", "lvl2_org_name", "lvl3_org_name", "lvl4_org_name",
                "mgr_label"} <= cols, key
    served = {k for k in publish.SERVING_TABLES if k.startswith("srv_")}
    assert served >= CUSTOMER_DATASETS  # published, ordered by date and org


def test_customer_ops_is_the_seventh_dashboard_for_the_province_and_every_org() -> None:
    dash = customer_ops()
    assert (dash.title, dash.slug, dash.audience) == ("客户经营", "customer-ops", ORG_VIEW)
    assert [d.slug for d in all_dashboards()].count("customer-ops") == 1
    assert {c.dataset for c in dash.charts()} == CUSTOMER_DATASETS
    keys = {c.key for c in dash.charts()}
    assert keys >= LOOKUP_CHARTS
    cards = {c.params["metric"] for c in dash.charts() if c.viz_type == "big_number_total"}
    assert cards == {"customer_cnt", "opp_new_cnt", "opp_open_cnt", "opp_due_cnt",
                     "precredit_admitted_cnt", "precredit_limit_sum"}
    by_key = {c.key: c for c in dash.charts()}
    # tag × tag: customers holding both, no totals (a customer counts once per pair)
    overlap = by_key["custops_tag_overlap"]
    assert (overlap.params["groupbyRows"], overlap.params["groupbyColumns"]) == (
        ["tag_a_name"], ["tag_b_name"])
    assert overlap.params["rowTotals"] is overlap.params["colTotals"] is False
    # each manager's open opportunities, most urgent first, with due dates
    calls = by_key["custops_opp_list"]
    assert {"mgr_label", "cust_no", "cust_name_masked", "due_dt", "status_name"} <= set(
        calls.params["groupby"])
    assert calls.query["orderby"] == [["opp_days_left", True]]
    # rejections by reason per org
    assert by_key["custops_reject_by_org"].params["groupbyColumns"] == ["reject_reason_name"]
    assert by_key["custops_lookup_profile"].params["groupby"][:2] == ["cust_no",
                                                                      "cust_name_masked"]


def test_the_names_the_dashboard_shows_are_the_contracts() -> None:
    """农户, 定期存款到期, 年龄不符 …: the seeded names are customer-ops.md §3-§5's, in its
    order (tests/fixtures/customer_ops.py holds the lists checked against the contract)."""
    from dagster_project import customer_ops as shown_names
    from tests.fixtures import customer_ops as contract_lists

    assert list(shown_names.TAG_NAMES.items()) == list(contract_lists.TAGS.items())
    assert list(shown_names.EVENT_TYPE_NAMES.items()) == list(contract_lists.EVENT_TYPES.items())
    assert list(shown_names.REJECT_REASON_NAMES.items()) == list(
        contract_lists.REJECT_REASONS.items())


def test_customer_number_filter_drives_only_the_lookup_and_opens_on_one_customer() -> None:
    d = _load("dashboards/customer_ops.yaml")
    filters = {f["name"]: f for f in d["metadata"]["native_filter_configuration"]}
    cust, mgr = filters["客户号"], filters["客户经理"]
    assert cust["targets"][0]["column"]["name"] == "cust_no"
    assert cust["targets"][0]["datasetUuid"] == bundle.uuid_for("dataset", CUSTOMER_FILTER.dataset)
    # required, on the first customer number the user may see (ascending), searched
    assert cust["controlValues"]["defaultToFirstItem"] is True
    assert cust["controlValues"]["enableEmptyFilter"] is True
    assert cust["controlValues"]["sortAscending"] is True
    assert cust["controlValues"]["searchAllOptions"] is True
    assert cust["requiredFirst"] is True
    # ... applied to the four lookup charts only; the manager filter to every chart
    ids = bundle.local_chart_ids(all_dashboards())
    dash = customer_ops()
    in_scope = {c.key for c in dash.charts() if ids[c.key] not in cust["scope"]["excluded"]}
    assert in_scope == LOOKUP_CHARTS
    assert mgr["scope"]["excluded"] == []
    # 网点 → 客户经理 → 客户号
    assert mgr["cascadeParentIds"] == [filters["网点"]["id"]]
    assert cust["cascadeParentIds"] == [mgr["id"]]
    # what the tests ask Superset: the picked customer filters the lookup, nothing else
    for ch in dash.charts():
        q = bundle.dashboard_query(ch, dash, 1, "2026-01-04", picked={"cust": "C1"})
        picked = [f for f in q["queries"][0]["filters"] if f["col"] == "cust_no"]
        assert picked == ([{"col": "cust_no", "op": "IN", "val": ["C1"]}]
                          if ch.key in LOOKUP_CHARTS else []), ch.key


@pytest.mark.parametrize(("value", "expected"), [
    # Rison, checked by hand against the spec's examples.
    ({"a": 0, "b": "foo"}, "(a:0,b:foo)"),
    ({"columns": ["id", "uuid"], "page": 1}, "(columns:!(id,uuid),page:1)"),
    ("it's", "'it!'s'"),
    ("法人行社", "'法人行社'"),
    ([True, False, None], "!(!t,!f,!n)"),
])
def test_rison_encoding(value: object, expected: str) -> None:
    assert rison(value) == expected

"""The export bundle as code: generated from the dictionary, linked by uuid, up to date."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.indicators import load_dictionary
from dagster_project.superset import bundle
from dagster_project.superset.assets_io import bundle_zip
from dagster_project.superset.client import rison
from dagster_project.superset.dashboards import all_dashboards
from dagster_project.superset.datasets import all_datasets, mgr_indicator_scope

ASSETS = bundle.ASSETS_DIR


def _load(rel: str) -> dict:
    return yaml.safe_load((ASSETS / rel).read_text(encoding="utf-8"))


def test_committed_bundle_is_what_the_generator_writes_now() -> None:
    # Fails when dictionary.yml or a spec changed without `puhui superset generate`.
    assert bundle.stale_files() == []


def test_org_dataset_has_one_metric_per_org_indicator_named_as_in_the_dictionary() -> None:
    ds = _load("datasets/puhui_serving/org_indicator_wide.yaml")
    metrics = {m["metric_name"]: m for m in ds["metrics"]}
    # min_org_level only orders the org filters' options (not an indicator).
    assert metrics.pop("min_org_level")["expression"] == "MIN(org_level)"
    org_codes = [i for i in load_dictionary() if "org" in i.grains]
    assert len(metrics) == len(org_codes) == 45  # indicators.md: 45 org-grain codes
    npl = metrics["npl_ratio"]
    # The analyst picks 不良贷款率 and gets the published value of the one selected row.
    assert (npl["verbose_name"], npl["expression"], npl["d3format"]) == (
        "不良贷款率", "MAX(npl_ratio)", ".2%")
    for ind in org_codes:
        m = metrics[ind.code.lower()]
        assert m["verbose_name"] == ind.name_zh
        assert m["d3format"] == ind.format
        assert m["expression"] == f"MAX({ind.code.lower()})"


def test_mgr_dataset_metrics_are_exactly_the_manager_grain_codes() -> None:
    ds = _load("datasets/puhui_serving/mgr_indicator_scope.yaml")
    # indicators.md "Manager grain": 11 codes.
    assert sorted(m["metric_name"] for m in ds["metrics"]) == sorted(
        c.lower() for c in ("DEP_BAL", "DEP_BAL_YTD_CHG", "DEP_DAVG_MTD", "DEP_DAVG_YTD",
                            "LOAN_BAL", "NPL_BAL", "NPL_RATIO", "INCL_BAL", "INCL_CUST_CNT",
                            "VISIT_CNT_MTD", "VISIT_CONV_MTD"))


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
    for p in (ASSETS / "dashboards").glob("*.yaml"):
        d = yaml.safe_load(p.read_text())
        names = [f["name"] for f in d["metadata"]["native_filter_configuration"]]
        assert names == ["业务日期", "法人行社", "支行", "网点"]
        f = {x["name"]: x for x in d["metadata"]["native_filter_configuration"]}
        # cascading 法人行社 → 支行 → 网点
        assert f["支行"]["cascadeParentIds"] == [f["法人行社"]["id"]]
        assert f["网点"]["cascadeParentIds"] == [f["支行"]["id"]]
        # Every filter opens on its first option and is applied before charts query.
        for x in f.values():
            assert x["controlValues"]["defaultToFirstItem"] is True, x["name"]
            assert x["requiredFirst"] is True, x["name"]
            assert x["defaultDataMask"]["filterState"] == {}, x["name"]  # no fixed default
        assert f["业务日期"]["controlValues"]["sortAscending"] is False  # latest date first
        assert f["业务日期"]["sortMetric"] is None
        # Org options by MIN(org_level) ascending: the highest org the user may see
        # (全部 = the province, or a restricted user's own bank / sub-branch) comes first.
        for name in ("法人行社", "支行", "网点"):
            assert f[name]["sortMetric"] == f[name]["controlValues"]["sortMetric"] \
                == "min_org_level"
            assert f[name]["controlValues"]["sortAscending"] is True


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


def test_manager_scope_lists_each_manager_of_a_subtree_exactly_once(tmp_path: Path) -> None:
    """(X, 全部, 全部) must give every manager under X once, whatever level their org is."""
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    mgr_cols = ", ".join(f"{m['metric_name']} DOUBLE" for m in mgr_indicator_scope().metrics)
    con.execute(f"""create table mgr_indicator_wide (biz_date DATE, mgr_no VARCHAR,
        mgr_name VARCHAR, org_no VARCHAR, org_name VARCHAR, lvl2_org_name VARCHAR,
        lvl3_org_name VARCHAR, lvl4_org_name VARCHAR, lvl2_org_no VARCHAR,
        lvl3_org_no VARCHAR, {mgr_cols})""")
    rows = [  # manager, org, path: one at an outlet, one at a sub-branch, one at a legal entity
        ("M1", "网点1", ("甲行", "城关支行", "网点1"), ("B", "B1")),
        ("M2", "城关支行", ("甲行", "城关支行", None), ("B", "B1")),
        ("M3", "甲行", ("甲行", None, None), ("B", None)),
        ("M4", "乙行", ("乙行", None, None), ("C", None)),
    ]
    for mgr, org, (p2, p3, p4), (n2, n3) in rows:
        con.execute("insert into mgr_indicator_wide (biz_date, mgr_no, mgr_name, org_no, "
                    "org_name, lvl2_org_name, lvl3_org_name, lvl4_org_name, lvl2_org_no, "
                    "lvl3_org_no, dep_bal) values ('2026-01-05', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    [mgr, mgr, org, org, p2, p3, p4, n2, n3])
    sql = mgr_indicator_scope().sql

    def pick(p2: str, p3: str, p4: str) -> list[str]:
        return [r[0] for r in con.execute(
            f"select mgr_no from ({sql}) where lvl2_org_name = ? and lvl3_org_name = ? "
            "and lvl4_org_name = ? order by mgr_no", [p2, p3, p4]).fetchall()]

    assert pick("全部", "全部", "全部") == ["M1", "M2", "M3", "M4"]
    assert pick("甲行", "全部", "全部") == ["M1", "M2", "M3"]
    assert pick("甲行", "城关支行", "全部") == ["M1", "M2"]
    assert pick("甲行", "城关支行", "网点1") == ["M1"]
    assert pick("乙行", "全部", "全部") == ["M4"]

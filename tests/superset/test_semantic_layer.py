"""Property test of the semantic layer, through a REAL Superset's chart-data API (issue 13).

For every generated metric, grouped by each org level (法人行社, 支行, 网点), by manager
and by one random further dimension, with no group at all and under a 法人行社 filter,
on several business dates and as several users (admin, every demo user: province,
each 法人行社 and each 支行, and whatever restricted demo users exist, e.g. analysts),
every cell must equal the value computed independently:

- an org group: ``indicator_value`` of that org (the published store, contract table),
  or, when the user's row-level security is narrower than the group, of the user's own
  org (a 支行 user grouping by 法人行社 sees their 支行's subtree, so their 支行's value);
- a manager group: ``mgr_indicator_value`` of that manager;
- a product / five-class / lapse-reason group: the rolled-up detail marts
  (fct_loan_product_quality_daily, fct_loan_five_class_daily, fct_policy_lapse_reasons)
  of the user's org, and for every additive metric Σ over the groups = the org's value.

A flag (两增) is expected only where the group is one 法人行社, NULL elsewhere.
The random choices are seeded (PUHUI_PROPERTY_SEED, default 13) and printed.
"""

from __future__ import annotations

import math
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.indicators import load_dictionary
from dagster_project.superset import assets_io, bundle, rls
from dagster_project.superset.client import SupersetClient
from dagster_project.superset.dashboards import FACT_DATASET
from dagster_project.superset.metrics import MetricVariant, variants

pytestmark = [pytest.mark.superset, pytest.mark.slow]

SEED = int(os.environ.get("PUHUI_PROPERTY_SEED", "13"))
LEVEL_COLUMN = {2: "lvl2_org_name", 3: "lvl3_org_name", 4: "lvl4_org_name"}
SECURITY_COLUMN = {2: "lvl2_org_no", 3: "lvl3_org_no"}
# Further dimensions of the leaf fact with an independent source: (mart, its code
# column, the leaf's code column, {metric: mart column}).
DIMENSIONS = {
    "prod_cd": ("fct_loan_product_quality_daily", "prod_cd",
                {"loan_bal": "loan_bal", "npl_bal": "npl_bal", "ovd_bal": "ovd_bal",
                 "npl_ratio": "npl_ratio", "ovd_ratio": "ovd_ratio"}),
    "five_class": ("fct_loan_five_class_daily", "five_class",
                   {"loan_bal": "loan_bal", "ovd_bal": "ovd_bal"}),
    "lapse_reason": ("fct_policy_lapse_reasons", "lapse_reason",
                     {"policy_lapsed_cnt": "lapsed_cnt"}),
}


@dataclass(frozen=True)
class Viewer:
    name: str
    client: SupersetClient
    org_no: str  # the org their rows are restricted to (the province for admin)
    level: int  # 1 province / unrestricted, 2 法人行社, 3 支行


class Store:
    """The published store and org tree, read straight from serving.duckdb."""

    def __init__(self, path: Path) -> None:
        con = duckdb.connect(str(path), read_only=True)
        try:
            self.values = {(str(d), o, c): v for d, o, c, v in con.execute(
                "select biz_date, org_no, indicator_code, value from indicator_value").fetchall()}
            self.mgr_values = {(str(d), m, c): v for d, m, c, v in con.execute(
                "select biz_date, mgr_no, indicator_code, value "
                "from mgr_indicator_value").fetchall()}
            rows = con.execute("select biz_date, org_no, org_level, lvl2_org_no, lvl3_org_no, "
                               "lvl2_org_name, lvl3_org_name, lvl4_org_name "
                               "from org_indicator_wide").fetchall()
            self.dates = [str(d) for (d,) in con.execute(
                "select distinct biz_date from indicator_value order by 1").fetchall()]
            self.marts = {name: con.execute(f"select * from {name}").fetchdf()
                          for name, _, _ in DIMENSIONS.values()}
            self.leaf_managers = con.execute(
                "select biz_date, mgr_no, lvl2_org_no, lvl3_org_no from srv_indicator_leaf "
                "where mgr_no is not null union select biz_date, mgr_no, lvl2_org_no, "
                "lvl3_org_no from srv_indicator_customer where mgr_no is not null").fetchall()
        finally:
            con.close()
        self.level: dict[tuple[str, str], int] = {}
        self.ancestors: dict[tuple[str, str], dict[int, str | None]] = {}
        self.by_name: dict[tuple[str, int, str], str] = {}
        for d, org, level, l2, l3, n2, n3, n4 in rows:
            d = str(d)
            self.level[(d, org)] = level
            self.ancestors[(d, org)] = {1: None, 2: l2, 3: l3}
            if level >= 2:
                name = {2: n2, 3: n3, 4: n4}[level]
                assert (d, level, name) not in self.by_name, f"org name {name} not unique"
                self.by_name[(d, level, name)] = org
        self.province = next(o for (_, o), lv in self.level.items() if lv == 1)

    def within(self, d: str, org: str, viewer: Viewer) -> bool:
        return viewer.level == 1 or self.ancestors[(d, org)].get(viewer.level) == viewer.org_no \
            or org == viewer.org_no

    def expected(self, d: str, org: str, v: MetricVariant) -> float | None:
        ind = v.indicator
        if ind.aggregation == "flag" and self.level[(d, org)] != ind.level:
            return None  # a flag is refused away from its own org level
        value = self.values[(d, org, ind.code)]
        return None if value is None else value * v.factor


def _close(got: object, want: float | None) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-6)


def _zero(want: float | None) -> bool:
    return want is None or abs(want) < 1e-9


def _metric_names(dataset: str) -> list[MetricVariant]:
    return [v for ind in load_dictionary() if FACT_DATASET[ind.fact] == dataset
            for v in variants(ind)]


class Asker:
    def __init__(self, admin: SupersetClient) -> None:
        self.ds = assets_io.ids_by_uuid(admin, "dataset")
        self.requests = 0

    def __call__(self, viewer: Viewer, dataset: str, groupby: list[str], metrics: list[str],
                 biz_dt: str, filters: list[dict] | None = None) -> list[dict]:
        q = {"columns": groupby, "metrics": metrics, "orderby": [], "row_limit": 100000,
             "extras": {"having": "", "where": ""}, "time_range": "No filter",
             "filters": [{"col": "biz_dt", "op": "IN", "val": [biz_dt]}, *(filters or [])]}
        qc = {"datasource": {"id": self.ds[bundle.uuid_for("dataset", dataset)],
                             "type": "table"},
              "force": True, "queries": [q], "result_format": "json", "result_type": "full"}
        self.requests += 1
        return assets_io.chart_data(viewer.client, qc)


@pytest.fixture(scope="module")
def viewers(superset_stack) -> list[Viewer]:
    users = rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                                  superset_stack.settings.superset_home / "demo_users.json")
    store_levels = {}
    with duckdb.connect(str(superset_stack.serving_path), read_only=True) as con:
        store_levels = dict(con.execute("select org_no, org_level from dim_org").fetchall())
        (province,) = con.execute("select org_no from dim_org where org_level = 1").fetchone()
    out = [Viewer("admin", superset_stack.admin, province, 1)]
    for user, entry in sorted(users.items()):
        org = entry["org_no"]
        client = SupersetClient(superset_stack.server.base_url, user, entry["password"])
        # every restricted demo user found (法人行社, 支行, and any added later, e.g. 分析员)
        out.append(Viewer(user, client, org or province, store_levels[org] if org else 1))
    assert {v.level for v in out} == {1, 2, 3}
    return out


def _check_org_groups(ask: Asker, store: Store, viewer: Viewer, d: str, dataset: str,
                      level: int | None, problems: list[str],
                      filters: list[dict] | None = None, scope_org: str | None = None) -> int:
    """Group by one org level (or none); every cell = the published value of its org."""
    vs = _metric_names(dataset)
    col = LEVEL_COLUMN.get(level or 0)
    rows = ask(viewer, dataset, [col] if col else [], [v.name for v in vs], d, filters)
    top = scope_org or viewer.org_no
    top_level = store.level[(d, top)]
    cells = 0
    seen: set[str] = set()
    for row in rows:
        if col is None:
            org = top
        else:
            name = row[col]
            if name is None or name.startswith("（"):
                continue  # records booked at a higher org itself (本级): no store row
            org = store.by_name[(d, level, name)] if level >= top_level else top
            assert store.within(d, org, viewer), (viewer.name, name)
            seen.add(org)
        for v in vs:
            cells += 1
            want = store.expected(d, org, v)
            if not _close(row[v.name], want):
                problems.append(f"{viewer.name} {d} {dataset} by {col}: {org} {v.name} "
                                f"got {row[v.name]} want {want}")
    if col is not None and level >= top_level:
        # no org lost: an org of the scope without rows has nothing to show
        for (dd, org), lv in store.level.items():
            if dd == d and lv == level and org not in seen and store.within(d, org, viewer) \
                    and (scope_org is None or store.ancestors[(d, org)].get(2) == scope_org):
                for v in vs:
                    if v.indicator.aggregation != "flag" and not _zero(store.expected(d, org, v)):
                        problems.append(f"{viewer.name} {d} {dataset} by {col}: {org} missing")
                        break
    return cells


def _check_managers(ask: Asker, store: Store, viewer: Viewer, d: str, dataset: str,
                    problems: list[str]) -> int:
    vs = [v for v in _metric_names(dataset) if "mgr" in v.indicator.grains]
    if not vs:
        return 0
    rows = {r["mgr_no"]: r for r in ask(viewer, dataset, ["mgr_no"], [v.name for v in vs], d)}
    outside = set()
    if viewer.level > 1:  # a manager with business outside the user's subtree is split
        col = {2: 2, 3: 3}[viewer.level]
        outside = {m for dd, m, l2, l3 in store.leaf_managers
                   if str(dd) == d and {2: l2, 3: l3}[col] != viewer.org_no}
    cells = 0
    for (dd, mgr, code), value in store.mgr_values.items():
        if dd != d or mgr in outside:
            continue
        v_of = [v for v in vs if v.indicator.code == code]
        for v in v_of:
            want = None if value is None else value * v.factor
            row = rows.get(mgr)
            if row is None:
                if viewer.level == 1 and not _zero(want):
                    problems.append(f"{viewer.name} {d} manager {mgr} missing ({code})")
                continue
            cells += 1
            if not _close(row[v.name], want):
                problems.append(f"{viewer.name} {d} {dataset} manager {mgr} {v.name} "
                                f"got {row[v.name]} want {want}")
    return cells


def _check_dimension(ask: Asker, store: Store, viewer: Viewer, d: str, dim: str,
                     problems: list[str]) -> int:
    mart, mart_col, mapped = DIMENSIONS[dim]
    additive = [v for v in _metric_names(FACT_DATASET["leaf"])
                if v.indicator.aggregation == "additive" and v.scale == "元"]
    names = sorted({*mapped, *(v.name for v in additive)})
    rows = ask(viewer, FACT_DATASET["leaf"], [dim], names, d)
    cells = 0
    df = store.marts[mart]
    df = df[(df["biz_date"].astype(str) == d) & (df["org_no"] == viewer.org_no)]
    want_by = {str(r[mart_col]): r for _, r in df.iterrows()}
    for row in rows:
        key = row[dim]
        if key is None:
            continue  # rows of other records (deposits, visits …) carry no such code
        for metric, col in mapped.items():
            cells += 1
            want = want_by[key][col] if key in want_by else None
            want = None if want is None or (isinstance(want, float) and math.isnan(want)) \
                else float(want)
            if not _close(row[metric], want):
                problems.append(f"{viewer.name} {d} by {dim}={key}: {metric} got "
                                f"{row[metric]} want {want}")
    for v in additive:  # the groups of any dimension add up to the org's value
        cells += 1
        total = sum(float(r[v.name]) for r in rows if r[v.name] is not None)
        want = store.expected(d, viewer.org_no, v)
        if not _close(total, want or 0.0):
            problems.append(f"{viewer.name} {d} Σ by {dim} of {v.name} = {total}, want {want}")
    return cells


def test_every_metric_equals_the_published_store_under_any_grouping_for_every_user(
        superset_stack, viewers: list[Viewer]) -> None:
    store = Store(superset_stack.serving_path)
    rng = random.Random(SEED)
    dates = sorted({store.dates[0], rng.choice(store.dates), store.dates[-1]})
    dim = rng.choice(sorted(DIMENSIONS))
    print(f"\nproperty test: seed {SEED}, dates {dates}, further dimension {dim}, "
          f"users {[v.name for v in viewers]}")
    ask = Asker(superset_stack.admin)
    problems: list[str] = []
    cells: dict[str, int] = defaultdict(int)
    for viewer in viewers:
        for d in dates:
            for dataset in FACT_DATASET.values():
                for level in (None, 2, 3, 4):
                    cells[viewer.name] += _check_org_groups(ask, store, viewer, d, dataset,
                                                            level, problems)
                cells[viewer.name] += _check_managers(ask, store, viewer, d, dataset, problems)
            cells[viewer.name] += _check_dimension(ask, store, viewer, d, dim, problems)
            if viewer.level == 1:
                # a filter on one 法人行社, then grouped by its 支行
                bank = rng.choice(sorted(o for (dd, o), lv in store.level.items()
                                         if dd == d and lv == 2))
                name = next(n for (dd, lv, n), o in store.by_name.items()
                            if dd == d and o == bank)
                flt = [{"col": "lvl2_org_name", "op": "IN", "val": [name]}]
                for dataset in FACT_DATASET.values():
                    for level in (None, 3):
                        cells[viewer.name] += _check_org_groups(
                            ask, store, viewer, d, dataset, level, problems, flt, bank)
    print(f"{ask.requests} chart-data requests, cells checked per user: {dict(cells)}")
    assert all(n > 0 for n in cells.values()), cells
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems[:40])

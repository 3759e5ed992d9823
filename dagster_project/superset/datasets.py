"""The governed datasets: which serving tables Superset may read, and how.

Datasets read only the published store (``serving.duckdb``); metrics and value
columns come from the indicator dictionary (:mod:`.metrics`). Every dataset has
the same filter columns so one set of dashboard filters drives all charts:

- ``biz_dt``: the business date as text (``YYYY-MM-DD``), for a single-date picker;
- ``lvl2_org_name`` / ``lvl3_org_name`` / ``lvl4_org_name``: the org path where
  a level below the selected org's own is ``全部`` (docs/architecture.md), so the
  three cascading filters 法人行社 → 支行 → 网点 pick exactly one org.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagster_project.superset.metrics import column, indicator_columns, indicators_for, metrics_for

ALL = "全部"  # the path value of a level below the org's own


@dataclass(frozen=True)
class Dataset:
    key: str  # table_name in Superset, file name, UUID seed
    description: str
    columns: list[dict[str, Any]]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    sql: str | None = None  # virtual dataset when set


_BIZ_DT = column("biz_dt", "VARCHAR", "业务日期", expression="strftime(biz_date, '%Y-%m-%d')",
                 description="Business date as text, for the single-date filter.")
_PATH = [
    column("lvl2_org_name", "VARCHAR", "法人行社"),
    column("lvl3_org_name", "VARCHAR", "支行"),
    column("lvl4_org_name", "VARCHAR", "网点"),
]

# Row-level security restricts on these (rls.py): a legal-entity role sees rows
# whose lvl2_org_no is its org, a sub-branch role rows whose lvl3_org_no is.
_RLS = [
    column("lvl2_org_no", "VARCHAR", "法人行社机构号"),
    column("lvl3_org_no", "VARCHAR", "支行机构号"),
]


# Not an indicator: the org filters sort their options by it, ascending, and
# select the first one (bundle.native_filters). Under row-level security that is
# the highest org the user may see (全部 = the province for a province user, their
# own bank or sub-branch for a restricted one), so every user opens the dashboards
# on their own org instead of the province row they cannot read.
MIN_ORG_LEVEL = {
    "metric_name": "min_org_level",
    "verbose_name": "最高机构层级（筛选器排序用）",
    "metric_type": None,
    "expression": "MIN(org_level)",
    "description": "Lowest org_level among the rows: 1 province, 2 法人行社, 3 支行, 4 网点. "
                   "Sorts the org filters so the user's own (highest visible) org comes first.",
    "d3format": None,
    "currency": None,
    "extra": {},
    "warning_text": None,
}


def org_indicator_wide() -> Dataset:
    cols = [
        column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True),
        _BIZ_DT,
        column("org_no", "VARCHAR", "机构号"),
        column("org_name", "VARCHAR", "机构名称"),
        column("org_level", "INTEGER", "机构层级"),
        *_PATH,
        *_RLS,
        *indicator_columns("org"),
    ]
    return Dataset("org_indicator_wide",
                   "机构指标宽表：每个业务日期、每个机构一行，"
                   "数值取自已发布的指标库 indicator_value。",
                   cols, [*metrics_for("org"), MIN_ORG_LEVEL])


def expand_paths(base: str, keep: str) -> str:
    """Repeat each row of ``base`` once per ancestor so the org filters pick a subtree.

    ``base`` yields the ``keep`` columns plus ``p2, p3, p4``: the row's own org
    path (names of its level-2/3/4 ancestors-or-self, NULL where there is none).
    The dashboard filters speak in paths with ``全部`` below the selected level,
    so each row is emitted for its province, legal-entity, sub-branch and outlet
    path: choosing (X, 全部, 全部) lists every row under legal entity X exactly
    once. Values pass through unchanged.
    """
    return (
        f"WITH b AS (\n{base}\n)\n"
        f"SELECT {keep}, '{ALL}' AS lvl2_org_name, '{ALL}' AS lvl3_org_name, "
        f"'{ALL}' AS lvl4_org_name FROM b\n"
        f"UNION ALL SELECT {keep}, p2, '{ALL}', '{ALL}' FROM b WHERE p2 IS NOT NULL\n"
        f"UNION ALL SELECT {keep}, p2, p3, '{ALL}' FROM b WHERE p3 IS NOT NULL\n"
        # An outlet may hang directly under a legal entity: its path has 全部 at 支行.
        f"UNION ALL SELECT {keep}, p2, COALESCE(p3, '{ALL}'), p4 FROM b WHERE p4 IS NOT NULL"
    )


def _mgr_scope_sql() -> str:
    codes = ", ".join(i.column_name for i in indicators_for("mgr"))
    base = ("SELECT biz_date, mgr_no, mgr_name, org_no, org_name AS mgr_org_name, lvl2_org_no, "
            f"lvl3_org_no, {codes}, lvl2_org_name AS p2, lvl3_org_name AS p3, "
            "lvl4_org_name AS p4 FROM mgr_indicator_wide")
    keep = f"biz_date, mgr_no, mgr_name, org_no, mgr_org_name, lvl2_org_no, lvl3_org_no, {codes}"
    return expand_paths(base, keep)


def mgr_indicator_scope() -> Dataset:
    cols = [
        column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True),
        _BIZ_DT,
        column("mgr_no", "VARCHAR", "客户经理号"),
        column("mgr_name", "VARCHAR", "客户经理"),
        column("org_no", "VARCHAR", "所属机构号"),
        column("mgr_org_name", "VARCHAR", "所属机构"),
        *_PATH,
        *_RLS,
        *indicator_columns("mgr"),
    ]
    return Dataset("mgr_indicator_scope",
                   "客户经理指标：每个业务日期、每个客户经理一行（按所选机构范围展开），"
                   "数值取自已发布的 mgr_indicator_value。",
                   cols, metrics_for("mgr"), sql=_mgr_scope_sql())


def all_datasets() -> list[Dataset]:
    from dagster_project.superset.detail_datasets import detail_datasets

    return [org_indicator_wide(), mgr_indicator_scope(), *detail_datasets()]

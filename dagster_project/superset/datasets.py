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
    org_no_column: str = "org_no"  # what row-level security restricts


_BIZ_DT = column("biz_dt", "VARCHAR", "业务日期", expression="strftime(biz_date, '%Y-%m-%d')",
                 description="Business date as text, for the single-date filter.")
_PATH = [
    column("lvl2_org_name", "VARCHAR", "法人行社"),
    column("lvl3_org_name", "VARCHAR", "支行"),
    column("lvl4_org_name", "VARCHAR", "网点"),
]


def org_indicator_wide() -> Dataset:
    cols = [
        column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True),
        _BIZ_DT,
        column("org_no", "VARCHAR", "机构号"),
        column("org_name", "VARCHAR", "机构名称"),
        column("org_level", "INTEGER", "机构层级"),
        *_PATH,
        *indicator_columns("org"),
    ]
    return Dataset("org_indicator_wide",
                   "机构指标宽表：每个业务日期、每个机构一行，"
                   "数值取自已发布的指标库 indicator_value。",
                   cols, metrics_for("org"))


def _mgr_scope_sql() -> str:
    """Managers, repeated once per ancestor so the org filters select a subtree.

    ``mgr_indicator_wide`` carries each manager's own org; the dashboard filters
    speak in org paths with ``全部`` below the selected level. Each manager row
    is emitted for its province, legal-entity, sub-branch and outlet path, so
    choosing (X, 全部, 全部) lists every manager under legal entity X exactly once.
    Values are passed through unchanged.
    """
    codes = ", ".join(f"w.{i.column_name}" for i in indicators_for("mgr"))
    base = (
        "SELECT w.biz_date, w.mgr_no, w.mgr_name, w.org_no, o.org_name AS mgr_org_name, "
        "o.lvl2_org_name AS p2, o.lvl3_org_name AS p3, o.lvl4_org_name AS p4, " + codes +
        " FROM mgr_indicator_wide AS w JOIN dim_org AS o ON o.org_no = w.org_no"
    )
    keep = ("biz_date, mgr_no, mgr_name, org_no, mgr_org_name, "
            + ", ".join(i.column_name for i in indicators_for("mgr")))
    return (
        f"WITH m AS ({base})\n"
        f"SELECT {keep}, '{ALL}' AS lvl2_org_name, '{ALL}' AS lvl3_org_name, "
        f"'{ALL}' AS lvl4_org_name FROM m\n"
        f"UNION ALL SELECT {keep}, p2, '{ALL}', '{ALL}' FROM m WHERE p2 IS NOT NULL\n"
        f"UNION ALL SELECT {keep}, p2, p3, '{ALL}' FROM m WHERE p3 IS NOT NULL\n"
        f"UNION ALL SELECT {keep}, p2, p3, p4 FROM m WHERE p4 IS NOT NULL"
    )


def mgr_indicator_scope() -> Dataset:
    cols = [
        column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True),
        _BIZ_DT,
        column("mgr_no", "VARCHAR", "客户经理号"),
        column("mgr_name", "VARCHAR", "客户经理"),
        column("org_no", "VARCHAR", "所属机构号"),
        column("mgr_org_name", "VARCHAR", "所属机构"),
        *_PATH,
        *indicator_columns("mgr"),
    ]
    return Dataset("mgr_indicator_scope",
                   "客户经理指标：每个业务日期、每个客户经理一行（按所选机构范围展开），"
                   "数值取自已发布的 mgr_indicator_value。",
                   cols, metrics_for("mgr"), sql=_mgr_scope_sql())


def all_datasets() -> list[Dataset]:
    return [org_indicator_wide(), mgr_indicator_scope()]

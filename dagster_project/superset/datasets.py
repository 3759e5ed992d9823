"""The governed datasets: which serving tables Superset may read, and how.

Every dataset is a physical table of the published store (``serving.duckdb``) that
dbt built at leaf grain (dbt/models/serving/, docs/marts.md "Serving tables"):
Superset reads it as it is — no join, no UNION, no CASE in a dataset — and its
metrics are generated from the indicator dictionary (:mod:`.metrics`).

Every dataset has the same filter and security columns, so one set of dashboard
filters drives all charts and one row-level-security rule per role covers them:

- ``biz_dt``: the business date as text (``YYYY-MM-DD``), for a single-date picker;
- ``lvl2_org_name`` / ``lvl3_org_name`` / ``lvl4_org_name``: the row's own org path
  (法人行社 / 支行 / 网点). Filtering a level selects that subtree; no filter means
  everything the user may see. There is no 全部 row to pick or to forget;
- ``lvl2_org_no`` / ``lvl3_org_no``: what row-level security restricts on (rls.py).

:func:`all_datasets` is the one list of governed datasets (rls.py reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagster_project.indicators import load_dictionary
from dagster_project.superset.metrics import LEVEL_ZH, column, measures_of, metrics_in

FLAG_NOTE_ZH = "{name}按{level}考核，请选择一个{level}"


@dataclass(frozen=True)
class Dataset:
    key: str  # table_name in Superset (= the serving table), file name, UUID seed
    description: str
    columns: list[dict[str, Any]]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    sql: str | None = None  # always None: every dataset reads a physical table


DATE_COLUMNS = [
    column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True),
    column("biz_dt", "VARCHAR", "业务日期", description="Business date as text, for the "
           "single-date filter."),
]
PATH_COLUMNS = [
    column("lvl2_org_name", "VARCHAR", "法人行社"),
    column("lvl3_org_name", "VARCHAR", "支行"),
    column("lvl4_org_name", "VARCHAR", "网点"),
]
# Row-level security restricts on these (rls.py): a legal-entity role sees rows
# whose lvl2_org_no is its org, a sub-branch role rows whose lvl3_org_no is.
RLS_COLUMNS = [
    column("lvl2_org_no", "VARCHAR", "法人行社机构号"),
    column("lvl3_org_no", "VARCHAR", "支行机构号"),
]
ORG_COLUMNS = [
    column("org_no", "VARCHAR", "机构号"),
    column("org_name", "VARCHAR", "机构名称"),
    column("org_level", "INTEGER", "机构层级"),
]
MGR_COLUMNS = [
    column("mgr_no", "VARCHAR", "客户经理号"),
    column("mgr_name", "VARCHAR", "客户经理"),
]
_COMMON = [*DATE_COLUMNS, *ORG_COLUMNS, *PATH_COLUMNS, *RLS_COLUMNS]


def _measures(names: list[str], type_: str = "DOUBLE") -> list[dict[str, Any]]:
    # Parts, not indicators: hidden from group-by; analysts use the saved metrics.
    return [column(n, type_, groupby=False) for n in names]


LEAF_PARTS = ["dep_bal", "dep_bal_personal", "dep_bal_corp", "dep_bal_demand", "dep_bal_ys",
              "dep_bal_ms", "dep_davg_mtd", "dep_davg_ytd", "loan_bal", "sm_bal", "npl_bal",
              "ovd_bal", "ovd90_bal", "incl_bal", "incl_npl_bal", "loan_bal_ys", "npl_bal_ys",
              "incl_bal_ys", "lapsed_annualised_premium", "base_annualised_premium",
              "renewal_due_30d", "satisfaction_sum_mtd"]
LEAF_COUNTS = ["loan_cnt", "visit_cnt_d", "visit_cnt_mtd", "visit_cnt_ytd", "visit_conv_cnt_mtd",
               "satisfaction_cnt_mtd", "active_mgr_cnt", "policy_inforce_cnt",
               "policy_grace_cnt", "policy_lapsed_cnt", "policy_followed_up_cnt"]
# Further dimensions an analyst may group the leaf fact by (the property test picks
# from these), each a label column built in dbt.
LEAF_DIMENSIONS = ["mgr_name", "mgr_org_name", "prod_name", "five_class_name", "cust_type_name",
                   "seller_name", "lapse_reason_name"]
CUSTOMER_DIMENSIONS = ["mgr_name", "prod_name", "five_class_name", "cust_type_name"]


def indicator_leaf() -> Dataset:
    cols = [*_COMMON, *MGR_COLUMNS,
            column("mgr_org_name", "VARCHAR", "客户经理所属机构"),
            column("prod_cd", "VARCHAR", "贷款产品代码"),
            column("prod_name", "VARCHAR", "贷款产品"),
            column("five_class", "VARCHAR", "五级分类代码"),
            column("five_class_name", "VARCHAR", "五级分类"),
            column("cust_type", "VARCHAR", "客户类型代码"),
            column("cust_type_name", "VARCHAR", "客户类型"),
            column("seller_no", "VARCHAR", "保单销售人员号"),
            column("seller_name", "VARCHAR", "保单销售人员"),
            column("lapse_reason", "VARCHAR", "失效原因代码"),
            column("lapse_reason_name", "VARCHAR", "失效原因"),
            column("ys_loaded", "BOOLEAN", "上年末已加载", groupby=False),
            column("ms_loaded", "BOOLEAN", "上月末已加载", groupby=False),
            *_measures(LEAF_PARTS), *_measures(LEAF_COUNTS, "BIGINT")]
    return Dataset("srv_indicator_leaf",
                   "指标明细事实表（叶子粒度）：每个业务日期、记账机构、客户经理、产品、五级分类、"
                   "客户类型、保单销售人员与失效原因一行，存放各指标的可加分量。"
                   "所有指标均为已认证的度量，可按任意维度分组。",
                   cols, [*metrics_in("leaf"), *measures_of("srv_indicator_leaf")])


def indicator_customer() -> Dataset:
    cols = [*_COMMON, *MGR_COLUMNS,
            column("role", "VARCHAR", "客户角色", description="incl 普惠贷款户 / incl_ys 年初普惠"
                   "贷款户 / credit 授信户 / credit_used 用信户 / grid_credit 网格内授信户 / "
                   "grid 网格（户数） / visit 本月走访客户"),
            column("prod_name", "VARCHAR", "贷款产品"),
            column("five_class_name", "VARCHAR", "五级分类"),
            column("cust_type_name", "VARCHAR", "客户类型"),
            column("cust_key", "VARCHAR", "客户（散列）", groupby=False),
            column("grid_hh_cnt", "BIGINT", "网格户数分量", groupby=False),
            column("ys_loaded", "BOOLEAN", "上年末已加载", groupby=False)]
    return Dataset("srv_indicator_customer",
                   "客户粒度事实表：户数类指标按客户去重计数（客户号已散列）。",
                   cols, metrics_in("customer"))


def flag_label_metrics() -> list[dict[str, Any]]:
    """达标 / 未达标 (text) and the reason when a flag is not defined for the group."""
    out = []
    for ind in load_dictionary():
        if ind.aggregation != "flag":
            continue
        at = f"org_level = {ind.level}"
        one = f"MIN(biz_date) = MAX(biz_date) AND COUNT(*) FILTER (WHERE {at}) = 1"
        col = ind.column_name
        refused = FLAG_NOTE_ZH.format(name=ind.name_zh, level=LEVEL_ZH[ind.level or 2])
        out += [
            {"metric_name": f"{col}_label", "verbose_name": ind.name_zh, "metric_type": None,
             "expression": f"CASE WHEN {one} THEN MAX({col}_label) FILTER (WHERE {at}) "
                           "ELSE '—' END",
             "description": f"{ind.name_zh}：达标 / 未达标；无定义时为 —。", "d3format": None,
             "currency": None, "warning_text": None,
             "extra": {"certification": {"certified_by": "指标字典 v1", "details": ind.code}}},
            {"metric_name": f"{col}_note", "verbose_name": "说明", "metric_type": None,
             "expression": f"CASE WHEN {one} THEN MAX({col}_note) FILTER (WHERE {at}) "
                           f"ELSE '{refused}' END",
             "description": f"{ind.name_zh}为 — 时的原因。", "d3format": None, "currency": None,
             "warning_text": None, "extra": {}},
        ]
    return out


def org_flags() -> Dataset:
    cols = [*_COMMON]
    for ind in load_dictionary():
        if ind.aggregation == "flag":
            cols += [column(ind.column_name, "DOUBLE", ind.name_zh + "（1/0）", groupby=False),
                     column(ind.column_name + "_label", "VARCHAR", ind.name_zh),
                     column(ind.column_name + "_note", "VARCHAR", ind.name_zh + "说明")]
    return Dataset("srv_org_flags_daily",
                   "判定类指标（如两增达标）：每个业务日期、每个机构一行，只在其考核层级有定义。",
                   cols, [*metrics_in("flags"), *flag_label_metrics()])


def all_datasets() -> list[Dataset]:
    """Every governed dataset, in one list (row-level security covers each)."""
    from dagster_project.superset.customer_datasets import customer_datasets
    from dagster_project.superset.detail_datasets import detail_datasets

    return [indicator_leaf(), indicator_customer(), org_flags(), *detail_datasets(),
            *customer_datasets()]

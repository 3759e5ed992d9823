"""Datasets over the dashboard detail marts (docs/marts.md, "Serving tables").

The marts are already rolled up per org (``org_no`` is the ancestor) or are
single records (visits). These virtual datasets only attach the filter path:
rolled-up marts join ``org_indicator_wide`` on (biz_date, org_no) for its
``全部`` path; record-level marts (visits, scorecards) repeat each record once
per ancestor (:func:`expand_paths`). Measures are the marts' own columns,
summed over rows that are each one (date, org, category): no new formula.
"""

from __future__ import annotations

from typing import Any

from dagster_project.contract import CODE_LABELS
from dagster_project.superset.datasets import _BIZ_DT, _PATH, _RLS, Dataset, expand_paths
from dagster_project.superset.metrics import column

_WIDE_PATH = ("w.org_name, w.org_level, w.lvl2_org_name, w.lvl3_org_name, w.lvl4_org_name, "
              "w.lvl2_org_no, w.lvl3_org_no")
_JOIN_WIDE = "JOIN org_indicator_wide AS w ON w.biz_date = f.biz_date AND w.org_no = f.org_no"
_ORG_COLS = [column("org_no", "VARCHAR", "机构号"), column("org_name", "VARCHAR", "机构名称"),
             column("org_level", "INTEGER", "机构层级")]


def _rolled_up(table: str, own: list[dict[str, Any]],
               exprs: dict[str, str] | None = None) -> tuple[str, list[dict[str, Any]]]:
    """SQL and columns of a dataset over a mart rolled up per org: the mart's ``own``
    columns (in order; ``exprs`` gives a computed one its SQL), then the org and its
    filter path from ``org_indicator_wide`` of the same date."""
    exprs = exprs or {}
    select = ", ".join(f"{exprs[c['column_name']]} AS {c['column_name']}"
                       if c["column_name"] in exprs else f"f.{c['column_name']}" for c in own)
    sql = (f"SELECT f.biz_date, f.org_no, {select}, {_WIDE_PATH}\n"
           f"FROM {table} AS f {_JOIN_WIDE}")
    cols = [column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True), _BIZ_DT, *_ORG_COLS,
            *own, *_PATH, *_RLS]
    return sql, cols


def sum_metric(name: str, col: str, verbose: str, fmt: str, desc: str) -> dict[str, Any]:
    return {"metric_name": name, "verbose_name": verbose, "metric_type": None,
            "expression": f"SUM({col})", "description": desc, "d3format": fmt,
            "currency": None, "extra": {}, "warning_text": None}


def _label_case(col: str, labels: dict[str, str]) -> str:
    """Code → Chinese label, from the contract's code lists (not hand-typed)."""
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in labels.items())
    return f"CASE {col} {whens} ELSE {col} END"


def loan_five_class() -> Dataset:
    sql, cols = _rolled_up("fct_loan_five_class_daily", [
        column("five_class", "VARCHAR", "五级分类代码"),
        column("five_class_label", "VARCHAR", "五级分类"),
        column("is_npl", "BOOLEAN", "是否不良"),
        column("loan_cnt", "BIGINT", "贷款笔数", groupby=False),
        column("loan_bal", "DOUBLE", "贷款余额（元）", groupby=False),
        column("ovd_bal", "DOUBLE", "逾期余额（元）", groupby=False),
    ])
    metrics = [
        sum_metric("class_loan_bal", "loan_bal", "分类贷款余额", ",.0f",
                   "在贷贷款余额（CNY），按五级分类；各类合计 = LOAN_BAL。"),
        sum_metric("class_loan_cnt", "loan_cnt", "分类贷款笔数", ",.0f", "在贷借据笔数。"),
        sum_metric("class_ovd_bal", "ovd_bal", "分类逾期余额", ",.0f",
                   "逾期（overdue_days > 0）借据的全部余额。"),
    ]
    return Dataset("loan_five_class", "五级分类结构（fct_loan_five_class_daily，按机构汇总）",
                   cols, metrics, sql=sql)


def loan_class_migration() -> Dataset:
    labels = {**CODE_LABELS["five_class"], "0": "不在贷"}
    sql, cols = _rolled_up("fct_loan_class_migration", [
        column("from_class", "VARCHAR", "上日分类代码"),
        column("to_class", "VARCHAR", "当日分类代码"),
        column("from_class_label", "VARCHAR", "上日分类"),
        column("to_class_label", "VARCHAR", "当日分类"),
        column("is_downgrade", "BOOLEAN", "是否下迁（布尔）"),
        column("downgrade_label", "VARCHAR", "是否下迁"),
        column("loan_cnt", "BIGINT", "笔数", groupby=False),
        column("balance_cny", "DOUBLE", "余额（元）", groupby=False),
    ], exprs={
        "from_class_label": _label_case("f.from_class", labels),
        "to_class_label": _label_case("f.to_class", labels),
        "downgrade_label": "CASE WHEN f.is_downgrade THEN '是' ELSE '否' END",
    })
    metrics = [
        sum_metric("migration_bal", "balance_cny", "迁移余额", ",.0f",
                   "较上一加载日的五级分类迁移，当日余额（CNY）。"),
        sum_metric("migration_cnt", "loan_cnt", "迁移笔数", ",.0f", "借据笔数。"),
    ]
    return Dataset("loan_class_migration", "五级分类迁移（fct_loan_class_migration，按机构汇总）",
                   cols, metrics, sql=sql)


def policy_lapse_reasons() -> Dataset:
    sql, cols = _rolled_up("fct_policy_lapse_reasons", [
        column("lapse_reason", "VARCHAR", "失效原因代码"),
        column("lapse_reason_label", "VARCHAR", "失效原因"),
        column("lapsed_cnt", "BIGINT", "失效件数", groupby=False),
        column("followed_up_cnt", "BIGINT", "已跟进件数", groupby=False),
        column("lapsed_annualised_premium", "DOUBLE", "失效年化保费（元）", groupby=False),
    ])
    metrics = [
        sum_metric("reason_lapsed_cnt", "lapsed_cnt", "失效件数", ",.0f",
                   "失效（状态3）期交保单件数，按原因；合计 = POLICY_LAPSED_CNT。"),
        sum_metric("reason_followed_cnt", "followed_up_cnt", "已跟进件数", ",.0f",
                   "有保单续期跟进走访（visit_type 4）的失效保单件数。"),
        sum_metric("reason_lapsed_prem", "lapsed_annualised_premium", "失效年化保费", ",.0f",
                   "失效保单年化保费（月交×12）。"),
    ]
    return Dataset("policy_lapse_reasons", "保单失效原因（fct_policy_lapse_reasons，按机构汇总）",
                   cols, metrics, sql=sql)


def visit_points() -> Dataset:
    """One row per visit (GPS point) with the visiting manager's org path on D."""
    base = ("SELECT biz_date, visit_id, mgr_no, mgr_name, org_no, org_name, lvl2_org_no, "
            "lvl3_org_no, grid_no, grid_name, lon, lat, visit_type_label, outcome_label, "
            "is_converted, satisfaction, lvl2_org_name AS p2, lvl3_org_name AS p3, "
            "lvl4_org_name AS p4 FROM fct_visit_points")
    keep = ("biz_date, visit_id, mgr_no, mgr_name, org_no, org_name, lvl2_org_no, lvl3_org_no, "
            "grid_no, grid_name, lon, lat, visit_type_label, outcome_label, is_converted, "
            "satisfaction")
    cols = [column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True), _BIZ_DT,
            column("visit_id", "VARCHAR", "走访编号"), column("mgr_no", "VARCHAR", "客户经理号"),
            column("mgr_name", "VARCHAR", "客户经理"), column("org_no", "VARCHAR", "所属机构号"),
            column("org_name", "VARCHAR", "所属机构"), column("grid_no", "VARCHAR", "网格号"),
            column("grid_name", "VARCHAR", "网格"), column("lon", "DOUBLE", "经度"),
            column("lat", "DOUBLE", "纬度"), column("visit_type_label", "VARCHAR", "走访类型"),
            column("outcome_label", "VARCHAR", "走访结果"),
            column("is_converted", "BOOLEAN", "已转化（授信/用信）"),
            column("satisfaction", "INTEGER", "满意度"), *_PATH, *_RLS]
    metrics = [{"metric_name": "visit_records", "verbose_name": "走访记录数", "metric_type": None,
                "expression": "COUNT(*)", "d3format": ",.0f", "currency": None, "extra": {},
                "warning_text": None,
                "description": "所选日期的走访记录条数（按类型/结果拆分；总数即当日走访次数 "
                               "VISIT_CNT_D）。"}]
    return Dataset("visit_points", "走访点位（fct_visit_points，每条走访一行，不含备注）",
                   cols, metrics, sql=expand_paths(base, keep))


def mgr_scorecard() -> Dataset:
    """Manager scorecards: published values against the bank's targets (seeds)."""
    base = ("SELECT s.biz_date, s.mgr_no, s.mgr_name, s.org_no, w.org_name AS mgr_org_name, "
            "s.post_type_label, s.indicator_code, d.name_zh AS indicator_name, s.value, "
            "s.target_value, s.weight, s.achievement, s.score, s.total_score, w.lvl2_org_no, "
            "w.lvl3_org_no, NULLIF(w.lvl2_org_name, '全部') AS p2, "
            "NULLIF(w.lvl3_org_name, '全部') AS p3, NULLIF(w.lvl4_org_name, '全部') AS p4\n"
            "FROM fct_mgr_scorecard AS s "
            "JOIN org_indicator_wide AS w ON w.biz_date = s.biz_date AND w.org_no = s.org_no "
            "LEFT JOIN indicator_dictionary AS d ON d.indicator_code = s.indicator_code")
    keep = ("biz_date, mgr_no, mgr_name, org_no, mgr_org_name, post_type_label, indicator_code, "
            "indicator_name, value, target_value, weight, achievement, score, total_score, "
            "lvl2_org_no, lvl3_org_no")
    cols = [column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True), _BIZ_DT,
            column("mgr_no", "VARCHAR", "客户经理号"), column("mgr_name", "VARCHAR", "客户经理"),
            column("org_no", "VARCHAR", "所属机构号"),
            column("mgr_org_name", "VARCHAR", "所属机构"),
            column("post_type_label", "VARCHAR", "岗位"),
            column("indicator_code", "VARCHAR", "指标代码"),
            column("indicator_name", "VARCHAR", "考核指标"),
            column("value", "DOUBLE", "完成值", groupby=False),
            column("target_value", "DOUBLE", "目标值", groupby=False),
            column("weight", "DOUBLE", "权重", groupby=False),
            column("achievement", "DOUBLE", "完成率", groupby=False),
            column("score", "DOUBLE", "得分", groupby=False),
            column("total_score", "DOUBLE", "总分", groupby=False), *_PATH, *_RLS]

    def one(name: str, col: str, verbose: str, fmt: str, desc: str) -> dict[str, Any]:
        # MAX: one row per (manager, indicator); the scorecard mart did the scoring.
        return {**sum_metric(name, col, verbose, fmt, desc), "expression": f"MAX({col})"}

    metrics = [
        one("sc_total_score", "total_score", "考核总分", ".1f",
            "Σ 权重 × 完成率 × 100（完成率封顶 1.5；不良率等越低越好的指标取 目标/完成值）。"),
        one("sc_value", "value", "完成值", ",.4~r", "已发布的客户经理指标值。"),
        one("sc_target", "target_value", "目标值", ",.4~r", "银行设定的岗位目标（种子表）。"),
        one("sc_weight", "weight", "权重", ".0%", "岗位指标权重（种子表）。"),
        one("sc_achievement", "achievement", "完成率", ".1%", "完成值/目标值，封顶150%。"),
        one("sc_score", "score", "得分", ".1f", "权重 × 完成率 × 100。"),
    ]
    return Dataset("mgr_scorecard", "客户经理考核（fct_mgr_scorecard）", cols, metrics,
                   sql=expand_paths(base, keep))


def _max_metric(name: str, col: str, verbose: str, fmt: str, desc: str) -> dict[str, Any]:
    # MAX: the mart holds one row per (date, org, category) with the ratio already computed.
    return {**sum_metric(name, col, verbose, fmt, desc), "expression": f"MAX({col})"}


def incl_structure() -> Dataset:
    """普惠贷款结构 by customer segment and by product (fct_incl_loan_structure_daily)."""
    sql, cols = _rolled_up("fct_incl_loan_structure_daily", [
        column("dimension", "VARCHAR", "结构维度（cust_segment 客户类型 / prod_cd 产品）"),
        column("member_code", "VARCHAR", "分类代码"),
        column("member_label", "VARCHAR", "分类"),
        column("cust_type_group", "VARCHAR", "客户大类"),
        column("incl_loan_cnt", "BIGINT", "普惠贷款笔数", groupby=False),
        column("incl_cust_cnt", "BIGINT", "普惠贷款户数", groupby=False),
        column("incl_bal", "DOUBLE", "普惠贷款余额（元）", groupby=False),
    ])
    metrics = [
        sum_metric("struct_incl_bal", "incl_bal", "普惠贷款余额", ",.0f",
                   "普惠型贷款余额（CNY），按客户类型或产品；同一维度合计 = INCL_BAL。"),
        sum_metric("struct_incl_cust", "incl_cust_cnt", "普惠贷款户数", ",.0f",
                   "有余额的普惠贷款户数；按客户类型合计 = INCL_CUST_CNT（按产品不可相加）。"),
        sum_metric("struct_incl_loans", "incl_loan_cnt", "普惠贷款笔数", ",.0f", "在贷借据笔数。"),
    ]
    return Dataset("incl_structure", "普惠贷款结构（fct_incl_loan_structure_daily，按机构汇总）",
                   cols, metrics, sql=sql)


def loan_product_quality() -> Dataset:
    """分产品不良与逾期 (fct_loan_product_quality_daily)."""
    sql, cols = _rolled_up("fct_loan_product_quality_daily", [
        column("prod_cd", "VARCHAR", "贷款产品"),
        column("loan_cnt", "BIGINT", "贷款笔数", groupby=False),
        column("loan_bal", "DOUBLE", "贷款余额（元）", groupby=False),
        column("npl_bal", "DOUBLE", "不良余额（元）", groupby=False),
        column("ovd_bal", "DOUBLE", "逾期余额（元）", groupby=False),
        column("ovd90_bal", "DOUBLE", "逾期90天以上余额（元）", groupby=False),
        column("npl_ratio", "DOUBLE", "不良率", groupby=False),
        column("ovd_ratio", "DOUBLE", "逾期率", groupby=False),
    ])
    metrics = [
        sum_metric("prod_loan_bal", "loan_bal", "产品贷款余额", ",.0f",
                   "在贷贷款余额（CNY），按产品；合计 = LOAN_BAL。"),
        sum_metric("prod_npl_bal", "npl_bal", "产品不良余额", ",.0f",
                   "五级分类3/4/5余额；合计 = NPL_BAL。"),
        sum_metric("prod_ovd_bal", "ovd_bal", "产品逾期余额", ",.0f",
                   "逾期（overdue_days > 0）借据全部余额；合计 = OVD_BAL。"),
        _max_metric("prod_npl_ratio", "npl_ratio", "产品不良率", ".2%",
                    "产品不良余额 / 产品贷款余额（数据集市预先计算）。"),
        _max_metric("prod_ovd_ratio", "ovd_ratio", "产品逾期率", ".2%",
                    "产品逾期余额 / 产品贷款余额（数据集市预先计算）。"),
    ]
    return Dataset("loan_product_quality",
                   "分产品资产质量（fct_loan_product_quality_daily，按机构汇总）",
                   cols, metrics, sql=sql)


def policy_lapse_by_seller() -> Dataset:
    """保单失效按销售人员 (fct_policy_lapse_by_seller)."""
    sql, cols = _rolled_up("fct_policy_lapse_by_seller", [
        column("seller_no", "VARCHAR", "销售人员号"),
        column("seller_name", "VARCHAR", "销售人员"),
        column("inforce_cnt", "BIGINT", "有效件数", groupby=False),
        column("grace_cnt", "BIGINT", "宽限期件数", groupby=False),
        column("lapsed_cnt", "BIGINT", "失效件数", groupby=False),
        column("followed_up_cnt", "BIGINT", "已跟进件数", groupby=False),
        column("lapsed_annualised_premium", "DOUBLE", "失效年化保费（元）", groupby=False),
        column("lapse_rate", "DOUBLE", "失效率（件数）", groupby=False),
        column("lapse_rate_prem", "DOUBLE", "失效率（保费）", groupby=False),
        column("lapse_followup_rate", "DOUBLE", "处理率", groupby=False),
    ])
    metrics = [
        sum_metric("seller_inforce_cnt", "inforce_cnt", "有效保单件数", ",.0f",
                   "期交保单状态1/2/4件数，按销售人员；合计 = POLICY_INFORCE_CNT。"),
        sum_metric("seller_lapsed_cnt", "lapsed_cnt", "失效保单件数", ",.0f",
                   "期交保单状态3件数，按销售人员；合计 = POLICY_LAPSED_CNT。"),
        sum_metric("seller_lapsed_prem", "lapsed_annualised_premium", "失效年化保费", ",.0f",
                   "失效保单年化保费（月交×12）。"),
        _max_metric("seller_lapse_rate", "lapse_rate", "失效率（件数）", ".2%",
                    "失效件数 /（有效件数 + 失效件数），销售人员口径，集市预先计算。"),
        _max_metric("seller_lapse_rate_prem", "lapse_rate_prem", "失效率（保费）", ".2%",
                    "失效年化保费 / 状态1-4年化保费，销售人员口径，集市预先计算。"),
        _max_metric("seller_followup_rate", "lapse_followup_rate", "失效清单处理率", ".2%",
                    "已跟进失效件数 / 失效件数，集市预先计算。"),
    ]
    return Dataset("policy_lapse_by_seller",
                   "保单失效按销售人员（fct_policy_lapse_by_seller，按机构汇总）",
                   cols, metrics, sql=sql)


def grid_points() -> Dataset:
    """One row per grid (centre point, households) with its org path on D."""
    base = ("SELECT biz_date, grid_no, grid_name, org_no, org_name, lvl2_org_no, lvl3_org_no, "
            "household_cnt, lon, lat, lvl2_org_name AS p2, lvl3_org_name AS p3, "
            "lvl4_org_name AS p4 FROM fct_grid_points")
    keep = ("biz_date, grid_no, grid_name, org_no, org_name, lvl2_org_no, lvl3_org_no, "
            "household_cnt, lon, lat")
    cols = [column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True), _BIZ_DT,
            column("grid_no", "VARCHAR", "网格号"), column("grid_name", "VARCHAR", "网格"),
            column("org_no", "VARCHAR", "所属机构号"), column("org_name", "VARCHAR", "所属机构"),
            column("household_cnt", "INTEGER", "网格户数", groupby=False),
            column("lon", "DOUBLE", "中心经度"), column("lat", "DOUBLE", "中心纬度"),
            *_PATH, *_RLS]
    metrics = [sum_metric("grid_households", "household_cnt", "网格户数", ",.0f",
                          "GRID.household_cnt 合计；所选机构下合计 = GRID_HH_CNT。")]
    return Dataset("grid_points", "网格点位（fct_grid_points，每个网格一行）", cols, metrics,
                   sql=expand_paths(base, keep))


def business_warnings() -> Dataset:
    """Business early warnings (issue 16, fct_business_warnings): one row per firing,
    repeated per ancestor path like the visits. The customer of a large outflow
    (subject_no) is left out: the panel counts and sums per org."""
    severity = _label_case("severity", {"critical": "严重", "warning": "关注", "info": "提示"})
    base = ("SELECT biz_date, rule_code, rule_name, severity, "
            f"{severity} AS severity_label, org_no, org_name, org_level, lvl2_org_no, "
            "lvl3_org_no, value, threshold, lvl2_org_name AS p2, lvl3_org_name AS p3, "
            "CASE WHEN org_level = 4 THEN org_name END AS p4 FROM fct_business_warnings")
    keep = ("biz_date, rule_code, rule_name, severity, severity_label, org_no, org_name, "
            "org_level, lvl2_org_no, lvl3_org_no, value, threshold")
    cols = [column("biz_date", "DATE", "业务日期（日期型）", is_dttm=True), _BIZ_DT,
            column("rule_code", "VARCHAR", "预警规则代码"),
            column("rule_name", "VARCHAR", "预警规则"),
            column("severity", "VARCHAR", "级别代码"), column("severity_label", "VARCHAR", "级别"),
            *_ORG_COLS, column("value", "DOUBLE", "指标值", groupby=False),
            column("threshold", "DOUBLE", "阈值", groupby=False), *_PATH, *_RLS]

    def agg(name: str, expr: str, verbose: str, desc: str) -> dict[str, Any]:
        return {"metric_name": name, "verbose_name": verbose, "metric_type": None,
                "expression": expr, "description": desc, "d3format": ",.4~f",
                "currency": None, "extra": {}, "warning_text": None}

    metrics = [
        agg("warning_cnt", "COUNT(*)", "预警条数",
            "触发次数（大额资金流出：户数）。"),
        agg("warning_value", "SUM(value)", "指标值",
            "规则的度量值：存款降幅（-0.062 = -6.2%）、不良率变动（0.006 = 0.6个百分点）、"
            "流出金额（元，按机构合计）、进入宽限期件数、无走访天数。"),
        agg("warning_threshold", "MAX(threshold)", "阈值", "种子表 warning_rules 的阈值。"),
    ]
    return Dataset("business_warnings", "经营预警（fct_business_warnings，每次触发一行）",
                   cols, metrics, sql=expand_paths(base, keep))


def detail_datasets() -> list[Dataset]:
    return [loan_five_class(), loan_class_migration(), policy_lapse_reasons(), visit_points(),
            mgr_scorecard(), incl_structure(), loan_product_quality(), policy_lapse_by_seller(),
            grid_points(), business_warnings()]

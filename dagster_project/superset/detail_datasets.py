"""Datasets over the dashboard detail tables of the serving layer (docs/marts.md).

Like the indicator facts, each is a physical table dbt built at leaf grain with the
row's own org path (no join, UNION or CASE in Superset); code labels (五级分类, 走访
类型, 岗位 …) are dbt columns. Their measures come from dictionary.yml ``measures``.
The five-class, product and inclusive-structure charts read the leaf indicator fact
itself (:func:`.datasets.indicator_leaf`): no separate rolled-up mart to disagree.
"""

from __future__ import annotations

from dagster_project.superset.datasets import (
    _COMMON,
    DATE_COLUMNS,
    MGR_COLUMNS,
    PATH_COLUMNS,
    RLS_COLUMNS,
    Dataset,
)
from dagster_project.superset.metrics import column, measures_of


def loan_migration() -> Dataset:
    cols = [*_COMMON,
            column("from_class", "VARCHAR", "上日分类代码"),
            column("to_class", "VARCHAR", "当日分类代码"),
            column("from_class_name", "VARCHAR", "上日分类"),
            column("to_class_name", "VARCHAR", "当日分类"),
            column("move_name", "VARCHAR", "迁移方向"),
            column("loan_cnt", "BIGINT", groupby=False),
            column("balance_cny", "DOUBLE", groupby=False)]
    return Dataset("srv_loan_migration",
                   "五级分类迁移（较上一加载日），每个业务日期、记账机构、迁移方向一行。",
                   cols, measures_of("srv_loan_migration"))


def visit_points() -> Dataset:
    cols = [*_COMMON, *MGR_COLUMNS,
            column("visit_id", "VARCHAR", "走访编号"),
            column("grid_no", "VARCHAR", "网格号"), column("grid_name", "VARCHAR", "网格"),
            column("lon", "DOUBLE", "经度"), column("lat", "DOUBLE", "纬度"),
            column("visit_type_name", "VARCHAR", "走访类型"),
            column("outcome_name", "VARCHAR", "走访结果"),
            column("is_converted", "BOOLEAN", "已转化（授信/用信）"),
            column("satisfaction", "INTEGER", "满意度")]
    return Dataset("srv_visit_points", "走访点位：每条走访一行（不含备注），走访客户经理当日机构。",
                   cols, measures_of("srv_visit_points"))


def grid_points() -> Dataset:
    cols = [*_COMMON,
            column("grid_no", "VARCHAR", "网格号"), column("grid_name", "VARCHAR", "网格"),
            column("household_cnt", "BIGINT", groupby=False),
            column("lon", "DOUBLE", "经度"), column("lat", "DOUBLE", "纬度")]
    return Dataset("srv_grid_points", "网格中心点位与户数：每个网格一行。",
                   cols, measures_of("srv_grid_points"))


def mgr_scorecard() -> Dataset:
    cols = [*DATE_COLUMNS, *MGR_COLUMNS,
            column("org_no", "VARCHAR", "所属机构号"),
            column("mgr_org_name", "VARCHAR", "所属机构"),
            column("org_level", "INTEGER", "机构层级"),
            *PATH_COLUMNS, *RLS_COLUMNS,
            column("post_type_name", "VARCHAR", "岗位"),
            column("indicator_code", "VARCHAR", "指标代码"),
            column("indicator_name", "VARCHAR", "考核指标"),
            *[column(c, "DOUBLE", groupby=False) for c in
              ("value", "target_value", "weight", "achievement", "score", "total_score")]]
    return Dataset("srv_mgr_scorecard", "客户经理考核：每个业务日期、客户经理、考核指标一行。",
                   cols, measures_of("srv_mgr_scorecard"))


def business_warnings() -> Dataset:
    cols = [*_COMMON,
            column("rule_code", "VARCHAR", "预警规则代码"),
            column("rule_name", "VARCHAR", "预警规则"),
            column("severity", "VARCHAR", "级别代码"),
            column("severity_name", "VARCHAR", "级别"),
            column("value", "DOUBLE", groupby=False),
            column("threshold", "DOUBLE", groupby=False),
            column("value_unit", "VARCHAR", "指标单位"),
            column("value_text", "VARCHAR", "预警指标值"),
            column("threshold_text", "VARCHAR", "预警阈值")]
    return Dataset("srv_business_warnings",
                   "经营预警（issue 16）：每次触发一行，规则、机构、指标值、阈值与级别。",
                   cols, measures_of("srv_business_warnings"))


def detail_datasets() -> list[Dataset]:
    return [loan_migration(), visit_points(), grid_points(), mgr_scorecard(),
            business_warnings()]

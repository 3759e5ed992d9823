"""Superset metrics generated from the indicator dictionary: the semantic layer.

STYLE.md: an indicator's meaning lives once, in ``dictionary.yml``. Each entry's
``aggregation`` says how a number may be regrouped, and the SQL here follows from
it, over the leaf-grain serving tables dbt builds (docs/marts.md "Serving tables"):

- additive: ``SUM`` of its parts;  ratio: a ratio of sums (NULL on a zero
  denominator, indicators.md "Ratios");  distinct: ``COUNT(DISTINCT cust_key)``;
- flag: the published flag of the one org of the dictionary's ``level`` in the
  group, NULL when the group is not exactly one such org.

So a chart of 不良贷款率 by 法人行社, by 支行, by manager, by product or by date gets
each group's own NPL_RATIO with no filter to know about. Two guards keep every
metric honest where no grouping can: balances do not add up across dates (a group
spanning several business dates gives NULL), and a change against a period start
that is not loaded is NULL, never 0 (indicators.md "Period starts").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster_project.indicators import (
    MONEY_SCALES,
    Grain,
    Indicator,
    Measure,
    load_dictionary,
    load_measures,
)

# A change against a period start needs that date loaded (flag on every fact row).
_PERIOD_FLAG = {"year": "ys_loaded", "month": "ms_loaded"}
_ONE_DATE = "MIN(biz_date) = MAX(biz_date)"
_AGGREGATION_ZH = {
    "additive": "可加指标：按任意维度（机构、客户经理、产品、五级分类、日期）分组"
                "均为各组自身的值。",
    "ratio": "比率指标：分子、分母分别求和后相除（比率之和无意义）；"
             "按任意维度分组均为各组自身的比率。",
    "distinct": "户数指标：按客户去重计数（不可把下级户数相加）；"
                "按任意维度分组均为各组自身的户数。",
    "flag": "判定指标：只对一个{level}有定义，其他分组（全省、支行、客户经理等）显示为空。",
}
LEVEL_ZH = {2: "法人行社", 3: "支行", 4: "网点"}


def indicators_for(grain: Grain) -> list[Indicator]:
    return [i for i in load_dictionary() if grain in i.grains]


def indicators_in(fact: str) -> list[Indicator]:
    return [i for i in load_dictionary() if i.fact == fact]


def value_sql(ind: Indicator) -> str:
    """The aggregate SQL of ``ind`` in its published unit (元, fraction, 户 …)."""
    if ind.aggregation == "flag":
        at = f"org_level = {ind.level}"
        expr = (f"CASE WHEN COUNT(*) FILTER (WHERE {at}) = 1 "
                f"THEN {ind.measure} FILTER (WHERE {at}) END")
    elif ind.aggregation == "ratio" and ind.over:
        expr = f"({ind.measure}) / NULLIF({ind.over}, 0)"
        if ind.offset:
            expr = f"{expr} {'+' if ind.offset > 0 else '-'} {abs(ind.offset)}"
    else:
        expr = ind.measure
    guards = [_ONE_DATE]
    if ind.period_start:
        guards.append(f"BOOL_AND({_PERIOD_FLAG[ind.period_start]})")
    return f"CASE WHEN {' AND '.join(guards)} THEN {expr} END"


@dataclass(frozen=True)
class MetricVariant:
    """One saved metric of an indicator: its value as shown in one unit."""

    indicator: Indicator
    scale: str  # 元 / 万元 / 亿元 for money; 元 (the published unit) otherwise
    percentage_points: bool = False

    @property
    def name(self) -> str:
        base = self.indicator.column_name
        if self.percentage_points:
            return base + "_pp"
        return base + {"元": "", "万元": "_wan", "亿元": "_yi"}[self.scale]

    @property
    def factor(self) -> float:
        """Shown value = published value × factor (what the property test checks)."""
        if self.percentage_points:
            return 100.0
        return 1 / MONEY_SCALES[self.scale]

    @property
    def expression(self) -> str:
        sql = value_sql(self.indicator)
        if self.percentage_points:
            return f"({sql}) * 100"
        if self.scale != "元":
            return f"({sql}) / {MONEY_SCALES[self.scale]}.0"
        return sql

    @property
    def title(self) -> str:
        ind = self.indicator
        if ind.display == "个百分点" and not self.percentage_points:
            return ind.name_zh  # the published fraction, shown as %
        return ind.title(self.scale)

    @property
    def d3format(self) -> str:
        ind = self.indicator
        if ind.display == "个百分点" and not self.percentage_points:
            return ind.format
        return ind.display_format(self.scale)


def variants(ind: Indicator) -> list[MetricVariant]:
    """The published value, plus 万元/亿元 for money and 个百分点 for a ratio change."""
    out = [MetricVariant(ind, "元")]
    if ind.is_money:
        out += [MetricVariant(ind, "万元"), MetricVariant(ind, "亿元")]
    if ind.display == "个百分点":
        out.append(MetricVariant(ind, "元", percentage_points=True))
    return out


def metric_variant(name: str) -> MetricVariant:
    """The variant behind a saved metric name (KeyError naming it when none)."""
    for ind in load_dictionary():
        for v in variants(ind):
            if v.name == name:
                return v
    raise KeyError(f"no dictionary metric named {name!r}")


def description_zh(ind: Indicator) -> str:
    text = f"{ind.name_zh}（{ind.code}，指标字典 v1）。" + _AGGREGATION_ZH[ind.aggregation].format(
        level=LEVEL_ZH.get(ind.level or 0, ""))
    if "mgr" not in ind.grains and ind.aggregation != "flag":
        text += "口径按机构归属；按客户经理分组没有定义。"
    if ind.period_start == "year":
        text += "上年末（12月31日）未加载时为空，不记为0。"
    if ind.period_start == "month":
        text += "上月末未加载时为空，不记为0。"
    return text + "跨多个业务日期汇总时为空（余额不能跨日相加）。"


def saved_metric(v: MetricVariant) -> dict[str, Any]:
    ind = v.indicator
    return {
        "metric_name": v.name,
        "verbose_name": v.title,
        "metric_type": None,
        "expression": v.expression,
        "description": description_zh(ind),
        "d3format": v.d3format,
        "currency": None,
        "extra": {"certification": {"certified_by": "指标字典 v1", "details": ind.code}},
        "warning_text": None,
    }


def metrics_in(fact: str) -> list[dict[str, Any]]:
    return [saved_metric(v) for i in indicators_in(fact) for v in variants(i)]


def measure_metric(m: Measure) -> dict[str, Any]:
    return {"metric_name": m.column_name, "verbose_name": m.title(), "metric_type": None,
            "expression": m.measure, "description": m.description, "d3format": m.format,
            "currency": None, "extra": {}, "warning_text": None}


def measures_of(table: str) -> list[dict[str, Any]]:
    """The dictionary's display measures of one serving table."""
    return [measure_metric(m) for m in load_measures() if m.table == table]


def column(name: str, type_: str, verbose: str | None = None, *, is_dttm: bool = False,
           expression: str | None = None, description: str | None = None,
           groupby: bool = True) -> dict[str, Any]:
    return {
        "column_name": name,
        "verbose_name": verbose,
        "is_dttm": is_dttm,
        "is_active": True,
        "type": type_,
        "advanced_data_type": None,
        "groupby": groupby,
        "filterable": True,
        "expression": expression,
        "description": description,
        "python_date_format": None,
        "extra": {},
    }

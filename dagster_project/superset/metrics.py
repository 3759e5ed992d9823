"""Superset metrics and columns generated from the indicator dictionary.

STYLE.md: an indicator's meaning lives once, in ``dictionary.yml``. The dataset
YAML in ``superset_assets/datasets/`` is written from here, so an analyst who
picks 不良贷款率 gets the dictionary's name, format and definition, and the
number is the published one: ``MAX(npl_ratio)`` over exactly one org/date row
(the dashboard filters select one row), never a formula of Superset's own.
"""

from __future__ import annotations

from typing import Any

from dagster_project.indicators import Grain, Indicator, load_dictionary

# Units shown after a figure's Chinese name in column lists (比率 shows as %).
_UNIT_SUFFIX = {"元": "（元）", "户": "（户）", "次": "（次）", "件": "（件）", "分": "（分）"}


def indicators_for(grain: Grain) -> list[Indicator]:
    return [i for i in load_dictionary() if grain in i.grains]


def metric_for(ind: Indicator) -> dict[str, Any]:
    """One saved metric: the published value of ``ind`` on the selected row."""
    return {
        "metric_name": ind.column_name,
        "verbose_name": ind.name_zh,
        "metric_type": None,
        # MAX, not SUM: the row is already the official figure; with the org and
        # date filters set there is exactly one row, and a grouped table (one row
        # per org or manager) gets each row's own value back.
        "expression": f"MAX({ind.column_name})",
        "description": f"{ind.code} {ind.name_en}. {ind.definition}",
        "d3format": ind.format,
        "currency": None,
        "extra": {"certification": {"certified_by": "指标字典 v1", "details": ind.code}},
        "warning_text": None,
    }


def metrics_for(grain: Grain) -> list[dict[str, Any]]:
    return [metric_for(i) for i in indicators_for(grain)]


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


def indicator_columns(grain: Grain) -> list[dict[str, Any]]:
    """The wide tables' value columns, one per code, named as in the dictionary."""
    return [
        column(i.column_name, "DOUBLE", i.name_zh + _UNIT_SUFFIX.get(i.unit, ""),
               description=i.definition, groupby=False)
        for i in indicators_for(grain)
    ]

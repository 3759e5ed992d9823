"""The indicator dictionary (指标字典): typed access to ``dictionary.yml``.

``dictionary.yml`` is the one place an indicator's meaning is written down
(STYLE.md, "one source of truth per fact"). Everything else that describes an
indicator — the ``indicator_dictionary`` seed/table, the dbt docs blocks, the
docs page and the Superset metrics — is generated from :func:`load_dictionary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

DICTIONARY_PATH = Path(__file__).with_name("dictionary.yml")

Grain = Literal["org", "mgr"]
Direction = Literal["good", "bad"]
Aggregation = Literal["additive", "ratio", "distinct", "flag"]
UNITS = ("元", "户", "次", "件", "比率", "分", "标志")
AGGREGATIONS = ("additive", "ratio", "distinct", "flag")
FACTS = ("leaf", "customer", "flags")
# Money as the bank reads it (issue 13): 亿元 at bank level and above, 万元 below.
MONEY_SCALES = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
# What each fact's metrics may be grouped by besides the org path and the date.
ORG_LEVEL_NAMES = {2: "法人行社", 3: "支行", 4: "网点"}
AREAS = ("deposit", "loan", "inclusive", "visit", "policy")
AREA_NAMES_ZH = {
    "deposit": "存款",
    "loan": "贷款与资产质量",
    "inclusive": "普惠金融",
    "visit": "走访",
    "policy": "保单失效",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator of indicators.md, as the dashboards and docs describe it."""

    code: str
    name_zh: str
    name_en: str
    area: str
    definition: str
    unit: str
    grains: tuple[Grain, ...]
    direction: Direction
    format: str
    aggregation: Aggregation
    fact: str
    measure: str
    over: str | None = None
    offset: int | None = None
    period_start: str | None = None
    level: int | None = None
    display: str | None = None

    @property
    def column_name(self) -> str:
        """Column of this indicator in the wide serving tables (lower-case code)."""
        return self.code.lower()

    @property
    def is_ratio(self) -> bool:
        return self.unit == "比率"

    @property
    def is_money(self) -> bool:
        return self.unit == "元"

    @property
    def regroupable(self) -> bool:
        """False for a flag: it judges one org and means nothing summed or regrouped."""
        return self.aggregation != "flag"

    def unit_label(self, scale: str = "元") -> str:
        """The unit shown after the name: （万元）, （个百分点）, （户）; none for a ratio."""
        if self.is_money:
            return scale
        if self.display:
            return self.display
        return "" if self.unit in ("比率", "标志") else self.unit

    def title(self, scale: str = "元") -> str:
        """A chart or column title: the dictionary name with its unit, e.g. 各项存款余额（亿元）."""
        unit = self.unit_label(scale)
        return f"{self.name_zh}（{unit}）" if unit else self.name_zh

    def display_format(self, scale: str = "元") -> str:
        """d3-format of the value as shown: money in 万元/亿元 with two decimals and no SI
        suffix (G/M mean nothing to a 行长), a ratio change in signed percentage points."""
        if self.is_money and scale != "元":
            return ",.2f"
        if self.display == "个百分点":
            return "+.2f"
        return self.format


def _parse(entry: dict[str, object]) -> Indicator:
    grains = tuple(entry["grains"])  # type: ignore[arg-type]
    ind = Indicator(
        code=str(entry["code"]),
        name_zh=str(entry["name_zh"]),
        name_en=str(entry["name_en"]),
        area=str(entry["area"]),
        definition=str(entry["definition"]),
        unit=str(entry["unit"]),
        grains=grains,  # type: ignore[arg-type]
        direction=entry["direction"],  # type: ignore[arg-type]
        format=str(entry["format"]),
        aggregation=entry.get("aggregation"),  # type: ignore[arg-type]
        fact=str(entry.get("fact")),
        measure=str(entry.get("measure")),
        over=entry.get("over"),  # type: ignore[arg-type]
        offset=entry.get("offset"),  # type: ignore[arg-type]
        period_start=entry.get("period_start"),  # type: ignore[arg-type]
        level=entry.get("level"),  # type: ignore[arg-type]
        display=entry.get("display"),  # type: ignore[arg-type]
    )
    problems = []
    if ind.unit not in UNITS:
        problems.append(f"unit {ind.unit!r} not in {UNITS}")
    if ind.area not in AREAS:
        problems.append(f"area {ind.area!r} not in {AREAS}")
    if not grains or any(g not in ("org", "mgr") for g in grains):
        problems.append(f"grains {grains!r} must be a non-empty subset of org, mgr")
    if ind.direction not in ("good", "bad"):
        problems.append(f"direction {ind.direction!r} must be good or bad")
    if ind.aggregation not in AGGREGATIONS:
        problems.append(f"aggregation {ind.aggregation!r} not in {AGGREGATIONS}")
    if ind.fact not in FACTS:
        problems.append(f"fact {ind.fact!r} not in {FACTS}")
    if ind.aggregation == "ratio" and not ind.over and " / " not in ind.measure:
        problems.append("a ratio needs `over` (its denominator) or a measure that divides")
    if ind.aggregation != "ratio" and (ind.over or ind.offset is not None):
        problems.append("only a ratio has `over` / `offset`")
    if (ind.aggregation == "flag") != (ind.level is not None):
        problems.append("a flag, and only a flag, names the org `level` it is defined at")
    if (ind.aggregation == "flag") != (ind.fact == "flags"):
        problems.append("a flag lives in the flags fact, and only a flag does")
    if ind.aggregation == "flag" and "mgr" in grains:
        problems.append("a flag judges an org: it has no manager grain")
    if ind.period_start not in (None, "year", "month"):
        problems.append(f"period_start {ind.period_start!r} must be year or month")
    if ind.display not in (None, "个百分点"):
        problems.append(f"display {ind.display!r} must be 个百分点 or absent")
    if problems:
        raise ValueError(f"dictionary.yml entry {ind.code}: " + "; ".join(problems))
    return ind


@lru_cache(maxsize=4)
def load_dictionary(path: Path = DICTIONARY_PATH) -> tuple[Indicator, ...]:
    """All indicators, in dictionary order (grouped by area as in indicators.md)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = tuple(_parse(e) for e in data["indicators"])
    codes = [i.code for i in items]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValueError(f"dictionary.yml: duplicate codes {dupes}")
    return items


@dataclass(frozen=True)
class Measure:
    """A display measure of a detail table (dictionary.yml ``measures``): not an
    indicator, but named, unit-ed and formatted in the same one place."""

    code: str
    name_zh: str
    unit: str
    format: str
    table: str
    measure: str
    description: str

    @property
    def column_name(self) -> str:
        return self.code.lower()

    def title(self, scale: str = "元") -> str:
        unit = scale if self.unit == "元" else ("" if self.unit in ("比率", "值") else self.unit)
        return f"{self.name_zh}（{unit}）" if unit else self.name_zh


@lru_cache(maxsize=4)
def load_measures(path: Path = DICTIONARY_PATH) -> tuple[Measure, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Measure(**{k: str(v) for k, v in e.items()}) for e in data.get("measures", []))


def indicator(code: str, path: Path = DICTIONARY_PATH) -> Indicator:
    """The dictionary entry of ``code`` (KeyError naming it when there is none)."""
    for ind in load_dictionary(path):
        if ind.code == code:
            return ind
    raise KeyError(f"{code} is not in {path.name}")


def codes_for_grain(grain: Grain, path: Path = DICTIONARY_PATH) -> list[str]:
    """Indicator codes published at ``grain`` (org or mgr), in dictionary order."""
    return [i.code for i in load_dictionary(path) if grain in i.grains]


__all__ = [
    "AGGREGATIONS",
    "AREA_NAMES_ZH",
    "MONEY_SCALES",
    "ORG_LEVEL_NAMES",
    "DICTIONARY_PATH",
    "Indicator",
    "codes_for_grain",
    "indicator",
    "load_measures",
    "load_dictionary",
]

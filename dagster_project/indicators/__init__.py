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
UNITS = ("元", "户", "次", "件", "比率", "分", "标志")
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

    @property
    def column_name(self) -> str:
        """Column of this indicator in the wide serving tables (lower-case code)."""
        return self.code.lower()

    @property
    def is_ratio(self) -> bool:
        return self.unit == "比率"


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


def codes_for_grain(grain: Grain, path: Path = DICTIONARY_PATH) -> list[str]:
    """Indicator codes published at ``grain`` (org or mgr), in dictionary order."""
    return [i.code for i in load_dictionary(path) if grain in i.grains]


__all__ = [
    "AREA_NAMES_ZH",
    "DICTIONARY_PATH",
    "Indicator",
    "codes_for_grain",
    "load_dictionary",
]

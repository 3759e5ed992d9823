"""Every dbt YAML unit test (given rows in, expected rows out: jaffle-shop's way of
testing one indicator rule) passes. The night's ``dbt build`` leaves them out
(assets/dbt.py ``build_invocation``), so this is where they run: on a copy of the session's
published tiny warehouse, whose relations give dbt the input column types."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dagster_project.dbt_build import DBT_PROJECT_DIR, dbt_args, run_dbt
from dagster_project.settings import Settings

pytestmark = [pytest.mark.slow]


def declared_unit_tests() -> set[str]:
    names: set[str] = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= {t["name"] for t in doc.get("unit_tests") or []}
    return names


def test_every_declared_dbt_unit_test_runs_and_passes(tiny_home: Path, tmp_path: Path) -> None:
    shutil.copy(tiny_home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    s = Settings(home=tmp_path)
    res = run_dbt(s, dbt_args(s, "test", select="test_type:unit"))
    outcomes = {r.node.name: str(r.status) for r in res.result}  # type: ignore[attr-defined]
    declared = declared_unit_tests()
    assert set(outcomes) == declared
    # the business warnings' (issue 16): 5 cases cover the 7 rules of the seed, and
    # one works the panel's text in each rule's unit
    assert len({n for n in declared if n.startswith("warning_")}) == 5
    assert "panel_values_read_in_each_rules_unit" in declared
    assert set(outcomes.values()) == {"pass"}, outcomes


def test_the_nightly_build_leaves_the_unit_tests_out() -> None:
    from datetime import date

    from dagster_project.assets.dbt import BuildWindow, build_invocation

    args, _ = build_invocation(BuildWindow(date(2025, 12, 30), date(2025, 12, 31)))
    assert args[:3] == ["build", "--exclude-resource-type", "unit_test"]

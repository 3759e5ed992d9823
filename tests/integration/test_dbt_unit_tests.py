"""Every dbt YAML unit test (given rows in, expected rows out: jaffle-shop's way of
testing one indicator rule) passes. The night's ``dbt build`` leaves them out
(assets/dbt.py ``build_invocation``), so this is where they run: on a copy of the session's
published tiny warehouse, whose relations give dbt the input column types. Also here,
on another copy of it: a singular data test given planted faults."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.dbt_build import DBT_PROJECT_DIR, dbt_args, run_dbt, window_env
from dagster_project.generator.api import TINY_DAYS, TINY_START
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


COVER = "assert_customer_ops_cover_every_customer"


def test_the_coverage_test_names_each_missing_or_extra_row(tiny_home: Path,
                                                            tmp_path: Path) -> None:
    """customer-ops.md §2 and §5: a profile for every customer on D and no other, a
    pre-credit row for every one of type 1 or 3 and no other. The data test passes on the
    published tiny warehouse, and on a copy with five faults planted on its last date it
    returns exactly the eight rows they make, each with its problem."""
    last = TINY_START + timedelta(days=TINY_DAYS - 1)
    shutil.copy(tiny_home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    s = Settings(home=tmp_path)

    def run_test() -> tuple[str, list[tuple[str, str]]]:
        res = run_dbt(s, dbt_args(s, "test", select=COVER), window_env(test_from_date=last))
        (result,) = res.result  # type: ignore[attr-defined]
        compiled = result.node.compiled_code
        with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
            rows = con.execute(f"select cust_no, problem from ({compiled}) order by all").fetchall()
        return str(result.status), rows

    assert run_test() == ("pass", [])

    with duckdb.connect(str(s.warehouse_path)) as con:
        profiled = "intermediate.int_customers_profiled"
        a, b, c, d = (row[0] for row in con.execute(
            f"select cust_no from {profiled} where biz_date = ? and cust_type = '1' "
            "order by cust_no limit 4", [last]).fetchall())
        con.execute(f"delete from {profiled} where biz_date = ? and cust_no = ?", [last, a])
        con.execute("delete from marts.precredit where biz_date = ? and cust_no = ?", [last, b])
        con.execute(f"update {profiled} set cust_type = '2' where biz_date = ? and cust_no = ?",
                    [last, c])
        con.execute(f"insert into {profiled} select * replace ('ZZ_GHOST' as cust_no) "
                    f"from {profiled} where biz_date = ? and cust_no = ?", [last, d])
        con.execute("insert into marts.precredit select * replace ('ZZ_FAKE' as cust_no) "
                    "from marts.precredit where biz_date = ? and cust_no = ?", [last, d])

    other = "pre-credit of no customer of type 1 or 3"
    assert run_test() == ("fail", sorted([
        (a, "no profile"), (a, other),  # its pre-credit row is left without a profile
        (b, "no pre-credit"),
        (c, "profile of another customer type"), (c, other),
        ("ZZ_FAKE", other),
        ("ZZ_GHOST", "profile of no customer"), ("ZZ_GHOST", "no pre-credit"),
    ]))

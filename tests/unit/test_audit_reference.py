"""The audit's bounds hold on a store computed independently from generated data.

The reference implementation of indicators.md (tests/reference) computes the
store of a generated ``tiny`` province; the gate must pass it (a bound that
good data can break would block a correct morning) and must catch a defect
planted in it. The window crosses a month end, so changes and period starts
are exercised; it avoids the year end, where the tiny province's 时点冲存
moves deposits by more than 30 % a day on purpose (the gate is right to stop
that for an explanation).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dagster_project import contract
from dagster_project.audit import audit
from dagster_project.generator.api import generate
from dagster_project.settings import Settings
from tests.reference.indicators import compute_store, load_landing

START, DAYS = "2026-05-28", 6


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("audit_reference")
    generate(root / "landing", "tiny", START, DAYS)
    deliveries = load_landing(root / "landing")
    org, mgr = compute_store(deliveries)
    path = root / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create schema marts")
        for name in ("ORG_INFO", "CUST_MGR", "GL_BAL", "FX_RATE"):
            table = contract.TABLES_BY_NAME[name]
            con.execute(contract.raw_ddl(table))
            frame = pl.concat([
                t[name].with_columns(pl.lit(d).alias("biz_date"))
                .select(["biz_date", *table.column_names])
                for d, t in deliveries.items()
            ])
            con.register("frame", frame.to_arrow())
            con.execute(f"insert into raw.{table.raw_table} select * from frame")
            con.unregister("frame")
        for name, frame in (("indicator_value", org), ("mgr_indicator_value", mgr)):
            con.register("frame", frame.to_arrow())
            con.execute(f"create table marts.{name} as select * from frame")
            con.unregister("frame")
    return path


def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, audit_dep_move_max=0.3, audit_dep_move_min_amount=0.0)


def test_reference_store_passes_the_gate(warehouse: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        dates = [r[0] for r in con.execute(
            "select distinct biz_date from marts.indicator_value order by 1").fetchall()]
        assert len(dates) == DAYS and dates[0] == date(2026, 5, 28)
        result = audit(con, dates, settings(tmp_path))
    assert result.reason() == ""
    assert result.passed


def test_planted_defect_in_reference_store_is_caught(warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        # a level-4 outlet's ratio computed on the wrong denominator
        org_no = con.execute("select org_no from raw.org_info where org_level = 4 "
                             "and status = '1' order by org_no limit 1").fetchone()[0]
        con.execute("update marts.indicator_value set value = 1.25 where org_no = ? "
                    "and biz_date = date '2026-06-01' and indicator_code = 'LAPSE_RATE'",
                    [org_no])
        result = audit(con, [date(2026, 6, 1)], settings(tmp_path))
    assert [(c.check_name, c.detail) for c in result.blocking_failures] == [
        ("value_bounds_org",
         f"1 values out of bounds: LAPSE_RATE=1.25 at org_no {org_no} (above 1.0)")]

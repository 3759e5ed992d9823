"""Great Expectations on the marts (audit/marts_quality.py) on tiny hand-built stores.

A clean store (every dictionary code for two orgs and two managers on two dates)
passes every check; each test then plants one defect and asserts the exact check
that fails on the exact date, with counts (not values) in the detail.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.audit import CHECK_NAMES_ZH, CheckResult, Store
from dagster_project.audit.marts_quality import check_names, marts_expectations
from dagster_project.indicators import codes_for_grain

D1, D2 = date(2026, 1, 1), date(2026, 1, 2)
ORGS = ["330101000001", "330101000002"]
MGRS = ["M0001", "M0002"]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    c.execute("create schema marts")
    c.execute("create table marts.indicator_value (biz_date date, org_no varchar, "
              "indicator_code varchar, value double)")
    c.execute("create table marts.mgr_indicator_value (biz_date date, mgr_no varchar, "
              "indicator_code varchar, value double)")
    for d in (D1, D2):
        c.executemany("insert into marts.indicator_value values (?, ?, ?, ?)",
                      [(d, o, code, 1.0) for o in ORGS for code in codes_for_grain("org")])
        c.executemany("insert into marts.mgr_indicator_value values (?, ?, ?, ?)",
                      [(d, m, code, 2.0) for m in MGRS for code in codes_for_grain("mgr")])
    # a missing value (e.g. a ratio over zero) is allowed
    c.execute("update marts.indicator_value set value = null where org_no = ?", [ORGS[1]])
    yield c
    c.close()


def failures(results: list[CheckResult]) -> set[tuple[str, date | None]]:
    return {(r.check_name, r.biz_date) for r in results if not r.passed}


def one(results: list[CheckResult], name: str, d: date) -> CheckResult:
    [r] = [r for r in results if r.check_name == name and r.biz_date == d]
    return r


def test_clean_store_passes(con: duckdb.DuckDBPyConnection) -> None:
    results = marts_expectations(con, [D1, D2])
    names = check_names("org") + check_names("mgr")
    assert len(results) == 2 * len(names)
    assert {r.check_name for r in results} == set(names)
    assert all(n.startswith("ge_marts_") and n in CHECK_NAMES_ZH for n in names)
    assert all(r.passed and r.blocking for r in results), failures(results)


def test_unknown_code_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("insert into marts.mgr_indicator_value values (?, ?, 'NOT_A_CODE', 1.0)",
                [D2, MGRS[0]])
    # an org-only code at manager grain is unknown there too
    org_only = sorted(set(codes_for_grain("org")) - set(codes_for_grain("mgr")))
    if org_only:
        con.execute("insert into marts.mgr_indicator_value values (?, ?, ?, 1.0)",
                    [D2, MGRS[1], org_only[0]])
    results = marts_expectations(con, [D1, D2])
    assert failures(results) == {("ge_marts_mgr_code_in_dictionary", D2)}
    r = one(results, "ge_marts_mgr_code_in_dictionary", D2)
    assert r.blocking and "NOT_A_CODE" not in r.detail
    assert r.detail.startswith(f"{1 + bool(org_only)} of ")


def test_duplicate_key_fails(con: duckdb.DuckDBPyConnection) -> None:
    code = codes_for_grain("org")[0]
    con.execute("insert into marts.indicator_value values (?, ?, ?, 99.0)", [D1, ORGS[0], code])
    results = marts_expectations(con, [D1, D2])
    assert failures(results) == {("ge_marts_org_unique_key", D1)}
    assert "99" not in one(results, "ge_marts_org_unique_key", D1).detail


def test_null_key_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("update marts.indicator_value set org_no = null "
                "where biz_date = ? and org_no = ? and indicator_code = ?",
                [D2, ORGS[0], codes_for_grain("org")[0]])
    con.execute("update marts.mgr_indicator_value set indicator_code = null "
                "where biz_date = ? and mgr_no = ? and indicator_code = ?",
                [D1, MGRS[0], codes_for_grain("mgr")[0]])
    results = marts_expectations(con, [D1, D2])
    assert failures(results) == {("ge_marts_org_not_null_org_no", D2),
                                 ("ge_marts_mgr_not_null_indicator_code", D1)}
    assert one(results, "ge_marts_org_not_null_org_no", D2).detail.startswith("1 of ")


def test_null_date_blocks_every_date(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("insert into marts.indicator_value values (null, ?, ?, 1.0)",
                [ORGS[0], codes_for_grain("org")[0]])
    results = marts_expectations(con, [D1, D2])
    assert failures(results) == {("ge_marts_org_not_null_biz_date", D1),
                                 ("ge_marts_org_not_null_biz_date", D2)}


def test_nan_and_inf_fail_but_null_passes(con: duckdb.DuckDBPyConnection) -> None:
    codes = codes_for_grain("org")
    con.execute("update marts.indicator_value set value = 'nan'::double "
                "where biz_date = ? and org_no = ? and indicator_code = ?", [D1, ORGS[0], codes[0]])
    con.execute("update marts.indicator_value set value = 'inf'::double "
                "where biz_date = ? and org_no = ? and indicator_code = ?", [D1, ORGS[0], codes[1]])
    results = marts_expectations(con, [D1, D2])
    assert failures(results) == {("ge_marts_org_value_finite", D1)}
    assert one(results, "ge_marts_org_value_finite", D1).detail.startswith("2 of ")


def test_empty_date_fails_row_count_and_store_is_honoured(
        con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema other")
    con.execute("create table other.org as from marts.indicator_value where biz_date = ?", [D1])
    con.execute("create table other.mgr as from marts.mgr_indicator_value")
    results = marts_expectations(con, [D1, D2], Store("other.org", "other.mgr"))
    assert failures(results) == {("ge_marts_org_row_count", D2)}
    assert one(results, "ge_marts_org_row_count", D2).detail == "0 rows, expected at least 1"

"""The audit gate (issue 7) on small, hand-built warehouse files.

Each test starts from a store that is complete and within every definition's
bounds (checked: the clean store passes), plants one defect, and asserts the
exact check, date and detail the gate reports. Shapes of the store follow
indicators.md "The published indicator store"; raw tables use contract.raw_ddl.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project import contract
from dagster_project.audit import CheckResult, Store, audit
from dagster_project.audit.bounds import BOUNDS, UNBOUNDED
from dagster_project.indicators import codes_for_grain
from dagster_project.settings import Settings

D1, D2 = date(2026, 1, 1), date(2026, 1, 2)
PROVINCE, BANK, OUTLET, CLOSED = "330000000001", "330100000001", "330101000001", "330101000099"
ORGS = [  # org_no, level, parent, status
    (PROVINCE, 1, None, "1"),
    (BANK, 2, PROVINCE, "1"),
    (OUTLET, 4, BANK, "1"),
    (CLOSED, 4, BANK, "0"),  # 撤并: must have no rows in the store
]
MGRS = [("M0001", OUTLET, "1"), ("M0002", OUTLET, "1"), ("M0003", OUTLET, "0")]
NOW = datetime(2026, 1, 3, 6, 0)  # Beijing time, the morning after D2

# In-bounds values by kind; DEP_BAL moves 10% from D1 to D2, well below 30%.
SPECIAL = {"DEP_BAL": {D1: 100_000_000.0, D2: 110_000_000.0}, "NPL_RATIO": 0.02,
           "INCL_NPL_RATIO": 0.03, "VISIT_SATIS_MTD": 4.2, "TWO_INCREASE_MET": 1.0,
           "NPL_RATIO_YTD_CHG": -0.001, "INCL_CUST_YTD_CHG": -3.0, "LOAN_GROWTH_YTD": 0.05,
           "INCL_GROWTH_YTD": 0.08, "NPL_DEVIATION": 0.8, "GRID_CREDIT_COVERAGE": 0.6,
           "VISIT_PER_MGR_MTD": 12.5}


def clean_value(code: str, d: date) -> float:
    if code in SPECIAL:
        v = SPECIAL[code]
        return v[d] if isinstance(v, dict) else v
    if code in UNBOUNDED:
        return -5000.0
    b = BOUNDS[code]
    if b.hi == 1.0:
        return 0.25
    return 10.0 if b.integral else 1_000_000.0


def build_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute(contract.raw_ddl(contract.TABLES_BY_NAME["ORG_INFO"]))
    con.execute(contract.raw_ddl(contract.TABLES_BY_NAME["CUST_MGR"]))
    # where dbt builds the store (publish.py copies marts.indicator_value from there)
    con.execute("create schema marts")
    con.execute("create table marts.indicator_value (biz_date date, org_no varchar, "
                "indicator_code varchar, value double)")
    con.execute("create table marts.mgr_indicator_value (biz_date date, mgr_no varchar, "
                "indicator_code varchar, value double)")
    for d in (D1, D2):
        for org_no, level, parent, status in ORGS:
            con.execute("insert into raw.org_info values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [d, org_no, "机构", level, parent, BANK if level > 1 else None,
                         "330102", status, date(2000, 1, 1)])
            if status == "1":
                con.executemany("insert into marts.indicator_value values (?, ?, ?, ?)",
                                [(d, org_no, c, clean_value(c, d))
                                 for c in codes_for_grain("org")])
        for mgr_no, org_no, status in MGRS:
            con.execute("insert into raw.cust_mgr values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [d, mgr_no, "经理", org_no, "3", status, date(2020, 1, 1), "hash"])
            if status == "1":
                con.executemany("insert into marts.mgr_indicator_value values (?, ?, ?, ?)",
                                [(d, mgr_no, c, clean_value(c, d))
                                 for c in codes_for_grain("mgr")])
    # 账账核对: the bank's ledger agrees with its published DEP_BAL and LOAN_BAL, with a
    # USD line so the conversion at the date's FX_RATE is part of it:
    # D1 93,000,000 + 1,000,000 USD x 7 = 100,000,000; D2 103,000,000 + 7,000,000 = 110,000,000.
    con.execute(contract.raw_ddl(contract.TABLES_BY_NAME["GL_BAL"]))
    con.execute(contract.raw_ddl(contract.TABLES_BY_NAME["FX_RATE"]))
    for d, cny_deposits in ((D1, 93_000_000), (D2, 103_000_000)):
        con.executemany("insert into raw.gl_bal values (?, ?, ?, ?, ?)", [
            (d, BANK, "20110101", "CNY", cny_deposits),
            (d, BANK, "20110201", "USD", 1_000_000),
            (d, BANK, "13030101", "CNY", clean_value("LOAN_BAL", d)),
        ])
        con.executemany("insert into raw.fx_rate values (?, ?, ?)",
                        [(d, "CNY", 1), (d, "USD", 7)])
    # 预授信 (customer-ops.md §5): the seed's cap as dbt loads it, and per date one
    # admitted customer with a limit at the cap and one rejected without a limit
    con.execute("create schema ref")
    con.execute("create table ref.precredit_parameters (parameter varchar, code varchar, "
                "lower_bound double, is_lower_bound_inclusive integer, value double, "
                "comment varchar)")
    con.execute("insert into ref.precredit_parameters values "
                "('LIMIT_CAP', null, null, null, 300000, 'cap'), "
                "('SCORE_MIN', null, null, null, 40, 'low score')")
    con.execute("create table marts.precredit (biz_date date, cust_no varchar, "
                "admitted boolean, reject_reason varchar, score integer, limit_amt double)")
    for d in (D1, D2):
        con.executemany("insert into marts.precredit values (?, ?, ?, ?, ?, ?)", [
            (d, "C001", True, None, 100, 300_000.0),
            (d, "C002", False, "LOW_SCORE", 30, None),
        ])
    return con


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    build_warehouse(path).close()
    return path


@pytest.fixture
def con(template: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # each test gets its own copy of one clean warehouse file (building it is the slow part)
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(template, path)
    c = duckdb.connect(str(path))
    yield c
    c.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # explicit values so a developer's PUHUI_* environment cannot change the outcome
    return Settings(home=tmp_path, audit_dep_move_max=0.3, audit_dep_move_min_amount=0.0,
                    audit_incl_npl_tolerance=0.03, audit_incl_npl_max_level=2)


def set_value(con: duckdb.DuckDBPyConnection, d: date, org_no: str, code: str,
              value: float | None, table: str = "marts.indicator_value",
              key: str = "org_no") -> None:
    n = con.execute(f"update {table} set value = ? where biz_date = ? and {key} = ? "
                    "and indicator_code = ? returning 1", [value, d, org_no, code]).fetchall()
    assert len(n) == 1


def set_bank_deposits(con: duckdb.DuckDBPyConnection, d: date, value: float) -> None:
    """Move the bank's deposits in the store and in its ledger alike (the USD line stays
    7,000,000 yuan), as a real move does: only the rule under test may object."""
    set_value(con, d, BANK, "DEP_BAL", value)
    con.execute("update raw.gl_bal set balance = ? where biz_date = ? and org_no = ? "
                "and subject_code = '20110101'", [value - 7_000_000, d, BANK])


def check(result, name: str, d: date) -> CheckResult:  # type: ignore[no-untyped-def]
    [c] = [c for c in result.checks if c.check_name == name and c.biz_date == d]
    return c


def failed(result) -> set[tuple[str, date]]:  # type: ignore[no-untyped-def]
    return {(c.check_name, c.biz_date) for c in result.checks if not c.passed}


# --- the clean store -----------------------------------------------------------------


def test_settings_defaults() -> None:
    defaults = Settings.model_fields
    assert defaults["audit_dep_move_max"].default == 0.5
    assert defaults["audit_incl_npl_tolerance"].default == 0.03


def test_bounds_cover_every_dictionary_code_once() -> None:
    every = set(codes_for_grain("org")) | set(codes_for_grain("mgr"))
    assert set(BOUNDS) | UNBOUNDED == every
    assert not set(BOUNDS) & UNBOUNDED


def test_clean_store_passes_every_rule_and_is_logged(con, settings) -> None:
    result = audit(con, [D2, D1], settings, now=NOW)
    assert result.passed and not result.warnings
    assert result.biz_dates == (D1, D2)
    names = {"value_bounds_org", "value_bounds_mgr", "completeness_org", "completeness_mgr",
             "dep_bal_day_move", "incl_npl_tolerance", "gl_reconciliation", "precredit_limits"}
    assert {c.check_name for c in result.checks} == names
    log = con.execute("select run_id, biz_date, check_name, passed, checked_at "
                      "from meta.audit_log order by biz_date, check_name").fetchall()
    assert len(log) == 16  # 8 rules × 2 dates
    assert {r[0] for r in log} == {result.run_id}
    assert all(r[3] for r in log)
    assert {r[4] for r in log} == {NOW}
    # no D0 in the store: nothing to compare D1 with
    assert check(result, "dep_bal_day_move", D1).detail == "ok"


# --- value bounds ------------------------------------------------------------------

SHARES = ["NPL_RATIO", "OVD_RATIO", "INCL_SHARE", "INCL_NPL_RATIO", "CREDIT_USE_RATE",
          "VISIT_CONV_MTD", "LAPSE_RATE", "LAPSE_RATE_PREM", "LAPSE_FOLLOWUP_RATE"]


@pytest.mark.parametrize("code", SHARES)
def test_share_of_a_whole_above_one_blocks(con, settings, code: str) -> None:
    set_value(con, D2, OUTLET, code, 1.2)
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("value_bounds_org", D2)}
    assert check(result, "value_bounds_org", D2).detail == (
        f"1 values out of bounds: {code}=1.2 at org_no {OUTLET} (above 1.0)")
    assert not result.passed and result.blocked_dates == (D2,)


@pytest.mark.parametrize("code", ["NPL_DEVIATION", "GRID_CREDIT_COVERAGE"])
def test_deviation_and_grid_coverage_may_exceed_one(con, settings, code: str) -> None:
    set_value(con, D2, OUTLET, code, 1.7)
    assert audit(con, [D2], settings, now=NOW).passed
    set_value(con, D2, OUTLET, code, -0.1)
    assert failed(audit(con, [D2], settings, now=NOW)) == {("value_bounds_org", D2)}


def test_negative_balance_blocks_but_negative_change_does_not(con, settings) -> None:
    set_value(con, D2, BANK, "DEP_BAL_YTD_CHG", -900_000_000.0)
    set_value(con, D2, BANK, "INCL_GROWTH_YTD", -0.4)
    assert audit(con, [D2], settings, now=NOW).passed
    set_value(con, D2, BANK, "DEP_BAL_PERSONAL", -0.01)
    result = audit(con, [D2], settings, now=NOW)
    assert check(result, "value_bounds_org", D2).detail == (
        f"1 values out of bounds: DEP_BAL_PERSONAL=-0.01 at org_no {BANK} (below 0.0)")


def test_null_sum_blocks_but_null_ratio_is_undefined_not_wrong(con, settings) -> None:
    set_value(con, D2, OUTLET, "NPL_RATIO", None)  # LOAN_BAL 0: ratio NULL per General rules
    set_value(con, D2, OUTLET, "DEP_BAL_YTD_CHG", None)  # year start not loaded
    assert audit(con, [D2], settings, now=NOW).passed
    set_value(con, D2, OUTLET, "LOAN_BAL", None)  # an empty sum is 0, never NULL
    result = audit(con, [D2], settings, now=NOW)
    assert check(result, "value_bounds_org", D2).detail == (
        f"1 values out of bounds: LOAN_BAL=NULL at org_no {OUTLET} (NULL)")


def test_count_must_be_whole_and_values_finite(con, settings) -> None:
    set_value(con, D2, OUTLET, "INCL_CUST_CNT", 2.5)
    set_value(con, D2, OUTLET, "SM_BAL", float("nan"))
    result = audit(con, [D2], settings, now=NOW)
    assert check(result, "value_bounds_org", D2).detail == (
        "2 values out of bounds: "
        f"INCL_CUST_CNT=2.5 at org_no {OUTLET} (not whole); "
        f"SM_BAL=nan at org_no {OUTLET} (not finite)")


def test_float_noise_at_a_bound_is_not_a_breach(con, settings) -> None:
    set_value(con, D2, OUTLET, "NPL_RATIO", 1.0 + 1e-12)
    set_value(con, D2, OUTLET, "VISIT_CNT_D", 7.0000000000001)
    assert audit(con, [D2], settings, now=NOW).passed


def test_manager_grain_bounds(con, settings) -> None:
    set_value(con, D1, "M0002", "VISIT_CONV_MTD", -0.5, "marts.mgr_indicator_value", "mgr_no")
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("value_bounds_mgr", D1)}
    assert check(result, "value_bounds_mgr", D1).detail == (
        "1 values out of bounds: VISIT_CONV_MTD=-0.5 at mgr_no M0002 (below 0.0)")


def test_detail_quotes_at_most_five_offenders(con, settings) -> None:
    for code in SHARES[:7]:
        set_value(con, D2, BANK, code, 2.0)
    detail = check(audit(con, [D2], settings, now=NOW), "value_bounds_org", D2).detail
    assert detail.startswith("7 values out of bounds (first 5): ")
    assert detail.count("at org_no") == 5


# --- DEP_BAL day-over-day move -------------------------------------------------------


def test_deposit_move_over_30_percent_blocks(con, settings) -> None:
    set_bank_deposits(con, D1, 100_000_000.0)
    set_bank_deposits(con, D2, 131_000_000.0)  # +31%
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("dep_bal_day_move", D2)}
    assert check(result, "dep_bal_day_move", D2).detail == (
        "1 orgs with DEP_BAL moving more than 30% day over day, unexplained: "
        f"org {BANK} DEP_BAL 100000000.00 -> 131000000.00 (+31.0%)")


@pytest.mark.parametrize(("d2_value", "passes"), [
    (129_000_000.0, True),  # +29%
    (130_000_000.0, True),  # exactly 30% is not "more than"
    (69_000_000.0, False),  # −31%: falls count as much as rises
    (71_000_000.0, True),
])
def test_deposit_move_threshold(con, settings, d2_value: float, passes: bool) -> None:
    set_bank_deposits(con, D2, d2_value)
    assert check(audit(con, [D2], settings, now=NOW), "dep_bal_day_move", D2).passed is passes


def test_deposit_move_threshold_and_floor_come_from_settings(con, settings) -> None:
    set_bank_deposits(con, D2, 140_000_000.0)  # +40%
    assert not audit(con, [D2], settings, now=NOW).passed
    assert audit(con, [D2], settings.model_copy(update={"audit_dep_move_max": 0.5}),
                 now=NOW).passed
    # a 40,000,000 yuan move is under a 50,000,000 floor
    assert audit(con, [D2], settings.model_copy(
        update={"audit_dep_move_min_amount": 50_000_000.0}), now=NOW).passed


def test_deposits_from_zero_count_as_an_unbounded_move(con, settings) -> None:
    set_value(con, D1, OUTLET, "DEP_BAL", 0.0)
    set_value(con, D2, OUTLET, "DEP_BAL", 5_000.0)
    detail = check(audit(con, [D2], settings, now=NOW), "dep_bal_day_move", D2).detail
    assert detail.endswith(f"org {OUTLET} DEP_BAL 0.00 -> 5000.00 (inf)")


def test_explanation_lets_the_move_pass_and_only_that_one(con, settings) -> None:
    set_bank_deposits(con, D2, 150_000_000.0)
    set_value(con, D2, OUTLET, "DEP_BAL", 150_000_000.0)
    audit(con, [D2], settings, now=NOW)  # creates meta.audit_explanation
    con.execute("insert into meta.audit_explanation values (?, ?, ?, ?, ?)",
                [D2, BANK, "dep_bal_day_move", "财政专户季末划入", "E1024"])
    con.execute("insert into meta.audit_explanation values (?, ?, ?, ?, ?)",
                [D1, OUTLET, "dep_bal_day_move", "wrong date", "E1024"])
    c = check(audit(con, [D2], settings, now=NOW), "dep_bal_day_move", D2)
    assert not c.passed
    assert c.detail.endswith(f"org {OUTLET} DEP_BAL 100000000.00 -> 150000000.00 (+50.0%)")
    assert c.detail.startswith("1 orgs")

    con.execute("insert into meta.audit_explanation values (?, ?, ?, ?, ?)",
                [D2, OUTLET, "dep_bal_day_move", "网点合并迁入", "E1024"])
    c = check(audit(con, [D2], settings, now=NOW), "dep_bal_day_move", D2)
    assert c.passed
    assert c.detail == "ok; 2 larger moves explained in meta.audit_explanation"


def test_explanation_without_org_covers_every_org_that_day(con, settings) -> None:
    set_bank_deposits(con, D2, 150_000_000.0)
    set_value(con, D2, OUTLET, "DEP_BAL", 10_000_000.0)
    audit(con, [D2], settings, now=NOW)
    con.execute("insert into meta.audit_explanation values (?, NULL, ?, ?, ?)",
                [D2, "dep_bal_day_move", "机构撤并调整", "E1024"])
    assert audit(con, [D2], settings, now=NOW).passed


# --- completeness --------------------------------------------------------------------


def test_missing_row_blocks(con, settings) -> None:
    con.execute("delete from marts.indicator_value where biz_date = ? and org_no = ? "
                "and indicator_code = 'VISIT_CNT_D'", [D2, OUTLET])
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("completeness_org", D2)}
    assert check(result, "completeness_org", D2).detail == (
        f"1 key problems: missing org_no {OUTLET} VISIT_CNT_D")


def test_duplicate_and_unexpected_rows_block(con, settings) -> None:
    insert = "insert into marts.indicator_value values (?, ?, ?, 1.0)"
    con.execute(insert, [D1, BANK, "LOAN_BAL"])
    con.execute(insert, [D1, CLOSED, "LOAN_BAL"])
    con.execute(insert, [D1, BANK, "LOAN_BAL_MTD_CHG"])
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("completeness_org", D1)}
    assert check(result, "completeness_org", D1).detail == (
        "3 key problems: "
        f"duplicated x2 org_no {BANK} LOAN_BAL; "
        f"unexpected org_no {BANK} LOAN_BAL_MTD_CHG; "
        f"unexpected org_no {CLOSED} LOAN_BAL")


def test_manager_missing_and_inactive_manager_present(con, settings) -> None:
    con.execute("delete from marts.mgr_indicator_value where biz_date = ? "
                "and mgr_no = 'M0001'", [D2])
    con.execute("insert into marts.mgr_indicator_value values (?, 'M0003', 'DEP_BAL', 0)", [D2])
    c = check(audit(con, [D2], settings, now=NOW), "completeness_mgr", D2)
    assert c.detail.startswith("12 key problems (first 5): missing mgr_no M0001 ")  # 11 + 1


def test_date_without_active_orgs_is_incomplete(con, settings) -> None:
    con.execute("delete from raw.org_info where biz_date = ?", [D2])
    c = check(audit(con, [D2], settings, now=NOW), "completeness_org", D2)
    assert not c.passed
    assert c.detail.startswith("136 key problems (first 5): no active rows in raw.org_info; ")


def test_empty_store_for_a_date_blocks(con, settings) -> None:
    con.execute("delete from marts.indicator_value where biz_date = ?", [D2])
    c = check(audit(con, [D2], settings, now=NOW), "completeness_org", D2)
    assert c.detail.startswith("135 key problems (first 5): missing")  # 3 orgs × 45 codes


# --- inclusive NPL tolerance (a warning) -------------------------------------------------


def test_inclusive_npl_above_tolerance_warns_without_blocking(con, settings) -> None:
    set_value(con, D2, BANK, "NPL_RATIO", 0.02)
    set_value(con, D2, BANK, "INCL_NPL_RATIO", 0.051)
    set_value(con, D2, OUTLET, "INCL_NPL_RATIO", 0.4)  # an outlet is not "the bank"
    result = audit(con, [D1, D2], settings, now=NOW)
    assert result.passed
    [w] = result.warnings
    assert (w.check_name, w.biz_date, w.blocking) == ("incl_npl_tolerance", D2, False)
    assert w.detail == ("1 banks above the inclusive-NPL tolerance: "
                        f"org {BANK} INCL_NPL_RATIO 5.10% > NPL_RATIO 2.00% + 3%")


def test_inclusive_npl_at_tolerance_is_fine(con, settings) -> None:
    set_value(con, D2, PROVINCE, "NPL_RATIO", 0.02)
    set_value(con, D2, PROVINCE, "INCL_NPL_RATIO", 0.05)
    assert not audit(con, [D2], settings, now=NOW).warnings


def test_publishable_through_stops_before_the_first_blocked_date(con, settings) -> None:
    assert audit(con, [D1, D2], settings, now=NOW).publishable_through == D2
    set_value(con, D2, OUTLET, "OVD_RATIO", 1.5)
    assert audit(con, [D1, D2], settings, now=NOW).publishable_through == D1
    set_value(con, D1, OUTLET, "OVD_RATIO", 1.5)
    assert audit(con, [D1, D2], settings, now=NOW).publishable_through is None


def test_undated_blocking_failure_blocks_every_date(con, settings) -> None:
    result = audit(con, [D1, D2], settings, now=NOW,
                   extra_checks=[("dbt_tests", False, True, "2 tests failed")])
    assert result.blocked_dates == (D1, D2) and result.publishable_through is None


# --- results of other components ------------------------------------------------------


def test_other_components_results_gate_and_are_logged(con, settings) -> None:
    result = audit(con, [D1, D2], settings, now=NOW, extra_checks=[
        ("dbt_source_freshness", False, True, "raw.gl_bal loaded 26 h ago", D2),
        CheckResult("dbt_tests", True, True, "412 passed"),
        ("great_expectations", False, False, "suite marts: 1 soft expectation failed"),
    ])
    assert not result.passed and result.blocked_dates == (D2,)
    assert "dbt_source_freshness" in result.reason()
    rows = con.execute("select biz_date, check_name, passed, blocking from meta.audit_log "
                       "where check_name in ('dbt_source_freshness', 'dbt_tests', "
                       "'great_expectations') order by check_name, biz_date").fetchall()
    assert rows == [(D2, "dbt_source_freshness", False, True),
                    (D1, "dbt_tests", True, True), (D2, "dbt_tests", True, True),
                    (D1, "great_expectations", False, False),
                    (D2, "great_expectations", False, False)]


def test_each_run_is_logged_with_its_own_id(con, settings) -> None:
    first = audit(con, [D2], settings, now=NOW)
    set_value(con, D2, OUTLET, "LAPSE_RATE", 3.0)
    second = audit(con, [D2], settings, now=NOW)
    runs = con.execute("select run_id, bool_and(passed) from meta.audit_log "
                       "group by run_id").fetchall()
    assert dict(runs) == {first.run_id: True, second.run_id: False}


def test_store_location_is_a_parameter(con, settings) -> None:
    con.execute("create schema other")
    con.execute("create table other.indicator_value as from marts.indicator_value")
    con.execute("create table other.mgr_indicator_value as from marts.mgr_indicator_value")
    con.execute("delete from marts.indicator_value")
    assert not audit(con, [D2], settings, now=NOW).passed
    store = Store("other.indicator_value", "other.mgr_indicator_value")
    assert audit(con, [D2], settings, now=NOW, store=store).passed
    with pytest.raises(ValueError):
        Store("indicator_value; drop table x")


# --- pre-credit limits (customer-ops.md §5) ----------------------------------------


def test_admitted_customer_without_a_limit_blocks(con, settings) -> None:
    con.execute("update marts.precredit set limit_amt = null where biz_date = ? "
                "and cust_no = 'C001'", [D2])
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("precredit_limits", D2)}
    # counts only: a customer number is not quoted to the alert's readers
    assert check(result, "precredit_limits", D2).detail == (
        "1 pre-credit rows with a wrong limit: 1 admitted without a limit")
    assert result.blocked_dates == (D2,)


def test_limit_above_the_seeds_cap_blocks_and_the_cap_is_read_from_the_seed(
        con, settings) -> None:
    assert audit(con, [D1], settings, now=NOW).passed  # 300,000 is the cap itself
    con.execute("update ref.precredit_parameters set value = 200000 "
                "where parameter = 'LIMIT_CAP'")
    result = audit(con, [D1], settings, now=NOW)
    assert failed(result) == {("precredit_limits", D1)}
    assert check(result, "precredit_limits", D1).detail == (
        "1 pre-credit rows with a wrong limit: 1 limit above the cap 200000.0")


def test_rejected_customer_with_a_limit_blocks(con, settings) -> None:
    con.execute("update marts.precredit set limit_amt = 1000 where cust_no = 'C002'")
    result = audit(con, [D1, D2], settings, now=NOW)
    assert failed(result) == {("precredit_limits", D1), ("precredit_limits", D2)}
    assert check(result, "precredit_limits", D1).detail.endswith("1 limit without admission")


def test_pre_credit_check_is_a_blocking_check_on_the_precredit_asset() -> None:
    from dagster import AssetKey

    from dagster_project.checks.audit import FAMILIES, family_of

    assert family_of("precredit_limits") == (AssetKey(["marts", "precredit"]),
                                             "precredit_limits")
    assert (AssetKey(["marts", "precredit"]), "precredit_limits") in FAMILIES


# --- as a pipeline step --------------------------------------------------------------


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Settings:
    """A PUHUI_HOME whose warehouse is the clean one, with D1 and D2 loaded."""
    shutil.copyfile(template, tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as c:
        c.execute("create schema meta")
        c.execute("create table meta.delivery (biz_date date primary key)")
        c.execute("insert into meta.delivery values (?), (?)", [D1, D2])
    return Settings(home=tmp_path, audit_dep_move_max=0.3, audit_dep_move_min_amount=0.0,
                    alert_webhook_url=None, alert_smtp_host=None)


def test_step_audits_loaded_dates_from_from_date(home: Settings) -> None:
    from dagster_project.audit.step import audit_step

    assert audit_step(home, D1, now=NOW).biz_dates == (D1, D2)
    assert audit_step(home, D2, now=NOW).biz_dates == (D2,)
    with duckdb.connect(str(home.warehouse_path)) as c:
        assert c.execute("select count(*) from meta.alert").fetchone() == (0,)


def test_step_blocks_and_alerts(home: Settings) -> None:
    from dagster_project.audit.step import AuditBlocked, audit_step

    with duckdb.connect(str(home.warehouse_path)) as c:
        # D2 loaded but dbt built nothing for it
        c.execute("delete from marts.indicator_value where biz_date = ?", [D2])
    with pytest.raises(AuditBlocked) as blocked:
        audit_step(home, D1, now=NOW)
    assert blocked.value.result.blocked_dates == (D2,)
    assert "completeness_org" in str(blocked.value)
    with duckdb.connect(str(home.warehouse_path)) as c:
        assert c.execute("select kind, biz_date, title, delivered_to from meta.alert"
                         ).fetchall() == [("audit_failed", D2,
                                           "【普惠数据】2026-01-02 数据审核未通过",
                                           "none configured")]


# --- 账账核对 of the published balances ------------------------------------------------


def test_published_balances_reconcile_with_the_ledger(con, settings) -> None:  # type: ignore[no-untyped-def]
    result = audit(con, [D1, D2], settings, now=NOW)
    assert check(result, "gl_reconciliation", D1).passed
    assert check(result, "gl_reconciliation", D2).passed


def test_a_yuan_lost_in_the_roll_up_blocks_publication(con, settings) -> None:  # type: ignore[no-untyped-def]
    set_value(con, D2, BANK, "LOAN_BAL", clean_value("LOAN_BAL", D2) - 1.0)
    result = audit(con, [D1, D2], settings, now=NOW)
    c = check(result, "gl_reconciliation", D2)
    assert not c.passed and c.blocking
    assert f"org {BANK} DEP_BAL 1.1e+08 vs GL 110000000.00" in c.detail
    assert "LOAN_BAL 999999 vs GL 1000000.00" in c.detail
    assert check(result, "gl_reconciliation", D1).passed
    assert not result.passed


def test_a_bank_of_twelve_billion_yuan_reconciles(con, settings) -> None:  # type: ignore[no-untyped-def]
    # A 农商行's deposits run to tens of billions of yuan: 12,141,660,294.99 CNY in cents
    # times a rate with six places does not fit DECIMAL(18) (the audit crashed on the
    # first `bank`-scale run with "Overflow in multiplication of DECIMAL(18)").
    # D2: 12,141,660,294.99 CNY + 1,000,000 USD x 7 = 12,148,660,294.99 yuan.
    set_bank_deposits(con, D2, 12_148_660_294.99)
    assert con.execute("select balance from raw.gl_bal where biz_date = ? and org_no = ? "
                       "and subject_code = '20110101'", [D2, BANK]).fetchone() == (
        Decimal("12141660294.99"),)
    result = audit(con, [D2], settings, now=NOW)
    assert check(result, "gl_reconciliation", D2).passed
    set_value(con, D2, BANK, "DEP_BAL", 12_148_660_294.99 - 0.10)  # ten fen short
    c = check(audit(con, [D2], settings, now=NOW), "gl_reconciliation", D2)
    assert not c.passed and "vs GL 12148660294.99" in c.detail

"""The store comparison can fail: "An undefined value is a row with value NULL, not a
missing row", and values must agree within 1e-6 relative."""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.compare import describe, describe_table, diff_stores, diff_tables

D = dt.date(2026, 1, 2)


def _store(rows: list[tuple[str, str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(D, org, code, v) for org, code, v in rows],
        schema={"biz_date": pl.Date, "org_no": pl.String, "indicator_code": pl.String,
                "value": pl.Float64}, orient="row")


REFERENCE = _store([("200001", "DEP_BAL", 881_000.0), ("200001", "NPL_DEVIATION", None),
                    ("200001", "NPL_RATIO", 0.0)])


def test_identical_stores_and_float_noise_within_1e_6_relative_agree() -> None:
    published = _store([("200001", "DEP_BAL", 881_000.0 * (1 + 1e-9)),
                        ("200001", "NPL_DEVIATION", None), ("200001", "NPL_RATIO", 1e-12)])
    assert diff_stores(published, REFERENCE, "org_no") == []


def test_null_published_as_zero_is_a_difference() -> None:
    published = _store([("200001", "DEP_BAL", 881_000.0), ("200001", "NPL_DEVIATION", 0.0),
                        ("200001", "NPL_RATIO", 0.0)])
    [f] = diff_stores(published, REFERENCE, "org_no")
    assert (f["indicator_code"], f["published"], f["reference"], f["problem"]) == (
        "NPL_DEVIATION", 0.0, None, "value differs")


def test_missing_extra_duplicate_and_different_rows_are_all_reported() -> None:
    published = _store([("200001", "DEP_BAL", 881_001.0), ("200001", "NPL_RATIO", 0.0),
                        ("200001", "NPL_RATIO", 0.0), ("400212", "DEP_BAL", 0.0)])
    findings = diff_stores(published, REFERENCE, "org_no")
    problems = sorted((f["org_no"], f["indicator_code"], f["problem"]) for f in findings)
    assert problems == [
        ("200001", "DEP_BAL", "value differs"),  # 1 yuan in 881,000 > 1e-6 relative
        ("200001", "NPL_DEVIATION", "row missing from the published store"),
        ("200001", "NPL_RATIO", "duplicate key in published"),
        ("400212", "DEP_BAL",
         "row not expected (the reference has no such org/manager/code/date)"),
    ]
    assert "4 differing rows" in describe(findings, "org_no")


# diff_tables: the customer-ops tables, one row per key, compared column by column.

KEYS = ("biz_date", "cust_no")


def _profile(rows: list[tuple[str, float | None, str | None, int]]) -> pl.DataFrame:
    return pl.DataFrame([(D, c, bal, tier, cnt) for c, bal, tier, cnt in rows],
                        schema={"biz_date": pl.Date, "cust_no": pl.String,
                                "dep_bal": pl.Float64, "dep_tier": pl.String,
                                "policy_cnt": pl.Int64}, orient="row")


PROFILE = _profile([("C1", 100_000.0, "B", 1), ("C2", 0.0, "E", 0), ("C3", None, None, 2)])


def test_tables_equal_within_money_tolerance_and_across_column_types() -> None:
    import duckdb

    # what a warehouse gives back: DECIMAL money (noise far below a cent), INTEGER counts
    published = duckdb.sql(
        "select * from (values (DATE '2026-01-02', 'C1', 100000.00000001::DECIMAL(18,8), 'B', 1),"
        " (DATE '2026-01-02', 'C2', 0.0::DECIMAL(18,2), 'E', 0),"
        " (DATE '2026-01-02', 'C3', NULL::DECIMAL(18,2), NULL, 2))"
        " t(biz_date, cust_no, dep_bal, dep_tier, policy_cnt)").pl()
    findings = diff_tables(published, PROFILE, KEYS, money=("dep_bal",))
    assert findings.height == 0, describe_table(findings, KEYS)


def test_table_differences_are_each_reported() -> None:
    published = _profile([("C1", 100_001.0, "B", 1), ("C2", 0.0, "E", 0), ("C2", 0.0, "E", 0),
                          ("C3", 0.0, None, 3), ("C9", 1.0, "D", 0)])
    findings = diff_tables(published, PROFILE, KEYS, money=("dep_bal",))
    got = sorted((r["cust_no"] or "", r["column"], r["problem"])
                 for r in findings.iter_rows(named=True))
    assert got == [
        ("C1", "dep_bal", "value differs"),  # 1 yuan in 100,000 > 1e-6 relative
        ("C2", "", "duplicate key in published"),
        ("C3", "dep_bal", "value differs"),  # NULL published as 0
        ("C3", "policy_cnt", "value differs"),  # counts are exact
        ("C9", "", "row not in the reference"),
    ]
    assert "5 differences" in describe_table(findings, KEYS)


def test_missing_rows_and_columns_are_reported() -> None:
    published = PROFILE.filter(pl.col("cust_no") != "C2").drop("policy_cnt").with_columns(
        pl.lit(1).alias("extra"))
    findings = diff_tables(published, PROFILE, KEYS, money=("dep_bal",))
    got = sorted((r["cust_no"] or "", r["column"], r["problem"])
                 for r in findings.iter_rows(named=True))
    assert got == [("", "extra", "column not in the contract"),
                   ("", "policy_cnt", "column missing from published"),
                   ("C2", "", "row missing from published")]


def test_an_empty_key_part_is_not_a_null_one() -> None:
    # opportunity_event's ref_no: '' for the flow events; NULL is another key
    ref = pl.DataFrame({"biz_date": [D], "event_type": ["BIG_INFLOW"], "cust_no": ["C1"],
                        "ref_no": [""], "amount": [60_000.0]})
    pub = ref.with_columns(pl.lit(None, pl.String).alias("ref_no"))
    keys = ("biz_date", "event_type", "cust_no", "ref_no")
    findings = diff_tables(pub, ref, keys, money=("amount",))
    assert sorted(findings["problem"]) == ["row missing from published",
                                           "row not in the reference"]
    assert diff_tables(ref, ref, keys, money=("amount",)).height == 0

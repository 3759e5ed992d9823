"""The store comparison can fail: "An undefined value is a row with value NULL, not a
missing row", and values must agree within 1e-6 relative."""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.compare import describe, diff_stores

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

"""Great Expectations checks on the marts, for the audit gate (issue 7).

``marts_expectations(con, dates)`` validates, per audited date, a pandas frame of
``marts.indicator_value`` (grain org) and ``marts.mgr_indicator_value`` (grain mgr)
read from the warehouse store with one expectation suite per grain, defined here
in code (the raw suites are generated from contract.py; these follow from the
store's shape in indicators.md and the dictionary). GE 1.x cannot validate
DuckDB through duckdb-engine, so, as in checks/raw_quality.py, the frames come
from DuckDB and run in the same ephemeral in-memory context.

Each expectation becomes one blocking :class:`CheckResult` per date, named
``ge_marts_<grain>_<what>``, with counts only in ``detail`` (never values).

The frame of a date holds its rows plus any row whose ``biz_date`` is NULL (such a
row belongs to no date, so it blocks every date). ``value`` is not validated in
pandas directly: converting to pandas turns SQL NULL into NaN, so a NaN in the
store could not be told from a legitimately missing value. DuckDB therefore
computes ``value_nonfinite`` (NULL where ``value`` is NULL, else 1 for NaN/±inf and
0 otherwise) and the suite expects it to be 0; GE skips the NULLs, so missing
values (a ratio with a zero denominator) pass while NaN and infinities fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

import duckdb

from dagster_project.audit.result import CheckResult
from dagster_project.audit.rules import Store
from dagster_project.checks.raw_quality import _context
from dagster_project.indicators import Grain, codes_for_grain

PREFIX = "ge_marts_"
KEYS: dict[Grain, str] = {"org": "org_no", "mgr": "mgr_no"}


def check_names(grain: Grain) -> list[str]:
    """Names of the checks of ``grain``'s suite, in suite order."""
    return [e["meta"]["check"] for e in suite_spec(grain)["expectations"]]


def suite_spec(grain: Grain) -> dict[str, Any]:
    """The suite of one grain, in the raw suites' JSON shape (name, expectations with
    type, kwargs and meta; ``meta.check`` is the audit check name)."""
    key = KEYS[grain]

    def exp(what: str, type_: str, **kwargs: Any) -> dict[str, Any]:
        return {"type": type_, "kwargs": kwargs,
                "meta": {"blocking": True, "check": f"{PREFIX}{grain}_{what}"}}

    return {
        "name": f"marts_{'' if grain == 'org' else 'mgr_'}indicator_value",
        "expectations": [
            exp("not_null_biz_date", "expect_column_values_to_not_be_null",
                column="biz_date"),
            exp(f"not_null_{key}", "expect_column_values_to_not_be_null", column=key),
            exp("not_null_indicator_code", "expect_column_values_to_not_be_null",
                column="indicator_code"),
            exp("code_in_dictionary", "expect_column_values_to_be_in_set",
                column="indicator_code", value_set=codes_for_grain(grain)),
            exp("unique_key", "expect_compound_columns_to_be_unique",
                column_list=["biz_date", key, "indicator_code"]),
            exp("value_finite", "expect_column_values_to_be_in_set",
                column="value_nonfinite", value_set=[0]),
            exp("row_count", "expect_table_row_count_to_be_between",
                min_value=1, max_value=None),
        ],
    }


@cache
def _validation(grain: Grain) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    ctx = _context()
    spec = suite_spec(grain)
    name = spec["name"]
    ds = ctx.data_sources.add_pandas(f"pd_{name}")
    batch = ds.add_dataframe_asset(name).add_batch_definition_whole_dataframe("date")
    suite = ctx.suites.add(gx.ExpectationSuite(name=name, expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"],
                                 meta=e["meta"]).to_domain_obj()
        for e in spec["expectations"]]))
    return ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch,
                                                                  suite=suite))


def _detail(r: Any, rows: int) -> str:
    """Counts only: the result's unexpected or observed count, never a value."""
    if r.expectation_config.type == "expect_table_row_count_to_be_between":
        return f"{r.result.get('observed_value', rows)} rows, expected at least 1"
    bad = r.result.get("unexpected_count")
    if r.success:
        return f"ok ({rows} rows)"
    return f"{bad if bad is not None else 'some'} of {rows} rows"


def marts_expectations(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[date],
    store: Store | None = None,
) -> list[CheckResult]:
    """Run the marts suites on each of ``dates``; one CheckResult per expectation and date."""
    store = store or Store()
    out: list[CheckResult] = []
    for grain, table in (("org", store.org_table), ("mgr", store.mgr_table)):
        key = KEYS[grain]  # type: ignore[index]
        validation = _validation(grain)  # type: ignore[arg-type]
        for d in sorted(set(dates)):
            df = con.execute(
                f"select biz_date, {key}, indicator_code, "
                "case when value is null then null when isfinite(value) then 0 else 1 end "
                f"as value_nonfinite from {table} where biz_date = ? or biz_date is null",
                [d]).df()
            result = validation.run(batch_parameters={"dataframe": df})
            for r in result.results:
                meta = r.expectation_config.meta or {}
                out.append(CheckResult(meta["check"], bool(r.success),
                                       bool(meta.get("blocking", True)),
                                       _detail(r, len(df)), d))
    return out


__all__ = ["check_names", "marts_expectations", "suite_spec"]

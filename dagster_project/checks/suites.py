"""Build the raw-layer Great Expectations suites (``expectations/raw_<table>.json``).

The suites are generated from contract.py (NOT NULL columns, code lists) plus the
value ranges the spec states in words, so they cannot drift from the contract;
``python -m dagster_project.checks.suites`` rewrites the files and a unit test
checks the committed files are current. Each expectation's ``meta.blocking`` says
whether failing it stops the date; row-count drift against the previous loaded
date blocks for full tables (a snapshot that halves overnight is a broken extract)
but only warns for incremental ones (event volumes swing on holidays).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster_project import contract
from dagster_project.contract import Table

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"

# §4 ranges stated in words: (table, column) -> (min, max), None = open.
RANGES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("DEP_ACCT", "balance"): (0, None),  # 日终余额 ≥ 0
    ("LOAN_DUEBILL", "balance"): (0, None),  # 贷款余额 ≥ 0
    ("LOAN_DUEBILL", "overdue_days"): (0, None),  # 0 if not overdue
    ("DEP_TXN", "amount"): (0.01, None),  # > 0 with two places
    ("GRID", "center_lon"): (-180, 180),
    ("GRID", "center_lat"): (-90, 90),
    ("VISIT_LOG", "lon"): (-180, 180),
    ("VISIT_LOG", "lat"): (-90, 90),
    ("FX_RATE", "rate_to_cny"): (0.000001, None),  # CNY per unit, positive
}
# Row-count ratio band against the previous loaded date.
DRIFT = {"full": (0.5, 2.0, True), "incr": (0.1, 10.0, False)}
TABLE_ROWS = "table_rows"  # column carrying the date's row count (drift expectation)


def suite_name(table: Table) -> str:
    return f"raw_{table.raw_table}"


def _expectation(kind: str, blocking: bool, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {"blocking": blocking}}


def build_suite(table: Table) -> dict[str, Any]:
    exps: list[dict[str, Any]] = []
    for col in table.columns:
        if not col.nullable:
            exps.append(_expectation("expect_column_values_to_not_be_null", True,
                                     column=col.name))
        if col.codes is not None:
            values: list[Any] = [int(c) for c in col.codes] if col.type == "int" else list(
                col.codes)
            exps.append(_expectation("expect_column_values_to_be_in_set", True,
                                     column=col.name, value_set=values))
        rng = RANGES.get((table.name, col.name))
        if rng is not None:
            exps.append(_expectation("expect_column_values_to_be_between", True,
                                     column=col.name, min_value=rng[0], max_value=rng[1]))
    lo, hi, blocking = DRIFT[table.kind]
    # The frame may be a sample of a big table (checks/raw_quality.py), so the date's
    # true row count travels in the constant column TABLE_ROWS.
    exps.append(_expectation("expect_column_values_to_be_between", blocking,
                             column=TABLE_ROWS, min_value={"$PARAMETER": "min_rows"},
                             max_value={"$PARAMETER": "max_rows"}))
    return {
        "name": suite_name(table),
        "expectations": exps,
        "meta": {"asset": f"raw/{table.raw_table}", "table": table.name,
                 "drift_ratio": [lo, hi], "generated_by": "dagster_project.checks.suites"},
    }


def render(table: Table) -> str:
    return json.dumps(build_suite(table), ensure_ascii=False, indent=2) + "\n"


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for t in contract.TABLES:
        p = directory / f"{suite_name(t)}.json"
        p.write_text(render(t), encoding="utf-8")
        out.append(p)
    return out


if __name__ == "__main__":
    for p in write_suites():
        print(p)

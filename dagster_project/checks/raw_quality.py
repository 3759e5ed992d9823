"""Run the raw-layer expectation suites on one business date, inside the load transaction.

GE 1.x cannot validate DuckDB through duckdb-engine, so each suite validates a pandas
frame of just the columns it names, read from the uncommitted date through the load's
own connection. Big tables are validated on a repeatable sample of ``max_rows`` rows
(converting millions of rows to pandas took minutes per date at province scale); the
SQL validation before the load already enforced the same rules on every row, and the
row-count drift uses the true count (column ``table_rows``). The context is ephemeral
(nothing written; analytics and progress bars off). A failed blocking expectation
stops the date: the caller rolls back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import Any

import duckdb

from dagster_project import contract
from dagster_project.checks.suites import SUITES_DIR, TABLE_ROWS, suite_name
from dagster_project.contract import Table


@dataclass
class SuiteOutcome:
    table: str
    suite: str
    passed: bool = True
    blocking_failed: bool = False
    failures: list[str] = field(default_factory=list)  # never values, only counts
    rows: int = 0
    previous_rows: int | None = None


def load_suite(table: Table) -> dict[str, Any]:
    return json.loads((SUITES_DIR / f"{suite_name(table)}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx  # slow import: only when checks run
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # in memory, and no temporary data-docs site (GE would create one under /tmp)
    cfg = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(
        init_temp_docs_sites=False))
    ctx = gx.get_context(mode="ephemeral", project_config=cfg)
    ctx.enable_analytics(False)
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


@cache
def _validation(table_name: str) -> Any:
    import great_expectations as gx

    ctx = _context()
    spec = load_suite(contract.TABLES_BY_NAME[table_name])
    name = spec["name"]
    ds = ctx.data_sources.add_pandas(f"pd_{name}")
    batch = ds.add_dataframe_asset(name).add_batch_definition_whole_dataframe("date")
    suite = ctx.suites.add(gx.ExpectationSuite(
        name=name, expectations=[_config(e).to_domain_obj() for e in spec["expectations"]]))
    return ctx.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch,
                                                                  suite=suite))


def _config(e: dict[str, Any]) -> Any:
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    return ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"])


def _columns(spec: dict[str, Any]) -> list[str]:
    cols: list[str] = []
    for e in spec["expectations"]:
        c = e["kwargs"].get("column")
        if c and c != TABLE_ROWS and c not in cols:
            cols.append(c)
    return cols


def run_suites(con: duckdb.DuckDBPyConnection, biz_date: date,
               max_rows: int = 200_000) -> list[SuiteOutcome]:
    """Validate every raw table's rows of ``biz_date`` (visible to ``con``'s transaction)."""
    prev_row = con.execute("SELECT max(biz_date) FROM meta.delivery WHERE biz_date < ?",
                           [biz_date]).fetchone()
    prev = prev_row[0] if prev_row else None
    out = []
    for table in contract.TABLES:
        spec = load_suite(table)
        cols = _columns(spec) or ["biz_date"]
        n_row = con.execute(f"SELECT count(*) FROM raw.{table.raw_table} WHERE biz_date = ?",
                            [biz_date]).fetchone()
        n = int(n_row[0]) if n_row else 0
        sample = (f" USING SAMPLE reservoir({max_rows} ROWS) REPEATABLE (42)"
                  if n > max_rows else "")
        df = con.execute(f"SELECT *, {n} AS {TABLE_ROWS} FROM (SELECT {', '.join(cols)} "
                         f"FROM raw.{table.raw_table} WHERE biz_date = ?){sample}",
                         [biz_date]).df()
        prev_rows = None
        if prev is not None:
            r = con.execute(f"SELECT count(*) FROM raw.{table.raw_table} WHERE biz_date = ?",
                            [prev]).fetchone()
            prev_rows = int(r[0]) if r else 0
        lo, hi = spec["meta"]["drift_ratio"]
        params = {"min_rows": 0, "max_rows": None}
        if prev_rows:
            params = {"min_rows": int(prev_rows * lo), "max_rows": int(prev_rows * hi) + 1}
        result = _validation(table.name).run(batch_parameters={"dataframe": df},
                                             expectation_parameters=params)
        o = SuiteOutcome(table.name, spec["name"], rows=n, previous_rows=prev_rows)
        if n == 0 and prev_rows and params["min_rows"] > 0:
            # a per-row expectation holds vacuously on no rows: judge the drift here
            blocking = spec["expectations"][-1]["meta"]["blocking"]
            o.failures.append(f"table_rows: 0 rows, previous date {prev_rows}"
                              + ("" if blocking else " (warning)"))
            o.passed, o.blocking_failed = False, blocking
        for r in result.results:
            if r.success:
                continue
            cfg = r.expectation_config
            blocking = bool((cfg.meta or {}).get("blocking", True))
            what = cfg.type + (f"({cfg.kwargs['column']})" if "column" in cfg.kwargs else "")
            bad = r.result.get("unexpected_count")
            if cfg.kwargs.get("column") == TABLE_ROWS:
                detail = (f"{n} rows, expected {params['min_rows']}..{params['max_rows']} "
                          f"(previous date {prev_rows})")
            else:
                detail = f"{bad} of {len(df)} rows" + (" sampled" if sample else "")
            o.failures.append(f"{what}: {detail}{'' if blocking else ' (warning)'}")
            o.passed = False
            o.blocking_failed = o.blocking_failed or blocking
        out.append(o)
    return out

"""Run ``dbt build`` (seeds, models, tests) on the warehouse.

The integrator calls :func:`build` after ingestion and before publish. dbt runs
in-process through ``dbtRunner``; the warehouse path and the target/log folders
come from settings (profiles.yml reads ``PUHUI_WAREHOUSE``, which is set here
from ``settings.warehouse_path`` — settings.py stays the only reader of config).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from dagster_project.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"

# Schemas the dbt project writes in the warehouse (macros/generate_schema_name.sql).
MARTS_SCHEMA = "marts"
REF_SCHEMA = "ref"


class DbtBuildError(RuntimeError):
    """dbt build failed: a model did not build or a data test failed."""

    def __init__(self, message: str, failures: list[str]) -> None:
        super().__init__(message)
        self.failures = failures


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    from_date: date | None
    full_refresh: bool
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes


def normalize_date(value: date | datetime | str | None) -> date | None:
    """Accept a date, ``YYYY-MM-DD`` or the contract's ``YYYYMMDD``."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = value.strip()
    fmt = "%Y%m%d" if len(text) == 8 and text.isdigit() else "%Y-%m-%d"
    return datetime.strptime(text, fmt).date()


def dbt_env(settings: Settings) -> dict[str, str]:
    """Variables profiles.yml reads (the warehouse file, threads, memory)."""
    return {
        "PUHUI_WAREHOUSE": str(settings.warehouse_path),
        "PUHUI_DBT_THREADS": str(settings.threads),
        "PUHUI_DBT_MEMORY_LIMIT": settings.memory_limit,
        # spill inside PUHUI_HOME, like ingestion (architecture.md: nothing outside it)
        "PUHUI_DBT_TEMP_DIR": str(settings.tmp_dir / "duckdb"),
    }


def dbt_args(
    settings: Settings,
    command: str = "build",
    from_date: date | None = None,
    full_refresh: bool = False,
    select: str | None = None,
) -> list[str]:
    """Command-line arguments of one dbt invocation (pure, so it is unit-testable)."""
    target = settings.dbt_target_dir
    args = [
        command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target),
        "--log-path", str(target.parent / "logs"),
    ]
    if from_date is not None:
        args += ["--vars", json.dumps({"from_date": from_date.isoformat()})]
    if full_refresh and command in ("build", "run", "seed"):
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    return args


def run_dbt(settings: Settings, args: list[str]) -> object:
    """Invoke dbt in-process with the warehouse environment; returns dbt's result."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(settings))
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    try:
        return dbtRunner().invoke(args)
    finally:
        _release_warehouse()


def _release_warehouse() -> None:
    """Close the DuckDB instance dbt-duckdb caches per process.

    dbt-duckdb keeps the warehouse open after ``invoke`` returns; DuckDB then
    refuses another handle on the same file in this process (publish ATTACHes it
    read-only), so the cached environment is closed here.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a hard dependency
        return
    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
        DuckDBConnectionManager._ENV = None


def build(
    settings: Settings,
    from_date: date | datetime | str | None = None,
    full_refresh: bool = False,
    select: str | None = None,
) -> BuildResult:
    """``dbt build``: seeds, models and tests.

    A normal night builds only the business dates not yet in the marts; pass
    ``from_date`` for a re-delivered date (it and every later date are rebuilt,
    because their MTD/YTD/日均 read its daily values); ``full_refresh`` rebuilds
    everything. Raises :class:`DbtBuildError` naming the failed nodes.
    """
    start = normalize_date(from_date)
    began = time.perf_counter()
    res = run_dbt(settings, dbt_args(settings, "build", start, full_refresh, select))
    seconds = time.perf_counter() - began
    counts: dict[str, int] = {}
    failures: list[str] = []
    results = getattr(getattr(res, "result", None), "results", None) or []
    for r in results:
        status = str(getattr(r.status, "value", r.status))
        counts[status] = counts.get(status, 0) + 1
        if status in ("error", "fail", "runtime error"):
            msg = (r.message or "").strip().splitlines()
            failures.append(f"{r.node.unique_id}: {status}: {msg[0] if msg else ''}")
    if not getattr(res, "success", False):
        exc = getattr(res, "exception", None)
        detail = "; ".join(failures[:10]) or (str(exc) if exc else "see dbt log")
        raise DbtBuildError(
            f"dbt build failed ({len(failures)} node(s)): {detail} "
            f"[log: {settings.dbt_target_dir.parent / 'logs' / 'dbt.log'}]",
            failures,
        )
    return BuildResult(seconds=seconds, from_date=start, full_refresh=full_refresh, counts=counts)

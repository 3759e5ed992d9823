"""Run ``dbt build`` (seeds, models, tests) on the warehouse.

``puhui build`` calls :func:`build`; the night itself runs dbt through the Dagster
dbt assets (assets/dbt.py) with the same window (:func:`window_env`). Here dbt runs
in-process through ``dbtRunner``; the warehouse path and the target/log folders
come from settings (profiles.yml reads ``PUHUI_WAREHOUSE``, which is set here
from ``settings.warehouse_path`` — settings.py stays the only reader of config).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from dagster_project.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"

# What a build leaves out: the YAML unit tests (given rows in, expected rows out) test
# the SQL, not the night's data. They run in CI (tests/integration/
# test_dbt_unit_tests.py), not in every build: the night's (assets/dbt.py), `puhui
# build` and the benchmarks all build the same nodes.
BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")

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
    """Variables profiles.yml reads (the warehouse file, threads, memory), and the level
    of dbt's log file."""
    return {
        "PUHUI_WAREHOUSE": str(settings.warehouse_path),
        "PUHUI_DBT_THREADS": str(settings.threads),
        "PUHUI_DBT_MEMORY_LIMIT": settings.memory_limit,
        # spill inside PUHUI_HOME, like ingestion (architecture.md: nothing outside it)
        "PUHUI_DBT_TEMP_DIR": str(settings.tmp_dir / "duckdb"),
        "DBT_LOG_LEVEL_FILE": settings.dbt_log_level_file,
    }


# Where the models read the build window (macros/build_window.sql). Environment
# variables, not dbt vars: dbt keeps its partial parse when only the environment
# changes, and reparses the whole project when --vars does (about 9 s a night).
WINDOW_ENV = ("PUHUI_DBT_FROM_DATE", "PUHUI_DBT_TEST_FROM_DATE")


def window_env(from_date: date | None = None, test_from_date: date | None = None,
               full_refresh: bool = False) -> dict[str, str]:
    """The build window as the environment dbt reads it (macros/build_window.sql): the
    first date the models rebuild and the first date the data tests look at. Both keys
    always, empty for "none", so a window never leaks into the next invocation of the
    same process. The one place ``puhui build`` and the Dagster dbt assets get it."""
    test_from = test_from_date if not full_refresh else None
    return {
        WINDOW_ENV[0]: from_date.isoformat() if from_date is not None else "",
        WINDOW_ENV[1]: test_from.isoformat() if test_from is not None else "",
    }


def dbt_args(
    settings: Settings,
    command: str = "build",
    full_refresh: bool = False,
    select: str | None = None,
) -> list[str]:
    """Command-line arguments of one dbt invocation (pure, so it is unit-testable).
    The build window is not among them: it goes in the environment (:func:`window_env`).
    """
    target = settings.dbt_target_dir
    args = [
        command,
        *(BUILD_EXCLUDES if command == "build" else ()),
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target),
        "--log-path", str(target.parent / "logs"),
    ]
    if full_refresh and command in ("build", "run", "seed"):
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    return args


def first_unbuilt_date(settings: Settings) -> date | None:
    """Earliest loaded business date not yet in the published store (None: build all).

    The same rule as the models' default window (macros/build_from_date.sql), read
    before dbt runs so the data tests can be limited to the dates being built.
    """
    import duckdb

    if not settings.warehouse_path.exists():
        return None
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        has_store = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [MARTS_SCHEMA, "indicator_value"]).fetchone()[0]
        has_raw = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' "
            "and table_name = 'delivery'").fetchone()[0]
        if not has_store or not has_raw:
            return None
        row = con.execute(
            "select min(loaded.biz_date) from meta.delivery loaded "
            f"where loaded.biz_date not in (select distinct biz_date from {MARTS_SCHEMA}"
            ".indicator_value)").fetchone()
        return row[0] if row and row[0] is not None else date(9999, 12, 31)
    finally:
        con.close()


def ensure_sources(settings: Settings) -> None:
    """Create the tables dbt reads that no delivery writes, when missing.

    ``manual.*`` (the blacklist, issue 15) is created by every load, so a warehouse
    loaded by an earlier version has none until its next delivery: a ``puhui build``
    or a rebuild from the Dagster UI before that would fail on the missing source.
    Called before a build writes (never at parse time: the webserver parses while a
    run may hold the warehouse). Idempotent; a missing warehouse is left alone."""
    if not settings.warehouse_path.exists():
        return
    from dagster_project.manual.schema import ensure_manual
    from dagster_project.resources.duckdb import connect_warehouse

    con = connect_warehouse(settings, threads=1)
    try:
        ensure_manual(con)
    finally:
        con.close()


def run_dbt(settings: Settings, args: list[str],
            window: dict[str, str] | None = None) -> object:
    """Invoke dbt in-process with the warehouse environment and the build window
    (:func:`window_env`; none given: no window, every date); returns dbt's result."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(settings))
    os.environ.update(window or window_env())
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    # DuckDB creates only the last level of temp_directory when it first spills
    Path(dbt_env(settings)["PUHUI_DBT_TEMP_DIR"]).mkdir(parents=True, exist_ok=True)
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
    """``dbt build``: seeds, models and data tests (not the unit tests: BUILD_EXCLUDES).

    A normal night builds only the business dates not yet in the marts; pass
    ``from_date`` for a re-delivered date (it and every later date are rebuilt,
    because their MTD/YTD/日均 read its daily values); ``full_refresh`` rebuilds
    everything. Raises :class:`DbtBuildError` naming the failed nodes.
    """
    start = normalize_date(from_date)
    window = start
    if window is None and not full_refresh:
        # the models would find this date themselves (macros/build_from_date.sql);
        # passing it as a literal lets DuckDB skip older row groups of raw.* and
        # limits the data tests to the dates being built
        window = first_unbuilt_date(settings)
    ensure_sources(settings)
    began = time.perf_counter()
    res = run_dbt(settings, dbt_args(settings, "build", full_refresh, select),
                  window_env(window, window, full_refresh))
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
    return BuildResult(seconds=seconds, from_date=window, full_refresh=full_refresh, counts=counts)

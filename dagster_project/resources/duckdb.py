"""The warehouse DuckDB file: the one way to open it.

Loads spill to ``$PUHUI_HOME/tmp`` rather than the system temp dir: nothing is
written outside PUHUI_HOME (docs/architecture.md). DuckDB allows one writer per
file; Dagster runs one run at a time (``dagster.yaml`` run queue, pipeline.py) so
loads, dbt and publish never contend for it.
"""

from __future__ import annotations

import duckdb

from dagster_project.settings import Settings


def connect_warehouse(settings: Settings, read_only: bool = False,
                      threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open ``settings.warehouse_path`` with the settings' threads, memory and spill folder.

    ``threads`` overrides the settings for light readers (a sensor tick).
    """
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse_path), read_only=read_only, config={
        "threads": threads or settings.threads, "memory_limit": settings.memory_limit,
        "temp_directory": str(settings.tmp_dir / "duckdb"),
        "preserve_insertion_order": True,  # staging relies on rowid = line order
    })
    con.execute("SET enable_progress_bar = false")  # the CLI prints its own progress lines
    return con

"""The warehouse DuckDB file as a Dagster resource (one writer at a time).

Loads spill to ``$PUHUI_HOME/tmp`` rather than the system temp dir: nothing is
written outside PUHUI_HOME (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from dagster_project.settings import get_settings


def connect_warehouse(path: Path, threads: int, memory_limit: str, temp_dir: Path,
                      read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={
        "threads": threads, "memory_limit": memory_limit,
        "temp_directory": str(temp_dir / "duckdb"),
        "preserve_insertion_order": True,  # staging relies on rowid = line order
    })
    con.execute("SET enable_progress_bar = false")  # the CLI prints its own progress lines
    return con


class WarehouseResource(ConfigurableResource):
    """Opens ``warehouse.duckdb``; a connection per use, closed afterwards.

    Empty fields mean "from settings at connect time", so one code location serves
    whatever PUHUI_HOME the process runs with.
    """

    path: str = ""
    threads: int = 0
    memory_limit: str = ""
    temp_dir: str = ""

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        s = get_settings()
        con = connect_warehouse(Path(self.path or s.warehouse_path), self.threads or s.threads,
                                self.memory_limit or s.memory_limit,
                                Path(self.temp_dir or s.tmp_dir), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

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

from dagster_project.settings import Settings


def connect_warehouse(path: Path, threads: int, memory_limit: str, temp_dir: Path,
                      read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_dir.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only, config={
        "threads": threads, "memory_limit": memory_limit,
        "temp_directory": str(temp_dir / "duckdb"),
        "preserve_insertion_order": True,  # staging relies on rowid = line order
    })


class WarehouseResource(ConfigurableResource):
    """Opens ``warehouse.duckdb``; a connection per use, closed afterwards."""

    path: str
    threads: int = 2
    memory_limit: str = "12GB"
    temp_dir: str

    @classmethod
    def from_settings(cls, s: Settings) -> WarehouseResource:
        return cls(path=str(s.warehouse_path), threads=s.threads, memory_limit=s.memory_limit,
                   temp_dir=str(s.tmp_dir))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect_warehouse(Path(self.path), self.threads, self.memory_limit,
                                Path(self.temp_dir), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

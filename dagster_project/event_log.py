"""Dagster's event log in one SQLite file, with its connections kept open.

The instance (pipeline.DAGSTER_YAML) stores every run's events in one SQLite file,
Dagster's ``ConsolidatedSqliteEventLogStorage``. That class opens a new engine and a
new connection for every event it stores and every query it makes, and closes both
after: a night of the tiny province writes about 730 events (a materialization or an
asset check per dbt node, with their planned and output events), and the opening and
closing was about an eighth of a tiny night's CPU (docs/benchmarks.md, "Session 17").

This subclass keeps one engine per process, whose pool holds the connections open
between events. Nothing else changes: the same file, schema, migrations, WAL mode,
busy timeout and change watcher. SQLite locks the file across processes (the
webserver, the daemon and a run share it as before). Within a process the pool hands
a connection to one thread at a time; ``check_same_thread`` is off because the thread
that returns a connection is not always the one that opened it. A forked child must
not use its parent's open connections, so the engine is keyed by process id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

# The webserver and the daemon query from a few threads at once; a night's run from one.
POOL_SIZE = 4


class PooledSqliteEventLogStorage(ConsolidatedSqliteEventLogStorage):
    """``ConsolidatedSqliteEventLogStorage`` with one pooled engine per process."""

    _pooled: tuple[int, Engine] | None = None

    def _engine(self) -> Engine:
        pid = os.getpid()
        if self._pooled is None or self._pooled[0] != pid:
            engine = create_engine(
                self._conn_string, pool_size=POOL_SIZE, max_overflow=POOL_SIZE,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                              "check_same_thread": False})
            self._pooled = (pid, engine)
        return self._pooled[1]

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._engine().connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        pooled, self._pooled = self._pooled, None
        if pooled is not None and pooled[0] == os.getpid():
            pooled[1].dispose()

"""The ``meta`` schema: what was delivered and loaded, and what dbt must rebuild.

``meta.delivery`` has one row per loaded business date with the fingerprint of the
delivery (so an identical re-delivery changes nothing, §1) and ``needs_rebuild``:
set on the date loaded and, for a re-delivery or back-fill, on every later date,
because indicators of D use D and earlier dates (indicators.md). The dbt step builds
from ``rebuild_from()`` and calls ``clear_rebuild()`` after a successful build.

``meta.load_log`` has one row per date, file and attempt: md5, rows, bytes,
duration, status (loaded / rejected) and the rejection reason (never PII).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

DDL = (
    "CREATE SCHEMA IF NOT EXISTS meta",
    """CREATE TABLE IF NOT EXISTS meta.delivery (
        biz_date DATE PRIMARY KEY,
        fingerprint VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        run_id VARCHAR,
        needs_rebuild BOOLEAN NOT NULL,
        times_loaded INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS meta.load_log (
        biz_date DATE NOT NULL,
        file_name VARCHAR NOT NULL,
        table_name VARCHAR,
        md5 VARCHAR,
        rows BIGINT,
        bytes BIGINT,
        duration_s DOUBLE,
        status VARCHAR NOT NULL,
        reason VARCHAR,
        run_id VARCHAR,
        logged_at TIMESTAMP NOT NULL
    )""",
)


@dataclass(frozen=True)
class LogRow:
    biz_date: date
    file_name: str
    table_name: str | None
    md5: str | None
    rows: int | None
    bytes: int | None
    duration_s: float | None
    status: str
    reason: str | None = None


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def loaded_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[date, str]:
    ensure_meta(con)
    return dict(con.execute("SELECT biz_date, fingerprint FROM meta.delivery").fetchall())


def write_log(con: duckdb.DuckDBPyConnection, rows: list[LogRow], run_id: str | None) -> None:
    now = datetime.now()
    con.executemany(
        "INSERT INTO meta.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r.biz_date, r.file_name, r.table_name, r.md5, r.rows, r.bytes, r.duration_s,
          r.status, r.reason, run_id, now) for r in rows])


def record_delivery(con: duckdb.DuckDBPyConnection, biz_date: date, fingerprint: str,
                    run_id: str | None) -> None:
    """Inside the load transaction: this date and every later loaded date need rebuild."""
    con.execute("UPDATE meta.delivery SET needs_rebuild = true WHERE biz_date > ?", [biz_date])
    con.execute("""
        INSERT INTO meta.delivery VALUES (?, ?, ?, ?, true, 1)
        ON CONFLICT (biz_date) DO UPDATE SET fingerprint = excluded.fingerprint,
            loaded_at = excluded.loaded_at, run_id = excluded.run_id, needs_rebuild = true,
            times_loaded = meta.delivery.times_loaded + 1
    """, [biz_date, fingerprint, datetime.now(), run_id])


def rebuild_from(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest business date dbt must rebuild from (``from_date``), or None."""
    try:  # works on a read-only connection too; no meta yet = nothing loaded
        row = con.execute("SELECT min(biz_date) FROM meta.delivery WHERE needs_rebuild"
                          ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def last_loaded(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest loaded business date, or None (read-only connections too)."""
    try:
        row = con.execute("SELECT max(biz_date) FROM meta.delivery").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def clear_rebuild(con: duckdb.DuckDBPyConnection, through: date) -> None:
    """After a successful dbt build covering every date up to ``through``."""
    con.execute("UPDATE meta.delivery SET needs_rebuild = false WHERE biz_date <= ?", [through])

"""Write one validated date into the raw layer in a single DuckDB transaction.

docs/architecture.md: a date is replaced atomically, so after a crash it is fully
there or absent. Incremental tables (kind ``incr``) delete that ``biz_date`` and insert
the delivery; full tables write only their changed keys as versions (ingest/versions.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date

import duckdb

from dagster_project import contract
from dagster_project.contract import Table
from dagster_project.ingest import meta
from dagster_project.ingest.pii import hmac_pads, masked_expr
from dagster_project.ingest.rules import q, stg
from dagster_project.ingest.sqltypes import cast_sql
from dagster_project.ingest.versions import snapshot_view_ddl, versions_ddl, write_date
from dagster_project.manual.schema import ensure_manual


class OldRawLayout(Exception):
    """The warehouse stores full tables one snapshot a date: it must be migrated first."""


def ensure_raw(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    meta.ensure_meta(con)
    ensure_manual(con)
    old = per_date_full_tables(con)
    if old:
        raise OldRawLayout(
            f"raw.{old[0]} stores one whole snapshot per date (the layout before versions); "
            "convert the warehouse once with `puhui migrate-raw` (docs/operations.md)")
    for t in contract.TABLES:
        if t.kind == "incr":
            con.execute(contract.raw_ddl(t))
        else:
            con.execute(versions_ddl(t))
            con.execute(snapshot_view_ddl(t))


def per_date_full_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Full tables still stored as base tables with ``biz_date`` (the old layout)."""
    full = [t.raw_table for t in contract.TABLES if t.kind == "full"]
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' "
                       "AND table_name IN (SELECT unnest($names))", {"names": full}).fetchall()
    return sorted(r[0] for r in rows)


def typed_sql(table: Table, source: str) -> str:
    """Staged rows of ``table`` (from the relation ``source``) typed and PII-protected,
    then the line fingerprint."""
    field = {c.name: q(c.name) for c in table.columns}
    exprs = [masked_expr(table, c, cast_sql(c, q(c.name)), field) + f" AS {q(c.name)}"
             for c in table.columns]
    return "SELECT " + ", ".join(exprs) + f", _fp FROM {source}"


def insert_sql(table: Table, biz_date: date) -> str:
    """Typed, PII-protected insert of ``stg_<table>`` for ``biz_date`` (incr tables)."""
    return (f"INSERT INTO raw.{table.raw_table} SELECT DATE '{biz_date.isoformat()}', "
            f"* EXCLUDE (_fp) FROM ({typed_sql(table, stg(table))})")


def has_hashed_pii(table: Table) -> bool:
    return any(c.pii and not (table.name == "CUST_INFO" and c.name == "cust_name")
               for c in table.columns)


def load_date(con: duckdb.DuckDBPyConnection, biz_date: date, fingerprint: str,
              log_rows: list[meta.LogRow], pii_key: bytes, run_id: str | None,
              before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
              pause_s: float = 0.0) -> None:
    """Replace ``biz_date`` in every raw table from the staging tables, then commit.

    ``before_commit`` runs inside the transaction (the blocking data-quality checks):
    if it raises, nothing of the date is kept.
    """
    ipad, opad = hmac_pads(pii_key)
    con.execute("BEGIN TRANSACTION")
    try:
        last = meta.last_loaded(con)
        for t in contract.TABLES:
            params = {"ipad": ipad, "opad": opad} if has_hashed_pii(t) else None
            if t.kind == "incr":
                con.execute(f"DELETE FROM raw.{t.raw_table} WHERE biz_date = ?", [biz_date])
                con.execute(insert_sql(t, biz_date), params)
            else:
                write_date(con, t, biz_date, typed_sql, params, last)
        meta.record_delivery(con, biz_date, fingerprint, run_id)
        meta.write_log(con, log_rows, run_id)
        if before_commit is not None:
            before_commit(con)
        if pause_s > 0:
            # crash-safety test aid (settings.load_txn_pause_s): the test kills us here
            print(f"{biz_date}: load transaction open, pausing {pause_s}s before COMMIT",
                  file=sys.stderr, flush=True)
            time.sleep(pause_s)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise

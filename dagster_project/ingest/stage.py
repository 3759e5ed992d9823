"""Read one transcoded data file into a VARCHAR staging table ``stg_<table>``.

Lines are read whole and split on ``|`` in SQL, so a line's field count is exact
(§2: no quoting or escaping; a CSV reader would pad or reject lines silently).
Empty fields become NULL (§2). ``_fp`` is the line's MD5, the fingerprint the
versioned raw layer compares (ingest/versions.py). The staging table lives in the connection's temp
schema: the warehouse is not written until the load transaction.
"""

from __future__ import annotations

import duckdb

from dagster_project.contract import Table
from dagster_project.ingest.rules import q, stg
from dagster_project.ingest.transcode import FileScan

MAX_LINE_BYTES = 1 << 24  # lines are short; a longer one is a corrupt file


def stage_table(con: duckdb.DuckDBPyConnection, table: Table, scan: FileScan) -> int:
    """Create ``stg_<table>`` from the scanned file; returns the number of lines read."""
    assert scan.utf8_path is not None
    cols = ",\n    ".join(f"NULLIF(f[{i}], '') AS {q(c.name)}"
                          for i, c in enumerate(table.columns, start=1))
    # CTAS keeps file order (preserve_insertion_order), so rowid + 1 is the line number.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {stg(table)} AS
        SELECT coalesce(len(f), 1) AS nf,
            {cols},
            md5_number(l) AS _fp
        FROM (
            SELECT string_split(l, '|') AS f, l
            FROM read_csv(?, columns = {{'l': 'VARCHAR'}}, delim = ?, quote = '',
                          escape = '', header = false, auto_detect = false,
                          new_line = '\\n', max_line_size = {MAX_LINE_BYTES})
        )
    """, [str(scan.utf8_path), scan.delimiter])
    row = con.execute(f"SELECT count(*) FROM {stg(table)}").fetchone()
    assert row is not None
    return int(row[0])


def drop_staging(con: duckdb.DuckDBPyConnection, tables: list[Table]) -> None:
    for t in tables:
        con.execute(f"DROP TABLE IF EXISTS {stg(t)}")

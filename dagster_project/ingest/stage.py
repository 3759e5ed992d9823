"""Read one transcoded data file into the staging relations the rules check.

Lines are read whole and split on ``|`` in SQL, so a line's field count is exact
(§2: no quoting or escaping; a CSV reader would pad or reject lines silently).
Empty fields become NULL (§2). ``_ln`` is the line number; ``_fp`` the line's MD5
(salted with the table's record rules, rules.rules_salt), the fingerprint the
versioned raw layer compares (ingest/versions.py). Everything lives in the
connection's temp schema: the warehouse is not written until the load transaction.

- ``stg_<table>``: the lines the record rules check, split into one VARCHAR per
  contract column;
- ``all_<table>``: every line, with the columns of keys, references and the GL
  (rules.cross_columns).

For a full table with a ``known`` date (the day before, or the date itself on a
re-delivery), a line whose fingerprint is that of a version valid on that date was
loaded before: it is not split, ``stg_<table>`` holds only the other lines, and
``all_<table>`` takes its values from that version. At bank scale that is over 90 %
of every full table.
"""

from __future__ import annotations

from datetime import date

import duckdb

from dagster_project.contract import SQL_TYPES, Table
from dagster_project.ingest.rules import (
    cross_columns,
    every,
    q,
    rules_salt,
    skips_known_lines,
    stg,
)
from dagster_project.ingest.transcode import FileScan
from dagster_project.ingest.versions import versions_table

MAX_LINE_BYTES = 1 << 24  # lines are short; a longer one is a corrupt file


def _lines(table: Table) -> str:
    return f"lines_{table.raw_table}"


def stage_table(con: duckdb.DuckDBPyConnection, table: Table, scan: FileScan,
                known: date | None = None) -> int:
    """Create the staging relations of ``table``; returns the number of lines read."""
    assert scan.utf8_path is not None
    fp = "md5_number(coalesce(l, '') || $salt)" if table.kind == "full" else "NULL::UHUGEINT"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_lines(table)} AS
        SELECT l, {fp} AS _fp
        FROM read_csv($path, columns = {{'l': 'VARCHAR'}}, delim = $delim, quote = '',
                      escape = '', header = false, auto_detect = false,
                      new_line = '\\n', max_line_size = {MAX_LINE_BYTES})
    """, {"path": str(scan.utf8_path), "delim": scan.delimiter,
          **({"salt": rules_salt(table)} if table.kind == "full" else {})})
    skip = known is not None and skips_known_lines(table)
    # rowid + 1 is the line number: CTAS keeps file order (preserve_insertion_order).
    # An empty line reads as NULL: its fingerprint is that of '', never a loaded line's.
    where = f"WHERE _fp NOT IN (SELECT row_fp FROM {_known(table)})" if skip else ""
    cols = ",\n    ".join(f"NULLIF(f[{i}], '') AS {q(c.name)}"
                          for i, c in enumerate(table.columns, start=1))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {stg(table)} AS
        SELECT coalesce(len(f), 1) AS nf,
            {cols},
            _fp, _ln
        FROM (
            SELECT string_split(l, '|') AS f, _fp, rowid + 1 AS _ln
            FROM {_lines(table)} {where}
        )
    """, {"known": known} if skip else None)
    cross = ", ".join(["nf", *(q(c) for c in cross_columns(table)), "_fp", "_ln"])
    if skip:
        n = len(table.columns)
        as_text = ", ".join(f"CAST(v.{q(c)} AS VARCHAR)" if SQL_TYPES[table.column(c).type]
                            != "VARCHAR" else f"v.{q(c)}" for c in cross_columns(table))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {every(table)} AS
            SELECT {cross} FROM {stg(table)}
            UNION ALL
            SELECT {n}, {as_text}, v.row_fp, l.rowid + 1
            FROM {_lines(table)} AS l
            INNER JOIN {_known(table)} AS v ON v.row_fp = l._fp
        """, {"known": known})
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {every(table)} AS "
                    f"SELECT {cross} FROM {stg(table)}")
    row = con.execute(f"SELECT count(*) FROM {_lines(table)}").fetchone()
    con.execute(f"DROP TABLE {_lines(table)}")
    assert row is not None
    return int(row[0])


def _known(table: Table) -> str:
    """The versions valid on the ``$known`` date (their lines passed the record rules)."""
    return (f"(SELECT * FROM raw.{versions_table(table)} "
            "WHERE valid_from <= $known AND valid_to > $known AND row_fp IS NOT NULL)")


def drop_staging(con: duckdb.DuckDBPyConnection, tables: list[Table]) -> None:
    for t in tables:
        try:
            con.execute(f"DROP VIEW IF EXISTS {every(t)}")
        except duckdb.CatalogException:  # a table of that name
            con.execute(f"DROP TABLE {every(t)}")
        con.execute(f"DROP TABLE IF EXISTS {stg(t)}")
        con.execute(f"DROP TABLE IF EXISTS {_lines(t)}")

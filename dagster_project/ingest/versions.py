"""The raw layer of full tables as versions (拉链表): one row per version of a key.

A full table (t1-extract-spec §4 kind ``full``) is delivered whole every night, and
almost none of it changes from one day to the next. So ``raw.<table>_versions``
keeps one row per version of a primary key, valid on the business dates
``valid_from ≤ D < valid_to`` (``valid_to`` is 9999-12-31 while the version is
current), and ``raw.<table>`` is a view that gives every loaded date's snapshot
with ``biz_date``, the same rows as when every night was stored whole.

Changes are found by ``row_fp``, the MD5 of the delivered line (after decoding), so
nothing is compared column by column and a line that did not change is neither
typed nor hashed again. Writing date D from the staged delivery:

1. ``cur``: the versions valid on D; ``chg``: the keys whose delivered line differs
   from the version valid on D, or that exist on only one side;
2. each changed key's version valid on D ends at D, and when D is not the last
   loaded date the rest of it, from D + 1 on, is kept as a version of its own;
3. each changed key that is delivered gets a version from D (to D + 1 when later
   dates are loaded, else open);
4. versions of a changed key that now meet at D or D + 1 with the same line are
   joined into one, so each key's history stays minimal whatever the order of
   loads and re-deliveries.

Replacing any date this way is exact: the snapshots of the other dates do not
change, and a re-delivery of D needs no other delivery. On a normal night (D after
the last loaded date) steps 2 and 4 reduce to closing the changed keys' versions.
Everything runs inside the caller's load transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import duckdb

from dagster_project import contract
from dagster_project.contract import Table
from dagster_project.ingest.rules import every, stg

OPEN_END = date(9999, 12, 31)
VERSION_COLUMNS = ("row_fp", "valid_from", "valid_to")


def versions_table(table: Table) -> str:
    return f"{table.raw_table}_versions"


def versions_ddl(table: Table, schema: str = "raw") -> str:
    """The contract columns, typed, then the line fingerprint and validity interval."""
    cols = ",\n    ".join(f"{c.name} {contract.SQL_TYPES[c.type]}" for c in table.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {schema}.{versions_table(table)} (\n    {cols},\n"
        "    row_fp UHUGEINT,\n    valid_from DATE NOT NULL,\n    valid_to DATE NOT NULL\n)")


def snapshot_view_ddl(table: Table, schema: str = "raw") -> str:
    """``raw.<table>``: every loaded date's snapshot, as the per-date layout had it."""
    cols = ", ".join(f"v.{c.name}" for c in table.columns)
    return (
        f"CREATE OR REPLACE VIEW {schema}.{table.raw_table} AS\n"
        f"SELECT d.biz_date, {cols}\n"
        f"FROM {schema}.{versions_table(table)} AS v\n"
        "INNER JOIN meta.delivery AS d\n"
        "    ON d.biz_date >= v.valid_from AND d.biz_date < v.valid_to")


def _on(table: Table, a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in table.primary_key)


def write_date(con: duckdb.DuckDBPyConnection, table: Table, biz_date: date,
               typed_sql: Callable[[Table, str], str], params: dict[str, object] | None,
               last_loaded: date | None) -> int:
    """Make ``biz_date``'s snapshot of ``table`` the staged delivery; returns changed keys.

    ``typed_sql(table, relation)`` selects a relation of staged rows typed and
    PII-protected, with the column ``_fp`` (the line fingerprint) last: only the
    changed lines go through it, so unchanged ones are neither cast nor hashed.
    ``last_loaded`` is the last loaded date before this write (None if none).
    """
    v = f"raw.{versions_table(table)}"
    keys = ", ".join(table.primary_key)
    d, d1 = biz_date, biz_date + timedelta(days=1)
    later = last_loaded is not None and biz_date < last_loaded
    new_end = d1 if later else OPEN_END
    con.execute("DROP TABLE IF EXISTS _chg")
    con.execute(f"""
        CREATE TEMP TABLE _chg AS
        WITH cur AS (
            SELECT {keys}, row_fp, valid_from, valid_to FROM {v}
            WHERE valid_from <= $d AND valid_to > $d
        ),
        new AS (SELECT {keys}, _fp FROM {every(table)} WHERE nf = {len(table.columns)})
        SELECT {", ".join(f"coalesce(new.{k}, cur.{k}) AS {k}" for k in table.primary_key)},
            cur.valid_from AS old_from, cur.valid_to AS old_to, new._fp IS NOT NULL AS delivered
        FROM new FULL OUTER JOIN cur ON {_on(table, 'new', 'cur')}
        WHERE new._fp IS DISTINCT FROM cur.row_fp
    """, {"d": d})
    changed = con.execute("SELECT count(*) FROM _chg").fetchone()[0]  # type: ignore[index]
    if not changed:
        return 0
    cols = ", ".join(c.name for c in table.columns)
    if later:  # the part of a replaced version after D stays as it was
        con.execute(f"""
            INSERT INTO {v}
            SELECT {", ".join(f"v.{c.name}" for c in table.columns)}, v.row_fp, $d1, v.valid_to
            FROM {v} AS v INNER JOIN _chg ON {_on(table, 'v', '_chg')}
                AND v.valid_from = _chg.old_from
            WHERE v.valid_to > $d1
        """, {"d1": d1})
    con.execute(f"""
        DELETE FROM {v} USING _chg
        WHERE {_on(table, v, '_chg')} AND {v}.valid_from = _chg.old_from
            AND _chg.old_from = $d
    """, {"d": d})
    con.execute(f"""
        UPDATE {v} SET valid_to = $d FROM _chg
        WHERE {_on(table, v, '_chg')} AND {v}.valid_from = _chg.old_from
            AND _chg.old_from < $d
    """, {"d": d})
    con.execute("DROP TABLE IF EXISTS _chg_lines")
    con.execute(f"""
        CREATE TEMP TABLE _chg_lines AS
        SELECT s.* FROM {stg(table)} AS s
        WHERE EXISTS (SELECT 1 FROM _chg WHERE _chg.delivered AND {_on(table, '_chg', 's')})
    """)
    con.execute(f"""
        INSERT INTO {v} ({cols}, row_fp, valid_from, valid_to)
        SELECT * EXCLUDE (_fp), _fp, $d, $end FROM ({typed_sql(table, '_chg_lines')})
    """, {**(params or {}), "d": d, "end": new_end})
    con.execute("DROP TABLE _chg_lines")
    if last_loaded is not None and biz_date <= last_loaded:  # a re-delivery or back-fill
        for boundary in (d, d1):
            _join_at(con, table, v, boundary)
    con.execute("DROP TABLE _chg")
    return int(changed)


def _join_at(con: duckdb.DuckDBPyConnection, table: Table, v: str, boundary: date) -> None:
    """Join a changed key's version ending at ``boundary`` to the one starting there."""
    keys = table.primary_key
    con.execute("DROP TABLE IF EXISTS _join")
    con.execute(f"""
        CREATE TEMP TABLE _join AS
        SELECT {", ".join(f"a.{k}" for k in keys)}, a.valid_from AS a_from,
            b.valid_to AS b_to
        FROM {v} AS a
        INNER JOIN {v} AS b ON {_on(table, 'a', 'b')}
        WHERE a.valid_to = $b AND b.valid_from = $b AND a.row_fp = b.row_fp
            AND EXISTS (SELECT 1 FROM _chg WHERE {_on(table, '_chg', 'a')})
    """, {"b": boundary})
    con.execute(f"""
        DELETE FROM {v} USING _join
        WHERE {_on(table, v, '_join')} AND {v}.valid_from = $b
    """, {"b": boundary})
    con.execute(f"""
        UPDATE {v} SET valid_to = _join.b_to FROM _join
        WHERE {_on(table, v, '_join')} AND {v}.valid_from = _join.a_from
    """)
    con.execute("DROP TABLE _join")



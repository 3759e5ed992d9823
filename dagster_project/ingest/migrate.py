"""Convert a warehouse whose full tables store one whole snapshot per date into the
versioned raw layer (ingest/versions.py): ``puhui migrate-raw``.

Each full table's rows become versions: consecutive loaded dates on which a key's
row is the same are one version. All tables convert in one transaction, so a
killed migration leaves the old layout in place. Nothing downstream changes: the
``raw.<table>`` views give the same rows the tables held.

The migrated versions carry the fingerprint of their typed row, not of the
delivered line (that text is gone), so the first night after the migration sees
every key of a full table as changed and writes one new version of each: one
night's worth of rows, once.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from dagster_project import contract
from dagster_project.ingest.load import ensure_raw, per_date_full_tables
from dagster_project.ingest.versions import (
    OPEN_END,
    snapshot_view_ddl,
    versions_ddl,
    versions_table,
)


def migrate_raw(con: duckdb.DuckDBPyConnection, say: Callable[[str], None] = print
                ) -> dict[str, tuple[int, int]]:
    """Convert every full table still in the per-date layout; returns rows before/after."""
    old = per_date_full_tables(con)
    if not old:
        say("the raw layer is already versioned: nothing to do")
        return {}
    out: dict[str, tuple[int, int]] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for t in contract.TABLES:
            if t.raw_table not in old:
                continue
            before = con.execute(f"SELECT count(*) FROM raw.{t.raw_table}").fetchone()[0]
            con.execute(versions_ddl(t))
            con.execute(_versions_sql(t))
            after = con.execute(f"SELECT count(*) FROM raw.{versions_table(t)}").fetchone()[0]
            con.execute(f"DROP TABLE raw.{t.raw_table}")
            con.execute(snapshot_view_ddl(t))
            out[t.name] = (int(before), int(after))
            say(f"raw.{t.raw_table}: {before:,} dated rows → {after:,} versions")
        ensure_raw(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("CHECKPOINT")
    return out


def _versions_sql(t: contract.Table) -> str:
    """Gaps and islands: a key's version breaks where its row changes or it is absent."""
    keys = ", ".join(t.primary_key)
    cols = ", ".join(c.name for c in t.columns)
    firsts = ", ".join(f"first({c.name}) AS {c.name}" for c in t.columns)
    return f"""
        INSERT INTO raw.{versions_table(t)}
        WITH dated AS (
            SELECT *, md5_number(CAST(ROW({cols}) AS VARCHAR)) AS fp FROM raw.{t.raw_table}
        ),
        breaks AS (
            SELECT *, CASE WHEN lag(fp) OVER w = fp AND lag(biz_date) OVER w = biz_date - 1
                           THEN 0 ELSE 1 END AS starts
            FROM dated WINDOW w AS (PARTITION BY {keys} ORDER BY biz_date)
        ),
        islands AS (
            SELECT *, sum(starts) OVER (PARTITION BY {keys} ORDER BY biz_date) AS island
            FROM breaks
        )
        SELECT {firsts}, first(fp), min(biz_date),
            CASE WHEN max(biz_date) = (SELECT max(biz_date) FROM meta.delivery)
                 THEN DATE '{OPEN_END.isoformat()}' ELSE max(biz_date) + 1 END
        FROM islands
        GROUP BY {keys}, island
    """

"""Which published dates a new blacklist version changes, and the rebuild it asks for.

customer-ops.md §6: the pre-credit of every published date uses the blacklist version
in force, so loading a version rebuilds the dates whose result it changes. Those are
the dates from :func:`first_changed_date` on: an entry is in force on D when
列入日期 ≤ D < 移出日期 (or no 移出日期), and the first date on which the set of hashes in
force differs between the old and the new version is the first whose pre-credit can
differ. Everything before it is the same under both.

The rebuild is the dbt selection :data:`PRECREDIT_SELECT` from that date, then the
audit and the publish: the night's own path (``pipeline.next_step`` plans it, the
delivery sensor or ``puhui blacklist load`` runs it). A version that needs it records
the first built date in ``manual.blacklist_version.rebuild_from``; the publish clears
it (``clear_pending``), so a rebuild that fails is planned again, like
``meta.delivery.needs_rebuild`` for a re-delivery.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import duckdb

# The one place that names what a blacklist change rebuilds: every model the blacklist
# feeds, from the first that reads it (the customers it hits, then the pre-credit
# whitelist of customer-ops.md §5 and what is built on it). Starting at `precredit`
# would rebuild it from the stale list of hits.
PRECREDIT_SELECT = "stg_manual__blacklist_entries+"

Interval = tuple[date, date | None]  # (列入日期, 移出日期 or None): in force on [a, b)


def in_force(interval: Interval | None, d: date) -> bool:
    if interval is None:
        return False
    listed, removed = interval
    return listed <= d and (removed is None or d < removed)


def first_changed_date(old: Mapping[str, Interval], new: Mapping[str, Interval]
                       ) -> date | None:
    """The earliest date on which the set of hashes in force under ``old`` differs from
    that under ``new`` (each maps an ID hash to its entry's interval), or None when it is
    the same on every date.

    Whether one hash is in force changes only at its intervals' ends, and before the
    first of them it is in force under neither, so the first date its two intervals
    disagree on is one of those ends."""
    first: date | None = None
    for h in old.keys() | new.keys():
        a, b = old.get(h), new.get(h)
        if a == b:
            continue
        ends = sorted({d for iv in (a, b) if iv is not None for d in iv if d is not None})
        for d in ends:
            if first is not None and d >= first:
                break
            if in_force(a, d) != in_force(b, d):
                first = d
                break
    return first


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    # information_schema, not a try/except: a failed statement would abort the caller's
    # transaction
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def first_built_date_from(con: duckdb.DuckDBPyConnection, d: date) -> date | None:
    """The first loaded date ≥ d that is built and published (``meta.delivery`` not
    flagged for rebuild), or None: dates still flagged are built with the new version
    by the next build anyway."""
    if not _has_table(con, "meta", "delivery"):
        return None
    return con.execute("SELECT min(biz_date) FROM meta.delivery "
                       "WHERE biz_date >= ? AND NOT needs_rebuild", [d]).fetchone()[0]


def selected_models(manifest_path: Path, select: str = PRECREDIT_SELECT) -> list[str]:
    """The dbt models ``select`` picks in the manifest (dbt's own selection syntax);
    empty when the project has no such model yet."""
    from dagster_dbt.utils import select_unique_ids

    manifest = json.loads(manifest_path.read_text())
    # dbt's selector warns on stdout when nothing matches: ask it only when the model the
    # selection starts from exists (its name is the selection without graph operators)
    name = select.strip("+@")
    if not any(n.get("resource_type") == "model" and n.get("name") == name
               for n in manifest.get("nodes", {}).values()):
        return []
    ids = select_unique_ids(select=select, exclude="", selector="", project=None,
                            manifest_json=manifest)
    return sorted(i for i in ids if i.startswith("model."))


def pending_from(con: duckdb.DuckDBPyConnection) -> date | None:
    """The first date a loaded blacklist version still waits to be rebuilt from."""
    try:  # read-only connections too; a warehouse from before it has nothing pending
        row = con.execute("SELECT min(rebuild_from) FROM manual.blacklist_version").fetchone()
    except (duckdb.CatalogException, duckdb.BinderException):
        return None
    return row[0] if row else None


def pending_digest(con: duckdb.DuckDBPyConnection) -> str:
    """The pending versions and their dates, for the planner's run key."""
    try:
        return repr(con.execute("SELECT version_id, rebuild_from FROM manual.blacklist_version "
                                "WHERE rebuild_from IS NOT NULL ORDER BY 1").fetchall())
    except (duckdb.CatalogException, duckdb.BinderException):
        return ""


def clear_pending(con: duckdb.DuckDBPyConnection, from_date: date) -> None:
    """After a publish that rebuilt pre-credit from ``from_date`` on."""
    from dagster_project.manual.schema import ensure_manual

    ensure_manual(con)
    con.execute("UPDATE manual.blacklist_version SET rebuild_from = NULL "
                "WHERE rebuild_from >= ?", [from_date])

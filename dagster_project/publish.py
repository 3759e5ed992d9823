"""Publish the serving database Superset reads (architecture.md "Serving database").

A NEW DuckDB file is written next to ``serving.duckdb`` (the warehouse ATTACHed
read-only; each serving table created, then filled, a view one loaded business date at
a time so that a catch-up of many dates never computes it over all of them in one
statement), closed, then renamed over the old one with ``os.replace`` —
atomic on POSIX, so a reader opens either the old or the new file, never a mix, and a
failed publish leaves the old one untouched.

A night that built the dates from ``from_date`` on publishes only those: the new
file starts as a copy of the published one, and each table that dbt keeps by
business date (an incremental model with ``unique_key='biz_date'``, which never
rewrites an earlier date) has its rows from ``from_date`` on replaced. Every other
table is copied whole, as is every table of a first publish, of ``puhui publish``
and of a file whose columns no longer match the warehouse (an upgrade). So the
night's publish costs one file copy plus the new dates, not the whole history.

Some serving relations are dbt views the night never writes (``meta:
published_by_date``: customer_profile, customer_tag, srv_customer_tag, srv_precredit,
srv_customer_lookup): a date's rows of such a view read only that date of date-keyed
tables. The publish writes them into the serving copy the same way, its dates from
``from_date`` on, when every date-keyed table of this publish kept its earlier dates;
otherwise it writes them whole.

Once the served file holds more dates than ``publish_standby_after_dates`` (settings),
a night's publish keeps the file it replaced as the standby (``serving.standby.duckdb``,
a hard link made before the rename) and the next night writes its new file from it
rather than from a copy of the served file, which grows with history: it deletes the
rows from the earlier of the last publish's first date and its own, copies the served
file's rows up to its own first date and the warehouse's from it, and writes whole what
either publish wrote whole. Each file records that in ``puhui_meta.publish``. The standby
is used only when its record is the one just before the served file's; otherwise, and
when a reader still holds it, the night copies the served file as before.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.settings import Settings

# serving table -> (warehouse relation, order by). Names are the agreed interface
# with the dashboards (architecture.md); change them only together.
SERVING_TABLES: dict[str, tuple[str, str]] = {
    "indicator_value": ("marts.indicator_value", "biz_date, org_no, indicator_code"),
    "mgr_indicator_value": ("marts.mgr_indicator_value", "biz_date, mgr_no, indicator_code"),
    "indicator_dictionary": ("ref.indicator_dictionary", "sort_order"),
    "dim_org": ("marts.dim_org", "org_no"),
    "org_indicator_wide": ("marts.org_indicator_wide", "biz_date, org_no"),
    "mgr_indicator_wide": ("marts.mgr_indicator_wide", "biz_date, mgr_no"),
    # The semantic layer Superset reads (dbt/models/serving/, docs/marts.md): leaf-grain
    # facts whose dictionary metrics are right under any grouping. Ordered by date and
    # the 法人行社 first, so a one-date query with row-level security reads few blocks.
    "srv_indicator_leaf": ("serving.srv_indicator_leaf", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_indicator_customer": ("serving.srv_indicator_customer",
                               "biz_date, role, lvl2_org_no, lvl3_org_no"),
    "srv_org_flags_daily": ("serving.srv_org_flags_daily", "biz_date, org_no"),
    "srv_loan_migration": ("serving.srv_loan_migration", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_visit_points": ("serving.srv_visit_points", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_grid_points": ("serving.srv_grid_points", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_mgr_scorecard": ("serving.srv_mgr_scorecard", "biz_date, mgr_no"),
    "srv_business_warnings": ("serving.srv_business_warnings",
                              "biz_date, lvl2_org_no, lvl3_org_no"),
    # Customer operations 客户经营 (customer-ops.md §1-§5, issue 15): the contract's table
    # names and columns, nothing else, so no name, ID number or phone reaches them
    # (docs/customer-ops.md). Ordered by date and owner org like the detail marts.
    "customer_profile": ("marts.customer_profile", "biz_date, org_no, cust_no"),
    "customer_tag": ("marts.customer_tag", "biz_date, tag_code, cust_no"),
    "opportunity_event": ("marts.opportunity_event", "biz_date, org_no, event_type, cust_no"),
    "precredit": ("marts.precredit", "biz_date, cust_no"),
    # The opportunity push (issue 15) names a customer beside its number: the masked
    # name of each customer with an event on D, nobody else (docs/customer-ops.md).
    "srv_opportunity_customers": ("serving.srv_opportunity_customers", "biz_date, cust_no"),
    # ... and what the 客户经营 dashboard reads of them (dbt/models/serving/, issue 15): each
    # row with its owner org's path for row-level security, masked names, no ID or phone.
    "srv_customer_tag": ("serving.srv_customer_tag", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_customer_tag_overlap": ("serving.srv_customer_tag_overlap",
                                 "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_opportunity": ("serving.srv_opportunity", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_precredit": ("serving.srv_precredit", "biz_date, lvl2_org_no, lvl3_org_no"),
    "srv_customer_lookup": ("serving.srv_customer_lookup", "biz_date, lvl2_org_no, lvl3_org_no"),
}
# Dashboard detail marts, published when the dbt project has built them.
DETAIL_TABLES: dict[str, tuple[str, str]] = {
    "fct_loan_five_class_daily": ("marts.fct_loan_five_class_daily", "biz_date, org_no"),
    "fct_loan_class_migration": ("marts.fct_loan_class_migration", "biz_date, org_no"),
    "fct_visit_points": ("marts.fct_visit_points", "biz_date"),
    "fct_policy_lapse_reasons": ("marts.fct_policy_lapse_reasons", "biz_date, org_no"),
    "fct_mgr_scorecard": ("marts.fct_mgr_scorecard", "biz_date, mgr_no"),
    "fct_deposit_balance_daily": ("marts.fct_deposit_balance_daily", "biz_date, org_no"),
    "fct_org_deposit_growth": ("marts.fct_org_deposit_growth", "biz_date, org_no"),
    "dim_manager": ("marts.dim_manager", "mgr_no"),
    "fct_incl_loan_structure_daily": ("marts.fct_incl_loan_structure_daily",
                                      "biz_date, org_no, dimension"),
    "fct_loan_product_quality_daily": ("marts.fct_loan_product_quality_daily",
                                       "biz_date, org_no"),
    "fct_policy_lapse_by_seller": ("marts.fct_policy_lapse_by_seller", "biz_date, org_no"),
    "fct_grid_points": ("marts.fct_grid_points", "biz_date"),
    "dim_date": ("marts.dim_date", "date_day"),
    # business early warnings (issue 16): the 行长战情室 panel and the morning briefing
    "fct_business_warnings": ("marts.fct_business_warnings", "biz_date, rule_code, org_no"),
}


class PublishError(RuntimeError):
    """The serving database could not be built; the old one is still in place."""


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # table -> rows
    seconds: float
    # tables whose rows from from_date on were replaced (the rest were copied whole)
    incremental: list[str] = field(default_factory=list)
    # what the new file started as: "standby" (the file served before the last publish,
    # brought up to date), "copy" (a copy of the served file) or "new" (written whole)
    written_from: str = "new"


def _existing(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(con.execute(
        "select count(*) from (select schema_name, table_name as name from duckdb_tables() "
        "where database_name = 'wh' union all select schema_name, view_name "
        "from duckdb_views() where database_name = 'wh') where schema_name = ? and name = ?",
        [schema, name]).fetchone()[0])


def _remove_stale_temps(target: Path) -> None:
    """Delete half-written serving files (and WALs) left by a publish that was killed
    (SIGKILL, power loss: its ``except`` never ran). A temp file whose process is still
    alive belongs to a publish under way and is left alone."""
    for stale in target.parent.glob(f".{target.stem}.*.new.duckdb*"):
        pid = stale.name[len(target.stem) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(settings: Settings, from_date: date | None = None) -> PublishResult:
    """Rebuild ``serving.duckdb`` from the warehouse marts, atomically.

    ``from_date``: the first date this night built; the dates before it are taken
    from the file already published where that is exact (module docstring).
    """
    began = time.perf_counter()
    target = settings.serving_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.new.duckdb")
    standby = standby_path(target)
    _remove_stale_temps(target)
    tmp.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    by_date, views = (_kept_by_date(settings) if from_date is not None and target.exists()
                      else (set(), set()))
    replaced: list[str] = []
    whole: list[str] = []  # relations this publish writes whole, against the served file
    try:
        served = _record(target) if by_date else None
        # The standby is the file served before the last publish: it lacks that publish's
        # dates and tonight's, nothing else, when its record is the one just before.
        base = None
        if (served is not None and served.from_date is not None and standby.exists()
                and served.dates > settings.publish_standby_after_dates):
            behind = _record(standby)
            if behind is not None and behind.seq == served.seq - 1:
                os.replace(standby, tmp)
                base = behind
        if by_date and base is None:
            shutil.copyfile(target, tmp)
        # The new file is attached under a name of our own: DuckDB would name its catalog
        # after the file ("serving"), and a published view's body that names the
        # warehouse schema serving (srv_customer_lookup reads serving.srv_opportunity)
        # would then be an ambiguous reference.
        con = duckdb.connect()
        try:
            con.execute(f"set memory_limit = '{settings.memory_limit}'")
            try:
                con.execute("attach ? as pub", [str(tmp)])
            except duckdb.Error:
                if base is None:
                    raise
                # a reader still holds the standby (a query begun before the last swap)
                tmp.unlink(missing_ok=True)
                base = None
                shutil.copyfile(target, tmp)
                con.execute("attach ? as pub", [str(tmp)])
            con.execute("use pub")
            con.execute("attach ? as wh (read_only)", [str(settings.warehouse_path)])
            # what the served file holds decides what this night replaces; the file being
            # written is the served one's copy, or the standby a publish behind it
            current = "pub"
            if base is not None:
                con.execute("attach ? as cur (read_only)", [str(target)])
                current = "cur"
            missing = [rel for rel, _ in SERVING_TABLES.values() if not _existing(con, rel)]
            if missing:
                raise PublishError(f"warehouse lacks {missing}: run dbt build first")
            tables = dict(SERVING_TABLES)
            tables.update({k: v for k, v in DETAIL_TABLES.items() if _existing(con, v[0])})
            stale = set(_main_tables(con)) - set(tables)
            for name in sorted(stale):  # a table the warehouse no longer has
                con.execute(f"drop table main.{name}")
            since = from_date if base is None else min(from_date, served.from_date)
            dates_loaded = _dates_loaded(con)
            # views last: whether they keep their dates depends on the tables before them
            for name, (relation, order_by) in sorted(tables.items(),
                                                     key=lambda item: item[1][0] in views):
                if relation in views:  # its earlier dates hold if its sources' do
                    keep = (not any(w in by_date for w in whole)
                            and _same_columns(con, name, relation, current))
                elif relation in by_date:
                    keep = (_same_columns(con, name, relation, current)
                            and _same_dates_before(con, name, relation, from_date, current))
                else:
                    keep = False
                if relation in by_date | views and not keep:
                    whole.append(relation)
                if keep and base is not None:  # the standby: the last publish's dates too
                    keep = (relation not in served.whole
                            and _same_columns(con, name, relation, "pub"))
                # a view a date at a time: over a catch-up of weeks in one statement each
                # they held DuckDB's whole memory limit (docs/benchmarks.md); a table is
                # copied in one statement (by date it took longer and saved little)
                cuts = dates_loaded if relation in views else []
                if keep:
                    con.execute(f"delete from main.{name} where biz_date >= ?", [since])
                    if since < from_date:  # the standby: the last publish's dates, as
                        # served (copied rows, not the warehouse's views computed again)
                        con.execute(f"insert into main.{name} select * from cur.main.{name} "
                                    f"where biz_date >= ? and biz_date < ? order by {order_by}",
                                    [since, from_date])
                    replaced.append(name)
                else:
                    con.execute(f"create or replace table main.{name} as "
                                f"select * from wh.{relation} limit 0")
                for where, params in _date_ranges(cuts, from_date if keep else None):
                    con.execute(f"insert into main.{name} select * from wh.{relation}"
                                f"{where} order by {order_by}", params)
                rows[name] = con.execute(f"select count(*) from main.{name}").fetchone()[0]
            dates = con.execute(
                "select count(distinct biz_date) from main.indicator_value").fetchone()[0]
            _write_record(con, PublishRecord(
                seq=served.seq + 1 if served is not None else 1,
                from_date=from_date if by_date else None, whole=tuple(sorted(whole)),
                dates=dates))
            con.execute("detach wh")
            if base is not None:
                con.execute("detach cur")
            con.execute("checkpoint pub")
        finally:
            con.close()
        if settings.publish_pause_s > 0:
            # write-audit-publish test aid (settings.publish_pause_s): the test kills us here
            print(f"publish: {tmp.name} written, pausing {settings.publish_pause_s}s before "
                  "the rename", file=sys.stderr, flush=True)
            time.sleep(settings.publish_pause_s)
        _swap(tmp, target, standby,
              keep_standby=bool(by_date) and dates > settings.publish_standby_after_dates)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if isinstance(exc, PublishError):
            raise
        raise PublishError(f"publish failed, {target} unchanged: {exc}") from exc
    return PublishResult(path=target, tables=rows, seconds=time.perf_counter() - began,
                         incremental=replaced,
                         written_from="standby" if base else "copy" if by_date else "new")


def standby_path(target: Path) -> Path:
    """The file served before the last publish, kept to write the next one in place."""
    return target.with_name(f"{target.stem}.standby.duckdb")


@dataclass(frozen=True)
class PublishRecord:
    """What one publish changed against the file served before it, kept in the file it
    wrote (``puhui_meta.publish``): its number, the first date it replaced (None: it
    wrote everything), the relations it wrote whole and the dates the file holds."""

    seq: int
    from_date: date | None
    whole: tuple[str, ...]
    dates: int  # business dates the file holds (indicator_value)


def _record(path: Path) -> PublishRecord | None:
    """The publish record of a serving file; None when it has none (written before
    records were kept) or cannot be read now."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                "select seq, from_date, whole, dates from puhui_meta.publish").fetchone()
    except duckdb.Error:
        return None
    return PublishRecord(row[0], row[1], tuple(row[2]), row[3]) if row else None


def _write_record(con: duckdb.DuckDBPyConnection, record: PublishRecord) -> None:
    con.execute("create schema if not exists puhui_meta")
    con.execute("create or replace table puhui_meta.publish "
                "(seq integer, from_date date, whole varchar[], dates integer)")
    con.execute("insert into puhui_meta.publish values (?, ?, ?, ?)",
                [record.seq, record.from_date, list(record.whole), record.dates])


def _swap(tmp: Path, target: Path, standby: Path, keep_standby: bool) -> None:
    """Rename the new file over the served one (atomic: readers see the old file or the
    new). A night's publish keeps the old one as the standby, for the next night to
    bring up to date instead of copying the whole served file; a whole publish does not
    need it, and deletes any."""
    old = tmp.with_name(tmp.name + ".old")  # matches _remove_stale_temps' pattern
    linked = False
    if keep_standby and target.exists():
        try:
            os.link(target, old)
            linked = True
        except OSError:  # no hard links here: no standby, the next night copies
            pass
    os.replace(tmp, target)
    if linked:
        os.replace(old, standby)
    else:
        standby.unlink(missing_ok=True)


def _kept_by_date(settings: Settings) -> tuple[set[str], set[str]]:
    """Warehouse relations dbt keeps by business date (incremental, unique_key biz_date):
    a build from D deletes and rewrites their dates from D on and leaves every earlier
    date as it was; and the views over them published the same way (meta
    published_by_date). Read from the manifest of the build that just ran; empty (copy
    everything) when there is none."""
    manifest = settings.dbt_target_dir / "manifest.json"
    if not manifest.exists():
        return set(), set()
    nodes = [n for n in json.loads(manifest.read_text("utf-8")).get("nodes", {}).values()
             if n.get("resource_type") == "model"]

    def relation(n: dict) -> str:
        return f"{n['schema']}.{n['alias'] or n['name']}"

    tables = {relation(n) for n in nodes if n["config"].get("materialized") == "incremental"
              and n["config"].get("unique_key") == "biz_date"}
    views = {relation(n) for n in nodes if n["config"].get("materialized") == "view"
             and (n["config"].get("meta") or {}).get("published_by_date")}
    return tables, views


def _dates_loaded(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The warehouse's loaded business dates (``meta.delivery``), ascending; none for a
    warehouse without that table (then every relation is written in one statement)."""
    try:
        return [r[0] for r in con.execute(
            "select biz_date from wh.meta.delivery order by biz_date").fetchall()]
    except duckdb.CatalogException:
        return []


def _date_ranges(cuts: list[date], since: date | None) -> list[tuple[str, list[date]]]:
    """``where`` clauses (with their parameters) of consecutive business-date ranges that
    together cover every ``biz_date >= since`` (every date when ``since`` is None), cut
    at each of ``cuts`` after ``since``: [since, c1), [c1, c2), ..., [cn, ∞). The first
    and last are open where nothing bounds them, so no row is left out whatever dates a
    relation holds; written in this order they keep a table ordered by date first."""
    inner = [c for c in cuts if since is None or c > since]
    ranges = []
    for lo, hi in zip([since, *inner], [*inner, None], strict=True):
        conds = [c for c, v in (("biz_date >= ?", lo), ("biz_date < ?", hi)) if v is not None]
        ranges.append((" where " + " and ".join(conds) if conds else "",
                       [v for v in (lo, hi) if v is not None]))
    return ranges


def _main_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main'").fetchall()]


def _same_dates_before(con: duckdb.DuckDBPyConnection, name: str, relation: str,
                       from_date: date, published: str) -> bool:
    """Every date before ``from_date`` has as many rows published as the warehouse holds:
    a date built but never published (a blocked audit) forces a whole copy."""
    query = ("select biz_date, count(*) from {} where biz_date < ? group by biz_date "
             "order by biz_date")
    return (con.execute(query.format(f"{published}.main.{name}"), [from_date]).fetchall()
            == con.execute(query.format(f"wh.{relation}"), [from_date]).fetchall())


def _same_columns(con: duckdb.DuckDBPyConnection, name: str, relation: str,
                  published: str) -> bool:
    """The table of the published file ``published`` (a catalog: the served file, or
    the file being written) exists with the warehouse relation's columns and types."""
    schema, table = relation.split(".")
    query = ("select column_name, data_type from duckdb_columns() where database_name = ? "
             "and schema_name = ? and table_name = ? order by column_index")
    ours = con.execute(query, [published, "main", name]).fetchall()
    return bool(ours) and ours == con.execute(query, ["wh", schema, table]).fetchall()

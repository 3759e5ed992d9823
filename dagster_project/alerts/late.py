"""Late delivery (issue 7): yesterday's extract must be complete by the deadline.

t1-extract-spec §1: a date's delivery is complete once ``DONE_<date>.flg``
exists; every calendar day has one, and deliveries can be late. So from the
deadline (``late_delivery_deadline``, Beijing time) on D+1, a missing DONE for D
raises one ``late_delivery`` alert — once per date, however often the sensor ticks.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.alerts import model
from dagster_project.alerts.notify import raise_alert
from dagster_project.alerts.store import already_raised, ensure_alert_table
from dagster_project.audit.clock import to_beijing
from dagster_project.settings import Settings

log = logging.getLogger(__name__)


def expected_date(now: datetime) -> date:
    """T+1: on Beijing calendar day X the extract of X−1 is due."""
    return to_beijing(now).date() - timedelta(days=1)


def is_delivered(landing_dir: Path, biz_date: date,
                 con: duckdb.DuckDBPyConnection | None = None) -> bool:
    """DONE flag in the landing folder, or the date already loaded (meta.delivery,
    written by ingestion) in case the landing folder has been cleaned up since."""
    ymd = f"{biz_date:%Y%m%d}"
    if (landing_dir / ymd / f"DONE_{ymd}.flg").exists():
        return True
    if con is None:
        return False
    has_table = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'meta' and table_name = 'delivery'").fetchone()
    if not has_table or not has_table[0]:
        return False
    row = con.execute("select count(*) from meta.delivery where biz_date = ?",
                      [biz_date]).fetchone()
    return bool(row and row[0])


def _was_quarantined(settings: Settings, biz_date: date) -> bool:
    qdir = settings.quarantine_dir
    return qdir.is_dir() and any(qdir.glob(f"{biz_date:%Y%m%d}-*"))


def check_late(
    settings: Settings,
    landing_dir: Path,
    now: datetime,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[model.Alert]:
    """Raise (record and send) a ``late_delivery`` alert for yesterday if it is due.

    Returns the alerts raised now: ``[]`` before the deadline, when the DONE flag is
    there, or when the date was alerted already. ``now`` may be aware (any zone) or
    naive Beijing time. Without ``con`` it opens the warehouse; if a load holds the
    warehouse it returns ``[]`` and the next sensor tick tries again.
    """
    bj = to_beijing(now)
    d = expected_date(bj)
    deadline = datetime.combine(bj.date(), settings.late_delivery_deadline, bj.tzinfo)
    if bj < deadline or is_delivered(landing_dir, d):
        return []
    if con is None:
        try:
            own = duckdb.connect(str(settings.warehouse_path))
        except duckdb.IOException as exc:  # one writer at a time: busy loading
            log.warning("late-delivery check for %s postponed: warehouse busy (%s)",
                        d, type(exc).__name__)
            return []
        try:
            return check_late(settings, landing_dir, now, con=own)
        finally:
            own.close()
    ensure_alert_table(con)
    if is_delivered(landing_dir, d, con) or already_raised(con, "late_delivery", d):
        return []
    alert = model.late_delivery(d, settings.late_delivery_deadline, bj,
                                quarantined=_was_quarantined(settings, d))
    return [raise_alert(con, settings, alert)]

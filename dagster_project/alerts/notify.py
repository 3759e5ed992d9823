"""Raise an alert: record it in ``meta.alert``, send it, record where it went."""

from __future__ import annotations

import dataclasses
import logging
import time

import duckdb

from dagster_project.alerts.channels import deliver
from dagster_project.alerts.model import Alert
from dagster_project.alerts.store import ensure_alert_table, insert, set_delivered_to
from dagster_project.settings import Settings

log = logging.getLogger(__name__)

# How long an alert waits for another process to let go of the warehouse before it is
# sent unrecorded. Readers hold it for well under a second; a night's writer for longer,
# and its own alerts go through the connection it holds.
RECORD_WAIT_S = 30.0


def raise_alert(con: duckdb.DuckDBPyConnection, settings: Settings, alert: Alert) -> Alert:
    """Record first (so a crash while sending still leaves the alert on file, marked
    ``pending``), then send on every configured channel and record the outcome.
    Never raises for a delivery failure (issue 7)."""
    ensure_alert_table(con)
    insert(con, dataclasses.replace(alert, delivered_to="pending"))
    delivered_to = deliver(settings, alert)
    set_delivered_to(con, alert.alert_id, delivered_to)
    log.info("alert %s %s %s: %s", alert.alert_id, alert.kind, alert.biz_date, delivered_to)
    return dataclasses.replace(alert, delivered_to=delivered_to)


def raise_in_warehouse(settings: Settings, alert: Alert,
                       wait_s: float = RECORD_WAIT_S) -> Alert:
    """``raise_alert`` on its own connection to the warehouse, for steps that hold none
    (a rejected delivery, a failed publish).

    A reader may hold the file for a moment (a sensor tick, an operator's read-only
    query): the connect is retried for up to ``wait_s`` seconds so the alert is not
    lost to it. If a writer still holds the warehouse after that, the alert is sent
    anyway and the log says it could not be recorded."""
    deadline = time.monotonic() + wait_s
    pause = 0.2
    while True:
        try:
            con = duckdb.connect(str(settings.warehouse_path))
            break
        except duckdb.IOException as exc:
            if time.monotonic() + pause <= deadline:
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            delivered_to = deliver(settings, alert)
            log.error("alert %s %s %s not recorded (warehouse busy for %.0f s: %s); sent: %s",
                      alert.alert_id, alert.kind, alert.biz_date, wait_s,
                      type(exc).__name__, delivered_to)
            return dataclasses.replace(alert, delivered_to=delivered_to)
    try:
        return raise_alert(con, settings, alert)
    finally:
        con.close()


def raise_alerts(con: duckdb.DuckDBPyConnection, settings: Settings,
                 alerts: list[Alert]) -> list[Alert]:
    return [raise_alert(con, settings, a) for a in alerts]

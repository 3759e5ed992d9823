"""``meta.alert`` in the warehouse: every alert raised and where it went (issue 7)."""

from __future__ import annotations

from datetime import date

import duckdb

from dagster_project.alerts.model import Alert

DDL = (
    "create schema if not exists meta",
    """
    create table if not exists meta.alert (
        alert_id varchar not null,
        raised_at timestamp not null,   -- Beijing time
        kind varchar not null check (kind in ('rejected_delivery', 'audit_failed',
            'audit_warning', 'late_delivery', 'publish_failed')),
        biz_date date,
        severity varchar not null check (severity in ('critical', 'warning')),
        title varchar not null,
        detail varchar,
        delivered_to varchar            -- per channel: ok or the failure, never a secret
    )
    """,
)


def ensure_alert_table(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def insert(con: duckdb.DuckDBPyConnection, alert: Alert) -> None:
    con.execute(
        "insert into meta.alert values (?, ?, ?, ?, ?, ?, ?, ?)",
        [alert.alert_id, alert.raised_at, alert.kind, alert.biz_date, alert.severity,
         alert.title, alert.detail, alert.delivered_to],
    )


def set_delivered_to(con: duckdb.DuckDBPyConnection, alert_id: str, delivered_to: str) -> None:
    con.execute("update meta.alert set delivered_to = ? where alert_id = ?",
                [delivered_to, alert_id])


def already_raised(con: duckdb.DuckDBPyConnection, kind: str, biz_date: date) -> bool:
    row = con.execute("select count(*) from meta.alert where kind = ? and biz_date = ?",
                      [kind, biz_date]).fetchone()
    return bool(row and row[0])

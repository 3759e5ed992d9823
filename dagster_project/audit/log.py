"""The audit's tables in the warehouse ``meta`` schema (issue 7).

- ``meta.audit_log``: one row per check per date per run, so "why did this
  morning not publish?" is one query;
- ``meta.audit_explanation``: an engineer's note that makes a flagged DEP_BAL
  move acceptable (docs/operations.md has the INSERT). ``org_no`` NULL explains
  the move of every org on that date (e.g. a re-organisation of outlets).

Timestamps (``*_at``) are Beijing time, naive, like the extract (t1 spec §2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from dagster_project.audit.result import AuditResult

DDL = (
    "create schema if not exists meta",
    """
    create table if not exists meta.audit_log (
        run_id varchar not null,
        biz_date date not null,
        check_name varchar not null,
        passed boolean not null,
        blocking boolean not null,
        detail varchar,
        checked_at timestamp not null  -- Beijing time
    )
    """,
    """
    create table if not exists meta.audit_explanation (
        biz_date date not null,
        org_no varchar,                 -- NULL: every org on biz_date
        rule varchar not null,          -- check_name it explains, e.g. dep_bal_day_move
        note varchar not null,
        entered_by varchar not null
    )
    """,
)


def ensure_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def record(con: duckdb.DuckDBPyConnection, result: AuditResult, checked_at: datetime) -> None:
    """Append every check of ``result`` to meta.audit_log; a check without a date
    (a whole-run result from another component) is logged against each date."""
    rows: list[Sequence[object]] = [
        (result.run_id, d, c.check_name, c.passed, c.blocking, c.detail, checked_at)
        for c in result.checks
        for d in ((c.biz_date,) if c.biz_date is not None else result.biz_dates)
    ]
    if rows:
        con.executemany("insert into meta.audit_log values (?, ?, ?, ?, ?, ?, ?)", rows)

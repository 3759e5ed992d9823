"""The audit gate between build and publish (issue 7, "write–audit–publish").

``audit()`` runs the blocking rules over the warehouse indicator store for the
dates just built, adds the results other components hand in (dbt tests, Great
Expectations on marts, GL reconciliation), records all of them in
``meta.audit_log`` and returns an :class:`AuditResult`. The pipeline publishes
only when ``result.passed``; otherwise yesterday's publication keeps serving.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import duckdb

from dagster_project.audit.clock import beijing_now, naive_beijing
from dagster_project.audit.log import ensure_audit_tables, record
from dagster_project.audit.result import CHECK_NAMES_ZH, AuditResult, CheckResult
from dagster_project.audit.rules import Store, all_rules
from dagster_project.settings import Settings


def audit(
    con: duckdb.DuckDBPyConnection,
    biz_dates: Sequence[date],
    settings: Settings,
    *,
    extra_checks: Iterable[CheckResult | Sequence[object]] = (),
    store: Store | None = None,
    now: datetime | None = None,
) -> AuditResult:
    """Audit ``biz_dates`` in the warehouse behind ``con`` and log the run.

    ``extra_checks``: results of other components, as CheckResult or
    ``(check_name, passed, blocking, detail[, biz_date])``; without a date a
    result applies to every date of the run. ``now`` (Beijing time) stamps
    ``checked_at``; tests pass it, the pipeline leaves it out.
    """
    dates = tuple(sorted(set(biz_dates)))
    if not dates:
        raise ValueError("audit needs at least one business date")
    ensure_audit_tables(con)
    checks = [
        *all_rules(con, dates, settings, store or Store()),
        *(CheckResult.of(c) for c in extra_checks),
    ]
    result = AuditResult(run_id=uuid.uuid4().hex, biz_dates=dates, checks=tuple(checks))
    record(con, result, naive_beijing(now or beijing_now()))
    return result


__all__ = [
    "CHECK_NAMES_ZH",
    "AuditResult",
    "CheckResult",
    "Store",
    "audit",
    "ensure_audit_tables",
]

"""The audit of a build: ``run_audit(settings, from_date)`` (issue 7).

The blocking asset checks on the indicator store (checks/audit.py) call it after the
dbt models are built and before the serving copy: it audits every loaded date from
``from_date`` (the earliest date dbt just rebuilt), adding the Great Expectations
checks on the marts (audit/marts_quality.py) to the ``extra_checks`` handed in,
records the run in ``meta.audit_log`` and raises the audit alerts. A blocking failure
then stops the publish, the rebuild flags stay set and yesterday's publication keeps
serving. ``audit_step`` is the same for callers outside Dagster: it raises
:class:`AuditBlocked` instead of returning a failed result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import duckdb

from dagster_project.alerts import ensure_alert_table, from_audit, raise_alerts
from dagster_project.audit import AuditResult, CheckResult, Store, audit
from dagster_project.audit.clock import beijing_now
from dagster_project.audit.marts_quality import marts_expectations
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings


class AuditBlocked(RuntimeError):
    """A blocking audit check failed; nothing may be published."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        super().__init__(f"audit {result.run_id} blocked publication:\n{result.reason()}")


def dates_to_audit(con: duckdb.DuckDBPyConnection, from_date: date, store: Store) -> list[date]:
    """Every loaded date from ``from_date`` (meta.delivery, written by ingestion), so a
    date dbt failed to build at all shows up as incomplete rather than unaudited;
    the store's own dates where there is no meta.delivery yet."""
    has_delivery = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'meta' and table_name = 'delivery'").fetchone()
    source = ("meta.delivery" if has_delivery and has_delivery[0] else store.org_table)
    rows = con.execute(f"select distinct biz_date from {source} where biz_date >= ? "
                       "order by biz_date", [from_date]).fetchall()
    return [r[0] for r in rows]


def run_audit(
    settings: Settings,
    from_date: date,
    *,
    extra_checks: Iterable[CheckResult | Sequence[object]] = (),
    store: Store | None = None,
    now: datetime | None = None,
) -> AuditResult:
    """Audit, log, alert; the result says whether publication may happen."""
    now = now or beijing_now()
    store = store or Store()
    con = connect_warehouse(settings)
    try:
        dates = dates_to_audit(con, from_date, store)
        if not dates:
            return AuditResult("none", (from_date,), (CheckResult(
                "completeness_org", False, True, f"no loaded date from {from_date}",
                from_date),))
        checks = [*extra_checks, *marts_expectations(con, dates, store)]
        result = audit(con, dates, settings, extra_checks=checks, store=store, now=now)
        ensure_alert_table(con)  # so the operators' queries work before the first alert
        raise_alerts(con, settings, from_audit(result, now))
    finally:
        con.close()
    return result


def audit_step(
    settings: Settings,
    from_date: date,
    *,
    extra_checks: Iterable[CheckResult | Sequence[object]] = (),
    store: Store | None = None,
    now: datetime | None = None,
) -> AuditResult:
    """:func:`run_audit`, raising AuditBlocked if publication must not happen."""
    result = run_audit(settings, from_date, extra_checks=extra_checks, store=store, now=now)
    if not result.passed:
        raise AuditBlocked(result)
    return result

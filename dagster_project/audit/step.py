"""The audit as a pipeline step: ``audit_step(settings, from_date)`` (issue 7).

It fits ``pipeline.DOWNSTREAM_STEPS`` between the dbt build and the publish:
it audits every loaded date from ``from_date`` (the earliest date dbt just
rebuilt), adding the Great Expectations checks on the marts
(audit/marts_quality.py) to the ``extra_checks`` handed in, raises the audit
alerts, and raises :class:`AuditBlocked` when a blocking check failed, so the
publish step does not run, the rebuild flags stay set and yesterday's
publication keeps serving.
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


def audit_step(
    settings: Settings,
    from_date: date,
    *,
    extra_checks: Iterable[CheckResult | Sequence[object]] = (),
    store: Store | None = None,
    now: datetime | None = None,
) -> AuditResult:
    """Audit, log, alert; raise AuditBlocked if publication must not happen."""
    now = now or beijing_now()
    store = store or Store()
    con = connect_warehouse(settings.warehouse_path, settings.threads, settings.memory_limit,
                            settings.tmp_dir)
    try:
        dates = dates_to_audit(con, from_date, store)
        if not dates:
            raise AuditBlocked(AuditResult("none", (from_date,), (CheckResult(
                "completeness_org", False, True, f"no loaded date from {from_date}",
                from_date),)))
        checks = [*extra_checks, *marts_expectations(con, dates, store)]
        result = audit(con, dates, settings, extra_checks=checks, store=store, now=now)
        ensure_alert_table(con)  # so the operators' queries work before the first alert
        raise_alerts(con, settings, from_audit(result, now))
    finally:
        con.close()
    if not result.passed:
        raise AuditBlocked(result)
    return result

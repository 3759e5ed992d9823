"""``puhui run``: load every pending delivery through the Dagster ingest job, in process.

Each business date is one run of the ``ingest`` job against the instance in
``settings.dagster_home`` (so ``dagster dev`` with DAGSTER_HOME there shows the runs).
Dates go in business-date order and the plan is re-made after every run: a rejected
date keeps the later ones waiting (indicators.md: no gaps once loading has begun).
After ingestion, the downstream steps (dbt from ``from_date``, then publish) run; see
``DOWNSTREAM_STEPS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster import DagsterInstance

from dagster_project.briefing import brief_after_night
from dagster_project.ingest import meta
from dagster_project.ingest.delivery import find_deliveries
from dagster_project.ingest.load import ensure_raw
from dagster_project.ingest.plan import Decision, plan
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_key
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.sensors.delivery_sensor import INGEST_JOB_NAME, ingest_run_config
from dagster_project.settings import Settings

Say = Callable[[str], None]
# A downstream step gets the settings and from_date (earliest date needing rebuild).
DownstreamStep = Callable[[Settings, date], None]

def dbt_build_step(settings: Settings, from_date: date) -> None:
    """Build the marts and the indicator store from ``from_date`` (dbt build + tests)."""
    from dagster_project.dbt_build import build

    build(settings, from_date=from_date)


def audit_step(settings: Settings, from_date: date) -> None:
    """Blocking audit of the rebuilt dates; raises AuditBlocked so publish never runs."""
    from dagster_project.audit.step import audit_step as run_audit

    run_audit(settings, from_date)


def publish_step(settings: Settings, from_date: date) -> None:
    """Replace serving.duckdb in one rename (readers see the old or the new, never a mix)."""
    from dagster_project.publish import publish

    publish(settings)


# Write-audit-publish (issue 7): after ingest, build, audit, then publish. Steps run in
# order whenever some loaded date needs rebuild (also after a rejected date: the dates
# before it are good and worth publishing; also to retry a build that failed last time).
# When all succeed the rebuild flags in meta.delivery are cleared up to the last loaded
# date; a step that raises leaves them set and the previous publication keeps serving.
DOWNSTREAM_STEPS: list[DownstreamStep] = [dbt_build_step, audit_step, publish_step]


@dataclass
class RunReport:
    loaded: list[date] = field(default_factory=list)
    unchanged: list[date] = field(default_factory=list)
    waiting: list[Decision] = field(default_factory=list)
    failed: list[tuple[date, str]] = field(default_factory=list)
    downstream_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.downstream_error is None


def instance_for(settings: Settings) -> DagsterInstance:
    """The instance ``dagster dev`` sees with DAGSTER_HOME=$PUHUI_HOME/dagster."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    yaml = settings.dagster_home / "dagster.yaml"
    if not yaml.exists():
        # No telemetry (no network, nothing outside PUHUI_HOME). One consolidated event
        # log instead of a new SQLite file per run: creating and migrating that file cost
        # seconds per business date here.
        yaml.write_text(
            "telemetry:\n  enabled: false\n"
            "event_log_storage:\n"
            "  module: dagster._core.storage.event_log\n"
            "  class: ConsolidatedSqliteEventLogStorage\n"
            f"  config:\n    base_dir: {settings.dagster_home / 'history'}\n")
    return DagsterInstance.from_config(str(settings.dagster_home))


def _loaded(settings: Settings) -> dict[date, str]:
    con = connect_warehouse(settings.warehouse_path, settings.threads, settings.memory_limit,
                            settings.tmp_dir)
    try:
        ensure_raw(con)
        return meta.loaded_fingerprints(con)
    finally:
        con.close()


def run_pending(settings: Settings, landing: Path | None = None, through: date | None = None,
                say: Say = print) -> RunReport:
    """Load every complete delivery not yet loaded, and every re-delivery, in date order."""
    from dagster_project.definitions import defs  # heavy: only when running

    landing = landing or settings.landing_dir
    settings.ensure_dirs()
    job = defs.resolve_job_def(INGEST_JOB_NAME)
    report = RunReport()
    attempted: set[date] = set()
    with instance_for(settings) as instance:
        while True:
            deliveries = {d.biz_date: d for d in find_deliveries(landing)}
            fps = {d: x.fingerprint() for d, x in deliveries.items()}
            decisions = plan(fps, _loaded(settings), through)
            todo = [x for x in decisions
                    if x.action in ("load", "reload") and x.biz_date not in attempted]
            if not todo:
                report.unchanged = [x.biz_date for x in decisions if x.action == "unchanged"
                                    and x.biz_date not in report.loaded]
                report.waiting = [x for x in decisions if x.action == "wait"]
                break
            # Dagster's console log stays quiet (CRITICAL): this loop prints one line per
            # date and the rejection report; the full run log is in the instance (UI).
            step = todo[0]
            attempted.add(step.biz_date)
            key = partition_key(step.biz_date)
            if not instance.has_dynamic_partition(BIZ_DATE_PARTITIONS.name, key):
                instance.add_dynamic_partitions(BIZ_DATE_PARTITIONS.name, [key])
            say(f"{step.biz_date}: {step.action}ing ...")
            began = time.perf_counter()
            result = job.execute_in_process(instance=instance, partition_key=key,
                                            run_config=ingest_run_config(str(landing), "CRITICAL"),
                                            raise_on_error=False)
            if result.success:
                report.loaded.append(step.biz_date)
                say(f"{step.biz_date}: loaded in {time.perf_counter() - began:.0f} s "
                    f"(run {result.run_id})")
            else:
                reason = _failure_reason(result)
                report.failed.append((step.biz_date, reason))
                say(f"{step.biz_date}: FAILED (run {result.run_id})\n{reason}")
                _alert_if_quarantined(settings, step.biz_date, reason)
    for w in report.waiting:
        say(f"{w.biz_date}: {w.reason}")
    report.downstream_error = run_downstream(settings, say)
    # issue 16: the morning briefing, or the "数据未更新" notice, for tonight's date
    brief_after_night(settings, [*report.loaded, *(d for d, _ in report.failed)], say)
    return report


def _failure_reason(result: object) -> str:
    """The step failure's message (DeliveryRejected summary names file, line and rule)."""
    for ev in result.all_events:  # type: ignore[attr-defined]
        if ev.is_step_failure and ev.step_failure_data and ev.step_failure_data.error:
            err = ev.step_failure_data.error
            return (getattr(ev.step_failure_data.user_failure_data, "description", None)
                    or err.message).strip()
    return "run failed (see the Dagster run log)"


def run_downstream(settings: Settings, say: Say = print) -> str | None:
    """Run DOWNSTREAM_STEPS from the earliest date needing rebuild; None when all succeed."""
    if not DOWNSTREAM_STEPS:
        return None
    con = connect_warehouse(settings.warehouse_path, settings.threads, settings.memory_limit,
                            settings.tmp_dir)
    try:
        from_date = meta.rebuild_from(con)
        last = (con.execute("SELECT max(biz_date) FROM meta.delivery").fetchone()
                if from_date is not None else None)
    finally:
        con.close()
    if from_date is None:
        return None
    for step in DOWNSTREAM_STEPS:
        name = getattr(step, "__name__", repr(step))
        say(f"downstream: {name} from {from_date}")
        began = time.perf_counter()
        try:
            step(settings, from_date)
            say(f"downstream: {name} done in {time.perf_counter() - began:.0f} s")
        except Exception as e:  # report, do not hide: the run exits non-zero
            _alert_downstream_failure(settings, e, from_date, last[0] if last else None)
            return f"{name} failed: {e}"
    con = connect_warehouse(settings.warehouse_path, settings.threads, settings.memory_limit,
                            settings.tmp_dir)
    try:
        if last and last[0]:
            meta.clear_rebuild(con, last[0])
    finally:
        con.close()
    return None


def _alert_if_quarantined(settings: Settings, biz_date: date, reason: str) -> None:
    """A delivery that broke the contract was quarantined: tell the operators now
    (issue 7). Other failures (a locked warehouse, a full disk) leave the folder in
    the landing area and are retried by the next run, so they raise no alert."""
    from dagster_project.alerts import raise_in_warehouse, rejected_delivery
    from dagster_project.audit.clock import beijing_now

    if any(settings.quarantine_dir.glob(f"{biz_date:%Y%m%d}-*")):
        raise_in_warehouse(settings, rejected_delivery(biz_date, reason, beijing_now()))


def _alert_downstream_failure(settings: Settings, exc: Exception, from_date: date,
                              last: date | None) -> None:
    """A failed build or publish keeps yesterday's publication serving; say so. A blocked
    audit has already raised its own alert (audit.step)."""
    from dagster_project.alerts import publish_failed, raise_in_warehouse
    from dagster_project.audit.clock import beijing_now
    from dagster_project.audit.step import AuditBlocked

    if isinstance(exc, AuditBlocked):
        return
    dates = [from_date] if last is None or last == from_date else [from_date, last]
    raise_in_warehouse(settings, publish_failed(dates, str(exc), beijing_now()))

"""The night as one plan, run by the delivery sensor or by ``puhui run`` in process.

:func:`next_step` is the one place that decides what the warehouse needs next:

* load or reload the first complete delivery that may load (``ingest`` job, one run
  per business date, in business-date order; a rejected date keeps the later ones
  waiting, indicators.md: no gaps once loading has begun);
* when no date is left to load and some loaded date needs a rebuild, build, audit and
  publish (``build_audit_publish`` job) from the earliest such date through the last
  loaded one, so a night of several dates builds once, a re-delivery rebuilds from
  its date on, and a build that failed is retried from where it stopped;
* when only a new blacklist version waits (``manual.blacklist_version.rebuild_from``,
  customer-ops.md §6), the same for the pre-credit models alone (``rebuild_precredit``
  job, manual/rebuild.py); a whole build also covers it.

The delivery sensor asks for one step per tick when no run is under way (DuckDB has
one writer); :func:`run_pending` (``puhui run``) executes the same steps with the same
Dagster jobs in process against the instance under ``settings.dagster_home``, so the
runs show in the UI, and prints how long each date and each step took.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from dagster_project.assets.dbt import RANGE_END_TAG, RANGE_START_TAG
from dagster_project.assets.ingestion import INGEST_JOB_NAME
from dagster_project.assets.publish import PRECREDIT_JOB_NAME, PUBLISH_JOB_NAME
from dagster_project.ingest import meta
from dagster_project.ingest.delivery import find_deliveries
from dagster_project.ingest.plan import Decision, plan
from dagster_project.manual.rebuild import PRECREDIT_SELECT, pending_digest, pending_from
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_key
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings

Say = Callable[[str], None]

# The instance's dagster.yaml. One run at a time: DuckDB allows one writer, and the
# sensor plans the next step from the state the previous one left. No telemetry (no
# network, nothing outside PUHUI_HOME). One consolidated event log instead of a new
# SQLite file per run: creating and migrating that file cost seconds per business date;
# and its connections kept open between events (event_log.py).
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
event_log_storage:
  module: dagster_project.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {history}
"""


@dataclass(frozen=True)
class Step:
    """One run to launch: a job, its partition (or range) and the run key that makes the
    sensor ask for it once per warehouse state."""

    job_name: str
    partition: str  # the run's partition key; for a publish, the last loaded date
    run_key: str
    biz_date: date  # the date loaded, or the first date rebuilt
    action: str  # load, reload, publish, precredit
    range_start: str | None = None  # a publish over from_date..last when the keys allow

    @property
    def tags(self) -> dict[str, str]:
        if self.range_start is None or self.range_start == self.partition:
            return {}
        return {RANGE_START_TAG: self.range_start, RANGE_END_TAG: self.partition}


@dataclass(frozen=True)
class Night:
    step: Step | None
    decisions: list[Decision]
    delivered: list[date]


@dataclass(frozen=True)
class _State:
    loaded: dict[date, str]  # loaded date → fingerprint
    flagged: date | None  # first date needing a whole rebuild (meta.delivery)
    precredit: date | None  # first date a blacklist version waits to rebuild from
    last: date | None  # last loaded date
    digest: str  # of meta.delivery and the pending versions (changes with every load)


def _state(settings: Settings) -> _State:
    if not settings.warehouse_path.exists():
        return _State({}, None, None, None, "")
    con = connect_warehouse(settings, read_only=True, threads=1)
    try:
        try:
            rows = con.execute("SELECT biz_date, fingerprint, loaded_at FROM meta.delivery "
                               "ORDER BY biz_date").fetchall()
        except Exception:  # no meta schema yet: nothing loaded
            return _State({}, None, None, None, "")
        flagged = meta.rebuild_from(con)
        precredit = pending_from(con)
        manual = pending_digest(con)
    finally:
        con.close()
    digest = hashlib.sha256((repr(rows) + manual).encode()).hexdigest()[:12]
    return _State({d: fp for d, fp, _ in rows}, flagged, precredit,
                  max((d for d, _, _ in rows), default=None), digest)


def next_step(settings: Settings, through: date | None = None,
              skip: Collection[str] = (), partitions: list[str] | None = None) -> Night:
    """What the warehouse needs next (see the module doc); ``skip`` are run keys already
    tried by this caller, ``partitions`` the instance's biz_date keys in their order."""
    deliveries = {d.biz_date: d for d in find_deliveries(settings.landing_dir)}
    fingerprints = {d: x.fingerprint() for d, x in deliveries.items()}
    state = _state(settings)
    decisions = plan(fingerprints, state.loaded, through)
    for x in decisions:
        if x.action not in ("load", "reload"):
            continue
        key = partition_key(x.biz_date)
        run_key = f"{key}-{fingerprints[x.biz_date]}"
        if run_key not in skip:
            return Night(Step(INGEST_JOB_NAME, key, run_key, x.biz_date, x.action),
                         decisions, sorted(deliveries))
        break  # tried and failed: later dates wait behind it, the loaded ones may publish
    last = state.last
    if last is None or (state.flagged is None and state.precredit is None):
        return Night(None, decisions, sorted(deliveries))
    if state.flagged is not None:  # the whole graph, pre-credit included
        first = min(d for d in (state.flagged, state.precredit) if d is not None)
        job, action = PUBLISH_JOB_NAME, "publish"
    else:
        first, job, action = state.precredit, PRECREDIT_JOB_NAME, "precredit"
    run_key = f"{action}-{first}-{last}-{state.digest}"
    if run_key in skip:
        return Night(None, decisions, sorted(deliveries))
    start, end = partition_key(first), partition_key(last)
    order = partitions or []
    ranged = start in order and end in order and order.index(start) <= order.index(end)
    return Night(Step(job, end, run_key, first, action,
                      range_start=start if ranged else None), decisions, sorted(deliveries))


def instance_for(settings: Settings) -> DagsterInstance:
    """The instance the webserver and daemon see with DAGSTER_HOME=$PUHUI_HOME/dagster."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    yaml = settings.dagster_home / "dagster.yaml"
    text = DAGSTER_YAML.format(history=settings.dagster_home / "history")
    if not yaml.exists() or yaml.read_text() != text:
        yaml.write_text(text)
    return DagsterInstance.from_config(str(settings.dagster_home))


def add_partitions(instance: DagsterInstance, dates: list[date]) -> None:
    """Add the biz_date keys not there yet, in date order (ranges follow key order)."""
    keys = [partition_key(d) for d in sorted(set(dates))
            if not instance.has_dynamic_partition(BIZ_DATE_PARTITIONS.name, partition_key(d))]
    if keys:
        instance.add_dynamic_partitions(BIZ_DATE_PARTITIONS.name, keys)


@dataclass
class RunReport:
    loaded: list[date] = field(default_factory=list)
    unchanged: list[date] = field(default_factory=list)
    waiting: list[Decision] = field(default_factory=list)
    failed: list[tuple[date, str]] = field(default_factory=list)
    downstream_error: str | None = None
    published: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and self.downstream_error is None


def run_pending(settings: Settings, landing: Path | None = None, through: date | None = None,
                say: Say = print, publish: bool = True) -> RunReport:
    """Load every complete delivery not yet loaded, and every re-delivery, in date order;
    then (unless ``publish`` is False) build, audit and publish once."""
    from dagster_project.definitions import build_defs  # heavy: only when running

    if landing is not None:
        settings = settings.model_copy(update={"landing": landing.resolve()})
    settings.ensure_dirs()
    defs = build_defs(settings)
    report = RunReport()
    tried: set[str] = set()
    with instance_for(settings) as instance:
        while True:
            order = instance.get_dynamic_partitions(BIZ_DATE_PARTITIONS.name)
            night = next_step(settings, through, tried, order)
            step = night.step
            if step is None or (step.action in DOWNSTREAM and not publish):
                break
            tried.add(step.run_key)
            add_partitions(instance, night.delivered)
            if step.action in DOWNSTREAM:
                _publish(defs, instance, step, report, say)
            else:
                _ingest(defs, instance, step, report, say)
    report.unchanged = [x.biz_date for x in night.decisions
                        if x.action == "unchanged" and x.biz_date not in report.loaded]
    report.waiting = [x for x in night.decisions if x.action == "wait"]
    for w in report.waiting:
        say(f"{w.biz_date}: {w.reason}")
    return report


def run_rebuild(settings: Settings, say: Say = print) -> RunReport:
    """After a blacklist version was stored: run the rebuild it asks for now, the step
    the delivery sensor would launch, unless a delivery waits to load first (then
    ``puhui run`` or the sensor loads it and rebuilds after it)."""
    from dagster_project.definitions import build_defs  # heavy: only when running

    settings.ensure_dirs()
    report = RunReport()
    with instance_for(settings) as instance:
        night = next_step(settings, partitions=instance.get_dynamic_partitions(
            BIZ_DATE_PARTITIONS.name))
        step = night.step
        if step is None:
            say("nothing waits to be rebuilt")
            return report
        if step.action not in DOWNSTREAM:
            say(f"{step.biz_date}: a delivery waits to load first; `puhui run` (or the "
                "delivery sensor) loads it, then rebuilds")
            return report
        # the range needs its two ends as partition keys (a home whose landing folder
        # was emptied may lack them)
        add_partitions(instance, [*night.delivered, step.biz_date,
                                  date.fromisoformat(step.partition)])
        step = next_step(settings, partitions=instance.get_dynamic_partitions(
            BIZ_DATE_PARTITIONS.name)).step
        if step is None or step.action not in DOWNSTREAM:  # changed meanwhile
            return report
        _publish(build_defs(settings), instance, step, report, say)
    return report


def _execute(defs: object, instance: DagsterInstance, step: Step) -> object:
    job = defs.resolve_job_def(step.job_name)  # type: ignore[attr-defined]
    # Dagster's console log stays quiet (CRITICAL): this loop prints a line per date and
    # step and the rejection report; the full run log is in the instance (the UI).
    return job.execute_in_process(
        instance=instance, partition_key=None if step.tags else step.partition,
        tags={**step.tags, "puhui/run_key": step.run_key},
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        raise_on_error=False)


def _ingest(defs: object, instance: DagsterInstance, step: Step, report: RunReport,
            say: Say) -> None:
    say(f"{step.biz_date}: {step.action}ing ...")
    began = time.perf_counter()
    result = _execute(defs, instance, step)
    if result.success:  # type: ignore[attr-defined]
        report.loaded.append(step.biz_date)
        say(f"{step.biz_date}: loaded in {time.perf_counter() - began:.0f} s "
            f"(run {result.run_id})")  # type: ignore[attr-defined]
    else:
        reason = failure_reason(result)
        report.failed.append((step.biz_date, reason))
        say(f"{step.biz_date}: FAILED (run {result.run_id})\n{reason}")  # type: ignore[attr-defined]


# Actions that run the build, audit and publish (the whole graph, or pre-credit alone).
DOWNSTREAM = ("publish", "precredit")


def _publish(defs: object, instance: DagsterInstance, step: Step, report: RunReport,
             say: Say) -> None:
    what = f"rebuild {PRECREDIT_SELECT}" if step.action == "precredit" else "build"
    say(f"{what}, audit, publish from {step.biz_date} through {step.partition} ...")
    began = time.perf_counter()
    result = _execute(defs, instance, step)
    for name, seconds in step_seconds(instance, result.run_id):  # type: ignore[attr-defined]
        say(f"  {name} done in {seconds:.0f} s")
    if result.success:  # type: ignore[attr-defined]
        report.published = True
        say(f"published through {step.partition} in {time.perf_counter() - began:.0f} s "
            f"(run {result.run_id})")  # type: ignore[attr-defined]
    else:
        report.downstream_error = failure_reason(result)
        say(f"NOT published (run {result.run_id}): "  # type: ignore[attr-defined]
            f"{report.downstream_error}")


STEP_NAMES = {"dbt_models": "dbt build", "audit": "audit", "serving": "publish"}


def step_seconds(instance: DagsterInstance, run_id: str) -> list[tuple[str, float]]:
    """Seconds per step of a finished run, from its step start and end events."""
    started: dict[str, float] = {}
    out: list[tuple[str, float]] = []
    ends = (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or ev.step_key is None:
            continue
        if ev.event_type == DagsterEventType.STEP_START:
            started[ev.step_key] = entry.timestamp
        elif ev.event_type in ends and ev.step_key in started:
            out.append((STEP_NAMES.get(ev.step_key, ev.step_key),
                        entry.timestamp - started[ev.step_key]))
    return out


def failure_reason(result: object) -> str:
    """Why a run failed: the step failure's message (DeliveryRejected's summary names
    file, line and rule), or the blocking checks that failed."""
    for ev in result.all_events:  # type: ignore[attr-defined]
        if ev.is_step_failure and ev.step_failure_data and ev.step_failure_data.error:
            err = ev.step_failure_data.error
            return (getattr(ev.step_failure_data.user_failure_data, "description", None)
                    or err.message).strip()
    failed = [ev.event_specific_data for ev in result.all_events  # type: ignore[attr-defined]
              if ev.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
              and not ev.event_specific_data.passed]
    if failed:
        return "blocking audit checks failed: " + "; ".join(
            f"{c.asset_key.to_user_string()}:{c.check_name}" for c in failed)
    return "run failed (see the Dagster run log)"

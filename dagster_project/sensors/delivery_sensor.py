"""Watch the landing folder for ``DONE_<date>.flg`` and launch the night's next step.

t1-extract-spec §1: a folder is complete once DONE exists. What to run is decided by
``pipeline.next_step``, the same plan ``puhui run`` follows: load the first date that
may load (business-date order, no gaps, identical re-deliveries skipped), and once
none is left, build, audit and publish from the earliest date needing it. One step
per tick and none while a run is queued or under way: the warehouse has one writer,
and the next step depends on what the last one left. The run key is the date and the
delivery fingerprint (or, for a publish, the window and a digest of what is loaded),
so a step is requested once per state; a failed step is not retried until the state
changes (a re-delivery) or an operator re-executes it in the UI.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dagster_project.assets.ingestion import INGEST_JOB_NAME, ingest_job
from dagster_project.assets.publish import PUBLISH_JOB_NAME, publish_job
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_key
from dagster_project.settings import Settings

SENSOR_NAME = "delivery_sensor"
# A run whose process was killed (a reboot mid-run) stays "started" in the run storage.
# The longest night measured (bank scale, docs/benchmarks.md) takes well under this, so
# an older unfinished run is taken as dead rather than blocking every night after it;
# its date is still flagged for rebuild and the next step redoes it.
STALE_AFTER = timedelta(hours=6)
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def failed_steps(failed: list[tuple[str, bool]]) -> tuple[set[str], dict[str, int]]:
    """From the sensor's failed runs (run key, whether the run started): the steps that
    ran and failed (not asked for again in the same state) and, per step, how many runs
    failed before starting (a launch that timed out on a busy machine): those are asked
    for again under a new run key, since Dagster launches a run key once."""
    tried: set[str] = set()
    relaunches: dict[str, int] = {}
    for key, started in failed:
        base = key.split("/relaunch", 1)[0]
        if started:
            tried.add(base)
        else:
            relaunches[base] = relaunches.get(base, 0) + 1
    return tried, relaunches


def build_delivery_sensor(settings: Settings,
                          default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING,
                          precredit_job: Any = None) -> SensorDefinition:
    """The sensor for this home. On by default: a served deployment runs the night
    unattended (issue 11); ``puhui run`` does not start the daemon, so it is unaffected.
    ``precredit_job`` (built from the dbt assets, assets/publish.py) is the rebuild a
    new blacklist version asks for; without it the sensor plans none."""
    jobs = [ingest_job, publish_job, *([precredit_job] if precredit_job is not None else [])]

    @sensor(name=SENSOR_NAME, jobs=jobs, default_status=default_status,
            minimum_interval_seconds=settings.delivery_sensor_interval_s)
    def delivery_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        from dagster_project.pipeline import next_step

        instance = context.instance
        since = datetime.now(UTC) - STALE_AFTER
        busy = instance.get_runs(RunsFilter(statuses=UNFINISHED, created_after=since), limit=1)
        if busy:
            return SkipReason(f"run {busy[0].run_id} ({busy[0].job_name}) is under way; "
                              "one writer at a time")
        failed = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.FAILURE],
                                                     tags={"dagster/sensor_name": SENSOR_NAME}),
                                          limit=100)
        tried, relaunches = failed_steps(
            [(r.dagster_run.tags.get("dagster/run_key", ""), r.start_time is not None)
             for r in failed])
        order = instance.get_dynamic_partitions(BIZ_DATE_PARTITIONS.name)
        try:
            night = next_step(settings, skip=tried, partitions=order)
        except duckdb.Error:
            return SkipReason("warehouse busy (another process holds it); next tick")
        new_keys = [partition_key(d) for d in night.delivered if partition_key(d) not in order]
        adds = [BIZ_DATE_PARTITIONS.build_add_request(new_keys)] if new_keys else None
        step = night.step
        if step is None:
            waiting = "; ".join(f"{x.biz_date}: {x.reason}" for x in night.decisions
                                if x.action == "wait")
            if adds:
                return SensorResult(dynamic_partitions_requests=adds)
            return SkipReason(waiting or "every delivery is loaded and published")
        if step.job_name not in {j.name for j in jobs}:
            return SkipReason(f"{step.job_name} from {step.biz_date} is due, but this sensor "
                              "was built without that job")
        # a range only over keys that exist before this tick's additions
        n = relaunches.get(step.run_key, 0)
        return SensorResult(
            run_requests=[RunRequest(run_key=step.run_key + (f"/relaunch{n}" if n else ""),
                                     job_name=step.job_name,
                                     partition_key=None if step.tags else step.partition,
                                     tags=step.tags)],
            dynamic_partitions_requests=adds)

    return delivery_sensor


__all__ = ["INGEST_JOB_NAME", "PUBLISH_JOB_NAME", "build_delivery_sensor"]

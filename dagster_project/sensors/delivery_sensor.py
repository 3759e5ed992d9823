"""Watch the landing folder for ``DONE_<date>.flg`` and request the next load.

t1-extract-spec §1: a folder is complete once DONE exists. Requests follow the same
plan as ``puhui run`` (business-date order, no gaps, identical re-deliveries skipped)
and only the first loadable date per tick, because the warehouse has one writer.
The run key is date + delivery fingerprint, so a delivery is requested once and a
re-delivery (new control files) is requested again.
"""

from __future__ import annotations

import duckdb
from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from dagster_project.ingest.delivery import find_deliveries
from dagster_project.ingest.plan import plan
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_key
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import get_settings

INGEST_JOB_NAME = "ingest"


def ingest_run_config(landing: str, log_level: str = "INFO") -> dict:
    return {"ops": {"raw_tables": {"config": {"landing": landing}}},
            "loggers": {"console": {"config": {"log_level": log_level}}}}


@sensor(job_name=INGEST_JOB_NAME, minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED)
def delivery_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    s = get_settings()
    deliveries = {d.biz_date: d for d in find_deliveries(s.landing_dir)}
    if not deliveries:
        return SkipReason(f"no complete delivery in {s.landing_dir}")
    loaded: dict = {}
    if s.warehouse_path.exists():
        try:
            con = connect_warehouse(s.warehouse_path, 1, "1GB", s.tmp_dir, read_only=True)
        except duckdb.Error:
            return SkipReason("warehouse busy (a load or dbt build holds it); next tick")
        try:
            has_meta = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' "
                "AND table_name = 'delivery'").fetchone()
            if has_meta and has_meta[0]:
                loaded = dict(con.execute(
                    "SELECT biz_date, fingerprint FROM meta.delivery").fetchall())
        finally:
            con.close()
    fingerprints = {d: x.fingerprint() for d, x in deliveries.items()}
    decisions = plan(fingerprints, loaded)
    todo = [x for x in decisions if x.action in ("load", "reload")]
    new_keys = [partition_key(d) for d in deliveries
                if not context.instance.has_dynamic_partition(BIZ_DATE_PARTITIONS.name,
                                                              partition_key(d))]
    if not todo:
        waiting = "; ".join(f"{x.biz_date}: {x.reason}" for x in decisions if x.action == "wait")
        return SkipReason(waiting or "every delivery is loaded")
    first = todo[0]
    key = partition_key(first.biz_date)
    return SensorResult(
        run_requests=[RunRequest(run_key=f"{key}-{fingerprints[first.biz_date]}",
                                 partition_key=key,
                                 run_config=ingest_run_config(str(s.landing_dir)))],
        dynamic_partitions_requests=[BIZ_DATE_PARTITIONS.build_add_request(new_keys)]
        if new_keys else None,
    )

"""Watch ``$PUHUI_HOME/manual/`` for blacklist files and launch ``blacklist_load``.

One file per tick, the oldest settled one (manual/service.py ``inbox_files``), and
none while a run is queued or under way: the warehouse has one writer. The run moves
the file out of the folder whatever the verdict, so the folder holds only what waits.
The run key is the file's name, digest and modification time: the same file dropped
again later (a rollback to an older list) is a new request, and a run that failed
without moving the file (a busy warehouse) is asked for again once the file is
touched, or re-executed in the UI.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from dagster_project.assets.manual import BLACKLIST_JOB_NAME, blacklist_load_job
from dagster_project.manual.service import inbox_files
from dagster_project.sensors.delivery_sensor import STALE_AFTER, UNFINISHED
from dagster_project.settings import Settings

SENSOR_NAME = "manual_sensor"


def build_manual_sensor(settings: Settings,
                        default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING
                        ) -> SensorDefinition:
    @sensor(name=SENSOR_NAME, jobs=[blacklist_load_job], default_status=default_status,
            minimum_interval_seconds=settings.delivery_sensor_interval_s)
    def manual_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        since = datetime.now(UTC) - STALE_AFTER
        busy = context.instance.get_runs(RunsFilter(statuses=UNFINISHED,
                                                    created_after=since), limit=1)
        if busy:
            return SkipReason(f"run {busy[0].run_id} ({busy[0].job_name}) is under way; "
                              "one writer at a time")
        files = inbox_files(settings)
        if not files:
            return SkipReason(f"no file waits in {settings.manual_dir}")
        path = files[0]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return RunRequest(
            run_key=f"{path.name}-{digest}-{path.stat().st_mtime_ns}",
            job_name=BLACKLIST_JOB_NAME,
            run_config={"ops": {"manual__blacklist": {"config": {"path": str(path)}}}},
            tags={"puhui/manual_file": path.name})

    return manual_sensor

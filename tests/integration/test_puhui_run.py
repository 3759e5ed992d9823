"""``puhui run`` is the Dagster night in process (issue 11): the same two jobs the
delivery sensor launches, recorded in the home's instance, with a line per date and
per step saying how long it took. Read from the session's ``tiny_home``, which
``puhui run`` built in two nights (through 2025-12-31, then through 2026-01-04)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from dagster_project.generator.api import TINY_DAYS, TINY_START

DATES = [TINY_START + timedelta(days=i) for i in range(TINY_DAYS)]


def test_puhui_run_prints_each_date_and_each_step_with_its_seconds(tiny_home: Path) -> None:
    said = (tiny_home / "logs" / "puhui-run.txt").read_text()
    for d in DATES:
        assert re.search(rf"^{d}: loaded in \d+ s \(run [0-9a-f-]+\)$", said, re.M), d
    for step in ("dbt build", "audit", "publish"):
        assert len(re.findall(rf"^  {step} done in \d+ s$", said, re.M)) == 2, step
    assert re.search(r"^published through 2025-12-31 in \d+ s", said, re.M)
    assert re.search(r"^published through 2026-01-04 in \d+ s", said, re.M)


def test_the_runs_are_the_dagster_jobs_the_sensor_launches(tiny_home: Path) -> None:
    with DagsterInstance.from_config(str(tiny_home / "dagster")) as instance:
        ok = [DagsterRunStatus.SUCCESS]
        ingest = instance.get_runs(RunsFilter(job_name="ingest", statuses=ok))
        assert sorted(r.tags["dagster/partition"] for r in ingest) == [
            d.isoformat() for d in DATES]
        nights = sorted(instance.get_runs(RunsFilter(job_name="build_audit_publish",
                                                     statuses=ok)),
                        key=lambda r: r.tags["puhui/run_key"])
        assert len(nights) == 2
        # the first night builds its four dates as one range; the second its last four
        first = {r.tags.get("dagster/asset_partition_range_start") for r in nights}
        assert "2025-12-28" in first and "2026-01-01" in first
        assert instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.FAILURE])) == []


def test_dbt_keeps_an_info_log_of_each_night_without_its_sql(tiny_home: Path) -> None:
    """dbt's own log file is kept at info (settings.dbt_log_level_file): what dbt
    printed, each node's result, and not every statement it sent (debug)."""
    import json

    logs = sorted((tiny_home / "dbt" / "target").glob("dbt.log*"))
    assert logs
    events = [json.loads(line) for p in logs for line in p.read_text().splitlines()]
    levels = {e["info"]["level"] for e in events}
    assert "debug" not in levels and "info" in levels
    finished = [e for e in events if e["info"]["name"] == "LogModelResult"
                and e["data"]["node_info"]["node_name"] == "indicator_value"]
    assert len(finished) == 2  # one result per night
